// keel/strategy/grid.h: the trailing grid of seed 001 (§2 Strategy Logic, §3 Slots, §4 Execution
// Flow, §6 Risk Controls).
//
// Formulas (seed 001 §2.1), all in ticks, I = the interval (G2), price = the skewed price (G3):
//   center      = round(price / I) * I          (round half up)
//   buy window  = [center - B*I, center - I]     (B = buy_window_size)
//   sell window = [center + I, center + S*I]     (S = sell_window_size)
// Behaviour, as a trader reads the seed (documented choices are marked *; the tags G1-G7 are
// the seed rules, each tested by a test of its name in tests/unit/strategy_grid_test.cc):
//  (G1) §2.1 Dynamic Grid (trailing):
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
//  (G2) §2.2 Volatility Adaptation, `dynamic_interval: true` (off by default: I = price_interval):
//         I = BaseInterval * VolatilityScale * CurrentATR / BaselineATR
//       rounded to the nearest multiple of interval_step (default one tick), at least one step.
//       BaseInterval = price_interval; BaselineATR = baseline_atr*, a price the trader calls a
//       normal ATR (a constant of the config: an ATR measured at start would differ after a
//       restart). CurrentATR = grid_atr_e8: the ATR (market/bars.h: mean true range of
//       atr_periods periods of atr_period_s one-second mid bars) sampled once per period*: of
//       the periods that end at the newest complete period boundary of exchange time. So the
//       interval -- and with it every level -- changes at most once per atr_period_s, not with
//       every second's bar (each change re-grids: see below).
//       * until CurrentATR is known (atr_periods * atr_period_s + 1 complete bars: the warm-up,
//         on a fresh start or a live restart whose bars start empty) the grid holds: no place,
//         no window cancel; working orders stay (a restart does not re-grid twice).
//       * a working BUY whose price is not a level of the current interval (price % I != 0:
//         the interval changed) is cancelled at once: its level is re-placed on the new lattice
//         (without this, old and new levels would both be bought). Sells keep their price (a
//         sell is the exit of its level; G6 re-prices a stranded one).
//       * an order found on the venue (grid_adopt_slot_key) is keyed as with the base interval.
//  (G3) §2.3 Inventory Skew, `inventory_skew_factor` > 0 (0 by default):
//         price = CurrentPrice * (1 - SkewFactor * InventoryRatio)   (the shift toward zero)
//         InventoryRatio = (position - inventory_target) / (B * order_quantity), in [-1, 1]*
//       CurrentPrice is the last trade (as in G1); position is the task's (TaskState::position,
//       journaled); B * order_quantity is what a full buy window holds*. Inventory above the
//       target moves the center (both windows) down: buys lower, the lowest sell lower; below
//       it, up. Spot starts flat (target 0 by default: the skew only ever moves down).
//       * the skew moves the center, never a level's exit below L + I (HODL until profitable):
//         "sell lower" is the lowest sell price (center + I) coming down; with the skew on, a
//         sell whose price is at or below the best bid is placed one tick above it* (when that
//         is still in the sell window): the lowered window reaches the market, and a post-only
//         sell sells lower at the market's edge instead of waiting for the market to come back.
//       * at a full window the center moves by SkewFactor x price: keep that within the sell
//         window (SkewFactor x price < S x I), or the whole sell window lies under the best bid
//         and the lifted sells wait (BTC at 60000, I = 10, S = 5: SkewFactor < 0.0008).
//  (G4) §4 Risk Check, `risk_atr_ratio` > 0 (0 = off): the seed's RiskMonitor is the one that
//       measures the ATR, and it is IsTriggered while CurrentATR (G2's sampling, so it flips at
//       most once per atr_period_s) >= risk_atr_ratio * baseline_atr*: then every open BUY is
//       cancelled and no buy is placed (entries paused); sells of held inventory go on (they
//       reduce exposure, as keel's own risk guard keeps them). An unknown ATR judges nothing.
//       keel's risk guard (tasks[i].risk, risk/risk.h) already cancels buys in HALT: the grid
//       does not repeat it.
//  (G5) §6 Circuit Breaker, `max_consecutive_losses` N > 0 (0 = off): a round trip is a grid
//       level's SELL order that filled completely* (closed_by kFilled; a sell cancelled after a
//       partial fill leaves the rest to the level's next sell, which closes the round trip);
//       it lost when, net of fee_rate on both sides, it sold below its buy*:
//         price * (1 - fee_rate) < L * (1 + fee_rate)        (L = its slot: the buy's level)
//       The losses are the newest closed sells counted from the newest back to the first
//       winner, among the closed orders the fold retains (model/state.h kClosedOrdersRetained):
//       a pure function of the journaled task state (no per-fill PnL history is journaled;
//       TaskState::realized_pnl_e8 is one total on the average cost). With N losses in a row
//       the breaker is tripped until breaker_cooldown_s of exchange time after the newest of
//       them (its slot's last_full_fill_ns)*: "halts trading" is read as halting entries*:
//       every open BUY is cancelled and no buy placed; sells of held inventory go on (they
//       reduce exposure), and a winning sell ends the run at once. After the cooldown, entries
//       resume by themselves (no operator step: the pause is not a task halt, so `keel resume`
//       has nothing to lift); one more loss trips it again (the run is then N+1 long).
//       * the average-cost reading (a sell lost when it sold below the position's average cost
//         then) needs per-fill history the fold does not keep: the average cost at each sell
//         fill is gone once a later buy moves it. The per-level reading above needs none.
//  (G6) §6 Order Cleanup, `stale_order_s` > 0 (0 = off): an open order resting stale_order_s
//       or longer (exchange time - placed_ns) that the grid would no longer place as it is is
//       cancelled, freeing its slot: a BUY off the current levels (price % I != 0), a SELL
//       priced above what the grid now asks for its level (G1's max(L + I, center + I), with
//       G3's floor best bid + 1) while at or above the lowest sell*. Its level is placed again at the next decision. An order the
//       grid would place again as it is keeps its place in the queue (cancelling it would only
//       lose it).
//  (G7) §6 Account Safety, `account_check: true` (off by default): before its first place
//       (TaskState::intents_place == 0) the task checks the account (grid_account_check):
//       its balances are known (the journal's R4 baseline) and the free quote covers the
//       opening buys (the B levels of this instant, at most max_open_orders) with fee_rate;
//       until it passes, no buy is placed* (the task waits; a deposit declared with `keel
//       declare` or another task's orders closing can let it start). Leverage: Binance Spot
//       has none (keel trades the spot account only, never borrows): nothing to verify.
//       No record says why the task waits: a strategy cannot journal; the engine could journal
//       grid_account_check's message (e.g. as the task's halt reason) -- not wired here.
// §3.2 State Synchronization (startup load, periodic reconciliation) is the engine's (R2), not
// the strategy's. Every new param is off by default: the grid then decides exactly as before
// them, and its canonical params text leaves them out (ParamSpec::omit_when_default).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "keel/market/bars.h"
#include "keel/model/state.h"
#include "keel/strategy/registry.h"
#include "keel/strategy/strategy.h"

