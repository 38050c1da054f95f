// top_of_book decisions against seed 000 (../shared/seeds/000_6ace662a8bd19b79.txt): one test per
// rule of the seed (named after it), the spot readings of top_of_book.h, the house rules (R1,
// retries, post-only), and the recorded BTCUSDT quotes of ../shared/data.
#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <string>
#include <vector>

#include "fixture_btcusdt.h"
#include "keel/core/fixed.h"
#include "keel/core/ids.h"
#include "keel/model/state.h"
#include "keel/strategy/registry.h"
#include "keel/strategy/top_of_book.h"

namespace keel::strategy {
namespace {

using journal::Record;
using Kind = IntentSpec::Kind;

// The recording's first quote (btcusdt_20240808.gz): bid 61837.63, ask 61837.64.
constexpr int64_t kBid = 6183763;
constexpr int64_t kAsk = 6183764;
// The seed's buy for it with maker_fee 0.0001 (r = 2*0.0001 + 0.0001 = 0.0003), by hand:
// 6183764 * 0.9997 = 6181908.8708 ticks, floored: 61819.08.
constexpr int64_t kPairBuy = 6181908;

// BTCUSDT (tick 0.01, step 0.00001, min notional 5). qty 0.002 = 200 lots, maker_fee 0.0001,
// max_exposure 1000 USDT, min_usd_balance 500 USDT; the account holds 10000 USDT free.
class TopOfBookTest : public ::testing::Test {
 protected:
  void SetUp() override {
    journal::TaskStarted ts = testing_fixture::btcusdt_grid_task();
    ts.strategy = "top_of_book";
    fold(ts);
    p_.qty_lots = 200;
    p_.maker_fee_e8 = 10'000;
    p_.max_exposure_e8 = 1'000 * kOneE8;
    p_.min_usd_balance_e8 = 500 * kOneE8;
    balances_.known = true;
    balances_.quote_total_e8 = 10'000 * kOneE8;
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
  MarketView view(int64_t bid, int64_t ask, int64_t ts_ns = 0) {
    MarketView v{bid, ask, ask, ts_ns};
    v.balances = balances_;
    return v;
  }
  std::vector<IntentSpec> decide(int64_t bid = kBid, int64_t ask = kAsk, int64_t ts_ns = 0) {
    std::vector<IntentSpec> out;
    decide_top_of_book(view(bid, ask, ts_ns), task(), p_, out);
    return out;
  }
  // A place intent journaled, outcome unknown (in flight); returns its client order id.
  std::string send(int64_t key, Side side, int64_t price, int64_t lots, int64_t ts_ns = 0) {
    const std::string cid = make_client_order_id("", "t", state_.last_seq + 1);
    fold(journal::PlaceIntent{key, side, price, lots, cid, {}, {}}, ts_ns);
    return cid;
  }
  // A place intent and its ack: the order rests on the venue.
  std::string rest(int64_t key, Side side, int64_t price, int64_t lots) {
    const std::string cid = send(key, side, price, lots);
    fold(journal::OrderAccepted{cid, ++order_id_, journal::Source::kResponse});
    return cid;
  }
  void fill(const std::string& cid, Side side, int64_t price, int64_t lots) {
    const int64_t oid = task().orders.at(cid).order_id;
    fold(journal::OrderFilled{cid, ++trade_id_, oid, side, price, lots, 0, "USDT", true,
                              journal::Source::kUserStream});
  }
  void canceled(const std::string& cid) {
    fold(journal::CancelIntent{task().orders.at(cid).slot_key, cid, {}, {}});
    fold(journal::OrderCanceled{cid, task().orders.at(cid).filled_lots, journal::Source::kResponse});
  }
  // The position: a buy of `lots` at `price` in the buy slot, fully filled.
  void hold(int64_t lots, int64_t price) {
    fill(rest(kTobBuySlot, Side::kBuy, price, lots), Side::kBuy, price, lots);
  }
  // An amend journaled (the original's cancel pending, the replacement in flight); returns the
  // replacement's client order id.
  std::string amend(const IntentSpec& a) {
    const std::string cid = make_client_order_id("", "t", state_.last_seq + 1);
    fold(journal::AmendIntent{a.slot_key, a.client_order_id, cid, a.price_ticks, a.qty_lots, {},
                              a.side, {}});
    return cid;
  }
  // ... and executed as the venue's cancelReplace answers it: the original canceled, the
  // replacement resting.
  void replace(const IntentSpec& a) {
    const std::string cid = amend(a);
    fold(journal::OrderCanceled{a.client_order_id, task().orders.at(a.client_order_id).filled_lots,
                                journal::Source::kResponse});
    fold(journal::OrderAccepted{cid, ++order_id_, journal::Source::kResponse});
  }
  std::string adopt(int64_t key, Side side, int64_t price, int64_t lots) {
    const std::string cid = make_client_order_id("", "t", 9000 + state_.last_seq);
    fold(journal::OrderAdopted{key, cid, ++order_id_, side, price, lots, true, 0,
                               journal::Source::kOpenOrders});
    return cid;
  }
  static std::vector<const IntentSpec*> of(const std::vector<IntentSpec>& out, Kind kind,
                                           Side side) {
    std::vector<const IntentSpec*> v;
    for (const IntentSpec& s : out) {
      if (s.kind == kind && (kind == Kind::kCancel || s.side == side)) v.push_back(&s);
    }
    return v;
  }
  static std::vector<std::string> cancelled(const std::vector<IntentSpec>& out) {
    std::vector<std::string> v;
    for (const IntentSpec& s : out) {
      if (s.kind == Kind::kCancel) v.push_back(s.client_order_id);
    }
    std::sort(v.begin(), v.end());
    return v;
  }

  model::State state_;
  TopOfBookParams p_;
  Balances balances_;
  int64_t order_id_ = 100;
  int64_t trade_id_ = 1000;
};

// ---- the formulas ---------------------------------------------------------------------------

TEST_F(TopOfBookTest, RequiredSpreadIsTwoFeesPlusOneBasisPoint) {
  EXPECT_EQ(tob_required_spread_e8(p_), 30'000);  // 0.0003
  p_.maker_fee_e8 = 100'000;                      // 0.001
  EXPECT_EQ(tob_required_spread_e8(p_), 210'000);  // 0.0021
}

TEST_F(TopOfBookTest, BuyPriceIsAFractionOfTheAskNotAnAbsoluteAmount) {
  // The seed's literal "best_ask - (2*fee + 0.0001)" would be 0.0003 USDT below the ask;
  // the fraction reading puts the buy 18.55 USDT below it.
  EXPECT_EQ(tob_buy_price_ticks(kBid, kAsk, p_), kPairBuy);
  EXPECT_TRUE(tob_spread_ok(kAsk, kPairBuy, 30'000));
  EXPECT_FALSE(tob_spread_ok(kAsk, kPairBuy + 1, 30'000));  // one tick closer misses r
}

// ---- Step 1: fetch current market data (always first) ----------------------------------------

TEST_F(TopOfBookTest, Step1_NothingBeforeTheBookIsKnown) {
  EXPECT_TRUE(decide(0, kAsk).empty());
  EXPECT_TRUE(decide(kBid, 0).empty());
  std::vector<IntentSpec> out;
  MarketView v = view(kBid, kAsk);
  v.last_trade_ticks = 0;
  decide_top_of_book(v, task(), p_, out);
  EXPECT_TRUE(out.empty());
}

TEST_F(TopOfBookTest, HaltedTaskDecidesNothing) {
  const std::string cid = rest(kTobBuySlot, Side::kBuy, kPairBuy, 200);
  fill(cid, Side::kBuy, kPairBuy, 200);
  fold(journal::OrderFilled{cid, ++trade_id_, task().orders.at(cid).order_id, Side::kBuy,
                            kPairBuy, 1, 0, "USDT", true, journal::Source::kUserStream});
  ASSERT_FALSE(task().halted.empty());  // overfill (R3)
  EXPECT_TRUE(decide().empty());
}

// ---- Step 2: exposure & balance checks -------------------------------------------------------

TEST_F(TopOfBookTest, Step2_ExposureAtMaxPauses_CancelsBuysAndSellsAllHeld) {
  hold(1700, 6170000);  // 0.017 BTC bought at 61700: 1051.24 USDT at the bid >= 1000
  const std::string buy = rest(kTobBuySlot, Side::kBuy, 6180000, 200);
  const auto out = decide();
  EXPECT_EQ(cancelled(out), std::vector<std::string>{buy});
  const auto sells = of(out, Kind::kPlace, Side::kSell);
  ASSERT_EQ(sells.size(), 1u);
  EXPECT_EQ(sells[0]->qty_lots, 1700);       // all held, not just qty
  EXPECT_EQ(sells[0]->price_ticks, kAsk);    // cost floor 61718.52 is below the ask
  EXPECT_EQ(sells[0]->slot_key, kTobSellSlot);
  EXPECT_TRUE(of(out, Kind::kPlace, Side::kBuy).empty());  // stop: no buy
  EXPECT_NE(out[0].reason.find("pause: exposure"), std::string::npos) << out[0].reason;
}

TEST_F(TopOfBookTest, Step2_ExposureExactlyAtMaxPauses) {
  hold(200, 6170000);
  // 0.002 BTC at the bid 61837.63 = 123.67526 USDT: a cap of exactly that pauses (>=).
  p_.max_exposure_e8 = 12'367'526'000;
  auto out = decide();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_NE(out[0].reason.find("pause: exposure 123.67526 >= max_exposure 123.67526"),
            std::string::npos) << out[0].reason;
  p_.max_exposure_e8 += 1;  // passes Step 2: the pair's sell (its buy would not fit the cap)
  out = decide();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_NE(out[0].reason.find("pair sell first"), std::string::npos) << out[0].reason;
}

TEST_F(TopOfBookTest, Step2_UsdBalanceBelowMinimumPausesBuys) {
  const std::string buy = rest(kTobBuySlot, Side::kBuy, 6180000, 200);
  balances_.quote_total_e8 = 499 * kOneE8;
  const auto out = decide();
  EXPECT_EQ(cancelled(out), std::vector<std::string>{buy});
  EXPECT_EQ(out.size(), 1u);  // nothing held: no sell; no buy
  EXPECT_NE(out[0].reason.find("usd_balance 499 < min_usd_balance 500"), std::string::npos)
      << out[0].reason;
}

TEST_F(TopOfBookTest, Step2_UsdBalanceIsTheFreeQuoteNotTheTotal) {
  balances_.quote_total_e8 = 600 * kOneE8;
  balances_.quote_locked_e8 = 101 * kOneE8;  // 499 free
  EXPECT_TRUE(decide().empty());             // paused, nothing to cancel or sell
  balances_.quote_locked_e8 = 0;             // 600 free; the buy leaves 476.36 < 500
  EXPECT_TRUE(decide().empty());             // (Balance Monitoring)
  balances_.quote_total_e8 = 700 * kOneE8;
  EXPECT_EQ(decide().size(), 1u);
}

TEST_F(TopOfBookTest, Step2_UnknownBalancesPauseUnlessTheMinimumIsZero) {
  balances_ = Balances{};  // no account baseline journaled yet
  const std::string buy = rest(kTobBuySlot, Side::kBuy, 6180000, 200);
  const auto out = decide();
  EXPECT_EQ(cancelled(out), std::vector<std::string>{buy});
  EXPECT_NE(out[0].reason.find("usd_balance unknown"), std::string::npos);
  p_.min_usd_balance_e8 = 0;
  const auto amended = decide();
  ASSERT_EQ(amended.size(), 1u);
  EXPECT_EQ(amended[0].kind, Kind::kAmend);  // not paused: the buy moves to the required price
}

TEST_F(TopOfBookTest, Step2_PauseEnsuresSellsForAllHeldAtOrAboveBestAsk) {
  hold(1000, 6190000);  // 0.01 BTC at 61900: its cost floor ceil(61900 / 0.9997) = 61918.58
  const std::string sell = rest(kTobSellSlot, Side::kSell, 6200000, 400);
  hold(800, 6190000);   // 0.018 BTC held, 0.004 of it being sold: 0.014 not covered
  const auto out = decide();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, Kind::kAmend);
  EXPECT_EQ(out[0].client_order_id, sell);
  EXPECT_EQ(out[0].side, Side::kSell);
  EXPECT_EQ(out[0].slot_key, kTobSellSlot);
  EXPECT_EQ(out[0].qty_lots, 1800);  // every lot held
  EXPECT_EQ(out[0].price_ticks, 6191858);
  EXPECT_GE(out[0].price_ticks, kAsk);
}

TEST_F(TopOfBookTest, Step2_PauseWithEverythingCoveredDoesNothing) {
  hold(1700, 6170000);
  rest(kTobSellSlot, Side::kSell, 6190000, 1700);
  EXPECT_TRUE(decide().empty());
}

TEST_F(TopOfBookTest, Step2_ResumesOnlyWhenBothChecksPass) {
  hold(1700, 6170000);
  const std::string sell = rest(kTobSellSlot, Side::kSell, 6190000, 1600);
  balances_.quote_total_e8 = 400 * kOneE8;
  EXPECT_TRUE(of(decide(), Kind::kPlace, Side::kBuy).empty());  // both fail
  balances_.quote_total_e8 = 10'000 * kOneE8;
  EXPECT_TRUE(of(decide(), Kind::kPlace, Side::kBuy).empty());  // exposure still fails
  fill(sell, Side::kSell, 6190000, 1600);                         // 0.001 BTC left: 61.84
  const auto out = decide();
  ASSERT_EQ(of(out, Kind::kPlace, Side::kBuy).size(), 1u);
  EXPECT_EQ(of(out, Kind::kPlace, Side::kBuy)[0]->price_ticks, kPairBuy);
}

// ---- Step 3: buy order management ------------------------------------------------------------

TEST_F(TopOfBookTest, Step3_MoreThanOneOpenBuyCancelsAllBuysAndStops) {
  hold(200, 6170000);  // held base the pair step would sell: it must not
  const std::string mine = rest(kTobBuySlot, Side::kBuy, kPairBuy, 200);
  const std::string adopted = adopt(tob_adopt_slot_key(Side::kBuy, 6170000), Side::kBuy, 6170000, 200);
  ASSERT_EQ(task().strays().size(), 1u);  // the buy slot is busy: the adopted buy is a stray
  auto out = decide();
  std::vector<std::string> both{mine, adopted};
  std::sort(both.begin(), both.end());
  EXPECT_EQ(cancelled(out), both);
  EXPECT_EQ(out.size(), 2u);  // stop: no sell, no buy
  EXPECT_NE(out[0].reason.find("2 open buys"), std::string::npos) << out[0].reason;
  // The engine's stray cancel (already in `out`) is not sent twice.
  std::vector<IntentSpec> engine_first(1);
  engine_first[0].kind = Kind::kCancel;
  engine_first[0].client_order_id = adopted;
  decide_top_of_book(view(kBid, kAsk), task(), p_, engine_first);
  EXPECT_EQ(engine_first.size(), 2u);
  EXPECT_EQ(engine_first[1].client_order_id, mine);
}

TEST_F(TopOfBookTest, Step3_ZeroOpenBuys_MakerFeeAboveZero_BuyAtBestAskTimesOneMinusRequired) {
  const auto out = decide();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, Kind::kPlace);
  EXPECT_EQ(out[0].side, Side::kBuy);
  EXPECT_EQ(out[0].slot_key, kTobBuySlot);
  EXPECT_EQ(out[0].price_ticks, kPairBuy);
  EXPECT_EQ(out[0].qty_lots, 200);
  // maker_fee 0.001: r = 0.0021; 6183764 * 0.9979 = 6170778.3956 -> 61707.78.
  p_.maker_fee_e8 = 100'000;
  EXPECT_EQ(decide()[0].price_ticks, 6170778);
}

TEST_F(TopOfBookTest, Step3_ZeroOpenBuys_MakerFeeZero_BuyAtBestBid) {
  p_.maker_fee_e8 = 0;
  // A book 7.64 USDT wide: spread 0.01235% >= the required 0.01%.
  const auto out = decide(6183000, kAsk);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].price_ticks, 6183000);
}

TEST_F(TopOfBookTest, Step3_ZeroOpenBuys_SellFirstThenBuy) {
  hold(200, kPairBuy);  // the last pair's buy filled
  const auto out = decide();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].side, Side::kSell);
  EXPECT_EQ(out[0].kind, Kind::kPlace);
  EXPECT_EQ(out[0].price_ticks, kAsk);  // best_ask (its cost floor is exactly the ask)
  EXPECT_EQ(out[0].qty_lots, 200);
  EXPECT_EQ(out[1].side, Side::kBuy);
  EXPECT_EQ(out[1].price_ticks, kPairBuy);
  EXPECT_EQ(out[1].qty_lots, 200);
}

TEST_F(TopOfBookTest, Step3_SpotSellsOnlyHeldBase) {
  // Nothing held: no sell (spot cannot go short), and the buy's reason says so.
  auto out = decide();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_NE(out[0].reason.find("no sell"), std::string::npos) << out[0].reason;
  // Less than qty held: sell what is held.
  hold(50, kPairBuy);
  out = decide();
  ASSERT_EQ(of(out, Kind::kPlace, Side::kSell).size(), 1u);
  EXPECT_EQ(of(out, Kind::kPlace, Side::kSell)[0]->qty_lots, 50);
  // More than qty held: sell qty (the pair's size); the pause alone sells everything.
  hold(250, kPairBuy);
  out = decide();
  EXPECT_EQ(of(out, Kind::kPlace, Side::kSell)[0]->qty_lots, 200);
}

TEST_F(TopOfBookTest, Step3_SellOfDustBelowMinNotionalIsHeld) {
  hold(5, kPairBuy);  // 0.00005 BTC = 3.09 USDT < 5
  const auto out = decide();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].side, Side::kBuy);
  EXPECT_NE(out[0].reason.find("below the venue minimum"), std::string::npos) << out[0].reason;
}

TEST_F(TopOfBookTest, Step3_ExactlyOneOpenBuy_AmendsToTheRequiredPrice) {
  const std::string buy = rest(kTobBuySlot, Side::kBuy, kPairBuy, 200);
  // The ask moves to 61840.00: required floor(6184000 * 0.9997) = 6182144.8 -> 61821.44.
  const auto out = decide(6183999, 6184000);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, Kind::kAmend);
  EXPECT_EQ(out[0].client_order_id, buy);
  EXPECT_EQ(out[0].slot_key, kTobBuySlot);
  EXPECT_EQ(out[0].side, Side::kBuy);
  EXPECT_EQ(out[0].price_ticks, 6182144);
  EXPECT_EQ(out[0].qty_lots, 200);
  EXPECT_NE(out[0].reason.find("amend buy 61819.08 -> 61821.44"), std::string::npos)
      << out[0].reason;
  EXPECT_NE(out[0].reason.find("spread="), std::string::npos);
}

