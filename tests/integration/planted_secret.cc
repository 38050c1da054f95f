// Issue 10 item 3 / issue 11 "Done when": a planted secret appears in no output. `keel sim`
// serves an account whose API secret is a unique planted string; `keel run` trades against it
// live (places and cancels) with the secret given once through environment variables and once
// through a 0600 credentials file; then every command that writes output runs (inspect, inspect
// --json, export jsonl and csv, verify, validate, run --dry-run) and so do failing runs whose
// errors print (a wrong key, a wrong secret, a missing variable, a broken file, a file of mode
// 0644: refused, naming the file and the mode). Finally every file under the work directory
// but the inputs that must hold the secret (the accounts file, the credentials files) is
// searched byte for byte -- captured stdout and stderr, the journal (RocksDB: SST blocks may be
// compressed, so every key and value of every column family is read back too), snapshots,
// keel's and RocksDB's logs, keel sim's state, the exports -- for:
//   - the secret, and each half of its random part (a masked or truncated print);
//   - the API key, in everything keel wrote (keel sim prints its accounts' keys by design).
// A find fails the test naming the file (and the column family for RocksDB).
//
// Usage: keel_planted_secret --keel BIN --data FILE [--data FILE] --workdir DIR [--speed X]
//                            [--duration S]
#include <fcntl.h>
#include <rocksdb/db.h>
#include <sys/stat.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "../support/proc.h"

namespace fs = std::filesystem;
using namespace keel::testsupport;

