// The connector's streams against the in-process venue (exchange_binance_testvenue.h): the market
// stream feeds a market::OrderBook that syncs from the pushed snapshot and resyncs after a
// reconnect; a silent stream is reconnected; the user-data stream subscribes with a valid
// signature, queues executionReports and balanceUpdates (bounded: overflow is a counted gap),
// caches balances, resubscribes after serverShutdown and counts the gap; pings both ways keep a
// quiet connection alive.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <chrono>
#include <functional>
#include <thread>

#include "exchange_binance_testvenue.h"
#include "keel/exchange/binance/binance.h"
#include "keel/exchange/binance/signing.h"
#include "keel/market/order_book.h"

namespace keel::exchange::binance {
namespace {

using testing::accept_subscription;
using testing::kKey;
using testing::kSecret;
using testing::TestVenue;
using testing::WsSession;
using Clock = std::chrono::steady_clock;

BinanceConfig stream_config(const TestVenue& v) {
  BinanceConfig c;
  c.rest_url = v.http_url();
  c.ws_url = v.ws_url();
  c.ws_api_url = v.ws_api_url();
  c.api_key = kKey;
  c.api_secret = kSecret;
  c.symbol = "BTCUSDT";
  c.request_timeout_ms = 2000;
  c.market_stream = false;
  c.user_stream = false;
  c.backoff_base_ms = 20;
  c.backoff_cap_ms = 100;
  c.backoff_seed = 1;
  return c;
}

// Polls `done` every 10 ms for up to `ms`.
bool eventually(const std::function<bool()>& done, int ms = 5000) {
  const auto until = Clock::now() + std::chrono::milliseconds(ms);
  while (Clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

std::string depth_diff(int64_t first, int64_t last) {
  return R"({"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1672515782136,"s":"BTCUSDT","U":)" +
         std::to_string(first) + R"(,"u":)" + std::to_string(last) +
         R"(,"b":[["61000.00000000","1.50000000"]],"a":[["61000.02000000","0.70000000"]]}})";
}
const char* kBookTicker =
    R"({"stream":"btcusdt@bookTicker","data":{"u":400900217,"s":"BTCUSDT","b":"61000.00000000","B":"1.50000000","a":"61000.01000000","A":"2.00000000"}})";
const char* kTrade =
    R"({"stream":"btcusdt@trade","data":{"e":"trade","E":1672515782136,"s":"BTCUSDT","t":12345,"p":"61000.00000000","q":"0.00100000","T":1672515782136,"m":true,"M":true}})";

// Five diffs from `first_id` + 1 on, each with a bookTicker and a trade.
void send_burst(WsSession& ws, int64_t first_id) {
  for (int i = 0; i < 5; ++i) {
    ws.write(depth_diff(first_id + 1 + 5 * i, first_id + 5 + 5 * i));
    ws.write(kBookTicker);
    ws.write(kTrade);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

struct Consumed {
  market::OrderBook book;
  int snapshots = 0, diffs = 0, tickers = 0, trades = 0;
  void take(const market::MarketEvent& ev) {
    book.on_event(ev);
    if (std::holds_alternative<market::DepthSnapshot>(ev.body)) ++snapshots;
    if (std::holds_alternative<market::DepthDiff>(ev.body)) ++diffs;
    if (std::holds_alternative<market::BookTicker>(ev.body)) ++tickers;
    if (std::holds_alternative<market::Trade>(ev.body)) ++trades;
  }
};

// Feeds `c` from the connector until `done` or 5 s.
bool consume_until(BinanceExchange& ex, Consumed& c, const std::function<bool()>& done) {
  const auto until = Clock::now() + std::chrono::seconds(5);
  market::MarketEvent ev;
  while (!done() && Clock::now() < until) {
    if (ex.next_market_event(ev, 50)) c.take(ev);
  }
  return done();
}

TEST(BinanceStreams, MarketStreamSyncsTheBookAndResyncsAfterAReconnect) {
  TestVenue venue;
  venue.set_depth_last_update_id(103);  // inside the first diff [101, 105]
  std::atomic<int> sessions{0};
  std::string target;
  venue.on_ws("/stream", [&](WsSession& ws) {
    const int n = ++sessions;
    if (n == 1) target = ws.target();
    if (n == 2) venue.set_depth_last_update_id(303);  // ids jumped while we were away
    send_burst(ws, n == 1 ? 100 : 300);
    if (n == 1) return;  // the venue drops the connection
    std::string ignored;
    ws.read(ignored);  // stay up until the client leaves
  });
  BinanceConfig cfg = stream_config(venue);
  cfg.market_stream = true;
  auto ex = BinanceExchange::connect(cfg);
  ASSERT_TRUE(ex.ok()) << ex.status().ToString();
  Consumed c;
  ASSERT_TRUE(consume_until(**ex, c, [&] { return c.book.synced() && c.book.last_update_id() == 125; }));
  EXPECT_EQ(target, "/stream?streams=btcusdt@depth@100ms/btcusdt@bookTicker/btcusdt@trade");
  EXPECT_EQ(c.snapshots, 1);
  EXPECT_EQ(c.book.best_bid_e8(), 6'100'000'000'000);
  EXPECT_GT(c.tickers, 0);
  EXPECT_GT(c.trades, 0);
  // The second connection starts at 301: the book sees a gap, the pushed snapshot resyncs it.
  ASSERT_TRUE(consume_until(**ex, c, [&] { return c.book.synced() && c.book.last_update_id() == 325; }));
  EXPECT_EQ(c.snapshots, 2);
  EXPECT_GE(c.book.gaps(), 1u);
  EXPECT_EQ((*ex)->market_resyncs(), 1u);
  EXPECT_EQ((*ex)->stats().market_connects, 2u);
  EXPECT_EQ((*ex)->stats().market_snapshots, 2u);
  EXPECT_EQ((*ex)->stats().decode_errors, 0u);
}

TEST(BinanceStreams, SnapshotOlderThanTheStreamIsFetchedAgain) {
  TestVenue venue;
  venue.set_depth_last_update_id(50);  // older than the first diff's U = 101 (§7 step 3)
  venue.on_ws("/stream", [&](WsSession& ws) {
    ws.write(depth_diff(101, 105));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    venue.set_depth_last_update_id(107);
    send_burst(ws, 105);
    std::string ignored;
    ws.read(ignored);
  });
  BinanceConfig cfg = stream_config(venue);
  cfg.market_stream = true;
  auto ex = BinanceExchange::connect(cfg);
  ASSERT_TRUE(ex.ok()) << ex.status().ToString();
  Consumed c;
  ASSERT_TRUE(consume_until(**ex, c, [&] { return c.book.synced() && c.book.last_update_id() == 130; }));
  EXPECT_EQ(c.snapshots, 1);  // only the usable one was pushed
  EXPECT_GE(venue.count("GET", "/api/v3/depth"), 2);
}

TEST(BinanceStreams, SilentMarketStreamIsReconnected) {
  TestVenue venue;
  venue.set_depth_last_update_id(103);
  std::atomic<int> sessions{0};
  venue.on_ws("/stream", [&](WsSession& ws) {
    ++sessions;
    ws.write(depth_diff(101, 105));
    std::string ignored;
    ws.read(ignored);  // then nothing: the client must give up on it
  });
  BinanceConfig cfg = stream_config(venue);
  cfg.market_stream = true;
  cfg.market_stale_ms = 300;
  auto ex = BinanceExchange::connect(cfg);
  ASSERT_TRUE(ex.ok()) << ex.status().ToString();
  // The client counts a connect when its handshake completes, which can be before the venue's
  // handler for that session has run: wait for both sides.
  EXPECT_TRUE(eventually([&] { return (*ex)->stats().market_connects >= 2 && sessions.load() >= 2; }))
      << "client connects " << (*ex)->stats().market_connects << ", venue sessions " << sessions.load();
  EXPECT_NE((*ex)->stats().market_stream_error.find("stale"), std::string::npos)
      << (*ex)->stats().market_stream_error;
}

// An executionReport of BTCUSDT, wrapped as the WebSocket API sends it (§6).
std::string exec_report(const std::string& x, const std::string& status, const std::string& c,
                        const std::string& orig, int64_t trade_id, const char* symbol = "BTCUSDT") {
  const bool trade = x == "TRADE";
  return R"({"subscriptionId":0,"event":{"e":"executionReport","E":1700000000001,"s":")" +
         std::string(symbol) + R"(","c":")" + c +
         R"(","S":"BUY","o":"LIMIT_MAKER","f":"GTC","q":"0.00100000","p":"61000.00000000","P":"0.00000000","F":"0.00000000","g":-1,"C":")" +
         orig + R"(","x":")" + x + R"(","X":")" + status + R"(","r":"NONE","i":77,"l":")" +
         (trade ? "0.00100000" : "0.00000000") + R"(","z":")" + (trade ? "0.00100000" : "0.00000000") +
         R"(","L":")" + (trade ? "61000.00000000" : "0.00000000") + R"(","n":")" +
         (trade ? "0.00610000" : "0") + R"(","N":)" + (trade ? "\"USDT\"" : "null") +
         R"(,"T":1700000000000,"t":)" + std::to_string(trade_id) +
         R"(,"I":1,"w":true,"m":true,"M":false,"O":1700000000000,"Z":"0","Y":"0","Q":"0","W":1700000000000,"V":"NONE"}})";
}

TEST(BinanceStreams, UserStreamQueuesReportsAndCountsTheGapAfterAResubscription) {
  TestVenue venue;
  std::atomic<int> sessions{0};
  std::string error;
  venue.on_ws("/ws-api/v3", [&](WsSession& ws) {
    const int n = ++sessions;
    if (!accept_subscription(ws, error)) return;
    if (n == 1) {
      ws.write(exec_report("NEW", "NEW", "k1-grid1-1", "", -1));
      ws.write(exec_report("NEW", "NEW", "other-1", "", -1, "ETHBTC"));  // another market: skipped
      ws.write(R"({"subscriptionId":0,"event":{"e":"outboundAccountPosition","E":1,"u":1,"B":[{"a":"USDT","f":"938.99000000","l":"61.01000000"}]}})");
      std::this_thread::sleep_for(std::chrono::milliseconds(300));  // connect() has returned
      ws.write(R"({"subscriptionId":0,"event":{"e":"serverShutdown","E":1}})");
      std::string ignored;
      ws.read(ignored);  // until the client closes
      return;
    }
    ws.write(exec_report("TRADE", "FILLED", "k1-grid1-1", "", 9001));
    ws.write(exec_report("CANCELED", "CANCELED", "cancel-req-1", "k1-grid1-2", -1));
    std::string ignored;
    ws.read(ignored);
  });
  BinanceConfig cfg = stream_config(venue);
  cfg.user_stream = true;
  auto ex = BinanceExchange::connect(cfg);
  ASSERT_TRUE(ex.ok()) << ex.status().ToString();
  EXPECT_EQ((*ex)->gap_recoveries(), 0u);  // the first subscription precedes start-up recovery
  std::vector<ExecutionReport> got;
  ASSERT_TRUE(eventually([&] {
    (*ex)->poll_user_events(got);
    return got.size() >= 3;
  })) << got.size() << " reports; " << error << (*ex)->stats().user_stream_error;
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].exec_type, ExecType::kNew);
  EXPECT_EQ(got[0].order.client_order_id, "k1-grid1-1");
  EXPECT_EQ(got[0].order.order_id, 77);
  EXPECT_EQ(got[1].exec_type, ExecType::kTrade);
  EXPECT_EQ(got[1].trade.trade_id, 9001);
  EXPECT_EQ(got[1].trade.qty_lots, 100);
  EXPECT_EQ(got[1].trade.commission_e8, 610'000);
  EXPECT_EQ(got[2].exec_type, ExecType::kCanceled);
  EXPECT_EQ(got[2].order.client_order_id, "k1-grid1-2");  // C, the order's own id
  EXPECT_EQ((*ex)->gap_recoveries(), 1u);  // resubscribed after serverShutdown
  EXPECT_EQ((*ex)->stats().user_subscriptions, 2u);
  EXPECT_EQ((*ex)->cached_balances().at("USDT").free_e8, 93'899'000'000);
  EXPECT_EQ((*ex)->cached_balances().at("USDT").locked_e8, 6'101'000'000);
  EXPECT_EQ((*ex)->cached_balances().at("BTC").free_e8, kOneE8);  // from the account at connect
  EXPECT_TRUE(error.empty()) << error;
}

std::string balance_update(const std::string& asset, const std::string& delta, int64_t e_ms) {
  return R"({"subscriptionId":0,"event":{"e":"balanceUpdate","E":)" + std::to_string(e_ms) + R"(,"a":")" + asset +
         R"(","d":")" + delta + R"(","T":)" + std::to_string(e_ms - 42) + "}}";
}

