// keel/risk/risk.h: the risk layer between a strategy's decision and the journal (DESIGN.md
// "A risk layer (pure, between decide and the journal) bounds exposure, open orders, position,
// balance and request rate, and journals every Safe / Caution / Halt transition").
//
// Pure: every figure comes from the folded state (model/state.h), so a replay or a restart
// judges exactly as the live run did. The request budgets (a task's intent rate, an account's
// order count) are at the end of this file ("Request budgets").
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

// ---- Request budgets ---------------------------------------------------------------------
//
// Two budgets bound what leaves, both counted over journaled request timestamps (the
// `timestamp` each request is signed with, journal::RequestTiming, on the venue's clock), so a
// restart that folds the same journal judges exactly as the uninterrupted run did:
//
// A task's request budget (issue 9 "no request storms"): at most `burst` intents (places,
// cancels, amends) in any window of burst / per_second seconds -- on average at most
// per_second (model::TaskState::intent_times_ns). Keys tasks[].max_intents_per_second,
// tasks[].intent_burst. A cut keeps the first intents of the decision, in order.
//
// An account's order count (Binance's ORDERS limits, binance-spot.md §2: "50 per 10 SECOND and
// 160000 per 1 DAY", "Order counts are per account", -1015 "Too many new orders" beyond).
// The reading (binance-spot.md §4 headings, and Binance's spot docs faqs/order_count_decrement
// and web-socket-api/rate-limits):
//   counts:  a place (POST /api/v3/order: "unfilled order count +1") and a cancelReplace
//            (POST /api/v3/order/cancelReplace: "unfilled count +1": its new order), i.e. a
//            keel AmendIntent without keep_priority;
//   never:   a cancel (no new order: it only reduces exposure, so it always passes) and a
//            keepPriority amend (PUT /api/v3/order/amend/keepPriority: "unfilled count 0").
//   Binance counts *unfilled* orders (an order's first fill decrements the count) and only
//   successful requests; keel counts every new-order request it journals, filled or not,
//   answered or not (an outcome may be unknown, R1): never more than the venue, sometimes
//   less room than it would allow.
//   Binance's intervals are fixed ("1 DAY ... resets at 00:00 UTC", "10 SECOND ... at 00, 10,
//   20... seconds"). keel counts the 10 s limit over a sliding window (now - 10 s, now] of the
//   venue clock instead: every fixed 10 s interval lies in one such window, so the venue's
//   count never exceeds keel's, whatever the error of keel's estimate of the venue clock (a few
//   ms) at an interval's edge. The day is counted per UTC day of the request timestamp (a
//   sliding 24 h would keep the day's history): within the clock's error at midnight an order
//   may fall on the other day -- negligible against 160000.
// Keys: accounts[].max_orders_per_10s (default 50), accounts[].max_orders_per_day (default
// 160000); without accounts:, exchange.max_orders_per_10s / max_orders_per_day are the one
// account's (with accounts:, the default of each). An account's figures are the sum over the
// journal's tasks of that account (retired ones too: their requests still count at the venue),
// from model::TaskState::order_times_ns / orders_in_day.
//
// One engine pass (Engine::decide_all) decides every task, then admits each task's intents
// under both budgets (admit below), the account's figures carrying the orders admitted earlier
// in the same pass for its other tasks, then journals them all in one batch (W1). Places beyond
// the account's room wait for a later decision; cancels and keepPriority amends pass.
// Fairness: the pass admits tasks in config order rotated to start at task (s mod the number
// of tasks), s the second of the venue clock the pass's requests are stamped with. When the
// account's room is short the first task admitted takes what it asks for and the next ones
// the rest: without the rotation a later task could starve for as long as an earlier one asks
// (a top-of-book task amending on every book change would); with it, every task is first for
// one second in every n. The clock, not the journal's sequence, chooses: a restart's
// reconciliation findings add records, so a rotation by last_seq would admit differently
// after a crash than the uninterrupted run at the same market instant; the venue clock at that
// instant is the same (the embedded exchange's is the recording's). (Only the admission order
// rotates: the intents are journaled in
// config order, so a run whose budgets never bind journals exactly what it did before.)

// tasks[i].max_intents_per_second, tasks[i].intent_burst.
struct IntentRate {
  int64_t per_second = 5;  // intents per second, on average
  int64_t burst = 20;      // intents in any window of burst / per_second seconds
};

// accounts[i].max_orders_per_10s, max_orders_per_day (binance-spot.md §2's defaults).
struct OrderLimits {
  int64_t max_orders_per_10s = 50;
  int64_t max_orders_per_day = 160'000;
};
inline constexpr int64_t kMaxOrdersPer10sLimit = 10'000;  // the key's range (model::kOrderLogRetained)
inline constexpr int64_t kMaxOrdersPerDayLimit = 1'000'000'000;

// Binance's MAX_NUM_ORDER_AMENDS: keepPriority amends per order (binance-spot.md §3).
inline constexpr uint32_t kMaxAmendsPerOrder = 10;

// An amend of `o` to `s` is a keepPriority amend (same order, same price, a smaller remainder,
// fewer than kMaxAmendsPerOrder amends so far, the venue allows amends); otherwise it is one
// cancelReplace (binance-spot.md §4). `o` may be null (then false). Pure.
bool keeps_priority(const model::Order* o, const strategy::IntentSpec& s, bool amend_allowed);

// The intent is a new order for Binance's ORDERS count: a place, or an amend that is not a
// keepPriority amend of `task`'s order (see "Request budgets"). Pure.
bool counts_as_order(const strategy::IntentSpec& s, const model::TaskState& task,
                     bool amend_allowed);

// An account's new orders as one pass sees them: the journal's, then the pass's own.
struct AccountOrders {
  int64_t now_ns = 0;     // the venue clock the pass judges at (ns)
  int64_t in_window = 0;  // new orders with request timestamps in (now - 10 s, now]
  int64_t in_day = 0;     // new orders in the UTC day of now
};

// The new orders of `account` (journal::TaskStarted.account) journaled by every task of
// `state`, at `now_ns` (venue clock, ns). Pure.
AccountOrders account_orders(const model::State& state, const std::string& account,
                             int64_t now_ns);

// What admit() did to one decision.
struct Admission {
  bool throttled = false;  // the task's budget left intents out (the rest of the decision)
  size_t held = 0;         // new orders the account's limits left out
};

// Keeps the intents of `specs` both budgets admit, in order: the first ones the task's budget
// `rate` has room for at account.now_ns (a cut ends the decision), and among them every
// intent that is not a new order plus the new orders while `account` is within `limits`; each
// new order kept is added to `account` (the pass's other tasks of the account see it). A
// held-back or cut intent is decided again at a later decision. Pure (writes only its
// arguments).
Admission admit(std::vector<strategy::IntentSpec>& specs, const model::TaskState& task,
                const IntentRate& rate, const OrderLimits& limits, bool amend_allowed,
                AccountOrders& account);

}  // namespace keel::risk
