// Seed 001's trailing grid (keel/strategy/grid.h states every rule and reading; the tags G1-G7
// below refer to it). Integer arithmetic throughout: the interval, the skew and the breaker's
// round-trip test are exact (__int128 where a product may exceed 64 bits).
#include "keel/strategy/grid.h"

#include <algorithm>
#include <limits>
#include <string>

#include "keel/core/fixed.h"
#include "keel/strategy/common.h"

namespace keel::strategy {

namespace {

constexpr int64_t kOne = 100'000'000;
constexpr int64_t kNsPerS = 1'000'000'000;
// An effective interval never beyond this many ticks (an absurd ATR keeps B * I and S * I in
// range: buy_window and sell_window are at most 100000 < 2^17).
constexpr int64_t kMaxIntervalTicks = int64_t{1} << 40;

std::string dec(int64_t e8) { return format_fixed_trim(e8, kScaleE8); }

}  // namespace

int64_t grid_center(int64_t price_ticks, int64_t interval_ticks) {
  KEEL_ASSERT(price_ticks > 0);
  KEEL_ASSERT(interval_ticks > 0);
  return (price_ticks + interval_ticks / 2) / interval_ticks * interval_ticks;
}

int64_t grid_atr_e8(const market::MidBars& bars, int64_t period_s, int64_t n) {
  KEEL_ASSERT(period_s >= 1 && n >= 1);
  const auto& b = bars.bars();
  if (b.size() < 2) return -1;
  size_t end = b.size() - 1;  // one past the newest complete bar (the newest may still change)
  while (end > 0 && (b[end - 1].second + 1) % period_s != 0) --end;
  return bars.atr_e8(static_cast<size_t>(period_s), static_cast<size_t>(n), end);
}

int64_t grid_effective_interval(const GridParams& p, int64_t atr_e8) {
  KEEL_ASSERT(atr_e8 >= 0 && p.baseline_atr_e8 > 0 && p.interval_step_ticks >= 1);
  const __int128 num = static_cast<__int128>(p.interval_ticks) * p.volatility_scale_e8 * atr_e8;
  const __int128 den = static_cast<__int128>(kOne) * p.baseline_atr_e8 * p.interval_step_ticks;
  __int128 steps = (2 * num + den) / (2 * den);  // num / den in steps, rounded half up
  steps = std::clamp<__int128>(steps, 1, kMaxIntervalTicks / p.interval_step_ticks);
  return static_cast<int64_t>(steps) * p.interval_step_ticks;
}

int64_t grid_inventory_dev_e8(const model::TaskState& task, const GridParams& p) {
  if (p.skew_factor_e8 == 0) return 0;
  const __int128 full = static_cast<__int128>(p.buy_window) * p.order_qty_lots * task.instrument.step_e8;
  const __int128 dev = static_cast<__int128>(task.position.base_e8) -
                       static_cast<__int128>(p.inventory_target_lots) * task.instrument.step_e8;
  return static_cast<int64_t>(std::clamp<__int128>(dev, -full, full));
}

int64_t grid_skewed_price(int64_t price_ticks, int64_t dev_e8, const GridParams& p,
                          int64_t step_e8) {
  if (dev_e8 == 0 || p.skew_factor_e8 == 0) return price_ticks;
  const __int128 full = static_cast<__int128>(p.buy_window) * p.order_qty_lots * step_e8;
  const __int128 shift = static_cast<__int128>(price_ticks) * p.skew_factor_e8 * dev_e8 /
                         (static_cast<__int128>(kOne) * full);  // toward zero
  return price_ticks - static_cast<int64_t>(shift);
}

GridFrame grid_frame(const MarketView& view, const GridParams& p, int64_t dev_e8, int64_t step_e8) {
  GridFrame f;
  if (p.reads_atr() && view.bars != nullptr) {
    f.atr_e8 = grid_atr_e8(*view.bars, p.atr_period_s, p.atr_periods);
  }
  if (p.dynamic_interval && f.atr_e8 < 0) {
    f.warm = false;  // G2: the warm-up holds
    return f;
  }
  f.interval = p.dynamic_interval ? grid_effective_interval(p, f.atr_e8) : p.interval_ticks;
  f.risk = p.risk_atr_ratio_e8 > 0 && f.atr_e8 >= 0 &&
           static_cast<__int128>(f.atr_e8) * kOne >=
               static_cast<__int128>(p.risk_atr_ratio_e8) * p.baseline_atr_e8;
  f.price = grid_skewed_price(view.last_trade_ticks, dev_e8, p, step_e8);
  f.center = grid_center(f.price, f.interval);
  f.buy_low = f.center - p.buy_window * f.interval;
  f.buy_high = f.center - f.interval;
  f.sell_low = f.center + f.interval;
  f.sell_high = f.center + p.sell_window * f.interval;
  return f;
}

namespace {

// G5: the round trip of a completely filled sell of level `slot_key` lost, net of the fees.
bool lost(const model::Order& o, const GridParams& p) {
  return static_cast<__int128>(o.price_ticks) * (kOne - p.fee_rate_e8) <
         static_cast<__int128>(o.slot_key) * (kOne + p.fee_rate_e8);
}

}  // namespace

GridBreaker grid_breaker(const model::TaskState& task, const GridParams& p, int64_t now_ns) {
  GridBreaker b;
  if (p.max_consecutive_losses <= 0) return b;
  for (auto it = task.closed_by_seq.rbegin();
       it != task.closed_by_seq.rend() && b.losses < p.max_consecutive_losses; ++it) {
    const model::Order* o = task.find_order(it->second);
    if (o == nullptr || o->side != Side::kSell || o->closed_by != model::CloseReason::kFilled) {
      continue;
    }
    if (!lost(*o, p)) break;  // a winner ends the run
    if (b.losses == 0) {
      auto slot = task.slots.find(o->slot_key);
      b.last_loss_ns = slot == task.slots.end() ? 0 : slot->second.last_full_fill_ns;
    }
    ++b.losses;
  }
  if (b.losses >= p.max_consecutive_losses) {
    b.until_ns = b.last_loss_ns + p.breaker_cooldown_s * kNsPerS;
    b.tripped = now_ns < b.until_ns;
  }
  return b;
}

std::string grid_account_check(const GridParams& p, const Instrument& ins, const Balances& balances,
                               const std::vector<int64_t>& buy_levels) {
  if (!balances.known) {
    return "account check: the account's balances are not known yet (before its first "
           "reconciliation)";
  }
  int64_t need_e8 = 0;
  for (const int64_t level : buy_levels) {
    const int64_t notional = ins.notional_e8(level, p.order_qty_lots);
    if (p.order_qty_lots < ins.min_qty_lots || notional < ins.min_notional_e8) {
      return "account check: a buy of order_quantity at " + ins.format_price(level) +
             " is below the venue's minimum quantity or notional";
    }
    need_e8 += notional + fee_e8(notional, p.fee_rate_e8);
  }
  if (balances.quote_free_e8() < need_e8) {
    return "account check: free " + ins.quote_asset + " " + dec(balances.quote_free_e8()) +
           " does not cover the opening buys (" + dec(need_e8) + " with fee_rate)";
  }
  return "";
}

namespace {

// Why entries are paused this instant (G4, G5): "" when they are not.
std::string pause_reason(const GridFrame& f, const MarketView& view, const model::TaskState& task,
                         const GridParams& p) {
  if (f.risk) {
    return "risk monitor: ATR " + dec(f.atr_e8) + " >= " + dec(p.risk_atr_ratio_e8) +
           " x baseline_atr " + dec(p.baseline_atr_e8) + ": cancel buys, pause entries";
  }
  const GridBreaker b = grid_breaker(task, p, view.ts_exchange_ns);
  if (b.tripped) {
    return "circuit breaker: " + std::to_string(b.losses) +
           " losing round trips in a row: cancel buys, pause entries until exchange time " +
           std::to_string(b.until_ns / kNsPerS) + " s";
  }
  return "";
}

// G1, G3: the sell of level `key`: max(L + I, center + I); with the skew on, at least one tick
// above the best bid (the skew may move the sell window down to the market or below it).
int64_t sell_price(int64_t key, const GridFrame& f, const MarketView& view, const GridParams& p) {
  const int64_t price = std::max(key + f.interval, f.sell_low);
  return p.skew_factor_e8 > 0 ? std::max(price, view.best_bid_ticks + 1) : price;
}

bool stale(const model::Order& o, const MarketView& view, const GridParams& p) {
  return p.stale_order_s > 0 && view.ts_exchange_ns - o.placed_ns >= p.stale_order_s * kNsPerS;
}

// Why the open order `o` of slot `key` is cancelled this instant (G1, G2, G4-G6): "" to keep it.
std::string cancel_reason(const model::Order& o, int64_t key, const GridFrame& f,
                          const MarketView& view, const GridParams& p, const std::string& pause,
                          const Instrument& ins) {
  if (o.side == Side::kBuy && !pause.empty()) return pause;
  if (!f.warm) return "";
  if (o.side == Side::kBuy) {
    if (o.price_ticks < f.buy_low || o.price_ticks > f.buy_high) return "buy left the buy window";
    if (o.price_ticks % f.interval == 0) return "";
    if (p.dynamic_interval) return "buy off the grid's levels: the interval is now " + ins.format_price(f.interval);
    if (stale(o, view, p)) {
      return "stale buy: resting " + std::to_string(p.stale_order_s) + " s or more off the grid's levels";
    }
    return "";
  }
  if (o.price_ticks > f.sell_high) return "sell left the sell window; hold position";
  const int64_t wanted = sell_price(key, f, view, p);
  if (stale(o, view, p) && o.price_ticks >= f.sell_low && o.price_ticks > wanted) {
    return "stale sell: resting " + std::to_string(p.stale_order_s) +
           " s or more above the grid's sell for its level, now " + ins.format_price(wanted);
  }
  return "";
}

void decide_cancels(const GridFrame& f, const MarketView& view, const model::TaskState& task,
                    const GridParams& p, const std::string& pause, std::vector<IntentSpec>& out) {
  for (const auto& [key, slot] : task.slots) {
    if (slot.current_cid.empty()) continue;  // no working order (most slots): no lookup
    const model::Order* o = task.current_order(slot);
    if (o == nullptr || !actionable(*o)) continue;
    std::string why = cancel_reason(*o, key, f, view, p, pause, task.instrument);
    if (why.empty()) continue;
    IntentSpec s;
    s.kind = IntentSpec::Kind::kCancel;
    s.slot_key = key;
    s.client_order_id = o->client_order_id;
    s.reason = std::move(why);
    out.push_back(std::move(s));
  }
}

size_t live_orders(const model::TaskState& task) {
  size_t n = 0;
  for (const auto& [key, slot] : task.slots) n += slot.current_cid.empty() ? 0 : 1;
  return n;
}

bool may_place(const model::Slot* slot, const MarketView& view) {
  return slot == nullptr || (slot->current_cid.empty() && view.ts_exchange_ns >= slot->retry_after_ns);
}

// What the features that are on add to a place's reason ("" with all of them off).
std::string frame_text(const GridFrame& f, const GridParams& p, const Instrument& ins) {
  std::string t;
  if (p.dynamic_interval) t += ", interval " + ins.format_price(f.interval) + " (ATR " + dec(f.atr_e8) + ")";
  if (p.skew_factor_e8 > 0) t += ", skewed price " + ins.format_price(f.price);
  return t;
}

void decide_sells(const GridFrame& f, const MarketView& view, const model::TaskState& task,
                  const GridParams& p, size_t& budget, std::vector<IntentSpec>& out) {
  const int64_t step = task.instrument.step_e8;
  int64_t sellable_e8 = task.sellable_e8();  // what the task holds and is not already selling
  for (const auto& [key, slot] : task.slots) {
    if (budget == 0) return;
    if (slot.claim_e8 < step || !may_place(&slot, view)) continue;
    const int64_t price = sell_price(key, f, view, p);
    if (price > f.sell_high || price <= view.best_bid_ticks) continue;
    // Whole lots of the slot's claim, never more than the task holds (a commission taken in
    // base leaves a claim short of its buy: the remainder stays as the slot's dust).
    const int64_t lots = std::min(slot.claim_e8, sellable_e8) / step;
    // A position worth less than the minimum notional cannot be sold as one order: hold it.
    if (lots <= 0 ||
        task.instrument.notional_e8(price, lots) < task.instrument.min_notional_e8) {
      continue;
    }
    sellable_e8 -= lots * step;
    IntentSpec s;
    s.kind = IntentSpec::Kind::kPlace;
    s.slot_key = key;
    s.side = Side::kSell;
    s.price_ticks = price;
    s.qty_lots = lots;
    s.reason = "grid sell one interval above the filled buy at " + std::to_string(key) +
               frame_text(f, p, task.instrument);
    out.push_back(std::move(s));
    --budget;
  }
}

// The buy levels of the frame, highest first, at most `max` (> 0 prices only).
std::vector<int64_t> buy_levels(const GridFrame& f, size_t max) {
  std::vector<int64_t> out;
  for (int64_t level = f.buy_high; level >= f.buy_low && out.size() < max; level -= f.interval) {
    if (level > 0) out.push_back(level);
  }
  return out;
}

void decide_buys(const GridFrame& f, const MarketView& view, const model::TaskState& task,
                 const GridParams& p, size_t& budget, std::vector<IntentSpec>& out) {
  // G7: before its first place, a task checks the account.
  if (p.account_check && task.intents_place == 0 &&
      !grid_account_check(p, task.instrument, view.balances, buy_levels(f, p.max_open_orders)).empty()) {
    return;
  }
  for (int64_t level = f.buy_low; level <= f.buy_high; level += f.interval) {
    if (budget == 0) return;
    if (level <= 0 || level >= view.best_ask_ticks) continue;  // post-only would reject
    auto it = task.slots.find(level);
    const model::Slot* slot = it == task.slots.end() ? nullptr : &it->second;
    if (!may_place(slot, view) ||
        (slot != nullptr && task.slot_state(*slot) == model::SlotState::kFilled)) {
      continue;
    }
    IntentSpec s;
    s.kind = IntentSpec::Kind::kPlace;
    s.slot_key = level;
    s.side = Side::kBuy;
    s.price_ticks = level;
    s.qty_lots = p.order_qty_lots;
    s.reason = "grid buy level in window, center " + std::to_string(f.center) +
               frame_text(f, p, task.instrument);
    out.push_back(std::move(s));
    --budget;
  }
}

}  // namespace

void decide_grid(const MarketView& view, const model::TaskState& task, const GridParams& params,
                 std::vector<IntentSpec>& out) {
  KEEL_ASSERT(params.interval_ticks > 0 && params.order_qty_lots > 0);
  KEEL_ASSERT(params.buy_window >= 1 && params.sell_window >= 1);
  if (!view.ready() || !task.halted.empty()) return;
  const GridFrame f = grid_frame(view, params, grid_inventory_dev_e8(task, params),
                                 task.instrument.step_e8);
  const std::string pause = pause_reason(f, view, task, params);
  decide_cancels(f, view, task, params, pause, out);
  if (!f.warm) return;  // G2: the warm-up holds
  const size_t live = live_orders(task);
  size_t budget = live >= params.max_open_orders ? 0 : params.max_open_orders - live;
  decide_sells(f, view, task, params, budget, out);
  if (pause.empty()) decide_buys(f, view, task, params, budget, out);
}

int64_t grid_adopt_slot_key(Side side, int64_t price_ticks, const GridParams& params) {
  return side == Side::kBuy ? price_ticks : price_ticks - params.interval_ticks;
}

GridKey grid_key(const MarketView& view, const GridParams& params, int64_t dev_e8, int64_t step_e8) {
  if (!view.ready()) return {};
  const GridFrame f = grid_frame(view, params, dev_e8, step_e8);
  GridKey k;
  k.ready = true;
  k.warm = f.warm;
  if (!f.warm) return k;  // decide_grid then reads nothing else of the view
  k.risk = f.risk;
  k.interval = f.interval;
  k.atr_e8 = f.atr_e8;
  k.center = f.center;
  const int64_t sell_low = f.center + f.interval;   // lowest possible sell price
  const int64_t buy_high = f.center - f.interval;   // highest possible buy level
  k.bid = view.best_bid_ticks < sell_low ? sell_low - 1 : view.best_bid_ticks;
  k.ask = view.best_ask_ticks > buy_high ? buy_high + 1 : view.best_ask_ticks;
  return k;
}

int64_t grid_next_retry_ns(const model::TaskState& task, int64_t now_ns, const GridParams& params) {
  int64_t next = std::numeric_limits<int64_t>::max();
  auto consider = [&](int64_t t) {
    if (t > now_ns && t < next) next = t;
  };
  for (const auto& [key, slot] : task.slots) {
    consider(slot.retry_after_ns);
    if (params.stale_order_s <= 0 || slot.current_cid.empty()) continue;
    if (const model::Order* o = task.current_order(slot); o != nullptr) {
      consider(o->placed_ns + params.stale_order_s * kNsPerS);  // G6
    }
  }
  if (params.max_consecutive_losses > 0) {
    const GridBreaker b = grid_breaker(task, params, now_ns);
    if (b.tripped) consider(b.until_ns);  // G5
  }
  return next;
}

bool GridMemo::still_quiet(const MarketView& view, const GridParams& params,
                           uint64_t state_seq) const {
  return valid_ && state_seq == state_seq_ && view.ts_exchange_ns >= ts_from_ns_ &&
         view.ts_exchange_ns < ts_until_ns_ && grid_key(view, params, dev_e8_, step_e8_) == key_;
}

void GridMemo::quiet(const MarketView& view, const model::TaskState& task,
                     const GridParams& params, uint64_t state_seq) {
  valid_ = true;
  dev_e8_ = grid_inventory_dev_e8(task, params);
  step_e8_ = task.instrument.step_e8;
  key_ = grid_key(view, params, dev_e8_, step_e8_);
  state_seq_ = state_seq;
  ts_from_ns_ = view.ts_exchange_ns;
  ts_until_ns_ = grid_next_retry_ns(task, view.ts_exchange_ns, params);
}

namespace {

class GridDecisionMemo final : public DecisionMemo {
 public:
  explicit GridDecisionMemo(const GridParams& p) : params_(p) {}
  bool still_quiet(const MarketView& view, uint64_t state_seq) const override {
    return memo_.still_quiet(view, params_, state_seq);
  }
  void quiet(const MarketView& view, const model::TaskState& task, uint64_t state_seq) override {
    memo_.quiet(view, task, params_, state_seq);
  }
  void forget() override { memo_.forget(); }

