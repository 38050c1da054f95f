// One Binance connection serving two symbols (issue 10 item 3: an account trades several) against
// the loopback venue (exchange_binance_testvenue.h): exchangeInfo of both in one request, each
// symbol's tick and step used for its requests and its answers, amendAllowed per symbol, a third
// symbol refused unsent, order ids per symbol (Binance numbers them per symbol), executionReports
// of both decoded with their own instrument (a third symbol's skipped), and one combined market
// stream carrying both symbols whose books sync each on its own snapshot (§7 per symbol).
#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <thread>

#include "exchange_binance_testvenue.h"
#include "keel/exchange/binance/binance.h"
#include "keel/market/order_book.h"

namespace keel::exchange::binance {
namespace {

using testing::accept_subscription;
using testing::answer;
using testing::kKey;
using testing::kSecret;
using testing::TestVenue;
using testing::VenueReply;
using testing::VenueRequest;
using testing::WsSession;
using SteadyClock = std::chrono::steady_clock;

// BTCUSDT: tick 0.01, step 0.00001, amendAllowed. ETHUSDT: tick 0.10, step 0.0001, no amend.
const char* kTwoSymbols = R"({"timezone":"UTC","serverTime":1,"rateLimits":[],"exchangeFilters":[],"symbols":[{
  "symbol":"BTCUSDT","status":"TRADING","baseAsset":"BTC","quoteAsset":"USDT",
  "cancelReplaceAllowed":true,"amendAllowed":true,"filters":[
  {"filterType":"PRICE_FILTER","minPrice":"0.01000000","maxPrice":"1000000.00000000","tickSize":"0.01000000"},
  {"filterType":"LOT_SIZE","minQty":"0.00001000","maxQty":"9000.00000000","stepSize":"0.00001000"},
  {"filterType":"NOTIONAL","minNotional":"5.00000000","applyMinToMarket":true,"maxNotional":"9000000.00000000","applyMaxToMarket":false,"avgPriceMins":5}]},{
  "symbol":"ETHUSDT","status":"TRADING","baseAsset":"ETH","quoteAsset":"USDT",
  "cancelReplaceAllowed":true,"amendAllowed":false,"filters":[
  {"filterType":"PRICE_FILTER","minPrice":"0.10000000","maxPrice":"1000000.00000000","tickSize":"0.10000000"},
  {"filterType":"LOT_SIZE","minQty":"0.00010000","maxQty":"9000.00000000","stepSize":"0.00010000"},
  {"filterType":"NOTIONAL","minNotional":"5.00000000","applyMinToMarket":true,"maxNotional":"9000000.00000000","applyMaxToMarket":false,"avgPriceMins":5}]}]})";

std::string param(const VenueRequest& r, const std::string& k) {
  auto it = r.params.find(k);
  return it == r.params.end() ? "" : it->second;
}

// A venue listing both symbols; POST/DELETE /api/v3/order echo the request's symbol, with order
// ids counted per symbol (both symbols' first order is id 1, as on Binance).
void two_symbol_venue(TestVenue& v) {
  v.on("GET /api/v3/exchangeInfo", [](const VenueRequest&) { return answer(200, kTwoSymbols); });
  auto ids = std::make_shared<std::map<std::string, int64_t>>();
  auto mu = std::make_shared<std::mutex>();
  v.on("POST /api/v3/order", [ids, mu](const VenueRequest& r) {
    int64_t id = 0;
    {
      std::lock_guard lock(*mu);
      id = ++(*ids)[param(r, "symbol")];
    }
    return answer(200, R"({"symbol":")" + param(r, "symbol") + R"(","orderId":)" +
                           std::to_string(id) + R"(,"orderListId":-1,"clientOrderId":")" +
                           param(r, "newClientOrderId") +
                           R"(","transactTime":1700000000000,"price":")" + param(r, "price") +
                           R"(","origQty":")" + param(r, "quantity") +
                           R"(","executedQty":"0.00000000","cummulativeQuoteQty":"0.00000000",)"
                           R"("status":"NEW","timeInForce":"GTC","type":"LIMIT_MAKER","side":")" +
                           param(r, "side") + R"(","workingTime":1700000000000})");
  });
  v.on("DELETE /api/v3/order", [](const VenueRequest& r) {
    const bool eth = param(r, "symbol") == "ETHUSDT";
    return answer(200, R"({"symbol":")" + param(r, "symbol") + R"(","origClientOrderId":")" +
                           param(r, "origClientOrderId") +
                           R"(","orderId":1,"orderListId":-1,"clientOrderId":"xcancel",)"
                           R"("transactTime":1700000000001,"price":")" +
                           (eth ? "3000.10000000" : "61000.01000000") + R"(","origQty":")" +
                           (eth ? "0.01230000" : "0.00123000") +
                           R"(","executedQty":"0.00000000","cummulativeQuoteQty":"0.00000000",)"
                           R"("status":"CANCELED","timeInForce":"GTC","type":"LIMIT_MAKER","side":"BUY"})");
  });
}

