// `keel sim` WebSocket (binance-spot.md §6, §7) against an in-process server on port 0: market
// streams (combined, raw, SUBSCRIBE), the WebSocket API (ping, subscribe.signature with good and
// bad signatures, executionReport after a fill with the exact §6 fields, cancel events,
// unsubscribe), the legacy listenKey flow, server pings and the disconnect fault.
#include <set>

#include "simserver_testutil.h"

namespace keel::simserver::testutil {
namespace {

using V = http::verb;

bool has(const std::string& msg, const std::string& part) { return contains(msg, part); }

std::string subscribe_frame(const std::string& id, const char* secret = kSecret) {
  const std::string ts = std::to_string(SystemClock::instance().realtime_ns() / 1'000'000);
  std::map<std::string, std::string> params{{"apiKey", kKey}, {"recvWindow", "10000"}, {"timestamp", ts}};
  const std::string sig =
      exchange::binance::hmac_sha256_hex(secret, exchange::binance::ws_api_payload(params));
  return R"({"id":")" + id + R"(","method":"userDataStream.subscribe.signature","params":{"apiKey":")" +
         kKey + R"(","recvWindow":10000,"timestamp":)" + ts + R"(,"signature":")" + sig + R"("}})";
}

TEST_F(SimServerTest, CombinedMarketStreams) {
  start();
  WsClient ws(server_->port(), "/stream?streams=btcusdt@trade/btcusdt@bookTicker/btcusdt@depth@100ms");
  auto trade = ws.read_until([](const std::string& m) { return has(m, R"("stream":"btcusdt@trade")"); });
  ASSERT_TRUE(trade);
  Json t(*trade);
  ASSERT_TRUE(t.ok()) << *trade;
  auto d = t["data"];
  EXPECT_EQ(Json::keys(t.root()), (std::vector<std::string>{"stream", "data"}));
  EXPECT_EQ(Json::keys(d), (std::vector<std::string>{"e", "E", "s", "t", "p", "q", "T", "m", "M"}));
  EXPECT_EQ(Json::str(d, "e"), "trade");
  EXPECT_EQ(Json::str(d, "s"), "BTCUSDT");
  EXPECT_EQ(Json::str(d, "q"), "0.50000000");
  auto ticker = ws.read_until([](const std::string& m) { return has(m, R"("stream":"btcusdt@bookTicker")"); });
  ASSERT_TRUE(ticker);
  Json tj(*ticker);
  EXPECT_EQ(Json::keys(tj["data"]), (std::vector<std::string>{"u", "s", "b", "B", "a", "A"}));
  EXPECT_TRUE(has(*ticker, R"("b":"60000.00000000","B":"1.50000000","a":"60000.10000000","A":"2.00000000")"));
  auto depth = ws.read_until([](const std::string& m) { return has(m, R"("stream":"btcusdt@depth@100ms")"); });
  ASSERT_TRUE(depth);
  Json dj(*depth);
  auto dd = dj["data"];
  EXPECT_EQ(Json::keys(dd), (std::vector<std::string>{"e", "E", "s", "U", "u", "b", "a"}));
  // The local-book procedure works against the REST snapshot: the next diff continues it.
  Json snap = http_->get("/api/v3/depth?symbol=BTCUSDT&limit=1000").json();
  const int64_t last = snap.num("lastUpdateId");
  auto next = ws.read_until([&](const std::string& m) {
    if (!has(m, "depthUpdate")) return false;
    return Json::num(Json(m)["data"], "u") > last;
  });
  ASSERT_TRUE(next);
  Json nj(*next);
  auto nd = nj["data"];
  EXPECT_LE(Json::num(nd, "U"), last + 1);
  EXPECT_GE(Json::num(nd, "u"), last + 1);
}

