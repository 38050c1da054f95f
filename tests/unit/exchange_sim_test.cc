// The sim's matching rules on small synthetic event sequences (sim.h states each rule).
#include <gtest/gtest.h>

#include "exchange_sim_testutil.h"

namespace keel::exchange::sim {
namespace {

using namespace testutil;  // NOLINT(google-build-using-namespace)

constexpr int64_t kT0 = 1'723'161'253'000'000'000;  // ns, 2024-08-08 23:54:13 UTC

class SimTest : public ::testing::Test {
 protected:
  void SetUp() override { sim_ = open_sim(options(dir_.path())); }

  void feed(const market::MarketEvent& ev) { ASSERT_TRUE(sim_->on_market(ev).ok()); }

  // Book: bids 61800.00 x 0.5, 61799.99 x 1; asks 61800.01 x 0.4, 61800.02 x 2.
  void book() {
    feed(snapshot(100, {{"61800.00", "0.5"}, {"61799.99", "1"}},
                  {{"61800.01", "0.4"}, {"61800.02", "2"}}));
  }

  std::vector<ExecutionReport> events() {
    std::vector<ExecutionReport> out;
    sim_->poll_user_events(out);
    return out;
  }

  AssetBalance bal(const std::string& asset) { return (*sim_->balances())[asset]; }

  void expect_reject(const PlaceResult& r, int http, int code, const std::string& msg) {
    EXPECT_EQ(r.outcome, Outcome::kRejected);
    EXPECT_EQ(r.error.http_status, http);
    EXPECT_EQ(r.error.code, code);
    EXPECT_EQ(r.error.msg, msg);
  }

  OrderReport query(const std::string& id) {
    auto r = sim_->query_order("BTCUSDT", id);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : OrderReport{};
  }

