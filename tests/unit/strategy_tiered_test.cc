// The tiered ladder (seed 003) against the seed's rules, on hand-made task states and on the
// recorded BTCUSDT session. Expected prices were worked out in decimal arithmetic outside keel
// (mid * (1 -/+ bps / 10^4), floored for a bid, ceiled for an ask).
#include <gtest/gtest.h>

#include <cmath>

#include "fixture_btcusdt.h"
#include "keel/core/ids.h"
#include "keel/market/capture.h"
#include "keel/model/state.h"
#include "keel/strategy/tiered.h"

namespace keel::strategy {
namespace {

using journal::GuardState;
using journal::Record;
using journal::Source;
using Kind = IntentSpec::Kind;

// The book of the recording's snapshot: 61837.63 / 61837.64 (mid 6183763.5 ticks).
constexpr int64_t kBid = 6183763, kAsk = 6183764;

class TieredTest : public ::testing::Test {
 protected:
  void SetUp() override {
    journal::TaskStarted ts = testing_fixture::btcusdt_grid_task();
    ts.strategy = "tiered";
    fold(ts);
    params_.base_qty_lots = 100;  // 0.001 BTC
    params_.cooldown_ns = 5'000'000'000;
    params_.amend = false;  // requotes as cancel + place (the tests that amend say so)
  }
  void fold(journal::Body body, int64_t ts_ns = 0) {
    Record r;
    r.seq = state_.last_seq + 1;
    r.task_id = "t";
    r.ts_exchange_ns = ts_ns;
    r.body = std::move(body);
    model::apply(state_, r);
  }
  const model::TaskState& task() { return state_.tasks.at("t"); }
  std::vector<IntentSpec> decide(int64_t bid = kBid, int64_t ask = kAsk, int64_t ts_ns = 1) {
    MarketView v{bid, ask, bid, ts_ns};
    std::vector<IntentSpec> out;
    decide_tiered(v, task(), params_, out);
    return out;
  }
  std::string place(int64_t key, Side side, int64_t price, int64_t qty, int64_t ts_ns = 0) {
    const std::string cid = make_client_order_id("", "t", state_.last_seq + 1);
    fold(journal::PlaceIntent{key, side, price, qty, cid, {kBid, kAsk, kBid, "t"}}, ts_ns);
    return cid;
  }
  std::string rest(int64_t key, Side side, int64_t price, int64_t qty, int64_t ts_ns = 0) {
    const std::string cid = place(key, side, price, qty, ts_ns);
    fold(journal::OrderAccepted{cid, ++order_id_, Source::kResponse}, ts_ns);
    return cid;
  }
  void fill(const std::string& cid, Side side, int64_t price, int64_t qty, int64_t ts_ns = 0) {
    fold(journal::OrderFilled{cid, ++trade_id_, task().find_order(cid)->order_id, side, price,
                              qty, 0, "USDT", true, Source::kUserStream},
         ts_ns);
  }
  void cancelled(const std::string& cid, int64_t executed) {
    fold(journal::CancelIntent{task().find_order(cid)->slot_key, cid, {}});
    fold(journal::OrderCanceled{cid, executed, Source::kResponse});
  }
  // Gives the task `lots` of base: a filled buy in a slot outside the ladder's keys.
  void hold(int64_t lots) {
    const std::string cid = rest(99, Side::kBuy, 6180000, lots);
    fill(cid, Side::kBuy, 6180000, lots);
  }
  void guard(GuardState s) { fold(journal::GuardChanged{s, "test"}, 1); }
  static const IntentSpec* find(const std::vector<IntentSpec>& out, int64_t key, Kind kind) {
    for (const auto& s : out) {
      if (s.slot_key == key && s.kind == kind) return &s;
    }
    return nullptr;
  }
  model::State state_;
  TieredParams params_;
  int64_t order_id_ = 0, trade_id_ = 0;
};

// "Risk Levels": conservative 5-10 bps, moderate 3-8, aggressive 0-5 from the mark: L1 sits at
// the centre of its level's band (7.5, 5.5, 2.5 bps).
TEST_F(TieredTest, RiskLevels_L1SitsInTheLevelsBand) {
  hold(100);
  const std::pair<RiskLevel, std::pair<int64_t, int64_t>> cases[] = {
      {RiskLevel::kConservative, {6179125, 6188402}},
      {RiskLevel::kModerate, {6180362, 6187165}},
      {RiskLevel::kAggressive, {6182217, 6185310}}};
  for (const auto& [level, prices] : cases) {
    params_.level = level;
    const auto out = decide();
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].slot_key, 11);
    EXPECT_EQ(out[0].side, Side::kBuy);
    EXPECT_EQ(out[0].price_ticks, prices.first);
    EXPECT_EQ(out[1].slot_key, 12);
    EXPECT_EQ(out[1].side, Side::kSell);
    EXPECT_EQ(out[1].price_ticks, prices.second);
  }
}

