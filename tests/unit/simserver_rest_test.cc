// `keel sim` REST (binance-spot.md §1-§5) against an in-process server on port 0: signature
// accepted / rejected, parameter errors, post-only reject, the place / query / cancel round trip
// with exact JSON fields and headers, cancelReplace, amend, cancel-all, myTrades fromId, the
// account, the public endpoints and the truth endpoint.
#include <set>

#include "simserver_testutil.h"

namespace keel::simserver::testutil {
namespace {

using V = http::verb;

std::set<std::string> key_set(simdjson::dom::element e) {
  auto k = Json::keys(e);
  return {k.begin(), k.end()};
}

void expect_error(const Reply& r, int status, int code, const std::string& msg) {
  EXPECT_EQ(r.status, status) << r.body;
  Json j = r.json();
  ASSERT_TRUE(j.ok()) << r.body;
  EXPECT_EQ(j.num("code"), code) << r.body;
  EXPECT_EQ(j.str("msg"), msg) << r.body;
  EXPECT_FALSE(r.header("X-MBX-USED-WEIGHT-1M").empty()) << "every answer carries the weight";
}

TEST_F(SimServerTest, SignatureAcceptedAndRejected) {
  start();
  Reply ok = http_->signed_request(V::get, "/api/v3/account", "");
  EXPECT_EQ(ok.status, 200) << ok.body;
  expect_error(http_->signed_request(V::get, "/api/v3/account", "", "wrong-secret"), 400, -1022,
               "Signature for this request is not valid.");
  expect_error(http_->signed_request(V::get, "/api/v3/account", "", kSecret, "no-such-key"), 401,
               -2015, "Invalid API-key, IP, or permissions for action.");
  expect_error(http_->get("/api/v3/account?timestamp=1&signature=00"), 401, -2014,
               "API-key format invalid.");
  // A signature computed over an old timestamp: valid signature, outside recvWindow.
  const std::string old = "timestamp=1500000000000";
  const std::string sig = exchange::binance::hmac_sha256_hex(kSecret, old);
  expect_error(http_->request(V::get, "/api/v3/account?" + old + "&signature=" + sig, "", kKey),
               400, -1021, "Timestamp for this request is outside of the recvWindow.");
  expect_error(http_->request(V::get, "/api/v3/account?signature=" + sig, "", kKey), 400, -1102,
               "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.");
  // Upper-case hex is accepted (case-insensitive comparison).
  const std::string ts = std::to_string(SystemClock::instance().realtime_ns() / 1'000'000);
  std::string upper = exchange::binance::hmac_sha256_hex(kSecret, "timestamp=" + ts);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(http_->request(V::get, "/api/v3/account?timestamp=" + ts + "&signature=" + upper, "", kKey).status, 200);
}

// binance-spot.md §1: mixed query + body, payload = query + body without a separator.
TEST_F(SimServerTest, SignatureOverQueryAndBodyMixed) {
  start();
  const std::string ts = std::to_string(SystemClock::instance().realtime_ns() / 1'000'000);
  const std::string query = "symbol=BTCUSDT&side=BUY&type=LIMIT_MAKER";
  const std::string body = "quantity=0.001&price=59980&newClientOrderId=mixed-1&timestamp=" + ts;
  const std::string sig = exchange::binance::hmac_sha256_hex(kSecret, query + body);
  Reply r = http_->request(V::post, "/api/v3/order?" + query, body + "&signature=" + sig, kKey);
  EXPECT_EQ(r.status, 200) << r.body;
  Reply bad = http_->request(V::post, "/api/v3/order?" + query,
                             body + "&signature=" + exchange::binance::hmac_sha256_hex(kSecret, query + "&" + body), kKey);
  EXPECT_EQ(bad.status, 400) << bad.body;
}

TEST_F(SimServerTest, OrderParameterErrors) {
  start();
  wait_market();
  expect_error(place("BUY", "60000.10", "0.001", "cross"), 400, -2010,
               "Order would immediately match and take.");
  expect_error(place("SELL", "60000.00", "0.001", "cross2"), 400, -2010,
               "Order would immediately match and take.");
  expect_error(place("BUY", "59980.001", "0.001", "px"), 400, -1013, "Filter failure: PRICE_FILTER");
  expect_error(place("BUY", "59980", "0.000015", "lot"), 400, -1013, "Filter failure: LOT_SIZE");
  expect_error(place("BUY", "59980", "0.00001", "tiny"), 400, -1013, "Filter failure: NOTIONAL");
  expect_error(place("BUY", "59980", "0.001", "tif", "&timeInForce=GTC"), 400, -1106,
               "Parameter 'timeInForce' sent when not required.");
  expect_error(place("BUY", "59980", "0.001", "bad id!"), 400, -1100,
               "Illegal characters found in parameter 'newClientOrderId'; legal range is "
               "'^[a-zA-Z0-9-_]{1,36}$'.");
  expect_error(place("BUY", "59980", "1", "rich"), 400, -2010,
               "Account has insufficient balance for requested action.");
  expect_error(place("BUY", "59980.000000001", "0.001", "prec"), 400, -1111,
               "Parameter 'price' has too much precision.");
  expect_error(place("HOLD", "59980", "0.001", "side"), 400, -1117, "Invalid side.");
  expect_error(http_->signed_request(V::post, "/api/v3/order",
                                     "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.001&price=59980"),
               400, -1014, "Unsupported order combination.");
  expect_error(http_->signed_request(V::post, "/api/v3/order", "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001"),
               400, -2010, "Market orders are not supported for this symbol.");
  expect_error(http_->signed_request(V::post, "/api/v3/order", "symbol=ETHUSDT&side=BUY&type=LIMIT_MAKER&quantity=0.001&price=1"),
               400, -1121, "Invalid symbol.");
  expect_error(http_->signed_request(V::post, "/api/v3/order", "symbol=BTCUSDT&side=BUY&type=LIMIT_MAKER&price=59980"),
               400, -1102, "Mandatory parameter 'quantity' was not sent, was empty/null, or malformed.");
}

TEST_F(SimServerTest, DuplicateOpenClientIdIsRejected) {
  start();
  ASSERT_EQ(place("BUY", "59980", "0.001", "dup").status, 200);
  expect_error(place("BUY", "59970", "0.001", "dup"), 400, -2010, "Duplicate order sent.");
}

TEST_F(SimServerTest, PlaceQueryCancelRoundTripWithExactFields) {
  start();
  Reply placed = place("BUY", "59980.00", "0.00100", "rt-1", "&newOrderRespType=RESULT");
  ASSERT_EQ(placed.status, 200) << placed.body;
  EXPECT_FALSE(placed.header("X-MBX-ORDER-COUNT-10S").empty());
  EXPECT_FALSE(placed.header("X-MBX-ORDER-COUNT-1D").empty());
  EXPECT_EQ(placed.header("X-MBX-USED-WEIGHT-1M").empty(), false);
  Json p = placed.json();
  EXPECT_EQ(key_set(p.root()),
            (std::set<std::string>{"symbol", "orderId", "orderListId", "clientOrderId", "transactTime",
                                   "price", "origQty", "executedQty", "origQuoteOrderQty",
                                   "cummulativeQuoteQty", "status", "timeInForce", "type", "side",
                                   "workingTime", "selfTradePreventionMode"}));
  EXPECT_EQ(p.str("symbol"), "BTCUSDT");
  EXPECT_EQ(p.num("orderListId"), -1);
  EXPECT_EQ(p.str("clientOrderId"), "rt-1");
  EXPECT_EQ(p.str("price"), "59980.00000000");
  EXPECT_EQ(p.str("origQty"), "0.00100000");
  EXPECT_EQ(p.str("executedQty"), "0.00000000");
  EXPECT_EQ(p.str("cummulativeQuoteQty"), "0.00000000");
  EXPECT_EQ(p.str("status"), "NEW");
  EXPECT_EQ(p.str("timeInForce"), "GTC");
  EXPECT_EQ(p.str("type"), "LIMIT_MAKER");
  EXPECT_EQ(p.str("side"), "BUY");
  const int64_t order_id = p.num("orderId");

  // ACK is LIMIT_MAKER's default (§4); FULL adds fills.
  Json ack = place("BUY", "59970", "0.001", "rt-ack").json();
  EXPECT_EQ(key_set(ack.root()), (std::set<std::string>{"symbol", "orderId", "orderListId",
                                                        "clientOrderId", "transactTime"}));
  Json full = place("BUY", "59960", "0.001", "rt-full", "&newOrderRespType=FULL").json();
  EXPECT_EQ(Json::size(full["fills"]), 0u);

  for (const std::string& q : std::vector<std::string>{"symbol=BTCUSDT&origClientOrderId=rt-1",
                               "symbol=BTCUSDT&orderId=" + std::to_string(order_id)}) {
    Reply got = http_->signed_request(V::get, "/api/v3/order", q);
    ASSERT_EQ(got.status, 200) << got.body;
    Json g = got.json();
    EXPECT_EQ(key_set(g.root()),
              (std::set<std::string>{"symbol", "orderId", "orderListId", "clientOrderId", "price",
                                     "origQty", "executedQty", "cummulativeQuoteQty", "status",
                                     "timeInForce", "type", "side", "stopPrice", "icebergQty",
                                     "time", "updateTime", "isWorking", "workingTime",
                                     "origQuoteOrderQty", "selfTradePreventionMode"}));
    EXPECT_EQ(g.num("orderId"), order_id);
    EXPECT_EQ(g.str("status"), "NEW");
    EXPECT_TRUE(Json::boolean(g.root(), "isWorking"));
  }
  expect_error(http_->signed_request(V::get, "/api/v3/order",
                                     "symbol=BTCUSDT&orderId=" + std::to_string(order_id) + "&origClientOrderId=other"),
               400, -2039, "Client order ID is not correct for this order ID.");

  Reply open = http_->signed_request(V::get, "/api/v3/openOrders", "symbol=BTCUSDT");
  ASSERT_EQ(open.status, 200);
  EXPECT_EQ(Json::size(open.json().root()), 3u);

  Reply cxl = http_->signed_request(V::delete_, "/api/v3/order",
                                    "symbol=BTCUSDT&orderId=" + std::to_string(order_id) + "&newClientOrderId=cxl-1");
  ASSERT_EQ(cxl.status, 200) << cxl.body;
  Json c = cxl.json();
  EXPECT_EQ(key_set(c.root()),
            (std::set<std::string>{"symbol", "origClientOrderId", "orderId", "orderListId",
                                   "clientOrderId", "transactTime", "price", "origQty",
                                   "executedQty", "origQuoteOrderQty", "cummulativeQuoteQty",
                                   "status", "timeInForce", "type", "side", "selfTradePreventionMode"}));
  EXPECT_EQ(c.str("origClientOrderId"), "rt-1");
  EXPECT_EQ(c.str("clientOrderId"), "cxl-1");
  EXPECT_EQ(c.str("status"), "CANCELED");
  expect_error(http_->signed_request(V::delete_, "/api/v3/order", "symbol=BTCUSDT&origClientOrderId=rt-1"),
               400, -2011, "Unknown order sent.");
  expect_error(http_->signed_request(V::delete_, "/api/v3/order", "symbol=BTCUSDT"), 400, -1102,
               "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!");
  expect_error(http_->signed_request(V::get, "/api/v3/order", "symbol=BTCUSDT&origClientOrderId=never"),
               400, -2013, "Order does not exist.");
  EXPECT_EQ(Json(http_->signed_request(V::get, "/api/v3/order", "symbol=BTCUSDT&origClientOrderId=rt-1").body)
                .str("status"),
            "CANCELED");

  Reply all = http_->signed_request(V::delete_, "/api/v3/openOrders", "symbol=BTCUSDT");
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(Json::size(all.json().root()), 2u);
  expect_error(http_->signed_request(V::delete_, "/api/v3/openOrders", "symbol=BTCUSDT"), 400, -2011,
               "Unknown order sent.");
}

TEST_F(SimServerTest, CancelReplaceShapes) {
  start();
  ASSERT_EQ(place("BUY", "59980", "0.001", "cr-1").status, 200);
  const std::string base = "symbol=BTCUSDT&side=BUY&type=LIMIT_MAKER&quantity=0.002&newOrderRespType=RESULT";
  Reply ok = http_->signed_request(V::post, "/api/v3/order/cancelReplace",
                                   base + "&price=59970&cancelReplaceMode=STOP_ON_FAILURE"
                                          "&cancelOrigClientOrderId=cr-1&newClientOrderId=cr-2&cancelNewClientOrderId=cr-x");
  ASSERT_EQ(ok.status, 200) << ok.body;
  Json j = ok.json();
  EXPECT_EQ(j.str("cancelResult"), "SUCCESS");
  EXPECT_EQ(j.str("newOrderResult"), "SUCCESS");
  EXPECT_EQ(Json::str(j["cancelResponse"], "status"), "CANCELED");
  EXPECT_EQ(Json::str(j["cancelResponse"], "clientOrderId"), "cr-x");
  EXPECT_EQ(Json::str(j["newOrderResponse"], "clientOrderId"), "cr-2");
  EXPECT_EQ(Json::str(j["newOrderResponse"], "origQty"), "0.00200000");

  Reply failed = http_->signed_request(V::post, "/api/v3/order/cancelReplace",
                                       base + "&price=59970&cancelReplaceMode=STOP_ON_FAILURE&cancelOrigClientOrderId=cr-1");
  EXPECT_EQ(failed.status, 400) << failed.body;
  Json f = failed.json();
  EXPECT_EQ(f.num("code"), -2022);
  EXPECT_EQ(f.str("msg"), "Order cancel-replace failed.");
  EXPECT_EQ(Json::str(f["data"], "cancelResult"), "FAILURE");
  EXPECT_EQ(Json::str(f["data"], "newOrderResult"), "NOT_ATTEMPTED");
  EXPECT_EQ(Json::num(Json::at(f["data"], "cancelResponse"), "code"), -2011);
  EXPECT_TRUE(Json::at(f["data"], "newOrderResponse").is_null());

  Reply partial = http_->signed_request(V::post, "/api/v3/order/cancelReplace",
                                        base + "&price=60000.10&cancelReplaceMode=STOP_ON_FAILURE&cancelOrigClientOrderId=cr-2");
  EXPECT_EQ(partial.status, 409) << partial.body;
  Json pj = partial.json();
  EXPECT_EQ(pj.num("code"), -2021);
  EXPECT_EQ(pj.str("msg"), "Order cancel-replace partially failed.");
  EXPECT_EQ(Json::str(pj["data"], "cancelResult"), "SUCCESS");
  EXPECT_EQ(Json::str(pj["data"], "newOrderResult"), "FAILURE");
  EXPECT_EQ(Json::str(Json::at(pj["data"], "newOrderResponse"), "msg"),
            "Order would immediately match and take.");

  Reply allow = http_->signed_request(V::post, "/api/v3/order/cancelReplace",
                                      base + "&price=59950&cancelReplaceMode=ALLOW_FAILURE&cancelOrderId=999");
  EXPECT_EQ(allow.status, 409) << allow.body;
  EXPECT_EQ(Json::str(allow.json()["data"], "newOrderResult"), "SUCCESS");

  // order.amend.keepPriority: a decrease keeps the order (id, price); an increase is refused.
  ASSERT_EQ(place("BUY", "59960", "0.002", "am-1").status, 200);
  Reply amended = http_->signed_request(V::put, "/api/v3/order/amend/keepPriority",
                                        "symbol=BTCUSDT&origClientOrderId=am-1&newClientOrderId=am-1&newQty=0.001");
  ASSERT_EQ(amended.status, 200) << amended.body;
  Json a = amended.json();
  EXPECT_EQ(Json::str(a["amendedOrder"], "clientOrderId"), "am-1");
  EXPECT_EQ(Json::str(a["amendedOrder"], "qty"), "0.00100000");
  EXPECT_EQ(Json::str(a["amendedOrder"], "price"), "59960.00000000");
  EXPECT_EQ(Json::str(a["amendedOrder"], "status"), "NEW");
  expect_error(http_->signed_request(V::put, "/api/v3/order/amend/keepPriority",
                                     "symbol=BTCUSDT&origClientOrderId=am-1&newQty=0.003"),
               400, -2038, "Order amend (quantity increase) is not supported.");
  expect_error(http_->signed_request(V::put, "/api/v3/order/amend/keepPriority",
                                     "symbol=BTCUSDT&origClientOrderId=cr-2&newQty=0.001"),
               400, -2013, "Order does not exist.");
}

TEST_F(SimServerTest, MyTradesFromIdIsInclusive) {
  start();
  for (int i = 0; i < 3; ++i) {
    const std::string id = "fill-" + std::to_string(i);
    ASSERT_EQ(place("BUY", "59995", "0.001", id).status, 200);
    ASSERT_TRUE(wait_status(id, "FILLED")) << id;
  }
  Reply all = http_->signed_request(V::get, "/api/v3/myTrades", "symbol=BTCUSDT");
  ASSERT_EQ(all.status, 200) << all.body;
  Json a = all.json();
  ASSERT_EQ(Json::size(a.root()), 3u);
  auto t0 = Json::item(a.root(), 0);
  EXPECT_EQ(key_set(t0), (std::set<std::string>{"symbol", "id", "orderId", "orderListId", "price", "qty",
                                                "quoteQty", "commission", "commissionAsset", "time",
                                                "isBuyer", "isMaker", "isBestMatch"}));
  EXPECT_EQ(Json::num(t0, "id"), 1);
  EXPECT_EQ(Json::str(t0, "price"), "59995.00000000");
  EXPECT_EQ(Json::str(t0, "qty"), "0.00100000");
  EXPECT_EQ(Json::str(t0, "quoteQty"), "59.99500000");
  EXPECT_EQ(Json::str(t0, "commission"), "0.05999500");
  EXPECT_EQ(Json::str(t0, "commissionAsset"), "USDT");
  EXPECT_TRUE(Json::boolean(t0, "isBuyer"));
  EXPECT_TRUE(Json::boolean(t0, "isMaker"));

  Json from2 = http_->signed_request(V::get, "/api/v3/myTrades", "symbol=BTCUSDT&fromId=2").json();
  ASSERT_EQ(Json::size(from2.root()), 2u);
  EXPECT_EQ(Json::num(Json::item(from2.root(), 0), "id"), 2);
  Json limited = http_->signed_request(V::get, "/api/v3/myTrades", "symbol=BTCUSDT&fromId=1&limit=1").json();
  ASSERT_EQ(Json::size(limited.root()), 1u);
  EXPECT_EQ(Json::num(Json::item(limited.root(), 0), "id"), 1);
  Json recent = http_->signed_request(V::get, "/api/v3/myTrades", "symbol=BTCUSDT&limit=1").json();
  EXPECT_EQ(Json::num(Json::item(recent.root(), 0), "id"), 3);
  EXPECT_EQ(Json::size(http_->signed_request(V::get, "/api/v3/myTrades", "symbol=BTCUSDT&fromId=4").json().root()), 0u);
  expect_error(http_->signed_request(V::get, "/api/v3/myTrades", "symbol=BTCUSDT&fromId=1&startTime=1"),
               400, -1128, "Combination of optional parameters invalid.");

  Json filled = http_->signed_request(V::get, "/api/v3/order", "symbol=BTCUSDT&origClientOrderId=fill-0").json();
  EXPECT_EQ(filled.str("executedQty"), "0.00100000");
  EXPECT_EQ(filled.str("cummulativeQuoteQty"), "59.99500000");

  Json acct = http_->signed_request(V::get, "/api/v3/account", "").json();
  EXPECT_EQ(Json::str(acct["commissionRates"], "maker"), "0.00100000");
  EXPECT_EQ(acct.num("makerCommission"), 10);
  auto balances = acct["balances"];
  ASSERT_EQ(Json::size(balances), 2u);
  EXPECT_EQ(Json::str(Json::item(balances, 0), "asset"), "BTC");
  EXPECT_EQ(Json::str(Json::item(balances, 0), "free"), "1.00300000");
  // 10000 - 3 * (59.995 + 0.059995) = 9819.835015
  EXPECT_EQ(Json::str(Json::item(balances, 1), "free"), "9819.83501500");
  EXPECT_EQ(Json::str(Json::item(balances, 1), "locked"), "0.00000000");
}

TEST_F(SimServerTest, PublicEndpoints) {
  start();
  EXPECT_EQ(http_->get("/api/v3/ping").body, "{}");
  Json t = http_->get("/api/v3/time").json();
  EXPECT_NEAR(static_cast<double>(t.num("serverTime")),
              static_cast<double>(SystemClock::instance().realtime_ns() / 1'000'000), 5000.0);
  Json info = http_->get("/api/v3/exchangeInfo").json();
  auto sym = Json::item(info["symbols"], 0);
  EXPECT_EQ(Json::str(sym, "symbol"), "BTCUSDT");
  EXPECT_EQ(Json::str(sym, "baseAsset"), "BTC");
  EXPECT_EQ(Json::str(sym, "quoteAsset"), "USDT");
  EXPECT_TRUE(Json::boolean(sym, "cancelReplaceAllowed"));
  std::map<std::string, simdjson::dom::element> filters;
  for (size_t i = 0; i < Json::size(Json::at(sym, "filters")); ++i) {
    auto f = Json::item(Json::at(sym, "filters"), i);
    filters[Json::str(f, "filterType")] = f;
  }
  EXPECT_EQ(Json::str(filters.at("PRICE_FILTER"), "tickSize"), "0.01000000");
  EXPECT_EQ(Json::str(filters.at("LOT_SIZE"), "stepSize"), "0.00001000");
  EXPECT_EQ(Json::str(filters.at("NOTIONAL"), "minNotional"), "5.00000000");
  EXPECT_EQ(Json::num(filters.at("MAX_NUM_ORDERS"), "maxNumOrders"), 200);
  expect_error(http_->get("/api/v3/exchangeInfo?symbol=ETHUSDT"), 400, -1121, "Invalid symbol.");

  wait_market();
  Json depth = http_->get("/api/v3/depth?symbol=BTCUSDT&limit=5").json();
  EXPECT_GE(depth.num("lastUpdateId"), 101);
  ASSERT_EQ(Json::size(depth["bids"]), 3u);  // the snapshot's two levels and the diff's 59998
  auto level = [](simdjson::dom::element side, size_t i, size_t j) {
    std::string_view v;
    EXPECT_EQ(Json::item(Json::item(side, i), j).get_string().get(v), simdjson::SUCCESS);
    return std::string(v);
  };
  EXPECT_EQ(level(depth["bids"], 0, 0), "60000.00000000");
  EXPECT_EQ(level(depth["bids"], 0, 1), "1.50000000");
  EXPECT_EQ(level(depth["bids"], 2, 0), "59998.00000000");
  EXPECT_EQ(level(depth["asks"], 0, 0), "60000.10000000");
  EXPECT_EQ(Json::size(http_->get("/api/v3/depth?symbol=BTCUSDT&limit=1").json()["asks"]), 1u);
  Json bt = http_->get("/api/v3/ticker/bookTicker?symbol=BTCUSDT").json();
  EXPECT_EQ(key_set(bt.root()), (std::set<std::string>{"symbol", "bidPrice", "bidQty", "askPrice", "askQty"}));
  EXPECT_EQ(bt.str("bidPrice"), "60000.00000000");
  EXPECT_EQ(bt.str("askQty"), "2.00000000");
  Json bts = http_->get("/api/v3/ticker/bookTicker?symbols=%5B%22BTCUSDT%22%5D").json();
  EXPECT_EQ(Json::size(bts.root()), 1u);
  expect_error(http_->get("/api/v3/depth?limit=5"), 400, -1102,
               "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.");
  EXPECT_EQ(http_->get("/api/v3/nothing").status, 404);
}

TEST_F(SimServerTest, TruthEndpoint) {
  start();
  ASSERT_EQ(place("BUY", "59995", "0.001", "tr-1").status, 200);
  ASSERT_TRUE(wait_status("tr-1", "FILLED"));
  ASSERT_EQ(place("BUY", "59980", "0.001", "tr-2").status, 200);
  Reply r = http_->get("/sim/v1/truth?account=default");
  ASSERT_EQ(r.status, 200) << r.body;
  Json t = r.json();
  EXPECT_EQ(t.str("account"), "default");
  EXPECT_GT(t.num("position"), 3);
  ASSERT_EQ(Json::size(t["orders"]), 2u);
  EXPECT_EQ(Json::str(Json::item(t["orders"], 0), "clientOrderId"), "tr-1");
  EXPECT_EQ(Json::str(Json::item(t["orders"], 0), "status"), "FILLED");
  EXPECT_EQ(Json::str(Json::item(t["orders"], 0), "executedQty"), "0.00100000");
  EXPECT_EQ(Json::str(Json::item(t["orders"], 1), "status"), "NEW");
  ASSERT_EQ(Json::size(t["trades"]), 1u);
  EXPECT_EQ(Json::num(Json::item(t["trades"], 0), "orderId"), 1);
  EXPECT_EQ(Json::size(t["balances"]), 2u);
  EXPECT_EQ(http_->get("/sim/v1/truth?account=nobody").status, 404);
}

// POST /sim/v1/pause freezes the market (no event applied, no fill), /resume continues it.
TEST_F(SimServerTest, PauseAndResumeTheMarket) {
  start();
  Reply p = http_->request(http::verb::post, "/sim/v1/pause");
  ASSERT_EQ(p.status, 200) << p.body;
  EXPECT_TRUE(p.json().boolean("paused"));
  const uint64_t at = server_->market_position();
  EXPECT_EQ(p.json().num("position"), static_cast<int64_t>(at));
  ASSERT_EQ(place("BUY", "59995", "0.001", "pz-1").status, 200);  // fills on the next sell trade
  std::this_thread::sleep_for(std::chrono::milliseconds(700));     // 3 cycles of the recording
  EXPECT_EQ(server_->market_position(), at);
  EXPECT_TRUE(wait_status("pz-1", "NEW"));
  Reply r = http_->request(http::verb::post, "/sim/v1/resume");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_FALSE(r.json().boolean("paused"));
  EXPECT_TRUE(wait_status("pz-1", "FILLED"));
  EXPECT_GT(server_->market_position(), at);
}

}  // namespace
}  // namespace keel::simserver::testutil