  TempDir dir_{"rules"};
  std::unique_ptr<SimExchange> sim_;
};

TEST_F(SimTest, StatusNames) {
  EXPECT_STREQ(order_status_name(OrderStatus::kNew), "NEW");
  EXPECT_STREQ(order_status_name(OrderStatus::kPartiallyFilled), "PARTIALLY_FILLED");
  EXPECT_STREQ(order_status_name(OrderStatus::kFilled), "FILLED");
  EXPECT_STREQ(order_status_name(OrderStatus::kCanceled), "CANCELED");
  EXPECT_STREQ(order_status_name(OrderStatus::kRejected), "REJECTED");
  EXPECT_STREQ(order_status_name(OrderStatus::kExpired), "EXPIRED");
  EXPECT_TRUE(is_open(OrderStatus::kNew));
  EXPECT_TRUE(is_open(OrderStatus::kPartiallyFilled));
  EXPECT_FALSE(is_open(OrderStatus::kFilled));
  EXPECT_FALSE(is_open(OrderStatus::kCanceled));
}

TEST_F(SimTest, PostOnlyRejectsBothSidesAgainstTicker) {
  feed(ticker(200, "61800.00", "0.5", "61800.01", "0.4"));
  const std::string kMsg = "Order would immediately match and take.";
  expect_reject(sim_->place(order(Side::kBuy, "61800.01", "0.001", "b1")), 400, -2010, kMsg);
  expect_reject(sim_->place(order(Side::kBuy, "61900.00", "0.001", "b2")), 400, -2010, kMsg);
  expect_reject(sim_->place(order(Side::kSell, "61800.00", "0.001", "s1")), 400, -2010, kMsg);
  expect_reject(sim_->place(order(Side::kSell, "61700.00", "0.001", "s2")), 400, -2010, kMsg);
  EXPECT_EQ(sim_->place(order(Side::kBuy, "61800.00", "0.001", "b3")).outcome,
            Outcome::kAccepted);
  EXPECT_EQ(sim_->place(order(Side::kSell, "61800.01", "0.001", "s3")).outcome,
            Outcome::kAccepted);
  EXPECT_TRUE(sim_->truth().trades.empty());
  EXPECT_EQ(sim_->truth().orders.size(), 2u);  // rejects take no order id
}

TEST_F(SimTest, PostOnlyUsesTheFresherOfTickerAndDepth) {
  book();                                                  // book id 100: ask 61800.01
  feed(ticker(99, "61799.00", "1", "61799.50", "1"));      // older than the book: ignored
  EXPECT_EQ(sim_->place(order(Side::kBuy, "61799.60", "0.001", "a")).outcome,
            Outcome::kAccepted);
  feed(ticker(101, "61790.00", "1", "61790.50", "1"));     // newer: ask 61790.50
  expect_reject(sim_->place(order(Side::kBuy, "61790.50", "0.001", "b")), 400, -2010,
                "Order would immediately match and take.");
  feed(diff(101, 102, kT0, {}, {{"61795.00", "1"}}));     // depth newer again: ask 61795.00
  EXPECT_EQ(sim_->place(order(Side::kBuy, "61790.50", "0.001", "c")).outcome,
            Outcome::kAccepted);
}

TEST_F(SimTest, PostOnlyCountsOurOwnRestingOrders) {
  feed(ticker(200, "61800.00", "0.5", "61801.00", "0.4"));
  ASSERT_EQ(sim_->place(order(Side::kSell, "61800.50", "0.001", "s")).outcome,
            Outcome::kAccepted);
  expect_reject(sim_->place(order(Side::kBuy, "61800.50", "0.001", "b")), 400, -2010,
                "Order would immediately match and take.");
  EXPECT_EQ(sim_->place(order(Side::kBuy, "61800.49", "0.001", "b2")).outcome,
            Outcome::kAccepted);
}

TEST_F(SimTest, Filters) {
  OrderRequest r = order(Side::kBuy, "61800.00", "0.001", "f");
  r.price_ticks = 0;
  expect_reject(sim_->place(r), 400, -1013, "Filter failure: PRICE_FILTER");
  r = order(Side::kBuy, "61800.00", "0.001", "f");
  r.qty_lots = 0;
  expect_reject(sim_->place(r), 400, -1013, "Filter failure: LOT_SIZE");
  // 0.00008 BTC * 61800 = 4.944 USDT < 5.
  expect_reject(sim_->place(order(Side::kBuy, "61800.00", "0.00008", "f")), 400, -1013,
                "Filter failure: NOTIONAL");
  EXPECT_EQ(sim_->place(order(Side::kBuy, "61800.00", "0.00009", "f")).outcome,
            Outcome::kAccepted);
  r = order(Side::kBuy, "61800.00", "0.001", "f");
  r.price_ticks = int64_t{1} << 60;  // beyond maxPrice
  expect_reject(sim_->place(r), 400, -1013, "Filter failure: PRICE_FILTER");
  r = order(Side::kBuy, "61800.00", "0.001", "f");
  r.qty_lots = int64_t{1} << 60;  // beyond maxQty
  expect_reject(sim_->place(r), 400, -1013, "Filter failure: LOT_SIZE");
  // 10^6 BTC at 61800: beyond maxNotional.
  expect_reject(sim_->place(order(Side::kBuy, "61800.00", "1000000", "f")), 400, -1013,
                "Filter failure: NOTIONAL");
  r = order(Side::kBuy, "61800.00", "0.001", "g");
  r.symbol = "ETHUSDT";
  expect_reject(sim_->place(r), 400, -1121, "Invalid symbol.");
  expect_reject(sim_->place(order(Side::kBuy, "61800.00", "0.001", "bad.id")), 400, -1100,
                "Illegal characters found in parameter 'newClientOrderId'; legal range is "
                "'^[a-zA-Z0-9-_]{1,36}$'.");
  expect_reject(sim_->place(order(Side::kBuy, "61800.00", "0.001", std::string(37, 'a'))), 400,
                -1100,
                "Illegal characters found in parameter 'newClientOrderId'; legal range is "
                "'^[a-zA-Z0-9-_]{1,36}$'.");
  EXPECT_EQ(sim_->place(order(Side::kBuy, "61800.00", "0.001", std::string(36, 'a'))).outcome,
            Outcome::kAccepted);
}

TEST_F(SimTest, InsufficientBalance) {
  sim_.reset();
  TempDir small("small");
  sim_ = open_sim(options(small.path(), "61.86180000", "0.001"));
  const std::string kMsg = "Account has insufficient balance for requested action.";
  // BUY 0.001 at 61800: notional 61.8 + fee 0.0618 = 61.8618 locked.
  expect_reject(sim_->place(order(Side::kBuy, "61800.00", "0.00101", "b")), 400, -2010, kMsg);
  expect_reject(sim_->place(order(Side::kSell, "61900.00", "0.00101", "s")), 400, -2010, kMsg);
  auto b = sim_->place(order(Side::kBuy, "61800.00", "0.001", "b"));
  ASSERT_EQ(b.outcome, Outcome::kAccepted);
  EXPECT_EQ(bal("USDT").free_e8, 0);
  EXPECT_EQ(bal("USDT").locked_e8, e8("61.8618"));
  expect_reject(sim_->place(order(Side::kBuy, "61700.00", "0.0001", "b2")), 400, -2010, kMsg);
  ASSERT_EQ(sim_->place(order(Side::kSell, "61900.00", "0.001", "s")).outcome,
            Outcome::kAccepted);
  EXPECT_EQ(bal("BTC").free_e8, 0);
  EXPECT_EQ(bal("BTC").locked_e8, e8("0.001"));
}

TEST_F(SimTest, DuplicateOpenClientIdAndReuseAfterCancel) {
  ASSERT_EQ(sim_->place(order(Side::kBuy, "61000.00", "0.001", "dup")).outcome,
            Outcome::kAccepted);
  expect_reject(sim_->place(order(Side::kSell, "62000.00", "0.001", "dup")), 400, -2010,
                "Duplicate order sent.");
  ASSERT_EQ(sim_->cancel("BTCUSDT", "dup").outcome, Outcome::kAccepted);
  auto again = sim_->place(order(Side::kSell, "62000.00", "0.001", "dup"));
  ASSERT_EQ(again.outcome, Outcome::kAccepted);
  EXPECT_EQ(again.order.order_id, 2);
  EXPECT_EQ(query("dup").order_id, 2);  // the newest order with that id
}

TEST_F(SimTest, UnknownOrders) {
  auto c = sim_->cancel("BTCUSDT", "nope");
  EXPECT_EQ(c.outcome, Outcome::kRejected);
  EXPECT_EQ(c.error.http_status, 400);
  EXPECT_EQ(c.error.code, -2011);
  EXPECT_EQ(c.error.msg, "Unknown order sent.");
  auto q = sim_->query_order("BTCUSDT", "nope");
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.status().code(), Code::kNotFound);
  EXPECT_EQ(q.status().message(), R"({"code":-2013,"msg":"Order does not exist."})");
  // Canceling twice: the second is unknown too.
  ASSERT_EQ(sim_->place(order(Side::kBuy, "61000.00", "0.001", "x")).outcome,
            Outcome::kAccepted);
  ASSERT_EQ(sim_->cancel("BTCUSDT", "x").outcome, Outcome::kAccepted);
  EXPECT_EQ(sim_->cancel("BTCUSDT", "x").error.code, -2011);
  EXPECT_EQ(query("x").status, OrderStatus::kCanceled);
  EXPECT_EQ(sim_->cancel("ETHUSDT", "x").error.code, -1121);
  EXPECT_EQ(sim_->query_order("ETHUSDT", "x").status().code(), Code::kRejected);
}

TEST_F(SimTest, QueueAheadIsConsumedByTradesAtTheLevelBeforeWeFill) {
  book();
  auto p = sim_->place(order(Side::kBuy, "61800.00", "0.1", "q"));
  ASSERT_EQ(p.outcome, Outcome::kAccepted);
  events();
  // A buyer-initiated trade at our price does not touch a BUY (wrong side).
  feed(trade(1, "61800.00", "5", false, kT0 + 1));
  // 0.3 of the 0.5 ahead.
  feed(trade(2, "61800.00", "0.3", true, kT0 + 2));
  EXPECT_TRUE(sim_->truth().trades.empty());
  // 0.25: 0.2 finishes the queue, 0.05 fills us (partial).
  feed(trade(3, "61800.00", "0.25", true, kT0 + 3));
  auto t = sim_->truth().trades;
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].qty_lots, 5000);
  EXPECT_EQ(t[0].price_ticks, 6180000);
  EXPECT_EQ(t[0].ts_exchange_ns, kT0 + 3);
  EXPECT_EQ(query("q").status, OrderStatus::kPartiallyFilled);
  EXPECT_EQ(query("q").executed_lots, 5000);
  // The rest: 0.07 more fills 0.05 and the order is done.
  feed(trade(4, "61800.00", "0.07", true, kT0 + 4));
  t = sim_->truth().trades;
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[1].qty_lots, 5000);
  EXPECT_EQ(query("q").status, OrderStatus::kFilled);
  auto ev = events();
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].exec_type, ExecType::kTrade);
  EXPECT_EQ(ev[0].order.status, OrderStatus::kPartiallyFilled);
  EXPECT_EQ(ev[0].trade.trade_id, 1);
  EXPECT_EQ(ev[1].order.status, OrderStatus::kFilled);
  EXPECT_EQ(ev[1].trade.trade_id, 2);
  EXPECT_EQ(sim_->cancel("BTCUSDT", "q").error.code, -2011);  // filled: unknown to cancel
}