TEST_F(SimServerTest, RawStreamsAndSubscribe) {
  start();
  WsClient raw(server_->port(), "/ws/btcusdt@bookTicker");
  auto msg = raw.read();
  ASSERT_TRUE(msg);
  EXPECT_TRUE(has(*msg, R"({"u":)")) << *msg;
  EXPECT_FALSE(has(*msg, "stream")) << *msg;

  WsClient ws(server_->port(), "/ws");
  ws.send(R"({"method":"SUBSCRIBE","params":["btcusdt@trade"],"id":7})");
  auto ack = ws.read_until([](const std::string& m) { return has(m, R"("id":7)"); });
  ASSERT_TRUE(ack);
  EXPECT_EQ(*ack, R"({"result":null,"id":7})");
  auto trade = ws.read_until([](const std::string& m) { return has(m, R"("e":"trade")"); });
  ASSERT_TRUE(trade);
  EXPECT_TRUE(has(*trade, R"({"e":"trade")")) << "raw connections get unwrapped payloads";
  ws.send(R"({"method":"LIST_SUBSCRIPTIONS","id":"x"})");
  auto list = ws.read_until([](const std::string& m) { return has(m, R"("id":"x")"); });
  ASSERT_TRUE(list);
  EXPECT_EQ(*list, R"({"result":["btcusdt@trade"],"id":"x"})");
  ws.send("not json");
  EXPECT_TRUE(ws.read_until([](const std::string& m) { return has(m, R"("error":{"code":3)"); }));
  ws.send(R"({"method":"SUBSCRIBE","id":8})");
  EXPECT_TRUE(ws.read_until([](const std::string& m) { return has(m, R"({"error":{"code":2,)") && has(m, R"("id":8)"); }));
  ws.send(R"({"method":"SET_PROPERTY","params":["combined",true],"id":11})");
  EXPECT_TRUE(ws.read_until([](const std::string& m) { return m == R"({"result":null,"id":11})"; }));
  ws.send(R"({"method":"GET_PROPERTY","params":["combined"],"id":12})");
  EXPECT_TRUE(ws.read_until([](const std::string& m) { return m == R"({"result":true,"id":12})"; }));
  EXPECT_TRUE(ws.read_until([](const std::string& m) { return has(m, R"({"stream":"btcusdt@trade","data":{"e":"trade")"); }))
      << "combined on: payloads are wrapped";
  ws.send(R"({"method":"UNSUBSCRIBE","params":["btcusdt@trade"],"id":13})");
  EXPECT_TRUE(ws.read_until([](const std::string& m) { return m == R"({"result":null,"id":13})"; }));
  ws.send(R"({"method":"LIST_SUBSCRIPTIONS","id":14})");
  EXPECT_TRUE(ws.read_until([](const std::string& m) { return m == R"({"result":[],"id":14})"; }));
}

