// The fold (W3): slot transitions, PnL, de-duplication (R3), and E1: whatever a record says,
// apply folds it into a defined state (a halt at worst), never an abort.
#include <gtest/gtest.h>

#include <limits>

#include "fixture_btcusdt.h"
#include "keel/core/ids.h"
#include "keel/model/snapshot.h"
#include "keel/model/state.h"

namespace keel::model {
namespace {

using journal::Source;

class ApplyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fold(testing_fixture::btcusdt_grid_task());
  }
  void fold(journal::Body body) {
    journal::Record r;
    r.seq = state_.last_seq + 1;
    r.task_id = "g";
    r.body = std::move(body);
    apply(state_, r);
  }
  std::string place(int64_t key, Side side, int64_t price, int64_t qty) {
    const std::string cid = make_client_order_id("", "g", state_.last_seq + 1);
    fold(journal::PlaceIntent{key, side, price, qty, cid, {}});
    return cid;
  }
  void fill(const std::string& cid, Side side, int64_t price, int64_t qty, int64_t trade_id,
            int64_t fee_e8 = 0, const std::string& fee_asset = "USDT", int64_t order_id = 0) {
    fold(journal::OrderFilled{cid, trade_id, order_id, side, price, qty, fee_e8, fee_asset, true,
                              Source::kUserStream});
  }
  const TaskState& task() { return state_.tasks.at("g"); }
  SlotState slot(int64_t key) { return task().slot_state(task().slots.at(key)); }
  State state_;
};