TEST_F(SimTest, SellQueueAndTradesOnTheAskSide) {
  book();
  ASSERT_EQ(sim_->place(order(Side::kSell, "61800.01", "0.01", "s")).outcome,
            Outcome::kAccepted);
  feed(trade(1, "61800.01", "0.4", true, kT0));   // seller-initiated: not our side
  feed(trade(2, "61800.01", "0.4", false, kT0));  // eats the 0.4 ahead
  EXPECT_TRUE(sim_->truth().trades.empty());
  feed(trade(3, "61800.01", "0.004", false, kT0));
  ASSERT_EQ(sim_->truth().trades.size(), 1u);
  EXPECT_EQ(sim_->truth().trades[0].qty_lots, 400);
  EXPECT_EQ(sim_->truth().trades[0].side, Side::kSell);
}

TEST_F(SimTest, DepthShrinkClipsTheQueueAndGrowthDoesNot) {
  book();
  ASSERT_EQ(sim_->place(order(Side::kBuy, "61800.00", "0.1", "q")).outcome,
            Outcome::kAccepted);
  feed(diff(101, 101, kT0, {{"61800.00", "0.1"}}, {}));  // 0.4 canceled ahead (assumed)
  feed(diff(102, 102, kT0, {{"61800.00", "3"}}, {}));    // joins behind us
  feed(trade(1, "61800.00", "0.15", true, kT0));         // 0.1 queue, 0.05 ours
  ASSERT_EQ(sim_->truth().trades.size(), 1u);
  EXPECT_EQ(sim_->truth().trades[0].qty_lots, 5000);
  EXPECT_EQ(sim_->now_ns(), kT0);
}

