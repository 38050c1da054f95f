// `keel sim` account history and money of issue 9: myTrades and allOrders paging like Binance
// over a state made from the real BTCUSDT recording, deposits (POST /sim/v1/deposit with its
// balanceUpdate), and the commission modes on every wire (executionReport n/N, myTrades,
// outboundAccountPosition, GET /api/v3/account, the truth).
#include <algorithm>
#include <filesystem>

#include "exchange_sim_testutil.h"
#include "simserver_testutil.h"

namespace keel::simserver::testutil {
namespace {

using V = http::verb;
namespace simtest = exchange::sim::testutil;

void expect_error(const Reply& r, int status, int code, const std::string& msg) {
  EXPECT_EQ(r.status, status) << r.body;
  Json j = r.json();
  ASSERT_TRUE(j.ok()) << r.body;
  EXPECT_EQ(j.num("code"), code) << r.body;
  EXPECT_EQ(j.str("msg"), msg) << r.body;
}

// The ids ("id" or "orderId") of a JSON array, in order.
std::vector<int64_t> ids(const Reply& r, const char* key) {
  EXPECT_EQ(r.status, 200) << r.body;
  Json j = r.json();
  std::vector<int64_t> out;
  for (size_t i = 0; i < Json::size(j.root()); ++i) out.push_back(Json::num(Json::item(j.root(), i), key));
  return out;
}

std::vector<int64_t> range(int64_t first, int64_t last) {
  std::vector<int64_t> out;
  for (int64_t i = first; i <= last; ++i) out.push_back(i);
  return out;
}

// Subscribes `ws` to the default account's user data (WebSocket API).
void subscribe(WsClient& ws) {
  const std::string ts = std::to_string(SystemClock::instance().realtime_ns() / 1'000'000);
  const std::map<std::string, std::string> params{{"apiKey", kKey}, {"timestamp", ts}};
  ws.send(R"({"id":1,"method":"userDataStream.subscribe.signature","params":{"apiKey":")" +
          std::string(kKey) + R"(","timestamp":)" + ts + R"(,"signature":")" +
          exchange::binance::hmac_sha256_hex(kSecret, exchange::binance::ws_api_payload(params)) +
          R"("}})");
  auto ok = ws.read();
  ASSERT_TRUE(ok && contains(*ok, R"("status":200)"));
}

// --- history over the real recording ----------------------------------------------------------

// The default account's state after quoting through the whole BTCUSDT 2024-08-08 recording
// (SimExchange and the test script of exchange_sim_testutil.h), then `keel sim` over it.
class SimServerHistoryTest : public SimServerTest {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_ / "state");
    exchange::sim::SimOptions so;
    so.instrument = default_instrument();
    so.state_dir = dir_ / "state/default";
    so.account = "default";
    so.initial_balances = default_account().balances;
    auto sim = simtest::open_sim(so);
    ASSERT_NE(sim, nullptr);
    simtest::Script script(23);
    simtest::run(*sim, script, 0, simtest::recording().size());
    truth_ = sim->truth();
    sim.reset();
    ServerOptions o = default_options();
    o.data_files = {simtest::recording_path()};
    start(o);
  }
  Reply trades(const std::string& params) {
    return http_->signed_request(V::get, "/api/v3/myTrades", "symbol=BTCUSDT" + params);
  }
  Reply orders(const std::string& params) {
    return http_->signed_request(V::get, "/api/v3/allOrders", "symbol=BTCUSDT" + params);
  }
  exchange::sim::SimTruth truth_;
};

