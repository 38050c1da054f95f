// The connector's REST path against an in-process venue on 127.0.0.1 (exchange_binance_testvenue.h):
// keep-alive reuse, timeout -> kUnknown on POST, 5xx/-1006/-1007 -> kUnknown, lost connection
// after sending -> kUnknown, 429 Retry-After honoured, -1021 -> offset resync and one retry,
// rate-limit headers, cancelReplace halves, -2013, myTrades paging.
#include <gtest/gtest.h>

#include <chrono>

#include "exchange_binance_testvenue.h"
#include "keel/exchange/binance/binance.h"

namespace keel::exchange::binance {
namespace {

using testing::answer;
using testing::error_reply;
using testing::kKey;
using testing::kSecret;
using testing::ManualClock;
using testing::TestVenue;
using testing::VenueReply;
using testing::VenueRequest;

BinanceConfig rest_only(const TestVenue& v, int64_t timeout_ms = 2000) {
  BinanceConfig c;
  c.rest_url = v.http_url();
  c.ws_url = v.ws_url();
  c.ws_api_url = v.ws_api_url();
  c.api_key = kKey;
  c.api_secret = kSecret;
  c.symbol = "BTCUSDT";
  c.request_timeout_ms = timeout_ms;
  c.market_stream = false;
  c.user_stream = false;
  return c;
}

std::unique_ptr<BinanceExchange> connect_or_die(const BinanceConfig& c) {
  auto ex = BinanceExchange::connect(c);
  EXPECT_TRUE(ex.ok()) << ex.status().ToString();
  return ex.ok() ? std::move(*ex) : nullptr;
}

std::string param(const VenueRequest& r, const std::string& k) {
  auto it = r.params.find(k);
  return it == r.params.end() ? "" : it->second;
}

// A LIMIT_MAKER RESULT response echoing the request (§4).
VenueReply order_result(const VenueRequest& r, int64_t order_id, const char* cid_key = "newClientOrderId") {
  return answer(200, R"({"symbol":"BTCUSDT","orderId":)" + std::to_string(order_id) +
                             R"(,"orderListId":-1,"clientOrderId":")" + param(r, cid_key) +
                             R"(","transactTime":1700000000000,"price":")" + param(r, "price") +
                             R"(","origQty":")" + param(r, "quantity") +
                             R"(","executedQty":"0.00000000","origQuoteOrderQty":"0.00000000","cummulativeQuoteQty":"0.00000000",)"
                             R"("status":"NEW","timeInForce":"GTC","type":"LIMIT_MAKER","side":")" +
                             param(r, "side") + R"(","workingTime":1700000000000,"selfTradePreventionMode":"NONE"})");
}

std::string cancel_body(const std::string& cid, int64_t order_id) {
  return R"({"symbol":"BTCUSDT","origClientOrderId":")" + cid + R"(","orderId":)" +
         std::to_string(order_id) +
         R"(,"orderListId":-1,"clientOrderId":"xcancel","transactTime":1700000000001,"price":"61000.00000000",)"
         R"("origQty":"0.00100000","executedQty":"0.00000000","origQuoteOrderQty":"0.00000000","cummulativeQuoteQty":"0.00000000",)"
         R"("status":"CANCELED","timeInForce":"GTC","type":"LIMIT_MAKER","side":"BUY","selfTradePreventionMode":"NONE"})";
}

OrderRequest buy(const std::string& cid) { return {"BTCUSDT", Side::kBuy, 6'100'000, 100, cid}; }

void accept_orders(TestVenue& v) {
  auto next = std::make_shared<std::atomic<int64_t>>(1);
  v.on("POST /api/v3/order", [next](const VenueRequest& r) { return order_result(r, next->fetch_add(1)); });
}