TEST_F(TopOfBookTest, Step3_ExactlyOneOpenBuy_MatchedNoAction) {
  rest(kTobBuySlot, Side::kBuy, kPairBuy, 200);
  EXPECT_TRUE(decide().empty());
  // The bid moving alone does not move the required price (maker_fee > 0).
  EXPECT_TRUE(decide(6183000, kAsk).empty());
}

TEST_F(TopOfBookTest, Step3_AmendKeepsThePairSizeAfterAPartialFill) {
  const std::string buy = rest(kTobBuySlot, Side::kBuy, kPairBuy, 200);
  fill(buy, Side::kBuy, kPairBuy, 80);
  const auto out = decide(6183999, 6184000);
  ASSERT_EQ(out.size(), 1u);  // still one open buy: no sell yet (the seed sells on 0 open buys)
  EXPECT_EQ(out[0].kind, Kind::kAmend);
  EXPECT_EQ(out[0].qty_lots, 120);
}

TEST_F(TopOfBookTest, Step3_BuyRemainderBelowMinimumIsCancelledNotAmended) {
  const std::string buy = rest(kTobBuySlot, Side::kBuy, kPairBuy, 200);
  fill(buy, Side::kBuy, kPairBuy, 195);  // 0.00005 left: 3.09 USDT < 5
  const auto out = decide(6183999, 6184000);
  EXPECT_EQ(cancelled(out), std::vector<std::string>{buy});
  EXPECT_EQ(out.size(), 1u);
}

