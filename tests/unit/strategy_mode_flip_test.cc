// mode_flip decisions against seed 002's rules (keel/strategy/mode_flip.h: M1-M9), on hand-made
// books with expected values worked out by hand, and on the recorded BTCUSDT data.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "fixture_btcusdt.h"
#include "keel/core/ids.h"
#include "keel/market/bars.h"
#include "keel/market/capture.h"
#include "keel/market/order_book.h"
#include "keel/model/state.h"
#include "keel/strategy/mode_flip.h"

namespace keel::strategy {
namespace {

using journal::Record;
using Kind = IntentSpec::Kind;
constexpr int64_t kOne = 100'000'000;
constexpr int64_t kSec = 1'000'000'000;

// BTCUSDT: tick 0.01, step 0.00001. The book: 59999.99 / 60000.01, mid 60000.00 = 6'000'000
// ticks. The account: 10000 USDT free.
class FlipTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ts = testing_fixture::btcusdt_grid_task();
    ts.strategy = "mode_flip";
    fold(ts);
    p_.buy_spread_e8 = kOne / 1000;   // 10 bps
    p_.sell_spread_e8 = kOne / 1000;  // 10 bps
    p_.spread_sigma_mult_e8 = 0;
    p_.sigma_window_s = 2;
    p_.sigma_horizon_s = 1;
    p_.balance_fraction_e8 = kOne / 10;
    p_.maker_fee_e8 = kOne / 1000;    // 10 bps
    p_.reuse_threshold_bps_e8 = 5 * kOne;
    p_.refresh_interval_s = 60;
    p_.stale_after_ms = 5'000;
    p_.replace_with = FlipReplace::kAmend;
  }
  void fold(journal::Body body, int64_t ts_ns = 0) {
    Record r;
    r.seq = state_.last_seq + 1;
    r.task_id = "mf";
    r.ts_exchange_ns = ts_ns;
    r.body = std::move(body);
    model::apply(state_, r);
  }
  const model::TaskState& task() { return state_.tasks.at("mf"); }
  MarketView view(int64_t bid = 5'999'999, int64_t ask = 6'000'001, int64_t ts_ns = 100 * kSec) {
    MarketView v{bid, ask, bid, ts_ns};
    v.ts_book_ns = ts_ns;
    v.bars = &bars_;
    v.balances.known = true;
    v.balances.quote_total_e8 = 10'000 * kOne;
    // As the engine counts them: the task's working buys lock their remaining notional.
    for (const auto& [cid, o] : task().orders) {
      if (o.working() && o.side == Side::kBuy) {
        v.balances.quote_locked_e8 += task().instrument.notional_e8(o.price_ticks, o.qty_lots - o.filled_lots);
      }
    }
    return v;
  }
  // The view at mid + `bps` (integer ticks, the book one tick each side of the new mid).
  MarketView moved(double bps, int64_t ts_ns = 100 * kSec) {
    const auto mid = static_cast<int64_t>(std::llround(6'000'000 * (1 + bps / 1e4)));
    return view(mid - 1, mid + 1, ts_ns);
  }
  std::vector<IntentSpec> decide(const MarketView& v) {
    std::vector<IntentSpec> out;
    decide_mode_flip(v, task(), p_, out);
    return out;
  }
  std::vector<IntentSpec> decide() { return decide(view()); }
  std::string rest(int64_t key, Side side, int64_t price, int64_t qty, int64_t ts_ns = 0) {
    const std::string cid = make_client_order_id("", "mf", state_.last_seq + 1);
    fold(journal::PlaceIntent{key, side, price, qty, cid, {}}, ts_ns);
    fold(journal::OrderAccepted{cid, ++order_id_, journal::Source::kResponse}, ts_ns);
    return cid;
  }
  void fill(const std::string& cid, Side side, int64_t price, int64_t qty) {
    fold(journal::OrderFilled{cid, ++trade_id_, order_id_, side, price, qty, 0, "USDT", true,
                              journal::Source::kUserStream});
  }
  // The task holds `lots` bought at 60000.00 (through slot 9, closed at once).
  void hold(int64_t lots) {
    const std::string cid = rest(9, Side::kBuy, 6'000'000, lots);
    fill(cid, Side::kBuy, 6'000'000, lots);
  }
  model::State state_;
  ModeFlipParams p_;
  market::MidBars bars_;
  int64_t order_id_ = 0, trade_id_ = 0;
};