TEST(BinanceLoopback, ConnectReadsTimeExchangeInfoAndAccount) {
  TestVenue venue;
  auto ex = connect_or_die(rest_only(venue));
  ASSERT_TRUE(ex);
  EXPECT_EQ(ex->instrument().symbol, "BTCUSDT");
  EXPECT_EQ(ex->instrument().tick_e8, 1'000'000);
  EXPECT_EQ(ex->instrument().step_e8, 1'000);
  EXPECT_EQ(ex->instrument().min_notional_e8, 5 * kOneE8);
  EXPECT_TRUE(ex->symbol_info().cancel_replace_allowed);
  EXPECT_EQ(ex->cached_balances().at("USDT").free_e8, 1000 * kOneE8);
  EXPECT_LT(std::abs(ex->server_offset_ms()), 1000);
  auto info = ex->exchange_info("BTCUSDT");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->tick_e8, 1'000'000);
}

TEST(BinanceLoopback, PlaceSendsSignedLimitMakerWithoutTimeInForce) {
  TestVenue venue;
  accept_orders(venue);
  auto ex = connect_or_die(rest_only(venue));
  ASSERT_TRUE(ex);
  const PlaceResult r = ex->place(buy("k1-grid1-1"));
  ASSERT_EQ(r.outcome, Outcome::kAccepted) << r.error.msg;
  EXPECT_EQ(r.order.order_id, 1);
  EXPECT_EQ(r.order.client_order_id, "k1-grid1-1");
  EXPECT_EQ(r.order.price_ticks, 6'100'000);
  EXPECT_EQ(r.order.qty_lots, 100);
  const auto reqs = venue.requests();
  const VenueRequest& post = reqs.back();
  EXPECT_EQ(post.method, "POST");
  EXPECT_EQ(post.api_key, kKey);
  EXPECT_EQ(param(post, "type"), "LIMIT_MAKER");
  EXPECT_EQ(post.params.count("timeInForce"), 0u);
  EXPECT_EQ(param(post, "price"), "61000.00000000");
  EXPECT_EQ(param(post, "quantity"), "0.00100000");
  EXPECT_EQ(param(post, "newClientOrderId"), "k1-grid1-1");
  EXPECT_EQ(param(post, "recvWindow"), "5000");
  EXPECT_FALSE(param(post, "signature").empty());  // and the venue verified it
}

TEST(BinanceLoopback, KeepAliveReusesOneConnection) {
  TestVenue venue;
  accept_orders(venue);
  venue.on("GET /api/v3/openOrders", [](const VenueRequest&) { return answer(200, "[]"); });
  auto ex = connect_or_die(rest_only(venue));
  ASSERT_TRUE(ex);
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(ex->place(buy("k1-grid1-" + std::to_string(i + 1))).outcome, Outcome::kAccepted);
    ASSERT_TRUE(ex->open_orders("BTCUSDT").ok());
  }
  EXPECT_EQ(venue.connections(), 1);  // time, exchangeInfo, account and 10 calls
  EXPECT_EQ(ex->rest_connections(), 1u);
  for (const VenueRequest& r : venue.requests()) EXPECT_EQ(r.connection, 1);
}

TEST(BinanceLoopback, ClosedConnectionsAreReopenedBeforeSending) {
  TestVenue venue;
  accept_orders(venue);
  std::atomic<int> n{0};
  venue.on("GET /api/v3/openOrders", [&n](const VenueRequest&) {
    VenueReply r = answer(200, "[]");
    r.close = ++n == 1;   // "Connection: close"
    r.hangup = n == 2;    // silent close after a keep-alive answer
    return r;
  });
  auto ex = connect_or_die(rest_only(venue));
  ASSERT_TRUE(ex);
  ASSERT_TRUE(ex->open_orders("BTCUSDT").ok());
  EXPECT_EQ(ex->place(buy("k1-grid1-1")).outcome, Outcome::kAccepted);  // on connection 2
  ASSERT_TRUE(ex->open_orders("BTCUSDT").ok());                          // then the venue hangs up
  std::this_thread::sleep_for(std::chrono::milliseconds(50));            // the FIN arrives
  EXPECT_EQ(ex->place(buy("k1-grid1-2")).outcome, Outcome::kAccepted);   // seen closed: reopened
  EXPECT_EQ(venue.connections(), 3);
}

