// avellaneda_stoikov decisions against seed 004's rules (keel/strategy/avellaneda_stoikov.h:
// Q1, Q2, S1-S3, R1-R3, X1), on hand-made books with expected values worked out by hand, and on
// the recorded BTCUSDT data.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "fixture_btcusdt.h"
#include "keel/core/ids.h"
#include "keel/market/bars.h"
#include "keel/market/capture.h"
#include "keel/market/order_book.h"
#include "keel/model/state.h"
#include "keel/strategy/avellaneda_stoikov.h"

namespace keel::strategy {
namespace {

using journal::Record;
using Kind = IntentSpec::Kind;
constexpr int64_t kOne = 100'000'000;

// BTCUSDT: tick 0.01, step 0.00001 (1 lot = 0.00001 BTC). The book: 59999.99 / 60000.01, mid
// 60000.00 = 6'000'000 ticks.
class AsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ts = testing_fixture::btcusdt_grid_task();
    ts.strategy = "avellaneda_stoikov";
    fold(ts);
    p_.base_spread_e8 = kOne / 1000;        // 0.001 = 10 bps
    p_.alpha_e8 = 0;
    p_.beta_e8 = 0;
    p_.funding_rate_e8 = 0;
    p_.k_relative_e8 = kOne / 1000;         // K = 0.001
    p_.sigma_window_s = 2;
    p_.sigma_horizon_s = 1;
    p_.quote_notional_cap_e8 = 600 * kOne;  // 0.01 BTC = 1000 lots at 60000
    p_.max_order_size_lots = 2000;          // 0.02 BTC
    p_.inventory_sensitivity_e8 = kOne / 2;
    p_.max_net_position_e8 = 1000 * kOne;
    p_.max_open_orders = 2;
    p_.replace_threshold_bps_e8 = 2 * kOne;
    p_.min_size_change_e8 = kOne / 10;
    flat_bars(6'000'000);
  }
  // Three one-second bars at a constant mid: sigma is known and 0.
  void flat_bars(int64_t mid_ticks) {
    bars_ = market::MidBars();
    for (int s = 1; s <= 3; ++s) bars_.on_mid(s * 1'000'000'000LL, mid_ticks * 1'000'000);
  }
  void fold(journal::Body body, int64_t ts_ns = 0) {
    Record r;
    r.seq = state_.last_seq + 1;
    r.task_id = "as";
    r.ts_exchange_ns = ts_ns;
    r.body = std::move(body);
    model::apply(state_, r);
  }
  const model::TaskState& task() { return state_.tasks.at("as"); }
  MarketView view(int64_t bid = 5'999'999, int64_t ask = 6'000'001, int64_t ts_ns = 10'000'000'000) {
    MarketView v{bid, ask, bid, ts_ns};
    v.ts_book_ns = ts_ns;
    v.bars = &bars_;
    return v;
  }
  std::vector<IntentSpec> decide(const MarketView& v) {
    std::vector<IntentSpec> out;
    decide_avellaneda_stoikov(v, task(), p_, out);
    return out;
  }
  std::vector<IntentSpec> decide() { return decide(view()); }
  AsQuote quote(const MarketView& v) { return avellaneda_stoikov_quote(v, task(), p_, 0); }
  // Journals a place + ack in `key`, returns its client order id.
  std::string rest(int64_t key, Side side, int64_t price, int64_t qty, int64_t ts_ns = 0) {
    const std::string cid = make_client_order_id("", "as", state_.last_seq + 1);
    fold(journal::PlaceIntent{key, side, price, qty, cid, {}}, ts_ns);
    fold(journal::OrderAccepted{cid, ++order_id_, journal::Source::kResponse}, ts_ns);
    return cid;
  }
  void fill(const std::string& cid, Side side, int64_t price, int64_t qty) {
    fold(journal::OrderFilled{cid, ++trade_id_, order_id_, side, price, qty, 0, "USDT", true,
                              journal::Source::kUserStream});
  }
  // The task buys `lots` at 60000.00: a position of lots x 0.00001 BTC. Through a slot of its
  // own (key 9), so that a test may keep an order working in the bid slot meanwhile.
  void hold(int64_t lots) {
    const std::string cid = rest(9, Side::kBuy, 6'000'000, lots);
    fill(cid, Side::kBuy, 6'000'000, lots);
  }
  static const IntentSpec* find(const std::vector<IntentSpec>& out, Kind kind, int64_t key) {
    for (const auto& s : out) {
      if (s.kind == kind && s.slot_key == key) return &s;
    }
    return nullptr;
  }
  model::State state_;
  AvellanedaStoikovParams p_;
  market::MidBars bars_;
  int64_t order_id_ = 0, trade_id_ = 0;
};

// ---- Q1: reservation price shifted by relative inventory --------------------------------------

TEST_F(AsTest, ReservationPriceIsMidWithoutInventory) {
  const AsQuote q = quote(view());
  ASSERT_TRUE(q.ok) << q.why;
  EXPECT_DOUBLE_EQ(q.fair_ticks, 6'000'000.0);
  // h = 0.001: bid 60000 x 0.999 = 59940.00, floored.
  EXPECT_EQ(q.bid.price_ticks, 5'994'000);
}

TEST_F(AsTest, ReservationPriceShiftsAgainstRelativeInventory) {
  hold(1000);  // 0.01 BTC = 600 USDT at mid: q = 600 / 1000 = 0.6
  const AsQuote q = quote(view());
  ASSERT_TRUE(q.ok) << q.why;
  EXPECT_NEAR(q.q, 0.6, 1e-12);
  // fair = 60000 x (1 - 0.001 x 0.6) = 59964.00: a long position lowers both quotes.
  EXPECT_NEAR(q.fair_ticks, 5'996'400.0, 1e-6);
  EXPECT_EQ(q.bid.price_ticks, 5'990'403);  // 59964 x 0.999 = 59904.036 -> 59904.03
  EXPECT_EQ(q.ask.price_ticks, 6'002'397);  // 59964 x 1.001 = 60023.964 -> 60023.97
}

TEST_F(AsTest, InventoryRatioIsClampedAtTheCap) {
  p_.max_net_position_e8 = 300 * kOne;
  hold(1000);  // 600 USDT against a 300 USDT cap: q = 2, clamped to 1
  const AsQuote q = quote(view());
  EXPECT_DOUBLE_EQ(q.q, 1.0);
  EXPECT_NEAR(q.fair_ticks, 5'994'000.0, 1e-6);  // 60000 x (1 - 0.001)
}

// ---- Q2: half spread = base_spread + alpha x sigma + beta x funding / 3, symmetric ----------

TEST_F(AsTest, HalfSpreadIsBaseSpreadPlusAlphaSigmaPlusBetaFundingOverThree) {
  // Funding: beta 3 x 0.0003 / 3 = 0.0003 on top of the base 0.001.
  p_.beta_e8 = 3 * kOne;
  p_.funding_rate_e8 = 30'000;
  AsQuote q = quote(view());
  EXPECT_NEAR(q.half_spread, 0.0013, 1e-12);
  EXPECT_EQ(q.bid.price_ticks, 5'992'200);  // 60000 x 0.9987 = 59922.00
  // Sigma: mids 60000, 60006, 60000 -> returns +1e-4 and -1/10001; alpha 2, horizon 4 s
  // (sqrt 4 = 2): alpha x sigma x 2 = 4 sigma.
  bars_ = market::MidBars();
  for (int64_t s = 1; s <= 3; ++s) {
    bars_.on_mid(s * 1'000'000'000LL, (s == 2 ? 6'000'600LL : 6'000'000LL) * 1'000'000);
  }
  const double r1 = 1e-4, r2 = 60000.0 / 60006.0 - 1, m = (r1 + r2) / 2;
  const double sigma = std::sqrt((r1 - m) * (r1 - m) + (r2 - m) * (r2 - m));  // n - 1 = 1
  ASSERT_NEAR(static_cast<double>(bars_.sigma_e8(2)) / 1e8, sigma, 1e-8);
  p_.alpha_e8 = 2 * kOne;
  p_.sigma_horizon_s = 4;
  q = quote(view());
  EXPECT_NEAR(q.half_spread, 0.0013 + 4 * static_cast<double>(bars_.sigma_e8(2)) / 1e8, 1e-12);
}

TEST_F(AsTest, QuotesAreSymmetricAroundTheFairPrice) {
  hold(1000);
  p_.base_spread_e8 = 25'000;  // 2.5 bps
  const AsQuote q = quote(view(5'990'000, 6'010'000));  // a wide book: no post-only clamp
  const double below = q.fair_ticks - static_cast<double>(q.bid.price_ticks);
  const double above = static_cast<double>(q.ask.price_ticks) - q.fair_ticks;
  EXPECT_NEAR(below, q.fair_ticks * q.half_spread, 1.0);  // within the rounding tick
  EXPECT_NEAR(above, q.fair_ticks * q.half_spread, 1.0);
}

TEST_F(AsTest, HalfSpreadNeverBelowZero) {
  hold(1000);
  p_.base_spread_e8 = 0;
  p_.beta_e8 = 3 * kOne;
  p_.funding_rate_e8 = -kOne / 1000;  // beta x funding / 3 = -0.001
  const AsQuote q = quote(view(5'990'000, 6'010'000));
  EXPECT_EQ(q.half_spread, 0.0);
  EXPECT_LT(q.bid.price_ticks, q.ask.price_ticks);  // our quotes never meet
}

// ---- Warm-up: no quote until sigma is known ------------------------------------------------

TEST_F(AsTest, NoQuotesUntilSigmaIsKnown) {
  bars_ = market::MidBars();
  bars_.on_mid(1'000'000'000, 6'000'000'000'000);
  bars_.on_mid(2'000'000'000, 6'000'000'000'000);  // 2 bars: sigma over 2 returns needs 3
  EXPECT_TRUE(decide().empty());
  EXPECT_NE(quote(view()).why.find("warm-up"), std::string::npos);
  MarketView no_bars = view();
  no_bars.bars = nullptr;
  EXPECT_TRUE(decide(no_bars).empty());
  // A quote working from before (a restart's empty bars) is cancelled, saying why.
  const std::string cid = rest(kAsBidSlot, Side::kBuy, 5'994'000, 1000);
  auto out = decide();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, Kind::kCancel);
  EXPECT_EQ(out[0].client_order_id, cid);
  EXPECT_NE(out[0].reason.find("warm-up"), std::string::npos);
  bars_.on_mid(3'000'000'000, 6'000'000'000'000);
  EXPECT_TRUE(quote(view()).ok);
}

// ---- S1-S3: sizes ----------------------------------------------------------------------------

TEST_F(AsTest, QuoteSizeIsTheNotionalCapOverMid) {
  auto out = decide();
  ASSERT_EQ(out.size(), 1u);  // a fresh spot task holds nothing to sell: the bid only
  EXPECT_EQ(out[0].kind, Kind::kPlace);
  EXPECT_EQ(out[0].side, Side::kBuy);
  EXPECT_EQ(out[0].slot_key, kAsBidSlot);
  EXPECT_EQ(out[0].qty_lots, 1000);  // 600 USDT / 60000 = 0.01 BTC
  EXPECT_EQ(out[0].price_ticks, 5'994'000);
  p_.quote_notional_cap_e8 = 300 * kOne;
  EXPECT_EQ(decide()[0].qty_lots, 500);
}

TEST_F(AsTest, InventorySensitivityReshapesEachSide) {
  p_.quote_notional_cap_e8 = 300 * kOne;  // base 500 lots
  hold(1000);                             // q = 0.6, s = 0.5
  const AsQuote q = quote(view());
  EXPECT_EQ(q.bid.qty_lots, 350);  // 500 x (1 - 0.3)
  EXPECT_EQ(q.ask.qty_lots, 650);  // 500 x (1 + 0.3)
  p_.inventory_sensitivity_e8 = 0;
  EXPECT_EQ(quote(view()).bid.qty_lots, 500);
  EXPECT_EQ(quote(view()).ask.qty_lots, 500);
}

TEST_F(AsTest, MaxOrderSizeCapsEachSide) {
  p_.quote_notional_cap_e8 = 300 * kOne;
  p_.max_order_size_lots = 400;
  hold(1000);
  const AsQuote q = quote(view());
  EXPECT_EQ(q.bid.qty_lots, 350);
  EXPECT_EQ(q.ask.qty_lots, 400);  // 650 capped
}

TEST_F(AsTest, SpotAskSellsOnlyWhatTheTaskHolds) {
  hold(1000);  // ask wants 1000 x 1.3 = 1300 lots; the task holds 1000
  AsQuote q = quote(view());
  EXPECT_EQ(q.ask.qty_lots, 1000);
  // Base the account holds outside the task is not the task's: balances do not enter.
  MarketView v = view();
  v.balances.known = true;
  v.balances.base_total_e8 = 5 * kOne;
  EXPECT_EQ(avellaneda_stoikov_quote(v, task(), p_, 0).ask.qty_lots, 1000);
  // A working ask already sells 600 of it: a second order could sell 400 only, and the ask
  // being replaced may sell its own 600 again.
  rest(kAsAskSlot, Side::kSell, 6'010'000, 600);
  EXPECT_EQ(quote(view()).ask.qty_lots, 400);
  EXPECT_EQ(avellaneda_stoikov_quote(view(), task(), p_, 600 * 1000).ask.qty_lots, 1000);
}

TEST_F(AsTest, NoQuoteBelowTheVenueMinimum) {
  p_.quote_notional_cap_e8 = 4 * kOne;  // 4 USDT < min notional 5 USDT
  EXPECT_TRUE(decide().empty());
  EXPECT_NE(quote(view()).bid.why_none.find("minimum"), std::string::npos);
}

// ---- R1-R3: risk ---------------------------------------------------------------------------

TEST_F(AsTest, MaxNetPositionStopsAddingLongs) {
  hold(1000);  // 600 USDT of 1000: room 400 USDT
  AsQuote q = quote(view());
  // bid 59904.03 x 700 lots = 419 USDT > 400: cut to floor(400 / 59904.03 / 0.00001) = 667 lots.
  EXPECT_EQ(q.bid.qty_lots, 667);
  hold(700);  // 1020 USDT: at the cap, no bid; the ask still quotes
  q = quote(view());
  EXPECT_EQ(q.bid.qty_lots, 0);
  EXPECT_NE(q.bid.why_none.find("max_net_position"), std::string::npos);
  auto out = decide();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].side, Side::kSell);
}

TEST_F(AsTest, MaxNetPositionCancelsAWorkingBid) {
  hold(1000);
  const std::string bid = rest(kAsBidSlot, Side::kBuy, 5'990'403, 667);
  hold(700);
  const std::vector<IntentSpec> out = decide();  // `c` points into it
  const IntentSpec* c = find(out, Kind::kCancel, kAsBidSlot);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->client_order_id, bid);
}

TEST_F(AsTest, MaxOpenOrdersIsALimit) {
  hold(1000);
  p_.max_open_orders = 1;
  auto out = decide();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].side, Side::kSell);  // the ask, which reduces exposure, goes first
  p_.max_open_orders = 2;
  EXPECT_EQ(decide().size(), 2u);
}

