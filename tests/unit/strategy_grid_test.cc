// Grid decisions against seed 001's formulas (§2.1, §3).
#include <gtest/gtest.h>

#include "fixture_btcusdt.h"
#include "keel/core/ids.h"
#include "keel/model/state.h"
#include "keel/strategy/grid.h"

namespace keel::strategy {
namespace {

using journal::Record;

// BTCUSDT: tick 0.01, step 0.00001; I = 10 USDT = 1000 ticks; qty 0.001 = 100 lots; B = S = 3.
class GridTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fold(testing_fixture::btcusdt_grid_task());
    params_.interval_ticks = 1000;
    params_.order_qty_lots = 100;
    params_.buy_window = 3;
    params_.sell_window = 3;
  }
  void fold(journal::Body body, int64_t ts_ns = 0) {
    Record r;
    r.seq = state_.last_seq + 1;
    r.task_id = "g";
    r.ts_exchange_ns = ts_ns;
    r.body = std::move(body);
    model::apply(state_, r);
  }
  const model::TaskState& task() { return state_.tasks.at("g"); }
  std::vector<IntentSpec> decide(int64_t last, int64_t bid, int64_t ask, int64_t ts_ns = 0) {
    MarketView v{bid, ask, last, ts_ns};
    std::vector<IntentSpec> out;
    decide_grid(v, task(), params_, out);
    return out;
  }
  // Journals a place + ack for slot `key` at `price`, returns its client order id.
  std::string rest(int64_t key, Side side, int64_t price, int64_t qty) {
    const std::string cid = make_client_order_id("", "g", state_.last_seq + 1);
    fold(journal::PlaceIntent{key, side, price, qty, cid, {}});
    fold(journal::OrderAccepted{cid, 1, journal::Source::kResponse});
    return cid;
  }
  void fill(const std::string& cid, Side side, int64_t price, int64_t qty, int64_t trade_id) {
    fold(journal::OrderFilled{cid, trade_id, 1, side, price, qty, 0, "USDT", true,
                              journal::Source::kUserStream});
  }
  model::State state_;
  GridParams params_;
};

TEST_F(GridTest, CenterRoundsPriceToTheInterval) {
  EXPECT_EQ(grid_center(6183763, 1000), 6184000);  // 61837.63 -> 61840
  EXPECT_EQ(grid_center(6183499, 1000), 6183000);
  EXPECT_EQ(grid_center(6183500, 1000), 6184000);  // half rounds up
}

TEST_F(GridTest, FreshGridPlacesTheBuyWindowOnly) {
  // last 61837.63 -> center 61840; buys at 61830, 61820, 61810; no position -> no sells.
  auto out = decide(6183763, 6183762, 6183763);
  ASSERT_EQ(out.size(), 3u);
  std::vector<int64_t> prices;
  for (const auto& s : out) {
    EXPECT_EQ(s.kind, IntentSpec::Kind::kPlace);
    EXPECT_EQ(s.side, Side::kBuy);
    EXPECT_EQ(s.qty_lots, 100);
    EXPECT_EQ(s.slot_key, s.price_ticks);
    prices.push_back(s.price_ticks);
  }
  EXPECT_EQ(prices, (std::vector<int64_t>{6181000, 6182000, 6183000}));
}

TEST_F(GridTest, NothingWhenTheViewIsNotReady) {
  EXPECT_TRUE(decide(0, 6183762, 6183763).empty());
  EXPECT_TRUE(decide(6183763, 0, 6183763).empty());
}

TEST_F(GridTest, WorkingOrdersAreNotPlacedTwice) {
  for (int64_t p : {6181000, 6182000, 6183000}) rest(p, Side::kBuy, p, 100);
  EXPECT_TRUE(decide(6183763, 6183762, 6183763).empty());
}

TEST_F(GridTest, FilledBuySellsOneIntervalAbove) {
  const std::string cid = rest(6183000, Side::kBuy, 6183000, 100);
  fill(cid, Side::kBuy, 6183000, 100, 11);
  EXPECT_EQ(task().slot_state(task().slots.at(6183000)), model::SlotState::kFilled);
  // Market at 61830 -> center 61830; sell window [61840, 61860]; the slot's sell goes to 61840.
  auto out = decide(6183000, 6182999, 6183001);
  const IntentSpec* sell = nullptr;
  for (const auto& s : out) {
    if (s.side == Side::kSell) sell = &s;
  }
  ASSERT_NE(sell, nullptr);
  EXPECT_EQ(sell->slot_key, 6183000);
  EXPECT_EQ(sell->price_ticks, 6184000);
  EXPECT_EQ(sell->qty_lots, 100);
  // No new buy on the slot that holds the position.
  for (const auto& s : out) EXPECT_FALSE(s.side == Side::kBuy && s.slot_key == 6183000);
}

