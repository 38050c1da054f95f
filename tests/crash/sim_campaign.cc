// keel crash campaign against `keel sim` as its own process (issue 4, DESIGN.md R1-R4):
// the market keeps moving and fills keep happening while the engine is dead.
//
// Usage: keel_sim_crash_campaign --keel BIN --data FILE [--data FILE] --workdir DIR
//          [--crashes N] [--failpoint-hits 1,2,3] [--speed X] [--run-max-ms MS]
//          [--down-max-ms MS] [--faults SPEC] [--power-loss] [--seed S] [--report FILE]
//
// One `keel sim` per round (a fresh state directory; a round ends when the recording does) and
// `keel run` (exchange.kind binance over loopback) against it, in lives. A life starts the
// engine and waits for its "reconciled in ... task grid1 quoting" line (time-to-safe: spawn to
// that line). When the life follows a crash, the recovery is checked: the campaign pauses the
// market (POST /sim/v1/pause), waits until the journal is quiet (two `keel inspect --json`
// 150 ms apart with the same last sequence and no PENDING slot), compares keel's journal
// (`keel inspect --json`, `keel export`) with GET /sim/v1/truth and resumes the market:
//   - no PENDING slot; a LOCKED slot <-> an open order with that client id and executed qty;
//     a FILLED slot that names its order <-> a FILLED order with that executed qty;
//   - every open order with keel's prefix is the order of exactly one LOCKED slot (so at most
//     one live order per slot); every exchange order with keel's prefix is a journaled
//     PlaceIntent (W5);
//   - the journal's fills are exactly the exchange's trades of keel's orders (trade ids: none
//     lost, none journaled twice; inspect's fill count and inventory agree);
//   - R4: each asset's balance change on the exchange equals the journaled fills minus fees.
// Then the life is crashed: a failpoint life (KEEL_FAILPOINT=name:hit, every failpoint of
// keel/core/failpoint.h at every --failpoint-hits) dies where the failpoint is (possibly during
// start-up or reconciliation, before it is safe); a random life is killed after a uniform delay
// in [0, run-max-ms]. With --power-loss the engine runs with KEEL_POWER_LOSS=1 (its journal on
// the power-loss file system: every write not synced is discarded at the crash) and random
// kills are SIGUSR2 ("power cut now") instead of SIGKILL. The engine then stays dead for a
// uniform [0, down-max-ms] while the market moves. Lives continue until --crashes crashes.
// Output: a table of crashes per crash point (and failpoint lives whose point was not reached),
// recoveries checked, divergences (must be 0), time-to-safe p50/p99; exit 0 iff no divergence.
#include <simdjson.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "../support/crash_tally.h"
#include "../support/proc.h"
#include "keel/core/failpoint.h"

namespace fs = std::filesystem;
using namespace keel::testsupport;

namespace {

constexpr const char* kPrefix = "k1-grid1-";
constexpr int64_t kInitialUsdtE8 = 10'000LL * 100'000'000;  // keel sim's default account
constexpr int64_t kInitialBtcE8 = 100'000'000;

struct Args {
  std::string keel, workdir, speed = "4", faults, report;
  std::vector<std::string> data;
  int crashes = 200;
  std::vector<int> failpoint_hits{1, 2, 3};
  int run_max_ms = 1500, down_max_ms = 1500;
  bool power_loss = false;
  uint64_t seed = 1;
};

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
void sleep_ms(double ms) { std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(ms)); }

std::string str(simdjson::dom::element e) { return std::string(std::string_view(e)); }

bool parse(int argc, char** argv, Args& a) {
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    if (k == "--power-loss") {
      a.power_loss = true;
      continue;
    }
    if (i + 1 >= argc) return false;
    const std::string v = argv[++i];
    if (k == "--keel") a.keel = v;
    else if (k == "--data") a.data.push_back(v);
    else if (k == "--workdir") a.workdir = v;
    else if (k == "--crashes") a.crashes = std::atoi(v.c_str());
    else if (k == "--speed") a.speed = v;
    else if (k == "--run-max-ms") a.run_max_ms = std::atoi(v.c_str());
    else if (k == "--down-max-ms") a.down_max_ms = std::atoi(v.c_str());
    else if (k == "--faults") a.faults = v;
    else if (k == "--seed") a.seed = std::strtoull(v.c_str(), nullptr, 10);
    else if (k == "--report") a.report = v;
    else if (k == "--failpoint-hits") {
      a.failpoint_hits.clear();
      std::stringstream ss(v);
      for (std::string item; std::getline(ss, item, ',');) {
        if (!item.empty()) a.failpoint_hits.push_back(std::atoi(item.c_str()));
      }
    } else {
      return false;
    }
  }
  return !a.keel.empty() && !a.data.empty() && !a.workdir.empty() && a.crashes > 0 &&
         a.run_max_ms >= 0 && a.down_max_ms >= 0;
}