// ---- Handle order events ---------------------------------------------------------------------

TEST_F(TopOfBookTest, OrderEvents_BuyFillReplacesThePair) {
  const std::string buy = rest(kTobBuySlot, Side::kBuy, kPairBuy, 200);
  EXPECT_TRUE(decide().empty());
  fill(buy, Side::kBuy, kPairBuy, 200);
  // The market traded down to the buy: bid 61819.07, ask 61819.08.
  const auto out = decide(6181907, 6181908);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].side, Side::kSell);
  EXPECT_EQ(out[0].qty_lots, 200);
  // Never below the cost plus fees: ceil(6181908 / 0.9997) = 61837.64, not the ask 61819.08.
  EXPECT_EQ(out[0].price_ticks, kAsk);
  EXPECT_NE(out[0].reason.find("above best_ask"), std::string::npos) << out[0].reason;
  EXPECT_EQ(out[1].side, Side::kBuy);
  EXPECT_EQ(out[1].price_ticks, tob_buy_price_ticks(6181907, 6181908, p_));
}

TEST_F(TopOfBookTest, OrderEvents_SellFillNoImmediateAction) {
  hold(200, kPairBuy);
  const std::string sell = rest(kTobSellSlot, Side::kSell, kAsk, 200);
  rest(kTobBuySlot, Side::kBuy, kPairBuy, 200);
  fill(sell, Side::kSell, kAsk, 120);
  EXPECT_TRUE(decide().empty());
  fill(sell, Side::kSell, kAsk, 80);
  EXPECT_TRUE(decide().empty());
}

