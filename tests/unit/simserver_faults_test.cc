// `keel sim` fault injection (keel/simserver/faults.h) and restarts: the SPEC grammar, decision
// streams deterministic by seed, rejects / unknown outcomes / 429 through the server, dropped,
// duplicated and reordered user-data events, added latency, and resuming from the state.
#include "simserver_testutil.h"

namespace keel::simserver::testutil {
namespace {

using V = http::verb;

TEST(SimServerFaultSpec, ParsesTheGrammar) {
  auto f = parse_fault_spec(
      "reject=0.05,unknown_placed=0.01,unknown_not_placed=0.01,rate_limit=0.01,drop=0.01,"
      "dup=0.01,reorder=0.01,disconnect_every=60s,latency_ms=5");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_DOUBLE_EQ(f->reject, 0.05);
  EXPECT_DOUBLE_EQ(f->reorder, 0.01);
  EXPECT_EQ(f->disconnect_every_ms, 60'000);
  EXPECT_EQ(f->latency_ms, 5);
  EXPECT_EQ(parse_fault_spec("disconnect_every=250ms")->disconnect_every_ms, 250);
  EXPECT_EQ(parse_fault_spec("disconnect_every=3")->disconnect_every_ms, 3000);
  EXPECT_EQ(describe_faults(*parse_fault_spec("")), "none");
  EXPECT_EQ(describe_faults(*parse_fault_spec("drop=0.5,latency_ms=3")), "drop=0.5,latency_ms=3");
  for (const char* bad : {"rejec=0.1", "reject=2", "reject=-0.1", "reject", "drop=0.6,dup=0.6",
                          "reject=0.5,unknown_placed=0.6", "disconnect_every=soon", "latency_ms=1.5"}) {
    auto r = parse_fault_spec(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_NE(r.status().message().find("faults:"), std::string::npos) << bad;
    }
  }
}

TEST(SimServerFaultSpec, DecisionStreamsAreDeterministicBySeed) {
  FaultSpec spec;
  spec.reject = 0.3;
  spec.unknown_placed = 0.2;
  spec.rate_limit = 0.5;
  auto run = [&](uint64_t seed) {
    RequestFaults f(spec, seed);
    std::string out;
    bool timeout = false;
    for (int i = 0; i < 64; ++i) {
      out += f.draw_rate_limit() ? 'L' : '.';
      out += static_cast<char>('0' + static_cast<int>(f.draw_order(true, timeout)));
      out += timeout ? 'T' : 'U';
    }
    return out;
  };
  EXPECT_EQ(run(7), run(7));
  EXPECT_NE(run(7), run(8));
  EventFaults a(spec, 3), b(spec, 3);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(a.draw(), b.draw());
}

// The outcome of 16 new orders under reject=0.5: "A" accepted, "R" rejected.
std::string reject_pattern(HttpClient& http) {
  std::string out;
  for (int i = 0; i < 16; ++i) {
    const std::string p = "symbol=BTCUSDT&side=BUY&type=LIMIT_MAKER&quantity=0.001&price=" +
                          std::to_string(59900 - i) + "&newClientOrderId=f-" + std::to_string(i);
    Reply r = http.signed_request(V::post, "/api/v3/order", p);
    if (r.status == 200) {
      out += 'A';
    } else {
      EXPECT_EQ(r.status, 400);
      EXPECT_EQ(r.body, R"({"code":-2010,"msg":"Market is closed."})");
      out += 'R';
    }
  }
  return out;
}

class SimServerFaultTest : public SimServerTest {
 protected:
  std::string run_rejects(uint64_t seed) {
    ServerOptions o = default_options();
    o.state_dir = dir_ / ("state-" + std::to_string(runs_++));
    o.faults.reject = 0.5;
    o.seed = seed;
    start(o);
    std::string pattern = reject_pattern(*http_);
    Json truth = http_->get("/sim/v1/truth").json();
    EXPECT_EQ(Json::size(truth["orders"]),
              static_cast<size_t>(std::count(pattern.begin(), pattern.end(), 'A')))
        << "a rejected order never reaches the book";
    http_.reset();
    server_->stop();
    server_.reset();
    return pattern;
  }
  int runs_ = 0;
};

TEST_F(SimServerFaultTest, RejectsAreDeterministicBySeed) {
  const std::string a = run_rejects(42);
  EXPECT_NE(a.find('A'), std::string::npos);
  EXPECT_NE(a.find('R'), std::string::npos);
  EXPECT_EQ(run_rejects(42), a);
  EXPECT_NE(run_rejects(43), a);
}

TEST_F(SimServerFaultTest, UnknownOutcomeWithAndWithoutEffect) {
  ServerOptions o = default_options();
  o.faults.unknown_placed = 1;
  start(o);
  Reply r = place("BUY", "59980", "0.001", "u-1");
  EXPECT_TRUE(r.status == 500 || r.status == 503) << r.status;
  EXPECT_TRUE(r.body == R"({"code":-1006,"msg":"An unexpected response was received from the message bus. Execution status unknown."})" ||
              r.body == R"({"code":-1007,"msg":"Timeout waiting for response from backend server. Send status unknown; execution status unknown."})")
      << r.body;
  // The fault hits only state-changing requests: the query shows the order was placed.
  Reply q = http_->signed_request(V::get, "/api/v3/order", "symbol=BTCUSDT&origClientOrderId=u-1");
  EXPECT_EQ(q.status, 200);
  EXPECT_EQ(q.json().str("status"), "NEW");
  Reply c = http_->signed_request(V::delete_, "/api/v3/order", "symbol=BTCUSDT&origClientOrderId=u-1");
  EXPECT_GE(c.status, 500);
  EXPECT_EQ(http_->signed_request(V::get, "/api/v3/order", "symbol=BTCUSDT&origClientOrderId=u-1").json().str("status"),
            "CANCELED");
  http_.reset();
  server_->stop();
  server_.reset();

  ServerOptions o2 = default_options();
  o2.state_dir = dir_ / "state2";
  o2.faults.unknown_not_placed = 1;
  start(o2);
  Reply r2 = place("BUY", "59980", "0.001", "u-2");
  EXPECT_TRUE(r2.status == 500 || r2.status == 503) << r2.status;
  Reply q2 = http_->signed_request(V::get, "/api/v3/order", "symbol=BTCUSDT&origClientOrderId=u-2");
  EXPECT_EQ(q2.status, 400);
  EXPECT_EQ(q2.body, R"({"code":-2013,"msg":"Order does not exist."})");
}

TEST_F(SimServerFaultTest, RateLimitAnswers429WithRetryAfter) {
  ServerOptions o = default_options();
  o.faults.rate_limit = 1;
  start(o);
  Reply r = http_->get("/api/v3/depth?symbol=BTCUSDT");
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.header("Retry-After"), "1");
  EXPECT_EQ(Json(r.body).num("code"), -1003);
  EXPECT_EQ(http_->get("/sim/v1/truth").status, 200) << "the test-only endpoint is not rate limited";
}

TEST_F(SimServerFaultTest, LatencyIsAdded) {
  ServerOptions o = default_options();
  o.latency_ms = 150;
  o.faults.latency_ms = 100;
  start(o);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(http_->get("/api/v3/ping").status, 200);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(250));
}

// The first `n` user-data messages of a WebSocket API subscription after placing one order.
std::vector<std::string> events_after_place(uint16_t port, const std::function<Reply()>& place,
                                            size_t n) {
  WsClient ws(port, "/ws-api/v3");
  const std::string ts = std::to_string(SystemClock::instance().realtime_ns() / 1'000'000);
  const std::map<std::string, std::string> params{{"apiKey", kKey}, {"timestamp", ts}};
  ws.send(R"({"id":1,"method":"userDataStream.subscribe.signature","params":{"apiKey":")" +
          std::string(kKey) + R"(","timestamp":)" + ts + R"(,"signature":")" +
          exchange::binance::hmac_sha256_hex(kSecret, exchange::binance::ws_api_payload(params)) +
          R"("}})");
  auto ok = ws.read();
  EXPECT_TRUE(ok && contains(*ok, R"("status":200)"));
  EXPECT_EQ(place().status, 200);
  std::vector<std::string> out;
  while (out.size() < n) {
    auto m = ws.read(std::chrono::milliseconds(1500));
    if (!m) break;
    out.push_back(*m);
  }
  return out;
}

