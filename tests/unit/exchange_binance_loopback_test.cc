// The connector's REST path against an in-process venue on 127.0.0.1 (exchange_binance_testvenue.h):
// keep-alive reuse, timeout -> kUnknown on POST, 5xx/-1006/-1007 -> kUnknown, lost connection
// after sending -> kUnknown, 429 Retry-After honoured, request stamps sent verbatim, -1021 ->
// offset resync (a read retried once, a state-changing request kRejected and never re-sent),
// rate-limit headers, cancelReplace halves, -2013, bounded myTrades paging and its client order
// ids, the latest trade, allOrders paging, balances that do not fit, the venue clock.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>

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

// Two accounts' connections from one process share the IP's gate (binance-spot.md §2: request
// weight and bans are per IP, the ORDERS limit per account): a 429 -1003 answered to one stops
// the other's requests too; a 429 -1015 stops only its own account's new orders.
TEST(BinanceLoopback, TheIpGateIsSharedByEveryAccountTheOrdersLimitIsNot) {
  ManualClock clock(1'700'000'000'000);
  TestVenue venue(&clock);
  std::atomic<int> n{0};
  venue.on("POST /api/v3/order", [&n](const VenueRequest& r) {
    const int k = n++;
    if (k == 0) {
      VenueReply reply = error_reply(429, -1015, "Too many new orders; current limit is 50 orders per 10 SECOND.");
      reply.headers.emplace_back("Retry-After", "10");
      return reply;
    }
    if (k == 2) {
      VenueReply reply = error_reply(429, -1003, "Too much request weight used; current limit is 6000 request weight per 1 MINUTE.");
      reply.headers.emplace_back("Retry-After", "5");
      return reply;
    }
    return order_result(r, k);
  });
  auto shared = std::make_shared<RateGate>();
  BinanceConfig cfg = rest_only(venue);
  cfg.clock = &clock;
  cfg.ip_gate = shared;
  auto alpha = connect_or_die(cfg);
  auto beta = connect_or_die(cfg);
  ASSERT_TRUE(alpha && beta);
  EXPECT_EQ(alpha->place(buy("k1-a-1")).error.code, -1015);   // alpha's ORDERS limit
  EXPECT_EQ(alpha->place(buy("k1-a-2")).outcome, Outcome::kRejected);  // refused locally
  EXPECT_EQ(beta->place(buy("k1-b-1")).outcome, Outcome::kAccepted);  // beta's orders go on
  EXPECT_EQ(beta->place(buy("k1-b-2")).error.code, -1003);    // the IP's weight
  EXPECT_FALSE(alpha->open_orders("BTCUSDT").ok());           // every account of the IP stops
  EXPECT_EQ(beta->place(buy("k1-b-3")).outcome, Outcome::kRejected);
  EXPECT_EQ(venue.count("POST", "/api/v3/order"), 3);
  EXPECT_EQ(venue.count("GET", "/api/v3/openOrders"), 0);
  clock.advance_ms(5'000);  // the weight window's Retry-After passed; alpha's -1015 has not
  EXPECT_EQ(beta->place(buy("k1-b-4")).outcome, Outcome::kAccepted);
  EXPECT_EQ(alpha->place(buy("k1-a-3")).outcome, Outcome::kRejected);
  EXPECT_EQ(venue.count("POST", "/api/v3/order"), 4);
}

TEST(BinanceLoopback, TimestampRejectionOfAPlaceIsConclusiveAndResyncsTheOffset) {
  TestVenue venue;
  accept_orders(venue);
  auto ex = connect_or_die(rest_only(venue));
  ASSERT_TRUE(ex);
  EXPECT_EQ(venue.count("GET", "/api/v3/time"), 1);
  venue.shift_clock_ms(3'600'000);  // the venue's clock jumps an hour ahead of ours
  const PlaceResult r = ex->place(buy("k1-grid1-1"));
  // Refused before the matching engine: kRejected with the venue's words, and never re-sent.
  EXPECT_EQ(r.outcome, Outcome::kRejected);
  EXPECT_EQ(r.error.http_status, 400);
  EXPECT_EQ(r.error.code, -1021);
  EXPECT_EQ(r.error.msg, "Timestamp for this request is outside of the recvWindow.");
  EXPECT_EQ(venue.count("POST", "/api/v3/order"), 1);
  EXPECT_EQ(venue.count("GET", "/api/v3/time"), 2);  // the offset is measured again
  EXPECT_NEAR(static_cast<double>(ex->server_offset_ms()), 3'600'000.0, 1000.0);
  EXPECT_EQ(ex->place(buy("k1-grid1-2")).outcome, Outcome::kAccepted);  // no more -1021
  EXPECT_EQ(venue.count("POST", "/api/v3/order"), 2);
}

TEST(BinanceLoopback, TimestampRejectionOfAReadIsRetriedOnceAfterAResync) {
  TestVenue venue;
  venue.on("GET /api/v3/openOrders", [](const VenueRequest&) { return answer(200, "[]"); });
  auto ex = connect_or_die(rest_only(venue));
  ASSERT_TRUE(ex);
  venue.shift_clock_ms(3'600'000);
  auto open = ex->open_orders("BTCUSDT");
  EXPECT_TRUE(open.ok()) << open.status().ToString();
  EXPECT_EQ(venue.count("GET", "/api/v3/openOrders"), 2);  // -1021, then the one retry
  EXPECT_EQ(venue.count("GET", "/api/v3/time"), 2);
}

TEST(BinanceLoopback, TimestampRejectionIsRetriedOnlyOnce) {
  TestVenue venue;
  venue.on("GET /api/v3/openOrders", [](const VenueRequest&) {
    return error_reply(400, -1021, "Timestamp for this request was 1000ms ahead of the server's time.");
  });
  venue.on("POST /api/v3/order", [](const VenueRequest&) {
    return error_reply(400, -1021, "Timestamp for this request was 1000ms ahead of the server's time.");
  });
  auto ex = connect_or_die(rest_only(venue));
  ASSERT_TRUE(ex);
  auto open = ex->open_orders("BTCUSDT");
  ASSERT_FALSE(open.ok());
  EXPECT_EQ(open.status().code(), Code::kRejected);
  EXPECT_EQ(venue.count("GET", "/api/v3/openOrders"), 2);
  const PlaceResult r = ex->place(buy("k1-grid1-1"));
  EXPECT_EQ(r.outcome, Outcome::kRejected);
  EXPECT_EQ(r.error.code, -1021);
  EXPECT_EQ(venue.count("POST", "/api/v3/order"), 1);
}

// The journaled stamp (W1/R1) goes out verbatim as timestamp / recvWindow; zero fields are the
// connector's own choice (venue clock estimate, configured recvWindow).
TEST(BinanceLoopback, RequestStampsAreSentVerbatim) {
  TestVenue venue;
  accept_orders(venue);
  venue.on("DELETE /api/v3/order", [](const VenueRequest& r) {
    return answer(200, cancel_body(param(r, "origClientOrderId"), 1));
  });
  venue.on("POST /api/v3/order/cancelReplace", [](const VenueRequest& r) {
    return answer(200, R"({"cancelResult":"SUCCESS","newOrderResult":"SUCCESS","cancelResponse":)" +
                           cancel_body(param(r, "cancelOrigClientOrderId"), 1) +
                           R"(,"newOrderResponse":)" + order_result(r, 2).body + "}");
  });
  venue.on("PUT /api/v3/order/amend/keepPriority", [](const VenueRequest& r) {
    return answer(200, R"({"transactTime":1741926410255,"executionId":75,"amendedOrder":{"symbol":"BTCUSDT","orderId":33,"orderListId":-1,)"
                           R"("origClientOrderId":"a","clientOrderId":")" + param(r, "newClientOrderId") +
                           R"(","price":"61000.00000000","qty":"0.00040000","executedQty":"0.00000000","preventedQty":"0.00000000",)"
                           R"("quoteOrderQty":"0.00000000","cumulativeQuoteQty":"0.00000000","status":"NEW","timeInForce":"GTC",)"
                           R"("type":"LIMIT_MAKER","side":"BUY","workingTime":1741926410242,"selfTradePreventionMode":"NONE"}})");
  });
  auto ex = connect_or_die(rest_only(venue));
  ASSERT_TRUE(ex);
  const int64_t ts = venue.server_ms() - 1234;  // within the window: the venue accepts it
  const RequestStamp stamp{ts, 7000};

  OrderRequest req = buy("k1-grid1-1");
  req.stamp = stamp;
  ASSERT_EQ(ex->place(req).outcome, Outcome::kAccepted);
  VenueRequest sent = venue.requests().back();
  EXPECT_EQ(param(sent, "timestamp"), std::to_string(ts));
  EXPECT_EQ(param(sent, "recvWindow"), "7000");

  ASSERT_EQ(ex->cancel("BTCUSDT", "k1-grid1-1", RequestStamp{ts + 1, 6000}).outcome, Outcome::kAccepted);
  sent = venue.requests().back();
  EXPECT_EQ(sent.method, "DELETE");
  EXPECT_EQ(param(sent, "timestamp"), std::to_string(ts + 1));
  EXPECT_EQ(param(sent, "recvWindow"), "6000");

  OrderRequest repl = buy("k1-grid1-2");
  repl.stamp = RequestStamp{ts + 2, 60'000};
  const ReplaceResult rr = ex->cancel_replace("k1-grid1-1", repl);
  ASSERT_EQ(rr.place_outcome, Outcome::kAccepted) << rr.error.msg;
  sent = venue.requests().back();
  EXPECT_EQ(sent.path, "/api/v3/order/cancelReplace");
  EXPECT_EQ(param(sent, "timestamp"), std::to_string(ts + 2));
  EXPECT_EQ(param(sent, "recvWindow"), "60000");

  ASSERT_EQ(ex->amend_keep_priority("BTCUSDT", "k1-grid1-2", 40, RequestStamp{ts + 3, 5500}).outcome,
            Outcome::kAccepted);
  sent = venue.requests().back();
  EXPECT_EQ(sent.method, "PUT");
  EXPECT_EQ(param(sent, "timestamp"), std::to_string(ts + 3));
  EXPECT_EQ(param(sent, "recvWindow"), "5500");

  // A zero field is the connector's choice: here the configured recvWindow with the stamp's
  // timestamp, then both chosen (the venue clock estimate, within a second of the venue's).
  req = buy("k1-grid1-3");
  req.stamp = RequestStamp{ts + 4, 0};
  ASSERT_EQ(ex->place(req).outcome, Outcome::kAccepted);
  sent = venue.requests().back();
  EXPECT_EQ(param(sent, "timestamp"), std::to_string(ts + 4));
  EXPECT_EQ(param(sent, "recvWindow"), "5000");
  ASSERT_EQ(ex->place(buy("k1-grid1-4")).outcome, Outcome::kAccepted);
  sent = venue.requests().back();
  EXPECT_EQ(param(sent, "recvWindow"), "5000");
  EXPECT_NEAR(static_cast<double>(std::stoll(param(sent, "timestamp"))),
              static_cast<double>(venue.server_ms()), 1000.0);
  EXPECT_EQ(venue.count("GET", "/api/v3/time"), 1);  // no -1021 anywhere
}