TEST(BinanceLoopback, TimeoutAfterSendingAPostIsUnknown) {
  TestVenue venue;
  venue.on("POST /api/v3/order", [](const VenueRequest& r) {
    VenueReply reply = order_result(r, 1);
    reply.delay_ms = 1000;
    return reply;
  });
  venue.on("GET /api/v3/openOrders", [](const VenueRequest&) { return answer(200, "[]"); });
  auto ex = connect_or_die(rest_only(venue, /*timeout_ms=*/300));
  ASSERT_TRUE(ex);
  const auto t0 = std::chrono::steady_clock::now();
  const PlaceResult r = ex->place(buy("k1-grid1-1"));
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(r.outcome, Outcome::kUnknown);  // R1: the venue may have it
  EXPECT_EQ(r.error.http_status, 0);
  EXPECT_NE(r.error.msg.find("no reply"), std::string::npos) << r.error.msg;
  EXPECT_LT(took, std::chrono::milliseconds(900));  // the deadline, not the venue, ended it
  EXPECT_TRUE(ex->open_orders("BTCUSDT").ok());     // and the connector carries on
}

TEST(BinanceLoopback, ServerErrorsAndUnknownCodesAreUnknown) {
  TestVenue venue;
  std::atomic<int> n{0};
  venue.on("POST /api/v3/order", [&n](const VenueRequest&) {
    switch (n++) {
      case 0: return answer(503, "<html>Service Unavailable</html>");
      case 1: return error_reply(500, -1006, "An unexpected response was received from the message bus.");
      case 2: return error_reply(400, -1007, "Timeout waiting for response from backend server.");
      default: return error_reply(400, -2010, "Order would immediately match and take.");
    }
  });
  auto ex = connect_or_die(rest_only(venue));
  ASSERT_TRUE(ex);
  PlaceResult r = ex->place(buy("k1-grid1-1"));
  EXPECT_EQ(r.outcome, Outcome::kUnknown);
  EXPECT_EQ(r.error.http_status, 503);
  r = ex->place(buy("k1-grid1-2"));
  EXPECT_EQ(r.outcome, Outcome::kUnknown);
  EXPECT_EQ(r.error.code, -1006);
  r = ex->place(buy("k1-grid1-3"));
  EXPECT_EQ(r.outcome, Outcome::kUnknown);
  EXPECT_EQ(r.error.code, -1007);
  r = ex->place(buy("k1-grid1-4"));
  EXPECT_EQ(r.outcome, Outcome::kRejected);
  EXPECT_EQ(r.error.http_status, 400);
  EXPECT_EQ(r.error.code, -2010);
  EXPECT_EQ(r.error.msg, "Order would immediately match and take.");
}

TEST(BinanceLoopback, LostConnectionAfterSendingIsUnknownButReadsRetry) {
  TestVenue venue;
  venue.on("POST /api/v3/order", [](const VenueRequest&) {
    VenueReply r;
    r.drop = true;
    return r;
  });
  std::atomic<int> opens{0};
  venue.on("GET /api/v3/openOrders", [&opens](const VenueRequest&) {
    VenueReply r = answer(200, "[]");
    r.drop = ++opens == 1;  // the first read dies with its connection
    return r;
  });
  auto ex = connect_or_die(rest_only(venue));
  ASSERT_TRUE(ex);
  const PlaceResult r = ex->place(buy("k1-grid1-1"));
  EXPECT_EQ(r.outcome, Outcome::kUnknown);
  EXPECT_EQ(venue.count("POST", "/api/v3/order"), 1);  // never re-sent (it may have executed)
  ASSERT_TRUE(ex->balances().ok());                    // a fresh connection, now reused:
  auto open = ex->open_orders("BTCUSDT");
  EXPECT_TRUE(open.ok()) << open.status().ToString();  // a read is retried on a fresh connection
  EXPECT_EQ(venue.count("GET", "/api/v3/openOrders"), 2);
}

