// The reconciler against the simulated exchange: every in-doubt case is resolved by evidence
// (R1, R2), a place that may still execute stays in doubt until its recvWindow has passed, fills
// the journal lacks are recovered once (R3), orders of another journal are never touched and
// orders of this journal it lost are adopted (W5), and R4 holds to the unit.
#include <gtest/gtest.h>

#include <filesystem>

#include "keel/core/ids.h"
#include "keel/exchange/forwarding.h"
#include "keel/exchange/sim.h"
#include "keel/recovery/reconcile.h"

namespace keel::recovery {
namespace {

using exchange::Outcome;
using journal::Source;

constexpr const char* kEpoch = "aaaaaa";
constexpr int64_t kT0Ms = 1'723'161'600'000;  // the venue clock the tests start at

// The embedded sim with a venue clock the test sets (the sim's own is the recording's).
class ClockedVenue final : public exchange::ForwardingExchange {
 public:
  using ForwardingExchange::ForwardingExchange;
  int64_t venue_time_ms() const override { return now_ms; }
  int64_t now_ms = kT0Ms;
};

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
    venue_ = std::make_unique<ClockedVenue>(*sim_);
    ticker(6183000, 6183100);
    wide(journal::JournalEpoch{kEpoch, "journal created"});
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
  void apply_as(const std::string& task, journal::Body body) {
    journal::Record r;
    r.seq = state_.last_seq + 1;
    r.task_id = task;
    r.body = std::move(body);
    model::apply(state_, r);
  }
  void fold(journal::Body body) { apply_as("g", std::move(body)); }
  void wide(journal::Body body) { apply_as(journal::kJournalTaskId, std::move(body)); }
  std::string place_intent(int64_t price, Side side = Side::kBuy, int64_t lots = 100,
                           int64_t stamp_ms = 0) {
    const std::string cid = make_client_order_id(kEpoch, "g", state_.last_seq + 1);
    fold(journal::PlaceIntent{price, side, price, lots, cid, {}, {stamp_ms, 5'000}});
    return cid;
  }
  void send(const std::string& cid, int64_t price, Side side = Side::kBuy, int64_t lots = 100) {
    ASSERT_EQ(sim_->place({"BTCUSDT", side, price, lots, cid}).outcome, Outcome::kAccepted);
  }
  // One reconciliation, as the engine runs it: gather, judge, fold the findings (and a baseline).
  std::vector<journal::Body> reconcile(Options opts = {}) {
    auto ev = gather(state_, journal::kDefaultAccount, "BTCUSDT", *venue_, opts);
    EXPECT_TRUE(ev.ok()) << ev.status().ToString();
    if (!ev.ok()) return {};
    evidence_ = *ev;
    judgement_ = judge(state_, *ev, opts, [](const model::TaskState&, Side, int64_t price) {
      return price;
    });
    report_ = judgement_.tasks["g"];
    std::vector<journal::Body> out;
    for (const Finding& f : judgement_.findings) {
      out.push_back(f.body);
      apply_as(f.task_id, f.body);
    }
    if (auto b = baseline_from(state_, *ev)) wide(*b);
    return out;
  }
  model::SlotState slot(int64_t key) {
    const auto& t = state_.tasks.at("g");
    return t.slot_state(t.slots.at(key));
  }
  const model::TaskState& task() { return state_.tasks.at("g"); }
  template <class T>
  size_t count(const std::vector<journal::Body>& f) {
    size_t n = 0;
    for (const auto& b : f) n += std::holds_alternative<T>(b) ? 1 : 0;
    return n;
  }

  std::string dir_;
  Instrument ins_;
  std::unique_ptr<exchange::sim::SimExchange> sim_;
  std::unique_ptr<ClockedVenue> venue_;
  model::State state_;
  Evidence evidence_;
  Judgement judgement_;
  TaskReport report_;
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
  EXPECT_EQ(task().position.base_e8, 100'000);
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
  EXPECT_EQ(evidence_.order_trades.size(), 1u);
  EXPECT_EQ(report_.fills_recovered, 1u);
  EXPECT_TRUE(report_.problems.empty()) << report_.problems.front();
  EXPECT_EQ(task().orders.at(a).filled_lots, 100);
  EXPECT_EQ(task().position.base_e8, 200'000);
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

TEST_F(ReconcileTest, AnOrderOfAnotherTaskOfThisJournalUnknownToItIsAProblem) {
  send(make_client_order_id(kEpoch, "other", 999), 6182000);
  reconcile();
  ASSERT_EQ(report_.problems.size(), 1u);
  EXPECT_NE(report_.problems[0].find("which this journal does not know"), std::string::npos);
}

TEST_F(ReconcileTest, OrdersOfAnotherJournalOrNotKeelsAreNeverTouched) {
  send(make_client_order_id("bbbbbb", "g", 5), 6182000);  // another journal's epoch
  send("x-TKT5PX2F0123456789abcdef0123", 6181000);        // a manual order
  auto f = reconcile();
  EXPECT_EQ(count<journal::OrderAdopted>(f), 0u);
  EXPECT_TRUE(report_.problems.empty());
  EXPECT_FALSE(judgement_.stale);
  EXPECT_EQ(sim_->open_orders("BTCUSDT")->size(), 2u);
}

// R1 (issue 9, problem 1): "does not exist" is conclusive only once the request can no longer
// execute: the venue clock past its journaled timestamp + recvWindow + the margin.
TEST_F(ReconcileTest, LateExecutionAPlaceNotFoundWithinItsRecvWindowStaysInDoubt) {
  const std::string cid = place_intent(6182000, Side::kBuy, 100, kT0Ms);
  venue_->now_ms = kT0Ms + 1'500;  // -1007 answered; the venue has not executed it yet
  auto f = reconcile();
  EXPECT_TRUE(f.empty());
  EXPECT_EQ(report_.in_doubt, 1u);
  EXPECT_EQ(slot(6182000), model::SlotState::kPending);
  EXPECT_EQ(judgement_.next_due_ms, kT0Ms + 5'000 + 1'000 + 1);
  send(cid, 6182000);  // the venue executes it late, still inside its recvWindow
  venue_->now_ms = kT0Ms + 6'500;
  f = reconcile();
  ASSERT_EQ(count<journal::OrderAccepted>(f), 1u);
  EXPECT_EQ(slot(6182000), model::SlotState::kLocked);
  EXPECT_EQ(task().unresolved(), 0u);
}

TEST_F(ReconcileTest, LateExecutionAPlaceNotFoundAfterItsRecvWindowIsNeverReceived) {
  place_intent(6182000, Side::kBuy, 100, kT0Ms);
  venue_->now_ms = kT0Ms + 5'000 + 1'000;  // exactly at the deadline: not yet conclusive
  EXPECT_TRUE(reconcile().empty());
  venue_->now_ms += 1;
  auto f = reconcile();
  ASSERT_EQ(count<journal::OrderNotFound>(f), 1u);
  EXPECT_EQ(slot(6182000), model::SlotState::kFree);
}

TEST_F(ReconcileTest, AVenueThatExecutesSynchronouslyMakesAbsenceConclusiveAtOnce) {
  place_intent(6182000, Side::kBuy, 100, kT0Ms);
  Options sync;
  sync.absence_is_immediate = true;
  EXPECT_EQ(count<journal::OrderNotFound>(reconcile(sync)), 1u);
}

// Issue 9, problem 2: a partial fill's event is lost, keel cancels the order, the cancel's
// answer carries executedQty, and a later fill raises the trade-id watermark above the lost
// trade. The order owes fills: its trades are fetched before it counts as settled.
TEST_F(ReconcileTest, ALostFillOnAnOrderKeelThenCancelsIsRecovered) {
  const std::string a = place_intent(6182000);
  send(a, 6182000);
  fold(journal::OrderAccepted{a, 1, Source::kResponse});
  const std::string b = place_intent(6181000);
  send(b, 6181000);
  fold(journal::OrderAccepted{b, 2, Source::kResponse});
  sell_trade(6182000, 40);  // 40 lots of a: this event is lost
  fold(journal::CancelIntent{6182000, a, {}});
  auto c = sim_->cancel("BTCUSDT", a);
  ASSERT_EQ(c.outcome, Outcome::kAccepted);
  fold(journal::OrderCanceled{a, c.order.executed_lots, Source::kResponse});
  EXPECT_EQ(task().orders.at(a).venue_executed_lots, 40);
  EXPECT_TRUE(task().orders.at(a).owes_fills());
  sell_trade(6181000, 100);  // fills b, whose event arrives: the watermark passes the lost trade
  auto trades = sim_->trades_from("BTCUSDT", 1, SIZE_MAX);
  const exchange::TradeReport& t = trades->trades.back();
  fold(journal::OrderFilled{t.client_order_id, t.trade_id, t.order_id, t.side, t.price_ticks,
                            t.qty_lots, t.commission_e8, t.commission_asset, t.is_maker,
                            Source::kUserStream});
  ASSERT_GT(task().last_trade_id, trades->trades.front().trade_id);
  EXPECT_EQ(task().unresolved(), 1u);
  reconcile();
  EXPECT_EQ(report_.fills_recovered, 1u);
  EXPECT_EQ(task().orders.at(a).filled_lots, 40);
  EXPECT_EQ(task().unresolved(), 0u);
  EXPECT_EQ(task().position.base_e8, 140'000);
}

TEST_F(ReconcileTest, ARefusedCancelIsSettledByTheQuery) {
  const std::string a = place_intent(6182000);
  send(a, 6182000);
  fold(journal::OrderAccepted{a, 1, Source::kResponse});
  sell_trade(6181000, 100);  // filled; its event lost
  fold(journal::CancelIntent{6182000, a, {}});
  fold(journal::CancelRejected{a, -2011, "Unknown order sent."});
  EXPECT_EQ(task().unresolved(), 1u);
  reconcile();
  EXPECT_EQ(report_.fills_recovered, 1u);
  EXPECT_EQ(task().unresolved(), 0u);
  EXPECT_EQ(slot(6182000), model::SlotState::kFilled);
}

// A data directory restored from an older copy: the venue holds orders of this journal's epoch
// that the journal does not (their intents were in the lost tail). They are adopted, with their
// fills, and the journal takes a new epoch so its ids never collide with the lost ones.
TEST_F(ReconcileTest, OrdersOfThisJournalItLostAreAdoptedWithTheirFills) {
  const std::string known = place_intent(6179000);
  send(known, 6179000);
  fold(journal::OrderAccepted{known, 1, Source::kResponse});
  const std::string lost_open = make_client_order_id(kEpoch, "g", 50);
  const std::string lost_filled = make_client_order_id(kEpoch, "g", 51);
  send(lost_open, 6180000);
  send(lost_filled, 6182000, Side::kBuy, 20);
  sell_trade(6182000, 20);  // fills the lost order only
  auto f = reconcile();
  EXPECT_TRUE(judgement_.stale);
  ASSERT_EQ(count<journal::OrderAdopted>(f), 2u);
  EXPECT_EQ(report_.adopted, 2u);
  EXPECT_EQ(report_.fills_recovered, 1u);
  EXPECT_TRUE(report_.problems.empty()) << report_.problems.front();
  EXPECT_EQ(task().orders.at(lost_open).phase, model::OrderPhase::kOpen);
  EXPECT_EQ(task().orders.at(lost_filled).filled_lots, 20);
  EXPECT_EQ(task().position.base_e8, 20'000);
  EXPECT_EQ(slot(6180000), model::SlotState::kLocked);
  EXPECT_EQ(task().unresolved(), 0u);
  EXPECT_TRUE(reconcile().empty());  // adopted once
}

// Issue 9, problem 9: a new journal on an account with a long trade history asks only for the
// newest trade (the R4 baseline's watermark), never pages from the first trade; afterwards
// only trades after the watermark are read.
TEST_F(ReconcileTest, AFreshTaskOnAnAccountWithHistoryDoesNotPageFromTheFirstTrade) {
  for (int i = 0; i < 30; ++i) {  // someone else's history on this account
    const std::string cid = "web_" + std::to_string(i);
    ASSERT_EQ(sim_->place({"BTCUSDT", Side::kBuy, 6182000, 10, cid}).outcome,
              Outcome::kAccepted);
    sell_trade(6181000, 10);
  }
  auto f = reconcile();
  EXPECT_TRUE(evidence_.trades_latest_only);
  EXPECT_EQ(evidence_.trades.size(), 1u);  // the newest trade only
  EXPECT_EQ(count<journal::ForeignFill>(f), 0u);
  ASSERT_TRUE(state_.account("default").has_baseline);
  EXPECT_EQ(state_.account("default").marks("BTCUSDT").trade_watermark, 30);
  EXPECT_EQ(state_.account("default").baseline_e8.at("BTC"), kOneE8 + 300'000);
  ASSERT_EQ(sim_->place({"BTCUSDT", Side::kBuy, 6182000, 10, "web_x"}).outcome,
            Outcome::kAccepted);
  sell_trade(6181000, 10);
  f = reconcile();
  EXPECT_FALSE(evidence_.trades_latest_only);
  EXPECT_EQ(evidence_.trades.size(), 1u);  // from the watermark on
  EXPECT_EQ(count<journal::ForeignFill>(f), 1u);
  EXPECT_TRUE(r4_check(state_, evidence_).empty());
}

// R4 to the unit: fills (own and foreign) and commissions explain the balances exactly; a fill
// the journal lacks shows as the asset and the amount.
TEST_F(ReconcileTest, R4HoldsExactlyAndNamesAMissingFill) {
  reconcile();  // the baseline
  ASSERT_TRUE(state_.account("default").has_baseline);
  const std::string a = place_intent(6182000);
  send(a, 6182000);
  fold(journal::OrderAccepted{a, 1, Source::kResponse});
  sell_trade(6182000, 100);
  reconcile();  // the fill is found in the trade history
  EXPECT_TRUE(r4_check(state_, evidence_).empty());
  // A fill the journal never learns of: the account changes behind its back.
  ASSERT_EQ(sim_->place({"BTCUSDT", Side::kBuy, 6181000, 10, "web_y"}).outcome,
            Outcome::kAccepted);
  sell_trade(6181000, 10);
  auto ev = gather(state_, journal::kDefaultAccount, "BTCUSDT", *venue_, {});  // evidence, but its findings not folded
  ASSERT_TRUE(ev.ok());
  auto mismatch = r4_check(state_, *ev);
  ASSERT_EQ(mismatch.size(), 2u);
  EXPECT_EQ(mismatch[0].asset, "BTC");
  EXPECT_EQ(mismatch[0].observed_e8 - mismatch[0].expected_e8, 10'000);
  EXPECT_NE(mismatch[0].text().find("+0.0001 unexplained"), std::string::npos);
}

// Every open order of ours is compared with the journal, including the ones it holds closed.
TEST_F(ReconcileTest, AnOpenOrderTheJournalHoldsAsNeverReceivedIsTrackedAgain) {
  const std::string cid = place_intent(6182000);
  fold(journal::OrderNotFound{cid, Source::kQueryOrder});  // e.g. an older keel's conclusion
  send(cid, 6182000);                                      // the venue executed it after all
  auto f = reconcile();
  ASSERT_EQ(count<journal::OrderAccepted>(f), 1u);
  EXPECT_EQ(slot(6182000), model::SlotState::kLocked);
  EXPECT_EQ(task().late_executions, 1u);
}

TEST_F(ReconcileTest, AnOpenOrderTheJournalHoldsAsCanceledHaltsTheTask) {
  const std::string cid = place_intent(6182000);
  send(cid, 6182000);
  fold(journal::OrderAccepted{cid, 1, Source::kResponse});
  fold(journal::OrderCanceled{cid, 0, Source::kResponse});  // the venue's (wrong) answer
  auto f = reconcile();
  ASSERT_EQ(count<journal::TaskHalted>(f), 1u);
  EXPECT_NE(task().halted.find("answered earlier that it was canceled"), std::string::npos);
  EXPECT_EQ(count<journal::TaskHalted>(reconcile()), 0u);  // journaled once
}

// R1 for cancels (engine_attack_test: a cancel answered unknown was resent on every event): a
// cancel of an open order whose outcome is unknown can still execute until its timestamp +
// recvWindow + margin. Until then it stays pending (the strategy does not cancel again); after
// it, the still-open order's cancel is "not effective".
TEST_F(ReconcileTest, ACancelAnsweredUnknownStaysPendingWhileItCanStillExecute) {
  const std::string cid = place_intent(6182000, Side::kBuy, 100, kT0Ms);
  send(cid, 6182000);
  fold(journal::OrderAccepted{cid, 1, Source::kResponse});
  fold(journal::CancelIntent{6182000, cid, {}, {kT0Ms + 2'000, 5'000}});
  venue_->now_ms = kT0Ms + 2'500;
  auto f = reconcile();
  EXPECT_EQ(count<journal::CancelRejected>(f), 0u);
  EXPECT_EQ(report_.in_doubt, 1u);
  EXPECT_EQ(judgement_.next_due_ms, kT0Ms + 2'000 + 5'000 + 1'000 + 1);
  EXPECT_TRUE(task().orders.at(cid).cancel_pending);
  venue_->now_ms = kT0Ms + 8'001;  // past the cancel's timestamp + recvWindow + margin
  f = reconcile();
  EXPECT_EQ(count<journal::CancelRejected>(f), 1u);
  EXPECT_EQ(report_.cancels_not_effective, 1u);
  EXPECT_FALSE(task().orders.at(cid).cancel_pending);
}

// W5: a legacy id (k1-<task>-<seq>) is keel's only when the journal holds that order: a
// journal with an epoch never used one, any other process can.
TEST_F(ReconcileTest, ALegacyClientIdTheJournalDoesNotHoldIsAnotherProcesss) {
  send(make_client_order_id("", "g", 7), 6182000);
  auto f = reconcile();
  EXPECT_EQ(count<journal::OrderAdopted>(f), 0u);
  EXPECT_TRUE(report_.problems.empty());
  EXPECT_FALSE(judgement_.stale);
  EXPECT_EQ(sim_->open_orders("BTCUSDT")->size(), 1u);
}

// A trade of an order the state retired (more than kClosedOrdersRetained closed orders later)
// is already journaled: neither a lost journal tail nor a problem.
TEST_F(ReconcileTest, ATradeOfAnOrderRetiredFromTheStateIsNotAProblem) {
  reconcile();  // the R4 baseline: trades after it are read
  const std::string first = place_intent(6182000);
  send(first, 6182000);
  fold(journal::OrderAccepted{first, 1, Source::kResponse});
  sell_trade(6181000, 100);
  std::vector<exchange::ExecutionReport> evs;
  sim_->poll_user_events(evs);
  for (const auto& er : evs) {
    if (er.exec_type != exchange::ExecType::kTrade) continue;
    const auto& t = er.trade;
    fold(journal::OrderFilled{first, t.trade_id, t.order_id, t.side, t.price_ticks, t.qty_lots,
                              t.commission_e8, t.commission_asset, true, Source::kUserStream});
  }
  ASSERT_FALSE(task().orders.at(first).working());
  for (size_t i = 0; i < model::kClosedOrdersRetained; ++i) {  // closes enough orders to retire it
    const std::string cid = place_intent(6100000);
    fold(journal::OrderRejected{cid, -2010, "rejected", Source::kResponse});
  }
  ASSERT_EQ(task().find_order(first), nullptr);
  auto f = reconcile();
  EXPECT_TRUE(report_.problems.empty()) << report_.problems.front();
  EXPECT_FALSE(judgement_.stale);
  EXPECT_EQ(count<journal::OrderFilled>(f), 0u);
}

}  // namespace
}  // namespace keel::recovery