TEST(BinanceStreams, BalanceUpdatesAreQueuedAndAnUndecodableOneIsCounted) {
  TestVenue venue;
  std::string error;
  venue.on_ws("/ws-api/v3", [&](WsSession& ws) {
    if (!accept_subscription(ws, error)) return;
    ws.write(balance_update("BTC", "100.00000000", 1573200697110));  // §6's example
    ws.write(exec_report("NEW", "NEW", "k1-grid1-1", "", -1));
    ws.write(balance_update("USDT", "99999999999999999999.12345678", 1573200697111));  // cannot fit
    // The legacy listenKey shape (bare) decodes the same way.
    ws.write(R"({"e":"balanceUpdate","E":1573200697112,"a":"ETH","d":"-0.50000000","T":1573200697100})");
    ws.write(balance_update("SHIB", "1000000.00000000", 1573200697113));  // any asset of the account
    std::string ignored;
    ws.read(ignored);
  });
  BinanceConfig cfg = stream_config(venue);
  cfg.user_stream = true;
  auto ex = BinanceExchange::connect(cfg);
  ASSERT_TRUE(ex.ok()) << ex.status().ToString();
  std::vector<BalanceUpdate> got;
  ASSERT_TRUE(eventually([&] {
    (*ex)->poll_balance_updates(got);
    return got.size() >= 3;
  })) << got.size() << " updates; " << error << (*ex)->stats().user_stream_error;
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].asset, "BTC");
  EXPECT_EQ(got[0].delta_e8, 100 * kOneE8);
  EXPECT_EQ(got[0].event_time_ms, 1573200697110);
  EXPECT_EQ(got[0].clear_time_ms, 1573200697068);
  EXPECT_EQ(got[1].asset, "ETH");
  EXPECT_EQ(got[1].delta_e8, -50'000'000);
  EXPECT_EQ(got[1].clear_time_ms, 1573200697100);
  EXPECT_EQ(got[2].asset, "SHIB");
  std::vector<ExecutionReport> reports;
  (*ex)->poll_user_events(reports);
  EXPECT_EQ(reports.size(), 1u);  // the executionReport went its own way
  const ConnectorStats st = (*ex)->stats();
  EXPECT_EQ(st.balance_updates, 3u);
  EXPECT_EQ(st.balance_dropped, 0u);
  EXPECT_EQ(st.decode_errors, 1u);  // the delta that does not fit: counted, the stream goes on
  EXPECT_EQ((*ex)->gap_recoveries(), 1u);
  EXPECT_EQ(st.user_subscriptions, 1u);
  EXPECT_TRUE(error.empty()) << error;
}

