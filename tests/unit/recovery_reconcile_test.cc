// The reconciler against the simulated exchange: every in-doubt case of issue 2 is resolved by
// evidence (R1, R2), and what cannot be proven is reported (W5).
#include <gtest/gtest.h>

#include <filesystem>

#include "keel/core/ids.h"
#include "keel/exchange/sim.h"
#include "keel/recovery/reconcile.h"

namespace keel::recovery {
namespace {

using exchange::Outcome;
using journal::Source;

class ReconcileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/keel-reconcile-XXXXXX";
    dir_ = mkdtemp(tmpl);
    ins_ = *Instrument::make("BTCUSDT", "BTC", "USDT", "0.01", "0.00001", "5");
    exchange::sim::SimOptions o;
    o.instrument = ins_;
    o.maker_fee_rate_e8 = 100'000;
    o.initial_balances["USDT"].free_e8 = 10'000 * kOneE8;
    o.initial_balances["BTC"].free_e8 = kOneE8;
    o.state_dir = dir_ + "/sim";
    sim_ = std::move(*exchange::sim::SimExchange::open(o));
    ticker(6183000, 6183100);
    fold(journal::TaskStarted{"grid", "BTCUSDT", "BTC", "USDT", ins_.tick_e8, ins_.step_e8,
                              ins_.min_notional_e8, ""});
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void market(market::EventBody body) {
    market::MarketEvent ev;
    ev.symbol = "BTCUSDT";
    ev.body = std::move(body);
    ASSERT_TRUE(sim_->on_market(ev).ok());
  }
  void ticker(int64_t bid, int64_t ask) {
    market::BookTicker t;
    t.bid_price_e8 = ins_.price_e8(bid);
    t.ask_price_e8 = ins_.price_e8(ask);
    t.bid_qty_e8 = t.ask_qty_e8 = kOneE8;
    market(t);
  }
  // A recorded trade at `price` whose aggressor sold (fills resting buys at/above price).
  void sell_trade(int64_t price, int64_t lots) {
    market::Trade t;
    t.trade_id = ++market_trade_id_;
    t.price_e8 = ins_.price_e8(price);
    t.qty_e8 = ins_.qty_e8(lots);
    t.buyer_is_maker = true;
    market(t);
  }
  void fold(journal::Body body) {
    journal::Record r;
    r.seq = state_.last_seq + 1;
    r.task_id = "g";
    r.body = std::move(body);
    model::apply(state_, r);
  }
  std::string place_intent(int64_t price, Side side = Side::kBuy, int64_t lots = 100) {
    const std::string cid = make_client_order_id("", "g", state_.last_seq + 1);
    fold(journal::PlaceIntent{price, side, price, lots, cid, {}});
    return cid;
  }
  void send(const std::string& cid, int64_t price, Side side = Side::kBuy, int64_t lots = 100) {
    ASSERT_EQ(sim_->place({"BTCUSDT", side, price, lots, cid}).outcome, Outcome::kAccepted);
  }
  std::vector<journal::Body> reconcile() {
    report_ = {};
    auto f = reconcile_task(state_.tasks.at("g"), *sim_, report_);
    EXPECT_TRUE(f.ok());
    std::vector<journal::Body> out = *f;
    for (const auto& b : out) fold(b);
    return out;
  }
  model::SlotState slot(int64_t key) {
    const auto& t = state_.tasks.at("g");
    return t.slot_state(t.slots.at(key));
  }
  const model::TaskState& task() { return state_.tasks.at("g"); }