TEST_F(TopOfBookTest, OrderEvents_CancelOrExpiryRerunsTheFullFlow) {
  const std::string buy = rest(kTobBuySlot, Side::kBuy, kPairBuy, 200);
  fold(journal::OrderCanceled{buy, 0, journal::Source::kUserStream});  // expired on the venue
  const auto out = decide();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, Kind::kPlace);
  EXPECT_EQ(out[0].price_ticks, kPairBuy);
  // ... the full flow, Step 2 included: under the minimum balance nothing is placed.
  balances_.quote_total_e8 = 100 * kOneE8;
  EXPECT_TRUE(decide().empty());
}

// ---- Maintenance rules -----------------------------------------------------------------------

TEST_F(TopOfBookTest, ProfitabilityGuard_SkipsWhenSpreadBelowRequired) {
  p_.maker_fee_e8 = 0;  // buy at best_bid: on a one-tick book the spread is 0.00002%
  EXPECT_TRUE(decide().empty());
  // ... nor is a resting buy amended to such a price.
  rest(kTobBuySlot, Side::kBuy, 6183000, 200);
  EXPECT_TRUE(decide().empty());
  // A book whose spread is at least r: the buy moves to the bid.
  const auto out = decide(6183100, kAsk);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, Kind::kAmend);
  EXPECT_EQ(out[0].price_ticks, 6183100);
}

