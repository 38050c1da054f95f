// keel/strategy/mode_flip.h: seed 002's single-position maker on Binance Spot. One slot,
// "order" (key 1), holds the task's one order: a buy below mid in BUY mode, a sell of the
// position above mid in SELL mode; a fill that makes the position sellable flips to SELL, a
// sell that sells it flips back to BUY.
//
// Seed 002 §3 "market_making_loop" and §4 -> keel (documented readings marked *):
//  (M1) "Determine Strategy ... If in 'BUY' mode ... open a long position. If in 'SELL' mode ...
//       close the existing position"; §4.3 "checks for any existing positions to set the
//       starting mode": the mode is a function of the task's position, never stored*: SELL when
//       the position, in whole lots, is at least the venue's minimum quantity and notional at
//       the sell price (it can be sold as one order), BUY otherwise (dust below the minimum is
//       kept and sold with the next position). So a restart starts in the right mode.
//       * the position is the task's (TaskState::position): base the account held before the
//         task, or that another task holds, is not this task's to sell (spot cannot go short).
//  (M2) §3.9 "If the order is filled, it updates the position_size and flips the mode":
//       flip on fill follows from M1. A buy partially filled up to a sellable position flips
//       too*: the rest of the buy is cancelled and the position sold (one position at a time);
//       a sell partially filled down to dust ends the cycle*: its remainder is cancelled and a
//       buy placed (the dust goes with the next sell).
//  (M3) §3.3 "get_spreads ... abstracted to allow for more complex spread logic": the spreads
//       grow with volatility*:
//         spread = buy_spread (or sell_spread) + spread_sigma_mult * sigma_h
//       sigma_h = bars->sigma_e8(sigma_window_s) * sqrt(sigma_horizon_s) (one-second mid
//       returns scaled to the horizon). A trader widens in a fast market, where a resting
//       quote is picked off, and comes back to the configured spreads when it calms down.
//       With spread_sigma_mult 0 (the default) the spreads are the seed's constants; with it
//       above 0 nothing is quoted until sigma is known (sigma_window_s + 1 one-second bars).
//  (M4) §3.4 "Calculate Order": all fractions of price, mid = (best bid + best ask) / 2:
//         BUY:  price = floor(mid * (1 - spread_buy)), at most best_ask - 1 tick (post-only)
//               qty   = floor(balance_fraction * quote_available / price), where
//               quote_available = the account's free quote (view.balances) + what the buy
//               being replaced locks (it frees when replaced)
//         SELL: qty   = the task's position, whole lots (sellable + the sell being replaced)
//               price = ceil(max(mid * (1 + spread_sell), break_even)), at least best_bid + 1
//               break_even = average cost * (1 + maker_fee) / (1 - maker_fee): the sell never
//               loses on the position after the buy's and its own maker fee*.
//       Post-only bounds use the bookTicker and, when view.book is synced, the depth book too
//       (whichever is more restrictive: the venue matches against the fresher one).
//  (M5) §3.5 "checks if the order's notional value meets the minimum requirement": below the
//       venue's min_qty or min_notional, no order (with the reason); balances not known yet
//       (before the account's first reconciliation): no buy.
//  (M6) §3.6 "should_reuse_order ... if the price hasn't moved much": the working order is
//       kept while the wanted price is within reuse_threshold_bps of its price.
//  (M7) §3.8 "waits ... ORDER_REFRESH_INTERVAL ... If the order is not filled in time, it is
//       cancelled, and the loop repeats": an order resting refresh_interval_s or longer
//       (exchange time now - order.placed_ns) is replaced at the wanted price even within the
//       reuse threshold; one already at the wanted price is kept*, whatever its size (a
//       partial fill or a changed balance is no reason to lose its place in the queue).
//       A replace (M6, M7) is one kAmend (replace_with: amend) or a cancel now and a place at the
//       next decision once the venue confirmed the cancel (replace_with: cancel).
//  (M8) §4.2 "cancelling any lingering open orders for the symbol to ensure a clean state":
//       orders of the task found on the venue at start are adopted by the engine's
//       reconciliation into the one slot; a second one is a stray, which the engine cancels
//       (engine_act.cc add_stray_cancels: the strategy must not cancel it again, a second cancel
//       intent of one order would halt the task); the adopted current order is kept only if it
//       is what M1-M7 want now, else cancelled (wrong side) or replaced. An order current in
//       any other slot is cancelled.
//  (M9) §3.1 "Health Checks: ... data is recent before proceeding": when the best bid/ask has
//       not changed for more than stale_after_ms of exchange time (view.ts_exchange_ns -
//       view.ts_book_ns), the task holds*: no place, no reprice, no refresh; working orders stay
//       (a quiet book looks the same as a dead one, and cancelling the order on every quiet
//       stretch would only churn; the sell is never below break-even). Cancels that do not
//       depend on prices (a wrong-mode order, M2, M8) still go out.
// Every strategy's rules (helper brief): nothing when the view is not ready or the task is
// halted; an order in flight, or with a pending or refused (-2011) cancel, is left alone (R1);
// the slot waits until retry_after_ns after a reject; cancels first.
// Not in a strategy: the seed's WebSocket reconnects and the shutdown clean-up (the engine's).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "keel/model/state.h"
#include "keel/strategy/registry.h"
#include "keel/strategy/strategy.h"