// "Tier Management: L1 (0-5bps), L2 (5-10bps), L3 (10-20bps)": the aggressive ladder is the
// seed's tier table; a conservative one is the same ladder moved out to start at 5 bps.
TEST_F(TieredTest, Rule3_TierManagement_L1L2L3Ladders) {
  params_.tiers = 3;
  params_.level = RiskLevel::kAggressive;
  auto out = decide();
  ASSERT_EQ(out.size(), 3u);  // no inventory: bids only
  EXPECT_EQ(out[0].price_ticks, 6182217);  // 2.5 bps
  EXPECT_EQ(out[1].price_ticks, 6179125);  // 7.5 bps
  EXPECT_EQ(out[2].price_ticks, 6174487);  // 15 bps
  const double mid = (kBid + kAsk) / 2.0;
  const double seed_table[3][2] = {{0, 5}, {5, 10}, {10, 20}};
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(out[i].slot_key, 10 * (i + 1) + 1);
    const double bps = (mid - out[i].price_ticks) / mid * 1e4;
    EXPECT_GT(bps, seed_table[i][0]);
    EXPECT_LE(bps, seed_table[i][1]);
  }
  params_.level = RiskLevel::kConservative;
  out = decide();
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].price_ticks, 6179125);  // 7.5 bps: L1 5-10
  EXPECT_EQ(out[1].price_ticks, 6176033);  // 12.5 bps: L2 10-15
  EXPECT_EQ(out[2].price_ticks, 6171395);  // 20 bps: L3 15-25
  EXPECT_EQ(tier_band(RiskLevel::kModerate, 3).inner_bps_e2, 1'300);
  EXPECT_EQ(tier_band(RiskLevel::kModerate, 3).outer_bps_e2, 2'300);
}

// "sizing.tiers: Number of price tiers (1-3)": one tier quotes L1 only, two add L2.
TEST_F(TieredTest, Tiers_OneToThreePerSide) {
  hold(1'000);
  for (int tiers = 1; tiers <= 3; ++tiers) {
    params_.tiers = tiers;
    const auto out = decide();
    ASSERT_EQ(out.size(), static_cast<size_t>(2 * tiers));
    for (int t = 1; t <= tiers; ++t) {
      EXPECT_NE(find(out, 10 * t + 1, Kind::kPlace), nullptr);
      EXPECT_NE(find(out, 10 * t + 2, Kind::kPlace), nullptr);
    }
  }
}

// Seed 2, "Places bilateral PostOnly orders at configured bps offset": both sides, each on
// its side of the book (a bid below the best ask, an ask above the best bid), base_qty each.
TEST_F(TieredTest, Rule2_QuotePlacement_BilateralPostOnly) {
  hold(100);
  // A wide book (10 bps spread): the aggressive L1 lies inside the spread, still post-only.
  params_.level = RiskLevel::kAggressive;
  const int64_t bid = 6180000, ask = 6186180;
  const auto out = decide(bid, ask);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].side, Side::kBuy);
  EXPECT_GT(out[0].price_ticks, bid);
  EXPECT_LT(out[0].price_ticks, ask);
  EXPECT_EQ(out[1].side, Side::kSell);
  EXPECT_LT(out[1].price_ticks, ask);
  EXPECT_GT(out[1].price_ticks, bid);
  for (const auto& s : out) {
    EXPECT_EQ(s.kind, Kind::kPlace);
    EXPECT_EQ(s.qty_lots, 100);
    EXPECT_FALSE(s.reason.empty());
  }
  EXPECT_EQ(out[0].reason, "L1-bid 2.5 bps from the mid");
}