TEST_F(SimTest, TickerClipsTheQueueAtTheTopAndAboveIt) {
  book();
  ASSERT_EQ(sim_->place(order(Side::kBuy, "61800.00", "0.1", "q")).outcome,
            Outcome::kAccepted);
  feed(ticker(150, "61800.00", "0.2", "61800.01", "1"));  // top level shrank to 0.2
  feed(trade(1, "61800.00", "0.2", true, kT0));
  EXPECT_TRUE(sim_->truth().trades.empty());                // exactly the queue
  feed(trade(2, "61800.00", "0.01", true, kT0));
  ASSERT_EQ(sim_->truth().trades.size(), 1u);
  EXPECT_EQ(sim_->truth().trades[0].qty_lots, 1000);
  // A second order at 61800 queues behind 0.2; the bid then drops below: nothing ahead.
  ASSERT_EQ(sim_->place(order(Side::kBuy, "61800.00", "0.01", "r")).outcome,
            Outcome::kAccepted);
  feed(ticker(151, "61799.99", "1", "61800.01", "1"));
  feed(trade(3, "61800.00", "0.01", true, kT0));   // q takes it (time priority)...
  feed(trade(4, "61800.00", "0.085", true, kT0));  // ...its last 0.08, then r 0.005
  auto t = sim_->truth().trades;
  ASSERT_EQ(t.size(), 4u);
  EXPECT_EQ(t[1].client_order_id, "q");
  EXPECT_EQ(t[1].qty_lots, 1000);
  EXPECT_EQ(t[2].client_order_id, "q");
  EXPECT_EQ(t[2].qty_lots, 8000);
  EXPECT_EQ(t[3].client_order_id, "r");
  EXPECT_EQ(t[3].qty_lots, 500);
}