TEST_F(SimServerHistoryTest, MyTradesPagesLikeBinance) {
  const auto n = static_cast<int64_t>(truth_.trades.size());
  ASSERT_GT(n, 1000) << "the script must trade enough to page";
  // No fromId / startTime / endTime: the most recent `limit` (default 500, max 1000), ascending.
  EXPECT_EQ(ids(trades(""), "id"), range(n - 499, n));
  EXPECT_EQ(ids(trades("&limit=7"), "id"), range(n - 6, n));
  EXPECT_EQ(ids(trades("&limit=1000"), "id"), range(n - 999, n));
  EXPECT_EQ(ids(trades("&limit=5000"), "id"), range(n - 999, n)) << "taken as the maximum";
  expect_error(trades("&limit=0"), 400, -1100,
               "Illegal characters found in parameter 'limit'; legal range is '1-1000'.");
  // fromId: inclusive, the first `limit` from there.
  EXPECT_EQ(ids(trades("&fromId=1"), "id"), range(1, 500));
  EXPECT_EQ(ids(trades("&fromId=1&limit=3"), "id"), range(1, 3));
  EXPECT_EQ(ids(trades("&fromId=" + std::to_string(n - 1)), "id"), range(n - 1, n));
  // orderId: that order's trades (the order with the most fills).
  std::map<int64_t, std::vector<int64_t>> by_order;
  for (const auto& t : truth_.trades) by_order[t.order_id].push_back(t.trade_id);
  auto most = std::max_element(by_order.begin(), by_order.end(), [](const auto& a, const auto& b) {
    return a.second.size() < b.second.size();
  });
  EXPECT_EQ(ids(trades("&orderId=" + std::to_string(most->first)), "id"), most->second);
  expect_error(trades("&orderId=1&startTime=1"), 400, -1128,
               "Combination of optional parameters invalid.");
  // startTime / endTime (ms, inclusive): the first `limit` from startTime; endTime alone: the
  // most recent up to it.
  auto ms = [&](int64_t id) { return truth_.trades[static_cast<size_t>(id - 1)].ts_exchange_ns / 1'000'000; };
  const int64_t from_ms = ms(n / 3), to_ms = ms(n / 3 + 40);
  std::vector<int64_t> window, upto;
  for (const auto& t : truth_.trades) {
    const int64_t tm = t.ts_exchange_ns / 1'000'000;
    if (tm >= from_ms && tm <= to_ms) window.push_back(t.trade_id);
    if (tm <= to_ms) upto.push_back(t.trade_id);
  }
  ASSERT_GE(window.size(), 41u);
  EXPECT_EQ(ids(trades("&startTime=" + std::to_string(from_ms) + "&endTime=" + std::to_string(to_ms)), "id"),
            window);
  EXPECT_EQ(ids(trades("&startTime=" + std::to_string(from_ms) + "&endTime=" + std::to_string(to_ms) +
                       "&limit=5"),
                "id"),
            std::vector<int64_t>(window.begin(), window.begin() + 5));
  const auto from_start = ids(trades("&startTime=" + std::to_string(from_ms)), "id");
  EXPECT_EQ(from_start, range(window.front(), window.front() + 499));
  EXPECT_EQ(ids(trades("&endTime=" + std::to_string(to_ms) + "&limit=10"), "id"),
            std::vector<int64_t>(upto.end() - 10, upto.end()));
  expect_error(trades("&startTime=1000&endTime=" + std::to_string(1000 + 86'400'001)), 400, -1127,
               "More than 24 hours between startTime and endTime.");
  EXPECT_EQ(trades("&startTime=1000&endTime=" + std::to_string(1000 + 86'400'000)).status, 200);
  // The page agrees with the truth, field by field.
  Json last = trades("&limit=1").json();
  const auto& t = truth_.trades.back();
  auto e = Json::item(last.root(), 0);
  EXPECT_EQ(Json::num(e, "orderId"), t.order_id);
  EXPECT_EQ(Json::str(e, "qty"), default_instrument().format_qty(t.qty_lots));
  EXPECT_EQ(Json::str(e, "commission"), format_fixed(t.commission_e8, 8, 8));
  EXPECT_EQ(Json::str(e, "commissionAsset"), "USDT");
}