// Spot: asks only for what the task holds and is not already selling, L1 first.
TEST_F(TieredTest, Spot_AsksOnlyForWhatTheTaskHolds) {
  params_.tiers = 2;
  auto out = decide();
  for (const auto& s : out) EXPECT_EQ(s.side, Side::kBuy);  // holds nothing: no ask
  hold(150);
  out = decide();
  ASSERT_NE(find(out, 12, Kind::kPlace), nullptr);
  ASSERT_NE(find(out, 22, Kind::kPlace), nullptr);
  EXPECT_EQ(find(out, 12, Kind::kPlace)->qty_lots, 100);
  EXPECT_EQ(find(out, 22, Kind::kPlace)->qty_lots, 50);  // what is left: 0.0005 BTC = 30.9 USDT
  EXPECT_EQ(find(out, 22, Kind::kPlace)->reason, "L2-ask 12.5 bps from the mid, what the task holds");
  rest(12, Side::kSell, 6188402, 100);
  rest(22, Side::kSell, 6191494, 50);
  EXPECT_EQ(task().sellable_e8(), 0);
  out = decide();
  EXPECT_EQ(find(out, 12, Kind::kPlace), nullptr);
  EXPECT_EQ(find(out, 22, Kind::kPlace), nullptr);
  // Below the minimum notional (0.00005 BTC = 3.09 USDT < 5): nothing to offer.
  hold(5);
  for (const auto& s : decide()) EXPECT_NE(s.side, Side::kSell);
}

