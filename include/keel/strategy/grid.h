// keel/strategy/grid.h: the trailing grid of seed 001 (§2.1 Dynamic Grid, §3 Slots).
//
// Formulas (seed 001 §2.1), all in ticks, I = price interval:
//   center      = round(price / I) * I          (price = last trade; round half up)
//   buy window  = [center - B*I, center - I]     (B = buy_window_size)
//   sell window = [center + I, center + S*I]     (S = sell_window_size)
// Behaviour, as a trader reads the seed (documented choices are marked *):
//   - every level L = center - k*I (k = 1..B) whose slot is FREE gets a post-only BUY of
//     order_qty at L;
//   - a FILLED slot (its buy filled: it claims inventory, model/state.h) gets a SELL of the whole
//     lots of its claim at max(L + I, center + I)* -- one interval above its buy, or the lowest
//     sell level if the market already moved above that -- when that price lies in the sell
//     window; otherwise the position is held (seed: "HODL until profitable") and the slot kept;
//     a position whose notional is below the instrument's minimum notional (a partial fill's
//     dust) is held too*. A sell never exceeds what the task holds and is not already selling
//     (TaskState::sellable_e8): when the venue took a buy's commission in the base asset (Binance's
//     default without BNB), the claim is the bought quantity minus that commission, so the sell
//     is one lot short and the sub-lot remainder stays with the slot as dust*, sold with a later
//     fill of the same level once it adds up to a lot;
//   - a working order whose price leaves its window is cancelled (a BUY below center - B*I or
//     above center - I; a SELL above center + S*I*); a SELL below the window is left alone, as it
//     is about to fill; an order whose cancel the venue refused with -2011 is never cancelled
//     again (its fate comes from reconciliation: issue 9, no request storms);
//   - a slot whose place was rejected waits until retry_after_ns (model/state.h) to place again;
//   - nothing is decided while the task has unresolved intents of its own slot (a slot with an
//     in-flight place or cancel is left alone: R1), or while the task is halted.
// Room for later: ATR-scaled interval (§2.2) and inventory skew (§2.3) change `center` and I
// only; they enter through GridParams without changing the slot logic.
#pragma once

#include <cstdint>
#include <vector>

#include "keel/model/state.h"
#include "keel/strategy/registry.h"
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

// The slot an order of this grid found on the venue but not in the journal belongs to (an
// OrderAdopted record, model/state.h): a BUY rests at its level, a SELL one interval above the
// level whose buy it sells. Pure.
int64_t grid_adopt_slot_key(Side side, int64_t price_ticks, const GridParams& params);

// The part of a MarketView that decide_grid's result depends on. Two views with equal keys give
// the same intents for the same task state and params. decide_grid reads the view only as:
//   - ready();
//   - last_trade_ticks through `center` (the windows are functions of center and params);
//   - best_bid_ticks only as `price <= best_bid` for sell prices >= center + I: any bid below
//     center + I excludes none of them, so such bids are one key value (center + I - 1);
//   - best_ask_ticks only as `level >= best_ask` for buy levels <= center - I: any ask above
//     center - I excludes none, so such asks are one key value (center - I + 1);
//   - ts_exchange_ns only as `ts >= slot.retry_after_ns` (not in the key: see GridMemo).
// A view that is not ready has the key {false, 0, 0, 0}: decide_grid returns nothing for it.
struct GridKey {
  bool ready = false;
  int64_t center = 0;
  int64_t bid = 0;
  int64_t ask = 0;
  bool operator==(const GridKey&) const = default;
};
GridKey grid_key(const MarketView& view, const GridParams& params);

// The earliest slot retry_after_ns later than `now_ns`; INT64_MAX when there is none. While the
// task state is unchanged and ts_exchange_ns stays in [now_ns, this), every `ts >=
// retry_after_ns` test of decide_grid has the same outcome as at now_ns.
int64_t grid_next_retry_ns(const model::TaskState& task, int64_t now_ns);

// Lets a caller skip decide_grid when it is certain to return nothing again. quiet() records a
// call that returned no intents: its key, the folded state's version (the caller passes
// State::last_seq, which every journaled record advances, so any change of the task state --
// slots, orders, halted -- changes it) and the ts window above. still_quiet() is true only when
// the key and version are equal and ts is inside that window: then decide_grid, a pure
// function of exactly these inputs (and the params, which are fixed per task), would return
// nothing again. forget() after a call that returned intents (or when unsure).
class GridMemo {
 public:
  bool still_quiet(const MarketView& view, const GridParams& params, uint64_t state_seq) const;
  void quiet(const MarketView& view, const model::TaskState& task, const GridParams& params,
             uint64_t state_seq);
  void forget() { valid_ = false; }

 private:
  bool valid_ = false;
  GridKey key_;
  uint64_t state_seq_ = 0;
  int64_t ts_from_ns_ = 0;   // ts_exchange_ns of the recorded call
  int64_t ts_until_ns_ = 0;  // grid_next_retry_ns at that call (exclusive)
};

// The grid as a Strategy: decide_grid, grid_adopt_slot_key and a GridMemo bound to `params`.
// REQUIRES: params valid (interval and quantity > 0, windows >= 1; asserts in decide).
std::shared_ptr<const Strategy> make_grid(const GridParams& params);

// The params `s` was made with when it is a grid (make_grid); nullptr for another strategy.
const GridParams* grid_params(const Strategy& s);

// The grid's registry entry (name "grid", seed 001): its params price_interval (quote, a
// multiple of tick_size), order_quantity (base, a multiple of step_size), buy_window_size and
// sell_window_size (levels, default 5) and max_open_orders (default 64).
StrategyInfo grid_info();

}  // namespace keel::strategy
