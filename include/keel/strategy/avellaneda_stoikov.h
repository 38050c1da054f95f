// keel/strategy/avellaneda_stoikov.h: seed 004's simplified Avellaneda-Stoikov quoting, on
// Binance Spot. Two role slots: "bid" (key 1) and "ask" (key 2), one order each.
//
// Seed 004 "Trading Logic Overview" -> keel (documented readings marked *):
//  (Q1) reservation price, seed "fair_price = mid + inventory * k_relative" with a relative K
//       ("K should reflect inventory *percentage* of total capital"):
//         q    = position value at mid / max_net_position            (inventory ratio*)
//         fair = mid * (1 - K * clamp(q, -1, 1))                      (fraction of price*)
//       * "inventory" is the task's position as a fraction of max_net_position, the seed's cap
//         on net notional (its scaling rules grow max_net_position linearly with capital, so
//         the ratio is the percentage of capital the seed asks for, up to a constant). K is
//         the shift of the reservation price, as a fraction of mid, at a full position.
//       * the sign: the seed wants "higher values push the opposite side closer when exposure
//         grows" (and Avellaneda-Stoikov's r = s - q*gamma*sigma^2*(T-t) agrees): a long
//         position lowers the fair price, so the ask comes closer to mid and the bid moves away.
//         A literal "+" with K >= 0 would do the opposite (chase the market with more longs),
//         so keel applies the shift against the position; K >= 0.
//       * q is clamped to [-1, 1]: beyond the cap the shift stays K (the size rules below
//         already stop the bid there). Spot cannot go short: q >= 0.
//  (Q2) half spread, seed "base_spread + alpha * sigma + beta * (funding / 3)", applied
//       symmetrically around fair, every term a fraction of price*:
//         h   = max(0, base_spread + alpha * sigma_h + beta * funding_rate / 3)
//         bid = floor(fair * (1 - h)) ticks, ask = ceil(fair * (1 + h)) ticks
//       * sigma_h = bars->sigma_e8(sigma_window_s) * sqrt(sigma_horizon_s): the standard
//         deviation of one-second mid returns over the last sigma_window_s seconds, scaled to
//         the horizon a quote is meant to rest (random-walk scaling). No quote until sigma is
//         known (the warm-up: sigma_window_s + 1 one-second bars; working quotes are cancelled).
//       * the seed's "Core Parameters" calls alpha "inventory aversion" and beta "volatility
//         sensitivity", contradicting its own formula; keel follows the formula (alpha scales
//         sigma, beta scales funding) as the "Trading Logic" section states it.
//       * funding_rate is a param (the rate of one funding period, 8 h on Binance futures;
//         default 0): Binance Spot has no funding. The futures issue brings the real rate.
//       * post-only: the bid is at most best_ask - 1 tick, the ask at least best_bid + 1 tick,
//         and the ask at least bid + 1 tick (our two quotes never meet). The best bid/ask is
//         the bookTicker's and, when view.book is synced, the depth book's too (whichever is
//         more restrictive: either may be the fresher, and the venue matches against its own).
//  (S1) size, seed "Base order size comes from the USD notional cap divided by mid price":
//         base  = quote_notional_cap / mid                            (base units)
//  (S2) seed "inventory skew (inventory_sensitivity) reshapes each side and enforces max order
//       size": bid = base * max(0, 1 - s * q), ask = base * (1 + s * q), each floored to lots
//       and capped at max_order_size.
//  (S3) Spot (this issue): the ask never sells more than the task holds and is not already
//       selling (TaskState::sellable_e8, plus the ask it replaces); base the account held before
//       the task is not the task's to sell.
//  (R1) seed "max_net_position_usd ... stops adding new longs once the net exposure reaches"
//       the cap "and only quotes the opposite side": the bid is cut so that position value at
//       mid + bid notional <= max_net_position* (counted as if the bid filled: the cap holds
//       after a fill too), and dropped when that leaves less than the venue minimum.
//  (R2) seed "max_open_orders": places only while the task's working orders (in flight, open,
//       strays) stay within it; the ask is placed before the bid (it reduces exposure)*.
//  (R3) seed "min_balance_usd: minimum equity to keep quoting; ... the bot sits out": while the
//       account's equity (quote total + base total at mid, view.balances) is below min_balance,
//       no quote, and working quotes are cancelled. 0 = off (then balances are not read).
//  (X1) seed "when prices move beyond replace thresholds or size changes, it cancels and
//       re-places": an open order is replaced only when the wanted price differs from its
//       price by more than replace_threshold_bps of its price, or the wanted quantity differs
//       from its remaining quantity by more than min_size_change (a fraction of that
//       remaining quantity*); otherwise it keeps its place in the queue. A replace is one
//       kAmend (replace_with: amend) or a cancel now and a place at the next decision once the
//       venue confirmed the cancel (replace_with: cancel: a slot holds one order at a time).
//       A side with no wanted quote (warm-up, min balance, below the venue minimum, position
//       cap) has its open order cancelled.
// Every strategy's rules (helper brief): nothing when the view is not ready or the task is
// halted; a slot whose order is in flight, or has a pending or refused (-2011) cancel, is left
// alone (R1 of DESIGN.md); a slot waits until retry_after_ns after a reject; quantities >=
// min_qty_lots and notional >= min_notional; cancels first, then amends, then places.
// Not on spot here (seed features outside a strategy's decide): the dead man's switch, the
// PnL decomposition and the CSV export.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "keel/model/state.h"
#include "keel/strategy/registry.h"
#include "keel/strategy/strategy.h"