TEST_F(TopOfBookTest, PostOnlySafety_BuyNeverAboveBestBid) {
  // A book 137 USDT wide: the required buy 61819.08 is above the bid 61700.00: skip.
  EXPECT_TRUE(decide(6170000, kAsk).empty());
  const std::string buy = rest(kTobBuySlot, Side::kBuy, 6160000, 200);
  EXPECT_TRUE(decide(6170000, kAsk).empty());  // nor amended there
  // The bid exactly at the required price: allowed (buy <= best_bid).
  const auto out = decide(kPairBuy, kAsk);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].price_ticks, kPairBuy);
  EXPECT_EQ(out[0].client_order_id, buy);
}

TEST_F(TopOfBookTest, PostOnlySafety_CrossedBookPlacesNothing) {
  hold(200, kPairBuy);
  p_.maker_fee_e8 = 0;
  // bid 61840 > ask 61837.64 (a stale side): a buy at the bid would take, as would a sell at
  // the ask.
  EXPECT_TRUE(decide(6184000, kAsk).empty());
}

TEST_F(TopOfBookTest, SellIsNeverBelowAverageCostPlusFees) {
  hold(200, 6190000);  // bought at 61900.00; the market is at 61837.64
  const auto out = decide();
  const auto sells = of(out, Kind::kPlace, Side::kSell);
  ASSERT_EQ(sells.size(), 1u);
  // ceil(6190000 / 0.9997) = 6191857.557 -> 61918.58: (sell - cost) / sell >= 0.0003.
  EXPECT_EQ(sells[0]->price_ticks, 6191858);
  EXPECT_TRUE(tob_spread_ok(sells[0]->price_ticks, 6190000, tob_required_spread_e8(p_)));
  EXPECT_FALSE(tob_spread_ok(sells[0]->price_ticks - 1, 6190000, tob_required_spread_e8(p_)));
}