// ---- M1: the mode from the task's holdings ---------------------------------------------------

TEST_F(FlipTest, StartsInBuyModeWithoutAPosition) {
  auto out = decide();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, Kind::kPlace);
  EXPECT_EQ(out[0].side, Side::kBuy);
  EXPECT_EQ(out[0].slot_key, kModeFlipSlot);
  EXPECT_EQ(out[0].price_ticks, 5'994'000);  // 60000 x (1 - 0.001)
  EXPECT_EQ(out[0].qty_lots, 1668);          // 0.1 x 10000 / 59940 = 0.016683 BTC
  EXPECT_NE(out[0].reason.find("BUY mode"), std::string::npos);
}

TEST_F(FlipTest, StartingModeFromTheTasksHoldings) {
  hold(1000);  // 0.01 BTC at 60000
  auto out = decide();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].side, Side::kSell);
  EXPECT_EQ(out[0].qty_lots, 1000);
  // max(60000 x 1.001 = 60060, break-even 60000 x 1.001 / 0.999 = 60120.1201) -> 60120.13
  EXPECT_EQ(out[0].price_ticks, 6'012'013);
}

TEST_F(FlipTest, BaseTheAccountHeldBeforeTheTaskIsNotSold) {
  MarketView v = view();
  v.balances.base_total_e8 = kOne;  // 1 BTC on the account, none of it the task's
  auto out = decide(v);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].side, Side::kBuy);
}

TEST_F(FlipTest, DustBelowTheMinimumStaysInBuyMode) {
  hold(5);  // 0.00005 BTC = 3 USDT < 5 USDT minimum notional
  auto out = decide();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].side, Side::kBuy);
}

// ---- M2: flip on fill ----------------------------------------------------------------------

TEST_F(FlipTest, FlipOnFill) {
  const std::string buy = rest(kModeFlipSlot, Side::kBuy, 5'994'000, 1668);
  EXPECT_TRUE(decide().empty());  // the working buy is the wanted one
  fill(buy, Side::kBuy, 5'994'000, 1668);
  auto out = decide();  // a filled buy -> SELL mode: the whole position
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, Kind::kPlace);
  EXPECT_EQ(out[0].side, Side::kSell);
  EXPECT_EQ(out[0].qty_lots, 1668);
  // mid x 1.001 = 60060.00; break-even 59940 x 1.001 / 0.999 = 60060.00 as well.
  EXPECT_EQ(out[0].price_ticks, 6'006'000);
  const std::string sell = rest(kModeFlipSlot, Side::kSell, out[0].price_ticks, 1668);
  fill(sell, Side::kSell, out[0].price_ticks, 1668);
  out = decide();  // a filled sell -> BUY mode
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].side, Side::kBuy);
}

TEST_F(FlipTest, PartialBuyFillToASellablePositionFlips) {
  const std::string buy = rest(kModeFlipSlot, Side::kBuy, 5'994'000, 1668);
  fill(buy, Side::kBuy, 5'994'000, 5);  // 3 USDT: not sellable yet, the buy keeps working
  EXPECT_TRUE(decide().empty());
  fill(buy, Side::kBuy, 5'994'000, 995);  // 0.01 BTC: sellable -> SELL, the rest is cancelled
  auto out = decide();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, Kind::kCancel);
  EXPECT_EQ(out[0].client_order_id, buy);
  EXPECT_NE(out[0].reason.find("mode is SELL"), std::string::npos);
}

TEST_F(FlipTest, PartialSellDownToDustEndsTheCycle) {
  hold(1000);
  const std::string sell = rest(kModeFlipSlot, Side::kSell, 6'012'013, 1000);
  fill(sell, Side::kSell, 6'012'013, 996);  // 4 lots left = 2.4 USDT: dust
  auto out = decide();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, Kind::kCancel);
  EXPECT_NE(out[0].reason.find("mode is BUY"), std::string::npos);
}

