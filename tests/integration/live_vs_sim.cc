// Issue 3 item 5: `keel run` through the Binance connector against `keel sim` over loopback,
// on the recorded BTCUSDT data; at the end every slot must agree with the exchange's ground
// truth (GET /sim/v1/truth): LOCKED slots <-> keel's open orders with the same executed qty,
// no PENDING slot left, no open order with keel's prefix unknown to the journal, fills and
// inventory equal to the exchange's trades of keel's orders.
//
// Usage: keel_live_vs_sim --keel BIN --data FILE [--data FILE] --workdir DIR [--speed X]
//                         [--duration S] [--faults SPEC] [--seed N]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <simdjson.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

struct Args {
  std::string keel, workdir, speed = "50", duration = "25", faults, seed = "1";
  std::vector<std::string> data;
};

pid_t spawn(const std::vector<std::string>& argv, int out_fd) {
  const pid_t pid = fork();
  if (pid == 0) {
    if (out_fd >= 0) dup2(out_fd, 1);
    std::vector<char*> a;
    for (const std::string& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    execv(a[0], a.data());
    _exit(127);
  }
  return pid;
}

int wait_exit(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string run_capture(const std::vector<std::string>& argv, int* rc) {
  int fds[2];
  if (pipe(fds) != 0) return "";
  const pid_t pid = spawn(argv, fds[1]);
  close(fds[1]);
  std::string out;
  char buf[65536];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, n);
  close(fds[0]);
  *rc = wait_exit(pid);
  return out;
}

// Starts keel sim and returns its port (0 on failure); the sim's stdout is read until the
// "listening on 127.0.0.1:PORT" line.
int start_sim(const Args& a, pid_t* pid) {
  std::vector<std::string> argv{a.keel, "sim", "--listen", "127.0.0.1:0", "--speed", a.speed,
                                "--state", a.workdir + "/sim", "--seed", a.seed};
  for (const auto& d : a.data) argv.insert(argv.end(), {"--data", d});
  if (!a.faults.empty()) argv.insert(argv.end(), {"--faults", a.faults});
  int fds[2];
  if (pipe(fds) != 0) return 0;
  *pid = spawn(argv, fds[1]);
  close(fds[1]);
  FILE* in = fdopen(fds[0], "r");
  char line[512];
  int port = 0;
  while (port == 0 && std::fgets(line, sizeof line, in) != nullptr) {
    std::fputs(line, stdout);
    if (const char* p = std::strstr(line, "listening on 127.0.0.1:")) port = std::atoi(p + 23);
  }
  // Keep draining the sim's stdout in the background so it never blocks on a full pipe.
  if (fork() == 0) {
    while (std::fgets(line, sizeof line, in) != nullptr) {}
    _exit(0);
  }
  std::fclose(in);
  return port;
}

std::string http_get(int port, const std::string& target) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return "";
  const std::string req = "GET " + target + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  (void)!write(fd, req.data(), req.size());
  std::string out;
  char buf[65536];
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) out.append(buf, n);
  close(fd);
  const size_t body = out.find("\r\n\r\n");
  return body == std::string::npos ? "" : out.substr(body + 4);
}

void write_config(int port, const std::string& path) {
  const std::string host = "127.0.0.1:" + std::to_string(port);
  std::ofstream(path) << "instrument: {symbol: BTCUSDT, base_asset: BTC, quote_asset: USDT,"
                         " tick_size: \"0.01\", step_size: \"0.00001\", min_notional: \"5\"}\n"
                      << "exchange:\n  kind: binance\n  rest_url: http://" << host
                      << "\n  ws_url: ws://" << host << "\n  ws_api_url: ws://" << host
                      << "/ws-api/v3\n  api_key_env: KEEL_SIM_KEY\n"
                      << "  api_secret_env: KEEL_SIM_SECRET\n  reconcile_every_ms: 2000\n"
                      << "tasks:\n  - id: grid1\n    strategy: grid\n    params: {price_interval:"
                         " \"5\", order_quantity: \"0.002\", buy_window_size: 5,"
                         " sell_window_size: 5, max_open_orders: 20}\n";
}

int64_t e8(std::string_view s) {  // exact decimal -> 1e-8 units (these strings are plain)
  int64_t whole = 0, frac = 0;
  int digits = 0;
  bool neg = !s.empty() && s[0] == '-';
  size_t i = neg ? 1 : 0;
  for (; i < s.size() && s[i] != '.'; ++i) whole = whole * 10 + (s[i] - '0');
  for (++i; i < s.size() && digits < 8; ++i, ++digits) frac = frac * 10 + (s[i] - '0');
  for (; digits < 8; ++digits) frac *= 10;
  const int64_t v = whole * 100'000'000 + frac;
  return neg ? -v : v;
}

std::string str(simdjson::dom::element e) { return std::string(std::string_view(e)); }