TEST(BinanceStreams, BalanceUpdateQueueOverflowDropsAndCountsTheGap) {
  TestVenue venue;
  std::string error;
  venue.on_ws("/ws-api/v3", [&](WsSession& ws) {
    if (!accept_subscription(ws, error)) return;
    for (int i = 0; i < 5; ++i) ws.write(balance_update("BTC", std::to_string(i + 1) + ".00000000", 1700000000000 + i));
    std::string ignored;
    ws.read(ignored);
  });
  BinanceConfig cfg = stream_config(venue);
  cfg.user_stream = true;
  cfg.balance_queue_capacity = 2;
  auto ex = BinanceExchange::connect(cfg);
  ASSERT_TRUE(ex.ok()) << ex.status().ToString();
  ASSERT_TRUE(eventually([&] { return (*ex)->stats().balance_updates == 5; }))
      << (*ex)->stats().balance_updates << " " << error;
  std::vector<BalanceUpdate> got;
  (*ex)->poll_balance_updates(got);
  ASSERT_EQ(got.size(), 2u);  // the first two; the rest found the queue full
  EXPECT_EQ(got[0].delta_e8, 1 * kOneE8);
  EXPECT_EQ(got[1].delta_e8, 2 * kOneE8);
  EXPECT_EQ((*ex)->stats().balance_dropped, 3u);
  EXPECT_EQ((*ex)->gap_recoveries(), 3u);
  BinanceConfig zero = cfg;
  zero.balance_queue_capacity = 0;
  auto refused = BinanceExchange::connect(zero);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("balance_queue_capacity"), std::string::npos);
}