TEST_F(SimTest, TradeThroughFillsTheWholeRemainderAtOurPrice) {
  book();
  ASSERT_EQ(sim_->place(order(Side::kBuy, "61800.00", "0.1", "q")).outcome,
            Outcome::kAccepted);
  ASSERT_EQ(sim_->place(order(Side::kSell, "61800.02", "0.1", "s")).outcome,
            Outcome::kAccepted);
  feed(trade(1, "61799.99", "0.00001", false, kT0));  // below the BUY but buyer-initiated
  EXPECT_TRUE(sim_->truth().trades.empty());
  feed(trade(2, "61799.99", "0.00001", true, kT0));
  feed(trade(3, "61800.03", "0.00001", false, kT0));
  auto t = sim_->truth().trades;
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0].price_ticks, 6180000);
  EXPECT_EQ(t[0].qty_lots, 10000);
  EXPECT_EQ(t[1].price_ticks, 6180002);
  EXPECT_EQ(t[1].qty_lots, 10000);
  EXPECT_EQ(query("q").status, OrderStatus::kFilled);
  EXPECT_EQ(query("s").status, OrderStatus::kFilled);
}

TEST_F(SimTest, OurOrdersShareOneTradeInTimePriority) {
  // No market data: the level is unknown, so both orders start with nothing ahead.
  ASSERT_EQ(sim_->place(order(Side::kBuy, "61800.00", "0.01", "a")).outcome,
            Outcome::kAccepted);
  ASSERT_EQ(sim_->place(order(Side::kBuy, "61800.00", "0.01", "b")).outcome,
            Outcome::kAccepted);
  feed(trade(1, "61800.00", "0.015", true, kT0));
  auto t = sim_->truth().trades;
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0].client_order_id, "a");
  EXPECT_EQ(t[0].qty_lots, 1000);
  EXPECT_EQ(t[1].client_order_id, "b");
  EXPECT_EQ(t[1].qty_lots, 500);
}