TEST_F(ApplyTest, FullCycleFreePendingLockedFilledAndBack) {
  const std::string buy = place(6183000, Side::kBuy, 6183000, 100);
  EXPECT_EQ(slot(6183000), SlotState::kPending);
  EXPECT_EQ(task().unresolved(), 1u);
  fold(journal::OrderAccepted{buy, 42, Source::kResponse});
  EXPECT_EQ(slot(6183000), SlotState::kLocked);
  fill(buy, Side::kBuy, 6183000, 40, 1, 247);
  EXPECT_EQ(slot(6183000), SlotState::kLocked);  // partially filled, still working
  fill(buy, Side::kBuy, 6183000, 60, 2, 371);
  EXPECT_EQ(slot(6183000), SlotState::kFilled);
  EXPECT_EQ(task().position.base_e8, 100'000);  // 100 lots of 0.00001 BTC
  const std::string sell = place(6183000, Side::kSell, 6184000, 100);
  EXPECT_EQ(slot(6183000), SlotState::kPending);
  fold(journal::OrderAccepted{sell, 43, Source::kResponse});
  fill(sell, Side::kSell, 6184000, 100, 3, 619);
  EXPECT_EQ(slot(6183000), SlotState::kFree);
  EXPECT_EQ(task().position.base_e8, 0);
  // Bought 0.001 at 61830, sold at 61840: 0.01 USDT gross = 1,000,000 e8; fees summed.
  EXPECT_EQ(task().realized_pnl_e8, 1'000'000);
  EXPECT_EQ(task().fees_e8, 247 + 371 + 619);
  EXPECT_EQ(task().buys.fills, 2u);
  EXPECT_EQ(task().sells.fills, 1u);
  EXPECT_EQ(task().unresolved(), 0u);
}

TEST_F(ApplyTest, ThePositionsRangeCoversEveryFill) {
  EXPECT_EQ(task().position_low_e8, 0);
  EXPECT_EQ(task().position_high_e8, 0);
  const std::string buy = place(6183000, Side::kBuy, 6183000, 100);
  fill(buy, Side::kBuy, 6183000, 60, 1);
  fill(buy, Side::kBuy, 6183000, 40, 2);
  const std::string sell = place(6183000, Side::kSell, 6184000, 100);
  fill(sell, Side::kSell, 6184000, 100, 3);
  const std::string again = place(6182000, Side::kBuy, 6182000, 30);
  fill(again, Side::kBuy, 6182000, 30, 4);
  EXPECT_EQ(task().position.base_e8, 30'000);
  EXPECT_EQ(task().position_high_e8, 100'000);  // after the second partial fill
  EXPECT_EQ(task().position_low_e8, 0);         // after the sell
}

// Seed 004's decomposition: each fill's edge against the mid of the task's latest decision
// (the mark), the rest of the gross PnL the inventory's.
TEST_F(ApplyTest, TheSpreadCapturedIsEachFillsEdgeAgainstTheMarksMid) {
  const journal::DecisionContext book{6183000, 6183010, 0, "test"};  // mid 61830.05
  const std::string buy = make_client_order_id("", "g", state_.last_seq + 1);
  fold(journal::PlaceIntent{6183000, Side::kBuy, 6183000, 100, buy, book});
  fill(buy, Side::kBuy, 6183000, 100, 1);  // 5 half ticks of 0.01 below the mid x 0.001 BTC
  EXPECT_EQ(task().spread_capture_e8, 5'000);
  const std::string sell = make_client_order_id("", "g", state_.last_seq + 1);
  fold(journal::PlaceIntent{6183000, Side::kSell, 6183020, 100, sell, book});
  fill(sell, Side::kSell, 6183020, 100, 2);  // 0.15 above the mid x 0.001 BTC
  EXPECT_EQ(task().spread_capture_e8, 5'000 + 15'000);
  EXPECT_EQ(task().realized_pnl_e8, 20'000);
  EXPECT_EQ(task().inventory_pnl_e8(), 0);  // flat, and the mid never moved
  // The mid moves up 1.00 while 0.001 BTC is held: the inventory's part, not the spread's.
  const journal::DecisionContext up{6183100, 6183110, 0, "test"};
  const std::string again = make_client_order_id("", "g", state_.last_seq + 1);
  fold(journal::PlaceIntent{6183000, Side::kBuy, 6183000, 100, again, book});
  fill(again, Side::kBuy, 6183000, 100, 3);
  const std::string other = make_client_order_id("", "g", state_.last_seq + 1);
  fold(journal::PlaceIntent{6182000, Side::kBuy, 6182000, 100, other, up});  // marks the new book
  EXPECT_EQ(task().spread_capture_e8, 25'000);
  EXPECT_EQ(task().unrealized_pnl_e8(), 105'000);  // (61831.05 - 61830.00) x 0.001
  EXPECT_EQ(task().inventory_pnl_e8(), 20'000 + 105'000 - 25'000);
  // A fill counts against its own order's decision book, whatever book the task marked since
  // (a fill recovered after a restart is folded after later decisions).
  fold(journal::PlaceIntent{6183000, Side::kSell, 6183020, 100,
                            make_client_order_id("", "g", state_.last_seq + 1), up});
  fill(other, Side::kBuy, 6182000, 50, 4);  // 11.05 below up's mid x 0.0005 BTC
  EXPECT_EQ(task().spread_capture_e8, 25'000 + 552'500);
}

TEST_F(ApplyTest, PartialSellsRealiseTheirShareOfCost) {
  const std::string buy = place(6183000, Side::kBuy, 6183000, 3);
  fill(buy, Side::kBuy, 6183000, 3, 1);
  const std::string sell = place(6183000, Side::kSell, 6184000, 3);
  fill(sell, Side::kSell, 6184000, 1, 2);
  fill(sell, Side::kSell, 6184000, 2, 3);
  // 3 lots * 0.00001 * (61840 - 61830) = 0.0003 USDT = 30,000 e8, whatever the split.
  EXPECT_EQ(task().realized_pnl_e8, 30'000);
  EXPECT_EQ(task().position.cost_e8, 0);
  EXPECT_EQ(task().slots.at(6183000).claim_e8, 0);
}

// Mark-to-market: the position is valued at the mid of the book the newest intent was decided
// on (its DecisionContext); a context without a two-sided book leaves the mark as it was.
TEST_F(ApplyTest, ThePositionIsMarkedAtTheMidOfTheLastDecisionsBook) {
  EXPECT_FALSE(task().has_mark());
  EXPECT_EQ(task().unrealized_pnl_e8(), 0);
  const std::string buy = place(6183000, Side::kBuy, 6183000, 100);  // no book in its context
  fill(buy, Side::kBuy, 6183000, 100, 1);
  EXPECT_FALSE(task().has_mark());
  journal::DecisionContext ctx{6184000, 6184100, 6184050, "grid sell"};
  fold(journal::PlaceIntent{6183000, Side::kSell, 6185000, 100, "s1", ctx});
  ASSERT_TRUE(task().has_mark());
  EXPECT_EQ(task().mark_mid_e8(), 6'184'050'000'000);  // 61840.50
  // 0.001 BTC bought at 61830 for 61.83 USDT, worth 61.8405 at the mid: +0.0105 USDT.
  EXPECT_EQ(task().position.cost_e8, 6'183'000'000);
  EXPECT_EQ(task().unrealized_pnl_e8(), 1'050'000);
  fold(journal::CancelIntent{6183000, "s1", {6182000, 6182100, 6182050, "left the window"}});
  EXPECT_EQ(task().unrealized_pnl_e8(), -950'000);  // worth 61.8205 at 61820.50
  fold(journal::PlaceIntent{6100000, Side::kBuy, 6100000, 100, "b2",
                            {6190000, 6180000, 0, "a crossed book: not a mark"}});
  EXPECT_EQ(task().mark_bid_ticks, 6182000);
  EXPECT_TRUE(task().halted.empty()) << task().halted;
}

TEST_F(ApplyTest, DuplicateTradeIdIsCountedOnce) {
  const std::string buy = place(6183000, Side::kBuy, 6183000, 100);
  fill(buy, Side::kBuy, 6183000, 50, 9);
  fill(buy, Side::kBuy, 6183000, 50, 9);  // the same trade again (stream + history)
  EXPECT_EQ(task().position.base_e8, 50'000);
  EXPECT_EQ(task().duplicate_fills, 1u);
  EXPECT_EQ(task().last_trade_id, 9);
}

TEST_F(ApplyTest, OverfillHaltsTheTask) {
  const std::string buy = place(6183000, Side::kBuy, 6183000, 100);
  fill(buy, Side::kBuy, 6183000, 100, 1);
  fill(buy, Side::kBuy, 6183000, 1, 2);
  EXPECT_NE(task().halted.find("overfill"), std::string::npos);
  EXPECT_EQ(task().position.base_e8, 100'000);
}

// `keel declare` lifts only the R4 reasons it explains; an overfill stays until `keel resume`.
TEST_F(ApplyTest, AResumeAfterADeclareLiftsOnlyTheR4Reasons) {
  const std::string buy = place(6183000, Side::kBuy, 6183000, 100);
  fill(buy, Side::kBuy, 6183000, 100, 1);
  fold(journal::TaskHalted{"R4: USDT on the exchange is 1 but the journal explains 2"});
  fill(buy, Side::kBuy, 6183000, 1, 2);  // overfill
  fold(journal::TaskHalted{"R4: BTC on the exchange is 3 but the journal explains 4"});
  ASSERT_NE(task().halted.find("R4: USDT"), std::string::npos);
  fold(journal::TaskResumed{"declared USDT: deposit", true});
  EXPECT_EQ(task().halted.find("R4: "), std::string::npos) << task().halted;
  EXPECT_NE(task().halted.find("overfill"), std::string::npos) << task().halted;
  fold(journal::TaskResumed{"investigated: the venue corrected the trade", false});
  EXPECT_EQ(task().halted, "");
}

TEST_F(ApplyTest, FillBeforeAckOpensTheOrder) {
  const std::string buy = place(6183000, Side::kBuy, 6183000, 100);
  fill(buy, Side::kBuy, 6183000, 10, 1);
  EXPECT_EQ(slot(6183000), SlotState::kLocked);
  fold(journal::OrderAccepted{buy, 5, Source::kResponse});  // the late ack changes nothing
  EXPECT_EQ(slot(6183000), SlotState::kLocked);
  EXPECT_EQ(task().orders.at(buy).filled_lots, 10);
}

TEST_F(ApplyTest, RejectAndNotFoundFreeTheSlot) {
  const std::string a = place(6183000, Side::kBuy, 6183000, 100);
  fold(journal::OrderRejected{a, -2010, "Order would immediately match and take.",
                              Source::kResponse});
  EXPECT_EQ(slot(6183000), SlotState::kFree);
  EXPECT_EQ(task().rejects, 1u);
  const std::string b = place(6183000, Side::kBuy, 6183000, 100);
  fold(journal::OrderNotFound{b, Source::kQueryOrder});
  EXPECT_EQ(slot(6183000), SlotState::kFree);
  EXPECT_EQ(task().not_found, 1u);
}

TEST_F(ApplyTest, CancelPendingThenCanceledOrRejected) {
  const std::string a = place(6183000, Side::kBuy, 6183000, 100);
  fold(journal::OrderAccepted{a, 1, Source::kResponse});
  fold(journal::CancelIntent{6183000, a, {}});
  EXPECT_EQ(task().unresolved(), 1u);  // the cancel's outcome is unknown
  fold(journal::CancelRejected{a, 0, "cancel not effective: order still open"});
  EXPECT_EQ(task().unresolved(), 0u);
  EXPECT_FALSE(task().orders.at(a).cancel_refused);
  EXPECT_EQ(slot(6183000), SlotState::kLocked);
  fold(journal::CancelIntent{6183000, a, {}});
  fold(journal::OrderCanceled{a, 0, Source::kResponse});
  EXPECT_EQ(slot(6183000), SlotState::kFree);
}

TEST_F(ApplyTest, PartiallyFilledThenCanceledHoldsThePosition) {
  const std::string a = place(6183000, Side::kBuy, 6183000, 100);
  fold(journal::OrderAccepted{a, 1, Source::kResponse});
  fill(a, Side::kBuy, 6183000, 30, 1);
  fold(journal::CancelIntent{6183000, a, {}});
  fold(journal::OrderCanceled{a, 30, Source::kResponse});
  EXPECT_EQ(slot(6183000), SlotState::kFilled);
  EXPECT_EQ(task().slots.at(6183000).claim_e8, 30'000);
}

TEST_F(ApplyTest, RecordingEndedIsEngineWide) {
  journal::Record r;
  r.seq = state_.last_seq + 1;
  r.task_id = journal::kJournalTaskId;
  r.body = journal::RecordingEnded{99574};
  apply(state_, r);
  EXPECT_TRUE(state_.recording_ended);
  EXPECT_EQ(state_.tasks.size(), 1u);
}

TEST_F(ApplyTest, ClosedOrdersAndTradeIdsAreBounded) {
  int64_t trade = 0;
  for (size_t i = 0; i < kClosedOrdersRetained + 50; ++i) {
    const std::string buy = place(6183000, Side::kBuy, 6183000, 1);
    fill(buy, Side::kBuy, 6183000, 1, ++trade);
    const std::string sell = place(6183000, Side::kSell, 6184000, 1);
    fill(sell, Side::kSell, 6184000, 1, ++trade);
  }
  EXPECT_EQ(task().orders.size(), kClosedOrdersRetained);
  EXPECT_EQ(task().orders_retired, kClosedOrdersRetained + 100);
  EXPECT_EQ(task().trade_ids.size(), std::min<size_t>(trade, kTradeIdsRetained));
  EXPECT_TRUE(task().trade_seen(1));  // below the window: counted already
  EXPECT_TRUE(task().trade_seen(trade));
  EXPECT_FALSE(task().trade_seen(trade + 1));
  EXPECT_EQ(task().realized_pnl_e8, static_cast<int64_t>(kClosedOrdersRetained + 50) * 10'000);  // 10 USDT x 0.00001
}

TEST_F(ApplyTest, SnapshotRoundTripFoldsOnIdentically) {
  const std::string a = place(6183000, Side::kBuy, 6183000, 100);
  fold(journal::OrderAccepted{a, 1, Source::kResponse});
  fill(a, Side::kBuy, 6183000, 40, 1, 5);
  auto copy = decode_state(encode_state(state_));
  ASSERT_TRUE(copy.ok());
  EXPECT_EQ(encode_state(*copy), encode_state(state_));
  journal::Record r;
  r.seq = state_.last_seq + 1;
  r.task_id = "g";
  r.body = journal::OrderFilled{a, 2, 1, Side::kBuy, 6183000, 60, 7, "USDT", true,
                                Source::kUserStream};
  apply(*copy, r);
  apply(state_, r);
  EXPECT_EQ(encode_state(*copy), encode_state(state_));
  std::string bad = encode_state(state_);
  bad[bad.size() / 2] ^= 1;
  EXPECT_EQ(decode_state(bad).status().code(), Code::kCorruption);
}

TEST(ApplyDeath, OutOfSequenceRecordIsABug) {
  State s;
  journal::Record r;
  r.seq = 2;
  r.task_id = "g";
  r.body = journal::TaskStarted{};
  EXPECT_DEATH(apply(s, r), "seq");
}

// A cancelReplace journaled and never executed (the process died before sending it;
// reconciliation proved both halves ineffective, R1): the original is still open and is the
// slot's current order again, in either order of the evidence; the strategy decides on it as
// if the request had never been made (crash_equivalence_mode_flip found the difference).
TEST_F(ApplyTest, ACancelReplaceThatNeverExecutedLeavesTheOriginalCurrent) {
  // A fresh task with an open buy in slot 1 and a cancelReplace of it journaled: {buy, repl}.
  auto amended = [&] {
    state_ = State{};
    fold(testing_fixture::btcusdt_grid_task());
    const std::string buy = place(1, Side::kBuy, 6183000, 100);
    fold(journal::OrderAccepted{buy, 42, Source::kResponse});
    const std::string repl = make_client_order_id("", "g", state_.last_seq + 1);
    fold(journal::AmendIntent{1, buy, repl, 6182900, 100, {}, Side::kBuy, {}});
    return std::make_pair(buy, repl);
  };
  for (bool not_found_first : {false, true}) {
    SCOPED_TRACE(not_found_first);
    const auto [buy, repl] = amended();
    EXPECT_EQ(task().slots.at(1).current_cid, repl);
    if (not_found_first) fold(journal::OrderNotFound{repl, Source::kQueryOrder});
    fold(journal::CancelRejected{buy, 0, "cancel not effective: order still open"});
    if (!not_found_first) fold(journal::OrderNotFound{repl, Source::kQueryOrder});
    EXPECT_EQ(task().slots.at(1).current_cid, buy);
    EXPECT_EQ(slot(1), SlotState::kLocked);
    EXPECT_TRUE(task().strays().empty());
    EXPECT_TRUE(task().halted.empty()) << task().halted;
  }
  // A replacement the venue rejected after the cancel half took effect: nothing to restore.
  const auto [buy, repl] = amended();
  fold(journal::OrderCanceled{buy, 0, Source::kResponse});
  fold(journal::OrderRejected{repl, -2010, "Order would immediately match and take."});
  EXPECT_TRUE(task().slots.at(1).current_cid.empty());
  EXPECT_EQ(slot(1), SlotState::kFree);
}

TEST_F(ApplyTest, EvidenceForAnUnknownOrderHaltsInsteadOfAborting) {
  fold(journal::OrderAccepted{"k2abcdef-g-zz", 1, Source::kResponse});
  EXPECT_NE(task().halted.find("does not hold"), std::string::npos);
  EXPECT_EQ(task().ignored_evidence, 1u);
}

TEST_F(ApplyTest, AnAmendIntentOfAFormatWithoutSideOrTimingHalts) {
  const std::string buy = place(1, Side::kBuy, 6183000, 100);
  fold(journal::OrderAccepted{buy, 42, Source::kResponse});
  journal::Record r;
  r.seq = state_.last_seq + 1;
  r.task_id = "g";
  r.format = 3;
  r.body = journal::AmendIntent{1, buy, "k-g-9", 6182900, 100, {}};
  apply(state_, r);
  EXPECT_NE(task().halted.find("format 3"), std::string::npos) << task().halted;
  EXPECT_EQ(task().intents_amend, 1u);
  EXPECT_FALSE(task().orders.at(buy).cancel_pending);  // nothing folded from it
}

TEST_F(ApplyTest, AnAmendOfAnOrderThatIsNotOpenHaltsInsteadOfAborting) {
  const std::string buy = place(1, Side::kBuy, 6183000, 100);  // in flight, not open
  fold(journal::AmendIntent{1, buy, "k-g-9", 6182900, 100, {}, Side::kBuy, {}});
  EXPECT_NE(task().halted.find("amend intent"), std::string::npos) << task().halted;
  EXPECT_EQ(task().orders.count("k-g-9"), 0u);
}

TEST_F(ApplyTest, AnAmendOfTheOtherSideHalts) {
  const std::string buy = place(1, Side::kBuy, 6183000, 100);
  fold(journal::OrderAccepted{buy, 42, Source::kResponse});
  fold(journal::AmendIntent{1, buy, "k-g-9", 6183100, 100, {}, Side::kSell, {}});
  EXPECT_FALSE(task().halted.empty());
}

// cancelReplace folds as a cancel of the original and a place of the replacement: the
// replacement is the slot's current order (PENDING until evidence), the original a stray whose
// cancel is pending; each half settles with its own evidence.
TEST_F(ApplyTest, AnAmendCancelsTheOriginalAndPlacesTheReplacementInItsSlot) {
  const std::string buy = place(1, Side::kBuy, 6183000, 100);
  fold(journal::OrderAccepted{buy, 42, Source::kResponse});
  fill(buy, Side::kBuy, 6183000, 30, 1);
  const std::string repl = make_client_order_id("", "g", state_.last_seq + 1);
  fold(journal::AmendIntent{1, buy, repl, 6182900, 70, {}, Side::kBuy, {1'000, 5'000}});
  EXPECT_TRUE(task().halted.empty()) << task().halted;
  EXPECT_EQ(task().intents_amend, 1u);
  EXPECT_EQ(task().slots.at(1).current_cid, repl);
  EXPECT_EQ(slot(1), SlotState::kPending);
  EXPECT_TRUE(task().orders.at(buy).cancel_pending);
  EXPECT_EQ(task().orders.at(buy).timing.timestamp_ms, 1'000);  // R1: the amend's timing
  EXPECT_EQ(task().orders.at(repl).timing.recv_window_ms, 5'000);
  ASSERT_EQ(task().strays().size(), 1u);
  EXPECT_EQ(task().strays()[0]->client_order_id, buy);
  EXPECT_EQ(task().unresolved(), 2u);  // the cancel half and the place half
  fold(journal::OrderCanceled{buy, 30, Source::kResponse});
  fold(journal::OrderAccepted{repl, 43, Source::kResponse});
  EXPECT_EQ(slot(1), SlotState::kLocked);
  EXPECT_EQ(task().unresolved(), 0u);
  EXPECT_TRUE(task().strays().empty());
  fill(repl, Side::kBuy, 6182900, 70, 2);
  EXPECT_EQ(task().position.base_e8, 100'000);  // both orders' fills count
  EXPECT_EQ(task().buys.fills, 2u);
}

// keepPriority: the same order keeps its (larger) quantity until evidence of the amend; the
// pending amend is a question for the venue (unresolved) and settles with OrderAmended or
// AmendRejected.
TEST_F(ApplyTest, AKeepPriorityAmendShrinksTheOrderOnlyOnEvidence) {
  const std::string buy = place(1, Side::kBuy, 6183000, 100);
  fold(journal::OrderAccepted{buy, 42, Source::kResponse});
  fill(buy, Side::kBuy, 6183000, 30, 1);
  journal::AmendIntent a{1, buy, buy, 6183000, 60, {}, Side::kBuy, {2'000, 5'000}};
  a.keep_priority = true;
  fold(a);
  EXPECT_TRUE(task().halted.empty()) << task().halted;
  const Order& o = task().orders.at(buy);
  EXPECT_TRUE(o.amend_pending);
  EXPECT_EQ(o.qty_lots, 100);  // worst case until the venue says otherwise (R1)
  EXPECT_EQ(o.timing.timestamp_ms, 2'000);
  EXPECT_EQ(task().unresolved(), 1u);
  EXPECT_EQ(slot(1), SlotState::kLocked);
  fold(journal::OrderAmended{buy, 60, Source::kUserStream});
  EXPECT_FALSE(task().orders.at(buy).amend_pending);
  EXPECT_EQ(task().orders.at(buy).qty_lots, 60);
  EXPECT_EQ(task().unresolved(), 0u);
  fill(buy, Side::kBuy, 6183000, 30, 2);  // the rest of the smaller order fills it
  EXPECT_EQ(slot(1), SlotState::kFilled);
  EXPECT_EQ(task().orders.at(buy).amends, 1u);
  // A second amend of the filled order is keel's bug: the task halts, nothing aborts.
  fold(a);
  EXPECT_FALSE(task().halted.empty());
}

TEST_F(ApplyTest, AKeepPriorityAmendRefusedKeepsTheQuantity) {
  const std::string sell = place(2, Side::kSell, 6184000, 100);
  fold(journal::OrderAccepted{sell, 43, Source::kResponse});
  journal::AmendIntent a{2, sell, sell, 6184000, 50, {}, Side::kSell, {}};
  a.keep_priority = true;
  fold(a);
  fold(journal::AmendRejected{sell, -2038, "Order amend is not supported for this symbol."});
  EXPECT_FALSE(task().orders.at(sell).amend_pending);
  EXPECT_EQ(task().orders.at(sell).qty_lots, 100);
  // Evidence of a larger quantity than the order's, or below its fills, is not applied.
  fold(journal::OrderAmended{sell, 150, Source::kOpenOrders});
  EXPECT_EQ(task().orders.at(sell).qty_lots, 100);
  EXPECT_EQ(task().ignored_evidence, 1u);
}

// STOP_ON_FAILURE with a failed cancel (-2011: the original filled meanwhile): the replacement
// was never attempted, so it closes as rejected; the original's fate comes from a query.
TEST_F(ApplyTest, AnAmendWhoseCancelHalfFailedLeavesTheOriginalToReconciliation) {
  const std::string buy = place(1, Side::kBuy, 6183000, 100);
  fold(journal::OrderAccepted{buy, 42, Source::kResponse});
  const std::string repl = make_client_order_id("", "g", state_.last_seq + 1);
  fold(journal::AmendIntent{1, buy, repl, 6182900, 100, {}, Side::kBuy, {}});
  fold(journal::CancelRejected{buy, -2011, "Unknown order sent."});
  fold(journal::OrderRejected{repl, -2011, "not attempted", Source::kResponse});
  EXPECT_TRUE(task().orders.at(buy).cancel_refused);
  EXPECT_EQ(task().unresolved(), 1u);  // the refused cancel: a query must settle it
  EXPECT_EQ(slot(1), SlotState::kFree);
  fill(buy, Side::kBuy, 6183000, 100, 7);  // the query finds the fill
  EXPECT_EQ(task().position.base_e8, 100'000);
  EXPECT_EQ(task().unresolved(), 0u);
}

TEST_F(ApplyTest, ARecordOfATaskNeverStartedHaltsThatTask) {
  journal::Record r;
  r.seq = state_.last_seq + 1;
  r.task_id = "ghost";
  r.body = journal::OrderAccepted{"k2abcdef-ghost-1", 1, Source::kResponse};
  apply(state_, r);
  EXPECT_NE(state_.tasks.at("ghost").halted.find("never started"), std::string::npos);
}

// Issue 9, problem 1: a place answered -1007 that the venue executes later. Journaled as never
// received (here: by an older keel, or a venue breaking its recvWindow promise), its late NEW
// and fill are evidence like any other: the order is tracked again and its fill counted.
TEST_F(ApplyTest, LateExecutionOfAnOrderClosedAsNeverReceivedIsTrackedAgain) {
  const std::string a = place(6183000, Side::kBuy, 6183000, 100);
  fold(journal::OrderNotFound{a, Source::kQueryOrder});
  EXPECT_EQ(slot(6183000), SlotState::kFree);
  fold(journal::OrderAccepted{a, 77, Source::kUserStream});  // the late NEW
  EXPECT_EQ(task().orders.at(a).phase, OrderPhase::kOpen);
  EXPECT_EQ(slot(6183000), SlotState::kLocked);  // the slot was free: it is the current order
  EXPECT_EQ(task().late_executions, 1u);
  fill(a, Side::kBuy, 6183000, 100, 5, 0, "USDT", 77);
  EXPECT_EQ(slot(6183000), SlotState::kFilled);
  EXPECT_EQ(task().position.base_e8, 100'000);
  EXPECT_TRUE(task().halted.empty());
}

TEST_F(ApplyTest, LateFillAfterTheSlotPlacedAgainMakesAStrayThatIsCounted) {
  const std::string a = place(6183000, Side::kBuy, 6183000, 100);
  fold(journal::OrderNotFound{a, Source::kQueryOrder});
  const std::string b = place(6183000, Side::kBuy, 6183000, 100);  // the level placed again
  fold(journal::OrderAccepted{b, 2, Source::kResponse});
  fill(a, Side::kBuy, 6183000, 40, 9, 0, "USDT", 1);  // the first order executed after all
  EXPECT_EQ(task().late_executions, 1u);
  ASSERT_EQ(task().strays().size(), 1u);
  EXPECT_EQ(task().strays().front()->client_order_id, a);
  EXPECT_EQ(task().slots.at(6183000).current_cid, b);
  EXPECT_EQ(task().position.base_e8, 40'000);
  EXPECT_EQ(task().slots.at(6183000).claim_e8, 40'000);
  EXPECT_TRUE(task().halted.empty());
}

TEST_F(ApplyTest, AFillOfACanceledOrderIsCountedWithoutReopeningIt) {
  const std::string a = place(6183000, Side::kBuy, 6183000, 100);
  fold(journal::OrderAccepted{a, 1, Source::kResponse});
  fold(journal::CancelIntent{6183000, a, {}});
  fold(journal::OrderCanceled{a, 30, Source::kResponse});  // 30 executed before the cancel
  EXPECT_TRUE(task().orders.at(a).owes_fills());
  EXPECT_EQ(task().unresolved(), 1u);  // the 30 lots' fills are owed (issue 9, problem 2)
  fill(a, Side::kBuy, 6183000, 30, 4, 0, "USDT", 1);
  EXPECT_FALSE(task().orders.at(a).owes_fills());
  EXPECT_EQ(task().orders.at(a).phase, OrderPhase::kClosed);
  EXPECT_EQ(task().unresolved(), 0u);
  EXPECT_EQ(slot(6183000), SlotState::kFilled);
}

TEST_F(ApplyTest, ACancelRefusedWithUnknownOrderIsNotCancelableAgainUntilEvidence) {
  const std::string a = place(6183000, Side::kBuy, 6183000, 100);
  fold(journal::OrderAccepted{a, 1, Source::kResponse});
  fold(journal::CancelIntent{6183000, a, {}});
  fold(journal::CancelRejected{a, -2011, "Unknown order sent."});
  EXPECT_TRUE(task().orders.at(a).cancel_refused);
  EXPECT_EQ(task().unresolved(), 1u);  // its fate must come from a query or the stream
  fill(a, Side::kBuy, 6183000, 100, 3, 0, "USDT", 1);  // it had filled
  EXPECT_FALSE(task().orders.at(a).cancel_refused);
  EXPECT_EQ(task().unresolved(), 0u);
}

TEST_F(ApplyTest, EvidenceNamingAnotherVenueOrderIdIsNeverApplied) {
  const std::string a = place(6183000, Side::kBuy, 6183000, 100);
  fold(journal::OrderAccepted{a, 1, Source::kResponse});
  fill(a, Side::kBuy, 6183000, 50, 3, 0, "USDT", 999);  // same client id, another order
  EXPECT_EQ(task().orders.at(a).filled_lots, 0);
  EXPECT_EQ(task().position.base_e8, 0);
  EXPECT_EQ(task().ignored_evidence, 1u);
  EXPECT_TRUE(task().halted.empty());
}

// Issue 9, problem 5: a BUY's commission taken in the base asset reduces the position it was
// charged on; the slot claims only what it holds, so its sell is one lot short.
TEST_F(ApplyTest, CommissionInTheBaseAssetReducesThePositionAndTheClaim) {
  const std::string a = place(6183000, Side::kBuy, 6183000, 100);
  fill(a, Side::kBuy, 6183000, 100, 1, 100, "BTC");  // 0.000001 BTC commission
  EXPECT_EQ(task().position.base_e8, 99'900);
  EXPECT_EQ(task().slots.at(6183000).claim_e8, 99'900);
  EXPECT_EQ(task().commissions.at("BTC"), 100);
  // The commission valued at the fill price: 0.000001 x 61830 = 0.06183 USDT.
  EXPECT_EQ(task().fees_e8, 6'183'000);
  // The cost basis excludes the commission: 0.001 x 61830 - 0.06183.
  EXPECT_EQ(task().position.cost_e8, 6'183'000'000 - 6'183'000);
  EXPECT_EQ(task().sellable_e8(), 99'900);
  const std::string s = place(6183000, Side::kSell, 6184000, 99);
  EXPECT_EQ(task().sellable_e8(), 900);  // the working sell holds 99 lots
  fill(s, Side::kSell, 6184000, 99, 2, 0, "USDT");
  EXPECT_EQ(task().position.base_e8, 900);  // a sub-lot remainder
  EXPECT_EQ(slot(6183000), SlotState::kFree);  // less than a lot: the level may buy again
}

TEST_F(ApplyTest, CommissionsInAThirdAssetAreKeptPerAsset) {
  const std::string a = place(6183000, Side::kBuy, 6183000, 100);
  fill(a, Side::kBuy, 6183000, 100, 1, 12'345, "BNB");
  EXPECT_EQ(task().commissions.at("BNB"), 12'345);
  EXPECT_EQ(task().fees_e8, 0);  // not priced in quote
  EXPECT_EQ(task().position.base_e8, 100'000);
}

TEST_F(ApplyTest, ASellFillBeyondThePositionHaltsTheTask) {
  const std::string a = place(6183000, Side::kBuy, 6183000, 10);
  fill(a, Side::kBuy, 6183000, 10, 1);
  const std::string s = place(6183000, Side::kSell, 6184000, 10);
  fill(s, Side::kSell, 6184000, 5, 2, 6'000, "BTC");  // 5 lots + 0.00006 BTC: more than held
  EXPECT_NE(task().halted.find("spot cannot go short"), std::string::npos);
  EXPECT_EQ(task().position.base_e8, 0);
}

TEST_F(ApplyTest, AccountCountersFollowTheBaselineForR4) {
  auto wide = [&](journal::Body body) {
    journal::Record r;
    r.seq = state_.last_seq + 1;
    r.task_id = journal::kJournalTaskId;
    r.body = std::move(body);
    apply(state_, r);
  };
  wide(journal::JournalEpoch{"abc123", "journal created"});
  EXPECT_EQ(state_.epoch(), "abc123");
  const std::string a = place(6183000, Side::kBuy, 6183000, 100);
  fill(a, Side::kBuy, 6183000, 50, 10);  // before the baseline: not counted for R4
  wide(journal::AccountBaseline{"BTCUSDT", 10, 1000, {{"BTC", 50'000}, {"USDT", 100 * kOneE8}}});
  fill(a, Side::kBuy, 6183000, 50, 11, 300);
  wide(journal::ForeignFill{"BTCUSDT", "web_1", 12, 5, Side::kSell, 6183000, 20, 400, "USDT"});
  wide(journal::BalanceChanged{"USDT", 7 * kOneE8, 2000, 2000});
  wide(journal::BalanceChanged{"USDT", kOneE8, 900, 900});  // cleared before the baseline
  EXPECT_EQ(state_.account("default").expected_e8("BTC"), 50'000 + 50'000 - 20'000);
  const int64_t n50 = 3'091'500'000, n20 = 1'236'600'000;  // 50 and 20 lots at 61830
  EXPECT_EQ(state_.account("default").expected_e8("USDT"), 107 * kOneE8 - n50 - 300 + n20 - 400);
  EXPECT_EQ(state_.account("default").marks("BTCUSDT").trade_watermark, 12);
  EXPECT_EQ(state_.account("default").foreign_fills, 1u);
}

// Found by fuzz_apply (E1; run under UBSan in build-asan). A journal whose TaskStarted has a
// negative tick and step halts the task; the fills folded after it must not overflow the
// bounds check itself (__int128 price x quantity).
TEST(ApplyFuzzRegressions, ANegativeTickAndStepHaltNoOverflowInTheAmountCheck) {
  State s;
  auto fold = [&](const std::string& task, journal::Body body) {
    journal::Record r;
    r.seq = s.last_seq + 1;
    r.task_id = task;
    r.body = std::move(body);
    apply(s, r);
  };
  journal::TaskStarted ts = testing_fixture::btcusdt_grid_task();
  ts.tick_e8 = -50'000'000'000'000;            // x 2^40 ticks: -5.5e25 at 10^-8
  ts.step_e8 = -2'800'000'000'000'000'000;     // x 100 lots: -2.8e20 (their product: 1.5e46)
  fold("g", ts);
  const std::string cid = make_client_order_id("", "g", 2);
  fold("g", journal::PlaceIntent{1, Side::kBuy, int64_t{1} << 40, 100, cid, {}});
  fold("g", journal::OrderFilled{cid, 1, 0, Side::kBuy, int64_t{1} << 40, 100, 0, "USDT", true,
                                 Source::kUserStream});
  const TaskState& t = s.tasks.at("g");
  EXPECT_FALSE(t.halted.empty());
  EXPECT_EQ(t.position.base_e8, 0);
}

// Found by fuzz_apply: balance changes (and fills) whose sum leaves int64 saturate; R4's
// expected balance is defined (and then mismatches the venue: a halt, not UB).
TEST(ApplyFuzzRegressions, HugeBalanceChangesSaturateInsteadOfOverflowing) {
  State s;
  auto wide = [&](journal::Body body) {
    journal::Record r;
    r.seq = s.last_seq + 1;
    r.task_id = journal::kJournalTaskId;
    r.body = std::move(body);
    apply(s, r);
  };
  wide(journal::AccountBaseline{"BTCUSDT", 0, 0, {{"USDT", 83}}});
  wide(journal::BalanceChanged{"USDT", std::numeric_limits<int64_t>::max(), 1, 1});
  wide(journal::BalanceChanged{"USDT", std::numeric_limits<int64_t>::max(), 2, 2});
  EXPECT_EQ(s.account("default").expected_e8("USDT"), std::numeric_limits<int64_t>::max());
  wide(journal::BalanceChanged{"BTC", std::numeric_limits<int64_t>::min(), 3, 3});
  wide(journal::BalanceChanged{"BTC", -1, 4, 4});
  EXPECT_EQ(s.account("default").expected_e8("BTC"), std::numeric_limits<int64_t>::min());
}

// A buy whose commission taken in base exceeds the base it bought would make the position
// negative (spot never goes below zero): it halts the task and is not counted.
TEST_F(ApplyTest, ABuyWhoseBaseCommissionExceedsItsQuantityHaltsTheTask) {
  const std::string buy = place(6183000, Side::kBuy, 6183000, 100);
  fill(buy, Side::kBuy, 6183000, 10, 1, 10'001, "BTC");  // 10 lots = 10,000 e8 of BTC
  EXPECT_NE(task().halted.find("commission above the quantity"), std::string::npos);
  EXPECT_EQ(task().position.base_e8, 0);
  EXPECT_EQ(task().claims_e8, 0);
}

}  // namespace
}  // namespace keel::model