TEST_F(SimServerHistoryTest, AllOrdersPagesLikeBinance) {
  const auto m = static_cast<int64_t>(truth_.orders.size());
  ASSERT_GT(m, 1000);
  EXPECT_EQ(ids(orders(""), "orderId"), range(m - 499, m));
  EXPECT_EQ(ids(orders("&limit=1000"), "orderId"), range(m - 999, m));
  EXPECT_EQ(ids(orders("&limit=20000"), "orderId"), range(m - 999, m));
  EXPECT_EQ(ids(orders("&orderId=1&limit=10"), "orderId"), range(1, 10));
  EXPECT_EQ(ids(orders("&orderId=" + std::to_string(m - 2)), "orderId"), range(m - 2, m));
  EXPECT_TRUE(ids(orders("&orderId=" + std::to_string(m + 1)), "orderId").empty());
  // Every order's shape is GET /api/v3/order's, with the same values.
  Reply page = orders("&orderId=5&limit=1");
  Reply one = http_->signed_request(V::get, "/api/v3/order", "symbol=BTCUSDT&orderId=5");
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(page.body, "[" + one.body + "]");
  // startTime / endTime select by the order's "time".
  std::vector<std::pair<int64_t, int64_t>> all;  // (orderId, time)
  for (int64_t from = 1; from <= m; from += 1000) {
    Json j = orders("&orderId=" + std::to_string(from) + "&limit=1000").json();
    for (size_t i = 0; i < Json::size(j.root()); ++i) {
      auto o = Json::item(j.root(), i);
      all.emplace_back(Json::num(o, "orderId"), Json::num(o, "time"));
    }
  }
  ASSERT_EQ(static_cast<int64_t>(all.size()), m);
  const int64_t from_ms = all[static_cast<size_t>(m / 2)].second;
  const int64_t to_ms = from_ms + 60'000;
  std::vector<int64_t> window;
  for (const auto& [id, tm] : all) {
    if (tm >= from_ms && tm <= to_ms) window.push_back(id);
  }
  ASSERT_FALSE(window.empty());
  if (window.size() > 500) window.resize(500);
  EXPECT_EQ(ids(orders("&startTime=" + std::to_string(from_ms) + "&endTime=" + std::to_string(to_ms)),
                "orderId"),
            window);
  expect_error(orders("&startTime=0&endTime=86400001"), 400, -1127,
               "More than 24 hours between startTime and endTime.");
  expect_error(http_->signed_request(V::get, "/api/v3/allOrders", ""), 400, -1102,
               "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.");
  Reply w1 = orders("&limit=1");
  Reply w2 = orders("&limit=1");
  const int64_t used1 = std::stoll(w1.header("X-MBX-USED-WEIGHT-1M"));
  const int64_t used2 = std::stoll(w2.header("X-MBX-USED-WEIGHT-1M"));
  EXPECT_TRUE(used2 - used1 == 20 || used2 == 20) << used1 << " -> " << used2 << ": weight 20";
}

// --- deposits ---------------------------------------------------------------------------------