// ---- the engine process of one life -------------------------------------------------------

// `keel run` with its stderr read by a thread: every line goes to the round's log; the
// "reconciled in" line marks the instant the engine is safe.
class EngineProcess {
 public:
  EngineProcess(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                const std::string& log_path)
      : log_(log_path, std::ios::app) {
    int fds[2];
    if (pipe(fds) != 0) return;
    t_spawn_ = now_s();
    pid_ = spawn(argv, -1, fds[1], env);
    close(fds[1]);
    reader_ = std::thread([this, fd = fds[0]] { read_lines(fd); });
  }
  ~EngineProcess() {
    if (!exited_) {
      kill(pid_, SIGKILL);
      wait();
    }
    if (reader_.joinable()) reader_.join();
  }
  // Polls the child; true once it exited (status() then valid).
  bool poll() {
    if (exited_) return true;
    int st = 0;
    if (waitpid(pid_, &st, WNOHANG) == pid_) {
      exited_ = true;
      status_ = st;
    }
    return exited_;
  }
  void wait() {
    if (exited_) return;
    waitpid(pid_, &status_, 0);
    exited_ = true;
  }
  bool killed_by(int sig) const { return exited_ && WIFSIGNALED(status_) && WTERMSIG(status_) == sig; }
  int rc() const { return decode_status(status_); }
  void signal(int sig) { kill(pid_, sig); }
  double safe_at() const { return safe_at_.load(); }  // 0 until safe
  bool quoting() const { return quoting_.load(); }
  double t_spawn() const { return t_spawn_; }
  std::string safe_line() {
    std::lock_guard<std::mutex> lock(mu_);
    return safe_line_;
  }
  std::string tail() {
    std::lock_guard<std::mutex> lock(mu_);
    return tail_;
  }

 private:
  void read_lines(int fd) {
    FILE* in = fdopen(fd, "r");
    char line[4096];
    while (std::fgets(line, sizeof line, in) != nullptr) {
      const std::string s = line;
      {
        std::lock_guard<std::mutex> lock(mu_);
        log_ << s;
        tail_ += s;
        if (tail_.size() > 4000) tail_.erase(0, tail_.size() - 4000);
        if (safe_at_.load() == 0 && s.find("reconciled in") != std::string::npos) {
          safe_line_ = s;
          quoting_ = s.find("reconcile-only") == std::string::npos;
          safe_at_ = now_s();
        }
      }
    }
    std::fclose(in);
  }

  std::ofstream log_;
  pid_t pid_ = -1;
  double t_spawn_ = 0;
  bool exited_ = false;
  int status_ = 0;
  std::atomic<double> safe_at_{0};
  std::atomic<bool> quoting_{false};
  std::mutex mu_;
  std::string safe_line_, tail_;
  std::thread reader_;
};

// ---- the comparison with the exchange's truth ---------------------------------------------

struct Inspect {
  bool ok = false;
  int64_t last_seq = -1;
  int pending = 0;
  std::string json;
};

struct Round {
  int index = 0;
  std::string dir, cfg, engine_dir, log;
  int port = 0;
  pid_t sim = -1;
};

std::vector<std::string> keel_cmd(const Args& a, const Round& r, const std::string& sub) {
  return {a.keel, sub, "--config", r.cfg, "--data-dir", r.engine_dir};
}