TEST_F(TopOfBookTest, SecondFilledBuyMergesIntoTheOpenSell) {
  hold(200, 6190000);
  const std::string sell = rest(kTobSellSlot, Side::kSell, 6191858, 200);
  hold(200, 6170000);  // average cost 61800: floor ceil(61800 / 0.9997) = 61818.55 < ask
  const auto out = decide();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].kind, Kind::kAmend);
  EXPECT_EQ(out[0].client_order_id, sell);
  EXPECT_EQ(out[0].qty_lots, 400);
  EXPECT_EQ(out[0].price_ticks, kAsk);
  EXPECT_EQ(out[1].kind, Kind::kPlace);
  EXPECT_EQ(out[1].side, Side::kBuy);
}

TEST_F(TopOfBookTest, NoDuplicates_CancelsTheOrderAtThePriceBeforePlacing) {
  hold(600, kPairBuy);
  const std::string sell = rest(kTobSellSlot, Side::kSell, 6190000, 200);
  const std::string dup = adopt(kTobSellSlot, Side::kSell, kAsk, 200);  // a stray at the ask
  const auto out = decide();
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].kind, Kind::kCancel);  // cancels first
  EXPECT_EQ(out[0].client_order_id, dup);
  EXPECT_NE(out[0].reason.find("no duplicates"), std::string::npos);
  EXPECT_EQ(out[1].kind, Kind::kAmend);
  EXPECT_EQ(out[1].client_order_id, sell);
  EXPECT_EQ(out[1].price_ticks, kAsk);
  EXPECT_EQ(out[1].qty_lots, 400);  // its 200 + the 200 not yet being sold
  EXPECT_EQ(out[2].side, Side::kBuy);
}

TEST_F(TopOfBookTest, BalanceMonitoring_BuyOnlyIfQtyFitsTheLimits) {
  hold(1500, kPairBuy);  // 927.56 USDT at the bid; one more qty: 1051.24 > 1000
  rest(kTobSellSlot, Side::kSell, kAsk, 1500);
  EXPECT_TRUE(decide().empty());
  p_.max_exposure_e8 = 1'100 * kOneE8;
  EXPECT_EQ(decide().size(), 1u);
  // The buy's 123.64 USDT must leave min_usd_balance free.
  balances_.quote_total_e8 = 620 * kOneE8;
  EXPECT_TRUE(decide().empty());
  balances_.quote_total_e8 = 624 * kOneE8;
  EXPECT_EQ(decide().size(), 1u);
}

TEST_F(TopOfBookTest, Logging_EveryIntentHasAReasonNamingItsRule) {
  std::vector<std::string> reasons;
  auto take = [&](const std::vector<IntentSpec>& out) {
    for (const IntentSpec& s : out) reasons.push_back(s.reason);
  };
  take(decide());                                    // pair buy
  const std::string buy = rest(kTobBuySlot, Side::kBuy, kPairBuy, 200);
  take(decide(6183999, 6184000));                    // amend
  balances_.quote_total_e8 = 100 * kOneE8;
  take(decide());                                    // pause
  ASSERT_GE(reasons.size(), 3u);
  for (const std::string& r : reasons) EXPECT_FALSE(r.empty());
  EXPECT_NE(reasons[0].find("pair buy 0.002 at 61819.08 = best_ask 61837.64 * (1 - 0.0003)"),
            std::string::npos) << reasons[0];
  EXPECT_NE(reasons[0].find("spread=0.03"), std::string::npos) << reasons[0];
  EXPECT_NE(reasons[1].find("reason=book moved"), std::string::npos) << reasons[1];
  EXPECT_NE(reasons[2].find("pause: usd_balance 100 < min_usd_balance 500; cancel buy at 61819.08"),
            std::string::npos) << reasons[2];
}