TEST(BinanceLoopback, RetryAfterIsHonoured) {
  ManualClock clock(1'700'000'000'000);
  TestVenue venue(&clock);
  std::atomic<int> n{0};
  venue.on("POST /api/v3/order", [&n](const VenueRequest& r) {
    if (n++ > 0) return order_result(r, n);
    VenueReply reply = error_reply(429, -1003, "Too much request weight used; current limit is 6000 request weight per 1 MINUTE.");
    reply.headers.emplace_back("Retry-After", "2");
    return reply;
  });
  venue.on("DELETE /api/v3/order", [](const VenueRequest& r) {
    return answer(200, cancel_body(param(r, "origClientOrderId"), 1));
  });
  BinanceConfig cfg = rest_only(venue);
  cfg.clock = &clock;
  auto ex = connect_or_die(cfg);
  ASSERT_TRUE(ex);
  PlaceResult r = ex->place(buy("k1-grid1-1"));
  EXPECT_EQ(r.outcome, Outcome::kRejected);  // a 429 is refused before the matching engine
  EXPECT_EQ(r.error.http_status, 429);
  EXPECT_EQ(r.error.code, -1003);
  r = ex->place(buy("k1-grid1-2"));
  EXPECT_EQ(r.outcome, Outcome::kRejected);  // refused locally: never sent
  EXPECT_EQ(r.error.code, -1003);
  EXPECT_NE(r.error.msg.find("not sent"), std::string::npos) << r.error.msg;
  EXPECT_EQ(ex->cancel("BTCUSDT", "k1-grid1-1").outcome, Outcome::kRejected);  // weight: all
  EXPECT_FALSE(ex->open_orders("BTCUSDT").ok());
  EXPECT_EQ(venue.count("POST", "/api/v3/order"), 1);
  EXPECT_EQ(venue.count("DELETE", "/api/v3/order"), 0);
  clock.advance_ms(1999);
  EXPECT_EQ(ex->place(buy("k1-grid1-3")).outcome, Outcome::kRejected);
  clock.advance_ms(1);
  EXPECT_EQ(ex->place(buy("k1-grid1-4")).outcome, Outcome::kAccepted);
  EXPECT_EQ(venue.count("POST", "/api/v3/order"), 2);
}

TEST(BinanceLoopback, OrderCountLimitStopsNewOrdersButNotCancels) {
  ManualClock clock(1'700'000'000'000);
  TestVenue venue(&clock);
  venue.on("POST /api/v3/order", [](const VenueRequest&) {
    VenueReply reply = error_reply(429, -1015, "Too many new orders; current limit is 50 orders per 10 SECOND.");
    reply.headers.emplace_back("Retry-After", "10");
    return reply;
  });
  venue.on("DELETE /api/v3/order", [](const VenueRequest& r) {
    return answer(200, cancel_body(param(r, "origClientOrderId"), 9));
  });
  BinanceConfig cfg = rest_only(venue);
  cfg.clock = &clock;
  auto ex = connect_or_die(cfg);
  ASSERT_TRUE(ex);
  EXPECT_EQ(ex->place(buy("k1-grid1-1")).outcome, Outcome::kRejected);
  EXPECT_EQ(ex->place(buy("k1-grid1-2")).error.code, -1015);
  EXPECT_EQ(venue.count("POST", "/api/v3/order"), 1);
  const CancelResult c = ex->cancel("BTCUSDT", "k1-grid1-0");
  EXPECT_EQ(c.outcome, Outcome::kAccepted);  // cancels reduce exposure and do not count
  EXPECT_EQ(c.order.client_order_id, "k1-grid1-0");
  EXPECT_EQ(c.order.status, OrderStatus::kCanceled);
}

TEST(BinanceLoopback, TimestampRejectionResyncsTheOffsetAndRetriesOnce) {
  TestVenue venue;
  accept_orders(venue);
  auto ex = connect_or_die(rest_only(venue));
  ASSERT_TRUE(ex);
  EXPECT_EQ(venue.count("GET", "/api/v3/time"), 1);
  venue.shift_clock_ms(3'600'000);  // the venue's clock jumps an hour ahead of ours
  const PlaceResult r = ex->place(buy("k1-grid1-1"));
  EXPECT_EQ(r.outcome, Outcome::kAccepted) << r.error.code << " " << r.error.msg;
  EXPECT_EQ(venue.count("POST", "/api/v3/order"), 2);  // -1021, then the one retry
  EXPECT_EQ(venue.count("GET", "/api/v3/time"), 2);
  EXPECT_NEAR(static_cast<double>(ex->server_offset_ms()), 3'600'000.0, 1000.0);
  EXPECT_EQ(ex->place(buy("k1-grid1-2")).outcome, Outcome::kAccepted);  // no more -1021
  EXPECT_EQ(venue.count("POST", "/api/v3/order"), 3);
}