// ---- M3: spreads that grow with sigma ------------------------------------------------------

TEST_F(FlipTest, SpreadsGrowWithSigma) {
  p_.spread_sigma_mult_e8 = 2 * kOne;
  p_.sigma_horizon_s = 4;  // sqrt 4 = 2: spread = 0.001 + 4 sigma
  EXPECT_TRUE(decide().empty());  // no bars: sigma unknown, no quote (warm-up)
  const FlipWant w = mode_flip_want(view(), task(), p_, 0, 0);
  EXPECT_NE(w.why.find("warm-up"), std::string::npos);
  // Calm: three flat bars, sigma 0: the configured spread.
  for (int64_t s = 1; s <= 3; ++s) bars_.on_mid(s * kSec, 6'000'000'000'000);
  auto out = decide();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].price_ticks, 5'994'000);
  // Fast: mids 60000, 60030, 60000 (returns +5 bps and -5 bps): sigma = 7.07 bps, spread
  // 0.001 + 4 x 0.000707 = 38.3 bps: the buy moves to 60000 x (1 - 0.00383) = 59770.
  bars_ = market::MidBars();
  bars_.on_mid(1 * kSec, 6'000'000'000'000);
  bars_.on_mid(2 * kSec, 6'003'000'000'000);
  bars_.on_mid(3 * kSec, 6'000'000'000'000);
  out = decide();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_NEAR(static_cast<double>(out[0].price_ticks), 5'977'030.0, 30.0);
  EXPECT_LT(out[0].price_ticks, 5'994'000);
}

// ---- M4, M5: price and size ----------------------------------------------------------------

TEST_F(FlipTest, SellNeverBelowThePositionsCostPlusFees) {
  hold(1000);  // cost 60000; break-even 60120.13
  auto out = decide(moved(-100));  // market 1 % lower: mid x 1.001 = 59460, far below cost
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].price_ticks, 6'012'013);
  out = decide(moved(+100));  // market 1 % higher: mid 60600 x 1.001 = 60660.60
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].price_ticks, 6'066'060);
}

TEST_F(FlipTest, BalanceFractionSizesTheBuy) {
  p_.balance_fraction_e8 = kOne / 2;  // 5000 USDT / 59940 = 0.083416 BTC
  EXPECT_EQ(decide()[0].qty_lots, 8341);
  MarketView v = view();
  v.balances.quote_locked_e8 = 4'000 * kOne;  // another task locks 4000: 3000 / 59940
  EXPECT_EQ(decide(v)[0].qty_lots, 5005);
  // The buy being replaced frees what it locks: it counts as available.
  const FlipWant w = mode_flip_want(v, task(), p_, 0, 4'000 * kOne);
  EXPECT_EQ(w.qty_lots, 8341);
}

TEST_F(FlipTest, NoOrderBelowTheMinimumNotional) {
  MarketView v = view();
  v.balances.quote_total_e8 = 40 * kOne;  // 0.1 x 40 = 4 USDT < 5
  EXPECT_TRUE(decide(v).empty());
  EXPECT_NE(mode_flip_want(v, task(), p_, 0, 0).why.find("minimum"), std::string::npos);
  v.balances.known = false;  // before the account's baseline: no buy
  EXPECT_TRUE(decide(v).empty());
}

// ---- M6, M7: reuse and refresh -------------------------------------------------------------

TEST_F(FlipTest, OrderReuseWhilePriceMovedLessThanReuseThreshold) {
  const std::string buy = rest(kModeFlipSlot, Side::kBuy, 5'994'000, 1668, 90 * kSec);
  EXPECT_TRUE(decide(moved(4.9)).empty());  // wanted 59969.37, 4.9 bps away: reused
  auto out = decide(moved(5.5));              // 5.5 bps away: replaced in one amend
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, Kind::kAmend);
  EXPECT_EQ(out[0].client_order_id, buy);
  EXPECT_EQ(out[0].price_ticks, 5'997'296);  // 60033.00 x 0.999 = 59972.967 -> 59972.96
  EXPECT_NE(out[0].reason.find("reuse_threshold_bps"), std::string::npos);
}

