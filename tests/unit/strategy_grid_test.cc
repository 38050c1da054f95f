// Grid decisions against seed 001's formulas and rules (keel/strategy/grid.h G1-G7: §2.1 the
// trailing grid, §2.2 the ATR interval, §2.3 the inventory skew, §4 the risk monitor, §6 the
// circuit breaker, the order clean-up and the account check), on hand-made states with values
// worked out by hand, and on the recorded BTCUSDT data.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <set>
#include <string>

#include "fixture_btcusdt.h"
#include "keel/core/ids.h"
#include "keel/market/bars.h"
#include "keel/market/capture.h"
#include "keel/model/state.h"
#include "keel/strategy/grid.h"

namespace keel::strategy {
namespace {

using journal::Record;
using Kind = IntentSpec::Kind;
constexpr int64_t kOne = 100'000'000;
constexpr int64_t kSec = 1'000'000'000;
constexpr int64_t kT0 = 1'723'161'000 * kSec;  // an exchange time of the recording's day

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
  MarketView view(int64_t last, int64_t bid, int64_t ask, int64_t ts_ns = 0) {
    MarketView v{bid, ask, last, ts_ns};
    v.bars = &bars_;
    v.balances = balances_;
    return v;
  }
  std::vector<IntentSpec> decide(int64_t last, int64_t bid, int64_t ask, int64_t ts_ns = 0) {
    std::vector<IntentSpec> out;
    decide_grid(view(last, bid, ask, ts_ns), task(), params_, out);
    return out;
  }
  // Journals a place + ack for slot `key` at `price` at exchange time ts_ns, returns its client
  // order id.
  std::string rest(int64_t key, Side side, int64_t price, int64_t qty, int64_t ts_ns = 0) {
    const std::string cid = make_client_order_id("", "g", state_.last_seq + 1);
    fold(journal::PlaceIntent{key, side, price, qty, cid, {}}, ts_ns);
    fold(journal::OrderAccepted{cid, 1, journal::Source::kResponse}, ts_ns);
    return cid;
  }
  void fill(const std::string& cid, Side side, int64_t price, int64_t qty, int64_t trade_id,
            int64_t ts_ns = 0) {
    fold(journal::OrderFilled{cid, trade_id, 1, side, price, qty, 0, "USDT", true,
                              journal::Source::kUserStream}, ts_ns);
  }
  // A round trip of level L: a buy of 100 lots at L filled, then its sell at `sell` filled
  // completely at ts_ns.
  void round_trip(int64_t level, int64_t sell, int64_t ts_ns) {
    const std::string b = rest(level, Side::kBuy, level, 100, ts_ns - 2 * kSec);
    fill(b, Side::kBuy, level, 100, ++trade_id_, ts_ns - kSec);
    const std::string s = rest(level, Side::kSell, sell, 100, ts_ns - kSec);
    fill(s, Side::kSell, sell, 100, ++trade_id_, ts_ns);
  }
  // One-second bars whose ATR over one-second periods is `range_e8` (price e8): the mid
  // alternates between 60000 and 60000 + range each second, for `seconds` seconds; the newest
  // bar (still open) comes on top.
  void atr_bars(int64_t range_e8, int seconds) {
    bars_ = market::MidBars();
    for (int s = 0; s <= seconds; ++s) {
      bars_.on_mid(kT0 + s * kSec, 60'000 * kOne + (s % 2 == 1 ? range_e8 : 0));
    }
  }
  // G2/G4 on one-second ATR periods: atr_periods 4, baseline 20 USDT.
  void atr_params() {
    params_.atr_period_s = 1;
    params_.atr_periods = 4;
    params_.baseline_atr_e8 = 20 * kOne;
  }
  // The intents of `out` of one kind (and side, for places), in order.
  static std::vector<IntentSpec> of(const std::vector<IntentSpec>& out, Kind kind, Side side) {
    std::vector<IntentSpec> r;
    for (const auto& s : out) {
      if (s.kind == kind && (kind == Kind::kCancel || s.side == side)) r.push_back(s);
    }
    return r;
  }
  model::State state_;
  GridParams params_;
  market::MidBars bars_;
  Balances balances_;
  int64_t trade_id_ = 100;
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

// ---- The canonical params text: every new param is off and left out at its default ----------

ParamValues defaults_of(const StrategyInfo& info) {
  ParamValues v;
  for (const ParamSpec& p : info.params) v.values[p.key] = p.fallback;
  v.values["price_interval"] = 500;    // 5 USDT
  v.values["order_quantity"] = 200;    // 0.002 BTC
  return v;
}

Instrument btcusdt() {
  auto ins = Instrument::make("BTCUSDT", "BTC", "USDT", "0.01", "0.00001", "5");
  KEEL_ASSERT(ins.ok());
  return *ins;
}

TEST(GridParamsText, NewParamsAtTheirDefaultAreLeftOut) {
  const StrategyInfo info = grid_info();
  ParamValues v = defaults_of(info);
  v.values["max_open_orders"] = 20;
  // The text a journal started before G2-G7 holds (config/paper-btcusdt-grid.yaml's).
  EXPECT_EQ(params_text(info, v, btcusdt()),
            "price_interval=5;order_quantity=0.002;buy_window_size=5;sell_window_size=5;"
            "max_open_orders=20");
  auto made = info.make(v, btcusdt());
  ASSERT_TRUE(made.ok());
  const GridParams* g = grid_params(**made);
  ASSERT_NE(g, nullptr);
  EXPECT_FALSE(g->dynamic_interval);
  EXPECT_FALSE(g->reads_atr());
  EXPECT_EQ(g->skew_factor_e8, 0);
  EXPECT_EQ(g->max_consecutive_losses, 0);
  EXPECT_EQ(g->stale_order_s, 0);
  EXPECT_FALSE(g->account_check);
  EXPECT_FALSE((*made)->reads_balances());
  // A feature turned on is in the text, in schema order; its sub-params only off their default.
  v.values["dynamic_interval"] = 1;
  v.values["baseline_atr"] = 20 * kOne;
  v.values["max_consecutive_losses"] = 3;
  EXPECT_EQ(params_text(info, v, btcusdt()),
            "price_interval=5;order_quantity=0.002;buy_window_size=5;sell_window_size=5;"
            "max_open_orders=20;dynamic_interval=true;baseline_atr=20;max_consecutive_losses=3");
  // The required and the old params are never left out, even at a value equal to a fallback.
  for (const ParamSpec& p : info.params) {
    const std::string key = p.key;
    const bool old = key == "price_interval" || key == "order_quantity" ||
                     key == "buy_window_size" || key == "sell_window_size" ||
                     key == "max_open_orders";
    EXPECT_EQ(p.omit_when_default, !old) << key;
  }
}

TEST(GridParamsText, MakeChecksWhatOneValueCannot) {
  const StrategyInfo info = grid_info();
  auto error = [&](ParamValues v) {
    auto made = info.make(v, btcusdt());
    return made.ok() ? std::string() : made.status().message();
  };
  ParamValues v = defaults_of(info);
  v.values["dynamic_interval"] = 1;  // without baseline_atr
  EXPECT_EQ(error(v).rfind("baseline_atr: ", 0), 0u) << error(v);
  v = defaults_of(info);
  v.values["risk_atr_ratio"] = 2 * kOne;  // likewise
  EXPECT_EQ(error(v).rfind("baseline_atr: ", 0), 0u) << error(v);
  v.values["baseline_atr"] = 20 * kOne;
  EXPECT_EQ(error(v), "");
  v.values["atr_period_s"] = 600;
  v.values["atr_periods"] = 6;  // 7 x 600 + 1 > 3600 bars kept
  EXPECT_EQ(error(v).rfind("atr_periods: ", 0), 0u) << error(v);
  v = defaults_of(info);
  v.values["interval_step"] = 1'500'000;  // 0.015: not a multiple of the 0.01 tick
  EXPECT_EQ(error(v).rfind("interval_step: ", 0), 0u) << error(v);
  v.values["interval_step"] = kOne;       // 1 USDT = 100 ticks
  v.values["inventory_target"] = 1'500;   // 0.000015 BTC: not a multiple of the step
  EXPECT_EQ(error(v).rfind("inventory_target: ", 0), 0u) << error(v);
  v.values["inventory_target"] = 200'000;  // 0.002 BTC = 200 lots
  auto made = info.make(v, btcusdt());
  ASSERT_TRUE(made.ok());
  EXPECT_EQ(grid_params(**made)->interval_step_ticks, 100);
  EXPECT_EQ(grid_params(**made)->inventory_target_lots, 200);
}

// ---- G2 §2.2 Volatility Adaptation ---------------------------------------------------------

TEST_F(GridTest, DynamicInterval_EffectiveIntervalIsBaseTimesScaleTimesAtrOverBaseline) {
  params_.baseline_atr_e8 = 20 * kOne;                     // BaselineATR 20 USDT
  EXPECT_EQ(grid_effective_interval(params_, 30 * kOne), 1500);  // 10 x 1 x 30/20 = 15 USDT
  EXPECT_EQ(grid_effective_interval(params_, 20 * kOne), 1000);  // ATR at the baseline: I
  EXPECT_EQ(grid_effective_interval(params_, 5 * kOne), 250);    // calm: a quarter
  params_.volatility_scale_e8 = kOne / 2;
  EXPECT_EQ(grid_effective_interval(params_, 30 * kOne), 750);
  params_.volatility_scale_e8 = kOne;
  params_.interval_step_ticks = 400;                       // multiples of 4 USDT
  EXPECT_EQ(grid_effective_interval(params_, 30 * kOne), 1600);  // 15 -> 16 (nearest)
  EXPECT_EQ(grid_effective_interval(params_, 26 * kOne), 1200);  // 13 -> 12
  EXPECT_EQ(grid_effective_interval(params_, 28 * kOne), 1600);  // 14: half rounds up
  EXPECT_EQ(grid_effective_interval(params_, 0), 400);           // never below one step
}

// CurrentATR is sampled once per period: on the recording, grid_atr_e8 is what
// MidBars::atr_e8 returned while the period's last bar was the newest, and it holds until the
// next period ends.
TEST_F(GridTest, DynamicInterval_AtrIsSampledAtTheNewestCompletePeriodBoundary) {
  const std::string data = std::string(KEEL_SHARED_DIR) + "/data/binance/spot/";
  auto reader = market::CaptureReader::open({data + "btcusdt_20240808.gz", data + "btcusdt_20240809.gz"});
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  constexpr int64_t kPeriod = 10, kN = 6;
  market::MidBars bars;
  market::MarketEvent ev;
  int64_t ts = 0, boundary_second = -1, atr_at_boundary = -1, compared = 0, warm = 0;
  int64_t last_sampled = -2, changes = 0;
  while ((*reader)->next(ev).ok()) {
    // The exchange time as the engine keeps it (a spot bookTicker carries none).
    if (const auto* t = std::get_if<market::Trade>(&ev.body)) ts = std::max(ts, t->ts_exchange_ns);
    if (const auto* d = std::get_if<market::DepthDiff>(&ev.body)) ts = std::max(ts, d->ts_exchange_ns);
    const auto* b = std::get_if<market::BookTicker>(&ev.body);
    if (b == nullptr || ts == 0) continue;
    ts = std::max(ts, b->ts_exchange_ns);
    const int64_t newest_before = bars.empty() ? -1 : bars.bars().back().second;
    bars.on_mid(ts, (b->bid_price_e8 + b->ask_price_e8) / 2);
    const int64_t newest = bars.bars().back().second;
    const int64_t sampled = grid_atr_e8(bars, kPeriod, kN);
    if (newest != newest_before && newest_before == boundary_second && newest == newest_before + 1) {
      // The boundary bar just became complete: the sample is its atr_e8.
      EXPECT_EQ(sampled, atr_at_boundary) << "second " << newest;
      ++compared;
    }
    if ((newest + 1) % kPeriod == 0) {
      boundary_second = newest;
      atr_at_boundary = bars.atr_e8(kPeriod, kN);
    }
    if (sampled < 0) ++warm;
    if (sampled != last_sampled) {
      ++changes;
      // A new value only when a new bar has just begun (so a period's last bar completed).
      EXPECT_TRUE(last_sampled == -2 || newest != newest_before) << newest;
      last_sampled = sampled;
    }
  }
  EXPECT_GT(warm, 0);          // 61 complete bars first
  EXPECT_GT(compared, 50);     // 651 seconds: about one per period
  EXPECT_LE(changes, 651 / kPeriod + 2);
}

TEST_F(GridTest, DynamicInterval_LevelsUseTheEffectiveInterval) {
  params_.dynamic_interval = true;
  atr_params();
  atr_bars(30 * kOne, 8);  // ATR 30 USDT: I = 10 x 30 / 20 = 15 USDT = 1500 ticks
  // last 61837.63 -> center round(6183763 / 1500) * 1500 = 6184500; B = 3.
  auto out = decide(6183763, 6183762, 6183763);
  std::vector<int64_t> prices;
  for (const auto& s : of(out, Kind::kPlace, Side::kBuy)) prices.push_back(s.price_ticks);
  EXPECT_EQ(prices, (std::vector<int64_t>{6180000, 6181500, 6183000}));
  ASSERT_FALSE(out.empty());
  EXPECT_NE(out[0].reason.find("interval 15.00000000 (ATR 30)"), std::string::npos) << out[0].reason;
  // A filled level sells one effective interval above its buy.
  const std::string b = rest(6181500, Side::kBuy, 6181500, 100);
  fill(b, Side::kBuy, 6181500, 100, 1);
  out = decide(6181500, 6181499, 6181501);  // center 6181500: sells from 6183000
  auto sells = of(out, Kind::kPlace, Side::kSell);
  ASSERT_EQ(sells.size(), 1u);
  EXPECT_EQ(sells[0].price_ticks, 6183000);
}

TEST_F(GridTest, DynamicInterval_WarmUpHoldsEveryOrder) {
  params_.dynamic_interval = true;
  atr_params();
  const std::string low = rest(6170000, Side::kBuy, 6170000, 100);  // far below any window
  atr_bars(30 * kOne, 3);  // 3 complete bars: ATR(1 s, 4) needs 5
  EXPECT_EQ(grid_atr_e8(bars_, 1, 4), -1);
  EXPECT_TRUE(decide(6183763, 6183762, 6183763).empty());
  MarketView v = view(6183763, 6183762, 6183763);
  v.bars = nullptr;  // a view without bars: the ATR is unknown too
  std::vector<IntentSpec> out;
  decide_grid(v, task(), params_, out);
  EXPECT_TRUE(out.empty());
  atr_bars(30 * kOne, 5);  // warm: the window is known, and the low buy left it
  auto cancels = of(decide(6183763, 6183762, 6183763), Kind::kCancel, Side::kBuy);
  ASSERT_EQ(cancels.size(), 1u);
  EXPECT_EQ(cancels[0].client_order_id, low);
}

TEST_F(GridTest, DynamicInterval_BuysOffTheNewLevelsAreCancelledAtOnce) {
  params_.dynamic_interval = true;
  atr_params();
  atr_bars(30 * kOne, 8);  // I = 1500; center 6184500, buy window [6180000, 6183000]
  const std::string off = rest(6182000, Side::kBuy, 6182000, 100);  // a level of I = 1000
  const std::string on = rest(6181500, Side::kBuy, 6181500, 100);   // a level of I = 1500
  auto out = decide(6183763, 6183762, 6183763);
  auto cancels = of(out, Kind::kCancel, Side::kBuy);
  ASSERT_EQ(cancels.size(), 1u);
  EXPECT_EQ(cancels[0].client_order_id, off);
  EXPECT_EQ(cancels[0].reason, "buy off the grid's levels: the interval is now 15.00000000");
  // The other new levels are placed; the one resting on the new lattice is not placed twice.
  std::vector<int64_t> prices;
  for (const auto& s : of(out, Kind::kPlace, Side::kBuy)) prices.push_back(s.price_ticks);
  EXPECT_EQ(prices, (std::vector<int64_t>{6180000, 6183000}));
}

// ---- G3 §2.3 Inventory Skew ----------------------------------------------------------------

TEST_F(GridTest, InventorySkew_SkewedPriceIsPriceTimesOneMinusFactorTimesRatio) {
  params_.skew_factor_e8 = kOne / 1000;  // SkewFactor 0.001
  const int64_t full = 3 * 100 * 1000;   // B x order_quantity = 0.003 BTC, e8
  EXPECT_EQ(grid_skewed_price(6'000'000, full, params_, 1000), 5'994'000);       // ratio 1
  EXPECT_EQ(grid_skewed_price(6'000'000, full / 2, params_, 1000), 5'997'000);   // 0.5
  EXPECT_EQ(grid_skewed_price(6'000'000, -full, params_, 1000), 6'006'000);      // below target
  EXPECT_EQ(grid_skewed_price(6'000'000, 0, params_, 1000), 6'000'000);
  // InventoryRatio's numerator: position - target, clamped to the full window.
  const std::string b = rest(6183000, Side::kBuy, 6183000, 500);
  fill(b, Side::kBuy, 6183000, 500, 1);  // 0.005 BTC held
  EXPECT_EQ(grid_inventory_dev_e8(task(), params_), full);
  params_.inventory_target_lots = 400;   // target 0.004 BTC: 0.001 above it
  EXPECT_EQ(grid_inventory_dev_e8(task(), params_), 100'000);
  params_.inventory_target_lots = 1000;  // 0.005 below: clamped to -full
  EXPECT_EQ(grid_inventory_dev_e8(task(), params_), -full);
  params_.skew_factor_e8 = 0;            // off: no deviation, whatever the position
  EXPECT_EQ(grid_inventory_dev_e8(task(), params_), 0);
}

TEST_F(GridTest, InventorySkew_InventoryAboveTargetSkewsTheGridDown) {
  params_.skew_factor_e8 = 300'000;  // 0.003
  const std::string b = rest(6183000, Side::kBuy, 6183000, 100);
  fill(b, Side::kBuy, 6183000, 100, 1);  // a third of the full window: ratio 1/3
  // price 6183763 x (1 - 0.003 / 3) = 6183763 - 6183 = 6177580 -> center 6178000.
  auto out = decide(6183763, 6183762, 6183763);
  std::vector<int64_t> buys;
  for (const auto& s : of(out, Kind::kPlace, Side::kBuy)) buys.push_back(s.price_ticks);
  EXPECT_EQ(buys, (std::vector<int64_t>{6175000, 6176000, 6177000}));  // lower than 6181000..
  // The level bought at 61830 sells at 61840 at the lowest: above the skewed window [61790,
  // 61810], so it is held (HODL), never sold below its buy + I.
  EXPECT_TRUE(of(out, Kind::kPlace, Side::kSell).empty());
  // Below the target (0.003 BTC wanted, 0.001 held: ratio -2/3), the grid moves up:
  // 6183763 + 12367 = 6196130 -> center 6196000: buys 61930, 61940 and 61950, but 61950 is at
  // the ask (post-only), so it is not placed.
  params_.inventory_target_lots = 300;
  out = decide(6183763, 6183762, 6195000);
  buys.clear();
  for (const auto& s : of(out, Kind::kPlace, Side::kBuy)) buys.push_back(s.price_ticks);
  EXPECT_EQ(buys, (std::vector<int64_t>{6193000, 6194000}));
}

TEST_F(GridTest, InventorySkew_SellLowerMeansTheLowestSellComesDownToTheMarket) {
  // A level bought at 61700, the market since at 61837.63: unskewed, its sell waits at the
  // lowest sell level 61850 (center 61840 + I).
  const std::string b = rest(6170000, Side::kBuy, 6170000, 200);
  fill(b, Side::kBuy, 6170000, 200, 1);
  auto sells = of(decide(6183763, 6183762, 6183763), Kind::kPlace, Side::kSell);
  ASSERT_EQ(sells.size(), 1u);
  EXPECT_EQ(sells[0].price_ticks, 6185000);
  // Skewed down (0.002 BTC of a full 0.003: ratio 2/3, factor 0.0006: 6183763 - 2473 =
  // 6181290, center 61810, sell window [61820, 61840]): the lowest sell 61820 is under the best
  // bid 61837.62, so the sell goes one tick above the bid -- lower than 61850, post-only, in
  // the window and still above the level's buy + I.
  params_.skew_factor_e8 = 60'000;
  sells = of(decide(6183763, 6183762, 6183763), Kind::kPlace, Side::kSell);
  ASSERT_EQ(sells.size(), 1u);
  EXPECT_EQ(sells[0].price_ticks, 6183763);
  EXPECT_NE(sells[0].reason.find("skewed price 61812.90"), std::string::npos) << sells[0].reason;
  // A skew that puts the whole sell window under the best bid (factor 0.002: center 61760,
  // window [61770, 61790]) holds the sell (grid.h G3: keep SkewFactor x price within S x I).
  params_.skew_factor_e8 = 200'000;
  EXPECT_TRUE(of(decide(6183763, 6183762, 6183763), Kind::kPlace, Side::kSell).empty());
}

// ---- G4 §4 Risk Check ----------------------------------------------------------------------

TEST_F(GridTest, RiskMonitor_CancelsAllBuysAndPausesEntries) {
  atr_params();
  params_.risk_atr_ratio_e8 = 2 * kOne;  // triggered at ATR >= 40 USDT
  const std::string buy = rest(6183000, Side::kBuy, 6183000, 100);
  const std::string f = rest(6182000, Side::kBuy, 6182000, 100);
  fill(f, Side::kBuy, 6182000, 100, 1);  // a held level: its sell goes on
  atr_bars(45 * kOne, 8);
  auto out = decide(6183763, 6183762, 6183763);
  auto cancels = of(out, Kind::kCancel, Side::kBuy);
  ASSERT_EQ(cancels.size(), 1u);
  EXPECT_EQ(cancels[0].client_order_id, buy);
  EXPECT_EQ(cancels[0].reason,
            "risk monitor: ATR 45 >= 2 x baseline_atr 20: cancel buys, pause entries");
  EXPECT_TRUE(of(out, Kind::kPlace, Side::kBuy).empty());
  auto sells = of(out, Kind::kPlace, Side::kSell);
  ASSERT_EQ(sells.size(), 1u);
  EXPECT_EQ(sells[0].price_ticks, 6185000);
  // Below the trigger the grid trades as before; an unknown ATR judges nothing.
  atr_bars(35 * kOne, 8);
  out = decide(6183763, 6183762, 6183763);
  EXPECT_TRUE(of(out, Kind::kCancel, Side::kBuy).empty());
  // 61810 only: 61830 rests, 61820 holds its position.
  EXPECT_EQ(of(out, Kind::kPlace, Side::kBuy).size(), 1u);
  atr_bars(45 * kOne, 3);
  EXPECT_TRUE(of(decide(6183763, 6183762, 6183763), Kind::kCancel, Side::kBuy).empty());
}

// ---- G5 §6 Circuit Breaker -----------------------------------------------------------------

// I = 10 USDT at 61800 with fee_rate 0.001: a round trip of one interval loses (10 < 2 x 61.8
// of fees); one of 150 USDT wins.
TEST_F(GridTest, CircuitBreaker_HaltsEntriesAfterMaxConsecutiveLosses) {
  params_.max_consecutive_losses = 2;
  params_.breaker_cooldown_s = 60;
  round_trip(6180000, 6181000, kT0 + 100 * kSec);
  EXPECT_EQ(grid_breaker(task(), params_, kT0 + 101 * kSec).losses, 1);
  EXPECT_FALSE(grid_breaker(task(), params_, kT0 + 101 * kSec).tripped);
  round_trip(6179000, 6180000, kT0 + 110 * kSec);
  const GridBreaker b = grid_breaker(task(), params_, kT0 + 111 * kSec);
  EXPECT_EQ(b.losses, 2);
  EXPECT_TRUE(b.tripped);
  EXPECT_EQ(b.last_loss_ns, kT0 + 110 * kSec);
  EXPECT_EQ(b.until_ns, kT0 + 170 * kSec);
  // Tripped: the open buys are cancelled, no buy placed; a held level still sells.
  const std::string buy = rest(6183000, Side::kBuy, 6183000, 100, kT0 + 111 * kSec);
  const std::string f = rest(6182000, Side::kBuy, 6182000, 100, kT0 + 111 * kSec);
  fill(f, Side::kBuy, 6182000, 100, ++trade_id_, kT0 + 112 * kSec);
  auto out = decide(6183763, 6183762, 6183763, kT0 + 120 * kSec);
  auto cancels = of(out, Kind::kCancel, Side::kBuy);
  ASSERT_EQ(cancels.size(), 1u);
  EXPECT_EQ(cancels[0].client_order_id, buy);
  EXPECT_EQ(cancels[0].reason.rfind("circuit breaker: 2 losing round trips in a row", 0), 0u);
  EXPECT_TRUE(of(out, Kind::kPlace, Side::kBuy).empty());
  EXPECT_EQ(of(out, Kind::kPlace, Side::kSell).size(), 1u);
  // The memo's window ends when the pause does.
  EXPECT_EQ(grid_next_retry_ns(task(), kT0 + 120 * kSec, params_), kT0 + 170 * kSec);
}

TEST_F(GridTest, CircuitBreaker_PauseEndsAfterTheCooldown) {
  params_.max_consecutive_losses = 2;
  params_.breaker_cooldown_s = 60;
  round_trip(6180000, 6181000, kT0 + 100 * kSec);
  round_trip(6179000, 6180000, kT0 + 110 * kSec);
  EXPECT_TRUE(of(decide(6183763, 6183762, 6183763, kT0 + 169 * kSec), Kind::kPlace, Side::kBuy).empty());
  EXPECT_EQ(of(decide(6183763, 6183762, 6183763, kT0 + 170 * kSec), Kind::kPlace, Side::kBuy).size(), 3u);
  // One more loss after the cooldown trips it again at once (the run is 3 long).
  round_trip(6178000, 6179000, kT0 + 200 * kSec);
  EXPECT_TRUE(grid_breaker(task(), params_, kT0 + 201 * kSec).tripped);
  EXPECT_TRUE(of(decide(6183763, 6183762, 6183763, kT0 + 201 * kSec), Kind::kPlace, Side::kBuy).empty());
}

TEST_F(GridTest, CircuitBreaker_AWinningRoundTripEndsTheRun) {
  params_.max_consecutive_losses = 2;
  round_trip(6180000, 6181000, kT0 + 100 * kSec);
  round_trip(6179000, 6180000, kT0 + 110 * kSec);
  round_trip(6178000, 6193000, kT0 + 120 * kSec);  // 150 USDT above its buy: a win
  EXPECT_EQ(grid_breaker(task(), params_, kT0 + 121 * kSec).losses, 0);
  EXPECT_FALSE(grid_breaker(task(), params_, kT0 + 121 * kSec).tripped);
  // A win before the run does not break it: counted from the newest back.
  round_trip(6177000, 6178000, kT0 + 130 * kSec);
  round_trip(6176000, 6177000, kT0 + 140 * kSec);
  EXPECT_TRUE(grid_breaker(task(), params_, kT0 + 141 * kSec).tripped);
  // With no fee a one-interval round trip wins: the breaker counts fees as the venue does.
  params_.fee_rate_e8 = 0;
  EXPECT_EQ(grid_breaker(task(), params_, kT0 + 141 * kSec).losses, 0);
}

TEST_F(GridTest, CircuitBreaker_CountsOnlySellsThatFilledCompletely) {
  params_.max_consecutive_losses = 2;
  round_trip(6180000, 6181000, kT0 + 100 * kSec);
  // A sell cancelled after a partial fill is not a closed round trip.
  const std::string b = rest(6179000, Side::kBuy, 6179000, 100, kT0 + 101 * kSec);
  fill(b, Side::kBuy, 6179000, 100, ++trade_id_, kT0 + 102 * kSec);
  const std::string s = rest(6179000, Side::kSell, 6180000, 100, kT0 + 103 * kSec);
  fill(s, Side::kSell, 6180000, 40, ++trade_id_, kT0 + 104 * kSec);
  fold(journal::CancelIntent{6179000, s, {}}, kT0 + 105 * kSec);
  fold(journal::OrderCanceled{s, 40, journal::Source::kResponse}, kT0 + 105 * kSec);
  EXPECT_EQ(grid_breaker(task(), params_, kT0 + 106 * kSec).losses, 1);
  EXPECT_FALSE(grid_breaker(task(), params_, kT0 + 106 * kSec).tripped);
  params_.max_consecutive_losses = 0;  // off
  EXPECT_EQ(grid_breaker(task(), params_, kT0 + 106 * kSec).losses, 0);
}

// ---- G6 §6 Order Cleanup -------------------------------------------------------------------

TEST_F(GridTest, OrderCleanup_StaleSellAboveItsLevelsSellIsCancelled) {
  params_.sell_window = 5;
  params_.stale_order_s = 30;
  const std::string b = rest(6183000, Side::kBuy, 6183000, 100);
  fill(b, Side::kBuy, 6183000, 100, 1);
  // Placed when the market was at 61862 (lowest sell 61870); the market is back at 61830:
  // sell window [61840, 61880], the level's sell is now 61840.
  const std::string sell = rest(6183000, Side::kSell, 6187000, 100, kT0);
  EXPECT_TRUE(of(decide(6183000, 6182999, 6183001, kT0 + 29 * kSec), Kind::kCancel, Side::kBuy).empty());
  auto cancels = of(decide(6183000, 6182999, 6183001, kT0 + 30 * kSec), Kind::kCancel, Side::kBuy);
  ASSERT_EQ(cancels.size(), 1u);
  EXPECT_EQ(cancels[0].client_order_id, sell);
  EXPECT_EQ(cancels[0].reason, "stale sell: resting 30 s or more above the grid's sell for its "
                                "level, now 61840.00000000");
  EXPECT_EQ(grid_next_retry_ns(task(), kT0 + 29 * kSec, params_), kT0 + 30 * kSec);
  // Off (the default): the sell stays in its window however old.
  params_.stale_order_s = 0;
  EXPECT_TRUE(of(decide(6183000, 6182999, 6183001, kT0 + 3600 * kSec), Kind::kCancel, Side::kBuy).empty());
}

TEST_F(GridTest, OrderCleanup_AnOrderTheGridWouldPlaceAgainKeepsItsQueuePlace) {
  params_.stale_order_s = 30;
  const std::string b = rest(6183000, Side::kBuy, 6183000, 100);
  fill(b, Side::kBuy, 6183000, 100, 1);
  rest(6183000, Side::kSell, 6184000, 100, kT0);        // at the level's sell
  rest(6182000, Side::kBuy, 6182000, 100, kT0);         // at a level of the window
  EXPECT_TRUE(of(decide(6183000, 6182999, 6183001, kT0 + 3600 * kSec), Kind::kCancel, Side::kBuy).empty());
}

TEST_F(GridTest, OrderCleanup_StaleBuyOffTheLevelsIsCancelled) {
  params_.stale_order_s = 30;
  // An order found on the venue at 61825, inside the buy window [61810, 61830] but on no level.
  const std::string adopted = rest(6182500, Side::kBuy, 6182500, 100, kT0);
  EXPECT_TRUE(of(decide(6183763, 6183762, 6183763, kT0 + 10 * kSec), Kind::kCancel, Side::kBuy).empty());
  auto cancels = of(decide(6183763, 6183762, 6183763, kT0 + 30 * kSec), Kind::kCancel, Side::kBuy);
  ASSERT_EQ(cancels.size(), 1u);
  EXPECT_EQ(cancels[0].client_order_id, adopted);
  EXPECT_EQ(cancels[0].reason, "stale buy: resting 30 s or more off the grid's levels");
}

// ---- G7 §6 Account Safety ------------------------------------------------------------------

TEST_F(GridTest, AccountCheck_BalancesAreVerifiedBeforeStart) {
  params_.account_check = true;
  params_.fee_rate_e8 = 100'000;  // 0.1 %
  // Unknown balances (before the first reconciliation): nothing placed.
  EXPECT_TRUE(decide(6183763, 6183762, 6183763).empty());
  EXPECT_EQ(grid_account_check(params_, task().instrument, balances_, {6183000}),
            "account check: the account's balances are not known yet (before its first "
            "reconciliation)");
  // The opening buys 61830 + 61820 + 61810 of 0.001 BTC: 185.46 USDT + 0.1 % = 185.64546.
  balances_.known = true;
  balances_.quote_total_e8 = 185 * kOne;
  EXPECT_TRUE(decide(6183763, 6183762, 6183763).empty());
  EXPECT_EQ(grid_account_check(params_, task().instrument, balances_, {6183000, 6182000, 6181000}),
            "account check: free USDT 185 does not cover the opening buys (185.64546 with fee_rate)");
  balances_.quote_total_e8 = 186 * kOne;
  EXPECT_EQ(of(decide(6183763, 6183762, 6183763), Kind::kPlace, Side::kBuy).size(), 3u);
  // A buy below the venue's minimum notional fails the check whatever the balance.
  params_.order_qty_lots = 5;  // 0.00005 BTC = 3.09 USDT < 5
  EXPECT_EQ(grid_account_check(params_, task().instrument, balances_, {6183000}),
            "account check: a buy of order_quantity at 61830.00000000 is below the venue's "
            "minimum quantity or notional");
  // Once the task has placed, the check is behind it: a smaller balance does not stop it.
  params_.order_qty_lots = 100;
  rest(6183000, Side::kBuy, 6183000, 100);
  balances_.quote_total_e8 = 0;
  EXPECT_EQ(of(decide(6183763, 6183762, 6183763), Kind::kPlace, Side::kBuy).size(), 2u);
}

TEST(GridStrategy, OpeningOrdersAndBalancesAsBefore) {
  GridParams p;
  p.interval_ticks = 1000;
  p.order_qty_lots = 100;
  p.buy_window = 3;
  auto s = make_grid(p);
  const auto open = s->opening_orders(6183763);
  ASSERT_EQ(open.size(), 3u);
  EXPECT_EQ(open[0].price_ticks, 6183000);
  EXPECT_EQ(open[2].price_ticks, 6181000);
  EXPECT_FALSE(s->reads_balances());
  p.account_check = true;
  EXPECT_TRUE(make_grid(p)->reads_balances());
  // A skew toward a target above the fresh task's empty position lifts the opening buys.
  p.skew_factor_e8 = 300'000;
  p.inventory_target_lots = 300;  // the full window: ratio -1, price x 1.003
  EXPECT_EQ(make_grid(p)->opening_orders(6183763)[0].price_ticks, 6201000);
}

// ---- The memo and the recording ------------------------------------------------------------

// A small venue for the recording: places rest at once, cancels succeed at once, a resting buy
// fills completely on a trade below its price, a sell on a trade above it (1 bp fee in quote).
class RecordingVenue {
 public:
  RecordingVenue(model::State& st, const std::string& task) : st_(st), task_(task) {}
  void fold(journal::Body body, int64_t ts) {
    Record r;
    r.seq = st_.last_seq + 1;
    r.task_id = task_;
    r.ts_exchange_ns = ts;
    r.body = std::move(body);
    model::apply(st_, r);
  }
  void act(const std::vector<IntentSpec>& out, int64_t ts) {
    for (const IntentSpec& s : out) {
      if (s.kind == Kind::kPlace) {
        const std::string cid = make_client_order_id("", task_, st_.last_seq + 1);
        fold(journal::PlaceIntent{s.slot_key, s.side, s.price_ticks, s.qty_lots, cid, {}}, ts);
        fold(journal::OrderAccepted{cid, ++order_id_, journal::Source::kResponse}, ts);
      } else {
        ASSERT_EQ(s.kind, Kind::kCancel);
        const model::Order* o = st_.tasks.at(task_).find_order(s.client_order_id);
        ASSERT_NE(o, nullptr);
        const int64_t filled = o->filled_lots;
        fold(journal::CancelIntent{s.slot_key, s.client_order_id, {}}, ts);
        fold(journal::OrderCanceled{s.client_order_id, filled, journal::Source::kResponse}, ts);
      }
    }
  }
  void trade(int64_t price, int64_t ts) {
    std::vector<std::pair<std::string, const model::Order*>> hit;
    for (const auto& [cid, o] : st_.tasks.at(task_).orders) {
      if (o.phase != model::OrderPhase::kOpen) continue;
      if ((o.side == Side::kBuy && price < o.price_ticks) || (o.side == Side::kSell && price > o.price_ticks)) {
        hit.emplace_back(cid, &o);
      }
    }
    for (const auto& [cid, o] : hit) {
      const Instrument& ins = st_.tasks.at(task_).instrument;
      const int64_t lots = o->qty_lots - o->filled_lots;
      const int64_t fee = fee_e8(ins.notional_e8(o->price_ticks, lots), 10'000);
      fold(journal::OrderFilled{cid, ++trade_id_, o->order_id, o->side, o->price_ticks, lots, fee,
                                "USDT", true, journal::Source::kUserStream}, ts);
    }
  }

 private:
  model::State& st_;
  std::string task_;
  int64_t order_id_ = 0, trade_id_ = 0;
};

struct RecordingTally {
  size_t events = 0, quiet = 0, decided = 0, buys = 0, sells = 0, fills = 0;
  std::set<int64_t> intervals;
  size_t risk = 0, breaker = 0, stale = 0, off_level = 0, skewed = 0, warm_up = 0;
};

// One decision's intents on the recording: tallied, each place post-only, no buy while entries
// are paused, no sell below its level's buy + I.
void check_intents(const std::vector<IntentSpec>& out, const MarketView& v,
                   const model::TaskState& task, const GridParams& p, const GridFrame& f,
                   RecordingTally& t) {
  for (const IntentSpec& s : out) {
    if (s.kind == Kind::kCancel) {
      t.stale += s.reason.rfind("stale ", 0) == 0;
      t.off_level += s.reason.rfind("buy off the grid's levels", 0) == 0;
      continue;
    }
    if (s.side == Side::kBuy) {
      ++t.buys;
      EXPECT_LT(s.price_ticks, v.best_ask_ticks);
      EXPECT_FALSE(f.risk || grid_breaker(task, p, v.ts_exchange_ns).tripped) << s.reason;
    } else {
      ++t.sells;
      EXPECT_GT(s.price_ticks, v.best_bid_ticks);
      EXPECT_GE(s.price_ticks, s.slot_key + f.interval);  // never below its buy + I
    }
  }
}

// Replays the recording: every bookTicker and trade makes a view (with the one-second mid
// bars, as the engine's observe does), decide_grid runs on each, and the venue above folds its
// intents and fills. The memo, asked before every decision, is never quiet when decide_grid
// returns intents; every order is post-only and within max_open_orders.
RecordingTally replay_recording(const GridParams& p) {
  RecordingTally t;
  model::State st;
  Record start;
  start.seq = 1;
  start.task_id = "g";
  start.body = testing_fixture::btcusdt_grid_task();
  model::apply(st, start);
  RecordingVenue venue(st, "g");
  const std::string data = std::string(KEEL_SHARED_DIR) + "/data/binance/spot/";
  auto reader = market::CaptureReader::open({data + "btcusdt_20240808.gz", data + "btcusdt_20240809.gz"});
  EXPECT_TRUE(reader.ok()) << reader.status().message();
  if (!reader.ok()) return t;
  market::MidBars bars;
  market::MarketEvent ev;
  MarketView v;
  v.bars = &bars;
  GridMemo memo;
  while ((*reader)->next(ev).ok()) {
    if (const auto* tr = std::get_if<market::Trade>(&ev.body)) {
      v.last_trade_ticks = tr->price_e8 / 1'000'000;
      v.ts_exchange_ns = std::max(v.ts_exchange_ns, tr->ts_exchange_ns);
      const uint64_t before = st.last_seq;
      venue.trade(v.last_trade_ticks, v.ts_exchange_ns);
      t.fills += st.last_seq - before;
    } else if (const auto* d = std::get_if<market::DepthDiff>(&ev.body)) {
      v.ts_exchange_ns = std::max(v.ts_exchange_ns, d->ts_exchange_ns);
      continue;
    } else if (const auto* b = std::get_if<market::BookTicker>(&ev.body)) {
      v.ts_exchange_ns = std::max(v.ts_exchange_ns, b->ts_exchange_ns);
      v.best_bid_ticks = b->bid_price_e8 / 1'000'000;
      v.best_ask_ticks = (b->ask_price_e8 + 999'999) / 1'000'000;
      bars.on_mid(v.ts_exchange_ns, (b->bid_price_e8 + b->ask_price_e8) / 2);
    } else {
      continue;
    }
    if (!v.ready()) continue;
    ++t.events;
    const model::TaskState& task = st.tasks.at("g");
    const bool quiet = memo.still_quiet(v, p, st.last_seq);
    std::vector<IntentSpec> out;
    decide_grid(v, task, p, out);
    const GridFrame f = grid_frame(v, p, grid_inventory_dev_e8(task, p), task.instrument.step_e8);
    if (!f.warm) ++t.warm_up;
    if (f.warm) t.intervals.insert(f.interval);
    if (f.risk) ++t.risk;
    if (grid_breaker(task, p, v.ts_exchange_ns).tripped) ++t.breaker;
    if (f.warm && f.price != v.last_trade_ticks) ++t.skewed;
    if (quiet) {
      ++t.quiet;
      EXPECT_TRUE(out.empty()) << "the memo hid a decision at " << v.ts_exchange_ns << ": "
                               << out.front().reason;
      if (!out.empty()) return t;
    }
    if (out.empty()) {
      memo.quiet(v, task, p, st.last_seq);
      continue;
    }
    memo.forget();
    ++t.decided;
    check_intents(out, v, task, p, f, t);
    venue.act(out, v.ts_exchange_ns);
    size_t working = 0;
    for (const auto& [cid, o] : st.tasks.at("g").orders) working += o.working() ? 1 : 0;
    EXPECT_LE(working, p.max_open_orders);
  }
  return t;
}

GridParams recording_params() {
  GridParams p;
  p.interval_ticks = 500;     // 5 USDT (config/paper-btcusdt-grid.yaml)
  p.order_qty_lots = 200;     // 0.002 BTC
  p.max_open_orders = 20;
  return p;
}

TEST(GridRecording, MemoNeverHidesADecision) {
  const RecordingTally t = replay_recording(recording_params());
  EXPECT_GT(t.events, 10'000u);
  EXPECT_GT(t.quiet, t.events / 2);  // most events change nothing the grid reads
  EXPECT_GT(t.decided, 100u);
  EXPECT_GT(t.fills, 10u);
  EXPECT_EQ(t.intervals, (std::set<int64_t>{500}));
  EXPECT_EQ(t.risk + t.breaker + t.stale + t.off_level + t.skewed + t.warm_up, 0u);
}

// The features of config/paper-btcusdt-grid-atr.yaml.
GridParams atr_config_params() {
  GridParams p = recording_params();
  p.dynamic_interval = true;
  p.baseline_atr_e8 = 20 * kOne;
  p.atr_period_s = 10;
  p.atr_periods = 6;
  p.interval_step_ticks = 100;          // 1 USDT
  p.skew_factor_e8 = 10'000;            // 0.0001
  p.risk_atr_ratio_e8 = 2 * kOne;       // ATR >= 40 USDT
  p.max_consecutive_losses = 3;
  p.breaker_cooldown_s = 60;
  p.fee_rate_e8 = 10'000;              // 1 bp, the simulated venue's
  p.stale_order_s = 30;
  return p;
}

// config/paper-btcusdt-grid-atr.yaml's features on the recording: each of them acts, and the
// memo (its key with the interval, the ATR, the risk flag and the skewed center; its time window
// with the stale and breaker deadlines) never hides a decision.
TEST(GridRecording, MemoNeverHidesADecisionWithEveryFeatureOn) {
  const RecordingTally t = replay_recording(atr_config_params());
  EXPECT_GT(t.quiet, t.events / 2);
  EXPECT_GT(t.decided, 100u);
  EXPECT_GT(t.warm_up, 0u);             // the first 61-70 s
  EXPECT_GE(t.intervals.size(), 5u);    // the interval followed the ATR
  EXPECT_GT(t.off_level, 0u);           // ... and re-gridded the buys
  EXPECT_GT(t.risk, 0u);                // the fast move at 23:57:52 triggers the monitor
  EXPECT_GT(t.breaker, 0u);             // one-interval round trips lose their fees
  EXPECT_GT(t.skewed, 0u);
  EXPECT_GT(t.buys, 0u);
  EXPECT_GT(t.sells, 0u);
}

// The order clean-up on the recording: a shrinking interval strands sells above their level's
// new sell, and the clean-up re-prices them; the memo's window ends at each order's deadline.
TEST(GridRecording, MemoNeverHidesADecisionWithTheOrderCleanup) {
  GridParams p = recording_params();
  p.dynamic_interval = true;
  p.baseline_atr_e8 = 20 * kOne;
  p.interval_step_ticks = 100;
  p.stale_order_s = 20;
  const RecordingTally t = replay_recording(p);
  EXPECT_GT(t.quiet, t.events / 2);
  EXPECT_GT(t.stale, 0u);
  EXPECT_GT(t.sells, 10u);
}

}  // namespace
}  // namespace keel::strategy
