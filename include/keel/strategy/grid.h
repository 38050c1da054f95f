// keel/strategy/grid.h: the trailing grid of seed 001 (§2.1 Dynamic Grid, §3 Slots).
//
// Formulas (seed 001 §2.1), all in ticks, I = price interval:
//   center      = round(price / I) * I          (price = last trade; round half up)
//   buy window  = [center - B*I, center - I]     (B = buy_window_size)
//   sell window = [center + I, center + S*I]     (S = sell_window_size)
// Behaviour, as a trader reads the seed (documented choices are marked *):
//   - every level L = center - k*I (k = 1..B) whose slot is FREE gets a post-only BUY of
//     order_qty at L;
//   - a FILLED slot (its buy filled: it holds inventory) gets a SELL of its whole position at
//     max(L + I, center + I)* -- one interval above its buy, or the lowest sell level if the
//     market already moved above that -- when that price lies in the sell window; otherwise the
//     position is held (seed: "HODL until profitable") and the slot kept; a position whose
//     notional is below the instrument's minimum notional (a partial fill's dust) is held too*;
//   - a working order whose price leaves its window is cancelled (a BUY below center - B*I or
//     above center - I; a SELL above center + S*I*); a SELL below the window is left alone, as it
//     is about to fill;
//   - a slot whose place was rejected waits until retry_after_ns (model/state.h) to place again;
//   - nothing is decided while the task has unresolved intents of its own slot (a slot with an
//     in-flight place or cancel is left alone: R1), or while the task is halted.
// Room for later: ATR-scaled interval (§2.2) and inventory skew (§2.3) change `center` and I
// only; they enter through GridParams without changing the slot logic.
#pragma once

#include <cstdint>
#include <vector>

#include "keel/model/state.h"
#include "keel/strategy/strategy.h"

namespace keel::strategy {

struct GridParams {
  int64_t interval_ticks = 0;   // price_interval / tick size, > 0
  int64_t order_qty_lots = 0;   // order_quantity / step size, > 0
  int buy_window = 5;           // B >= 1
  int sell_window = 5;          // S >= 1
  size_t max_open_orders = 64;  // a limit on everything: working + in-flight orders of the task
};

// round(price / I) * I, half up. REQUIRES price_ticks > 0, interval_ticks > 0.
int64_t grid_center(int64_t price_ticks, int64_t interval_ticks);

// Appends the grid's intents for this instant to `out` (cancels first, then places, each in
// slot-key order). Returns nothing when the view is not ready.
void decide_grid(const MarketView& view, const model::TaskState& task, const GridParams& params,
                 std::vector<IntentSpec>& out);

}  // namespace keel::strategy