namespace keel::strategy {

inline constexpr int64_t kAsBidSlot = 1;
inline constexpr int64_t kAsAskSlot = 2;

enum class ReplaceWith : unsigned char { kAmend = 0, kCancel = 1 };

// Amounts at 1e-8 (e8) of their unit; fractions of price at e8 (1 bp = 10'000).
struct AvellanedaStoikovParams {
  int64_t base_spread_e8 = 20'000;       // fraction of price (Q2), 2 bps
  int64_t alpha_e8 = 100'000'000;        // x sigma_h (Q2)
  int64_t beta_e8 = 0;                   // x funding_rate / 3 (Q2)
  int64_t funding_rate_e8 = 0;           // fraction per funding period (Q2; spot: 0)
  int64_t k_relative_e8 = 100'000;       // K, fraction of price at a full position (Q1)
  int64_t sigma_window_s = 60;           // one-second bars in sigma, >= 2
  int64_t sigma_horizon_s = 10;          // sigma scaled to this many seconds, >= 1
  int64_t quote_notional_cap_e8 = 0;     // quote per side (S1), > 0
  int64_t max_order_size_lots = 0;       // lots per order (S2), > 0
  int64_t inventory_sensitivity_e8 = 50'000'000;  // s (S2)
  int64_t max_net_position_e8 = 0;       // quote (Q1, R1), > 0
  int64_t max_open_orders = 2;           // working orders of the task (R2), >= 1
  int64_t replace_threshold_bps_e8 = 200'000'000;  // bps (X1), 2 bps
  int64_t min_size_change_e8 = 10'000'000;         // fraction of the remaining qty (X1), 10 %
  int64_t min_balance_e8 = 0;            // quote equity (R3), 0 = off
  ReplaceWith replace_with = ReplaceWith::kAmend;
};

// One side's wanted quote: qty_lots == 0 means none, and `why_none` says why.
struct AsSideQuote {
  int64_t price_ticks = 0;
  int64_t qty_lots = 0;
  std::string why_none;
};

// The quote of one instant. ok == false: no quote at all (`why`: not ready, warm-up, min
// balance). Otherwise the model's figures (fractions of price, transient doubles for the audit
// text and tests) and each side's wanted order.
struct AsQuote {
  bool ok = false;
  std::string why;
  int64_t sigma_e8 = -1;      // bars->sigma_e8(sigma_window_s): per sqrt(second), e8
  double mid_ticks = 0;       // (best_bid + best_ask) / 2
  double q = 0;               // inventory ratio (Q1), clamped to [-1, 1]
  double fair_ticks = 0;      // reservation price (Q1)
  double half_spread = 0;     // h (Q2), fraction of price
  AsSideQuote bid, ask;
};

// The quote for `view` and `task` (Q1, Q2, S1-S3, R1, R3). `ask_held_e8`: the remaining
// quantity of the ask being replaced (base e8; 0 when none), which the new ask may sell again.
// Pure.
AsQuote avellaneda_stoikov_quote(const MarketView& view, const model::TaskState& task,
                                 const AvellanedaStoikovParams& p, int64_t ask_held_e8);

// Appends this instant's intents (file comment) to `out`. Pure.
void decide_avellaneda_stoikov(const MarketView& view, const model::TaskState& task,
                               const AvellanedaStoikovParams& p, std::vector<IntentSpec>& out);

// A buy belongs to the bid slot, a sell to the ask slot. Pure.
int64_t avellaneda_stoikov_adopt_slot_key(Side side);

// "bid", "ask", or the key in decimal for any other key.
std::string avellaneda_stoikov_slot_label(int64_t slot_key, const Instrument& instrument);

// The strategy bound to `p` and the task's instrument (opening_orders sizes in its lots).
// REQUIRES: params valid (the registry's schema checks them).
std::shared_ptr<const Strategy> make_avellaneda_stoikov(const AvellanedaStoikovParams& p,
                                                        const Instrument& instrument);

// The registry entry (name "avellaneda_stoikov", seed 004).
StrategyInfo avellaneda_stoikov_info();

}  // namespace keel::strategy