// ---- house rules: R1, retries, slots ---------------------------------------------------------

TEST_F(TopOfBookTest, InFlightBuyIsLeftAlone) {
  send(kTobBuySlot, Side::kBuy, 6170000, 200);  // outcome unknown (R1)
  EXPECT_TRUE(decide(6183999, 6184000).empty());
  balances_.quote_total_e8 = 100 * kOneE8;     // paused: still nothing to cancel
  EXPECT_TRUE(decide().empty());
}

TEST_F(TopOfBookTest, BuyWithAPendingCancelIsNotAmended) {
  const std::string buy = rest(kTobBuySlot, Side::kBuy, 6170000, 200);
  fold(journal::CancelIntent{kTobBuySlot, buy, {}, {}});
  EXPECT_TRUE(decide().empty());
}

TEST_F(TopOfBookTest, AmendInProgressIsNotASecondBuy) {
  rest(kTobBuySlot, Side::kBuy, kPairBuy, 200);
  const auto out = decide(6183999, 6184000);
  ASSERT_EQ(out.size(), 1u);
  const std::string replacement = amend(out[0]);
  ASSERT_EQ(task().orders.at(out[0].client_order_id).phase, model::OrderPhase::kOpen);
  EXPECT_TRUE(decide(6183999, 6184000).empty());  // the replacement is in flight (R1)
  // Its ack comes before the original's cancel confirmation: still one buy, at the price.
  fold(journal::OrderAccepted{replacement, ++order_id_, journal::Source::kUserStream});
  EXPECT_TRUE(decide(6183999, 6184000).empty());
  // The ask moves on: the replacement is amended in turn.
  const auto next = decide(6184999, 6185000);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].kind, Kind::kAmend);
  EXPECT_EQ(next[0].client_order_id, replacement);
}

TEST_F(TopOfBookTest, RefusedCancelIsNeverSentAgain) {
  const std::string a = rest(kTobBuySlot, Side::kBuy, 6170000, 200);
  const std::string b = adopt(kTobBuySlot, Side::kBuy, 6160000, 200);
  fold(journal::CancelIntent{kTobBuySlot, a, {}, {}});
  fold(journal::CancelRejected{a, -2011, "Unknown order sent."});
  ASSERT_TRUE(task().orders.at(a).cancel_refused);
  EXPECT_EQ(cancelled(decide()), std::vector<std::string>{b});
}

