// The risk layer (keel/risk/risk.h) on hand-made task states: exposure at worst case, the
// guard's three states, and what filter lets through.
#include <gtest/gtest.h>

#include "fixture_btcusdt.h"
#include "keel/core/ids.h"
#include "keel/risk/risk.h"

namespace keel::risk {
namespace {

using journal::GuardState;
using journal::Source;

class RiskTest : public ::testing::Test {
 protected:
  void SetUp() override { fold("g", testing_fixture::btcusdt_grid_task()); }
  void fold(const std::string& task, journal::Body body) {
    journal::Record r;
    r.seq = state_.last_seq + 1;
    r.task_id = task;
    r.body = std::move(body);
    model::apply(state_, r);
  }
  std::string place(Side side, int64_t price, int64_t qty) {
    const std::string cid = make_client_order_id("", "g", state_.last_seq + 1);
    fold("g", journal::PlaceIntent{price, side, price, qty, cid, {6184000, 6184100, 0, "t"}});
    return cid;
  }
  void fill(const std::string& cid, Side side, int64_t price, int64_t qty, int64_t trade_id) {
    fold("g", journal::OrderFilled{cid, trade_id, 0, side, price, qty, 0, "USDT", true,
                                   Source::kUserStream});
  }
  const model::TaskState& task() { return state_.tasks.at("g"); }
  const Instrument& ins() { return task().instrument; }
  strategy::IntentSpec buy(int64_t price, int64_t qty) {
    strategy::IntentSpec s;
    s.slot_key = price;
    s.side = Side::kBuy;
    s.price_ticks = price;
    s.qty_lots = qty;
    return s;
  }
  model::State state_;
};

// 200 lots = 0.002 BTC. max_position 0.006: a filled buy and an in-flight one count 0.004
// (the in-flight one at its whole quantity, R1), which is CAUTION at 60%; a third makes 0.006,
// 100%, still within; a fourth would exceed it.
TEST_F(RiskTest, ExposureCountsWorkingBuysAtWorstCaseAndTheGuardFollowsTheLimit) {
  Limits l;
  l.max_position_e8 = 600'000;
  l.caution_percent = 60;
  EXPECT_EQ(assess(exposure_of(task(), state_.account), l, ins(), GuardNow{}).state, GuardState::kSafe);
  const std::string b1 = place(Side::kBuy, 6183000, 200);
  fill(b1, Side::kBuy, 6183000, 200, 1);
  place(Side::kBuy, 6182500, 200);  // in flight: no outcome yet
  Exposure e = exposure_of(task(), state_.account);
  EXPECT_EQ(e.base_e8, 400'000);
  EXPECT_EQ(e.open_orders, 1);
  // 0.002 at the mark's mid 61840.50 plus 0.002 at 61825.
  EXPECT_EQ(e.notional_e8, 12'368'100'000 + 12'365'000'000);
  const Verdict v = assess(e, l, ins(), GuardNow{});
  EXPECT_EQ(v.state, GuardState::kCaution);
  EXPECT_EQ(v.reason, "max_position: position and working buys 0.004 BTC of 0.006 (caution from "
                      "60%, safe again below 50%)");
  std::vector<strategy::IntentSpec> specs{buy(6182000, 200), buy(6181500, 200)};
  EXPECT_EQ(filter(specs, task(), e, l, v.state), 1u);  // the second would make 0.008
  ASSERT_EQ(specs.size(), 1u);
  EXPECT_EQ(specs[0].price_ticks, 6182000);
  place(Side::kBuy, 6182000, 200);
  place(Side::kBuy, 6181500, 200);  // keel would not, but the fold must judge it: HALT
  e = exposure_of(task(), state_.account);
  const Verdict h = assess(e, l, ins(), GuardNow{});
  EXPECT_EQ(h.state, GuardState::kHalt);
  EXPECT_EQ(h.reason, "max_position: position and working buys 0.008 BTC of 0.006");
}

// Hysteresis: once CAUTION, the guard is SAFE again only below caution_percent - 10 points and
// after 10 s of exchange time in its state, so a figure that moves with each order placed or
// cancelled does not flap it.
TEST_F(RiskTest, CautionIsLeftOnlyTenPointsBelowWhereItBegan) {
  Limits l;
  l.max_position_e8 = 600'000;
  l.caution_percent = 60;
  const std::string b1 = place(Side::kBuy, 6183000, 330);  // 0.0033 BTC: 55%
  fill(b1, Side::kBuy, 6183000, 330, 1);
  const Exposure e = exposure_of(task(), state_.account);
  EXPECT_EQ(assess(e, l, ins(), GuardNow{}).state, GuardState::kSafe);
  const GuardNow caution{GuardState::kCaution, 100'000'000'000, 200'000'000'000};
  EXPECT_EQ(assess(e, l, ins(), caution).state, GuardState::kCaution);
  EXPECT_EQ(assess(e, l, ins(), {GuardState::kHalt, 100'000'000'000, 200'000'000'000}).state,
            GuardState::kCaution);
  const std::string s1 = place(Side::kSell, 6184000, 40);
  fill(s1, Side::kSell, 6184000, 40, 2);  // 0.0029 BTC: 48.3%
  const Exposure low = exposure_of(task(), state_.account);
  EXPECT_EQ(assess(low, l, ins(), caution).state, GuardState::kSafe);
  // ... but not within 10 s of exchange time of entering CAUTION.
  const Verdict held =
      assess(low, l, ins(), {GuardState::kCaution, 195'000'000'000, 200'000'000'000});
  EXPECT_EQ(held.state, GuardState::kCaution);
  EXPECT_EQ(held.reason, "back within every limit; CAUTION held for 10 s before SAFE");
}

// In HALT no buy passes, sells and cancels do, and the open buys are cancelled (once: one that
// is already being cancelled, or still in flight, is left alone).
TEST_F(RiskTest, HaltCancelsTheOpenBuysAndKeepsWhatReducesExposure) {
  Limits l;
  l.max_position_e8 = 300'000;
  const std::string b1 = place(Side::kBuy, 6183000, 200);
  fill(b1, Side::kBuy, 6183000, 200, 1);
  const std::string b2 = place(Side::kBuy, 6182500, 200);
  fold("g", journal::OrderAccepted{b2, 7, Source::kResponse});
  const std::string b3 = place(Side::kBuy, 6182000, 200);  // in flight
  const Exposure e = exposure_of(task(), state_.account);
  ASSERT_EQ(assess(e, l, ins(), GuardNow{}).state, GuardState::kHalt);
  strategy::IntentSpec sell;
  sell.slot_key = 6183000;
  sell.side = Side::kSell;
  sell.price_ticks = 6183500;
  sell.qty_lots = 200;
  std::vector<strategy::IntentSpec> specs{buy(6181500, 200), sell};
  EXPECT_EQ(filter(specs, task(), e, l, GuardState::kHalt), 1u);
  ASSERT_EQ(specs.size(), 2u);
  EXPECT_EQ(specs[0].side, Side::kSell);
  EXPECT_EQ(specs[1].kind, strategy::IntentSpec::Kind::kCancel);
  EXPECT_EQ(specs[1].client_order_id, b2);  // the open buy; b3 is in flight
  EXPECT_NE(b3, b2);
}

// The quote balance is the account's as R4 expects it, less what working buys lock; unknown
// before the baseline (no check then).
TEST_F(RiskTest, TheMinimumQuoteBalanceCountsWhatWorkingBuysLock) {
  Limits l;
  l.min_quote_balance_e8 = 9'900 * kOneE8;
  place(Side::kBuy, 6183000, 200);  // 123.66 USDT
  Exposure e = exposure_of(task(), state_.account);
  EXPECT_FALSE(e.quote_known);
  EXPECT_EQ(assess(e, l, ins(), GuardNow{}).state, GuardState::kSafe);
  journal::AccountBaseline b{"BTCUSDT", 0, 1, {{"BTC", 0}, {"USDT", 10'000 * kOneE8}}};
  fold(journal::kJournalTaskId, b);
  e = exposure_of(task(), state_.account);
  ASSERT_TRUE(e.quote_known);
  EXPECT_EQ(e.quote_free_e8, 10'000 * kOneE8 - 12'366'000'000);
  const Verdict v = assess(e, l, ins(), GuardNow{});
  EXPECT_EQ(v.state, GuardState::kHalt);
  EXPECT_EQ(v.reason, "min_quote_balance: 9876.34 USDT free after the working buys, minimum 9900");
}

// The fold keeps the guard and the exchange time spent in each state.
TEST_F(RiskTest, GuardChangesFoldWithTheTimeSpentInEachState) {
  auto at = [&](int64_t ts_s, GuardState s) {
    journal::Record r;
    r.seq = state_.last_seq + 1;
    r.task_id = "g";
    r.ts_exchange_ns = ts_s * 1'000'000'000;
    r.body = journal::GuardChanged{s, "why"};
    model::apply(state_, r);
  };
  at(100, GuardState::kCaution);
  at(130, GuardState::kHalt);
  at(135, GuardState::kCaution);
  at(140, GuardState::kSafe);
  EXPECT_EQ(task().guard, GuardState::kSafe);
  EXPECT_EQ(task().guard_changes, 4u);
  EXPECT_EQ(task().guard_time_ns[1], 35'000'000'000);  // CAUTION 100-130, 135-140
  EXPECT_EQ(task().guard_time_ns[2], 5'000'000'000);
  EXPECT_EQ(task().guard_since_ns, 140'000'000'000);
}

}  // namespace
}  // namespace keel::risk