BinanceConfig two_symbols(const TestVenue& v) {
  BinanceConfig c;
  c.rest_url = v.http_url();
  c.ws_url = v.ws_url();
  c.ws_api_url = v.ws_api_url();
  c.api_key = kKey;
  c.api_secret = kSecret;
  c.symbols = {"BTCUSDT", "ETHUSDT"};
  c.request_timeout_ms = 2000;
  c.market_stream = false;
  c.user_stream = false;
  c.backoff_base_ms = 20;
  c.backoff_cap_ms = 100;
  c.backoff_seed = 1;
  return c;
}

std::unique_ptr<BinanceExchange> connect_or_die(const BinanceConfig& c) {
  auto ex = BinanceExchange::connect(c);
  EXPECT_TRUE(ex.ok()) << ex.status().ToString();
  return ex.ok() ? std::move(*ex) : nullptr;
}

bool eventually(const std::function<bool()>& done, int ms = 5000) {
  const auto until = SteadyClock::now() + std::chrono::milliseconds(ms);
  while (SteadyClock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

TEST(BinanceSymbols, ConnectReadsBothSymbolsInOneExchangeInfoRequest) {
  TestVenue venue;
  two_symbol_venue(venue);
  auto ex = connect_or_die(two_symbols(venue));
  ASSERT_TRUE(ex);
  EXPECT_EQ(venue.count("GET", "/api/v3/exchangeInfo"), 1);
  for (const VenueRequest& r : venue.requests()) {
    if (r.path != "/api/v3/exchangeInfo") continue;
    EXPECT_EQ(r.params.count("symbol"), 0u);
    EXPECT_EQ(param(r, "symbols"), "%5B%22BTCUSDT%22%2C%22ETHUSDT%22%5D");  // ["BTCUSDT","ETHUSDT"]
  }
  EXPECT_EQ(ex->symbols(), (std::vector<std::string>{"BTCUSDT", "ETHUSDT"}));
  EXPECT_EQ(ex->instrument().symbol, "BTCUSDT");  // the primary: symbols[0]
  const Instrument* eth = ex->instrument("ETHUSDT");
  ASSERT_NE(eth, nullptr);
  EXPECT_EQ(eth->tick_e8, 10'000'000);
  EXPECT_EQ(eth->step_e8, 10'000);
  EXPECT_EQ(ex->instrument("BTCUSDT")->tick_e8, 1'000'000);
  EXPECT_EQ(ex->instrument("XRPUSDT"), nullptr);
  EXPECT_EQ(ex->symbol_info("XRPUSDT"), nullptr);
  EXPECT_TRUE(ex->amend_allowed("BTCUSDT"));
  EXPECT_FALSE(ex->amend_allowed("ETHUSDT"));
  EXPECT_FALSE(ex->amend_allowed("XRPUSDT"));
}

TEST(BinanceSymbols, ConfigErrorsNameTheField) {
  TestVenue venue;
  two_symbol_venue(venue);
  BinanceConfig c = two_symbols(venue);
  c.symbol = "ETHUSDT";  // not symbols[0]
  auto e = BinanceExchange::connect(c);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), Code::kInvalidArgument);
  EXPECT_NE(e.status().message().find("symbol: ETHUSDT is not symbols[0] (BTCUSDT)"),
            std::string::npos) << e.status().ToString();
  c = two_symbols(venue);
  c.symbols.push_back("BTCUSDT");
  e = BinanceExchange::connect(c);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("symbols[2]: BTCUSDT is listed twice"), std::string::npos)
      << e.status().ToString();
  c = two_symbols(venue);
  c.market_stream = true;
  c.market_symbols = {"XRPUSDT"};
  e = BinanceExchange::connect(c);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("market_symbols[0]: XRPUSDT is not a served symbol"),
            std::string::npos) << e.status().ToString();
  // A symbol the venue does not list fails connect, naming it.
  c = two_symbols(venue);
  c.symbols.push_back("XRPUSDT");
  e = BinanceExchange::connect(c);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("no entry for XRPUSDT"), std::string::npos)
      << e.status().ToString();
  EXPECT_EQ(venue.count("POST", "/api/v3/order"), 0);
}