Inspect inspect(const Args& a, const Round& r) {
  Inspect out;
  int rc = 0;
  std::vector<std::string> argv = keel_cmd(a, r, "inspect");
  argv.push_back("--json");
  out.json = run_capture(argv, &rc);
  if (rc != 0 || out.json.empty()) return out;
  simdjson::dom::parser p;
  simdjson::dom::element doc;
  if (p.parse(out.json).get(doc) != simdjson::SUCCESS) return out;
  out.last_seq = int64_t(doc["journal"]["last_seq"]);
  for (auto t : doc["tasks"].get_array()) {
    for (auto s : t["slots"].get_array()) out.pending += str(s["state"]) == "PENDING";
  }
  out.ok = true;
  return out;
}

struct Fill {
  int64_t trade_id = 0;
  bool buy = false;
  int64_t price_e8 = 0, qty_e8 = 0, commission_e8 = 0;
  std::string commission_asset;
};

int64_t notional_e8(int64_t price_e8, int64_t qty_e8) {
  return static_cast<int64_t>(static_cast<__int128>(price_e8) * qty_e8 / 100'000'000);
}

// Compares keel's journal with the truth; returns one line per disagreement.
std::vector<std::string> compare(const Args& a, const Round& r, const Inspect& in) {
  std::vector<std::string> bad;
  const std::string truth_json = http(r.port, "GET", "/sim/v1/truth?account=default");
  const std::string export_path = r.dir + "/export.jsonl";
  int rc = 0;
  std::vector<std::string> argv = keel_cmd(a, r, "export");
  argv.insert(argv.end(), {"--out", export_path});
  run_capture(argv, &rc);
  if (truth_json.empty() || rc != 0) {
    bad.push_back("could not read the truth (" + std::to_string(truth_json.size()) +
                  " bytes) or export the journal (exit " + std::to_string(rc) + ")");
    return bad;
  }
  simdjson::dom::parser tp, ip, ep;
  simdjson::dom::element t = tp.parse(truth_json);
  simdjson::dom::element k = ip.parse(in.json);
  // The exchange's orders and trades of keel.
  struct Order {
    std::string status;
    int64_t executed_e8 = 0;
  };
  std::map<std::string, Order> orders;  // cid -> order
  std::map<int64_t, std::string> cid_of;
  for (auto o : t["orders"].get_array()) {
    const std::string cid = str(o["clientOrderId"]);
    cid_of[int64_t(o["orderId"])] = cid;
    if (cid.rfind(kPrefix, 0) != 0) continue;
    orders[cid] = {str(o["status"]), e8(str(o["executedQty"]))};
  }
  std::map<int64_t, Fill> venue_fills;
  for (auto tr : t["trades"].get_array()) {
    if (cid_of[int64_t(tr["orderId"])].rfind(kPrefix, 0) != 0) continue;
    Fill f{int64_t(tr["id"]), bool(tr["isBuyer"]), e8(str(tr["price"])), e8(str(tr["qty"])),
           e8(str(tr["commission"])), str(tr["commissionAsset"])};
    venue_fills[f.trade_id] = f;
  }
  std::map<std::string, int64_t> venue_balance;
  for (auto b : t["balances"].get_array()) {
    venue_balance[str(b["asset"])] = e8(str(b["free"])) + e8(str(b["locked"]));
  }
  // The journal's intents and fills.
  std::set<std::string> intents;
  std::map<int64_t, Fill> journal_fills;
  std::ifstream ex(export_path);
  for (std::string line; std::getline(ex, line);) {
    simdjson::dom::element rec;
    if (ep.parse(line).get(rec) != simdjson::SUCCESS) {
      bad.push_back("export: unparsable line");
      break;
    }
    const std::string type = str(rec["type"]);
    if (type == "PlaceIntent") intents.insert(str(rec["client_order_id"]));
    if (type != "OrderFilled") continue;
    Fill f{int64_t(rec["trade_id"]), str(rec["side"]) == "BUY", e8(str(rec["price"])),
           e8(str(rec["qty"])), e8(str(rec["commission"])), str(rec["commission_asset"])};
    if (!journal_fills.emplace(f.trade_id, f).second) {
      bad.push_back("trade " + std::to_string(f.trade_id) + " journaled twice (R3)");
    }
  }
  // Slots.
  auto task = k["tasks"].at(0);
  std::set<std::string> locked;
  for (auto s : task["slots"].get_array()) {
    const std::string state = str(s["state"]), cid = str(s["client_order_id"]);
    if (state == "PENDING") bad.push_back("slot " + str(s["price"]) + " still PENDING (" + cid + ")");
    if (state != "LOCKED" && state != "FILLED") continue;
    auto it = orders.find(cid);
    const int64_t filled = e8(str(s["filled_qty"]));
    if (state == "LOCKED") {
      if (!locked.insert(cid).second) bad.push_back("order " + cid + " is LOCKED in two slots");
      if (it == orders.end() || (it->second.status != "NEW" && it->second.status != "PARTIALLY_FILLED")) {
        bad.push_back("LOCKED " + cid + " is not an open order on the exchange (" +
                      (it == orders.end() ? "unknown" : it->second.status) + ")");
      } else if (it->second.executed_e8 != filled) {
        bad.push_back("LOCKED " + cid + " executed qty differs");
      }
    } else if (!cid.empty() &&
               (it == orders.end() || it->second.status != "FILLED" || it->second.executed_e8 != filled)) {
      bad.push_back("FILLED " + cid + " is not a filled order with that quantity on the exchange");
    }
  }
  // At most one live order per slot: every open order must be the current order of a LOCKED
  // slot, and a slot names one order (a second live order of a slot is an open order no slot
  // names). Two slots' sells may share a price (seed 001: max(L + I, center + I)).
  for (const auto& [cid, o] : orders) {
    if (intents.count(cid) == 0) bad.push_back("exchange order " + cid + " has no journaled intent (W5)");
    if (o.status != "NEW" && o.status != "PARTIALLY_FILLED") continue;
    if (locked.count(cid) == 0) bad.push_back("open order " + cid + " is not a LOCKED slot");
  }
  // Fills: exactly the exchange's trades.
  for (const auto& [id, f] : venue_fills) {
    if (journal_fills.count(id) == 0) bad.push_back("trade " + std::to_string(id) + " lost");
  }
  for (const auto& [id, f] : journal_fills) {
    if (venue_fills.count(id) == 0) bad.push_back("journaled trade " + std::to_string(id) + " unknown to the exchange");
  }
  int64_t inventory = 0, d_btc = 0, d_usdt = 0;
  for (const auto& [id, f] : journal_fills) {
    inventory += f.buy ? f.qty_e8 : -f.qty_e8;
    d_btc += f.buy ? f.qty_e8 : -f.qty_e8;
    d_usdt += f.buy ? -notional_e8(f.price_e8, f.qty_e8) : notional_e8(f.price_e8, f.qty_e8);
    (f.commission_asset == "BTC" ? d_btc : d_usdt) -= f.commission_e8;
  }
  if (int64_t(task["fills"]) != static_cast<int64_t>(venue_fills.size())) {
    bad.push_back("fills: keel " + std::to_string(int64_t(task["fills"])) + ", exchange " +
                  std::to_string(venue_fills.size()));
  }
  if (e8(str(task["inventory"])) != inventory) bad.push_back("inventory differs from the fills");
  if (venue_balance["BTC"] - kInitialBtcE8 != d_btc) {
    bad.push_back("R4: BTC balance change " + std::to_string(venue_balance["BTC"] - kInitialBtcE8) +
                  " != journaled fills minus fees " + std::to_string(d_btc) + " (1e-8)");
  }
  if (venue_balance["USDT"] - kInitialUsdtE8 != d_usdt) {
    bad.push_back("R4: USDT balance change " + std::to_string(venue_balance["USDT"] - kInitialUsdtE8) +
                  " != journaled fills minus fees " + std::to_string(d_usdt) + " (1e-8)");
  }
  return bad;
}