// A stamp whose window has passed: the venue answers -1021, which proves the request never
// reached the matching engine. One request, kRejected, the venue's code and message, no retry.
TEST(BinanceLoopback, StampedRequestsPastTheirWindowAreRejectedOnce) {
  TestVenue venue;
  accept_orders(venue);
  auto ex = connect_or_die(rest_only(venue));
  ASSERT_TRUE(ex);
  const RequestStamp expired{venue.server_ms() - 20'000, 5000};
  OrderRequest req = buy("k1-grid1-1");
  req.stamp = expired;
  const PlaceResult p = ex->place(req);
  EXPECT_EQ(p.outcome, Outcome::kRejected);
  EXPECT_EQ(p.error.http_status, 400);
  EXPECT_EQ(p.error.code, -1021);
  EXPECT_EQ(p.error.msg, "Timestamp for this request is outside of the recvWindow.");
  EXPECT_EQ(venue.count("POST", "/api/v3/order"), 1);
  EXPECT_EQ(venue.count("GET", "/api/v3/time"), 2);  // re-measured for later requests

  const CancelResult c = ex->cancel("BTCUSDT", "k1-grid1-1", expired);
  EXPECT_EQ(c.outcome, Outcome::kRejected);
  EXPECT_EQ(c.error.code, -1021);
  EXPECT_EQ(venue.count("DELETE", "/api/v3/order"), 1);

  OrderRequest repl = buy("k1-grid1-2");
  repl.stamp = expired;
  const ReplaceResult r = ex->cancel_replace("k1-grid1-1", repl);
  EXPECT_EQ(r.cancel_outcome, Outcome::kRejected);
  EXPECT_EQ(r.place_outcome, Outcome::kRejected);
  EXPECT_EQ(r.error.code, -1021);
  EXPECT_EQ(venue.count("POST", "/api/v3/order/cancelReplace"), 1);

  const AmendResult a = ex->amend_keep_priority("BTCUSDT", "k1-grid1-1", 40, expired);
  EXPECT_EQ(a.outcome, Outcome::kRejected);
  EXPECT_EQ(a.error.code, -1021);
  EXPECT_EQ(venue.count("PUT", "/api/v3/order/amend/keepPriority"), 1);
  EXPECT_EQ(venue.count("GET", "/api/v3/time"), 5);
}

TEST(BinanceLoopback, InvalidStampsAreRefusedUnsent) {
  TestVenue venue;
  accept_orders(venue);
  auto ex = connect_or_die(rest_only(venue));
  ASSERT_TRUE(ex);
  OrderRequest req = buy("k1-grid1-1");
  req.stamp = RequestStamp{venue.server_ms(), 60'001};
  PlaceResult p = ex->place(req);
  EXPECT_EQ(p.outcome, Outcome::kRejected);
  EXPECT_EQ(p.error.code, -1131);
  EXPECT_NE(p.error.msg.find("not sent"), std::string::npos) << p.error.msg;
  req.stamp = RequestStamp{-5, 5000};
  EXPECT_EQ(ex->place(req).error.code, -1102);
  EXPECT_EQ(ex->cancel("BTCUSDT", "k1-grid1-1", RequestStamp{1, -1}).error.code, -1131);
  EXPECT_EQ(venue.count("POST", "/api/v3/order"), 0);
  EXPECT_EQ(venue.count("DELETE", "/api/v3/order"), 0);
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

// ---- bounded myTrades, latest trade, allOrders --------------------------------------------

std::string trade_json(int64_t id, int64_t order_id) {
  return R"({"symbol":"BTCUSDT","id":)" + std::to_string(id) + R"(,"orderId":)" + std::to_string(order_id) +
         R"(,"orderListId":-1,"price":"61000.00000000","qty":"0.00100000","quoteQty":"61.00000000",)"
         R"("commission":"0.00610000","commissionAsset":"USDT","time":1700000000000,"isBuyer":true,"isMaker":true,"isBestMatch":true})";
}

// GET /api/v3/myTrades over trades 1..*total (§5): fromId inclusive, `limit` honoured; without
// fromId the most recent `limit` trades, ascending. Trade `id` belongs to order order_of(id).
void serve_trades(TestVenue& v, std::shared_ptr<std::atomic<int64_t>> total,
                  std::function<int64_t(int64_t)> order_of) {
  v.on("GET /api/v3/myTrades", [total, order_of](const VenueRequest& r) {
    const int64_t limit = param(r, "limit").empty() ? 500 : std::stoll(param(r, "limit"));
    const int64_t last = total->load();
    const int64_t from = param(r, "fromId").empty() ? std::max<int64_t>(1, last - limit + 1)
                                                    : std::stoll(param(r, "fromId"));
    std::string body = "[";
    for (int64_t id = from; id < from + limit && id <= last; ++id) {
      if (body.size() > 1) body += ",";
      body += trade_json(id, order_of(id));
    }
    return answer(200, body + "]");
  });
}

// An order object of BTCUSDT, id `id`, client id "k1-grid1-<id>" (GET order, allOrders element).
std::string order_json(int64_t id) {
  return R"({"symbol":"BTCUSDT","orderId":)" + std::to_string(id) + R"(,"orderListId":-1,"clientOrderId":"k1-grid1-)" +
         std::to_string(id) +
         R"(","price":"61000.00000000","origQty":"0.00100000","executedQty":"0.00100000","cummulativeQuoteQty":"61.00000000",)"
         R"("status":"FILLED","timeInForce":"GTC","type":"LIMIT_MAKER","side":"BUY","stopPrice":"0.00000000","icebergQty":"0.00000000",)"
         R"("time":1700000000000,"updateTime":1700000000001,"isWorking":true,"origQuoteOrderQty":"0.00000000",)"
         R"("workingTime":1700000000000,"selfTradePreventionMode":"NONE"})";
}

// GET /api/v3/order?orderId=N answers order N.
void serve_orders_by_id(TestVenue& v) {
  v.on("GET /api/v3/order", [](const VenueRequest& r) {
    if (param(r, "orderId").empty()) return error_reply(400, -2013, "Order does not exist.");
    return answer(200, order_json(std::stoll(param(r, "orderId"))));
  });
}

std::vector<std::string> params_of(const TestVenue& v, const std::string& path, const std::string& key) {
  std::vector<std::string> out;
  for (const VenueRequest& r : v.requests()) {
    if (r.path == path) out.push_back(param(r, key));
  }
  return out;
}

TEST(BinanceLoopback, TradesFromIsBoundedAndItsMoreIsExact) {
  TestVenue venue;
  auto total = std::make_shared<std::atomic<int64_t>>(2500);
  serve_trades(venue, total, [](int64_t) { return 7; });
  serve_orders_by_id(venue);
  auto ex = connect_or_die(rest_only(venue));
  ASSERT_TRUE(ex);
  using Ids = std::vector<std::string>;
  auto from_ids = [&] {
    Ids ids = params_of(venue, "/api/v3/myTrades", "fromId");
    for (const std::string& l : params_of(venue, "/api/v3/myTrades", "limit")) EXPECT_EQ(l, "1000");
    return ids;
  };

  // The bound falls inside the second page: the next trade was seen, more = true.
  auto p = ex->trades_from("BTCUSDT", 1, 1500);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->trades.size(), 1500u);
  EXPECT_EQ(p->trades.front().trade_id, 1);
  EXPECT_EQ(p->trades.back().trade_id, 1500);
  EXPECT_EQ(p->trades.back().client_order_id, "k1-grid1-7");
  EXPECT_TRUE(p->more);
  EXPECT_EQ(from_ids(), (Ids{"1", "1001"}));

  // The bound falls exactly at the end of a full page: one more page decides (empty: no more).
  p = ex->trades_from("BTCUSDT", 1501, 1000);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->trades.size(), 1000u);
  EXPECT_EQ(p->trades.back().trade_id, 2500);
  EXPECT_FALSE(p->more);
  EXPECT_EQ(from_ids(), (Ids{"1", "1001", "1501", "2501"}));

  // ... and there is more: the extra page's first trade says so.
  p = ex->trades_from("BTCUSDT", 1, 2000);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->trades.size(), 2000u);
  EXPECT_TRUE(p->more);
  EXPECT_EQ(from_ids(), (Ids{"1", "1001", "1501", "2501", "1", "1001", "2001"}));

  // A short page ends the history.
  p = ex->trades_from("BTCUSDT", 2001, 10'000);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->trades.size(), 500u);
  EXPECT_FALSE(p->more);
  p = ex->trades_from("BTCUSDT", 2501, 10);
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->trades.empty());
  EXPECT_FALSE(p->more);
  // max_trades = 0 asks the venue whether anything is there.
  p = ex->trades_from("BTCUSDT", 2495, 0);
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->trades.empty());
  EXPECT_TRUE(p->more);
  p = ex->trades_from("BTCUSDT", 2501, 0);
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(p->more);
  EXPECT_EQ(venue.count("GET", "/api/v3/order"), 1);  // order 7 once, then remembered
  EXPECT_FALSE(ex->trades_from("ETHBTC", 1, 10).ok());
}