TEST_F(SimServerTest, DepositsAndWithdrawalsWithBalanceUpdates) {
  ServerOptions o = default_options();
  start(o);
  WsClient ws(server_->port(), "/ws-api/v3");
  subscribe(ws);
  auto deposit = [&](const std::string& params) {
    return http_->request(V::post, "/sim/v1/deposit?" + params);
  };
  Reply d = deposit("account=default&asset=USDT&amount=100.5");
  ASSERT_EQ(d.status, 200) << d.body;
  Json dj = d.json();
  EXPECT_EQ(dj.str("asset"), "USDT");
  EXPECT_EQ(dj.str("amount"), "100.50000000");
  EXPECT_EQ(dj.str("free"), "10100.50000000");
  const int64_t at_ms = dj.num("time");
  auto bu = ws.read();
  ASSERT_TRUE(bu);
  EXPECT_EQ(*bu, R"({"subscriptionId":0,"event":{"e":"balanceUpdate","E":)" + std::to_string(at_ms) +
                     R"(,"a":"USDT","d":"100.50000000","T":)" + std::to_string(at_ms) + "}}");
  auto pos = ws.read();
  ASSERT_TRUE(pos);
  EXPECT_TRUE(contains(*pos, R"("e":"outboundAccountPosition")")) << *pos;
  EXPECT_TRUE(contains(*pos, R"("B":[{"a":"USDT","f":"10100.50000000","l":"0.00000000"}]})")) << *pos;
  // A withdrawal, in the body this time; then one beyond the free balance.
  Reply w = http_->request(V::post, "/sim/v1/deposit", "asset=BTC&amount=-0.25");
  ASSERT_EQ(w.status, 200) << w.body;
  EXPECT_EQ(w.json().str("free"), "0.75000000");
  auto wu = ws.read_until([](const std::string& m) { return contains(m, "balanceUpdate"); });
  ASSERT_TRUE(wu);
  EXPECT_TRUE(contains(*wu, R"("a":"BTC","d":"-0.25000000")")) << *wu;
  ASSERT_EQ(place("SELL", "60020", "0.5", "s").status, 200);  // locks 0.5 of the 0.75
  expect_error(deposit("asset=BTC&amount=-0.25000001"), 400, -2010,
               "Account has insufficient balance for requested action.");
  ASSERT_EQ(deposit("asset=BNB&amount=2").status, 200);
  expect_error(deposit("asset=USDT"), 400, -1102,
               "Mandatory parameter 'amount' was not sent, was empty/null, or malformed.");
  expect_error(deposit("amount=1"), 400, -1102,
               "Mandatory parameter 'asset' was not sent, was empty/null, or malformed.");
  EXPECT_EQ(deposit("asset=USDT&amount=1e3").status, 400);
  EXPECT_EQ(deposit("asset=USDT&amount=0.000000001").status, 400);
  expect_error(deposit("asset=USDT&amount=0"), 400, -1130,
               "Data sent for parameter 'amount' is not valid.");
  EXPECT_EQ(deposit("asset=usdt&amount=1").status, 400);
  EXPECT_EQ(deposit("account=nobody&asset=USDT&amount=1").status, 404);

  Json acct = http_->signed_request(V::get, "/api/v3/account", "").json();
  std::map<std::string, std::string> free;
  for (size_t i = 0; i < Json::size(acct["balances"]); ++i) {
    auto b = Json::item(acct["balances"], i);
    free[Json::str(b, "asset")] = Json::str(b, "free");
  }
  EXPECT_EQ(free["BNB"], "2.00000000");
  EXPECT_EQ(free["BTC"], "0.25000000");
  EXPECT_EQ(free["USDT"], "10100.50000000");
  auto deposits_of = [&] {
    Json t = http_->get("/sim/v1/truth").json();
    std::vector<std::string> out;
    for (size_t i = 0; i < Json::size(t["deposits"]); ++i) {
      auto e = Json::item(t["deposits"], i);
      out.push_back(Json::str(e, "asset") + " " + Json::str(e, "amount"));
    }
    return out;
  };
  const std::vector<std::string> expected = {"USDT 100.50000000", "BTC -0.25000000", "BNB 2.00000000"};
  EXPECT_EQ(deposits_of(), expected);
  // Persisted: a restart keeps them and the balances.
  http_.reset();
  server_.reset();
  start(o);
  EXPECT_EQ(deposits_of(), expected);
  EXPECT_TRUE(contains(http_->signed_request(V::get, "/api/v3/account", "").body,
                       R"({"asset":"BNB","free":"2.00000000","locked":"0.00000000"})"));
}

TEST_F(SimServerTest, BalanceUpdatesGoThroughTheEventFaults) {
  ServerOptions o = default_options();
  o.faults.dup = 1;
  start(o);
  WsClient ws(server_->port(), "/ws-api/v3");
  subscribe(ws);
  ASSERT_EQ(http_->request(V::post, "/sim/v1/deposit?asset=USDT&amount=1").status, 200);
  std::vector<std::string> got;
  while (got.size() < 4) {
    auto m = ws.read(std::chrono::milliseconds(1500));
    if (!m) break;
    got.push_back(*m);
  }
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[0], got[1]);
  EXPECT_TRUE(contains(got[0], "balanceUpdate"));
  EXPECT_EQ(got[2], got[3]);
  EXPECT_TRUE(contains(got[2], "outboundAccountPosition"));
}

