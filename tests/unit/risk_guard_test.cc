// The risk layer (keel/risk/risk.h) on hand-made task states: exposure at worst case, the
// guard's three states, and what filter lets through.
#include <gtest/gtest.h>

#include <set>

#include "fixture_btcusdt.h"
#include "keel/core/ids.h"
#include "keel/market/bars.h"
#include "keel/market/capture.h"
#include "keel/market/order_book.h"
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
  EXPECT_EQ(assess(exposure_of(task(), state_.account("default")), Market{}, l, ins(), GuardNow{}).state, GuardState::kSafe);
  const std::string b1 = place(Side::kBuy, 6183000, 200);
  fill(b1, Side::kBuy, 6183000, 200, 1);
  place(Side::kBuy, 6182500, 200);  // in flight: no outcome yet
  Exposure e = exposure_of(task(), state_.account("default"));
  EXPECT_EQ(e.base_e8, 400'000);
  EXPECT_EQ(e.open_orders, 1);
  // 0.002 at the mark's mid 61840.50 plus 0.002 at 61825.
  EXPECT_EQ(e.notional_e8, 12'368'100'000 + 12'365'000'000);
  const Verdict v = assess(e, Market{}, l, ins(), GuardNow{});
  EXPECT_EQ(v.state, GuardState::kCaution);
  EXPECT_EQ(v.reason, "max_position: position and working buys 0.004 BTC of 0.006 (caution from "
                      "60%, safe again below 50%)");
  std::vector<strategy::IntentSpec> specs{buy(6182000, 200), buy(6181500, 200)};
  EXPECT_EQ(filter(specs, task(), e, l, v.state), 1u);  // the second would make 0.008
  ASSERT_EQ(specs.size(), 1u);
  EXPECT_EQ(specs[0].price_ticks, 6182000);
  place(Side::kBuy, 6182000, 200);
  place(Side::kBuy, 6181500, 200);  // keel would not, but the fold must judge it: HALT
  e = exposure_of(task(), state_.account("default"));
  const Verdict h = assess(e, Market{}, l, ins(), GuardNow{});
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
  const Exposure e = exposure_of(task(), state_.account("default"));
  EXPECT_EQ(assess(e, Market{}, l, ins(), GuardNow{}).state, GuardState::kSafe);
  const GuardNow caution{GuardState::kCaution, 100'000'000'000, 200'000'000'000};
  EXPECT_EQ(assess(e, Market{}, l, ins(), caution).state, GuardState::kCaution);
  EXPECT_EQ(assess(e, Market{}, l, ins(), {GuardState::kHalt, 100'000'000'000, 200'000'000'000}).state,
            GuardState::kCaution);
  const std::string s1 = place(Side::kSell, 6184000, 40);
  fill(s1, Side::kSell, 6184000, 40, 2);  // 0.0029 BTC: 48.3%
  const Exposure low = exposure_of(task(), state_.account("default"));
  EXPECT_EQ(assess(low, Market{}, l, ins(), caution).state, GuardState::kSafe);
  // ... but not within 10 s of exchange time of entering CAUTION.
  const Verdict held =
      assess(low, Market{}, l, ins(), {GuardState::kCaution, 195'000'000'000, 200'000'000'000});
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
  const Exposure e = exposure_of(task(), state_.account("default"));
  ASSERT_EQ(assess(e, Market{}, l, ins(), GuardNow{}).state, GuardState::kHalt);
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
  Exposure e = exposure_of(task(), state_.account("default"));
  EXPECT_FALSE(e.quote_known);
  EXPECT_EQ(assess(e, Market{}, l, ins(), GuardNow{}).state, GuardState::kSafe);
  journal::AccountBaseline b{"BTCUSDT", 0, 1, {{"BTC", 0}, {"USDT", 10'000 * kOneE8}}};
  fold(journal::kJournalTaskId, b);
  e = exposure_of(task(), state_.account("default"));
  ASSERT_TRUE(e.quote_known);
  EXPECT_EQ(e.quote_free_e8, 10'000 * kOneE8 - 12'366'000'000);
  const Verdict v = assess(e, Market{}, l, ins(), GuardNow{});
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

// An amend replaces its original: the original's remainder no longer counts, so an amend that
// only moves a buy passes where a new buy would not; in HALT a buy's amend is dropped and the
// original cancelled like any open buy.
TEST_F(RiskTest, AnAmendIsJudgedInPlaceOfItsOriginal) {
  Limits l;
  l.max_position_e8 = 600'000;  // 0.006 BTC
  const std::string b1 = place(Side::kBuy, 6183000, 400);
  fill(b1, Side::kBuy, 6183000, 400, 1);
  const std::string open = place(Side::kBuy, 6182500, 200);
  fold("g", journal::OrderAccepted{open, 7, Source::kResponse});
  const Exposure e = exposure_of(task(), state_.account("default"));
  ASSERT_EQ(e.base_e8, 600'000);  // at the limit: CAUTION, not beyond it
  strategy::IntentSpec amend = buy(6182400, 200);
  amend.kind = strategy::IntentSpec::Kind::kAmend;
  amend.slot_key = 6182500;
  amend.client_order_id = open;
  std::vector<strategy::IntentSpec> specs{buy(6182000, 200), amend};
  EXPECT_EQ(filter(specs, task(), e, l, GuardState::kCaution), 1u);
  ASSERT_EQ(specs.size(), 1u);
  EXPECT_EQ(specs[0].kind, strategy::IntentSpec::Kind::kAmend);
  specs = {amend};
  EXPECT_EQ(filter(specs, task(), e, l, GuardState::kHalt), 1u);
  ASSERT_EQ(specs.size(), 1u);
  EXPECT_EQ(specs[0].kind, strategy::IntentSpec::Kind::kCancel);
  EXPECT_EQ(specs[0].client_order_id, open);
}

// ---- Seed 003's market guards (price jump, depth, fill rate, spread) -----------------------

// The recorded BTCUSDT session (data/README.md), played as the engine observes it
// (engine.cc observe): the exchange time is the newest trade T or depth E seen; each bookTicker
// sets the best bid (floored) and ask (ceiled) in ticks and feeds the one-second mid bars.
class RecordedMarket {
 public:
  RecordedMarket() {
    const std::string spot = std::string(KEEL_SHARED_DIR) + "/data/binance/spot/";
    auto r = market::CaptureReader::open({spot + "btcusdt_20240808.gz", spot + "btcusdt_20240809.gz"});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (r.ok()) reader_ = std::move(*r);
  }
  // The next event, observed; false at the end. `ticker` tells whether it moved the best quotes.
  bool next(bool& ticker) {
    ticker = false;
    if (reader_ == nullptr || !reader_->next(ev_).ok()) return false;
    if (const auto* bt = std::get_if<market::BookTicker>(&ev_.body)) {
      view.best_bid_ticks = bt->bid_price_e8 / kTickE8;
      view.best_ask_ticks = (bt->ask_price_e8 + kTickE8 - 1) / kTickE8;
      bars_.on_mid(view.ts_exchange_ns, (bt->bid_price_e8 + bt->ask_price_e8) / 2);
      ticker = true;
    } else if (const auto* tr = std::get_if<market::Trade>(&ev_.body)) {
      view.last_trade_ticks = tr->price_e8 / kTickE8;
      view.ts_exchange_ns = std::max(view.ts_exchange_ns, tr->ts_exchange_ns);
    } else if (const auto* d = std::get_if<market::DepthDiff>(&ev_.body)) {
      view.ts_exchange_ns = std::max(view.ts_exchange_ns, d->ts_exchange_ns);
      book_.on_diff(*d);
    } else if (const auto* snap = std::get_if<market::DepthSnapshot>(&ev_.body)) {
      book_.on_snapshot(*snap);
    }
    view.book = &book_;
    view.bars = &bars_;
    return true;
  }
  strategy::MarketView view;

 private:
  static constexpr int64_t kTickE8 = 1'000'000;
  std::unique_ptr<market::CaptureReader> reader_;
  market::MarketEvent ev_;
  market::OrderBook book_;
  market::MidBars bars_;
};

// Depth (seed "Depth Monitoring"): the base resting within depth_band_bps of the mid, each
// side, read from the real book right after its REST snapshot is bridged (61837.63 / 61837.64).
// The expected sums were added up from the recording's snapshot and bridging diff by an
// independent script (decimal arithmetic over the raw JSON).
TEST_F(RiskTest, MinDepthReadsTheRealBookWithinItsBand) {
  RecordedMarket rec;
  bool ticker = false;
  while (rec.next(ticker) && !rec.view.book->synced()) {
  }
  ASSERT_TRUE(rec.view.book->synced());
  rec.view.best_bid_ticks = rec.view.book->best_bid_e8() / 1'000'000;
  rec.view.best_ask_ticks = rec.view.book->best_ask_e8() / 1'000'000;
  ASSERT_EQ(rec.view.best_bid_ticks, 6183763);
  Limits l;
  l.min_depth_e8 = 30 * kOneE8;
  l.depth_band_bps_e2 = 500;
  Market m = market_of(rec.view, task(), l);
  ASSERT_TRUE(m.depth_known);
  EXPECT_EQ(m.bid_depth_e8, 2'509'424'000);  // 25.09424 BTC
  EXPECT_EQ(m.ask_depth_e8, 2'304'021'000);  // 23.04021 BTC
  Verdict v = assess(Exposure{}, m, l, ins(), GuardNow{});
  EXPECT_EQ(v.state, GuardState::kHalt);
  EXPECT_EQ(v.reason, "min_depth: 25.09424 BTC bid, 23.04021 ask within 5 bps of the mid, minimum 30");
  l.depth_band_bps_e2 = 1'000;
  m = market_of(rec.view, task(), l);
  EXPECT_EQ(m.bid_depth_e8, 4'762'035'000);
  EXPECT_EQ(m.ask_depth_e8, 4'957'728'000);
  // 47.6 BTC on the thinner side: above 30, but below 30 * 100 / 80 = 37.5? No: CAUTION only
  // under 37.5; SAFE here.
  EXPECT_EQ(assess(Exposure{}, m, l, ins(), GuardNow{}).state, GuardState::kSafe);
  l.min_depth_e8 = 40 * kOneE8;  // 47.6 < 40 / 0.8 = 50: CAUTION
  EXPECT_EQ(assess(Exposure{}, m, l, ins(), GuardNow{}).state, GuardState::kCaution);
}

// A book that lost its sync after a gap is a HALT under min_depth until its next snapshot (a
// guard that cannot see the book does not vouch for it); before the book's first snapshot (a
// start or restart) the depth is not judged, like the move before two bars.
TEST_F(RiskTest, MinDepthHaltsWhileTheBookHasLostItsSync) {
  Limits l;
  l.min_depth_e8 = kOneE8;
  strategy::MarketView v{6183763, 6183764, 6183763, 1};
  Market m = market_of(v, task(), l);  // no book at all
  EXPECT_FALSE(m.depth_known || m.depth_lost);
  EXPECT_EQ(assess(Exposure{}, m, l, ins(), GuardNow{}).state, GuardState::kSafe);
  market::OrderBook book;
  v.book = &book;
  EXPECT_FALSE(market_of(v, task(), l).depth_lost);  // never synced yet: not judged
  market::DepthSnapshot snap;
  snap.last_update_id = 10;
  snap.bids = {{6'183'763'000'000, 3 * kOneE8}};
  snap.asks = {{6'183'764'000'000, 2 * kOneE8}};
  book.on_snapshot(snap);
  market::DepthDiff bridge;
  bridge.first_update_id = 9;
  bridge.final_update_id = 11;
  book.on_diff(bridge);
  ASSERT_TRUE(book.synced());
  m = market_of(v, task(), l);
  ASSERT_TRUE(m.depth_known);
  EXPECT_EQ(m.bid_depth_e8, 3 * kOneE8);
  EXPECT_EQ(m.ask_depth_e8, 2 * kOneE8);
  market::DepthDiff after_gap;
  after_gap.first_update_id = 20;  // 12..19 missed
  after_gap.final_update_id = 21;
  book.on_diff(after_gap);
  ASSERT_FALSE(book.synced());
  m = market_of(v, task(), l);
  EXPECT_TRUE(m.depth_lost);
  const Verdict verdict = assess(Exposure{}, m, l, ins(), GuardNow{});
  EXPECT_EQ(verdict.state, GuardState::kHalt);
  EXPECT_EQ(verdict.reason, "min_depth: the depth book lost its sync (a gap): depth unknown");
  // Without min_depth the book is not read.
  EXPECT_EQ(assess(Exposure{}, market_of(v, task(), Limits{}), Limits{}, ins(), GuardNow{}).state,
            GuardState::kSafe);
}

// Price jump (seed "Pauses trading if price changes > threshold bps/second") on the recording:
// the mid moved more than 5 bps within one second in exactly six seconds of the session, the
// first at 23:57:52 UTC (counted by an independent script over the raw bookTickers); the guard
// halts in those seconds and in no other.
TEST_F(RiskTest, PriceJumpHaltsInTheRecordingsSixFastSeconds) {
  RecordedMarket rec;
  Limits l;
  l.max_price_jump_bps_e2 = 500;
  std::set<int64_t> halted_seconds;
  int64_t max_move = -1;
  std::string first_reason;
  bool ticker = false;
  while (rec.next(ticker)) {
    if (!ticker) continue;
    const Market m = market_of(rec.view, task(), l);
    max_move = std::max(max_move, m.move_bps_e2);
    const Verdict v = assess(Exposure{}, m, l, ins(), GuardNow{});
    if (v.state == GuardState::kHalt) {
      if (first_reason.empty()) first_reason = v.reason;
      halted_seconds.insert(rec.view.ts_exchange_ns / 1'000'000'000);
    }
  }
  EXPECT_EQ(halted_seconds, (std::set<int64_t>{1723161472, 1723161502, 1723161515, 1723161534,
                                                1723161561, 1723161654}));
  EXPECT_GT(max_move, 500);
  EXPECT_LT(max_move, 1'500);  // the session's fastest second moved less than 15 bps
  EXPECT_EQ(first_reason.rfind("max_price_jump_bps: the mid moved ", 0), 0u) << first_reason;
  // Before two one-second bars exist the move is unknown and judges nothing.
  strategy::MarketView fresh{6183763, 6183764, 6183763, 1'000'000'000};
  market::MidBars bars;
  bars.on_mid(1'000'000'000, 6'183'763'500'000);
  fresh.bars = &bars;
  const Market m = market_of(fresh, task(), l);
  EXPECT_EQ(m.move_bps_e2, -1);
  EXPECT_EQ(assess(Exposure{}, m, l, ins(), GuardNow{}).state, GuardState::kSafe);
}

// Spread (seed "Avoids quoting when spread > threshold") on the recording: 393 of its 73,174
// bookTickers show a spread above 1 bp, the widest 10.03 bps (61583.23 / 61645.07); a 10 bps
// limit halts on that one alone.
TEST_F(RiskTest, SpreadGuardOnTheRecordedBookTickers) {
  RecordedMarket rec;
  Limits one_bp, ten_bps;
  one_bp.max_spread_bps_e2 = 100;
  ten_bps.max_spread_bps_e2 = 1'000;
  size_t tickers = 0, over_one = 0, halts_at_ten = 0;
  int64_t widest = 0;
  std::string reason;
  bool ticker = false;
  while (rec.next(ticker)) {
    if (!ticker) continue;
    ++tickers;
    const Market m = market_of(rec.view, task(), one_bp);
    widest = std::max(widest, m.spread_bps_e2);
    if (assess(Exposure{}, m, one_bp, ins(), GuardNow{}).state == GuardState::kHalt) ++over_one;
    const Verdict v = assess(Exposure{}, m, ten_bps, ins(), GuardNow{});
    if (v.state == GuardState::kHalt) {
      ++halts_at_ten;
      reason = v.reason;
    }
  }
  EXPECT_EQ(tickers, 73'174u);
  EXPECT_EQ(over_one, 393u);
  EXPECT_EQ(widest, 1'003);
  EXPECT_EQ(halts_at_ten, 1u);
  EXPECT_EQ(reason, "max_spread_bps: spread 10.03 bps of the mid, limit 10");
}

// Fill rate (seed "Pauses if fills exceed threshold per minute"): the task's fills journaled in
// the last 60 s of exchange time; HALT above the limit, CAUTION from caution_percent of it.
TEST_F(RiskTest, FillRateCountsTheLastMinutesFills) {
  auto fill_at = [&](int64_t ts_s, int64_t trade_id) {
    const std::string cid = place(Side::kBuy, 6183000, 10);
    journal::Record r;
    r.seq = state_.last_seq + 1;
    r.task_id = "g";
    r.ts_exchange_ns = ts_s * 1'000'000'000;
    r.body = journal::OrderFilled{cid, trade_id, 0, Side::kBuy, 6183000, 10, 0, "USDT", true,
                                  Source::kUserStream};
    model::apply(state_, r);
  };
  for (int i = 0; i < 5; ++i) fill_at(100 + i, 10 + i);  // 5 fills at 100..104 s
  Limits l;
  l.max_fills_per_minute = 5;
  strategy::MarketView v{6183763, 6183764, 6183763, 104'000'000'000};
  Market m = market_of(v, task(), l);
  EXPECT_EQ(m.fills_last_minute, 5);
  EXPECT_EQ(assess(Exposure{}, m, l, ins(), GuardNow{}).state, GuardState::kCaution);  // 100%
  fill_at(105, 20);
  v.ts_exchange_ns = 105'000'000'000;
  m = market_of(v, task(), l);
  const Verdict h = assess(Exposure{}, m, l, ins(), GuardNow{});
  EXPECT_EQ(h.state, GuardState::kHalt);
  EXPECT_EQ(h.reason, "max_fills_per_minute: 6 fills in the last minute, limit 5");
  // 60 s after the first fill it has left the window (now - 60 s, now]: 5 again.
  v.ts_exchange_ns = 160'000'000'000;
  EXPECT_EQ(market_of(v, task(), l).fills_last_minute, 5);
  v.ts_exchange_ns = 166'000'000'000;
  EXPECT_EQ(market_of(v, task(), l).fills_last_minute, 0);
}

// The hysteresis holds for the market figures as for exposure: CAUTION from caution_percent,
// SAFE again only below caution_percent - 10 points and after 10 s in the state; a HALT is held
// 10 s before it steps down.
TEST_F(RiskTest, MarketGuardsKeepTheHysteresis) {
  Limits l;
  l.max_spread_bps_e2 = 1'000;  // 10 bps; CAUTION from 8, SAFE again below 7
  Market m;
  m.spread_bps_e2 = 750;
  EXPECT_EQ(assess(Exposure{}, m, l, ins(), GuardNow{}).state, GuardState::kSafe);
  const GuardNow caution{GuardState::kCaution, 100'000'000'000, 200'000'000'000};
  EXPECT_EQ(assess(Exposure{}, m, l, ins(), caution).state, GuardState::kCaution);
  m.spread_bps_e2 = 690;
  EXPECT_EQ(assess(Exposure{}, m, l, ins(), caution).state, GuardState::kSafe);
  // A HALT is held 10 s before it steps down, however quickly the figure falls back.
  const Verdict held =
      assess(Exposure{}, m, l, ins(), {GuardState::kHalt, 195'000'000'000, 200'000'000'000});
  EXPECT_EQ(held.state, GuardState::kHalt);
  EXPECT_EQ(held.reason, "within every limit again; HALT held for 10 s");
  m.spread_bps_e2 = 750;
  EXPECT_EQ(assess(Exposure{}, m, l, ins(), {GuardState::kHalt, 195'000'000'000, 205'000'000'000})
                .state,
            GuardState::kCaution);
  // A minimum (depth): CAUTION below limit / 0.8, SAFE again from limit / 0.7.
  Limits d;
  d.min_depth_e8 = 70 * kOneE8;
  Market book;
  book.depth_known = true;
  book.bid_depth_e8 = 95 * kOneE8;
  book.ask_depth_e8 = 85 * kOneE8;  // the thinner side judges: 85 < 87.5
  EXPECT_EQ(assess(Exposure{}, book, d, ins(), GuardNow{}).state, GuardState::kCaution);
  book.ask_depth_e8 = 99 * kOneE8;  // >= 87.5 but < 100: CAUTION is held, SAFE is not reached
  EXPECT_EQ(assess(Exposure{}, book, d, ins(), GuardNow{}).state, GuardState::kSafe);
  EXPECT_EQ(assess(Exposure{}, book, d, ins(), caution).state, GuardState::kCaution);
  book.bid_depth_e8 = book.ask_depth_e8 = 100 * kOneE8;
  EXPECT_EQ(assess(Exposure{}, book, d, ins(), caution).state, GuardState::kSafe);
}

// A market HALT keeps buys out and cancels the open ones as any HALT does; in a market CAUTION
// a buy passes unless its own exposure would halt (the market does not move with our order).
TEST_F(RiskTest, FilterUnderAMarketGuard) {
  Limits l;
  l.max_spread_bps_e2 = 100;
  l.min_depth_e8 = kOneE8;
  const std::string open_buy = place(Side::kBuy, 6182500, 200);
  fold("g", journal::OrderAccepted{open_buy, 7, Source::kResponse});
  const Exposure e = exposure_of(task(), state_.account("default"));
  std::vector<strategy::IntentSpec> specs{buy(6182000, 200)};
  EXPECT_EQ(filter(specs, task(), e, l, GuardState::kCaution), 0u);
  ASSERT_EQ(specs.size(), 1u);
  EXPECT_EQ(filter(specs, task(), e, l, GuardState::kHalt), 1u);
  ASSERT_EQ(specs.size(), 1u);
  EXPECT_EQ(specs[0].kind, strategy::IntentSpec::Kind::kCancel);
  EXPECT_EQ(specs[0].client_order_id, open_buy);
}

}  // namespace
}  // namespace keel::risk