TEST(BinanceLoopback, TradesFromBoundsTheOrderQueriesForClientIds) {
  TestVenue venue;
  auto total = std::make_shared<std::atomic<int64_t>>(50);
  serve_trades(venue, total, [](int64_t id) { return 1000 + (id + 1) / 2; });  // 2 trades an order
  serve_orders_by_id(venue);
  venue.on("GET /api/v3/openOrders", [](const VenueRequest&) {
    std::string body = "[";
    for (int64_t id = 1009; id <= 1025; ++id) body += (id > 1009 ? "," : "") + order_json(id);
    return answer(200, body + "]");
  });
  BinanceConfig cfg = rest_only(venue);
  cfg.trade_order_queries = 4;
  auto ex = connect_or_die(cfg);
  ASSERT_TRUE(ex);
  // Trades 1..8 are orders 1001..1004 (4 queries); trade 9's order is over the budget: the page
  // ends before it, more = true, and every trade returned has its client order id.
  auto p = ex->trades_from("BTCUSDT", 1, 1000);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_EQ(p->trades.size(), 8u);
  EXPECT_TRUE(p->more);
  for (const TradeReport& t : p->trades) {
    EXPECT_EQ(t.client_order_id, "k1-grid1-" + std::to_string(t.order_id)) << t.trade_id;
  }
  EXPECT_EQ(venue.count("GET", "/api/v3/order"), 4);
  p = ex->trades_from("BTCUSDT", 9, 1000);  // the caller continues at the last id + 1
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->trades.size(), 8u);
  EXPECT_EQ(p->trades.front().trade_id, 9);
  EXPECT_TRUE(p->more);
  EXPECT_EQ(venue.count("GET", "/api/v3/order"), 8);
  // Orders the connector has seen (here listed open) need no query.
  ASSERT_TRUE(ex->open_orders("BTCUSDT").ok());
  p = ex->trades_from("BTCUSDT", 17, 1000);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->trades.size(), 34u);
  EXPECT_FALSE(p->more);
  EXPECT_EQ(p->trades.back().client_order_id, "k1-grid1-1025");
  EXPECT_EQ(venue.count("GET", "/api/v3/order"), 8);
}