namespace keel::strategy {

// Amounts at 1e-8 (e8) of their unit; fractions at e8 (1 = 100'000'000). Every feature past
// max_open_orders is off by default (the file comment's G2-G7).
struct GridParams {
  int64_t interval_ticks = 0;   // price_interval / tick size, > 0 (G2's BaseInterval)
  int64_t order_qty_lots = 0;   // order_quantity / step size, > 0
  int buy_window = 5;           // B >= 1
  int sell_window = 5;          // S >= 1
  size_t max_open_orders = 64;  // a limit on everything: working + in-flight orders of the task
  // G2: the dynamic interval.
  bool dynamic_interval = false;
  int64_t volatility_scale_e8 = 100'000'000;  // VolatilityScale, > 0
  int64_t baseline_atr_e8 = 0;     // BaselineATR, quote per base e8; > 0 when G2 or G4 is on
  int64_t atr_period_s = 10;       // seconds per ATR period, >= 1
  int64_t atr_periods = 6;         // periods in the ATR, >= 1
  int64_t interval_step_ticks = 1; // the effective interval is a multiple of it, >= 1
  // G3: the inventory skew.
  int64_t skew_factor_e8 = 0;      // SkewFactor, fraction in [0, 0.5]
  int64_t inventory_target_lots = 0;  // Target, lots, >= 0
  // G4: the risk monitor (0 = off).
  int64_t risk_atr_ratio_e8 = 0;   // triggered at CurrentATR >= this x BaselineATR
  // G5: the circuit breaker (0 = off).
  int max_consecutive_losses = 0;
  int64_t breaker_cooldown_s = 600;
  int64_t fee_rate_e8 = 100'000;  // fee rate per side (G5's round trip, G7's buy cost), 0.1 %
  // G6: the order clean-up (0 = off).
  int64_t stale_order_s = 0;
  // G7: the account check before the first place.
  bool account_check = false;
  // True when decide reads view.bars (G2 or G4).
  bool reads_atr() const { return dynamic_interval || risk_atr_ratio_e8 > 0; }
};

// round(price / I) * I, half up. REQUIRES price_ticks > 0, interval_ticks > 0.
int64_t grid_center(int64_t price_ticks, int64_t interval_ticks);

// G2's CurrentATR, price e8: the ATR of `n` periods of `period_s` one-second bars that end at
// the newest complete period boundary: the newest bar b (never the newest of all, whose
// second may still change) with (b.second + 1) % period_s == 0 -- what bars.atr_e8(period_s, n)
// returned when b was the newest bar. -1 while fewer than n * period_s + 1 bars end at b.
// REQUIRES period_s >= 1, n >= 1. Pure.
int64_t grid_atr_e8(const market::MidBars& bars, int64_t period_s, int64_t n);

// G2: BaseInterval * VolatilityScale * atr / BaselineATR in ticks, rounded to the nearest
// multiple of interval_step_ticks (half up), at least one step. REQUIRES atr_e8 >= 0,
// baseline_atr_e8 > 0. Pure.
int64_t grid_effective_interval(const GridParams& p, int64_t atr_e8);

// G3: the task's position less inventory_target, clamped to +-(B * order_quantity), base e8
// (InventoryRatio's numerator; 0 when the skew is off). Pure.
int64_t grid_inventory_dev_e8(const model::TaskState& task, const GridParams& p);

// G3: price * (1 - skew_factor * dev / (B * order_quantity)), ticks, the shift rounded toward
// zero. `step_e8` is the instrument's step. Pure.
int64_t grid_skewed_price(int64_t price_ticks, int64_t dev_e8, const GridParams& p,
                          int64_t step_e8);

// This instant's grid: the interval, the skewed price and center, the windows (G1-G4).
// warm == false while G2 waits for its ATR (then nothing else is set but atr_e8 = -1).
struct GridFrame {
  bool warm = true;
  int64_t interval = 0;   // I, ticks
  int64_t atr_e8 = -1;    // CurrentATR (G2, G4), price e8; -1 unknown or not read
  int64_t price = 0;      // the skewed price (G3), ticks
  int64_t center = 0, buy_low = 0, buy_high = 0, sell_low = 0, sell_high = 0;
  bool risk = false;      // G4: the risk monitor is triggered
};
// REQUIRES view.ready(). `dev_e8` from grid_inventory_dev_e8. Pure.
GridFrame grid_frame(const MarketView& view, const GridParams& p, int64_t dev_e8, int64_t step_e8);

// G5: the newest run of losing round trips and the breaker's state at `now_ns`.
struct GridBreaker {
  int losses = 0;           // losing round trips in a row, newest first (counted up to N)
  int64_t last_loss_ns = 0; // exchange time of the newest loss (its slot's last_full_fill_ns)
  bool tripped = false;     // losses >= N and now_ns < until_ns
  int64_t until_ns = 0;     // last_loss_ns + cooldown (when losses >= N)
};
GridBreaker grid_breaker(const model::TaskState& task, const GridParams& p, int64_t now_ns);

// G7: what keeps a fresh task from starting: "" when the account passes. `balances` as the
// engine gives them (strategy.h Balances); `buy_levels` the prices (ticks) of the opening buys
// (each of order_qty_lots). Checks: balances known; every buy at least the venue's minimum
// quantity and notional; free quote >= sum of the buys' notional plus fee_rate. Pure.
std::string grid_account_check(const GridParams& p, const Instrument& ins, const Balances& balances,
                               const std::vector<int64_t>& buy_levels);

// Appends the grid's intents for this instant to `out` (cancels first, then places, each in
// slot-key order). Returns nothing when the view is not ready.
void decide_grid(const MarketView& view, const model::TaskState& task, const GridParams& params,
                 std::vector<IntentSpec>& out);

// The slot an order of this grid found on the venue but not in the journal belongs to (an
// OrderAdopted record, model/state.h): a BUY rests at its level, a SELL one (base) interval
// above the level whose buy it sells. Pure.
int64_t grid_adopt_slot_key(Side side, int64_t price_ticks, const GridParams& params);

// The part of a MarketView that decide_grid's result depends on, for a given task state (whose
// only view-dependent reading is G3's inventory deviation `dev_e8`). Two views with equal keys
// give the same intents for the same task state and params. decide_grid reads the view only as:
//   - ready();
//   - last_trade_ticks and view.bars through the frame (G1-G4): warm, interval, the ATR, center
//     and the risk flag are in the key (the windows are functions of center, interval, params);
//   - best_bid_ticks only as `price <= best_bid` for sell prices >= center + I, and (G3) as a
//     sell's floor best_bid + 1: any bid below center + I excludes none of them and lifts none,
//     so such bids are one key value (center + I - 1);
//   - best_ask_ticks only as `level >= best_ask` for buy levels <= center - I: any ask above
//     center - I excludes none, so such asks are one key value (center - I + 1);
//   - ts_exchange_ns only in comparisons with times of the task state (retry_after_ns, an
//     order's placed_ns + stale_order_s, the breaker's until_ns): not in the key, see GridMemo;
//   - balances (G7) only as a function of the journaled state (the engine derives them from
//     the fold): covered by the state version.
// A view that is not ready has the key {} : decide_grid returns nothing for it.
struct GridKey {
  bool ready = false;
  bool warm = false;
  bool risk = false;
  int64_t interval = 0;
  int64_t atr_e8 = -1;  // in reasons (G2, G4); sampled once per period, so it rarely changes
  int64_t center = 0;
  int64_t bid = 0;
  int64_t ask = 0;
  bool operator==(const GridKey&) const = default;
};
GridKey grid_key(const MarketView& view, const GridParams& params, int64_t dev_e8 = 0,
                 int64_t step_e8 = 1);

// The earliest exchange time later than `now_ns` at which a time test of decide_grid can change
// its outcome for this task state: a slot's retry_after_ns, an open order's placed_ns +
// stale_order_s (G6), the breaker's until_ns (G5); INT64_MAX when there is none. While the
// task state is unchanged and ts_exchange_ns stays in [now_ns, this), every such test has the
// same outcome as at now_ns.
int64_t grid_next_retry_ns(const model::TaskState& task, int64_t now_ns,
                           const GridParams& params = {});

// Lets a caller skip decide_grid when it is certain to return nothing again. quiet() records a
// call that returned no intents: its key (with the task's inventory deviation, G3), the folded
// state's version (any change of the task state -- slots, orders, position, halted -- must
// change it: the engine passes the seq of the newest record folded into the task, or
// State::last_seq when it reads balances, strategy.h DecisionMemo) and the ts
// window above. still_quiet() is true only when the version is equal, ts is inside that window
// and the key recomputed for the new view (with the recorded deviation, valid for that
// version) is equal: then decide_grid, a pure function of exactly these inputs (and the params,
// which are fixed per task), would return nothing again. forget() after a call that returned
// intents (or when unsure).
class GridMemo {
 public:
  bool still_quiet(const MarketView& view, const GridParams& params, uint64_t state_seq) const;
  void quiet(const MarketView& view, const model::TaskState& task, const GridParams& params,
             uint64_t state_seq);
  void forget() { valid_ = false; }

 private:
  bool valid_ = false;
  GridKey key_;
  int64_t dev_e8_ = 0;       // G3's inventory deviation of the recorded state
  int64_t step_e8_ = 1;      // its instrument's step
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
// sell_window_size (levels, default 5), max_open_orders (default 64), and G2-G7's params, each
// off by default and left out of the canonical params text while at its default.
StrategyInfo grid_info();

}  // namespace keel::strategy