namespace keel::strategy {

inline constexpr int64_t kModeFlipSlot = 1;

// How an open order is replaced (M6, M7): one kAmend, or a cancel then a place.
enum class FlipReplace : unsigned char { kAmend = 0, kCancel = 1 };

// Fractions of price at e8 (1 bp = 10'000); times in the unit of their name.
struct ModeFlipParams {
  int64_t buy_spread_e8 = 100'000;        // M3, 10 bps
  int64_t sell_spread_e8 = 100'000;       // M3, 10 bps
  int64_t spread_sigma_mult_e8 = 0;       // M3: spread growth per unit of sigma_h
  int64_t sigma_window_s = 60;            // one-second bars in sigma, >= 2
  int64_t sigma_horizon_s = 60;           // sigma scaled by sqrt of these seconds, >= 1
  int64_t balance_fraction_e8 = 10'000'000;  // M4: of the free quote, (0, 1]
  int64_t maker_fee_e8 = 100'000;         // M4 break-even, 10 bps
  int64_t reuse_threshold_bps_e8 = 500'000'000;  // M6, 5 bps
  int64_t refresh_interval_s = 60;        // M7
  int64_t stale_after_ms = 5'000;         // M9
  FlipReplace replace_with = FlipReplace::kAmend;
};

enum class FlipMode : unsigned char { kBuy, kSell };

// The wanted order of one instant: qty_lots == 0 means none, and `why` says why.
struct FlipWant {
  FlipMode mode = FlipMode::kBuy;
  int64_t price_ticks = 0;
  int64_t qty_lots = 0;
  double spread = 0;  // the spread used (M3), fraction of price
  std::string why;
};

// The mode and wanted order for `view` and `task` (M1, M3, M4, M5). `held_e8`: the remaining
// quantity of the sell being replaced (base e8), `locked_quote_e8`: the remaining notional of
// the buy being replaced (quote e8); 0 when none. Pure.
FlipWant mode_flip_want(const MarketView& view, const model::TaskState& task,
                        const ModeFlipParams& p, int64_t held_e8, int64_t locked_quote_e8);

// Appends this instant's intents (file comment) to `out`. Pure.
void decide_mode_flip(const MarketView& view, const model::TaskState& task,
                      const ModeFlipParams& p, std::vector<IntentSpec>& out);

// "order" for the slot, the key in decimal for any other.
std::string mode_flip_slot_label(int64_t slot_key, const Instrument& instrument);

// The strategy bound to `p` and the task's instrument. REQUIRES: params valid.
std::shared_ptr<const Strategy> make_mode_flip(const ModeFlipParams& p, const Instrument& instrument);

// The registry entry (name "mode_flip", seed 002).
StrategyInfo mode_flip_info();

}  // namespace keel::strategy