struct Check {
  int disagreements = 0;
  void fail(const std::string& what) {
    ++disagreements;
    std::printf("  DISAGREE: %s\n", what.c_str());
  }
};

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--keel") a.keel = v;
    else if (k == "--data") a.data.push_back(v);
    else if (k == "--workdir") a.workdir = v;
    else if (k == "--speed") a.speed = v;
    else if (k == "--duration") a.duration = v;
    else if (k == "--faults") a.faults = v;
    else if (k == "--seed") a.seed = v;
  }
  if (a.keel.empty() || a.data.empty() || a.workdir.empty()) {
    std::fprintf(stderr, "usage: keel_live_vs_sim --keel BIN --data FILE... --workdir DIR "
                         "[--speed X] [--duration S] [--faults SPEC] [--seed N]\n");
    return 2;
  }
  fs::remove_all(a.workdir);
  fs::create_directories(a.workdir);
  pid_t sim = 0;
  const int port = start_sim(a, &sim);
  if (port == 0) {
    std::printf("keel sim did not start\n");
    return 1;
  }
  const std::string cfg = a.workdir + "/live.yaml";
  write_config(port, cfg);
  setenv("KEEL_SIM_KEY", "keel-sim-key", 1);
  setenv("KEEL_SIM_SECRET", "keel-sim-secret", 1);
  int rc = 0;
  const std::string summary = run_capture({a.keel, "run", "--config", cfg, "--data-dir",
                                           a.workdir + "/engine", "--duration", a.duration,
                                           "--quiet"}, &rc);
  std::printf("%s", summary.c_str());
  const std::string truth = http_get(port, "/sim/v1/truth?account=default");
  int irc = 0;
  const std::string inspect = run_capture({a.keel, "inspect", "--config", cfg, "--data-dir",
                                           a.workdir + "/engine", "--json"}, &irc);
  kill(sim, SIGTERM);
  wait_exit(sim);
  if (rc != 0 || irc != 0 || truth.empty()) {
    std::printf("keel run exit %d, inspect exit %d, truth %zu bytes\n", rc, irc, truth.size());
    return 1;
  }
  Check check;
  simdjson::dom::parser tp, ip;
  simdjson::dom::element t = tp.parse(truth);
  simdjson::dom::element in = ip.parse(inspect);
  // The exchange's view of keel's orders and trades.
  const std::string prefix = "k1-grid1-";
  std::map<int64_t, std::string> cid_of;
  std::map<std::string, std::pair<std::string, int64_t>> open;  // cid -> (status, executed)
  for (auto o : t["orders"].get_array()) {
    const std::string cid = str(o["clientOrderId"]);
    cid_of[int64_t(o["orderId"])] = cid;
    const std::string status = str(o["status"]);
    if (cid.rfind(prefix, 0) == 0 && (status == "NEW" || status == "PARTIALLY_FILLED")) {
      open[cid] = {status, e8(str(o["executedQty"]))};
    }
  }
  int64_t fills = 0, inventory_e8 = 0;
  for (auto tr : t["trades"].get_array()) {
    if (cid_of[int64_t(tr["orderId"])].rfind(prefix, 0) != 0) continue;
    ++fills;
    const int64_t q = e8(str(tr["qty"]));
    inventory_e8 += bool(tr["isBuyer"]) ? q : -q;
  }
  // keel's view.
  auto task = in["tasks"].at(0);
  std::set<std::string> locked;
  size_t slots = 0;
  for (auto s : task["slots"].get_array()) {
    ++slots;
    const std::string state = str(s["state"]);
    const std::string cid = str(s["client_order_id"]);
    if (state == "PENDING") check.fail("slot " + cid + " still PENDING");
    if (state != "LOCKED") continue;
    locked.insert(cid);
    auto it = open.find(cid);
    if (it == open.end()) check.fail("LOCKED " + cid + " is not open on the exchange");
    else if (it->second.second != e8(str(s["filled_qty"])))
      check.fail("LOCKED " + cid + " executed qty differs");
  }
  for (const auto& [cid, st] : open) {
    if (locked.count(cid) == 0) check.fail("open order " + cid + " is not a LOCKED slot");
  }
  if (int64_t(task["fills"]) != fills) {
    check.fail("fills: keel " + std::to_string(int64_t(task["fills"])) + ", exchange " +
               std::to_string(fills));
  }
  if (e8(str(task["inventory"])) != inventory_e8) check.fail("inventory differs");
  std::printf("live vs sim: %zu slots, %zu open orders, %lld fills, %d disagreements\n", slots,
              open.size(), static_cast<long long>(fills), check.disagreements);
  std::printf("%d passed, %d failed\n", check.disagreements == 0 ? 1 : 0,
              check.disagreements == 0 ? 0 : 1);
  return check.disagreements == 0 && fills > 0 ? 0 : 1;
}
