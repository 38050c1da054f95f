// `keel sim` serving several symbols (server.h "Symbols"): --symbol specs, exchangeInfo with
// each symbol's filters, per-symbol market endpoints and streams, orders of every symbol on one
// account with shared balances and per-symbol ids, the user stream, a restart, and the real
// BTCUSDT + ETHUSDT recordings merged by receive time.
#include <set>

#include "simserver_testutil.h"

namespace keel::simserver::testutil {
namespace {

using V = http::verb;

Instrument ethusdt() { return *instrument_from_spec("ETHUSDT:0.01:0.0001:5", "", "", ""); }

// The synthetic BTCUSDT market (simserver_testutil.h) as ETHUSDT around 2680 (bid 2680.00 / ask
// 2680.10; trades at 2670.00, m=true, and 2690.00, m=false, every 200 ms: the price map below),
// each line 500 ns after its BTC twin so the merge interleaves them.
std::vector<std::string> eth_market(int seconds) {
  static const std::pair<const char*, const char*> kPrices[] = {
      {"60000.00", "2680.00"}, {"60000.10", "2680.10"}, {"59999.00", "2679.00"},
      {"59998.00", "2678.00"}, {"60001.00", "2681.00"}, {"59990.00", "2670.00"},
      {"60010.00", "2690.00"}};
  std::vector<std::string> out;
  for (std::string line : synthetic_market(seconds)) {
    auto replace_all = [&](const std::string& from, const std::string& to) {
      for (size_t at = line.find(from); at != std::string::npos; at = line.find(from, at + to.size())) {
        line.replace(at, from.size(), to);
      }
    };
    replace_all("btcusdt", "ethusdt");
    replace_all("BTCUSDT", "ETHUSDT");
    for (const auto& [btc, eth] : kPrices) replace_all(btc, eth);
    const size_t space = line.find(' ');
    line = std::to_string(std::stoll(line.substr(0, space)) + 500) + line.substr(space);
    out.push_back(std::move(line));
  }
  return out;
}

std::map<std::string, std::string> filters_of(simdjson::dom::element sym) {
  std::map<std::string, std::string> out;
  for (size_t i = 0; i < Json::size(Json::at(sym, "filters")); ++i) {
    auto f = Json::item(Json::at(sym, "filters"), i);
    const std::string type = Json::str(f, "filterType");
    if (type == "PRICE_FILTER") out["tick"] = Json::str(f, "tickSize");
    if (type == "LOT_SIZE") out["step"] = Json::str(f, "stepSize");
    if (type == "NOTIONAL") out["min_notional"] = Json::str(f, "minNotional");
  }
  return out;
}

class SimServerMultiTest : public SimServerTest {
 protected:
  void SetUp() override {
    SimServerTest::SetUp();
    write_capture(dir_ / "eth.gz", eth_market(300));
  }
  ServerOptions two_symbols() {
    ServerOptions o = default_options();
    o.data_files = {dir_ / "market.gz", dir_ / "eth.gz"};
    o.instruments = {default_instrument(), ethusdt()};
    return o;
  }
  Reply place_on(const std::string& symbol, const std::string& side, const std::string& price,
                 const std::string& qty, const std::string& client_id) {
    return http_->signed_request(V::post, "/api/v3/order",
                                 "symbol=" + symbol + "&side=" + side +
                                     "&type=LIMIT_MAKER&quantity=" + qty + "&price=" + price +
                                     "&newClientOrderId=" + client_id);
  }
  Json order(const std::string& symbol, const std::string& by) {
    return http_->signed_request(V::get, "/api/v3/order", "symbol=" + symbol + "&" + by).json();
  }
  // Waits until both symbols' bookTickers carry a bid.
  void wait_both() {
    for (int i = 0; i < 300; ++i) {
      Json all = http_->get("/api/v3/ticker/bookTicker").json();
      if (Json::size(all.root()) == 2 &&
          Json::str(Json::item(all.root(), 0), "bidPrice") != "0.00000000" &&
          Json::str(Json::item(all.root(), 1), "bidPrice") != "0.00000000") {
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ADD_FAILURE() << "the two markets have no BBO";
  }
};

TEST(SimServerSymbols, SpecsGiveEachSymbolItsFilters) {
  auto eth = instrument_from_spec("ETHUSDT:0.01:0.0001:5", "0.01", "0.00001", "5");
  ASSERT_TRUE(eth.ok()) << eth.status().ToString();
  EXPECT_EQ(eth->base_asset, "ETH");
  EXPECT_EQ(eth->quote_asset, "USDT");
  EXPECT_EQ(eth->tick_e8, 1'000'000);
  EXPECT_EQ(eth->step_e8, 10'000);
  EXPECT_EQ(eth->min_notional_e8, 500'000'000);
  auto btc = instrument_from_spec("BTCUSDT", "0.01", "0.00001", "5");  // the defaults
  ASSERT_TRUE(btc.ok());
  EXPECT_EQ(btc->step_e8, 1'000);
  for (const char* bad : {"ETHUSDT:0.01", "ETHUSDT:0.01:0.0001", "ETHUSDT:0.01:0.0001:5:1",
                          "ETHXYZ", "ETHUSDT:0.01:x:5", "ETHUSDT:0:0.0001:5"}) {
    auto r = instrument_from_spec(bad, "0.01", "0.00001", "5");
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << bad;
    EXPECT_NE(r.status().message().find(std::string("'") + bad + "'"), std::string::npos)
        << r.status().message();
  }
}

TEST_F(SimServerMultiTest, OptionsRefuseASymbolTwiceOrAStrayInstrument) {
  ServerOptions o = two_symbols();
  o.instruments.push_back(ethusdt());
  EXPECT_EQ(SimServer::start(o).status().code(), Code::kInvalidArgument);
  o = two_symbols();
  o.instrument = ethusdt();  // not instruments[0]
  EXPECT_EQ(SimServer::start(o).status().code(), Code::kInvalidArgument);
}

TEST_F(SimServerMultiTest, ExchangeInfoListsEverySymbolWithItsFilters) {
  start(two_symbols());
  Json info = http_->get("/api/v3/exchangeInfo").json();
  ASSERT_EQ(Json::size(info["symbols"]), 2u);
  auto btc = Json::item(info["symbols"], 0);
  auto eth = Json::item(info["symbols"], 1);
  EXPECT_EQ(Json::str(btc, "symbol"), "BTCUSDT");
  EXPECT_EQ(Json::str(eth, "symbol"), "ETHUSDT");
  EXPECT_EQ(Json::str(eth, "baseAsset"), "ETH");
  EXPECT_EQ(filters_of(btc), (std::map<std::string, std::string>{
                                 {"tick", "0.01000000"}, {"step", "0.00001000"},
                                 {"min_notional", "5.00000000"}}));
  EXPECT_EQ(filters_of(eth), (std::map<std::string, std::string>{
                                 {"tick", "0.01000000"}, {"step", "0.00010000"},
                                 {"min_notional", "5.00000000"}}));
  Json one = http_->get("/api/v3/exchangeInfo?symbol=ETHUSDT").json();
  ASSERT_EQ(Json::size(one["symbols"]), 1u);
  EXPECT_EQ(Json::str(Json::item(one["symbols"], 0), "symbol"), "ETHUSDT");
  Json listed =
      http_->get("/api/v3/exchangeInfo?symbols=%5B%22ETHUSDT%22,%22BTCUSDT%22%5D").json();
  ASSERT_EQ(Json::size(listed["symbols"]), 2u);
  EXPECT_EQ(Json::str(Json::item(listed["symbols"], 0), "symbol"), "ETHUSDT");
  EXPECT_EQ(http_->get("/api/v3/exchangeInfo?symbol=XRPUSDT").json().num("code"), -1121);
  EXPECT_EQ(http_->get("/api/v3/depth?symbol=XRPUSDT").json().num("code"), -1121);
}

TEST_F(SimServerMultiTest, MarketEndpointsAndStreamsPerSymbol) {
  start(two_symbols());
  WsClient ws(server_->port(), "/stream?streams=ethusdt@trade/btcusdt@bookTicker");
  wait_both();
  Json eth = http_->get("/api/v3/ticker/bookTicker?symbol=ETHUSDT").json();
  EXPECT_EQ(eth.str("symbol"), "ETHUSDT");
  EXPECT_EQ(eth.str("bidPrice"), "2680.00000000");
  Json btc = http_->get("/api/v3/ticker/bookTicker?symbol=BTCUSDT").json();
  EXPECT_EQ(btc.str("bidPrice"), "60000.00000000");
  Json depth = http_->get("/api/v3/depth?symbol=ETHUSDT&limit=5").json();
  ASSERT_GE(Json::size(depth["bids"]), 1u);
  std::string_view best;
  ASSERT_EQ(Json::item(Json::item(depth["bids"], 0), 0).get_string().get(best), simdjson::SUCCESS);
  EXPECT_EQ(best, "2680.00000000");
  std::set<std::string> seen;  // "<stream> <s>"
  for (int i = 0; i < 20 && seen.size() < 2; ++i) {
    auto msg = ws.read();
    ASSERT_TRUE(msg.has_value());
    Json m(*msg);
    seen.insert(m.str("stream") + " " + Json::str(m["data"], "s"));
  }
  EXPECT_EQ(seen, (std::set<std::string>{"ethusdt@trade ETHUSDT", "btcusdt@bookTicker BTCUSDT"}));
}

TEST_F(SimServerMultiTest, OneAccountTradesBothSymbolsOverSharedBalances) {
  start(two_symbols());
  wait_both();
  Reply key = http_->request(V::post, "/api/v3/userDataStream", "", kKey);
  WsClient user(server_->port(), "/ws/" + key.json().str("listenKey"));
  // A BTC BUY that never fills and an ETH BUY that the next 2670 sell trade fills.
  Reply b = place_on("BTCUSDT", "BUY", "59980.00", "0.01000", "x");  // 599.80 USDT
  ASSERT_EQ(b.status, 200) << b.body;
  EXPECT_EQ(b.json().num("orderId"), 1);
  // ETH's step is 0.0001: 0.00001 ETH is off its LOT_SIZE.
  EXPECT_EQ(place_on("ETHUSDT", "BUY", "2675.00", "0.00001", "y").json().str("msg"),
            "Filter failure: LOT_SIZE");
  Reply e = place_on("ETHUSDT", "BUY", "2675.00", "0.1000", "x");  // 267.50 USDT, same client id
  ASSERT_EQ(e.status, 200) << e.body;
  EXPECT_EQ(e.json().num("orderId"), 1);  // Binance's orderId counts per symbol
  auto report = user.read_until([](const std::string& m) {
    return contains(m, "\"executionReport\"") && contains(m, "\"ETHUSDT\"");
  });
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(Json(*report).str("p"), "2675.00000000");
  EXPECT_EQ(Json(*report).str("q"), "0.10000000");
  // Both orders by their order id 1, each on its own symbol.
  EXPECT_EQ(order("BTCUSDT", "orderId=1").str("price"), "59980.00000000");
  EXPECT_EQ(order("ETHUSDT", "orderId=1").str("price"), "2675.00000000");
  for (int i = 0; i < 100 && order("ETHUSDT", "orderId=1").str("status") != "FILLED"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(order("ETHUSDT", "origClientOrderId=x").str("status"), "FILLED");
  EXPECT_EQ(order("BTCUSDT", "origClientOrderId=x").str("status"), "NEW");
  Json trades = http_->signed_request(V::get, "/api/v3/myTrades", "symbol=ETHUSDT").json();
  ASSERT_EQ(Json::size(trades.root()), 1u);
  EXPECT_EQ(Json::num(Json::item(trades.root(), 0), "id"), 1);
  EXPECT_EQ(Json::size(http_->signed_request(V::get, "/api/v3/myTrades", "symbol=BTCUSDT")
                           .json().root()),
            0u);
  // The account: the BTC BUY locks 599.80 + fee; the ETH BUY spent 267.50 + fee of it.
  Json acct = http_->signed_request(V::get, "/api/v3/account", "omitZeroBalances=true").json();
  std::map<std::string, std::pair<std::string, std::string>> bal;
  for (size_t i = 0; i < Json::size(acct["balances"]); ++i) {
    auto x = Json::item(acct["balances"], i);
    bal[Json::str(x, "asset")] = {Json::str(x, "free"), Json::str(x, "locked")};
  }
  EXPECT_EQ(bal["ETH"].first, "0.10000000");
  EXPECT_EQ(bal["USDT"].second, "600.39980000");                 // 599.80 + 0.5998
  EXPECT_EQ(bal["USDT"].first, "9131.83270000");                 // 10000 - 600.3998 - 267.7675
  Json open = http_->signed_request(V::get, "/api/v3/openOrders", "").json();
  ASSERT_EQ(Json::size(open.root()), 1u);  // every symbol's: the BTC BUY
  EXPECT_EQ(Json::str(Json::item(open.root(), 0), "symbol"), "BTCUSDT");
  Json truth = http_->get("/sim/v1/truth").json();
  EXPECT_EQ(truth.str("symbol"), "BTCUSDT");
  EXPECT_EQ(Json::size(truth["symbols"]), 2u);
  ASSERT_EQ(Json::size(truth["orders"]), 2u);
  EXPECT_EQ(Json::str(Json::item(truth["orders"], 1), "symbol"), "ETHUSDT");
  EXPECT_EQ(Json::str(Json::item(truth["trades"], 0), "symbol"), "ETHUSDT");
}

TEST_F(SimServerMultiTest, RestartKeepsEverySymbolsOrders) {
  start(two_symbols());
  wait_both();
  ASSERT_EQ(place_on("BTCUSDT", "BUY", "59980.00", "0.00100", "r1").status, 200);
  ASSERT_EQ(place_on("ETHUSDT", "BUY", "2660.00", "0.0100", "r2").status, 200);
  ASSERT_EQ(place_on("ETHUSDT", "BUY", "2661.00", "0.0100", "r3").status, 200);
  server_.reset();
  http_.reset();
  // The state holds ETHUSDT orders: a BTCUSDT-only server may not open it.
  EXPECT_EQ(SimServer::start(default_options()).status().code(), Code::kInvalidArgument);
  start(two_symbols());
  EXPECT_EQ(order("ETHUSDT", "orderId=2").str("clientOrderId"), "r3");
  EXPECT_EQ(order("BTCUSDT", "orderId=1").str("clientOrderId"), "r1");
  Reply c = http_->signed_request(V::delete_, "/api/v3/order", "symbol=ETHUSDT&orderId=1");
  ASSERT_EQ(c.status, 200) << c.body;
  EXPECT_EQ(c.json().str("origClientOrderId"), "r2");
  EXPECT_EQ(order("BTCUSDT", "orderId=1").str("status"), "NEW");
}

// The real recordings: BTCUSDT and ETHUSDT of 2024-08-08 (data/README.md), merged.
TEST_F(SimServerMultiTest, ServesTheRealRecordingsMerged) {
  const std::string spot = std::string(KEEL_SHARED_DIR) + "/data/binance/spot/";
  ServerOptions o = two_symbols();
  o.data_files = {spot + "btcusdt_20240808.gz", spot + "ethusdt_20240808.gz"};
  start(o);
  wait_both();
  Json all = http_->get("/api/v3/ticker/bookTicker").json();
  const double btc = std::stod(Json::str(Json::item(all.root(), 0), "bidPrice"));
  const double eth = std::stod(Json::str(Json::item(all.root(), 1), "bidPrice"));
  EXPECT_GT(btc, 61500);
  EXPECT_LT(btc, 62000);
  EXPECT_GT(eth, 2670);
  EXPECT_LT(eth, 2690);
  // Each book syncs on its own snapshot (ETH's 0.22 s, BTC's 0.27 s into the recording).
  auto last_id = [&](const char* symbol) {
    return http_->get(std::string("/api/v3/depth?symbol=") + symbol).json().num("lastUpdateId");
  };
  for (int i = 0; i < 300 && (last_id("ETHUSDT") == 0 || last_id("BTCUSDT") == 0); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_GE(last_id("ETHUSDT"), 35346513512);
  EXPECT_GE(last_id("BTCUSDT"), 50093239218);
}

}  // namespace
}  // namespace keel::simserver::testutil