TEST(BinanceLoopback, TimestampRejectionIsRetriedOnlyOnce) {
  TestVenue venue;
  venue.on("POST /api/v3/order", [](const VenueRequest&) {
    return error_reply(400, -1021, "Timestamp for this request was 1000ms ahead of the server's time.");
  });
  auto ex = connect_or_die(rest_only(venue));
  ASSERT_TRUE(ex);
  const PlaceResult r = ex->place(buy("k1-grid1-1"));
  EXPECT_EQ(r.outcome, Outcome::kRejected);
  EXPECT_EQ(r.error.code, -1021);
  EXPECT_EQ(venue.count("POST", "/api/v3/order"), 2);
}

TEST(BinanceLoopback, RateLimitHeadersAreExposed) {
  TestVenue venue;
  venue.add_header("X-MBX-USED-WEIGHT-1M", "42");
  venue.on("POST /api/v3/order", [](const VenueRequest& r) {
    VenueReply reply = order_result(r, 1);
    reply.headers.emplace_back("X-MBX-ORDER-COUNT-10S", "3");
    reply.headers.emplace_back("X-MBX-ORDER-COUNT-1D", "17");
    return reply;
  });
  auto ex = connect_or_die(rest_only(venue));
  ASSERT_TRUE(ex);
  EXPECT_EQ(ex->rate_limits().used_weight_1m, 42);
  EXPECT_EQ(ex->rate_limits().order_count_10s, -1);
  ASSERT_EQ(ex->place(buy("k1-grid1-1")).outcome, Outcome::kAccepted);
  EXPECT_EQ(ex->rate_limits().order_count_10s, 3);
  EXPECT_EQ(ex->rate_limits().order_count_1d, 17);
}

TEST(BinanceLoopback, CancelReplaceHalves) {
  TestVenue venue;
  std::atomic<int> n{0};
  venue.on("POST /api/v3/order/cancelReplace", [&n](const VenueRequest& r) {
    const std::string cancel = cancel_body(param(r, "cancelOrigClientOrderId"), 1);
    switch (n++) {
      case 0:
        return answer(200, R"({"cancelResult":"SUCCESS","newOrderResult":"SUCCESS","cancelResponse":)" + cancel +
                                   R"(,"newOrderResponse":)" + order_result(r, 2).body + "}");
      case 1:
        return answer(409, R"({"code":-2021,"msg":"Order cancel-replace partially failed.","data":{"cancelResult":"SUCCESS","newOrderResult":"FAILURE","cancelResponse":)" +
                                   cancel + R"(,"newOrderResponse":{"code":-2010,"msg":"Order would immediately match and take."}}})");
      case 2:
        return answer(400, R"({"code":-2022,"msg":"Order cancel-replace failed.","data":{"cancelResult":"FAILURE","newOrderResult":"NOT_ATTEMPTED","cancelResponse":{"code":-2011,"msg":"Unknown order sent."},"newOrderResponse":null}})");
      case 3: return error_reply(400, -1013, "Filter failure: LOT_SIZE");
      default: return answer(502, "bad gateway");
    }
  });
  auto ex = connect_or_die(rest_only(venue));
  ASSERT_TRUE(ex);
  ReplaceResult r = ex->cancel_replace("k1-grid1-1", buy("k1-grid1-2"));
  EXPECT_EQ(r.cancel_outcome, Outcome::kAccepted);
  EXPECT_EQ(r.place_outcome, Outcome::kAccepted);
  EXPECT_EQ(r.canceled.client_order_id, "k1-grid1-1");
  EXPECT_EQ(r.placed.client_order_id, "k1-grid1-2");
  EXPECT_EQ(r.placed.order_id, 2);
  const VenueRequest req = venue.requests().back();
  EXPECT_EQ(param(req, "cancelReplaceMode"), "STOP_ON_FAILURE");
  EXPECT_EQ(param(req, "type"), "LIMIT_MAKER");
  r = ex->cancel_replace("k1-grid1-1", buy("k1-grid1-3"));  // 409: canceled, new one refused
  EXPECT_EQ(r.cancel_outcome, Outcome::kAccepted);
  EXPECT_EQ(r.place_outcome, Outcome::kRejected);
  EXPECT_EQ(r.error.http_status, 409);
  EXPECT_EQ(r.error.code, -2010);
  r = ex->cancel_replace("k1-grid1-9", buy("k1-grid1-4"));  // the cancel failed: nothing tried
  EXPECT_EQ(r.cancel_outcome, Outcome::kRejected);
  EXPECT_EQ(r.place_outcome, Outcome::kRejected);
  EXPECT_EQ(r.error.code, -2011);
  r = ex->cancel_replace("k1-grid1-1", buy("k1-grid1-5"));  // refused before either half
  EXPECT_EQ(r.cancel_outcome, Outcome::kRejected);
  EXPECT_EQ(r.place_outcome, Outcome::kRejected);
  EXPECT_EQ(r.error.code, -1013);
  r = ex->cancel_replace("k1-grid1-1", buy("k1-grid1-6"));  // 5xx: either half may have happened
  EXPECT_EQ(r.cancel_outcome, Outcome::kUnknown);
  EXPECT_EQ(r.place_outcome, Outcome::kUnknown);
}