// Spot asks are L1 first: lots an outer ask took while L1 cooled down after its full fill move
// inward once L1 may quote again (the outer ask is cancelled; L1 places at the next decision).
TEST_F(TieredTest, Spot_AsksMoveInwardOnceL1MayQuote) {
  params_.tiers = 2;
  hold(200);
  const std::string l1 = rest(12, Side::kSell, 6188402, 100, 1'000'000'000);
  fill(l1, Side::kSell, 6188402, 100, 2'000'000'000);  // L1-ask cools down until 7 s
  const std::string l2 = rest(22, Side::kSell, 6191494, 100, 3'000'000'000);
  rest(11, Side::kBuy, 6179125, 100);
  rest(21, Side::kBuy, 6176033, 100);
  EXPECT_TRUE(decide(kBid, kAsk, 6'999'999'999).empty());
  auto out = decide(kBid, kAsk, 7'000'000'000);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, Kind::kCancel);
  EXPECT_EQ(out[0].client_order_id, l2);
  EXPECT_EQ(out[0].reason, "L2-ask's lots go to L1-ask: asks L1 first");
  cancelled(l2, 0);
  out = decide(kBid, kAsk, 7'000'000'000);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].slot_key, 12);
  EXPECT_EQ(out[0].qty_lots, 100);
}

// Seed 4, "Cancels and replaces orders when price moves >1 bps": a bid resting at the
// conservative L1 price stays while the book moves up 618 ticks (0.9993 bps of drift) and is
// requoted at 619 (1.0008 bps): cancelled first, placed anew once the cancel is confirmed.
TEST_F(TieredTest, Rule4_PriceDrift_RequoteAbove1Bps) {
  const std::string cid = rest(11, Side::kBuy, 6179125, 100);
  EXPECT_TRUE(decide().empty());
  EXPECT_TRUE(decide(kBid + 618, kAsk + 618).empty());
  auto out = decide(kBid + 619, kAsk + 619);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, Kind::kCancel);
  EXPECT_EQ(out[0].client_order_id, cid);
  EXPECT_EQ(out[0].reason, "requote L1-bid: drift 1.01 bps > 1");
  // Down as well as up.
  EXPECT_EQ(decide(kBid - 700, kAsk - 700).size(), 1u);
  cancelled(cid, 0);
  out = decide(kBid + 619, kAsk + 619);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, Kind::kPlace);
  EXPECT_EQ(out[0].price_ticks, 6179744);
  EXPECT_EQ(out[0].qty_lots, 100);
  // requote_by: amend replaces the order in one request instead.
  params_.amend = true;
  rest(11, Side::kBuy, 6179744, 100);
  out = decide();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, Kind::kAmend);
  EXPECT_EQ(out[0].price_ticks, 6179125);
  EXPECT_EQ(out[0].qty_lots, 100);
}

// Seed 5, "Partial Fills: Re-quotes remaining quantity": a partial fill leaves the remainder
// quoted where it rests (its queue place) while it is within 1 bps; the requote that follows
// the market carries only the remainder, by cancel then place or by amend.
TEST_F(TieredTest, Rule5_PartialFill_RequotesTheRemainder) {
  const std::string cid = rest(11, Side::kBuy, 6179125, 100);
  fill(cid, Side::kBuy, 6179125, 30);
  // The remainder rests (its queue place); the 30 lots bought are offered (18.57 USDT).
  auto out = decide();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].slot_key, 12);
  EXPECT_EQ(out[0].qty_lots, 30);
  params_.amend = true;
  out = decide(kBid - 700, kAsk - 700);
  const IntentSpec* amend = find(out, 11, Kind::kAmend);
  ASSERT_NE(amend, nullptr);
  EXPECT_EQ(amend->qty_lots, 70);
  EXPECT_EQ(amend->client_order_id, cid);
  params_.amend = false;
  out = decide(kBid - 700, kAsk - 700);
  ASSERT_EQ(out[0].kind, Kind::kCancel);
  EXPECT_EQ(out[0].client_order_id, cid);
  cancelled(cid, 30);
  out = decide(kBid - 700, kAsk - 700);
  const IntentSpec* again = find(out, 11, Kind::kPlace);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->qty_lots, 70);
  EXPECT_EQ(again->reason, "L1-bid 7.5 bps from the mid, the round's remainder");
  // A second partial fill of the remainder: the round has 50 left.
  const std::string second = rest(11, Side::kBuy, again->price_ticks, 70);
  fill(second, Side::kBuy, again->price_ticks, 20);
  cancelled(second, 20);
  EXPECT_EQ(round_left_lots(task(), 11, 100), 50);
  const auto next = decide(kBid - 700, kAsk - 700);
  const IntentSpec* third = find(next, 11, Kind::kPlace);
  ASSERT_NE(third, nullptr);
  EXPECT_EQ(third->qty_lots, 50);
}

// A remainder the venue would refuse (5 lots = 3.09 USDT < 5 USDT minimum notional) is dropped:
// the tier starts a new round of base_qty.
TEST_F(TieredTest, Rule5_DustRemainderStartsANewRound) {
  const std::string cid = rest(11, Side::kBuy, 6179125, 100);
  fill(cid, Side::kBuy, 6179125, 95);
  cancelled(cid, 95);
  EXPECT_EQ(round_left_lots(task(), 11, 100), 5);
  const auto out = decide();
  const IntentSpec* p = find(out, 11, Kind::kPlace);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->qty_lots, 100);
}