TEST_F(FlipTest, RefreshIntervalReplacesAnOldOrder) {
  rest(kModeFlipSlot, Side::kBuy, 5'994'000, 1668, 100 * kSec);  // placed at 100 s
  EXPECT_TRUE(decide(moved(2, 159 * kSec)).empty());  // 59 s old, 2 bps: reused
  auto out = decide(moved(2, 160 * kSec));            // 60 s old: repriced
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, Kind::kAmend);
  EXPECT_EQ(out[0].price_ticks, 5'995'198);  // 60012.00 x 0.999 = 59951.988 -> 59951.98
  EXPECT_NE(out[0].reason.find("refresh_interval_s"), std::string::npos);
  // The replacement, journaled at 160 s, starts its own refresh interval.
  const std::string old = task().slots.at(kModeFlipSlot).current_cid;
  const std::string repl = make_client_order_id("", "mf", state_.last_seq + 1);
  fold(journal::AmendIntent{kModeFlipSlot, old, repl, out[0].price_ticks, out[0].qty_lots, {},
                            Side::kBuy, {}},
       160 * kSec);
  fold(journal::OrderCanceled{old, 0, journal::Source::kResponse}, 160 * kSec);
  fold(journal::OrderAccepted{repl, ++order_id_, journal::Source::kResponse}, 160 * kSec);
  EXPECT_TRUE(decide(moved(4, 219 * kSec)).empty());  // 59 s old, 2 bps from it: reused
  EXPECT_EQ(decide(moved(4, 220 * kSec)).size(), 1u);  // 60 s old: repriced again
  // An old order already at the wanted price is kept: a replace would only lose its place in
  // the queue.
  EXPECT_TRUE(decide(moved(2, 500 * kSec)).empty());
}

TEST_F(FlipTest, ReplaceWithCancelThenPlace) {
  p_.replace_with = FlipReplace::kCancel;
  const std::string buy = rest(kModeFlipSlot, Side::kBuy, 5'994'000, 1668);
  auto out = decide(moved(10));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, Kind::kCancel);
  fold(journal::CancelIntent{kModeFlipSlot, buy, {}});
  EXPECT_TRUE(decide(moved(10)).empty());  // the cancel's outcome is unknown (R1)
  fold(journal::OrderCanceled{buy, 0, journal::Source::kResponse});
  out = decide(moved(10));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, Kind::kPlace);
  EXPECT_EQ(out[0].price_ticks, 5'999'994);  // 60060.00 x 0.999 = 59999.94
}

// ---- M8: clean-up of lingering orders at start ---------------------------------------------

TEST_F(FlipTest, CleanUpOfLingeringOrdersAtStart) {
  // The venue holds a sell of this task's (adopted at start into the slot) while the task holds
  // nothing: it is not the task's to sell: cancelled.
  const std::string cid = make_client_order_id("", "mf", 77);
  fold(journal::OrderAdopted{kModeFlipSlot, cid, 5, Side::kSell, 6'010'000, 100, true, 0});
  auto out = decide();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, Kind::kCancel);
  EXPECT_EQ(out[0].client_order_id, cid);
  EXPECT_NE(out[0].reason.find("adopted"), std::string::npos);
}

TEST_F(FlipTest, AnAdoptedOrderThatIsWhatTheModeWantsIsReused) {
  const std::string a = make_client_order_id("", "mf", 77);
  fold(journal::OrderAdopted{kModeFlipSlot, a, 5, Side::kBuy, 5'994'000, 1668, true, 0}, 90 * kSec);
  EXPECT_TRUE(decide().empty());
  // A second adopted order is a stray: the engine cancels strays (add_stray_cancels) and a
  // second cancel of one order would halt the task, so decide leaves it to the engine.
  const std::string b = make_client_order_id("", "mf", 78);
  fold(journal::OrderAdopted{kModeFlipSlot, b, 6, Side::kBuy, 5'990'000, 100, true, 0});
  ASSERT_EQ(task().strays().size(), 1u);
  EXPECT_TRUE(decide().empty());
  // An order current in another slot (a journal of an older layout) is cancelled.
  const std::string c = rest(7, Side::kBuy, 5'900'000, 100);
  auto out = decide();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].client_order_id, c);
}