TEST_F(AsTest, MinBalanceSitsOut) {
  p_.min_balance_e8 = 1000 * kOne;
  MarketView v = view();
  EXPECT_TRUE(decide(v).empty());  // balances unknown: no quote
  v.balances.known = true;
  v.balances.quote_total_e8 = 900 * kOne;
  v.balances.base_total_e8 = kOne / 1000;  // 0.001 BTC = 60 USDT: equity 960 < 1000
  EXPECT_TRUE(decide(v).empty());
  const std::string cid = rest(kAsBidSlot, Side::kBuy, 5'994'000, 1000);
  auto out = decide(v);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, Kind::kCancel);
  EXPECT_NE(out[0].reason.find("min_balance"), std::string::npos);
  v.balances.base_total_e8 = kOne / 100;  // 600 USDT: equity 1500
  EXPECT_TRUE(decide(v).empty());         // the working bid is what it wants: kept
  fold(journal::CancelIntent{kAsBidSlot, cid, {}});
  fold(journal::OrderCanceled{cid, 0, journal::Source::kResponse});
  EXPECT_EQ(decide(v).size(), 1u);
}

// ---- X1: replace threshold and size change -------------------------------------------------

TEST_F(AsTest, ReplaceOnlyBeyondReplaceThresholdBps) {
  const std::string cid = rest(kAsBidSlot, Side::kBuy, 5'994'000, 1000);
  EXPECT_TRUE(decide().empty());  // the working bid is the wanted one
  // Mid up 10.00 USDT: wanted bid 59949.99, 1.67 bps above 59940.00: within 2 bps, kept.
  flat_bars(6'001'000);
  EXPECT_TRUE(decide(view(6'000'999, 6'001'001)).empty());
  // Mid up 15.00: wanted 59954.98, 2.49 bps: repriced in one amend.
  flat_bars(6'001'500);
  auto out = decide(view(6'001'499, 6'001'501));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, Kind::kAmend);
  EXPECT_EQ(out[0].client_order_id, cid);
  EXPECT_EQ(out[0].slot_key, kAsBidSlot);
  EXPECT_EQ(out[0].side, Side::kBuy);
  EXPECT_EQ(out[0].price_ticks, 5'995'498);  // 60015 x 0.999 = 59954.985 -> 59954.98
  EXPECT_NE(out[0].reason.find("replace_threshold_bps"), std::string::npos);
  // Journaled, the amend puts its replacement in the slot (in flight: left alone, R1); once the
  // venue answered, the replacement is what the quote wants: nothing more.
  const std::string repl = make_client_order_id("", "as", state_.last_seq + 1);
  fold(journal::AmendIntent{kAsBidSlot, cid, repl, out[0].price_ticks, out[0].qty_lots, {},
                            Side::kBuy, {}});
  EXPECT_TRUE(decide(view(6'001'499, 6'001'501)).empty());
  fold(journal::OrderCanceled{cid, 0, journal::Source::kResponse});
  fold(journal::OrderAccepted{repl, ++order_id_, journal::Source::kResponse});
  EXPECT_TRUE(decide(view(6'001'499, 6'001'501)).empty());
}