namespace {

struct Args {
  std::string keel, workdir, speed = "20", duration = "8";
  std::vector<std::string> data;
};

std::string random_hex(int n) {
  std::random_device rd;
  std::string out;
  for (int i = 0; i < n; ++i) out += "0123456789abcdef"[rd() % 16];
  return out;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

// What must never appear, and where each search applies.
struct Needles {
  std::string secret, key;
  std::vector<std::string> secret_parts;  // the secret and each half of its random part
};

struct Failures {
  const char* tag = "FAIL";  // the control's finds are expected
  int count = 0;
  void fail(const std::string& what) {
    ++count;
    std::printf("  %s: %s\n", tag, what.c_str());
  }
};

struct Harness {
  Args a;
  fs::path dir, out, inputs, data_dir;
  Needles n;
  Failures f;
  int port = 0;
  pid_t sim = 0;

  // Runs keel with `args`, stdout and stderr to out/<name>.stdout|.stderr; returns the exit code.
  int keel(const std::string& name, std::vector<std::string> args,
           const std::map<std::string, std::string>& env = {}) {
    args.insert(args.begin(), a.keel);
    const int o = ::open((out / (name + ".stdout")).c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int e = ::open((out / (name + ".stderr")).c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const pid_t pid = spawn(args, o, e, env);
    ::close(o);
    ::close(e);
    const int rc = wait_exit(pid);
    std::printf("  keel %s -> exit %d\n", name.c_str(), rc);
    return rc;
  }
  std::string err(const std::string& name) { return slurp(out / (name + ".stderr")); }
  std::string stdout_of(const std::string& name) { return slurp(out / (name + ".stdout")); }

  void expect_ok(const std::string& name, int rc) {
    if (rc != 0) f.fail("keel " + name + " exited " + std::to_string(rc) + ": " + err(name));
  }
  // A run that must fail, and say `what` (each substring) on stderr.
  void expect_refused(const std::string& name, int rc, const std::vector<std::string>& what) {
    if (rc == 0) f.fail("keel " + name + " exited 0; it must refuse");
    const std::string e = err(name);
    for (const std::string& w : what) {
      if (e.find(w) == std::string::npos) {
        f.fail("keel " + name + ": stderr lacks '" + w + "': " + e);
      }
    }
  }
};

bool start_sim(Harness& h) {
  std::ofstream(h.inputs / "accounts.yaml")
      << "accounts:\n  - name: alice\n    api_key: " << h.n.key << "\n    secret: " << h.n.secret
      << "\n    balances: {USDT: \"10000\", BTC: \"1\"}\n";
  std::vector<std::string> argv{h.a.keel, "sim", "--listen", "127.0.0.1:0", "--speed", h.a.speed,
                                "--state", (h.dir / "sim").string(), "--accounts",
                                (h.inputs / "accounts.yaml").string()};
  for (const auto& d : h.a.data) argv.insert(argv.end(), {"--data", d});
  const int o = ::open((h.out / "sim.stdout").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  const int e = ::open((h.out / "sim.stderr").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  h.sim = spawn(argv, o, e);
  ::close(o);
  ::close(e);
  for (int i = 0; i < 600 && h.port == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const std::string s = slurp(h.out / "sim.stdout");
    const size_t at = s.find("listening on 127.0.0.1:");
    if (at != std::string::npos && s.find('\n', at) != std::string::npos) {
      h.port = std::atoi(s.c_str() + at + 23);
    }
  }
  return h.port != 0;
}

// The configs: env.yaml reads KEEL_SIM_KEY / KEEL_SIM_SECRET, <name>.yaml reads
// inputs/<name>.yaml (relative to the config's folder, as a user would write it).
void write_configs(Harness& h) {
  const std::string env = loopback_config(h.port, 2000, 50);
  std::ofstream(h.dir / "env.yaml") << env;
  const std::string vars = "  api_key_env: KEEL_SIM_KEY\n  api_secret_env: KEEL_SIM_SECRET\n";
  for (const char* name : {"creds", "wide", "wrong-key", "wrong-secret", "broken"}) {
    std::string c = env;
    c.replace(c.find(vars), vars.size(),
              std::string("  credentials_file: inputs/") + name + ".yaml\n");
    std::ofstream(h.dir / (std::string(name) + ".yaml")) << c;
  }
  auto creds = [&](const char* name, const std::string& text, mode_t mode) {
    const fs::path p = h.inputs / (std::string(name) + ".yaml");
    std::ofstream(p) << text;
    chmod(p.c_str(), mode);
  };
  const std::string good = "api_key: " + h.n.key + "\napi_secret: " + h.n.secret + "\n";
  creds("creds", good, 0600);
  creds("wide", good, 0644);
  creds("wrong-key", "api_key: not-" + h.n.key + "\napi_secret: " + h.n.secret + "\n", 0600);
  creds("wrong-secret", "api_key: " + h.n.key + "\napi_secret: " + h.n.secret + "-WRONG\n", 0600);
  // A YAML error right after the secret (an unknown escape): yaml-cpp would quote it.
  creds("broken", "api_key: " + h.n.key + "\napi_secret: \"" + h.n.secret + "\\q\"\n", 0600);
}

// Live trading (env, then file), then every command that writes output.
void run_commands(Harness& h) {
  const std::string dd = h.data_dir.string();
  const std::map<std::string, std::string> env{{"KEEL_SIM_KEY", h.n.key},
                                               {"KEEL_SIM_SECRET", h.n.secret}};
  const std::map<std::string, std::string> no_env{{"KEEL_SIM_KEY", ""}, {"KEEL_SIM_SECRET", ""}};
  const std::string env_cfg = (h.dir / "env.yaml").string();
  const std::string file_cfg = (h.dir / "creds.yaml").string();
  h.expect_ok("run-env", h.keel("run-env", {"run", "--config", env_cfg, "--data-dir", dd,
                                            "--duration", h.a.duration}, env));
  h.expect_ok("run-file", h.keel("run-file", {"run", "--config", file_cfg, "--data-dir", dd,
                                              "--duration", h.a.duration, "--cancel-on-exit"},
                                 no_env));
  // A restart reconciles (and journals) what --cancel-on-exit cancelled.
  h.expect_ok("run-file-again", h.keel("run-file-again", {"run", "--config", file_cfg,
                                                          "--data-dir", dd, "--duration", "3"},
                                       no_env));
  const std::map<std::string, std::string> tmp{{"TMPDIR", (h.dir / "tmp").string()},
                                               {"KEEL_SIM_KEY", ""}, {"KEEL_SIM_SECRET", ""}};
  fs::create_directories(h.dir / "tmp");
  h.expect_ok("dry-run", h.keel("dry-run", {"run", "--config", file_cfg, "--dry-run",
                                            "--duration", "3"}, tmp));
  const std::vector<std::string> target{"--config", file_cfg, "--data-dir", dd};
  auto with = [&](std::vector<std::string> v, const std::vector<std::string>& more) {
    v.insert(v.end(), more.begin(), more.end());
    return v;
  };
  h.expect_ok("inspect", h.keel("inspect", with({"inspect"}, target)));
  h.expect_ok("inspect-json", h.keel("inspect-json", with({"inspect", "--json"}, target)));
  fs::create_directories(h.dir / "exports");
  for (const std::string fmt : {"jsonl", "csv"}) {
    const std::string file = (h.dir / "exports" / ("journal." + fmt)).string();
    h.expect_ok("export-" + fmt,
                h.keel("export-" + fmt, with({"export", "--format", fmt, "--out", file}, target)));
  }
  h.expect_ok("verify", h.keel("verify", with({"verify"}, target)));
  h.expect_ok("validate-file", h.keel("validate-file", {"validate", "--config", file_cfg}, no_env));
  h.expect_ok("validate-env", h.keel("validate-env", {"validate", "--config", env_cfg}, env));
}

// Runs that must fail, and what their errors must say (never the secret: the sweep checks).
void run_refusals(Harness& h) {
  const std::string dd = (h.dir / "refused").string();
  const std::map<std::string, std::string> no_env{{"KEEL_SIM_KEY", ""}, {"KEEL_SIM_SECRET", ""}};
  auto run = [&](const std::string& cfg) {
    return std::vector<std::string>{"run", "--config", (h.dir / cfg).string(), "--data-dir", dd,
                                    "--duration", "2"};
  };
  const std::string wide = (h.dir / "inputs" / "wide.yaml").string();
  h.expect_refused("refused-wide-mode", h.keel("refused-wide-mode", run("wide.yaml"), no_env),
                   {wide + ": has mode 0644", "run chmod 600 " + wide});
  h.expect_refused("refused-wide-mode-validate",
                   h.keel("refused-wide-mode-validate",
                          {"validate", "--config", (h.dir / "wide.yaml").string()}, no_env),
                   {});
  const std::string validated = h.stdout_of("refused-wide-mode-validate");
  if (validated.find(wide + ": has mode 0644") == std::string::npos) {
    h.f.fail("keel validate does not name the file's mode: " + validated);
  }
  h.expect_refused("refused-no-env", h.keel("refused-no-env", run("env.yaml"), no_env),
                   {"exchange.api_key_env: environment variable KEEL_SIM_KEY is not set"});
  h.expect_refused("refused-broken", h.keel("refused-broken", run("broken.yaml"), no_env),
                   {"broken.yaml: not valid YAML at line 2"});
  h.expect_refused("refused-wrong-key",
                   h.keel("refused-wrong-key", run("wrong-key.yaml"), no_env), {"-2015"});
  h.expect_refused("refused-wrong-secret",
                   h.keel("refused-wrong-secret", run("wrong-secret.yaml"), no_env), {"-1022"});
  const std::map<std::string, std::string> wrong_env{{"KEEL_SIM_KEY", h.n.key},
                                                     {"KEEL_SIM_SECRET", h.n.secret + "-WRONG"}};
  h.expect_refused("refused-wrong-secret-env",
                   h.keel("refused-wrong-secret-env", run("env.yaml"), wrong_env), {"-1022"});
}

// Orders keel placed and cancelled on the exchange (the sim's ground truth).
void check_traded(Harness& h) {
  const std::string truth = http(h.port, "GET", "/sim/v1/truth?account=alice");
  std::ofstream(h.out / "truth.json") << truth;
  auto count = [&](const char* what) {
    size_t n = 0;
    for (size_t at = 0; (at = truth.find(what, at)) != std::string::npos; ++at) ++n;
    return n;
  };
  const size_t orders = count("\"clientOrderId\""), cancelled = count("\"CANCELED\"");
  std::printf("  the exchange saw %zu orders, %zu cancelled\n", orders, cancelled);
  if (orders == 0 || cancelled == 0) {
    h.f.fail("keel placed or cancelled no order: nothing was tested");
  }
}

// ---- The sweep -------------------------------------------------------------------------

// Searches `bytes` (from `where`) for the needles that apply; a find goes to `f`.
void search(const Needles& n, Failures& f, const std::string& where, std::string_view bytes,
            bool key_too) {
  for (const std::string& s : n.secret_parts) {
    if (bytes.find(s) != std::string_view::npos) {
      f.fail("the secret" + std::string(s == n.secret ? "" : " (a part of it)") + " is in " +
             where);
    }
  }
  if (key_too && bytes.find(n.key) != std::string_view::npos) {
    f.fail("the API key is in " + where);
  }
}

// Every key and value of every column family of the RocksDB at `dir`, decompressed.
void search_rocksdb(const Needles& n, Failures& f, const fs::path& dir, bool key_too) {
  rocksdb::Options o;
  std::vector<std::string> names;
  if (!rocksdb::DB::ListColumnFamilies(o, dir.string(), &names).ok()) return;
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const auto& n : names) families.push_back({n, rocksdb::ColumnFamilyOptions()});
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  if (!rocksdb::DB::OpenForReadOnly(o, dir.string(), families, &handles, &db).ok()) {
    f.fail("cannot open the RocksDB at " + dir.string() + " to search it");
    return;
  }
  for (size_t i = 0; i < handles.size(); ++i) {
    std::string all;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), handles[i]));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      all.append(it->key().data(), it->key().size()).append(it->value().data(), it->value().size());
    }
    std::printf("  searched %s (column family %s): %zu bytes\n", dir.c_str(), names[i].c_str(),
                all.size());
    search(n, f, dir.string() + " (RocksDB column family " + names[i] + ")", all, key_too);
    db->DestroyColumnFamilyHandle(handles[i]);
  }
  delete db;
}

// A control: the secret written into a RocksDB and flushed to a (compressed) SST must be found,
// or the sweep proves nothing.
bool control_finds_a_secret(Harness& h) {
  const fs::path dir = h.dir / "control-db";
  rocksdb::Options o;
  o.create_if_missing = true;
  rocksdb::DB* db = nullptr;
  if (!rocksdb::DB::Open(o, dir.string(), &db).ok()) return false;
  db->Put(rocksdb::WriteOptions(), "k", std::string(100, 'x') + h.n.secret + "y");
  db->Flush(rocksdb::FlushOptions());
  delete db;
  Failures found{"control, as expected"};
  search_rocksdb(h.n, found, dir, true);
  fs::remove_all(dir);
  return found.count > 0;
}

void sweep(Harness& h) {
  size_t files = 0, bytes = 0;
  std::vector<fs::path> databases;
  for (const auto& e : fs::recursive_directory_iterator(h.dir)) {
    const fs::path& p = e.path();
    if (p.string().rfind(h.inputs.string(), 0) == 0) continue;  // the inputs hold it on purpose
    if (e.is_directory() && fs::exists(p / "CURRENT")) databases.push_back(p);
    if (!e.is_regular_file()) continue;
    // keel sim prints its accounts' API keys (not their secrets); its state is the exchange's.
    const bool by_sim = p == h.out / "sim.stdout" || p == h.out / "truth.json" ||
                        p.string().rfind((h.dir / "sim").string(), 0) == 0;
    const std::string content = slurp(p);
    ++files;
    bytes += content.size();
    search(h.n, h.f, p.string(), content, !by_sim);
  }
  std::printf("  searched %zu files, %zu bytes\n", files, bytes);
  for (const fs::path& db : databases) {
    search_rocksdb(h.n, h.f, db, db.string().rfind((h.dir / "sim").string(), 0) != 0);
  }
}

}  // namespace