// ---- M9: stale market data -----------------------------------------------------------------

TEST_F(FlipTest, NoQuotingOnStaleMarketData) {
  MarketView v = view();
  v.ts_book_ns = v.ts_exchange_ns - 5'001'000'000;  // the best bid/ask unchanged for 5.001 s
  EXPECT_TRUE(decide(v).empty());
  v.ts_book_ns = v.ts_exchange_ns - 5'000'000'000;  // 5 s: not stale yet
  EXPECT_EQ(decide(v).size(), 1u);
  // A working order is held, neither repriced nor refreshed...
  const std::string buy = rest(kModeFlipSlot, Side::kBuy, 5'900'000, 1668);
  MarketView old = moved(10, 500 * kSec);
  old.ts_book_ns = 490 * kSec;
  EXPECT_TRUE(decide(old).empty());
  // ...but a fill that flips the mode still cancels it (no price involved).
  fill(buy, Side::kBuy, 5'900'000, 1000);
  auto out = decide(old);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, Kind::kCancel);
}

// ---- Every strategy's rules ----------------------------------------------------------------

TEST_F(FlipTest, PostOnlyBuyBelowBestAskSellAboveBestBid) {
  p_.buy_spread_e8 = 0;
  auto out = decide(view(5'999'999, 6'000'000));  // mid 59999.995: floor 59999.99 < ask
  ASSERT_EQ(out.size(), 1u);
  EXPECT_LT(out[0].price_ticks, 6'000'000);
  hold(1000);
  p_.sell_spread_e8 = 0;
  p_.maker_fee_e8 = 0;
  out = decide(view(6'100'000, 6'100'001));  // cost far below the market: sell just above bid
  ASSERT_EQ(out.size(), 1u);
  EXPECT_GT(out[0].price_ticks, 6'100'000);
}

TEST_F(FlipTest, PostOnlyAlsoAgainstTheDepthBook) {
  // The depth book is ahead of the bookTicker: its best ask 59999.00 is below the ticker's bid.
  // The venue matches against the fresher one, so the buy must stay under it too.
  market::OrderBook book;
  book.on_snapshot({1, {{5'999'800'000'000, kOne}}, {{5'999'900'000'000, kOne}}});
  ASSERT_TRUE(book.synced());
  p_.buy_spread_e8 = 0;
  MarketView v = view();
  v.book = &book;
  auto out = decide(v);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].price_ticks, 5'999'899);
}

TEST_F(FlipTest, NothingWhenNotReadyOrHalted) {
  MarketView v = view();
  v.best_ask_ticks = 0;
  EXPECT_TRUE(decide(v).empty());
  const std::string cid = rest(kModeFlipSlot, Side::kBuy, 5'994'000, 100);
  fill(cid, Side::kBuy, 5'994'000, 100);
  fill(cid, Side::kBuy, 5'994'000, 1);  // overfill: R3 halts the task
  ASSERT_FALSE(task().halted.empty());
  EXPECT_TRUE(decide().empty());
}

TEST_F(FlipTest, InFlightOrCancelPendingOrdersAreLeftAlone) {
  const MarketView far = moved(50);
  const std::string cid = make_client_order_id("", "mf", state_.last_seq + 1);
  fold(journal::PlaceIntent{kModeFlipSlot, Side::kBuy, 5'994'000, 1668, cid, {}});
  EXPECT_TRUE(decide(far).empty());
  fold(journal::OrderAccepted{cid, ++order_id_, journal::Source::kResponse});
  fold(journal::CancelIntent{kModeFlipSlot, cid, {}});
  EXPECT_TRUE(decide(far).empty());
  fold(journal::CancelRejected{cid, -2011, "Unknown order sent."});
  EXPECT_TRUE(decide(far).empty());
}