TEST(BinanceLoopback, LatestTradeAsksForTheMostRecentOne) {
  TestVenue venue;
  auto total = std::make_shared<std::atomic<int64_t>>(2500);
  serve_trades(venue, total, [](int64_t id) { return 40 + id % 3; });
  serve_orders_by_id(venue);
  auto ex = connect_or_die(rest_only(venue));
  ASSERT_TRUE(ex);
  auto t = ex->latest_trade("BTCUSDT");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_TRUE(t->has_value());
  EXPECT_EQ((*t)->trade_id, 2500);
  EXPECT_EQ((*t)->order_id, 40 + 2500 % 3);
  EXPECT_EQ((*t)->client_order_id, "k1-grid1-" + std::to_string(40 + 2500 % 3));
  const VenueRequest sent = [&] {
    for (const VenueRequest& r : venue.requests()) {
      if (r.path == "/api/v3/myTrades") return r;
    }
    return VenueRequest{};
  }();
  EXPECT_EQ(sent.params.count("fromId"), 0u);  // no fromId: the venue's most recent trades
  EXPECT_EQ(param(sent, "limit"), "1");
  total->store(0);
  auto none = ex->latest_trade("BTCUSDT");
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_FALSE(none->has_value());
  EXPECT_FALSE(ex->latest_trade("ETHBTC").ok());
}

