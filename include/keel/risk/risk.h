// keel/risk/risk.h: the risk layer between a strategy's decision and the journal (DESIGN.md
// "A risk layer (pure, between decide and the journal) bounds exposure, open orders, position,
// balance and request rate, and journals every Safe / Caution / Halt transition").
//
// Pure: every figure comes from the folded state (model/state.h), so a replay or a restart
// judges exactly as the live run did. The request rate stays in the engine's budget
// (engine/config.h IntentRate), counted over the journaled request timestamps.
//
// Exposure is counted at worst case (R1): every working buy -- in flight (its outcome unknown)
// or open -- as if its remaining quantity filled.
//   base        = position + remaining quantity of the working buys            (base, 10^-8)
//   notional    = position at the mark's mid (at its cost before any mark)
//                 + remaining notional of the working buys at their prices     (quote, 10^-8)
//   open orders = the task's working orders (strays included)
//   quote free  = the account's quote balance as the journal explains it (R4's expected balance,
//                 known once the baseline is journaled) - remaining notional of the working buys
// Market figures (seed 003's guards: price jump, book depth, fill rate, spread), computed by the
// caller from the engine's market view and the fold (market_of) so that assess stays pure:
//   move        |mid now - mid one second ago| / mid then, bps (market/bars.h move_bps_e2(1))
//   spread      (best ask - best bid) / mid, bps
//   depth       base quantity resting within depth_band_bps of the mid, each side, from the
//               local depth book (market/order_book.h)
//   fills       the task's fills journaled in the last 60 s of exchange time
// The guard (journal::GuardState):
//   HALT     base > max_position, or notional > max_notional, or open orders > max_open_orders,
//            or quote free < min_quote_balance, or move > max_price_jump_bps, or spread >
//            max_spread_bps, or either side's depth < min_depth (or the book lost its sync
//            after a gap and waits for its next snapshot: a guard that cannot see the book
//            does not vouch for it), or fills > max_fills_per_minute; a figure that is unknown
//            for want of history (the move before two one-second bars exist, the spread before
//            a best bid and ask, the depth before the book's first snapshot -- a fresh start or
//            a restart: judging it would cancel the bids on every start) judges nothing;
//   CAUTION  otherwise, when any figure is at caution_percent of its limit or beyond (for the
//            minimums -- balance and depth -- figure < limit * 100 / caution_percent); once
//            CAUTION or HALT, the guard returns to SAFE only below caution_percent -
//            kReleasePoints, and not before it has held its state kMinDwellNs of exchange time
//            (a figure that moves with every order placed or cancelled -- a grid level more or
//            less -- or with every tick of the market would flap it); a HALT is likewise held
//            kMinDwellNs before it steps down (the one-second move and the spread cross their
//            limit back and forth within a millisecond in a fast market: on the recording, 8
//            HALT/CAUTION flips within 0.1 s at 23:57:52 UTC without it);
//   SAFE     otherwise. A limit of 0 is no limit.
// What passes (filter): cancels always; a place only while its order keeps every exposure
// figure within its limit (the figures after it as if it filled: a sell adds an open order
// only; the market figures do not change with an order of ours); an amend likewise, its
// original's remainder no longer counted (the replacement takes its place); in HALT no buy (nor
// a buy's amend), and the task's open buys are cancelled (sells, which reduce the position,
// are kept).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "keel/journal/record.h"
#include "keel/model/state.h"
#include "keel/strategy/strategy.h"