TEST_F(SimServerTest, WsApiSubscribeAndExecutionReports) {
  start();
  WsClient ws(server_->port(), "/ws-api/v3");
  ws.send(R"({"id":1,"method":"ping","params":{}})");
  auto pong = ws.read();
  ASSERT_TRUE(pong);
  EXPECT_TRUE(has(*pong, R"({"id":1,"status":200,"result":{},"rateLimits":[)")) << *pong;

  ws.send(subscribe_frame("bad", "wrong-secret"));
  auto bad = ws.read();
  ASSERT_TRUE(bad);
  EXPECT_TRUE(has(*bad, R"({"id":"bad","status":400,"error":{"code":-1022,"msg":"Signature for this request is not valid."})"))
      << *bad;
  ws.send(subscribe_frame("s1"));
  auto ok = ws.read();
  ASSERT_TRUE(ok);
  EXPECT_TRUE(has(*ok, R"({"id":"s1","status":200,"result":{"subscriptionId":0})")) << *ok;
  ws.send(subscribe_frame("s2"));
  auto again = ws.read();
  ASSERT_TRUE(again);
  EXPECT_TRUE(has(*again, R"("code":-2035)")) << *again;

  ASSERT_EQ(place("BUY", "59995", "0.00100", "ws-1").status, 200);
  auto fill = ws.read_until([](const std::string& m) { return has(m, R"("x":"TRADE")"); });
  ASSERT_TRUE(fill);
  Json f(*fill);
  EXPECT_EQ(f.num("subscriptionId"), 0);
  auto e = f["event"];
  EXPECT_EQ(Json::keys(e),
            (std::vector<std::string>{"e", "E", "s", "c", "S", "o", "f", "q", "p", "P", "F", "g", "C",
                                      "x", "X", "r", "i", "l", "z", "L", "n", "N", "T", "t", "I", "w",
                                      "m", "M", "O", "Z", "Y", "Q", "W", "V"}));
  EXPECT_EQ(Json::str(e, "e"), "executionReport");
  EXPECT_EQ(Json::str(e, "s"), "BTCUSDT");
  EXPECT_EQ(Json::str(e, "c"), "ws-1");
  EXPECT_EQ(Json::str(e, "S"), "BUY");
  EXPECT_EQ(Json::str(e, "o"), "LIMIT_MAKER");
  EXPECT_EQ(Json::str(e, "f"), "GTC");
  EXPECT_EQ(Json::str(e, "q"), "0.00100000");
  EXPECT_EQ(Json::str(e, "p"), "59995.00000000");
  EXPECT_EQ(Json::str(e, "C"), "");
  EXPECT_EQ(Json::str(e, "X"), "FILLED");
  EXPECT_EQ(Json::str(e, "r"), "NONE");
  EXPECT_EQ(Json::num(e, "i"), 1);
  EXPECT_EQ(Json::str(e, "l"), "0.00100000");
  EXPECT_EQ(Json::str(e, "z"), "0.00100000");
  EXPECT_EQ(Json::str(e, "L"), "59995.00000000");
  EXPECT_EQ(Json::str(e, "n"), "0.05999500");
  EXPECT_EQ(Json::str(e, "N"), "USDT");
  EXPECT_EQ(Json::num(e, "t"), 1);
  EXPECT_FALSE(Json::boolean(e, "w"));
  EXPECT_TRUE(Json::boolean(e, "m"));
  EXPECT_EQ(Json::str(e, "Z"), "59.99500000");
  EXPECT_EQ(Json::str(e, "Y"), "59.99500000");
  EXPECT_EQ(Json::str(e, "V"), "NONE");
  auto position = ws.read_until([](const std::string& m) { return has(m, "outboundAccountPosition"); });
  ASSERT_TRUE(position);
  EXPECT_TRUE(has(*position, R"({"subscriptionId":0,"event":{"e":"outboundAccountPosition","E":)")) << *position;
  EXPECT_TRUE(has(*position, R"({"a":"BTC","f":"1.00100000","l":"0.00000000"})")) << *position;

  ASSERT_EQ(place("BUY", "59980", "0.001", "ws-2").status, 200);
  auto created = ws.read_until([](const std::string& m) { return has(m, R"("x":"NEW")"); });
  ASSERT_TRUE(created);
  EXPECT_TRUE(has(*created, R"("c":"ws-2")"));
  EXPECT_TRUE(has(*created, R"("t":-1)"));
  EXPECT_TRUE(has(*created, R"("n":"0","N":null)"));
  ASSERT_EQ(http_->signed_request(V::delete_, "/api/v3/order",
                                  "symbol=BTCUSDT&origClientOrderId=ws-2&newClientOrderId=ws-2-cxl").status,
            200);
  auto canceled = ws.read_until([](const std::string& m) { return has(m, R"("x":"CANCELED")"); });
  ASSERT_TRUE(canceled);
  EXPECT_TRUE(has(*canceled, R"("c":"ws-2-cxl")")) << *canceled;
  EXPECT_TRUE(has(*canceled, R"("C":"ws-2")")) << *canceled;
  EXPECT_TRUE(has(*canceled, R"("X":"CANCELED")")) << *canceled;

  ws.send(R"({"id":9,"method":"userDataStream.unsubscribe","params":{"subscriptionId":0}})");
  auto unsub = ws.read_until([](const std::string& m) { return has(m, R"("id":9)"); });
  ASSERT_TRUE(unsub);
  EXPECT_TRUE(has(*unsub, R"("status":200,"result":{})"));
  auto terminated = ws.read_until([](const std::string& m) { return has(m, "eventStreamTerminated"); });
  ASSERT_TRUE(terminated);
  EXPECT_TRUE(has(*terminated, R"({"subscriptionId":0,"event":{"e":"eventStreamTerminated","E":)"));
  ws.send(R"({"id":10,"method":"time"})");
  EXPECT_TRUE(ws.read_until([](const std::string& m) { return has(m, R"("result":{"serverTime":)"); }));
}