TEST_F(AsTest, ReplaceWhenTheSizeChangesBeyondMinSizeChange) {
  rest(kAsBidSlot, Side::kBuy, 5'994'000, 1000);
  p_.quote_notional_cap_e8 = 660 * kOne;  // wants 1100 lots: +10 %, not beyond 10 %
  EXPECT_TRUE(decide().empty());
  p_.quote_notional_cap_e8 = 666 * kOne;  // 1110 lots: +11 %
  auto out = decide();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, Kind::kAmend);
  EXPECT_EQ(out[0].qty_lots, 1110);
  EXPECT_EQ(out[0].price_ticks, 5'994'000);
  EXPECT_NE(out[0].reason.find("min_size_change"), std::string::npos);
}

TEST_F(AsTest, ReplaceWithCancelThenPlace) {
  p_.replace_with = ReplaceWith::kCancel;
  const std::string cid = rest(kAsBidSlot, Side::kBuy, 5'994'000, 1000);
  flat_bars(6'001'500);
  const MarketView v = view(6'001'499, 6'001'501);
  auto out = decide(v);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, Kind::kCancel);
  EXPECT_EQ(out[0].client_order_id, cid);
  fold(journal::CancelIntent{kAsBidSlot, cid, {}});
  EXPECT_TRUE(decide(v).empty());  // the cancel's outcome is unknown: the slot waits (R1)
  fold(journal::OrderCanceled{cid, 0, journal::Source::kResponse});
  out = decide(v);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, Kind::kPlace);
  EXPECT_EQ(out[0].price_ticks, 5'995'498);
}