int main(int argc, char** argv) {
  Harness h;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--keel") h.a.keel = v;
    else if (k == "--data") h.a.data.push_back(v);
    else if (k == "--workdir") h.a.workdir = v;
    else if (k == "--speed") h.a.speed = v;
    else if (k == "--duration") h.a.duration = v;
  }
  if (h.a.keel.empty() || h.a.data.empty() || h.a.workdir.empty()) {
    std::fprintf(stderr, "usage: keel_planted_secret --keel BIN --data FILE... --workdir DIR "
                         "[--speed X] [--duration S]\n");
    return 2;
  }
  h.dir = fs::absolute(h.a.workdir);
  h.out = h.dir / "out";
  h.inputs = h.dir / "inputs";
  h.data_dir = h.dir / "data";
  fs::remove_all(h.dir);
  fs::create_directories(h.out);
  fs::create_directories(h.inputs);
  const std::string half1 = random_hex(16), half2 = random_hex(16);
  h.n.secret = "PLANTED-" + half1 + half2;
  h.n.key = "PLANTEDKEY-" + random_hex(16);
  h.n.secret_parts = {h.n.secret, half1, half2};
  if (!start_sim(h)) {
    std::printf("keel sim did not start: %s\n", slurp(h.out / "sim.stderr").c_str());
    return 1;
  }
  write_configs(h);
  run_commands(h);
  run_refusals(h);
  check_traded(h);
  kill(h.sim, SIGTERM);
  wait_exit(h.sim);
  if (!control_finds_a_secret(h)) h.f.fail("the control: a secret in a RocksDB was not found");
  sweep(h);
  std::printf("planted secret: %d failures\n", h.f.count);
  return h.f.count == 0 ? 0 : 1;
}