TEST(BinanceLoopback, OrdersFromPagesAllOrdersByOrderId) {
  TestVenue venue;
  std::atomic<bool> descending{false};
  venue.on("GET /api/v3/allOrders", [&descending](const VenueRequest& r) {
    const int64_t from = std::max<int64_t>(5, std::stoll(param(r, "orderId")));
    const int64_t limit = std::stoll(param(r, "limit"));
    std::vector<int64_t> ids;
    for (int64_t id = from; id < from + limit && id <= 2504; ++id) ids.push_back(id);
    if (descending.load()) std::reverse(ids.begin(), ids.end());
    std::string body = "[";
    for (int64_t id : ids) body += (body.size() > 1 ? "," : "") + order_json(id);
    return answer(200, body + "]");
  });
  auto total = std::make_shared<std::atomic<int64_t>>(20);
  serve_trades(venue, total, [](int64_t id) { return 100 + id; });
  serve_orders_by_id(venue);
  auto ex = connect_or_die(rest_only(venue));
  ASSERT_TRUE(ex);
  auto all = ex->orders_from("BTCUSDT", 1, SIZE_MAX);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 2500u);
  EXPECT_EQ(all->front().order_id, 5);
  EXPECT_EQ(all->back().order_id, 2504);
  EXPECT_EQ(all->back().client_order_id, "k1-grid1-2504");
  EXPECT_EQ(all->back().status, OrderStatus::kFilled);
  EXPECT_EQ(all->back().executed_lots, 100);
  EXPECT_EQ(params_of(venue, "/api/v3/allOrders", "orderId"),
            (std::vector<std::string>{"1", "1005", "2005"}));
  for (const std::string& l : params_of(venue, "/api/v3/allOrders", "limit")) EXPECT_EQ(l, "1000");
  auto some = ex->orders_from("BTCUSDT", 100, 50);
  ASSERT_TRUE(some.ok());
  ASSERT_EQ(some->size(), 50u);
  EXPECT_EQ(some->front().order_id, 100);
  EXPECT_EQ(some->back().order_id, 149);
  EXPECT_EQ(venue.count("GET", "/api/v3/allOrders"), 4);
  auto none = ex->orders_from("BTCUSDT", 3000, 10);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  auto zero = ex->orders_from("BTCUSDT", 1, 0);
  ASSERT_TRUE(zero.ok());
  EXPECT_TRUE(zero->empty());
  EXPECT_EQ(venue.count("GET", "/api/v3/allOrders"), 5);
  // The listed orders' client ids are remembered: their trades need no GET order.
  auto trades = ex->trades_from("BTCUSDT", 1, 100);
  ASSERT_TRUE(trades.ok());
  EXPECT_EQ(trades->trades.size(), 20u);
  EXPECT_EQ(trades->trades.back().client_order_id, "k1-grid1-120");
  EXPECT_EQ(venue.count("GET", "/api/v3/order"), 0);
  descending.store(true);
  auto bad = ex->orders_from("BTCUSDT", 1, 10);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Code::kIOError);
  EXPECT_NE(bad.status().message().find("ascending"), std::string::npos) << bad.status().ToString();
  EXPECT_FALSE(ex->orders_from("ETHBTC", 1, 10).ok());
}