TEST(BinanceSymbols, PlaceAndCancelOnBothSymbolsEachWithItsOwnTickAndStep) {
  TestVenue venue;
  two_symbol_venue(venue);
  auto ex = connect_or_die(two_symbols(venue));
  ASSERT_TRUE(ex);
  // 6'100'001 ticks of 0.01 = 61000.01; 123 lots of 0.00001 = 0.00123.
  const PlaceResult btc = ex->place({"BTCUSDT", Side::kBuy, 6'100'001, 123, "k1-a-1"});
  // 30'001 ticks of 0.10 = 3000.1; 123 lots of 0.0001 = 0.0123.
  const PlaceResult eth = ex->place({"ETHUSDT", Side::kBuy, 30'001, 123, "k1-b-1"});
  ASSERT_EQ(btc.outcome, Outcome::kAccepted) << btc.error.msg;
  ASSERT_EQ(eth.outcome, Outcome::kAccepted) << eth.error.msg;
  std::vector<VenueRequest> posts;
  for (const VenueRequest& r : venue.requests()) {
    if (r.method == "POST") posts.push_back(r);
  }
  ASSERT_EQ(posts.size(), 2u);
  EXPECT_EQ(param(posts[0], "symbol"), "BTCUSDT");
  EXPECT_EQ(param(posts[0], "price"), "61000.01000000");
  EXPECT_EQ(param(posts[0], "quantity"), "0.00123000");
  EXPECT_EQ(param(posts[1], "symbol"), "ETHUSDT");
  EXPECT_EQ(param(posts[1], "price"), "3000.10000000");
  EXPECT_EQ(param(posts[1], "quantity"), "0.01230000");
  // Each answer decoded with its own symbol's instrument: the same ticks and lots come back.
  EXPECT_EQ(btc.order.symbol, "BTCUSDT");
  EXPECT_EQ(btc.order.price_ticks, 6'100'001);
  EXPECT_EQ(btc.order.qty_lots, 123);
  EXPECT_EQ(eth.order.symbol, "ETHUSDT");
  EXPECT_EQ(eth.order.price_ticks, 30'001);
  EXPECT_EQ(eth.order.qty_lots, 123);
  EXPECT_EQ(btc.order.order_id, 1);
  EXPECT_EQ(eth.order.order_id, 1);  // ids per symbol

  const CancelResult cb = ex->cancel("BTCUSDT", "k1-a-1");
  const CancelResult ce = ex->cancel("ETHUSDT", "k1-b-1");
  ASSERT_EQ(cb.outcome, Outcome::kAccepted) << cb.error.msg;
  ASSERT_EQ(ce.outcome, Outcome::kAccepted) << ce.error.msg;
  EXPECT_EQ(cb.order.client_order_id, "k1-a-1");
  EXPECT_EQ(cb.order.price_ticks, 6'100'001);
  EXPECT_EQ(cb.order.qty_lots, 123);
  EXPECT_EQ(ce.order.client_order_id, "k1-b-1");
  EXPECT_EQ(ce.order.symbol, "ETHUSDT");
  EXPECT_EQ(ce.order.price_ticks, 30'001);
  EXPECT_EQ(ce.order.qty_lots, 123);
  EXPECT_EQ(ce.order.status, OrderStatus::kCanceled);
}

TEST(BinanceSymbols, AThirdSymbolIsRefusedUnsent) {
  TestVenue venue;
  two_symbol_venue(venue);
  auto ex = connect_or_die(two_symbols(venue));
  ASSERT_TRUE(ex);
  const size_t before = venue.requests().size();
  const PlaceResult p = ex->place({"XRPUSDT", Side::kBuy, 5000, 10, "k1-c-1"});
  EXPECT_EQ(p.outcome, Outcome::kRejected);
  EXPECT_EQ(p.error.http_status, 0);
  EXPECT_EQ(p.error.code, -1121);
  EXPECT_EQ(p.error.msg, "not sent: symbol XRPUSDT is not this connector's (BTCUSDT, ETHUSDT)");
  const CancelResult c = ex->cancel("XRPUSDT", "k1-c-1");
  EXPECT_EQ(c.outcome, Outcome::kRejected);
  EXPECT_EQ(c.error.code, -1121);
  const AmendResult a = ex->amend_keep_priority("XRPUSDT", "k1-c-1", 5);
  EXPECT_EQ(a.outcome, Outcome::kRejected);
  EXPECT_EQ(a.error.code, -1121);
  OrderRequest replacement{"XRPUSDT", Side::kBuy, 5000, 10, "k1-c-2"};
  const ReplaceResult r = ex->cancel_replace("k1-c-1", replacement);
  EXPECT_EQ(r.cancel_outcome, Outcome::kRejected);
  EXPECT_EQ(r.error.code, -1121);
  for (auto s : {ex->open_orders("XRPUSDT").status(), ex->query_order("XRPUSDT", "x").status(),
                 ex->trades_from("XRPUSDT", 0, 10).status(),
                 ex->latest_trade("XRPUSDT").status(), ex->orders_from("XRPUSDT", 0, 10).status(),
                 ex->order_trades("XRPUSDT", 1).status(), ex->depth_snapshot("XRPUSDT").status()}) {
    EXPECT_EQ(s.code(), Code::kInvalidArgument) << s.ToString();
    EXPECT_NE(s.message().find("symbol XRPUSDT is not this connector's (BTCUSDT, ETHUSDT)"),
              std::string::npos) << s.ToString();
  }
  EXPECT_EQ(venue.requests().size(), before);  // the venue never saw any of them
}

// myTrades of ETHUSDT names order 1, which on Binance is ETHUSDT's order 1, not BTCUSDT's: the
// client order ids remembered from the places are per symbol.
TEST(BinanceSymbols, TradesTakeTheClientIdOfTheirOwnSymbolsOrder) {
  TestVenue venue;
  two_symbol_venue(venue);
  venue.on("GET /api/v3/myTrades", [](const VenueRequest& r) {
    if (param(r, "symbol") != "ETHUSDT") return answer(200, "[]");
    return answer(200, R"([{"symbol":"ETHUSDT","id":501,"orderId":1,"orderListId":-1,"price":"3000.10000000","qty":"0.01230000",)"
                       R"("quoteQty":"36.90123000","commission":"0.00369012","commissionAsset":"USDT","time":1700000000000,)"
                       R"("isBuyer":true,"isMaker":true,"isBestMatch":true}])");
  });
  auto ex = connect_or_die(two_symbols(venue));
  ASSERT_TRUE(ex);
  // ETHUSDT's order 1 first, then BTCUSDT's order 1 (a cache by order id alone would answer
  // BTCUSDT's id for the ETHUSDT trade).
  ASSERT_EQ(ex->place({"ETHUSDT", Side::kBuy, 30'001, 123, "k1-b-1"}).outcome, Outcome::kAccepted);
  ASSERT_EQ(ex->place({"BTCUSDT", Side::kBuy, 6'100'001, 123, "k1-a-1"}).outcome, Outcome::kAccepted);
  auto page = ex->trades_from("ETHUSDT", 0, 100);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->trades.size(), 1u);
  const TradeReport& t = page->trades.front();
  EXPECT_EQ(t.client_order_id, "k1-b-1");
  EXPECT_EQ(t.symbol, "ETHUSDT");
  EXPECT_EQ(t.price_ticks, 30'001);
  EXPECT_EQ(t.qty_lots, 123);
  EXPECT_EQ(venue.count("GET", "/api/v3/order"), 0);  // remembered: no query needed
}

// An executionReport (§6) of `symbol`, price `p`, quantity `q`, order id `i`.
std::string exec_report(const char* symbol, const char* cid, const char* p, const char* q,
                        int64_t order_id) {
  return R"({"subscriptionId":0,"event":{"e":"executionReport","E":1700000000001,"s":")" +
         std::string(symbol) + R"(","c":")" + cid +
         R"(","S":"BUY","o":"LIMIT_MAKER","f":"GTC","q":")" + q + R"(","p":")" + p +
         R"(","P":"0.00000000","F":"0.00000000","g":-1,"C":"","x":"TRADE","X":"FILLED","r":"NONE","i":)" +
         std::to_string(order_id) + R"(,"l":")" + q + R"(","z":")" + q + R"(","L":")" + p +
         R"(","n":"0.00100000","N":"USDT","T":1700000000000,"t":)" + std::to_string(order_id + 9000) +
         R"(,"I":1,"w":false,"m":true,"M":false,"O":1700000000000,"Z":"0","Y":"0","Q":"0","W":1700000000000,"V":"NONE"}})";
}

TEST(BinanceSymbols, ExecutionReportsOfBothSymbolsDecodeWithTheirOwnInstrument) {
  TestVenue venue;
  two_symbol_venue(venue);
  std::string error;
  venue.on_ws("/ws-api/v3", [&](WsSession& ws) {
    if (!accept_subscription(ws, error)) return;
    ws.write(exec_report("BTCUSDT", "k1-a-1", "61000.01000000", "0.00123000", 1));
    ws.write(exec_report("XRPUSDT", "other-1", "0.50000000", "10.00000000", 1));  // not served
    ws.write(exec_report("ETHUSDT", "k1-b-1", "3000.10000000", "0.01230000", 1));
    std::string ignored;
    ws.read(ignored);
  });
  BinanceConfig cfg = two_symbols(venue);
  cfg.user_stream = true;
  auto ex = connect_or_die(cfg);
  ASSERT_TRUE(ex);
  std::vector<ExecutionReport> got;
  ASSERT_TRUE(eventually([&] {
    ex->poll_user_events(got);
    return got.size() >= 2;
  })) << got.size() << " reports; " << error << ex->stats().user_stream_error;
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ex->poll_user_events(got);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].order.symbol, "BTCUSDT");
  EXPECT_EQ(got[0].order.client_order_id, "k1-a-1");
  EXPECT_EQ(got[0].order.price_ticks, 6'100'001);
  EXPECT_EQ(got[0].trade.price_ticks, 6'100'001);
  EXPECT_EQ(got[0].trade.qty_lots, 123);
  EXPECT_EQ(got[1].order.symbol, "ETHUSDT");
  EXPECT_EQ(got[1].trade.symbol, "ETHUSDT");
  EXPECT_EQ(got[1].order.client_order_id, "k1-b-1");
  EXPECT_EQ(got[1].order.price_ticks, 30'001);
  EXPECT_EQ(got[1].order.qty_lots, 123);
  EXPECT_EQ(got[1].trade.price_ticks, 30'001);
  EXPECT_EQ(got[1].trade.qty_lots, 123);
  // The third symbol's report was skipped as another market's, as before: not an error, no gap.
  EXPECT_EQ(ex->stats().decode_errors, 0u);
  EXPECT_EQ(ex->gap_recoveries(), 0u);
  EXPECT_TRUE(error.empty()) << error;
}

// ---- Market streams of both symbols on one connection (§7 per symbol) ----------------------

std::string diff(const std::string& symbol, int64_t first, int64_t last, const char* bid) {
  std::string lower = symbol;
  for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return R"({"stream":")" + lower + R"(@depth@100ms","data":{"e":"depthUpdate","E":1672515782136,"s":")" +
         symbol + R"(","U":)" + std::to_string(first) + R"(,"u":)" + std::to_string(last) +
         R"(,"b":[[")" + bid + R"(","1.00000000"]],"a":[]}})";
}

struct Books {
  std::map<std::string, market::OrderBook> book;
  std::map<std::string, int> snapshots;
  int unnamed = 0;  // events without a symbol (must stay 0)
  void take(const market::MarketEvent& ev) {
    if (ev.symbol.empty()) ++unnamed;
    book[ev.symbol].on_event(ev);
    if (std::holds_alternative<market::DepthSnapshot>(ev.body)) ++snapshots[ev.symbol];
  }
  bool at(const std::string& s, int64_t id) {
    return book.count(s) != 0 && book[s].synced() && book[s].last_update_id() == id;
  }
};

bool consume_until(BinanceExchange& ex, Books& b, const std::function<bool()>& done) {
  const auto until = SteadyClock::now() + std::chrono::seconds(5);
  market::MarketEvent ev;
  while (!done() && SteadyClock::now() < until) {
    if (ex.next_market_event(ev, 50)) b.take(ev);
  }
  return done();
}

TEST(BinanceSymbols, MarketStreamsOfBothSymbolsSyncEachBookOnItsOwnSnapshot) {
  TestVenue venue;
  two_symbol_venue(venue);
  // Each symbol's snapshot id lies inside its own first diff: BTCUSDT [101, 105], ETHUSDT
  // [501, 505] (later, after ETHUSDT's gap, [521, 525] holds 523).
  std::atomic<int64_t> eth_snapshot_id{503};
  venue.on("GET /api/v3/depth", [&](const VenueRequest& r) {
    const bool eth = param(r, "symbol") == "ETHUSDT";
    return answer(200, "{\"lastUpdateId\":" + std::to_string(eth ? eth_snapshot_id.load() : 103) +
                           (eth ? R"(,"bids":[["3000.00000000","1.00000000"]],"asks":[["3000.10000000","2.00000000"]]})"
                                : R"(,"bids":[["61000.00000000","1.00000000"]],"asks":[["61000.01000000","2.00000000"]]})"));
  });
  std::string target;
  venue.on_ws("/stream", [&](WsSession& ws) {
    target = ws.target();
    for (int i = 0; i < 4; ++i) {
      ws.write(diff("BTCUSDT", 101 + 5 * i, 105 + 5 * i, "61000.00000000"));
      ws.write(diff("ETHUSDT", 501 + 5 * i, 505 + 5 * i, "3000.00000000"));
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    // Both first snapshots were fetched (one per symbol) before ETHUSDT's id moves on.
    const auto until = SteadyClock::now() + std::chrono::seconds(5);
    while (venue.count("GET", "/api/v3/depth") < 2 && SteadyClock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    // ETHUSDT skips 521..525: only its book resyncs; BTCUSDT goes on from 121.
    eth_snapshot_id.store(528);
    ws.write(diff("ETHUSDT", 526, 530, "3000.10000000"));
    ws.write(diff("BTCUSDT", 121, 125, "61000.00000000"));
    std::string ignored;
    ws.read(ignored);  // until the client leaves
  });
  BinanceConfig cfg = two_symbols(venue);
  cfg.market_stream = true;
  auto ex = connect_or_die(cfg);
  ASSERT_TRUE(ex);
  Books b;
  ASSERT_TRUE(consume_until(*ex, b, [&] { return b.at("BTCUSDT", 120) && b.at("ETHUSDT", 520); }))
      << ex->stats().market_stream_error;
  EXPECT_EQ(target,
            "/stream?streams=btcusdt@depth@100ms/btcusdt@bookTicker/btcusdt@trade/"
            "ethusdt@depth@100ms/ethusdt@bookTicker/ethusdt@trade");
  EXPECT_EQ(b.snapshots["BTCUSDT"], 1);
  EXPECT_EQ(b.snapshots["ETHUSDT"], 1);
  EXPECT_EQ(b.book["ETHUSDT"].best_bid_e8(), 300'000'000'000);
  EXPECT_EQ(b.book["BTCUSDT"].best_bid_e8(), 6'100'000'000'000);
  ASSERT_TRUE(consume_until(*ex, b, [&] { return b.at("BTCUSDT", 125) && b.at("ETHUSDT", 530); }))
      << ex->stats().market_stream_error;
  EXPECT_EQ(b.snapshots["ETHUSDT"], 2);  // resynced by its own snapshot
  EXPECT_EQ(b.snapshots["BTCUSDT"], 1);  // untouched by ETHUSDT's gap
  EXPECT_GE(b.book["ETHUSDT"].gaps(), 1u);
  EXPECT_EQ(b.book["BTCUSDT"].gaps(), 0u);
  EXPECT_EQ(b.unnamed, 0);
  EXPECT_EQ(ex->stats().market_snapshots, 3u);
  EXPECT_EQ(ex->stats().market_connects, 1u);
  EXPECT_EQ(ex->stats().decode_errors, 0u);
}

TEST(BinanceSymbols, MarketSymbolsChooseTheStreamsOfTheConnection) {
  TestVenue venue;
  two_symbol_venue(venue);
  std::string target;
  std::atomic<bool> seen{false};
  venue.on_ws("/stream", [&](WsSession& ws) {
    target = ws.target();
    seen.store(true);
    std::string ignored;
    ws.read(ignored);
  });
  BinanceConfig cfg = two_symbols(venue);
  cfg.market_stream = true;
  cfg.market_symbols = {"ETHUSDT"};  // BTCUSDT's stream is on another account's connection
  auto ex = connect_or_die(cfg);
  ASSERT_TRUE(ex);
  ASSERT_TRUE(eventually([&] { return seen.load(); }));
  EXPECT_EQ(target, "/stream?streams=ethusdt@depth@100ms/ethusdt@bookTicker/ethusdt@trade");
  // Both symbols are still served for requests.
  EXPECT_EQ(ex->place({"BTCUSDT", Side::kBuy, 6'100'001, 123, "k1-a-1"}).outcome,
            Outcome::kAccepted);
}

}  // namespace
}  // namespace keel::exchange::binance