TEST_F(GridTest, SellMovesUpToTheWindowWhenTheMarketRose) {
  const std::string cid = rest(6183000, Side::kBuy, 6183000, 100);
  fill(cid, Side::kBuy, 6183000, 100, 11);
  // Market at 61862 -> center 61860; L + I = 61840 < sell_low 61870: sell at 61870.
  auto out = decide(6186200, 6186199, 6186201);
  bool found = false;
  for (const auto& s : out) {
    if (s.side == Side::kSell) {
      EXPECT_EQ(s.price_ticks, 6187000);
      found = true;
    }
  }
  EXPECT_TRUE(found);
}

TEST_F(GridTest, PositionIsHeldWhenItsSellIsAboveTheWindow) {
  const std::string cid = rest(6183000, Side::kBuy, 6183000, 100);
  fill(cid, Side::kBuy, 6183000, 100, 11);
  // Market at 61790 -> center 61790, sell window [61800, 61820]; L + I = 61840 is above: hold.
  for (const auto& s : decide(6179000, 6178999, 6179001)) EXPECT_NE(s.side, Side::kSell);
}

TEST_F(GridTest, OrdersThatLeaveTheirWindowAreCancelled) {
  const std::string low_buy = rest(6181000, Side::kBuy, 6181000, 100);
  const std::string f = rest(6170000, Side::kBuy, 6170000, 100);
  fill(f, Side::kBuy, 6170000, 100, 1);
  const std::string sell = rest(6170000, Side::kSell, 6171000, 100);
  // Market up to 61850 -> center 61850: buy window [61820, 61840]; 61810 left it.
  // The sell at 61710 is below the sell window: it is about to fill, so it stays.
  auto out = decide(6185000, 6184999, 6185001);
  std::vector<std::string> cancels;
  for (const auto& s : out) {
    if (s.kind == IntentSpec::Kind::kCancel) cancels.push_back(s.client_order_id);
  }
  EXPECT_EQ(cancels, std::vector<std::string>{low_buy});
  // Market down to 61600 -> sell window [61610, 61630]: the sell at 61710 is above it.
  cancels.clear();
  for (const auto& s : decide(6160000, 6159999, 6160001)) {
    if (s.kind == IntentSpec::Kind::kCancel) cancels.push_back(s.client_order_id);
  }
  EXPECT_NE(std::find(cancels.begin(), cancels.end(), sell), cancels.end());
}

TEST_F(GridTest, RejectedSlotWaitsBeforePlacingAgain) {
  const std::string cid = make_client_order_id("", "g", state_.last_seq + 1);
  fold(journal::PlaceIntent{6183000, Side::kBuy, 6183000, 100, cid, {}}, 5'000'000'000);
  fold(journal::OrderRejected{cid, -2010, "Order would immediately match and take.",
                              journal::Source::kResponse},
       5'000'000'000);
  auto at = [&](int64_t ts) {
    for (const auto& s : decide(6183763, 6183762, 6183763, ts)) {
      if (s.slot_key == 6183000) return true;
    }
    return false;
  };
  EXPECT_FALSE(at(5'500'000'000));
  EXPECT_TRUE(at(6'000'000'000));
}

TEST_F(GridTest, NoBuyAtOrAboveTheBestAsk) {
  // A thin book: best ask 61825 sits below the 61830 level; post-only would reject it.
  for (const auto& s : decide(6183763, 6182400, 6182500)) EXPECT_LT(s.price_ticks, 6182500);
}

TEST_F(GridTest, MaxOpenOrdersIsALimit) {
  params_.max_open_orders = 2;
  EXPECT_EQ(decide(6183763, 6183762, 6183763).size(), 2u);
}

TEST_F(GridTest, DustPositionBelowMinNotionalIsHeld) {
  const std::string cid = rest(6183000, Side::kBuy, 6183000, 100);
  fill(cid, Side::kBuy, 6183000, 5, 11);  // 0.00005 BTC = 3.09 USDT < 5 USDT
  fold(journal::CancelIntent{6183000, cid, {}});
  fold(journal::OrderCanceled{cid, 5, journal::Source::kResponse});
  for (const auto& s : decide(6183000, 6182999, 6183001)) EXPECT_NE(s.side, Side::kSell);
}

TEST_F(GridTest, HaltedTaskDecidesNothing) {
  const std::string cid = rest(6183000, Side::kBuy, 6183000, 100);
  fill(cid, Side::kBuy, 6183000, 100, 1);
  fill(cid, Side::kBuy, 6183000, 1, 2);  // overfill: R3 halts the task
  EXPECT_FALSE(task().halted.empty());
  EXPECT_TRUE(decide(6183763, 6183762, 6183763).empty());
}

}  // namespace
}  // namespace keel::strategy