// ---- Every strategy's rules ----------------------------------------------------------------

TEST_F(AsTest, PostOnlyBidBelowBestAskAskAboveBestBid) {
  // K = 0.1 and a full position put the fair price 10 % under mid: the ask would cross.
  p_.k_relative_e8 = kOne / 10;
  p_.max_net_position_e8 = 300 * kOne;
  hold(1000);
  AsQuote q = quote(view());
  EXPECT_EQ(q.ask.price_ticks, 6'000'000);  // best bid + 1 tick
  // A wide negative skew the other way cannot exist on spot; a crossed-looking fair above the
  // book (K = 0, tiny spread) keeps the bid under the best ask.
  p_.k_relative_e8 = 0;
  p_.base_spread_e8 = 0;
  q = quote(view(5'999'999, 6'000'000));
  EXPECT_LT(q.bid.price_ticks, 6'000'000);
  EXPECT_GT(q.ask.price_ticks, 5'999'999);
  EXPECT_LT(q.bid.price_ticks, q.ask.price_ticks);
}

TEST_F(AsTest, PostOnlyAlsoAgainstTheDepthBook) {
  // The depth book is ahead of the bookTicker: its best bid 60000.50 is above the ticker's ask.
  // The venue matches against the fresher one, so the ask must clear it too.
  market::OrderBook book;
  book.on_snapshot({1, {{6'000'050'000'000, kOne}}, {{6'000'060'000'000, kOne}}});
  ASSERT_TRUE(book.synced());
  hold(1000);
  p_.k_relative_e8 = 0;
  p_.base_spread_e8 = 0;
  MarketView v = view();
  v.book = &book;
  const AsQuote q = quote(v);
  EXPECT_EQ(q.ask.price_ticks, 6'000'051);  // above the depth book's bid
  EXPECT_EQ(q.bid.price_ticks, 6'000'000);  // below the ticker's ask 60000.01
}