// --- commission on the wire -------------------------------------------------------------------

// A BUY that fills (59995: the next sell trade at 59990 goes through it) and a SELL that fills
// (60005: the buy trade at 60010), each seen on the stream; returns the two TRADE events.
using PlaceFn = std::function<Reply(const std::string&, const std::string&, const std::string&)>;
std::pair<Json, Json> buy_and_sell(WsClient& ws, const PlaceFn& place) {
  EXPECT_EQ(place("BUY", "59995", "b").status, 200);
  auto buy = ws.read_until([](const std::string& m) { return contains(m, R"("x":"TRADE")"); });
  EXPECT_TRUE(buy);
  EXPECT_EQ(place("SELL", "60005", "s").status, 200);
  auto sell = ws.read_until([](const std::string& m) { return contains(m, R"("x":"TRADE")"); });
  EXPECT_TRUE(sell);
  return {Json(buy.value_or("{}")), Json(sell.value_or("{}"))};
}

class SimServerCommissionTest : public SimServerTest {
 protected:
  Reply place_one(const std::string& side, const std::string& price, const std::string& id) {
    return place(side, price, "0.001", id);
  }
  // myTrades' (commission, commissionAsset) and the truth's, which must agree.
  std::vector<std::string> commissions() {
    Json mine = http_->signed_request(V::get, "/api/v3/myTrades", "symbol=BTCUSDT").json();
    Json truth = http_->get("/sim/v1/truth").json();
    std::vector<std::string> out;
    EXPECT_EQ(Json::size(mine.root()), Json::size(truth["trades"]));
    for (size_t i = 0; i < Json::size(mine.root()); ++i) {
      auto a = Json::item(mine.root(), i);
      auto b = Json::item(truth["trades"], i);
      EXPECT_EQ(Json::str(a, "commission"), Json::str(b, "commission"));
      EXPECT_EQ(Json::str(a, "commissionAsset"), Json::str(b, "commissionAsset"));
      out.push_back(Json::str(a, "commission") + " " + Json::str(a, "commissionAsset"));
    }
    return out;
  }
  std::map<std::string, std::string> account_free() {
    Json acct = http_->signed_request(V::get, "/api/v3/account", "").json();
    std::map<std::string, std::string> out;
    for (size_t i = 0; i < Json::size(acct["balances"]); ++i) {
      auto b = Json::item(acct["balances"], i);
      out[Json::str(b, "asset")] = Json::str(b, "free") + "/" + Json::str(b, "locked");
    }
    return out;
  }
};

TEST_F(SimServerCommissionTest, BaseModeOnEveryWire) {
  ServerOptions o = default_options();
  o.commission_mode = exchange::sim::CommissionMode::kBase;
  start(o);
  WsClient ws(server_->port(), "/ws-api/v3");
  subscribe(ws);
  ASSERT_EQ(place("BUY", "59980", "0.001", "locked").status, 200);  // never fills
  EXPECT_EQ(account_free()["USDT"], "9940.02000000/59.98000000") << "only the notional locked";
  ASSERT_EQ(http_->signed_request(V::delete_, "/api/v3/order", "symbol=BTCUSDT&origClientOrderId=locked").status, 200);
  auto [buy, sell] = buy_and_sell(ws, [&](const std::string& side, const std::string& price,
                                            const std::string& id) { return place_one(side, price, id); });
  EXPECT_EQ(Json::str(buy["event"], "n"), "0.00000100");  // 0.001 BTC x 0.001
  EXPECT_EQ(Json::str(buy["event"], "N"), "BTC");
  EXPECT_EQ(Json::str(sell["event"], "n"), "0.06000500");  // 60.005 USDT x 0.001
  EXPECT_EQ(Json::str(sell["event"], "N"), "USDT");
  EXPECT_EQ(commissions(), (std::vector<std::string>{"0.00000100 BTC", "0.06000500 USDT"}));
  // BTC: 1 + 0.001 - 0.000001 - 0.001; USDT: 10000 - 59.995 + 60.005 - 0.060005.
  const auto free = account_free();
  EXPECT_EQ(free.at("BTC"), "0.99999900/0.00000000");
  EXPECT_EQ(free.at("USDT"), "9999.94999500/0.00000000");
  Json truth = http_->get("/sim/v1/truth").json();
  EXPECT_EQ(truth.str("commissionAsset"), "base");
  EXPECT_TRUE(contains(http_->get("/sim/v1/truth").body,
                       R"({"asset":"BTC","free":"0.99999900","locked":"0.00000000"})"));
}

