// The fold (W3): slot transitions, PnL, de-duplication (R3).
#include <gtest/gtest.h>

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
            int64_t fee_e8 = 0) {
    fold(journal::OrderFilled{cid, trade_id, 7, side, price, qty, fee_e8, "USDT", true,
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
  EXPECT_EQ(task().inventory_lots, 100);
  const std::string sell = place(6183000, Side::kSell, 6184000, 100);
  EXPECT_EQ(slot(6183000), SlotState::kPending);
  fold(journal::OrderAccepted{sell, 43, Source::kResponse});
  fill(sell, Side::kSell, 6184000, 100, 3, 619);
  EXPECT_EQ(slot(6183000), SlotState::kFree);
  EXPECT_EQ(task().inventory_lots, 0);
  // Bought 0.001 at 61830, sold at 61840: 0.01 USDT gross = 1,000,000 e8; fees summed.
  EXPECT_EQ(task().realized_pnl_e8, 1'000'000);
  EXPECT_EQ(task().fees_e8, 247 + 371 + 619);
  EXPECT_EQ(task().buys.fills, 2u);
  EXPECT_EQ(task().sells.fills, 1u);
  EXPECT_EQ(task().unresolved(), 0u);
}

TEST_F(ApplyTest, PartialSellsRealiseTheirShareOfCost) {
  const std::string buy = place(6183000, Side::kBuy, 6183000, 3);
  fill(buy, Side::kBuy, 6183000, 3, 1);
  const std::string sell = place(6183000, Side::kSell, 6184000, 3);
  fill(sell, Side::kSell, 6184000, 1, 2);
  fill(sell, Side::kSell, 6184000, 2, 3);
  // 3 lots * 0.00001 * (61840 - 61830) = 0.0003 USDT = 30,000 e8, whatever the split.
  EXPECT_EQ(task().realized_pnl_e8, 30'000);
  EXPECT_EQ(task().slots.at(6183000).cost_e8, 0);
}

TEST_F(ApplyTest, DuplicateTradeIdIsCountedOnce) {
  const std::string buy = place(6183000, Side::kBuy, 6183000, 100);
  fill(buy, Side::kBuy, 6183000, 50, 9);
  fill(buy, Side::kBuy, 6183000, 50, 9);  // the same trade again (stream + history)
  EXPECT_EQ(task().inventory_lots, 50);
  EXPECT_EQ(task().duplicate_fills, 1u);
  EXPECT_EQ(task().last_trade_id, 9);
}

TEST_F(ApplyTest, OverfillHaltsTheTask) {
  const std::string buy = place(6183000, Side::kBuy, 6183000, 100);
  fill(buy, Side::kBuy, 6183000, 100, 1);
  fill(buy, Side::kBuy, 6183000, 1, 2);
  EXPECT_NE(task().halted.find("overfill"), std::string::npos);
  EXPECT_EQ(task().inventory_lots, 100);
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
  fold(journal::CancelRejected{a, -2011, "Unknown order sent."});
  EXPECT_EQ(task().unresolved(), 0u);
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
  EXPECT_EQ(task().slots.at(6183000).position_lots, 30);
}

TEST_F(ApplyTest, RecordingEndedIsEngineWide) {
  journal::Record r;
  r.seq = state_.last_seq + 1;
  r.task_id = "g";
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

TEST(ApplyDeath, EvidenceForAnUnknownOrderIsABug) {
  State s;
  journal::Record r;
  r.seq = 1;
  r.task_id = "g";
  r.body = journal::TaskStarted{"grid", "BTCUSDT", "BTC", "USDT", 1'000'000, 1'000, 0, ""};
  apply(s, r);
  r.seq = 2;
  r.body = journal::OrderAccepted{"k1-g-zz", 1, journal::Source::kResponse};
  EXPECT_DEATH(apply(s, r), "never journaled");
}

}  // namespace
}  // namespace keel::model
