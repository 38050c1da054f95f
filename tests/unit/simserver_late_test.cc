// `keel sim` faults of issue 9 (keel/simserver/faults.h) against an in-process server over the
// synthetic market: late=P:MS (answered 503/-1007 at once, executed later with no client
// connected, unseen until then, expired past timestamp + recvWindow; cancels and
// cancelReplace too), dropped executionReports without any WebSocket disconnect (a partial
// fill's and a cancel's), and the truth's count of cancel requests per origClientOrderId.
#include <algorithm>

#include "simserver_testutil.h"

namespace keel::simserver::testutil {
namespace {

using V = http::verb;

constexpr const char* kTimeoutBody =
    R"({"code":-1007,"msg":"Timeout waiting for response from backend server. Send status unknown; execution status unknown."})";

TEST(SimServerLateSpec, ParsesAndBoundsTheLateFault) {
  auto f = parse_fault_spec("late=0.25:1500,reject=0.5");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_DOUBLE_EQ(f->late, 0.25);
  EXPECT_EQ(f->late_ms, 1500);
  EXPECT_EQ(describe_faults(*f), "reject=0.5,late=0.25:1500");
  EXPECT_EQ(parse_fault_spec("late=1:0")->late_ms, 0);
  for (const char* bad : {"late=0.5", "late=0.5:", "late=:100", "late=2:100", "late=0.5:1.5",
                          "late=0.5:600001", "late=0.6:10,unknown_placed=0.5"}) {
    auto r = parse_fault_spec(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_NE(r.status().message().find("faults:"), std::string::npos) << bad;
    }
  }
  EXPECT_NE(std::string(kFaultSpecHelp).find("late=P:MS"), std::string::npos);
}

// Two draws per state-changing request whatever the spec, and `late` takes its share after the
// other order faults: adding it changes only requests the other faults left alone.
TEST(SimServerLateSpec, LateLeavesTheOtherDecisionsOfASeedUnchanged) {
  FaultSpec base;
  base.reject = 0.2;
  base.unknown_placed = 0.1;
  base.unknown_not_placed = 0.1;
  FaultSpec with_late = base;
  with_late.late = 0.3;
  with_late.late_ms = 100;
  RequestFaults a(base, 11), b(with_late, 11);
  int late = 0;
  for (int i = 0; i < 500; ++i) {
    bool ta = false, tb = false;
    const bool can_delay = i % 7 != 0;  // DELETE openOrders is never late
    const OrderFault fa = a.draw_order(true, ta, can_delay);
    const OrderFault fb = b.draw_order(true, tb, can_delay);
    EXPECT_EQ(ta, tb);
    if (fa != OrderFault::kNone) {
      EXPECT_EQ(fa, fb) << i;
    } else if (fb == OrderFault::kLate) {
      EXPECT_TRUE(can_delay) << i;
      ++late;
    } else {
      EXPECT_EQ(fb, OrderFault::kNone) << i;
    }
  }
  EXPECT_GT(late, 50);  // about 0.3 x 500 x 6/7
}

class SimServerLateTest : public SimServerTest {
 protected:
  void start_late(int64_t late_ms) {
    ServerOptions o = default_options();
    o.faults.late = 1;
    o.faults.late_ms = late_ms;
    start(o);
  }
  Json truth() { return http_->get("/sim/v1/truth").json(); }
  // Polls the truth until pred holds (true) or 15 s pass (false).
  bool wait_truth(const std::function<bool(const Json&)>& pred) {
    for (int i = 0; i < 300; ++i) {
      if (pred(truth())) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  Reply query(const std::string& id) {
    return http_->signed_request(V::get, "/api/v3/order", "symbol=BTCUSDT&origClientOrderId=" + id);
  }
  size_t open_count() {
    return Json::size(http_->signed_request(V::get, "/api/v3/openOrders", "symbol=BTCUSDT").json().root());
  }
};

TEST_F(SimServerLateTest, LatePlaceIsUnseenThenExecutesWithNoClientConnected) {
  start_late(2000);
  Reply r = place("BUY", "59980", "0.001", "late-1");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, kTimeoutBody);
  // Not executed yet: the venue has not seen it.
  Reply q = query("late-1");
  EXPECT_EQ(q.status, 400);
  EXPECT_EQ(q.body, R"({"code":-2013,"msg":"Order does not exist."})");
  EXPECT_EQ(open_count(), 0u);
  Json before = truth();
  EXPECT_EQ(Json::size(before["orders"]), 0u);
  EXPECT_EQ(Json::num(before["late"], "pending"), 1);
  // Every client goes away; the request still executes.
  http_.reset();
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  http_ = std::make_unique<HttpClient>(server_->port());
  ASSERT_TRUE(wait_truth([](const Json& t) { return Json::size(t["orders"]) == 1; }));
  Json after = truth();
  EXPECT_EQ(Json::num(after["late"], "pending"), 0);
  EXPECT_EQ(Json::num(after["late"], "executed"), 1);
  EXPECT_EQ(Json::num(after["late"], "expired"), 0);
  Reply q2 = query("late-1");
  ASSERT_EQ(q2.status, 200) << q2.body;
  EXPECT_EQ(q2.json().str("status"), "NEW");
  EXPECT_EQ(q2.json().str("price"), "59980.00000000");
  EXPECT_EQ(open_count(), 1u);
}

TEST_F(SimServerLateTest, LatePlaceExecutesWithItsUserDataEvents) {
  start_late(300);
  WsClient ws(server_->port(), "/ws-api/v3");
  const std::string ts = std::to_string(SystemClock::instance().realtime_ns() / 1'000'000);
  const std::map<std::string, std::string> params{{"apiKey", kKey}, {"timestamp", ts}};
  ws.send(R"({"id":1,"method":"userDataStream.subscribe.signature","params":{"apiKey":")" +
          std::string(kKey) + R"(","timestamp":)" + ts + R"(,"signature":")" +
          exchange::binance::hmac_sha256_hex(kSecret, exchange::binance::ws_api_payload(params)) +
          R"("}})");
  auto ok = ws.read();
  ASSERT_TRUE(ok && contains(*ok, R"("status":200)"));
  EXPECT_EQ(place("BUY", "59995", "0.001", "late-fill").status, 503);
  // NEW, then (it fills on the next sell trade) TRADE, each followed by a position.
  auto created = ws.read_until([](const std::string& m) { return contains(m, R"("x":"NEW")"); });
  ASSERT_TRUE(created);
  EXPECT_TRUE(contains(*created, R"("c":"late-fill")")) << *created;
  auto fill = ws.read_until([](const std::string& m) { return contains(m, R"("x":"TRADE")"); });
  ASSERT_TRUE(fill);
  EXPECT_TRUE(contains(*fill, R"("X":"FILLED")")) << *fill;
  EXPECT_EQ(Json::size(http_->signed_request(V::get, "/api/v3/myTrades", "symbol=BTCUSDT").json().root()), 1u);
}