namespace keel::risk {

// tasks[i].risk in the config (0: no limit).
struct Limits {
  int64_t max_position_e8 = 0;       // base, 10^-8
  int64_t max_notional_e8 = 0;       // quote, 10^-8
  int64_t min_quote_balance_e8 = 0;  // quote, 10^-8
  int64_t max_open_orders = 0;       // orders
  int64_t caution_percent = 80;      // 1..100
  // Seed 003's market guards (file comment). bps at 10^-2 (bps_e2: 1 bp = 100).
  int64_t max_price_jump_bps_e2 = 0;  // mid move over the last second
  int64_t max_spread_bps_e2 = 0;      // best ask - best bid, of the mid
  int64_t min_depth_e8 = 0;           // base within depth_band of the mid, each side, 10^-8
  int64_t depth_band_bps_e2 = 1'000;  // the band min_depth counts in (default 10 bps)
  int64_t max_fills_per_minute = 0;   // the task's fills in the last 60 s
  // A market limit is set: the guard changes with the market, not only with the journal, so
  // it must be judged on every market event (a memo that skips decisions must not skip it).
  bool watches_market() const {
    return max_price_jump_bps_e2 > 0 || max_spread_bps_e2 > 0 || min_depth_e8 > 0 ||
           max_fills_per_minute > 0;
  }
  bool any() const {
    return max_position_e8 > 0 || max_notional_e8 > 0 || min_quote_balance_e8 > 0 ||
           max_open_orders > 0 || watches_market();
  }
};

struct Exposure {
  int64_t base_e8 = 0;
  int64_t notional_e8 = 0;
  int64_t open_orders = 0;
  bool quote_known = false;  // the account's R4 baseline is journaled
  int64_t quote_free_e8 = 0;
};

// The task's exposure (file comment). Pure.
Exposure exposure_of(const model::TaskState& task, const model::AccountState& account);

// The market figures the guard reads (file comment); -1 (or depth_known false) is unknown.
struct Market {
  int64_t move_bps_e2 = -1;    // mid move over the last second, bps at 10^-2
  int64_t spread_bps_e2 = -1;  // (ask - bid) / mid, bps at 10^-2, rounded down
  bool depth_known = false;    // a synced depth book was read
  bool depth_lost = false;     // the book lost its sync after a gap (unknown, and HALT)
  int64_t bid_depth_e8 = 0;    // base resting at or above mid * (1 - band), 10^-8
  int64_t ask_depth_e8 = 0;    // base resting at or below mid * (1 + band), 10^-8
  int64_t fills_last_minute = 0;  // the task's fills in (now - 60 s, now] of exchange time
};

// The figures `limits` needs from the view (its best bid/ask, view.bars, view.book, each may be
// absent) and the task's fill log at view.ts_exchange_ns; figures no limit reads stay unknown
// (the depth walk costs a book scan). The mid is (best bid + best ask) / 2 of the view. Pure.
Market market_of(const strategy::MarketView& view, const model::TaskState& task,
                 const Limits& limits);

struct Verdict {
  journal::GuardState state = journal::GuardState::kSafe;
  std::string reason;  // the first limit reached, with its figures ("" when SAFE)
};

// The hysteresis of CAUTION (file comment): in points of caution_percent, and in exchange time.
inline constexpr int64_t kReleasePoints = 10;
inline constexpr int64_t kMinDwellNs = 10'000'000'000;

// The guard's present, for the hysteresis: its state, since when (exchange ns; 0: it never
// changed) and the exchange time now (ns).
struct GuardNow {
  journal::GuardState state = journal::GuardState::kSafe;
  int64_t since_ns = 0;
  int64_t now_ns = 0;
};

// The guard for `e` and `market` under `limits` given the guard's present (file comment);
// amounts in `reason` are formatted with the task's instrument (no reason when `with_reason` is
// false: the state alone, no allocation). Pure.
Verdict assess(const Exposure& e, const Market& market, const Limits& limits,
               const Instrument& instrument, const GuardNow& current, bool with_reason = true);

// Keeps the intents of `specs` that pass under `guard` (file comment), in order, and appends
// in HALT the cancels of the task's open buys not already being cancelled. Returns how many
// places were dropped. Pure.
size_t filter(std::vector<strategy::IntentSpec>& specs, const model::TaskState& task,
              const Exposure& e, const Limits& limits, journal::GuardState guard);

}  // namespace keel::risk