// ---- the campaign ---------------------------------------------------------------------------

struct LifeSpec {
  std::string failpoint;     // "name:hit", or "" for a random kill
  double early_kill_ms = 0;  // > 0: a random kill this long after the start, safe or not
};

struct Tally : CrashTally {
  int crashes_before_safe = 0;
  int recoveries_checked = 0;
  int live_verifies = 0;  // `keel verify` runs beside the live engine (each one a check)
  int checks_interrupted = 0;
  int divergences = 0;
  int rounds = 0;
  std::vector<double> time_to_safe_ms;
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

bool start_round(const Args& a, Round& r) {
  r.dir = a.workdir + "/round" + std::to_string(r.index);
  fs::create_directories(r.dir);
  r.engine_dir = r.dir + "/engine";
  r.log = r.dir + "/engine.log";
  std::vector<std::string> argv{a.keel, "sim", "--listen", "127.0.0.1:0", "--speed", a.speed,
                                "--state", r.dir + "/sim", "--seed",
                                std::to_string(a.seed + static_cast<uint64_t>(r.index))};
  for (const auto& d : a.data) argv.insert(argv.end(), {"--data", d});
  if (!a.faults.empty()) argv.insert(argv.end(), {"--faults", a.faults});
  r.port = start_sim(argv, &r.sim, false);
  if (r.port == 0) return false;
  r.cfg = r.dir + "/live.yaml";
  // Periodic reconciliation off (60 s): a recovery must be right by itself, not healed later.
  // A snapshot every 10 records: the snapshot failpoints are reached within a life, and every
  // restart decodes a snapshot written just before a crash.
  std::ofstream(r.cfg) << loopback_config(r.port, 60'000, 10);
  return true;
}

void end_round(Round& r) {
  if (r.sim > 0) {
    kill(r.sim, SIGTERM);
    wait_exit(r.sim);
    r.sim = -1;
  }
}

bool recording_ended(const Round& r) {
  return http(r.port, "GET", "/sim/v1/truth?account=default").find("\"recordingEnded\":true") !=
         std::string::npos;
}

class Campaign {
 public:
  explicit Campaign(const Args& a) : a_(a), rng_(a.seed) {}

  int run() {
    fs::remove_all(a_.workdir);
    fs::create_directories(a_.workdir);
    setenv("KEEL_SIM_KEY", "keel-sim-key", 1);
    setenv("KEEL_SIM_SECRET", "keel-sim-secret", 1);
    std::vector<LifeSpec> failpoint_lives;
    for (std::string_view fp : keel::kFailpoints) {
      if (fp == "run.exchange.after_event") continue;  // the embedded exchange's loop only
      for (int hit : a_.failpoint_hits) {
        failpoint_lives.push_back({std::string(fp) + ":" + std::to_string(hit)});
      }
    }
    std::shuffle(failpoint_lives.begin(), failpoint_lives.end(), rng_);
    size_t next_fp = 0;
    const double t0 = now_s();
    Round round;
    bool pending_check = false;
    while (tally_.total() < a_.crashes) {
      if (round.sim < 0 || recording_ended(round)) {
        // The recording ended with a crash unchecked: check it now (the market is still).
        if (round.sim > 0 && pending_check) last_recovery(round);
        end_round(round);
        round.index = ++tally_.rounds;
        if (!start_round(a_, round)) {
          std::printf("keel sim did not start\n");
          return 2;
        }
        pending_check = false;
      }
      // Failpoint lives spread evenly over the campaign, random kills in between; one random
      // life in five is killed during start-up, before it is safe.
      const double fp_left = static_cast<double>(failpoint_lives.size() - next_fp);
      const double crashes_left = std::max(1, a_.crashes - tally_.total());
      std::uniform_real_distribution<double> u(0, 1);
      LifeSpec spec;
      if (u(rng_) < fp_left / crashes_left) spec = failpoint_lives[next_fp++];
      else if (u(rng_) < 0.2) spec.early_kill_ms = u(rng_) * 2 * median_tts_ms();
      if (life(round, spec, pending_check)) pending_check = true;
      if ((tally_.total() % 25) == 0 || tally_.divergences > 0) progress(t0);
    }
    if (pending_check) last_recovery(round);
    end_round(round);
    print_table(now_s() - t0);
    return tally_.divergences == 0 ? 0 : 1;
  }

 private:
  std::vector<std::string> engine_argv(const Round& r) const {
    return {a_.keel, "run", "--config", r.cfg, "--data-dir", r.engine_dir, "--quiet"};
  }
  std::map<std::string, std::string> engine_env(const std::string& failpoint) const {
    return {{"KEEL_FAILPOINT", failpoint}, {"KEEL_POWER_LOSS", a_.power_loss ? "1" : ""}};
  }

  // Restarts the engine once more, checks its recovery, stops it (SIGTERM: a clean exit).
  void last_recovery(const Round& r) {
    EngineProcess e(engine_argv(r), engine_env(""), r.log);
    if (!wait_safe(e, r)) return;
    tally_.time_to_safe_ms.push_back((e.safe_at() - e.t_spawn()) * 1e3);
    if (!e.quoting()) diverge(r, "after the restart: " + e.safe_line());
    else check(r, e);
    e.signal(SIGTERM);
    e.wait();
  }

  void diverge(const Round& r, const std::string& what) {
    ++tally_.divergences;
    std::printf("  DIVERGENCE (round %d): %s\n", r.index, what.c_str());
    std::fflush(stdout);
  }

  // Waits until the engine is safe or exits; false when it exited or never got safe.
  bool wait_safe(EngineProcess& e, const Round& r) {
    const double deadline = now_s() + 60;
    while (e.safe_at() == 0 && !e.poll() && now_s() < deadline) sleep_ms(2);
    if (e.safe_at() != 0) return true;
    if (!e.poll()) {
      diverge(r, "the engine was not safe 60 s after its start; log tail:\n" + e.tail());
      e.signal(SIGKILL);
      e.wait();
    }
    return false;
  }

  // Pauses the market, waits for a quiet journal, compares, resumes. False when the engine died
  // meanwhile (a failpoint): the check is abandoned and the crash counted by the caller.
  bool check(const Round& r, EngineProcess& e) {
    http(r.port, "POST", "/sim/v1/pause");
    Inspect last;
    bool quiet = false;
    const double deadline = now_s() + 10;
    while (now_s() < deadline && !e.poll()) {
      sleep_ms(150);
      Inspect cur = inspect(a_, r);
      if (cur.ok && last.ok && cur.last_seq == last.last_seq && cur.pending == 0) {
        quiet = true;
        last = cur;
        break;
      }
      last = cur;
    }
    bool done = false;
    if (e.poll()) {
      ++tally_.checks_interrupted;
    } else if (!quiet) {
      diverge(r, "the journal did not settle with the market paused (PENDING slots: " +
                     std::to_string(last.pending) + ")");
      done = true;
    } else {
      ++tally_.recoveries_checked;
      for (const std::string& d : compare(a_, r, last)) diverge(r, d);
      done = true;
    }
    http(r.port, "POST", "/sim/v1/resume");
    return done;
  }

  // Counts how a life ended. True when it crashed (a recovery is then owed).
  // `early`: a SIGUSR2 that arrives before keel's main() blocked it kills the process by its
  // default action, before anything was written: a power cut all the same.
  bool count_end(EngineProcess& e, const Round& r, const std::string& point, bool early = false) {
    if (e.killed_by(SIGKILL) || (early && e.killed_by(SIGUSR2))) {
      ++tally_.crashes[point];
      return true;
    }
    diverge(r, "the engine exited with " + std::to_string(e.rc()) + " instead of crashing; log tail:\n" +
                   e.tail());
    return false;
  }

  bool life(const Round& r, const LifeSpec& spec, bool after_crash) {
    if (spec.early_kill_ms > 0) return early_life(r, spec) || after_crash;
    EngineProcess e(engine_argv(r), engine_env(spec.failpoint), r.log);
    const std::string fp_name = spec.failpoint.substr(0, spec.failpoint.rfind(':'));
    bool crashed = false;
    if (!wait_safe(e, r)) {
      if (!e.poll()) return false;  // diverged (never safe)
      if (!spec.failpoint.empty() && e.killed_by(SIGKILL)) ++tally_.crashes_before_safe;
      crashed = count_end(e, r, spec.failpoint.empty() ? "random" : fp_name);
      downtime();
      return crashed || after_crash;
    }
    if (after_crash) {
      tally_.time_to_safe_ms.push_back((e.safe_at() - e.t_spawn()) * 1e3);
      if (!e.quoting()) diverge(r, "after the restart: " + e.safe_line());
      else check(r, e);
    }
    if (e.poll()) {  // died during the check (its failpoint)
      crashed = count_end(e, r, spec.failpoint.empty() ? "random" : fp_name);
      downtime();
      return crashed;
    }
    // A reader beside the live writer: `keel verify` while the engine trades must find the
    // journal intact (a read-only view that raced a flush is taken again, journal.h).
    {
      int rc = 0;
      const std::string out = run_capture(keel_cmd(a_, r, "verify"), &rc, /*err_fd=*/1);
      ++tally_.live_verifies;
      if (rc != 0) {
        diverge(r, "keel verify beside the live engine: exit " + std::to_string(rc) + ": " + out);
      }
    }
    std::uniform_real_distribution<double> run(0, a_.run_max_ms);
    const double until = now_s() + (spec.failpoint.empty() ? run(rng_) : std::max(3000, a_.run_max_ms)) / 1e3;
    while (now_s() < until && !e.poll()) sleep_ms(1);
    std::string point = fp_name;
    if (!e.poll()) {
      if (!spec.failpoint.empty()) ++tally_.not_reached[fp_name];
      point = a_.power_loss ? "random power cut" : "random";
      e.signal(a_.power_loss ? SIGUSR2 : SIGKILL);
      e.wait();
    }
    crashed = count_end(e, r, point);
    downtime();
    return crashed;
  }

  double median_tts_ms() const {
    return tally_.time_to_safe_ms.empty() ? 300 : percentile(tally_.time_to_safe_ms, 0.5);
  }

  // A random kill during start-up (catch-up, reconciliation or the first decisions).
  bool early_life(const Round& r, const LifeSpec& spec) {
    EngineProcess e(engine_argv(r), engine_env(""), r.log);
    const double until = e.t_spawn() + spec.early_kill_ms / 1e3;
    while (now_s() < until && !e.poll()) sleep_ms(1);
    if (!e.poll()) {
      e.signal(a_.power_loss ? SIGUSR2 : SIGKILL);
      e.wait();
    }
    const bool crashed = count_end(e, r, a_.power_loss ? "random power cut (start-up)"
                                                       : "random (start-up)", true);
    downtime();
    return crashed;
  }

  void downtime() {
    std::uniform_real_distribution<double> d(0, a_.down_max_ms);
    sleep_ms(d(rng_));
  }

  void progress(double t0) {
    std::printf("  %.0f s: %d crashes, %d recoveries checked, %d divergences, round %d\n",
                now_s() - t0, tally_.total(), tally_.recoveries_checked, tally_.divergences,
                tally_.rounds);
    std::fflush(stdout);
  }

  void print_table(double seconds) {
    std::ostringstream o;
    o << tally_.table();
    char summary[512];
    std::snprintf(summary, sizeof summary,
                  "\ncrashes %d (%d before the engine was safe), recoveries checked %d "
                  "(%d checks cut short by a failpoint), keel verify beside the live engine %d, "
                  "divergences %d, rounds %d, %.0f s\n"
                  "time-to-safe (restart -> reconciled and quoting): p50 %.1f ms, p99 %.1f ms, "
                  "max %.1f ms over %zu restarts\nmode: speed %s, faults %s, power loss %s, "
                  "run <= %d ms, down <= %d ms, seed %llu\n",
                  tally_.total(), tally_.crashes_before_safe, tally_.recoveries_checked,
                  tally_.checks_interrupted, tally_.live_verifies, tally_.divergences, tally_.rounds, seconds,
                  percentile(tally_.time_to_safe_ms, 0.5), percentile(tally_.time_to_safe_ms, 0.99),
                  percentile(tally_.time_to_safe_ms, 1.0), tally_.time_to_safe_ms.size(),
                  a_.speed.c_str(), a_.faults.empty() ? "none" : a_.faults.c_str(),
                  a_.power_loss ? "on" : "off", a_.run_max_ms, a_.down_max_ms,
                  static_cast<unsigned long long>(a_.seed));
    o << summary;
    std::printf("\n%s", o.str().c_str());
    std::printf("%d passed, %d failed\n", tally_.divergences == 0 ? 1 : 0,
                tally_.divergences == 0 ? 0 : 1);
    if (!a_.report.empty()) std::ofstream(a_.report) << o.str();
  }

  const Args& a_;
  std::mt19937_64 rng_;
  Tally tally_;
};

}  // namespace

int main(int argc, char** argv) {
  Args a;
  if (!parse(argc, argv, a)) {
    std::fprintf(stderr,
                 "usage: keel_sim_crash_campaign --keel BIN --data FILE [--data FILE] --workdir DIR\n"
                 "  [--crashes N] [--failpoint-hits 1,2,3] [--speed X] [--run-max-ms MS]\n"
                 "  [--down-max-ms MS] [--faults SPEC] [--power-loss] [--seed S] [--report FILE]\n");
    return 2;
  }
  return Campaign(a).run();
}