TEST_F(TopOfBookTest, RejectedSlotWaitsBeforePlacingAgain) {
  const std::string cid = send(kTobBuySlot, Side::kBuy, kPairBuy, 200, 5'000'000'000);
  fold(journal::OrderRejected{cid, -2010, "Order would immediately match and take.",
                              journal::Source::kResponse},
       5'000'000'000);
  EXPECT_TRUE(decide(kBid, kAsk, 5'500'000'000).empty());
  EXPECT_EQ(decide(kBid, kAsk, 6'000'000'000).size(), 1u);
}

TEST_F(TopOfBookTest, RegistryEntryParamsLabelsAndSlots) {
  const StrategyInfo* info = find_strategy("top_of_book");
  ASSERT_NE(info, nullptr);
  std::vector<std::string> keys;
  for (const ParamSpec& s : info->params) keys.push_back(s.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"qty", "maker_fee", "max_exposure", "min_usd_balance"}));
  ParamValues v;
  v.values = {{"qty", 200}, {"maker_fee", 10'000}, {"max_exposure", 1'000 * kOneE8},
              {"min_usd_balance", 500 * kOneE8}};
  auto made = info->make(v, task().instrument);
  ASSERT_TRUE(made.ok());
  const Strategy& s = **made;
  EXPECT_STREQ(s.name(), "top_of_book");
  EXPECT_TRUE(s.reads_balances());
  EXPECT_EQ(s.adopt_slot_key(Side::kBuy, 1), kTobBuySlot);
  EXPECT_EQ(s.adopt_slot_key(Side::kSell, 1), kTobSellSlot);
  EXPECT_EQ(info->slot_label(kTobBuySlot, task().instrument), "bid");
  EXPECT_EQ(info->slot_label(kTobSellSlot, task().instrument), "ask");
  const auto open = s.opening_orders(kAsk);
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].side, Side::kBuy);
  EXPECT_EQ(open[0].price_ticks, kPairBuy);
  EXPECT_EQ(open[0].qty_lots, 200);
  EXPECT_EQ(params_text(*info, v, task().instrument),
            "qty=0.002;maker_fee=0.0001;max_exposure=1000;min_usd_balance=500");
}

// ---- the recorded BTCUSDT quotes -------------------------------------------------------------

struct Quote {
  int64_t bid, ask;
};

// Every bookTicker of the 2024-08-08 BTCUSDT recording, in order.
std::vector<Quote> recorded_quotes(const Instrument& ins) {
  std::vector<Quote> out;
  const std::string path = std::string(KEEL_SHARED_DIR) + "/data/binance/spot/btcusdt_20240808.gz";
  gzFile gz = gzopen(path.c_str(), "rb");
  if (gz == nullptr) return out;
  std::vector<char> line(1 << 16);
  auto field = [](const std::string& s, const char* key) {
    const size_t at = s.find(key);
    if (at == std::string::npos) return std::string();
    const size_t from = at + std::char_traits<char>::length(key);
    return s.substr(from, s.find('"', from) - from);
  };
  while (gzgets(gz, line.data(), static_cast<int>(line.size())) != nullptr) {
    const std::string s(line.data());
    if (s.find("@bookTicker") == std::string::npos) continue;
    auto b = ins.parse_price_ticks(field(s, "\"b\":\""));
    auto a = ins.parse_price_ticks(field(s, "\"a\":\""));
    if (b.ok() && a.ok()) out.push_back({*b, *a});
  }
  gzclose(gz);
  return out;
}

TEST_F(TopOfBookTest, RecordedQuotes_EveryBuyIsPostOnlySafeAndProfitable) {
  const auto quotes = recorded_quotes(task().instrument);
  ASSERT_GT(quotes.size(), 1000u) << "recording missing";
  EXPECT_EQ(quotes.front().bid, kBid);
  EXPECT_EQ(quotes.front().ask, kAsk);
  const std::string buy = rest(kTobBuySlot, Side::kBuy, kPairBuy, 200);
  size_t amends = 0, skipped = 0;
  for (const Quote& q : quotes) {
    const auto out = decide(q.bid, q.ask);
    for (const IntentSpec& s : out) {
      ASSERT_EQ(s.kind, Kind::kAmend);
      ASSERT_EQ(s.client_order_id, buy);
      EXPECT_LE(s.price_ticks, q.bid);
      EXPECT_LT(s.price_ticks, q.ask);
      EXPECT_TRUE(tob_spread_ok(q.ask, s.price_ticks, tob_required_spread_e8(p_)));
      EXPECT_FALSE(tob_spread_ok(q.ask, s.price_ticks + 1, tob_required_spread_e8(p_)));
    }
    amends += out.size();
    const int64_t required = tob_buy_price_ticks(q.bid, q.ask, p_);
    if (out.empty() && required != kPairBuy) {
      ++skipped;  // only post-only safety may hold the amend back: the book is wider than r
      EXPECT_GT(required, q.bid);
    }
  }
  EXPECT_GT(amends, 100u);  // the ask moves: the buy follows it
  // The recording has wide books (a fast move: 19 to 21 USDT between bid and ask, more than
  // r = 0.03% of 61700): there the seed's stricter rule (buy <= best_bid) skips the amend.
  EXPECT_GT(skipped, 0u);
}

TEST_F(TopOfBookTest, RecordedQuotes_MemoNeverHidesADecision) {
  const auto quotes = recorded_quotes(task().instrument);
  ASSERT_GT(quotes.size(), 1000u);
  hold(200, 6180000);
  rest(kTobBuySlot, Side::kBuy, kPairBuy, 200);
  TopOfBookMemo memo;
  size_t quiet = 0, decided = 0;
  for (const Quote& q : quotes) {
    const MarketView v = view(q.bid, q.ask);
    std::vector<IntentSpec> out;
    decide_top_of_book(v, task(), p_, out);
    if (memo.still_quiet(v, state_.last_seq)) {
      ++quiet;
      ASSERT_TRUE(out.empty());
    }
    if (out.empty()) {
      memo.quiet(v, task(), state_.last_seq);
      continue;
    }
    ++decided;
    memo.forget();
    for (const IntentSpec& s : out) {  // the buy follows the ask: amend after amend
      ASSERT_EQ(s.kind, Kind::kAmend);
      replace(s);
    }
  }
  EXPECT_GT(quiet, 100u);  // bookTickers that change only the sizes
  EXPECT_GT(decided, 100u);
  // A new state version is never quiet.
  const MarketView v = view(kBid, kAsk);
  memo.quiet(v, task(), 7);
  EXPECT_FALSE(memo.still_quiet(v, 8));
}

}  // namespace
}  // namespace keel::strategy
