// keel/strategy/common.h: the building blocks every strategy shares (the rules of the house in
// strategy.h, one definition each): which orders may be acted on (R1), what the venue accepts
// (exchangeInfo filters), the post-only bounds, a drift in bps.
#pragma once

#include <cstdint>
#include <string>

#include "keel/core/instrument.h"
#include "keel/model/state.h"
#include "keel/strategy/strategy.h"

namespace keel::strategy {

// An order keel may cancel or amend now: open on the venue, with no cancel pending or refused
// (-2011: never sent again) and no keepPriority amend in doubt (R1).
bool actionable(const model::Order& o);

// What is left of an order to execute, lots (never negative).
int64_t remaining_lots(const model::Order& o);

// An order the venue accepts at `price_ticks`: a positive price and at least min_qty lots and
// min_notional (exchangeInfo LOT_SIZE, NOTIONAL; binance-spot.md §3).
bool venue_accepts(const Instrument& ins, int64_t price_ticks, int64_t lots);

// The highest buy and the lowest sell (ticks) that rest without taking (LIMIT_MAKER): below the
// best ask and above the best bid of the bookTicker and, when synced, of the depth book (the
// venue matches against whichever is fresher; the embedded exchange does too).
struct PostOnlyBounds {
  int64_t max_buy_ticks = 0;
  int64_t min_sell_ticks = 0;
};
PostOnlyBounds post_only_bounds(const MarketView& view, const Instrument& ins);

// |want - have| > threshold_bps of have; prices in ticks (have > 0), threshold in bps at 1e-8.
// Exact (integers).
bool drifted(int64_t want_ticks, int64_t have_ticks, int64_t threshold_bps_e8);

// An intent of `kind` for slot `key` (a cancel's or amend's order in `cid`), with its reason;
// a place's or amend's price and quantity are set by the caller.
IntentSpec make_intent(IntentSpec::Kind kind, int64_t key, Side side, std::string cid,
                       std::string reason);

// sigma of the last `window_s` one-second mid returns (MidBars::sigma_e8) scaled to `horizon_s`
// seconds (x sqrt(horizon_s)), a fraction of price; -1 while the bars cannot tell (no bars, or
// fewer than window_s + 1).
double sigma_over_horizon(const MarketView& view, int64_t window_s, int64_t horizon_s);

}  // namespace keel::strategy