TEST_F(AsTest, NothingWhenNotReadyOrHalted) {
  MarketView v = view();
  v.last_trade_ticks = 0;
  EXPECT_TRUE(decide(v).empty());
  const std::string cid = rest(kAsBidSlot, Side::kBuy, 5'994'000, 1000);
  fill(cid, Side::kBuy, 5'994'000, 1000);
  fold(journal::OrderFilled{cid, trade_id_, order_id_, Side::kBuy, 5'994'000, 1000, 0, "USDT",
                            true, journal::Source::kUserStream});  // same trade id: ignored
  fill(cid, Side::kBuy, 5'994'000, 1);  // overfill: R3 halts the task
  ASSERT_FALSE(task().halted.empty());
  EXPECT_TRUE(decide().empty());
}

TEST_F(AsTest, InFlightOrCancelPendingOrdersAreLeftAlone) {
  flat_bars(6'001'500);
  const MarketView far = view(6'001'499, 6'001'501);  // every order below would be repriced
  const std::string cid = make_client_order_id("", "as", state_.last_seq + 1);
  fold(journal::PlaceIntent{kAsBidSlot, Side::kBuy, 5'994'000, 1000, cid, {}});
  EXPECT_TRUE(decide(far).empty());  // in flight: R1
  fold(journal::OrderAccepted{cid, ++order_id_, journal::Source::kResponse});
  fold(journal::CancelIntent{kAsBidSlot, cid, {}});
  EXPECT_TRUE(decide(far).empty());  // cancel pending
  fold(journal::CancelRejected{cid, -2011, "Unknown order sent."});
  EXPECT_TRUE(decide(far).empty());  // cancel refused: never sent again
}