TEST_F(FlipTest, RejectedSlotWaitsBeforePlacingAgain) {
  const std::string cid = make_client_order_id("", "mf", state_.last_seq + 1);
  fold(journal::PlaceIntent{kModeFlipSlot, Side::kBuy, 5'994'000, 1668, cid, {}}, 99 * kSec);
  fold(journal::OrderRejected{cid, -2010, "Order would immediately match and take.",
                              journal::Source::kResponse},
       99 * kSec + 500'000'000);
  EXPECT_TRUE(decide(view(5'999'999, 6'000'001, 100 * kSec)).empty());
  EXPECT_EQ(decide(view(5'999'999, 6'000'001, 100 * kSec + 500'000'000)).size(), 1u);
}

// ---- The recording ---------------------------------------------------------------------------

// Replays the BTCUSDT recording and, at every 50th book change, decides for a task in BUY mode
// and one holding 0.01 BTC bought at 61800: one order at most, post-only against the book of
// that instant, the sell never below the position's break-even, sizes from the balances.
TEST_F(FlipTest, DecidesWithinItsRulesOnTheRecording) {
  const std::string data = std::string(KEEL_SHARED_DIR) + "/data/binance/spot/";
  auto reader = market::CaptureReader::open({data + "btcusdt_20240808.gz", data + "btcusdt_20240809.gz"});
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  p_.spread_sigma_mult_e8 = kOne;
  p_.sigma_window_s = 60;
  p_.sigma_horizon_s = 60;
  model::State buying = state_;
  const std::string cid = rest(9, Side::kBuy, 6'180'000, 1000);
  fill(cid, Side::kBuy, 6'180'000, 1000);
  const int64_t break_even = 6'192'373;  // 61800 x 1.001 / 0.999 = 61923.72..., ceil
  market::MidBars bars;
  market::MarketEvent ev;
  MarketView v = view();
  v.bars = &bars;
  v.ts_exchange_ns = 0;
  int64_t changes = 0, buys = 0, sells = 0, at_break_even = 0;
  while ((*reader)->next(ev).ok()) {
    if (const auto* t = std::get_if<market::Trade>(&ev.body)) {
      v.last_trade_ticks = t->price_e8 / 1'000'000;
      v.ts_exchange_ns = std::max(v.ts_exchange_ns, t->ts_exchange_ns);
    } else if (const auto* d = std::get_if<market::DepthDiff>(&ev.body)) {
      v.ts_exchange_ns = std::max(v.ts_exchange_ns, d->ts_exchange_ns);
    } else if (const auto* b = std::get_if<market::BookTicker>(&ev.body)) {
      v.best_bid_ticks = b->bid_price_e8 / 1'000'000;
      v.best_ask_ticks = b->ask_price_e8 / 1'000'000;
      v.ts_book_ns = v.ts_exchange_ns;
      bars.on_mid(v.ts_exchange_ns, (b->bid_price_e8 + b->ask_price_e8) / 2);
      if (++changes % 50 != 0 || !v.ready()) continue;
      for (const model::State* st : {&buying, &state_}) {
        std::vector<IntentSpec> out;
        decide_mode_flip(v, st->tasks.at("mf"), p_, out);
        if (bars.bars().size() <= 60) {
          EXPECT_TRUE(out.empty());  // warm-up: the spreads need sigma
          continue;
        }
        ASSERT_EQ(out.size(), 1u);
        const IntentSpec& s = out[0];
        ASSERT_EQ(s.kind, Kind::kPlace);
        if (st == &buying) {
          ++buys;
          ASSERT_EQ(s.side, Side::kBuy);
          EXPECT_LT(s.price_ticks, v.best_ask_ticks);
          EXPECT_LE(task().instrument.notional_e8(s.price_ticks, s.qty_lots), 1'000 * kOne);
        } else {
          ++sells;
          ASSERT_EQ(s.side, Side::kSell);
          EXPECT_EQ(s.qty_lots, 1000);
          EXPECT_GT(s.price_ticks, v.best_bid_ticks);
          EXPECT_GE(s.price_ticks, break_even);
          at_break_even += s.price_ticks == break_even ? 1 : 0;
        }
      }
    }
  }
  EXPECT_GT(buys, 500);
  EXPECT_EQ(sells, buys);
  EXPECT_GT(at_break_even, 0);  // the market went below the position's cost: the floor held
}

}  // namespace
}  // namespace keel::strategy