// A real account holding 1e11 units of an airdropped token failed at connect: balances that do
// not fit int64 at 10^-8 are kept inexact, never an error.
TEST(BinanceLoopback, HugeBalancesDoNotStopConnect) {
  TestVenue venue;
  venue.on("GET /api/v3/account", [](const VenueRequest&) {
    return answer(200, R"({"canTrade":true,"balances":[{"asset":"BTC","free":"4723846.89208129","locked":"0.00000000"},)"
                       R"({"asset":"USDT","free":"1000.00000000","locked":"0.00000000"},)"
                       R"({"asset":"AIRDROP","free":"100000000000.00000000","locked":"0.00000000"},)"
                       R"({"asset":"MEME","free":"99999999999999999999.12345678","locked":"0.00000000"}]})");
  });
  auto ex = connect_or_die(rest_only(venue));
  ASSERT_TRUE(ex);
  const Balances cached = ex->cached_balances();
  EXPECT_TRUE(cached.at("BTC").exact);
  EXPECT_EQ(cached.at("BTC").free_e8, 472384689208129);
  EXPECT_FALSE(cached.at("AIRDROP").exact);
  EXPECT_EQ(cached.at("AIRDROP").free_e8, 0);
  EXPECT_FALSE(cached.at("MEME").exact);
  auto b = ex->balances();
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->size(), 4u);
  EXPECT_FALSE(b->at("AIRDROP").exact);
}

TEST(BinanceLoopback, VenueTimeIsLocalRealtimePlusTheMeasuredOffset) {
  ManualClock clock(1'700'000'000'000);
  TestVenue venue(&clock);
  venue.shift_clock_ms(123'456);  // the venue runs 123.456 s ahead of our clock
  BinanceConfig cfg = rest_only(venue);
  cfg.clock = &clock;
  auto ex = connect_or_die(cfg);
  ASSERT_TRUE(ex);
  EXPECT_EQ(ex->server_offset_ms(), 123'456);  // a frozen clock: no round trip to halve
  EXPECT_EQ(ex->venue_time_ms(), venue.server_ms());
  clock.advance_ms(5000);
  EXPECT_EQ(ex->venue_time_ms(), 1'700'000'005'000 + 123'456);
  EXPECT_EQ(ex->venue_time_ms(), venue.server_ms());
  // After a -1021 the offset is measured again, and the venue clock follows it.
  venue.shift_clock_ms(10'000);
  EXPECT_EQ(ex->place(buy("k1-grid1-1")).error.code, -1021);
  EXPECT_EQ(ex->server_offset_ms(), 133'456);
  EXPECT_EQ(ex->venue_time_ms(), venue.server_ms());
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