 private:
  GridParams params_;
  GridMemo memo_;
};

class GridStrategy final : public Strategy {
 public:
  explicit GridStrategy(const GridParams& p) : params_(p) {}
  const char* name() const override { return "grid"; }
  void decide(const MarketView& view, const model::TaskState& task,
              std::vector<IntentSpec>& out) const override {
    decide_grid(view, task, params_, out);
  }
  int64_t adopt_slot_key(Side side, int64_t price_ticks) const override {
    return grid_adopt_slot_key(side, price_ticks, params_);
  }
  std::unique_ptr<DecisionMemo> new_memo() const override {
    return std::make_unique<GridDecisionMemo>(params_);
  }
  // Every buy level of the window at the base interval, up to max_open_orders (a fresh grid has
  // nothing to sell). With the skew on, a fresh task's position is 0: the inventory target
  // skews it (G3); the instrument's step is not known here, so the deviation is in lots.
  std::vector<OrderSketch> opening_orders(int64_t price_ticks) const override {
    std::vector<OrderSketch> out;
    const int64_t full_lots = static_cast<int64_t>(params_.buy_window) * params_.order_qty_lots;
    const int64_t dev_lots = params_.skew_factor_e8 == 0 ? 0 : -std::min(params_.inventory_target_lots, full_lots);
    const int64_t price = grid_skewed_price(price_ticks, dev_lots, params_, 1);
    const int64_t center = grid_center(price, params_.interval_ticks);
    for (int k = 1; k <= params_.buy_window && out.size() < params_.max_open_orders; ++k) {
      const int64_t level = center - k * params_.interval_ticks;
      if (level > 0) out.push_back({Side::kBuy, level, params_.order_qty_lots});
    }
    return out;
  }
  bool reads_balances() const override { return params_.account_check; }
  const GridParams& params() const { return params_; }