TEST_F(SimServerCommissionTest, OtherAssetModeOnEveryWireAndItsFallback) {
  ServerOptions o = default_options();
  AccountConfig a = default_account();
  a.balances["BNB"].free_e8 = 15'000;  // 0.00015 BNB: pays one fill (0.00011999), not two
  o.accounts = {a};
  o.commission_mode = exchange::sim::CommissionMode::kOther;
  o.commission_asset = "BNB";
  o.commission_asset_price_e8 = 500 * kOneE8;
  start(o);
  WsClient ws(server_->port(), "/ws-api/v3");
  subscribe(ws);
  auto [buy, sell] = buy_and_sell(ws, [&](const std::string& side, const std::string& price,
                                            const std::string& id) { return place_one(side, price, id); });
  // 59.995 x 0.001 = 0.059995 USDT = 0.00011999 BNB at 500.
  EXPECT_EQ(Json::str(buy["event"], "n"), "0.00011999");
  EXPECT_EQ(Json::str(buy["event"], "N"), "BNB");
  // The SELL's 0.00012001 BNB exceeds the 0.00003001 left: paid in USDT, the asset received.
  EXPECT_EQ(Json::str(sell["event"], "n"), "0.06000500");
  EXPECT_EQ(Json::str(sell["event"], "N"), "USDT");
  EXPECT_EQ(commissions(), (std::vector<std::string>{"0.00011999 BNB", "0.06000500 USDT"}));
  const auto free = account_free();
  EXPECT_EQ(free.at("BNB"), "0.00003001/0.00000000");
  EXPECT_EQ(free.at("BTC"), "1.00000000/0.00000000");
  EXPECT_EQ(free.at("USDT"), "9999.94999500/0.00000000");
  EXPECT_EQ(http_->get("/sim/v1/truth").json().str("commissionAsset"), "BNB:500");
}

TEST_F(SimServerCommissionTest, PositionAfterAFillPaidInAnotherAssetListsIt) {
  ServerOptions o = default_options();
  AccountConfig a = default_account();
  a.balances["BNB"].free_e8 = kOneE8;
  o.accounts = {a};
  o.commission_mode = exchange::sim::CommissionMode::kOther;
  o.commission_asset = "BNB";
  o.commission_asset_price_e8 = 500 * kOneE8;
  start(o);
  WsClient ws(server_->port(), "/ws-api/v3");
  subscribe(ws);
  ASSERT_EQ(place("BUY", "59995", "0.001", "b").status, 200);
  auto created = ws.read_until([](const std::string& m) { return contains(m, "outboundAccountPosition"); });
  ASSERT_TRUE(created);
  EXPECT_FALSE(contains(*created, R"("a":"BNB")")) << "a NEW does not touch BNB: " << *created;
  ASSERT_TRUE(ws.read_until([](const std::string& m) { return contains(m, R"("x":"TRADE")"); }));
  auto after = ws.read_until([](const std::string& m) { return contains(m, "outboundAccountPosition"); });
  ASSERT_TRUE(after);
  EXPECT_TRUE(contains(*after, R"({"a":"BNB","f":"0.99988001","l":"0.00000000"})")) << *after;
}

}  // namespace
}  // namespace keel::simserver::testutil