// Seed 6, "Full Fills: Enters cooldown period to avoid immediate re-entry": the filled tier-side
// places nothing for cooldown_ms after the fill; the other side goes on at once (here the ask
// that sells what the fill bought); after the cooldown a new round of base_qty.
TEST_F(TieredTest, Rule6_FullFill_Cooldown) {
  const std::string cid = rest(11, Side::kBuy, 6179125, 100, 10'000'000'000);
  fill(cid, Side::kBuy, 6179125, 100, 20'000'000'000);
  EXPECT_EQ(task().slots.at(11).last_full_fill_ns, 20'000'000'000);
  auto out = decide(kBid, kAsk, 24'999'999'999);
  EXPECT_EQ(find(out, 11, Kind::kPlace), nullptr);
  ASSERT_NE(find(out, 12, Kind::kPlace), nullptr);
  EXPECT_EQ(find(out, 12, Kind::kPlace)->qty_lots, 100);
  out = decide(kBid, kAsk, 25'000'000'000);
  ASSERT_NE(find(out, 11, Kind::kPlace), nullptr);
  EXPECT_EQ(find(out, 11, Kind::kPlace)->qty_lots, 100);
  params_.cooldown_ns = 0;
  EXPECT_NE(find(decide(kBid, kAsk, 20'000'000'000), 11, Kind::kPlace), nullptr);
}

// CAUTION (documented reading): the L1 bid is withdrawn; the outer bids and every ask go on.
TEST_F(TieredTest, Guard_Caution_WithdrawsTheL1Bid) {
  params_.tiers = 2;
  hold(200);
  const std::string l1 = rest(11, Side::kBuy, 6179125, 100);
  guard(GuardState::kCaution);
  const auto out = decide();
  const IntentSpec* c = find(out, 11, Kind::kCancel);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->client_order_id, l1);
  EXPECT_EQ(c->reason, "guard CAUTION: L1 bid withdrawn");
  EXPECT_NE(find(out, 21, Kind::kPlace), nullptr);
  EXPECT_NE(find(out, 12, Kind::kPlace), nullptr);
  EXPECT_NE(find(out, 22, Kind::kPlace), nullptr);
  cancelled(l1, 0);
  EXPECT_EQ(find(decide(), 11, Kind::kPlace), nullptr);
  guard(GuardState::kSafe);
  EXPECT_NE(find(decide(), 11, Kind::kPlace), nullptr);
}

// HALT: "a halted task cancels its buys ... and keeps what reduces exposure": every bid is
// cancelled and none placed; the asks (spot: inventory only) stay and are still requoted.
TEST_F(TieredTest, Guard_Halt_CancelsTheBidsAndKeepsTheAsks) {
  params_.tiers = 2;
  hold(200);
  const std::string b1 = rest(11, Side::kBuy, 6179125, 100);
  const std::string b2 = rest(21, Side::kBuy, 6176033, 100);
  const std::string a1 = rest(12, Side::kSell, 6188402, 100);
  guard(GuardState::kHalt);
  auto out = decide();
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].client_order_id, b1);
  EXPECT_EQ(out[1].client_order_id, b2);
  EXPECT_EQ(out[0].reason, "guard HALT: bids withdrawn");
  EXPECT_EQ(out[2].kind, Kind::kPlace);  // L2 ask: reduces exposure
  EXPECT_EQ(out[2].slot_key, 22);
  for (const auto& s : decide(kBid + 700, kAsk + 700)) {
    EXPECT_TRUE(s.side == Side::kSell || s.kind == Kind::kCancel);
    if (s.client_order_id == a1) {
      EXPECT_EQ(s.kind, Kind::kCancel);  // the ask follows the mid
    }
  }
}

// R1: a slot whose order is in flight, or has a cancel pending or refused, is left alone even
// when the mid has drifted or the guard withdraws it.
TEST_F(TieredTest, InFlightAndCancellingOrdersAreLeftAlone) {
  params_.tiers = 3;
  place(11, Side::kBuy, 6179125, 100);  // in flight
  const std::string pending = rest(21, Side::kBuy, 6176033, 100);
  fold(journal::CancelIntent{21, pending, {}});
  const std::string refused = rest(31, Side::kBuy, 6171395, 100);
  fold(journal::CancelIntent{31, refused, {}});
  fold(journal::CancelRejected{refused, -2011, "Unknown order sent."});
  ASSERT_TRUE(task().find_order(refused)->cancel_refused);
  guard(GuardState::kHalt);
  EXPECT_TRUE(decide(kBid + 5'000, kAsk + 5'000).empty());
  guard(GuardState::kSafe);
  EXPECT_TRUE(decide(kBid + 5'000, kAsk + 5'000).empty());
}

TEST_F(TieredTest, RejectedSlotWaitsBeforePlacingAgain) {
  const std::string cid = place(11, Side::kBuy, 6179125, 100, 5'000'000'000);
  fold(journal::OrderRejected{cid, -2010, "Order would immediately match and take.",
                              Source::kResponse},
       5'000'000'000);
  EXPECT_EQ(find(decide(kBid, kAsk, 5'500'000'000), 11, Kind::kPlace), nullptr);
  EXPECT_NE(find(decide(kBid, kAsk, 6'000'000'000), 11, Kind::kPlace), nullptr);
}

TEST_F(TieredTest, NothingWhenNotReadyCrossedOrHalted) {
  EXPECT_TRUE(decide(0, kAsk).empty());
  EXPECT_TRUE(decide(kAsk, kAsk).empty());  // locked book: no mid to trust
  EXPECT_TRUE(decide(kAsk + 1, kAsk).empty());
  const std::string cid = rest(11, Side::kBuy, 6179125, 100);
  fill(cid, Side::kBuy, 6179125, 100);
  fill(cid, Side::kBuy, 6179125, 1);  // overfill: R3 halts the task
  ASSERT_FALSE(task().halted.empty());
  EXPECT_TRUE(decide().empty());
}

// An order in a slot that is not a quote of this ladder (an outer tier the params do not
// have, a side that does not match its key) is cancelled; at most 2 x tiers orders work.
TEST_F(TieredTest, OrdersOutsideTheLadderAreCancelled) {
  const std::string l3 = rest(31, Side::kBuy, 6171395, 100);
  const auto out = decide();
  const IntentSpec* c = find(out, 31, Kind::kCancel);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->client_order_id, l3);
  EXPECT_EQ(c->reason, "not a quote of this ladder");
}

TEST_F(TieredTest, SlotKeysLabelsAndAdoption) {
  const Instrument& ins = task().instrument;
  EXPECT_EQ(tiered_slot_label(11, ins), "L1-bid");
  EXPECT_EQ(tiered_slot_label(32, ins), "L3-ask");
  EXPECT_EQ(tiered_slot_label(13, ins), "13");
  EXPECT_EQ(tiered_slot_label(99, ins), "99");
  const auto s = make_tiered(params_);
  EXPECT_EQ(s->adopt_slot_key(Side::kBuy, 6100000), 11);
  EXPECT_EQ(s->adopt_slot_key(Side::kSell, 6300000), 12);
  params_.tiers = 2;
  const auto opening = make_tiered(params_)->opening_orders(6183764);
  ASSERT_EQ(opening.size(), 2u);
  EXPECT_EQ(opening[0].side, Side::kBuy);
  EXPECT_EQ(opening[0].price_ticks, 6179126);  // 7.5 bps below 61837.64
  EXPECT_EQ(opening[1].price_ticks, 6176034);  // 12.5 bps
}

// ---- The recorded session ------------------------------------------------------------------

// The ladder follows the real BTCUSDT book (bookTickers of the recording), its orders folded as
// if the venue acknowledged every place and cancel at once and never filled: after every
// decision each order rests on its side of the book within requote_bps (+ a tick) of its
// tier's price, the ladder is bilateral (3 tiers, inventory held), and it is requoted often
// but far less often than the book changes.
TEST_F(TieredTest, FollowsTheRecordedBookWithinItsBands) {
  params_.tiers = 3;
  params_.level = RiskLevel::kModerate;
  hold(1'000);
  const std::string spot = std::string(KEEL_SHARED_DIR) + "/data/binance/spot/";
  auto reader =
      market::CaptureReader::open({spot + "btcusdt_20240808.gz", spot + "btcusdt_20240809.gz"});
  ASSERT_TRUE(reader.ok());
  market::MarketEvent ev;
  size_t tickers = 0, cancels = 0, places = 0;
  int64_t bid = 0, ask = 0;
  while ((*reader)->next(ev).ok()) {
    const auto* bt = std::get_if<market::BookTicker>(&ev.body);
    if (bt == nullptr) continue;
    ++tickers;
    bid = bt->bid_price_e8 / 1'000'000;
    ask = (bt->ask_price_e8 + 999'999) / 1'000'000;
    for (const IntentSpec& s : decide(bid, ask, static_cast<int64_t>(tickers))) {
      if (s.kind == Kind::kCancel) {
        ++cancels;
        cancelled(s.client_order_id, 0);
      } else {
        ++places;
        ASSERT_TRUE(s.side == Side::kBuy ? s.price_ticks < ask : s.price_ticks > bid);
        rest(s.slot_key, s.side, s.price_ticks, s.qty_lots);
      }
    }
    // Every quote rests; the cancels confirmed above free their slots for the next decision.
    const double mid = (bid + ask) / 2.0;
    for (const auto& [key, slot] : task().slots) {
      const model::Order* o = task().current_order(slot);
      if (key == 99 || o == nullptr) continue;
      const TierBand band = tier_band(params_.level, static_cast<int>(key / 10));
      const double bps = std::abs(o->price_ticks - mid) / mid * 1e4;
      EXPECT_LE(std::abs(bps - band.center_bps_e2() / 100.0), 1.0 + 2e4 / mid) << key;
    }
  }
  EXPECT_EQ(tickers, 73'174u);
  EXPECT_GT(cancels, 100u);
  EXPECT_LT(cancels, tickers / 10);
  EXPECT_GE(places, cancels);  // each cancel's slot is placed again at the next decision
  EXPECT_LE(places, cancels + 6);
}

// ---- Uptime ----------------------------------------------------------------------------------

// "Requires bilateral quotes within 10 bps": an open bid and an open ask, each within 10 bps
// of the mid of the task's mark (here 61837.635).
TEST_F(TieredTest, Uptime_BilateralQuotesWithin10Bps) {
  EXPECT_FALSE(quoting_bilateral(task()));  // no mark yet
  const std::string bid = rest(11, Side::kBuy, 6179125, 100);  // 7.5 bps
  EXPECT_FALSE(quoting_bilateral(task()));  // one side only
  place(12, Side::kSell, 6188402, 100);
  EXPECT_FALSE(quoting_bilateral(task()));  // the ask is in flight, not quoting yet
  const std::string ask = task().slots.at(12).current_cid;
  fold(journal::OrderAccepted{ask, ++order_id_, Source::kResponse});
  EXPECT_TRUE(quoting_bilateral(task()));
  cancelled(bid, 0);
  rest(21, Side::kBuy, 6176033, 100);  // 12.5 bps: too far
  EXPECT_FALSE(quoting_bilateral(task()));
  // 10 bps exactly counts: 61837.635 * 0.999 = 61775.797... -> 6177580 is 9.999 bps away.
  rest(11, Side::kBuy, 6177580, 100);
  EXPECT_TRUE(quoting_bilateral(task()));
}

// "Minimum 30 minutes per hour": the meter sums the time between records during which the task
// was quoting, per UTC hour.
TEST_F(TieredTest, Uptime_MeterSumsQuotingTimePerHour) {
  constexpr int64_t kMin = 60'000'000'000;
  const int64_t h0 = 480'000 * kNsPerHour;  // an hour boundary
  UptimeMeter meter;
  meter.step(task(), h0 - 10 * kMin);  // not quoting
  rest(11, Side::kBuy, 6179125, 100);
  const std::string ask = rest(12, Side::kSell, 6188402, 100);
  meter.step(task(), h0 - 5 * kMin);   // quoting from here
  meter.step(task(), h0 + 40 * kMin);  // still quoting: 5 min in hour -1, 40 in hour 0
  cancelled(ask, 0);
  meter.step(task(), h0 + 50 * kMin);  // 10 more minutes quoted, then not
  meter.step(task(), h0 + 70 * kMin);
  meter.step(task(), h0 + 65 * kMin);  // an earlier time: zero length
  EXPECT_EQ(meter.observed_ns(), 80 * kMin);
  EXPECT_EQ(meter.quoted_ns(), 55 * kMin);
  ASSERT_EQ(meter.hours().size(), 3u);
  EXPECT_EQ(meter.hours().at(479'999).quoted_ns, 5 * kMin);
  EXPECT_EQ(meter.hours().at(479'999).observed_ns, 10 * kMin);
  EXPECT_EQ(meter.hours().at(480'000).quoted_ns, 50 * kMin);
  EXPECT_EQ(meter.hours().at(480'001).quoted_ns, 0);
  EXPECT_EQ(meter.hours_on_target(), 1u);  // only hour 0 reached 30 minutes
}

}  // namespace
}  // namespace keel::strategy