TEST_F(SimServerFaultTest, UserEventsDroppedDuplicatedReordered) {
  ServerOptions o = default_options();
  o.faults.drop = 1;
  start(o);
  auto dropped = events_after_place(server_->port(), [&] { return place("BUY", "59980", "0.001", "d-1"); }, 1);
  EXPECT_TRUE(dropped.empty()) << dropped.front();
  http_.reset();
  server_.reset();

  o.faults = FaultSpec{};
  o.faults.dup = 1;
  o.state_dir = dir_ / "state-dup";
  start(o);
  auto dup = events_after_place(server_->port(), [&] { return place("BUY", "59980", "0.001", "d-2"); }, 4);
  ASSERT_EQ(dup.size(), 4u);
  EXPECT_EQ(dup[0], dup[1]);
  EXPECT_TRUE(contains(dup[0], "executionReport"));
  EXPECT_EQ(dup[2], dup[3]);
  EXPECT_TRUE(contains(dup[2], "outboundAccountPosition"));
  http_.reset();
  server_.reset();

  o.faults = FaultSpec{};
  o.faults.reorder = 1;
  o.state_dir = dir_ / "state-reorder";
  start(o);
  auto reordered = events_after_place(server_->port(), [&] { return place("BUY", "59980", "0.001", "d-3"); }, 2);
  ASSERT_EQ(reordered.size(), 2u);
  EXPECT_TRUE(contains(reordered[0], "outboundAccountPosition")) << "the report was held back";
  EXPECT_TRUE(contains(reordered[1], "executionReport"));
}