TEST_F(SimServerLateTest, LateRequestPastItsRecvWindowNeverExecutes) {
  start_late(2500);
  // Accepted at receipt (well inside 600 ms), but executing 2500 ms later is past
  // timestamp + recvWindow: Binance's re-check before the matching engine expires it.
  Reply r = place("BUY", "59980", "0.001", "expired-1", "&recvWindow=600");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, kTimeoutBody);
  ASSERT_TRUE(wait_truth([](const Json& t) { return Json::num(t["late"], "expired") == 1; }));
  Json t = truth();
  EXPECT_EQ(Json::num(t["late"], "executed"), 0);
  EXPECT_EQ(Json::num(t["late"], "pending"), 0);
  EXPECT_EQ(Json::size(t["orders"]), 0u);
  EXPECT_EQ(query("expired-1").status, 400);
  // The same request with the default recvWindow (5000 ms) executes.
  EXPECT_EQ(place("BUY", "59980", "0.001", "in-window").status, 503);
  ASSERT_TRUE(wait_truth([](const Json& t) { return Json::num(t["late"], "executed") == 1; }));
  EXPECT_EQ(query("in-window").json().str("status"), "NEW");
}

TEST_F(SimServerLateTest, LateCancelAndCancelReplace) {
  start_late(1000);
  ASSERT_EQ(place("BUY", "59980", "0.001", "lc-1").status, 503);
  ASSERT_TRUE(wait_status("lc-1", "NEW"));
  Reply c = http_->signed_request(V::delete_, "/api/v3/order", "symbol=BTCUSDT&origClientOrderId=lc-1");
  EXPECT_EQ(c.status, 503);
  EXPECT_EQ(c.body, kTimeoutBody);
  EXPECT_EQ(query("lc-1").json().str("status"), "NEW") << "the cancel has not executed yet";
  EXPECT_EQ(open_count(), 1u);
  ASSERT_TRUE(wait_status("lc-1", "CANCELED"));

  ASSERT_EQ(place("BUY", "59970", "0.001", "lr-old").status, 503);
  ASSERT_TRUE(wait_status("lr-old", "NEW"));
  Reply cr = http_->signed_request(
      V::post, "/api/v3/order/cancelReplace",
      "symbol=BTCUSDT&side=BUY&type=LIMIT_MAKER&quantity=0.001&price=59960&cancelReplaceMode="
      "STOP_ON_FAILURE&cancelOrigClientOrderId=lr-old&newClientOrderId=lr-new");
  EXPECT_EQ(cr.status, 503);
  EXPECT_EQ(cr.body, kTimeoutBody);
  EXPECT_EQ(query("lr-new").status, 400) << "not placed yet";
  ASSERT_TRUE(wait_status("lr-new", "NEW"));
  EXPECT_EQ(query("lr-old").json().str("status"), "CANCELED");
  EXPECT_EQ(Json::num(truth()["late"], "executed"), 4);
  // DELETE openOrders is never late: it executes at once.
  Reply all = http_->signed_request(V::delete_, "/api/v3/openOrders", "symbol=BTCUSDT");
  EXPECT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(open_count(), 0u);
}