TEST_F(SimTest, FeeIsRoundedUpInQuote) {
  // 0.00011 * 61800.01 = 6.7980011 USDT; 10 bps = 0.0067980011 -> 0.00679801 rounded up.
  ASSERT_EQ(sim_->place(order(Side::kBuy, "61800.01", "0.00011", "f")).outcome,
            Outcome::kAccepted);
  feed(trade(1, "61800.00", "1", true, kT0));
  auto t = sim_->truth().trades;
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].commission_e8, 679801);
  EXPECT_EQ(t[0].commission_e8, fee_e8(e8("6.7980011"), 100'000));
  EXPECT_EQ(t[0].commission_asset, "USDT");
  EXPECT_TRUE(t[0].is_maker);
  EXPECT_EQ(bal("USDT").free_e8, e8("100000") - e8("6.7980011") - 679801);
  EXPECT_EQ(bal("USDT").locked_e8, 0);
  EXPECT_EQ(bal("BTC").free_e8, e8("1.00011"));
}

TEST_F(SimTest, BalancesThroughPlacePartialFillAndCancel) {
  book();
  ASSERT_EQ(sim_->place(order(Side::kBuy, "61800.00", "0.1", "b")).outcome,
            Outcome::kAccepted);
  // Locks 6180 + fee 6.18.
  EXPECT_EQ(bal("USDT").free_e8, e8("93813.82"));
  EXPECT_EQ(bal("USDT").locked_e8, e8("6186.18"));
  feed(trade(1, "61800.00", "0.55", true, kT0));  // 0.5 ahead, 0.05 ours
  // Paid 3090 + 3.09 from the lock; received 0.05 BTC.
  EXPECT_EQ(bal("USDT").free_e8, e8("93813.82"));
  EXPECT_EQ(bal("USDT").locked_e8, e8("3093.09"));
  EXPECT_EQ(bal("BTC").free_e8, e8("1.05"));
  auto c = sim_->cancel("BTCUSDT", "b");
  ASSERT_EQ(c.outcome, Outcome::kAccepted);
  EXPECT_EQ(c.order.status, OrderStatus::kCanceled);
  EXPECT_EQ(c.order.executed_lots, 5000);
  EXPECT_EQ(bal("USDT").free_e8, e8("96906.91"));
  EXPECT_EQ(bal("USDT").locked_e8, 0);

  ASSERT_EQ(sim_->place(order(Side::kSell, "61800.02", "0.5", "s")).outcome,
            Outcome::kAccepted);
  EXPECT_EQ(bal("BTC").free_e8, e8("0.55"));
  EXPECT_EQ(bal("BTC").locked_e8, e8("0.5"));
  feed(trade(2, "61800.03", "0.01", false, kT0));  // through: all 0.5 at 61800.02
  EXPECT_EQ(bal("BTC").locked_e8, 0);
  EXPECT_EQ(bal("BTC").free_e8, e8("0.55"));
  // + 30900.01 - fee 30.90001.
  EXPECT_EQ(bal("USDT").free_e8, e8("96906.91") + e8("30900.01") - e8("30.90001"));
}

TEST_F(SimTest, ExecutionReportsInOrder) {
  auto p = sim_->place(order(Side::kBuy, "61800.00", "0.01", "a"));
  ASSERT_EQ(p.outcome, Outcome::kAccepted);
  EXPECT_EQ(p.order.order_id, 1);
  EXPECT_EQ(p.order.status, OrderStatus::kNew);
  feed(trade(1, "61800.00", "0.004", true, kT0));
  ASSERT_EQ(sim_->cancel("BTCUSDT", "a").outcome, Outcome::kAccepted);
  auto ev = events();
  ASSERT_EQ(ev.size(), 3u);
  EXPECT_EQ(ev[0].exec_type, ExecType::kNew);
  EXPECT_EQ(ev[1].exec_type, ExecType::kTrade);
  EXPECT_EQ(ev[1].trade.qty_lots, 400);
  EXPECT_EQ(ev[1].trade.client_order_id, "a");
  EXPECT_EQ(ev[1].order.executed_lots, 400);
  EXPECT_EQ(ev[2].exec_type, ExecType::kCanceled);
  EXPECT_EQ(ev[2].order.status, OrderStatus::kCanceled);
  EXPECT_TRUE(events().empty());
}

TEST_F(SimTest, CancelReplace) {
  feed(ticker(200, "61800.00", "0.5", "61800.01", "0.4"));
  ASSERT_EQ(sim_->place(order(Side::kBuy, "61790.00", "0.01", "a")).outcome,
            Outcome::kAccepted);
  events();
  auto r = sim_->cancel_replace("a", order(Side::kBuy, "61795.00", "0.02", "b"));
  EXPECT_EQ(r.cancel_outcome, Outcome::kAccepted);
  EXPECT_EQ(r.place_outcome, Outcome::kAccepted);
  EXPECT_EQ(r.canceled.client_order_id, "a");
  EXPECT_EQ(r.canceled.status, OrderStatus::kCanceled);
  EXPECT_EQ(r.placed.client_order_id, "b");
  EXPECT_EQ(r.placed.order_id, 2);
  auto ev = events();
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].exec_type, ExecType::kCanceled);
  EXPECT_EQ(ev[1].exec_type, ExecType::kNew);
  EXPECT_EQ(bal("USDT").locked_e8, e8("1235.9") + e8("1.2359"));

  // STOP_ON_FAILURE: an unknown cancel stops the place.
  r = sim_->cancel_replace("a", order(Side::kBuy, "61795.00", "0.02", "c"));
  EXPECT_EQ(r.cancel_outcome, Outcome::kRejected);
  EXPECT_EQ(r.place_outcome, Outcome::kRejected);
  EXPECT_EQ(r.error.http_status, 400);
  EXPECT_EQ(r.error.code, -2011);
  EXPECT_EQ(r.error.msg, "Unknown order sent.");
  EXPECT_FALSE(sim_->query_order("BTCUSDT", "c").ok());
  EXPECT_TRUE(events().empty());

  // Cancel succeeds, the new order would take: 409 with the place's error.
  r = sim_->cancel_replace("b", order(Side::kBuy, "61800.01", "0.02", "d"));
  EXPECT_EQ(r.cancel_outcome, Outcome::kAccepted);
  EXPECT_EQ(r.place_outcome, Outcome::kRejected);
  EXPECT_EQ(r.error.http_status, 409);
  EXPECT_EQ(r.error.code, -2010);
  EXPECT_EQ(r.error.msg, "Order would immediately match and take.");
  EXPECT_EQ(query("b").status, OrderStatus::kCanceled);
  EXPECT_TRUE(sim_->open_orders("BTCUSDT")->empty());
  EXPECT_EQ(bal("USDT").locked_e8, 0);
  EXPECT_EQ(bal("USDT").free_e8, e8("100000"));
}