TEST_F(SimServerTest, RestartResumesFromTheState) {
  ServerOptions o = default_options();
  start(o);
  ASSERT_EQ(place("BUY", "59980", "0.001", "keep-1").status, 200);
  ASSERT_EQ(place("BUY", "59995", "0.001", "fill-1").status, 200);
  ASSERT_TRUE(wait_status("fill-1", "FILLED"));
  const int64_t pos1 = http_->get("/sim/v1/truth").json().num("position");
  http_.reset();
  server_->stop();
  server_.reset();

  start(o);
  const int64_t pos2 = http_->get("/sim/v1/truth").json().num("position");
  EXPECT_GE(pos2, pos1) << "the market resumes where it was";
  Reply kept = http_->signed_request(V::get, "/api/v3/order", "symbol=BTCUSDT&origClientOrderId=keep-1");
  EXPECT_EQ(kept.json().str("status"), "NEW");
  EXPECT_EQ(Json::size(http_->signed_request(V::get, "/api/v3/myTrades", "symbol=BTCUSDT").json().root()), 1u);
  wait_market();  // the book was rebuilt by the warm-up: post-only still checks against it
  Reply cross = place("BUY", "60000.10", "0.001", "x-1");
  EXPECT_EQ(cross.status, 400);
  EXPECT_EQ(Json(cross.body).num("code"), -2010);
  // New ids continue after the old ones.
  EXPECT_EQ(place("BUY", "59970", "0.001", "keep-2", "&newOrderRespType=RESULT").json().num("orderId"), 3);
}

TEST_F(SimServerTest, EndOfRecordingStopsTheMarketNotTheServer) {
  write_capture(dir_ / "short.gz", synthetic_market(2));
  ServerOptions o = default_options();
  o.data_files = {dir_ / "short.gz"};
  o.speed = 20;
  std::vector<std::string> log;
  auto log_mu = std::make_shared<std::mutex>();
  o.log = [&log, log_mu](const std::string& l) {
    std::lock_guard<std::mutex> lock(*log_mu);
    log.push_back(l);
  };
  start(o);
  for (int i = 0; i < 100 && !server_->market_ended(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(server_->market_ended());
  EXPECT_EQ(place("BUY", "59980", "0.001", "late").status, 200) << "the server keeps serving";
  Json truth = http_->get("/sim/v1/truth").json();
  EXPECT_TRUE(Json::boolean(truth.root(), "recordingEnded"));
  {
    std::lock_guard<std::mutex> lock(*log_mu);
    ASSERT_FALSE(log.empty());
    EXPECT_NE(log.back().find("end of the recording"), std::string::npos) << log.back();
  }
  http_.reset();
  server_.reset();
  start(o);  // a restart after the end: catches up, says so again, serves
  for (int i = 0; i < 100 && !server_->market_ended(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(server_->market_ended());
  EXPECT_EQ(http_->signed_request(V::get, "/api/v3/order", "symbol=BTCUSDT&origClientOrderId=late").status, 200);
  http_.reset();
  server_.reset();  // before `log`, which its replay thread writes to, goes away
}

}  // namespace
}  // namespace keel::simserver::testutil

namespace keel::simserver::testutil {
namespace {

// --accounts: one SimExchange per account, state in <state>/<name>/, isolated orders.
TEST_F(SimServerTest, AccountsAreIsolated) {
  ServerOptions o = default_options();
  AccountConfig alice{"alice", "alice-key", "alice-secret", {}};
  alice.balances["USDT"].free_e8 = 1000 * kOneE8;
  AccountConfig bob{"bob", "bob-key", "bob-secret", {}};
  bob.balances["USDT"].free_e8 = 50 * kOneE8;
  o.accounts = {alice, bob};
  start(o);
  const std::string order = "symbol=BTCUSDT&side=BUY&type=LIMIT_MAKER&quantity=0.001&price=59980&newClientOrderId=shared-id";
  EXPECT_EQ(http_->signed_request(V::post, "/api/v3/order", order, "alice-secret", "alice-key").status, 200);
  Reply poor = http_->signed_request(V::post, "/api/v3/order", order, "bob-secret", "bob-key");
  EXPECT_EQ(poor.body, R"({"code":-2010,"msg":"Account has insufficient balance for requested action."})");
  EXPECT_EQ(http_->signed_request(V::get, "/api/v3/order", "symbol=BTCUSDT&origClientOrderId=shared-id",
                                  "bob-secret", "bob-key").status, 400);
  EXPECT_EQ(http_->signed_request(V::get, "/api/v3/account", "", "alice-secret", "bob-key").status, 400)
      << "a key signs only with its own secret";
  EXPECT_EQ(Json::size(http_->get("/sim/v1/truth?account=alice").json()["orders"]), 1u);
  EXPECT_EQ(Json::size(http_->get("/sim/v1/truth?account=bob").json()["orders"]), 0u);
  EXPECT_TRUE(std::filesystem::exists(dir_ / "state/alice"));
  EXPECT_TRUE(std::filesystem::exists(dir_ / "state/bob"));
  EXPECT_EQ(http_->signed_request(V::get, "/api/v3/account", "").status, 401) << "no default account";
}

}  // namespace
}  // namespace keel::simserver::testutil