std::string query_status(HttpClient& http, const std::string& id) {
  Reply r = http.signed_request(V::get, "/api/v3/order", "symbol=BTCUSDT&origClientOrderId=" + id);
  return r.status == 200 ? r.json().str("status") : r.body;
}

// --- drop=P without any disconnect --------------------------------------------------------------

// The account's event draws, replicated (faults.h: one splitmix64 stream per account, seeded
// with stream_seed(seed, "events/<name>"), one draw per event).
std::vector<EventFault> draws(const FaultSpec& spec, uint64_t seed, size_t n) {
  EventFaults f(spec, stream_seed(seed, "events/default"));
  std::vector<EventFault> out;
  for (size_t i = 0; i < n; ++i) out.push_back(f.draw());
  return out;
}

TEST_F(SimServerTest, DroppedPartialFillAndCancelEventsWithoutADisconnect) {
  ServerOptions o = default_options();
  AccountConfig rich = default_account();
  rich.balances["BTC"].free_e8 = 10 * kOneE8;  // a SELL of 9 BTC fills 0.5 per trade
  o.accounts = {rich};
  o.faults.drop = 0.5;  // nothing else: no disconnect, no dup, no reorder
  ASSERT_EQ(o.faults.disconnect_every_ms, 0);
  // The account's events, in order: 0 NEW c-1, 1 position, 2 CANCELED c-1, 3 position, 4 NEW
  // p-1, 5 position, 6 TRADE p-1 (the first partial fill), 7 position, then TRADE/position
  // pairs. A seed that drops 2 and 6 and delivers 0 and 4 (so the stream is seen to be live).
  uint64_t seed = 0;
  for (uint64_t s = 1; s < 10'000 && seed == 0; ++s) {
    const auto d = draws(o.faults, s, 8);
    if (d[0] == EventFault::kDeliver && d[2] == EventFault::kDrop &&
        d[4] == EventFault::kDeliver && d[6] == EventFault::kDrop) {
      seed = s;
    }
  }
  ASSERT_NE(seed, 0u);
  o.seed = seed;
  start(o);
  WsClient ws(server_->port(), "/ws-api/v3");
  const std::string ts = std::to_string(SystemClock::instance().realtime_ns() / 1'000'000);
  const std::map<std::string, std::string> params{{"apiKey", kKey}, {"timestamp", ts}};
  ws.send(R"({"id":1,"method":"userDataStream.subscribe.signature","params":{"apiKey":")" +
          std::string(kKey) + R"(","timestamp":)" + ts + R"(,"signature":")" +
          exchange::binance::hmac_sha256_hex(kSecret, exchange::binance::ws_api_payload(params)) +
          R"("}})");
  auto ok = ws.read();
  ASSERT_TRUE(ok && contains(*ok, R"("status":200)"));

  ASSERT_EQ(place("SELL", "60020", "0.001", "c-1").status, 200);  // never fills
  ASSERT_EQ(http_->signed_request(V::delete_, "/api/v3/order",
                                  "symbol=BTCUSDT&origClientOrderId=c-1").status, 200);
  ASSERT_EQ(place("SELL", "60010", "9", "p-1").status, 200);  // 0.5 per buy trade at 60010
  ASSERT_TRUE(wait_status("p-1", "PARTIALLY_FILLED"));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // a few more partial fills
  ASSERT_EQ(http_->request(V::post, "/sim/v1/pause").status, 200);  // no event after this
  std::vector<std::string> got;
  while (auto m = ws.read(std::chrono::milliseconds(1500))) got.push_back(*m);
  EXPECT_FALSE(ws.closed()) << "no disconnect: the connection is still open";

  Json t = http_->get("/sim/v1/truth").json();
  const size_t fills = Json::size(t["trades"]);
  ASSERT_GE(fills, 1u);
  ASSERT_LT(fills, 18u) << "the order is still partially filled";
  // Exactly the events the draws deliver, in order.
  std::vector<std::string> expected_kinds = {"NEW c-1", "pos", "CANCELED c-1", "pos", "NEW p-1", "pos"};
  for (size_t k = 1; k <= fills; ++k) {
    expected_kinds.push_back("TRADE " + std::to_string(k));
    expected_kinds.push_back("pos");
  }
  const auto d = draws(o.faults, seed, expected_kinds.size());
  std::vector<std::string> expected;
  for (size_t i = 0; i < expected_kinds.size(); ++i) {
    if (d[i] == EventFault::kDeliver) expected.push_back(expected_kinds[i]);
  }
  std::vector<std::string> kinds;
  for (const std::string& m : got) {
    Json j(m);
    ASSERT_TRUE(j.ok()) << m;
    auto e = j["event"];
    const std::string type = Json::str(e, "e");
    if (type == "outboundAccountPosition") {
      kinds.push_back("pos");
    } else if (Json::str(e, "x") == "TRADE") {
      kinds.push_back("TRADE " + std::to_string(Json::num(e, "t")));
    } else {
      const std::string x = Json::str(e, "x");
      kinds.push_back(x + " " + (x == "CANCELED" ? Json::str(e, "C") : Json::str(e, "c")));
    }
  }
  EXPECT_EQ(kinds, expected);
  // The dropped events: the cancel and the first partial fill never arrived...
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), "CANCELED c-1"), 0);
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), "TRADE 1"), 0);
  // ...but the venue holds them: the trade in myTrades and the truth, the cancel in the order.
  Json mine = http_->signed_request(V::get, "/api/v3/myTrades", "symbol=BTCUSDT&fromId=1&limit=1").json();
  ASSERT_EQ(Json::size(mine.root()), 1u);
  EXPECT_EQ(Json::num(Json::item(mine.root(), 0), "id"), 1);
  EXPECT_EQ(Json::str(Json::item(mine.root(), 0), "qty"), "0.50000000");
  EXPECT_EQ(Json::num(Json::item(t["trades"], 0), "id"), 1);
  EXPECT_EQ(Json::num(Json::item(t["trades"], 0), "orderId"), 2);
  EXPECT_EQ(query_status(*http_, "c-1"), "CANCELED");
  EXPECT_EQ(query_status(*http_, "p-1"), "PARTIALLY_FILLED");
}