TEST_F(AsTest, RejectedSlotWaitsBeforePlacingAgain) {
  const std::string cid = make_client_order_id("", "as", state_.last_seq + 1);
  fold(journal::PlaceIntent{kAsBidSlot, Side::kBuy, 5'994'000, 1000, cid, {}}, 5'000'000'000);
  fold(journal::OrderRejected{cid, -2010, "Order would immediately match and take.",
                              journal::Source::kResponse},
       5'000'000'000);
  EXPECT_TRUE(decide(view(5'999'999, 6'000'001, 5'500'000'000)).empty());
  EXPECT_EQ(decide(view(5'999'999, 6'000'001, 6'000'000'000)).size(), 1u);
}

TEST_F(AsTest, AdoptedOrdersGoToTheirSideSlot) {
  EXPECT_EQ(avellaneda_stoikov_adopt_slot_key(Side::kBuy), kAsBidSlot);
  EXPECT_EQ(avellaneda_stoikov_adopt_slot_key(Side::kSell), kAsAskSlot);
  EXPECT_EQ(avellaneda_stoikov_slot_label(kAsBidSlot, task().instrument), "bid");
  EXPECT_EQ(avellaneda_stoikov_slot_label(kAsAskSlot, task().instrument), "ask");
}

// ---- The recording ---------------------------------------------------------------------------

// Replays the BTCUSDT recording into one-second bars and, at every 50th book change, decides
// for a fresh task and for one holding 0.01 BTC: no quote before sigma_window_s + 1 bars, then
// every quote post-only against the book of that instant, the half spread at least the base
// spread and growing with sigma, sizes within the caps.
TEST_F(AsTest, DecidesWithinItsRulesOnTheRecording) {
  const std::string data = std::string(KEEL_SHARED_DIR) + "/data/binance/spot/";
  auto reader = market::CaptureReader::open({data + "btcusdt_20240808.gz", data + "btcusdt_20240809.gz"});
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  p_.sigma_window_s = 60;
  p_.sigma_horizon_s = 10;
  p_.alpha_e8 = kOne;
  p_.base_spread_e8 = 20'000;
  model::State fresh = state_;
  hold(1000);
  market::MidBars bars;
  market::MarketEvent ev;
  MarketView v;
  v.bars = &bars;
  int64_t changes = 0, warm = 0, quoted = 0;
  double min_h = 1, max_h = 0;
  while ((*reader)->next(ev).ok()) {
    if (const auto* t = std::get_if<market::Trade>(&ev.body)) {
      v.last_trade_ticks = t->price_e8 / 1'000'000;
      v.ts_exchange_ns = std::max(v.ts_exchange_ns, t->ts_exchange_ns);
    } else if (const auto* d = std::get_if<market::DepthDiff>(&ev.body)) {
      v.ts_exchange_ns = std::max(v.ts_exchange_ns, d->ts_exchange_ns);
    } else if (const auto* b = std::get_if<market::BookTicker>(&ev.body)) {
      v.best_bid_ticks = b->bid_price_e8 / 1'000'000;
      v.best_ask_ticks = b->ask_price_e8 / 1'000'000;
      bars.on_mid(v.ts_exchange_ns, (b->bid_price_e8 + b->ask_price_e8) / 2);
      if (++changes % 50 != 0 || !v.ready()) continue;
      for (const model::State* st : {&fresh, &state_}) {
        std::vector<IntentSpec> out;
        decide_avellaneda_stoikov(v, st->tasks.at("as"), p_, out);
        const AsQuote q = avellaneda_stoikov_quote(v, st->tasks.at("as"), p_, 0);
        if (bars.bars().size() <= 60) {
          ++warm;
          EXPECT_TRUE(out.empty());
          continue;
        }
        ASSERT_TRUE(q.ok) << q.why;
        ++quoted;
        min_h = std::min(min_h, q.half_spread);
        max_h = std::max(max_h, q.half_spread);
        EXPECT_GE(q.half_spread, 0.0002);
        for (const IntentSpec& s : out) {
          ASSERT_EQ(s.kind, Kind::kPlace);
          const auto& ins = st->tasks.at("as").instrument;
          EXPECT_LE(s.qty_lots, p_.max_order_size_lots);
          EXPECT_GE(ins.notional_e8(s.price_ticks, s.qty_lots), ins.min_notional_e8);
          if (s.side == Side::kBuy) {
            EXPECT_LT(s.price_ticks, v.best_ask_ticks);
            EXPECT_LE(ins.notional_e8(s.price_ticks, s.qty_lots), 600 * kOne);
          } else {
            EXPECT_GT(s.price_ticks, v.best_bid_ticks);
            EXPECT_LE(s.qty_lots, 1000);
          }
        }
        EXPECT_EQ(out.size(), st == &fresh ? 1u : 2u);
      }
    }
  }
  EXPECT_GT(warm, 0);
  EXPECT_GT(quoted, 1000);
  EXPECT_GT(max_h, min_h * 1.5);  // sigma moved the spread during the recording
}

}  // namespace
}  // namespace keel::strategy