// order.amend.keepPriority: the quantity shrinks, the queue position stays, the removed
// quantity's lock is released, an executionReport REPLACED follows; refusals as Binance's.
TEST_F(SimTest, AmendKeepPriorityReducesQuantityAndKeepsTheQueue) {
  book();
  ASSERT_TRUE(sim_->amend_allowed("BTCUSDT"));
  ASSERT_EQ(sim_->place(order(Side::kBuy, "61800.00", "0.1", "q")).outcome, Outcome::kAccepted);
  events();
  const int64_t locked_before = bal("USDT").locked_e8;
  auto a = sim_->amend_keep_priority("BTCUSDT", "q", 4000);  // 0.1 -> 0.04
  ASSERT_EQ(a.outcome, Outcome::kAccepted) << a.error.msg;
  EXPECT_EQ(a.order.qty_lots, 4000);
  EXPECT_EQ(a.order.client_order_id, "q");
  EXPECT_EQ(query("q").qty_lots, 4000);
  EXPECT_EQ(bal("USDT").locked_e8, e8("2472") + e8("2.472"));  // 0.04 x 61800 + fee
  EXPECT_LT(bal("USDT").locked_e8, locked_before);
  auto ev = events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].exec_type, ExecType::kReplaced);
  EXPECT_EQ(ev[0].order.qty_lots, 4000);
  // Still behind the 0.5 that was ahead of it: 0.5 trades first, then 0.04 fills it whole.
  feed(trade(1, "61800.00", "0.5", true, kT0 + 1));
  EXPECT_TRUE(sim_->truth().trades.empty());
  feed(trade(2, "61800.00", "0.1", true, kT0 + 2));
  ASSERT_EQ(sim_->truth().trades.size(), 1u);
  EXPECT_EQ(sim_->truth().trades[0].qty_lots, 4000);
  EXPECT_EQ(query("q").status, OrderStatus::kFilled);
  EXPECT_EQ(bal("USDT").locked_e8, 0);
}

