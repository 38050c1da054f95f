// Issue 3 item 5: `keel run` through the Binance connector against `keel sim` over loopback,
// on the recorded BTCUSDT data; at the end every slot must agree with the exchange's ground
// truth (GET /sim/v1/truth): LOCKED slots <-> keel's open orders with the same executed qty,
// no PENDING slot left, no open order with keel's prefix unknown to the journal, fills and
// inventory equal to the exchange's trades of keel's orders.
//
// Usage: keel_live_vs_sim --keel BIN --data FILE [--data FILE] --workdir DIR [--speed X]
//                         [--duration S] [--faults SPEC] [--seed N] [--task-yaml YAML]
// --task-yaml: the task's `strategy:` and `params:` lines (indented 4), instead of the grid.
#include <simdjson.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "../support/proc.h"

namespace fs = std::filesystem;
using namespace keel::testsupport;

namespace {

struct Args {
  std::string keel, workdir, speed = "50", duration = "25", faults, seed = "1";
  std::string task_yaml;  // --task-yaml: the task's strategy and params (default: the grid)
  std::vector<std::string> data;
};

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
    else if (k == "--task-yaml") a.task_yaml = v;
  }
  if (a.keel.empty() || a.data.empty() || a.workdir.empty()) {
    std::fprintf(stderr, "usage: keel_live_vs_sim --keel BIN --data FILE... --workdir DIR "
                         "[--speed X] [--duration S] [--faults SPEC] [--seed N]\n");
    return 2;
  }
  fs::remove_all(a.workdir);
  fs::create_directories(a.workdir);
  pid_t sim = 0;
  std::vector<std::string> sim_argv{a.keel, "sim", "--listen", "127.0.0.1:0", "--speed", a.speed,
                                    "--state", a.workdir + "/sim", "--seed", a.seed};
  for (const auto& d : a.data) sim_argv.insert(sim_argv.end(), {"--data", d});
  if (!a.faults.empty()) sim_argv.insert(sim_argv.end(), {"--faults", a.faults});
  const int port = start_sim(sim_argv, &sim, true);
  if (port == 0) {
    std::printf("keel sim did not start\n");
    return 1;
  }
  const std::string cfg = a.workdir + "/live.yaml";
  std::ofstream(cfg) << loopback_config(port, 2000, 1000, a.task_yaml);
  setenv("KEEL_SIM_KEY", "keel-sim-key", 1);
  setenv("KEEL_SIM_SECRET", "keel-sim-secret", 1);
  int rc = 0;
  const std::string summary = run_capture({a.keel, "run", "--config", cfg, "--data-dir",
                                           a.workdir + "/engine", "--duration", a.duration,
                                           "--quiet"}, &rc, 2);
  std::printf("%s", summary.c_str());
  const std::string truth = http(port, "GET", "/sim/v1/truth?account=default");
  int irc = 0;
  const std::string inspect = run_capture({a.keel, "inspect", "--config", cfg, "--data-dir",
                                           a.workdir + "/engine", "--json"}, &irc, 2);
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
  // The exchange's view of keel's orders and trades: ids "k2<epoch>-grid1-<seq>" of the
  // journal's epochs (keel inspect's account.epochs).
  std::vector<std::string> prefixes;
  for (auto e : in["account"]["epochs"].get_array()) prefixes.push_back("k2" + str(e) + "-grid1-");
  auto ours = [&](const std::string& cid) {
    return std::any_of(prefixes.begin(), prefixes.end(),
                       [&](const std::string& p) { return cid.rfind(p, 0) == 0; });
  };
  std::map<int64_t, std::string> cid_of;
  std::map<std::string, std::pair<std::string, int64_t>> open;  // cid -> (status, executed)
  for (auto o : t["orders"].get_array()) {
    const std::string cid = str(o["clientOrderId"]);
    cid_of[int64_t(o["orderId"])] = cid;
    const std::string status = str(o["status"]);
    if (ours(cid) && (status == "NEW" || status == "PARTIALLY_FILLED")) {
      open[cid] = {status, e8(str(o["executedQty"]))};
    }
  }
  int64_t fills = 0, inventory_e8 = 0;
  for (auto tr : t["trades"].get_array()) {
    if (!ours(cid_of[int64_t(tr["orderId"])])) continue;
    ++fills;
    const int64_t q = e8(str(tr["qty"]));
    inventory_e8 += bool(tr["isBuyer"]) ? q : -q;
    if (str(tr["commissionAsset"]) == "BTC") inventory_e8 -= e8(str(tr["commission"]));
  }
  // No request storm: at most 3 cancels of one order (issue 9).
  for (auto [cid, n] : t["cancelRequests"].get_object()) {
    if (int64_t(n) > 3) {
      check.fail("order " + std::string(cid) + " was cancelled " + std::to_string(int64_t(n)) +
                 " times");
    }
  }
  // R4 as keel sees it: the balances its journal explains are the exchange's, exactly.
  std::map<std::string, int64_t> venue_balance;
  for (auto b : t["balances"].get_array()) {
    venue_balance[str(b["asset"])] = e8(str(b["free"])) + e8(str(b["locked"]));
  }
  for (auto [asset, amount] : in["account"]["expected_balances"].get_object()) {
    if (venue_balance[std::string(asset)] != e8(str(amount))) {
      check.fail("R4: " + std::string(asset) + " on the exchange " +
                 std::to_string(venue_balance[std::string(asset)]) + ", journal explains " +
                 str(amount));
    }
  }
  // keel's view.
  auto task = in["tasks"].at(0);
  if (!str(task["halted"]).empty()) check.fail("task halted: " + str(task["halted"]));
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