TEST_F(SimServerTest, LegacyListenKeyFlow) {
  start();
  Reply none = http_->request(V::post, "/api/v3/userDataStream");
  EXPECT_EQ(none.status, 401);
  EXPECT_TRUE(has(none.body, "-2014"));
  Reply created = http_->request(V::post, "/api/v3/userDataStream", "", kKey);
  ASSERT_EQ(created.status, 200) << created.body;
  const std::string key = created.json().str("listenKey");
  EXPECT_EQ(key.size(), 60u);
  EXPECT_EQ(http_->request(V::post, "/api/v3/userDataStream", "", kKey).json().str("listenKey"), key)
      << "an account's active key is returned again";
  EXPECT_EQ(http_->request(V::put, "/api/v3/userDataStream?listenKey=" + key, "", kKey).body, "{}");

  WsClient ws(server_->port(), "/ws/" + key);
  ASSERT_EQ(place("BUY", "59980", "0.001", "lk-1").status, 200);
  auto report = ws.read_until([](const std::string& m) { return has(m, "executionReport"); });
  ASSERT_TRUE(report);
  EXPECT_TRUE(has(*report, R"({"e":"executionReport","E":)")) << "legacy events are unwrapped";
  EXPECT_TRUE(has(*report, R"("c":"lk-1")"));
  auto position = ws.read_until([](const std::string& m) { return has(m, "outboundAccountPosition"); });
  ASSERT_TRUE(position);
  EXPECT_TRUE(has(*position, R"({"e":"outboundAccountPosition")"));

  EXPECT_EQ(http_->request(V::delete_, "/api/v3/userDataStream?listenKey=" + key, "", kKey).body, "{}");
  Reply gone = http_->request(V::put, "/api/v3/userDataStream?listenKey=" + key, "", kKey);
  EXPECT_EQ(gone.status, 400);
  EXPECT_EQ(gone.body, R"({"code":-1125,"msg":"This listenKey does not exist."})");
}

TEST_F(SimServerTest, ServerPingsAndDisconnectFault) {
  ServerOptions o = default_options();
  o.ws_ping_interval = std::chrono::milliseconds(100);
  o.faults.disconnect_every_ms = 700;
  start(o);
  WsClient ws(server_->port(), "/ws/btcusdt@bookTicker");
  const auto t0 = std::chrono::steady_clock::now();
  while (ws.read(std::chrono::seconds(3))) {
  }
  const auto lived = std::chrono::steady_clock::now() - t0;
  EXPECT_TRUE(ws.closed()) << "closed by the server, not by a read timeout";
  EXPECT_GE(lived, std::chrono::milliseconds(600));
  EXPECT_LT(lived, std::chrono::milliseconds(2500));
  EXPECT_GE(ws.pings(), 3) << "the server pings every 100 ms";
}

TEST_F(SimServerTest, UnknownWebSocketPathIsRefused) {
  start();
  EXPECT_THROW(WsClient(server_->port(), "/nowhere"), boost::system::system_error);
}

}  // namespace
}  // namespace keel::simserver::testutil