TEST_F(SimTest, AmendKeepPriorityRefusesAnIncreaseNoChangeAndAnUnknownOrder) {
  book();
  ASSERT_EQ(sim_->place(order(Side::kSell, "61800.02", "0.1", "s")).outcome, Outcome::kAccepted);
  EXPECT_EQ(sim_->amend_keep_priority("BTCUSDT", "s", 20000).error.code, -2038);
  EXPECT_EQ(sim_->amend_keep_priority("BTCUSDT", "s", 10000).error.code, -2038);
  EXPECT_EQ(sim_->amend_keep_priority("BTCUSDT", "nope", 100).error.code, -2013);
  feed(trade(1, "61800.03", "0.03", false, kT0 + 1));  // through: 0.03 of ours... all 0.1
  EXPECT_EQ(sim_->amend_keep_priority("BTCUSDT", "s", 100).error.code, -2013);  // filled
  EXPECT_EQ(query("s").qty_lots, 10000);
}

TEST_F(SimTest, TradesFromIsInclusive) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(sim_->place(order(Side::kBuy, "61800.00", "0.001", "o" + std::to_string(i)))
                  .outcome,
              Outcome::kAccepted);
  }
  feed(trade(1, "61799.00", "0.001", true, kT0));
  ASSERT_EQ(sim_->truth().trades.size(), 3u);
  auto from = [&](int64_t id) {
    std::vector<int64_t> ids;
    auto r = sim_->trades_from("BTCUSDT", id, SIZE_MAX);
    EXPECT_TRUE(r.ok());
    if (!r.ok()) return ids;
    EXPECT_FALSE(r->more);
    const std::vector<TradeReport>& trades = r->trades;
    for (const auto& t : trades) ids.push_back(t.trade_id);
    return ids;
  };
  EXPECT_EQ(from(2), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(from(3), (std::vector<int64_t>{3}));
  EXPECT_EQ(from(4), (std::vector<int64_t>{}));
  EXPECT_EQ(from(0), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(from(1), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_FALSE(sim_->trades_from("ETHUSDT", 1, SIZE_MAX).ok());
  auto page = sim_->trades_from("BTCUSDT", 1, 2);  // bounded: the third waits for the next page
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->trades.size(), 2u);
  EXPECT_TRUE(page->more);
}

TEST_F(SimTest, OpenOrdersAndPositionAndOtherSymbols) {
  ASSERT_EQ(sim_->place(order(Side::kBuy, "61000.00", "0.001", "a")).outcome,
            Outcome::kAccepted);
  ASSERT_EQ(sim_->place(order(Side::kSell, "62000.00", "0.001", "b")).outcome,
            Outcome::kAccepted);
  ASSERT_EQ(sim_->cancel("BTCUSDT", "a").outcome, Outcome::kAccepted);
  auto open = sim_->open_orders("BTCUSDT");
  ASSERT_TRUE(open.ok());
  ASSERT_EQ(open->size(), 1u);
  EXPECT_EQ((*open)[0].client_order_id, "b");
  EXPECT_EQ(sim_->position(), 0u);
  market::MarketEvent other = trade(1, "70000.00", "1", false, kT0);
  other.symbol = "ETHUSDT";
  feed(other);  // counts, changes nothing
  EXPECT_EQ(sim_->position(), 1u);
  EXPECT_EQ(sim_->now_ns(), 0);
  EXPECT_TRUE(sim_->truth().trades.empty());
  feed(ticker(5, "61000.00", "1", "61000.01", "1"));  // no exchange time on spot
  EXPECT_EQ(sim_->position(), 2u);
  EXPECT_EQ(sim_->now_ns(), 0);
  EXPECT_FALSE(sim_->recording_ended());
  ASSERT_TRUE(sim_->mark_recording_ended().ok());
  EXPECT_TRUE(sim_->recording_ended());
}

TEST_F(SimTest, EmptyClientIdGetsOne) {
  auto p = sim_->place(order(Side::kBuy, "61000.00", "0.001", ""));
  ASSERT_EQ(p.outcome, Outcome::kAccepted);
  EXPECT_EQ(p.order.client_order_id, "sim-1");
}

}  // namespace
}  // namespace keel::exchange::sim
