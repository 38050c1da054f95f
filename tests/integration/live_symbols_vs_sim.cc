// Issue 10 item 3: one Binance account trading two symbols on one connection. `keel sim` serves
// BTCUSDT and ETHUSDT from their recordings; `keel run` trades grid on BTCUSDT and top_of_book on
// ETHUSDT under one account of kind binance (one BinanceExchange for both). At the end, for each
// task, keel must agree with the exchange's ground truth (GET /sim/v1/truth): LOCKED slots <->
// its open orders on its own symbol (same executed qty), no PENDING slot, fills and inventory
// equal to the exchange's trades of its orders; both tasks traded; `keel inspect` shows the
// account's R4 baseline taken over both symbols, and the balances the journal explains equal
// the exchange's, asset by asset (BTC, ETH, USDT: one equation per asset across the symbols).
//
// Usage: keel_live_symbols_vs_sim --keel BIN --btc FILE --eth FILE --workdir DIR [--speed X]
//                                 [--duration S]
#include <simdjson.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "../support/proc.h"

namespace fs = std::filesystem;
using namespace keel::testsupport;

namespace {

struct Args {
  std::string keel, workdir, btc, eth, speed = "20", duration = "15";
};

std::string str(simdjson::dom::element e) { return std::string(std::string_view(e)); }

struct Check {
  int disagreements = 0;
  void fail(const std::string& what) {
    ++disagreements;
    std::printf("  DISAGREE: %s\n", what.c_str());
  }
};

std::string config(int port) {
  const std::string host = "127.0.0.1:" + std::to_string(port);
  return "instruments:\n"
         "  - {symbol: BTCUSDT, base_asset: BTC, quote_asset: USDT, tick_size: \"0.01\","
         " step_size: \"0.00001\", min_notional: \"5\"}\n"
         "  - {symbol: ETHUSDT, base_asset: ETH, quote_asset: USDT, tick_size: \"0.01\","
         " step_size: \"0.0001\", min_notional: \"5\"}\n"
         "exchange:\n  kind: binance\n  rest_url: http://" + host + "\n  ws_url: ws://" + host +
         "\n  ws_api_url: ws://" + host + "/ws-api/v3\n  api_key_env: KEEL_SIM_KEY\n"
         "  api_secret_env: KEEL_SIM_SECRET\n  reconcile_every_ms: 2000\n"
         // The market runs 20 times faster than the venue clock the ORDERS limit counts by:
         // 50 per 10 s would starve both tasks (keel sim does not enforce it).
         "  max_orders_per_10s: 1000\n"
         "tasks:\n"
         "  - id: grid1\n    symbol: BTCUSDT\n    strategy: grid\n"
         "    params: {price_interval: \"5\", order_quantity: \"0.002\", buy_window_size: 5,"
         " sell_window_size: 5, max_open_orders: 20}\n"
         "  - id: tob1\n    symbol: ETHUSDT\n    strategy: top_of_book\n"
         "    params: {qty: \"0.04\", maker_fee: \"0.0001\", max_exposure: \"500\","
         " min_usd_balance: \"1000\"}\n"
         "    max_intents_per_second: 20\n    intent_burst: 40\n";
}

// The exchange's orders and trades of one task (client ids "k2<epoch>-<task>-<seq>" of the
// journal's epochs) on its symbol, checked against the task's view in `keel inspect`.
void check_task(simdjson::dom::element truth, simdjson::dom::element task,
                const std::vector<std::string>& epochs, Check& check) {
  const std::string id = str(task["id"]), symbol = str(task["symbol"]);
  auto ours = [&](const std::string& cid) {
    for (const std::string& e : epochs) {
      if (cid.rfind("k2" + e + "-" + id + "-", 0) == 0) return true;
    }
    return false;
  };
  std::map<std::pair<std::string, int64_t>, std::string> cid_of;  // (symbol, orderId): per symbol
  std::map<std::string, int64_t> open;                            // cid -> executed, e8
  for (auto o : truth["orders"].get_array()) {
    const std::string cid = str(o["clientOrderId"]), status = str(o["status"]);
    cid_of[{str(o["symbol"]), int64_t(o["orderId"])}] = cid;
    if (!ours(cid)) continue;
    if (str(o["symbol"]) != symbol) check.fail(id + ": order " + cid + " on " + str(o["symbol"]));
    if (status == "NEW" || status == "PARTIALLY_FILLED") open[cid] = e8(str(o["executedQty"]));
  }
  int64_t fills = 0, inventory_e8 = 0;
  for (auto tr : truth["trades"].get_array()) {
    if (!ours(cid_of[{str(tr["symbol"]), int64_t(tr["orderId"])}])) continue;
    ++fills;
    const int64_t q = e8(str(tr["qty"]));
    inventory_e8 += bool(tr["isBuyer"]) ? q : -q;
  }
  if (!str(task["halted"]).empty()) check.fail(id + " halted: " + str(task["halted"]));
  std::set<std::string> locked;
  for (auto s : task["slots"].get_array()) {
    const std::string state = str(s["state"]), cid = str(s["client_order_id"]);
    if (state == "PENDING") check.fail(id + ": slot " + cid + " still PENDING");
    if (state != "LOCKED") continue;
    locked.insert(cid);
    auto it = open.find(cid);
    if (it == open.end()) check.fail(id + ": LOCKED " + cid + " is not open on the exchange");
    else if (it->second != e8(str(s["filled_qty"]))) check.fail(id + ": " + cid + " executed qty");
  }
  for (const auto& [cid, executed] : open) {
    if (locked.count(cid) == 0) check.fail(id + ": open order " + cid + " is not a LOCKED slot");
  }
  if (int64_t(task["fills"]) != fills) {
    check.fail(id + ": fills keel " + std::to_string(int64_t(task["fills"])) + ", exchange " +
               std::to_string(fills));
  }
  if (fills == 0) check.fail(id + ": no fill (the run must trade on both symbols)");
  if (e8(str(task["inventory"])) != inventory_e8) check.fail(id + ": inventory differs");
  std::printf("  %s on %s: %zu open orders, %lld fills\n", id.c_str(), symbol.c_str(),
              open.size(), static_cast<long long>(fills));
}

// The account's R4 baseline over both symbols, and its balances equal to the exchange's.
void check_account(simdjson::dom::element truth, simdjson::dom::element account, Check& check) {
  if (!bool(account["baseline"])) check.fail("account: no R4 baseline");
  for (const char* symbol : {"BTCUSDT", "ETHUSDT"}) {
    simdjson::dom::element marks;
    if (account["symbols"][symbol].get(marks) != simdjson::SUCCESS || !bool(marks["baseline"])) {
      check.fail(std::string("account: ") + symbol + " is not in the R4 baseline");
    }
  }
  std::map<std::string, int64_t> venue;
  for (auto b : truth["balances"].get_array()) {
    venue[str(b["asset"])] = e8(str(b["free"])) + e8(str(b["locked"]));
  }
  size_t assets = 0;
  for (auto [asset, amount] : account["expected_balances"].get_object()) {
    ++assets;
    if (venue[std::string(asset)] != e8(str(amount))) {
      check.fail("R4: " + std::string(asset) + " on the exchange " +
                 std::to_string(venue[std::string(asset)]) + ", journal explains " + str(amount));
    }
  }
  if (assets != 3) check.fail("R4: expected balances of BTC, ETH and USDT");
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--keel") a.keel = v;
    else if (k == "--btc") a.btc = v;
    else if (k == "--eth") a.eth = v;
    else if (k == "--workdir") a.workdir = v;
    else if (k == "--speed") a.speed = v;
    else if (k == "--duration") a.duration = v;
  }
  if (a.keel.empty() || a.btc.empty() || a.eth.empty() || a.workdir.empty()) {
    std::fprintf(stderr, "usage: keel_live_symbols_vs_sim --keel BIN --btc FILE --eth FILE "
                         "--workdir DIR [--speed X] [--duration S]\n");
    return 2;
  }
  fs::remove_all(a.workdir);
  fs::create_directories(a.workdir);
  pid_t sim = 0;
  const int port = start_sim({a.keel, "sim", "--listen", "127.0.0.1:0", "--speed", a.speed,
                              "--state", a.workdir + "/sim", "--data", a.btc, "--data", a.eth,
                              "--symbol", "BTCUSDT", "--symbol", "ETHUSDT:0.01:0.0001:5",
                              "--maker-fee", "0.0001"},
                             &sim, true);
  if (port == 0) {
    std::printf("keel sim did not start\n");
    return 1;
  }
  const std::string cfg = a.workdir + "/live.yaml";
  std::ofstream(cfg) << config(port);
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
  std::vector<std::string> epochs;
  for (auto e : in["account"]["epochs"].get_array()) epochs.push_back(str(e));
  size_t tasks = 0;
  for (auto task : in["tasks"].get_array()) {
    ++tasks;
    check_task(t, task, epochs, check);
  }
  if (tasks != 2) check.fail("inspect shows " + std::to_string(tasks) + " tasks, not 2");
  check_account(t, in["account"], check);
  std::printf("live symbols vs sim: %d disagreements\n", check.disagreements);
  return check.disagreements == 0 ? 0 : 1;
}