 private:
  GridParams params_;
};

}  // namespace

std::shared_ptr<const Strategy> make_grid(const GridParams& params) {
  return std::make_shared<GridStrategy>(params);
}

const GridParams* grid_params(const Strategy& s) {
  const auto* g = dynamic_cast<const GridStrategy*>(&s);
  return g == nullptr ? nullptr : &g->params();
}

namespace {

// G2-G7's params from `v` into `p`, and what one value alone cannot check (errors name a key).
Status bind_features(const ParamValues& v, const Instrument& ins, GridParams& p) {
  p.dynamic_interval = v.get("dynamic_interval") == 1;
  p.volatility_scale_e8 = v.get("volatility_scale");
  p.baseline_atr_e8 = v.get("baseline_atr");
  p.atr_period_s = v.get("atr_period_s");
  p.atr_periods = v.get("atr_periods");
  const int64_t step_e8 = v.get("interval_step");
  p.skew_factor_e8 = v.get("inventory_skew_factor");
  p.risk_atr_ratio_e8 = v.get("risk_atr_ratio");
  p.max_consecutive_losses = static_cast<int>(v.get("max_consecutive_losses"));
  p.breaker_cooldown_s = v.get("breaker_cooldown_s");
  p.fee_rate_e8 = v.get("fee_rate");
  p.stale_order_s = v.get("stale_order_s");
  p.account_check = v.get("account_check") == 1;
  if (p.reads_atr() && p.baseline_atr_e8 <= 0) {
    return Status::InvalidArgument("baseline_atr: required (> 0) with dynamic_interval or "
                                   "risk_atr_ratio: the ATR of a normal market, quote");
  }
  if ((p.atr_periods + 1) * p.atr_period_s + 1 > static_cast<int64_t>(market::MidBars::kDefaultCapacity)) {
    return Status::InvalidArgument("atr_periods: (atr_periods + 1) x atr_period_s must stay "
                                   "below the " + std::to_string(market::MidBars::kDefaultCapacity) +
                                   " one-second bars kept");
  }
  if (ins.tick_e8 <= 0 || step_e8 % ins.tick_e8 != 0) {
    return Status::InvalidArgument("interval_step: must be a multiple of tick_size");
  }
  p.interval_step_ticks = std::max<int64_t>(1, step_e8 / ins.tick_e8);
  const int64_t target_e8 = v.get("inventory_target");
  if (ins.step_e8 <= 0 || target_e8 % ins.step_e8 != 0) {
    return Status::InvalidArgument("inventory_target: must be a multiple of step_size");
  }
  p.inventory_target_lots = target_e8 / ins.step_e8;
  return Status::Ok();
}

}  // namespace

StrategyInfo grid_info() {
  using K = ParamSpec::Kind;
  constexpr int64_t kBig = 1'000'000'000 * kOne;
  constexpr int64_t kWeek = 7 * 86'400;
  StrategyInfo info;
  info.name = "grid";
  info.summary = "trailing grid: post-only buys at levels below the last trade, each filled buy "
                 "sold one interval above it";
  info.seed = "001";
  // Every param after max_open_orders is off at its default and left out of the canonical
  // params text while at it (omit_when_default): a journal started before it still matches.
  info.params = {
      {"price_interval", K::kPrice, true, 0, 0, 0, "grid spacing I, quote units (a multiple of tick_size)"},
      {"order_quantity", K::kQty, true, 0, 0, 0, "quantity of each buy, base units (a multiple of step_size)"},
      {"buy_window_size", K::kInteger, false, 5, 1, 100'000, "B: buy levels center-B*I .. center-I"},
      {"sell_window_size", K::kInteger, false, 5, 1, 100'000, "S: sells up to center+S*I"},
      {"max_open_orders", K::kInteger, false, 64, 1, 1'000'000, "working and in-flight orders of the task, at most"},
      {"dynamic_interval", K::kChoice, false, 0, 0, 0, "I = price_interval x volatility_scale x ATR / baseline_atr (seed 2.2)", "false,true", true},
      {"volatility_scale", K::kDecimal, false, kOne, kOne / 100, 100 * kOne, "VolatilityScale of the dynamic interval", nullptr, true},
      {"baseline_atr", K::kDecimal, false, 0, 0, kBig, "quote: the ATR of a normal market (dynamic interval, risk monitor)", nullptr, true},
      {"atr_period_s", K::kInteger, false, 10, 1, 1800, "seconds per ATR period (one-second mid bars)", nullptr, true},
      {"atr_periods", K::kInteger, false, 6, 1, 1800, "periods in the ATR; it is sampled once per period", nullptr, true},
      {"interval_step", K::kDecimal, false, 0, 0, kBig, "quote: the dynamic interval is a multiple of it (0: one tick)", nullptr, true},
      {"inventory_skew_factor", K::kDecimal, false, 0, 0, kOne / 2, "SkewFactor: price x (1 - factor x inventory ratio) centers the grid (0: off)", nullptr, true},
      {"inventory_target", K::kDecimal, false, 0, 0, kBig, "base: the skew's Target inventory", nullptr, true},
      {"risk_atr_ratio", K::kDecimal, false, 0, 0, 1000 * kOne, "risk monitor: ATR >= this x baseline_atr cancels buys, pauses entries (0: off)", nullptr, true},
      {"max_consecutive_losses", K::kInteger, false, 0, 0, 1000, "circuit breaker: losing round trips in a row that pause entries (0: off)", nullptr, true},
      {"breaker_cooldown_s", K::kInteger, false, 600, 1, kWeek, "seconds of exchange time the breaker pauses after the newest loss", nullptr, true},
      {"fee_rate", K::kDecimal, false, kOne / 1000, 0, kOne / 10, "fee rate per side: a round trip's result (breaker), the opening buys' cost (account check)", nullptr, true},
      {"stale_order_s", K::kInteger, false, 0, 0, kWeek, "seconds: an older order the grid would not place as it is is cancelled (0: off)", nullptr, true},
      {"account_check", K::kChoice, false, 0, 0, 0, "before its first order the free quote must cover the opening buys", "false,true", true},
  };
  info.make = [](const ParamValues& v, const Instrument& ins) -> Result<std::shared_ptr<const Strategy>> {
    GridParams p;
    p.interval_ticks = v.get("price_interval");
    p.order_qty_lots = v.get("order_quantity");
    p.buy_window = static_cast<int>(v.get("buy_window_size"));
    p.sell_window = static_cast<int>(v.get("sell_window_size"));
    p.max_open_orders = static_cast<size_t>(v.get("max_open_orders"));
    KEEL_RETURN_IF_ERROR(bind_features(v, ins, p));
    return make_grid(p);
  };
  info.slot_label = [](int64_t key, const Instrument& ins) { return ins.format_price(key); };
  return info;
}

}  // namespace keel::strategy
