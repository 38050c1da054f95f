#include "keel/strategy/grid.h"

#include <algorithm>
#include <limits>
#include <string>

namespace keel::strategy {

int64_t grid_center(int64_t price_ticks, int64_t interval_ticks) {
  KEEL_ASSERT(price_ticks > 0);
  KEEL_ASSERT(interval_ticks > 0);
  return (price_ticks + interval_ticks / 2) / interval_ticks * interval_ticks;
}

namespace {

struct Window {
  int64_t center, buy_low, buy_high, sell_low, sell_high;
};

Window window_of(const MarketView& view, const GridParams& p) {
  Window w{};
  w.center = grid_center(view.last_trade_ticks, p.interval_ticks);
  w.buy_low = w.center - p.buy_window * p.interval_ticks;
  w.buy_high = w.center - p.interval_ticks;
  w.sell_low = w.center + p.interval_ticks;
  w.sell_high = w.center + p.sell_window * p.interval_ticks;
  return w;
}

size_t live_orders(const model::TaskState& task) {
  size_t n = 0;
  for (const auto& [key, slot] : task.slots) n += slot.current_cid.empty() ? 0 : 1;
  return n;
}

void decide_cancels(const Window& w, const model::TaskState& task,
                    std::vector<IntentSpec>& out) {
  for (const auto& [key, slot] : task.slots) {
    if (slot.current_cid.empty()) continue;  // no working order (most slots): no lookup
    const model::Order* o = task.current_order(slot);
    if (o == nullptr || o->cancel_pending || o->cancel_refused ||
        o->phase != model::OrderPhase::kOpen) {
      continue;
    }
    const bool buy_out = o->side == Side::kBuy &&
                         (o->price_ticks < w.buy_low || o->price_ticks > w.buy_high);
    const bool sell_out = o->side == Side::kSell && o->price_ticks > w.sell_high;
    if (!buy_out && !sell_out) continue;
    IntentSpec s;
    s.kind = IntentSpec::Kind::kCancel;
    s.slot_key = key;
    s.client_order_id = o->client_order_id;
    s.reason = buy_out ? "buy left the buy window" : "sell left the sell window; hold position";
    out.push_back(std::move(s));
  }
}

bool may_place(const model::Slot* slot, const MarketView& view) {
  return slot == nullptr || (slot->current_cid.empty() && view.ts_exchange_ns >= slot->retry_after_ns);
}

void decide_sells(const Window& w, const MarketView& view, const model::TaskState& task,
                  const GridParams& p, size_t& budget, std::vector<IntentSpec>& out) {
  const int64_t step = task.instrument.step_e8;
  int64_t sellable_e8 = task.sellable_e8();  // what the task holds and is not already selling
  for (const auto& [key, slot] : task.slots) {
    if (budget == 0) return;
    if (slot.claim_e8 < step || !may_place(&slot, view)) continue;
    const int64_t price = std::max(key + p.interval_ticks, w.sell_low);
    if (price > w.sell_high || price <= view.best_bid_ticks) continue;
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
    s.reason = "grid sell one interval above the filled buy at " + std::to_string(key);
    out.push_back(std::move(s));
    --budget;
  }
}

void decide_buys(const Window& w, const MarketView& view, const model::TaskState& task,
                 const GridParams& p, size_t& budget, std::vector<IntentSpec>& out) {
  for (int64_t level = w.buy_low; level <= w.buy_high; level += p.interval_ticks) {
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
    s.reason = "grid buy level in window, center " + std::to_string(w.center);
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
  const Window w = window_of(view, params);
  decide_cancels(w, task, out);
  const size_t live = live_orders(task);
  size_t budget = live >= params.max_open_orders ? 0 : params.max_open_orders - live;
  decide_sells(w, view, task, params, budget, out);
  decide_buys(w, view, task, params, budget, out);
}

int64_t grid_adopt_slot_key(Side side, int64_t price_ticks, const GridParams& params) {
  return side == Side::kBuy ? price_ticks : price_ticks - params.interval_ticks;
}

GridKey grid_key(const MarketView& view, const GridParams& params) {
  if (!view.ready()) return {};
  GridKey k;
  k.ready = true;
  k.center = grid_center(view.last_trade_ticks, params.interval_ticks);
  const int64_t sell_low = k.center + params.interval_ticks;   // lowest possible sell price
  const int64_t buy_high = k.center - params.interval_ticks;   // highest possible buy level
  k.bid = view.best_bid_ticks < sell_low ? sell_low - 1 : view.best_bid_ticks;
  k.ask = view.best_ask_ticks > buy_high ? buy_high + 1 : view.best_ask_ticks;
  return k;
}

int64_t grid_next_retry_ns(const model::TaskState& task, int64_t now_ns) {
  int64_t next = std::numeric_limits<int64_t>::max();
  for (const auto& [key, slot] : task.slots) {
    if (slot.retry_after_ns > now_ns && slot.retry_after_ns < next) next = slot.retry_after_ns;
  }
  return next;
}

bool GridMemo::still_quiet(const MarketView& view, const GridParams& params,
                           uint64_t state_seq) const {
  return valid_ && state_seq == state_seq_ && view.ts_exchange_ns >= ts_from_ns_ &&
         view.ts_exchange_ns < ts_until_ns_ && grid_key(view, params) == key_;
}

void GridMemo::quiet(const MarketView& view, const model::TaskState& task,
                     const GridParams& params, uint64_t state_seq) {
  valid_ = true;
  key_ = grid_key(view, params);
  state_seq_ = state_seq;
  ts_from_ns_ = view.ts_exchange_ns;
  ts_until_ns_ = grid_next_retry_ns(task, view.ts_exchange_ns);
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
  // Every buy level of the window, up to max_open_orders (a fresh grid has nothing to sell).
  std::vector<OrderSketch> opening_orders(int64_t price_ticks) const override {
    std::vector<OrderSketch> out;
    const int64_t center = grid_center(price_ticks, params_.interval_ticks);
    for (int k = 1; k <= params_.buy_window && out.size() < params_.max_open_orders; ++k) {
      const int64_t level = center - k * params_.interval_ticks;
      if (level > 0) out.push_back({Side::kBuy, level, params_.order_qty_lots});
    }
    return out;
  }
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

StrategyInfo grid_info() {
  using K = ParamSpec::Kind;
  StrategyInfo info;
  info.name = "grid";
  info.summary = "trailing grid: post-only buys at levels below the last trade, each filled buy "
                 "sold one interval above it";
  info.seed = "001";
  info.params = {
      {"price_interval", K::kPrice, true, 0, 0, 0, "grid spacing I, quote units (a multiple of tick_size)"},
      {"order_quantity", K::kQty, true, 0, 0, 0, "quantity of each buy, base units (a multiple of step_size)"},
      {"buy_window_size", K::kInteger, false, 5, 1, 100'000, "B: buy levels center-B*I .. center-I"},
      {"sell_window_size", K::kInteger, false, 5, 1, 100'000, "S: sells up to center+S*I"},
      {"max_open_orders", K::kInteger, false, 64, 1, 1'000'000, "working and in-flight orders of the task, at most"},
  };
  info.make = [](const ParamValues& v, const Instrument&) -> Result<std::shared_ptr<const Strategy>> {
    GridParams p;
    p.interval_ticks = v.get("price_interval");
    p.order_qty_lots = v.get("order_quantity");
    p.buy_window = static_cast<int>(v.get("buy_window_size"));
    p.sell_window = static_cast<int>(v.get("sell_window_size"));
    p.max_open_orders = static_cast<size_t>(v.get("max_open_orders"));
    return make_grid(p);
  };
  info.slot_label = [](int64_t key, const Instrument& ins) { return ins.format_price(key); };
  return info;
}

}  // namespace keel::strategy