TEST(BinanceLoopback, AmendKeepPriority) {
  TestVenue venue;
  venue.on("PUT /api/v3/order/amend/keepPriority", [](const VenueRequest& r) {
    return answer(200, R"({"transactTime":1741926410255,"executionId":75,"amendedOrder":{"symbol":"BTCUSDT","orderId":33,"orderListId":-1,)"
                           R"("origClientOrderId":")" + param(r, "origClientOrderId") + R"(","clientOrderId":")" +
                               param(r, "newClientOrderId") + R"(","price":"61000.00000000","qty":")" + param(r, "newQty") +
                               R"(","executedQty":"0.00000000","preventedQty":"0.00000000","quoteOrderQty":"0.00000000",)"
                               R"("cumulativeQuoteQty":"0.00000000","status":"NEW","timeInForce":"GTC","type":"LIMIT_MAKER","side":"BUY",)"
                               R"("workingTime":1741926410242,"selfTradePreventionMode":"NONE"}})");
  });
  auto ex = connect_or_die(rest_only(venue));
  ASSERT_TRUE(ex);
  const AmendResult r = ex->amend_keep_priority("BTCUSDT", "k1-grid1-1", 40);
  ASSERT_EQ(r.outcome, Outcome::kAccepted) << r.error.msg;
  EXPECT_EQ(r.order.client_order_id, "k1-grid1-1");  // the id is kept
  EXPECT_EQ(r.order.qty_lots, 40);
  EXPECT_EQ(param(venue.requests().back(), "newQty"), "0.00040000");
}