  std::string dir_;
  Instrument ins_;
  std::unique_ptr<exchange::sim::SimExchange> sim_;
  model::State state_;
  Report report_;
  int64_t market_trade_id_ = 1000;
};

TEST_F(ReconcileTest, PlaceJournaledButNeverSentIsNotFound) {
  place_intent(6182000);
  auto f = reconcile();
  ASSERT_EQ(f.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<journal::OrderNotFound>(f[0]));
  EXPECT_EQ(slot(6182000), model::SlotState::kFree);
  EXPECT_EQ(task().unresolved(), 0u);
}

TEST_F(ReconcileTest, PlaceSentButAckLostIsAccepted) {
  const std::string cid = place_intent(6182000);
  send(cid, 6182000);
  auto f = reconcile();
  ASSERT_EQ(f.size(), 1u);
  ASSERT_TRUE(std::holds_alternative<journal::OrderAccepted>(f[0]));
  EXPECT_EQ(std::get<journal::OrderAccepted>(f[0]).source, Source::kOpenOrders);
  EXPECT_EQ(slot(6182000), model::SlotState::kLocked);
}

TEST_F(ReconcileTest, PlaceSentAndFilledWhileDownRecoversTheFills) {
  const std::string cid = place_intent(6182000);
  send(cid, 6182000);
  sell_trade(6182000, 60);
  sell_trade(6181000, 60);  // through the price: the rest fills
  reconcile();
  EXPECT_EQ(report_.fills_recovered, 2u);
  EXPECT_EQ(slot(6182000), model::SlotState::kFilled);
  EXPECT_EQ(task().inventory_lots, 100);
  EXPECT_TRUE(report_.problems.empty());
  // Reconciling again finds nothing new: fills are de-duplicated by trade id (R3).
  EXPECT_TRUE(reconcile().empty());
}

TEST_F(ReconcileTest, FillsOfALockedOrderDuringDowntime) {
  const std::string cid = place_intent(6182000);
  send(cid, 6182000);
  fold(journal::OrderAccepted{cid, 1, Source::kResponse});
  sell_trade(6182000, 30);
  reconcile();
  EXPECT_EQ(report_.fills_recovered, 1u);
  EXPECT_EQ(task().orders.at(cid).filled_lots, 30);
  EXPECT_EQ(slot(6182000), model::SlotState::kLocked);
}

// A fill event lost in a disconnect, then a later fill of another order received: the trade-id
// watermark is above the lost trade, so only the order's executedQty reveals it and
// myTrades?orderId= recovers it (once).
TEST_F(ReconcileTest, FillLostBelowTheWatermarkIsRecoveredByOrder) {
  const std::string a = place_intent(6182000);
  send(a, 6182000);
  fold(journal::OrderAccepted{a, 1, Source::kResponse});
  const std::string b = place_intent(6181000);
  send(b, 6181000);
  fold(journal::OrderAccepted{b, 2, Source::kResponse});
  sell_trade(6182000, 40);  // fills 40 lots of a: this event is lost
  sell_trade(6181000, 250);  // fills the rest of a and all of b
  auto page = sim_->trades_from("BTCUSDT", 1, SIZE_MAX);
  ASSERT_TRUE(page.ok());
  const std::vector<exchange::TradeReport>* trades = &page->trades;
  ASSERT_EQ(trades->size(), 3u);
  for (size_t i = 1; i < trades->size(); ++i) {  // the stream delivered every trade but the first
    const exchange::TradeReport& t = (*trades)[i];
    fold(journal::OrderFilled{t.client_order_id, t.trade_id, t.order_id, t.side, t.price_ticks,
                              t.qty_lots, t.commission_e8, t.commission_asset, t.is_maker,
                              Source::kUserStream});
  }
  ASSERT_EQ(task().last_trade_id, (*trades)[2].trade_id);
  ASSERT_EQ(task().orders.at(a).filled_lots, 60);
  reconcile();
  EXPECT_EQ(report_.order_trade_queries, 1u);
  EXPECT_EQ(report_.fills_recovered, 1u);
  EXPECT_TRUE(report_.problems.empty()) << report_.problems.front();
  EXPECT_EQ(task().orders.at(a).filled_lots, 100);
  EXPECT_EQ(task().inventory_lots, 200);
  EXPECT_EQ(slot(6182000), model::SlotState::kFilled);
  EXPECT_TRUE(reconcile().empty());
}

TEST_F(ReconcileTest, CancelJournaledButNotSentIsNotEffective) {
  const std::string cid = place_intent(6182000);
  send(cid, 6182000);
  fold(journal::OrderAccepted{cid, 1, Source::kResponse});
  fold(journal::CancelIntent{6182000, cid, {}});
  reconcile();
  EXPECT_EQ(report_.cancels_not_effective, 1u);
  EXPECT_EQ(task().unresolved(), 0u);
  EXPECT_EQ(slot(6182000), model::SlotState::kLocked);  // the strategy decides again
}

TEST_F(ReconcileTest, CancelSentButConfirmationLostIsCanceled) {
  const std::string cid = place_intent(6182000);
  send(cid, 6182000);
  fold(journal::OrderAccepted{cid, 1, Source::kResponse});
  fold(journal::CancelIntent{6182000, cid, {}});
  ASSERT_EQ(sim_->cancel("BTCUSDT", cid).outcome, Outcome::kAccepted);
  reconcile();
  EXPECT_EQ(report_.canceled, 1u);
  EXPECT_EQ(slot(6182000), model::SlotState::kFree);
}

TEST_F(ReconcileTest, CancelSentButFilledMeanwhile) {
  const std::string cid = place_intent(6182000);
  send(cid, 6182000);
  fold(journal::OrderAccepted{cid, 1, Source::kResponse});
  fold(journal::CancelIntent{6182000, cid, {}});
  sell_trade(6181000, 100);  // filled before the cancel reached the venue
  reconcile();
  EXPECT_EQ(report_.fills_recovered, 1u);
  EXPECT_EQ(slot(6182000), model::SlotState::kFilled);
  EXPECT_EQ(task().unresolved(), 0u);
}

TEST_F(ReconcileTest, OrderWithOurPrefixUnknownToTheJournalIsAProblem) {
  send(make_client_order_id("", "g", 999), 6182000);
  reconcile();
  ASSERT_EQ(report_.problems.size(), 1u);
  EXPECT_NE(report_.problems[0].find("not in the journal"), std::string::npos);
}

TEST_F(ReconcileTest, AnotherTasksOrdersAreIgnored) {
  send(make_client_order_id("", "other", 5), 6182000);
  send("x-TKT5PX2F0123456789abcdef0123", 6181000);
  EXPECT_TRUE(reconcile().empty());
  EXPECT_TRUE(report_.problems.empty());
}

}  // namespace
}  // namespace keel::recovery