TEST(BinanceStreams, RejectedSubscriptionFailsConnect) {
  TestVenue venue;
  venue.on_ws("/ws-api/v3", [](WsSession& ws) {
    std::string req;
    if (!ws.read(req)) return;
    const size_t at = req.find("\"id\":\"") + 6;
    const std::string id = req.substr(at, req.find('"', at) - at);
    ws.write(R"({"id":")" + id + R"(","status":401,"error":{"code":-2015,"msg":"Invalid API-key, IP, or permissions for action."}})");
    std::string ignored;
    ws.read(ignored);
  });
  BinanceConfig cfg = stream_config(venue);
  cfg.user_stream = true;
  auto ex = BinanceExchange::connect(cfg);
  ASSERT_FALSE(ex.ok());
  EXPECT_EQ(ex.status().code(), Code::kRejected);
  EXPECT_NE(ex.status().message().find("-2015"), std::string::npos) << ex.status().ToString();
}

TEST(BinanceStreams, PingsBothWaysKeepAQuietConnection) {
  TestVenue venue;
  venue.on_ws("/ws-api/v3", [&](WsSession& ws) {
    std::string error;
    if (!accept_subscription(ws, error)) return;
    ws.ping();  // as Binance does every 20 s; the client must pong
    std::string ignored;
    ws.read(ignored);  // silent from here on: only control frames pass
  });
  BinanceConfig cfg = stream_config(venue);
  cfg.user_stream = true;
  cfg.ws_idle_timeout_ms = 400;  // the client pings after 200 ms of silence
  auto ex = BinanceExchange::connect(cfg);
  ASSERT_TRUE(ex.ok()) << ex.status().ToString();
  EXPECT_TRUE(eventually([&] { return venue.ws_pongs() >= 1; }));
  EXPECT_TRUE(eventually([&] { return venue.ws_pings() >= 3; }));
  EXPECT_EQ((*ex)->stats().pings_received, 1u);
  EXPECT_EQ((*ex)->stats().user_subscriptions, 1u);  // the pongs kept it alive: no reconnect
  EXPECT_EQ((*ex)->gap_recoveries(), 0u);
}

}  // namespace
}  // namespace keel::exchange::binance