// --- cancel request counts --------------------------------------------------------------------

TEST_F(SimServerTest, TheTruthCountsCancelRequestsAcceptedOrRefused) {
  ServerOptions o = default_options();
  start(o);
  auto cancel = [&](const std::string& params) {
    return http_->signed_request(V::delete_, "/api/v3/order",
                                 params.empty() ? "symbol=BTCUSDT" : "symbol=BTCUSDT&" + params);
  };
  ASSERT_EQ(place("BUY", "59980", "0.001", "cc-1").status, 200);
  EXPECT_EQ(cancel("origClientOrderId=cc-1").status, 200);
  EXPECT_EQ(cancel("origClientOrderId=cc-1").status, 400);  // -2011: already canceled
  EXPECT_EQ(cancel("orderId=1").status, 400);               // the same order, by its id
  EXPECT_EQ(cancel("orderId=77").status, 400);              // an order id the venue never had
  EXPECT_EQ(cancel("origClientOrderId=ghost").status, 400);
  EXPECT_EQ(cancel("").status, 400);                        // names no order: not counted
  // Refused before the endpoint: a bad signature, a stale timestamp. Counted all the same.
  EXPECT_EQ(http_->signed_request(V::delete_, "/api/v3/order",
                                  "symbol=BTCUSDT&origClientOrderId=cc-1", "wrong-secret")
                .status,
            400);
  const std::string stale = "symbol=BTCUSDT&origClientOrderId=cc-1&timestamp=1000";
  EXPECT_EQ(http_->request(V::delete_, "/api/v3/order?" + stale + "&signature=" +
                                           exchange::binance::hmac_sha256_hex(kSecret, stale),
                           "", kKey)
                .status,
            400);
  // An unknown API key is no account's request: not counted.
  EXPECT_EQ(http_->signed_request(V::delete_, "/api/v3/order",
                                  "symbol=BTCUSDT&origClientOrderId=cc-1", kSecret, "nobody")
                .status,
            401);
  // cancelReplace counts its cancel, by cancelOrigClientOrderId (or cancelOrderId).
  ASSERT_EQ(place("BUY", "59970", "0.001", "cc-2").status, 200);
  const std::string replace =
      "symbol=BTCUSDT&side=BUY&type=LIMIT_MAKER&quantity=0.001&price=59960&cancelReplaceMode="
      "STOP_ON_FAILURE&";
  EXPECT_EQ(http_->signed_request(V::post, "/api/v3/order/cancelReplace",
                                  replace + "cancelOrigClientOrderId=cc-2&newClientOrderId=cc-3")
                .status,
            200);
  EXPECT_EQ(http_->signed_request(V::post, "/api/v3/order/cancelReplace",
                                  replace + "cancelOrderId=3&newClientOrderId=cc-4")
                .status,
            200);
  EXPECT_EQ(cancel("origClientOrderId=cc-4").status, 200);
  Json t = http_->get("/sim/v1/truth").json();
  const auto counts = t["cancelRequests"];
  EXPECT_EQ(Json::keys(counts),
            (std::vector<std::string>{"cc-1", "cc-2", "cc-3", "cc-4", "ghost", "orderId:77"}));
  EXPECT_EQ(Json::num(counts, "cc-1"), 5);
  EXPECT_EQ(Json::num(counts, "cc-2"), 1);
  EXPECT_EQ(Json::num(counts, "cc-3"), 1);
  EXPECT_EQ(Json::num(counts, "cc-4"), 1);
  EXPECT_EQ(Json::num(counts, "ghost"), 1);
  EXPECT_EQ(Json::num(counts, "orderId:77"), 1);
  // Process memory: a restart starts again from nothing (the orders themselves persist).
  http_.reset();
  server_.reset();
  start(o);
  Json again = http_->get("/sim/v1/truth").json();
  EXPECT_TRUE(Json::keys(again["cancelRequests"]).empty());
  EXPECT_EQ(Json::size(again["orders"]), 4u);
}

}  // namespace
}  // namespace keel::simserver::testutil