TEST(BinanceLoopback, QueryOrderNotFoundAndTradesPaging) {
  TestVenue venue;
  venue.on("GET /api/v3/order", [](const VenueRequest& r) {
    if (param(r, "orderId") == "7") {
      VenueRequest echo = r;
      echo.params["newClientOrderId"] = "k1-grid1-7";
      echo.params["price"] = "61000.00000000";
      echo.params["quantity"] = "3.00000000";
      echo.params["side"] = "BUY";
      return order_result(echo, 7);
    }
    return error_reply(400, -2013, "Order does not exist.");
  });
  venue.on("GET /api/v3/myTrades", [](const VenueRequest& r) {
    const int64_t from = param(r, "fromId").empty() ? 1 : std::stoll(param(r, "fromId"));
    const int64_t limit = std::stoll(param(r, "limit"));
    std::string body = "[";
    for (int64_t id = from; id < from + limit && id <= 2500; ++id) {
      if (body.size() > 1) body += ",";
      body += R"({"symbol":"BTCUSDT","id":)" + std::to_string(id) +
              R"(,"orderId":7,"orderListId":-1,"price":"61000.00000000","qty":"0.00100000","quoteQty":"61.00000000",)"
              R"("commission":"0.00610000","commissionAsset":"USDT","time":1700000000000,"isBuyer":true,"isMaker":true,"isBestMatch":true})";
    }
    return answer(200, body + "]");
  });
  auto ex = connect_or_die(rest_only(venue));
  ASSERT_TRUE(ex);
  auto missing = ex->query_order("BTCUSDT", "k1-grid1-404");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  auto page = ex->trades_from("BTCUSDT", 1, SIZE_MAX);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  const std::vector<TradeReport>* trades = &page->trades;
  ASSERT_EQ(trades->size(), 2500u);
  EXPECT_EQ(trades->front().trade_id, 1);
  EXPECT_EQ(trades->back().trade_id, 2500);
  EXPECT_EQ(trades->back().client_order_id, "k1-grid1-7");  // filled by GET order?orderId=7
  EXPECT_EQ(trades->back().commission_e8, 610'000);
  std::vector<std::string> from_ids;
  for (const VenueRequest& r : venue.requests()) {
    if (r.path == "/api/v3/myTrades") from_ids.push_back(param(r, "fromId"));
  }
  EXPECT_EQ(from_ids, (std::vector<std::string>{"1", "1001", "2001"}));
  EXPECT_EQ(venue.count("GET", "/api/v3/order"), 2);  // the -2013 query + one by orderId (cached)
  // One order's trades: myTrades?orderId=, paged by fromId after the first page.
  auto mine = ex->order_trades("BTCUSDT", 7);
  ASSERT_TRUE(mine.ok()) << mine.status().ToString();
  EXPECT_EQ(mine->size(), 2500u);
  std::vector<std::string> by_order;
  for (const VenueRequest& r : venue.requests()) {
    if (r.path == "/api/v3/myTrades" && !param(r, "orderId").empty()) {
      EXPECT_EQ(param(r, "orderId"), "7");
      by_order.push_back(param(r, "fromId"));
    }
  }
  EXPECT_EQ(by_order, (std::vector<std::string>{"", "1001", "2001"}));
  EXPECT_FALSE(ex->order_trades("BTCUSDT", 8).ok());  // the venue answered another order's trades
}

TEST(BinanceLoopback, RequestsRefusedBeforeSending) {
  TestVenue venue;
  accept_orders(venue);
  auto ex = connect_or_die(rest_only(venue));
  ASSERT_TRUE(ex);
  OrderRequest other = buy("k1-grid1-1");
  other.symbol = "ETHBTC";
  EXPECT_EQ(ex->place(other).error.code, -1121);
  EXPECT_EQ(ex->place(buy("bad.id")).error.code, -1100);
  OrderRequest zero = buy("k1-grid1-2");
  zero.qty_lots = 0;
  EXPECT_EQ(ex->place(zero).outcome, Outcome::kRejected);
  EXPECT_EQ(venue.count("POST", "/api/v3/order"), 0);
  EXPECT_FALSE(ex->query_order("ETHBTC", "k1-grid1-1").ok());
}

TEST(BinanceLoopback, ConnectErrors) {
  BinanceConfig bad;
  bad.symbol = "BTCUSDT";
  bad.rest_url = "ftp://x";
  auto r = BinanceExchange::connect(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("rest_url"), std::string::npos) << r.status().ToString();
  BinanceConfig no_key;
  no_key.symbol = "BTCUSDT";
  auto k = BinanceExchange::connect(no_key);
  ASSERT_FALSE(k.ok());
  EXPECT_NE(k.status().message().find("api_key"), std::string::npos);
  uint16_t dead_port = 0;
  {
    TestVenue gone;  // a port that was just closed
    dead_port = static_cast<uint16_t>(std::stoi(gone.http_url().substr(17)));
  }
  BinanceConfig dead;
  dead.symbol = "BTCUSDT";
  dead.rest_url = "http://127.0.0.1:" + std::to_string(dead_port);
  dead.market_stream = dead.user_stream = false;
  dead.request_timeout_ms = 500;
  auto d = BinanceExchange::connect(dead);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), Code::kIOError) << d.status().ToString();
}

}  // namespace
}  // namespace keel::exchange::binance
