// Seed 004's quoting (keel/strategy/avellaneda_stoikov.h states every rule and reading; the
// tags Q1, Q2, S1-S3, R1-R3, X1 below refer to it). Doubles live only inside the formulas and
// are rounded to ticks and lots at once: floor for a bid and for every size, ceil for an ask.
#include "keel/strategy/avellaneda_stoikov.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "keel/strategy/common.h"

namespace keel::strategy {

namespace {

constexpr double kE8 = 1e8;
// Rounding a formula's price to ticks (or a size to lots) forgives this much of a tick (a lot),
// so that a product that is whole in decimals (60000 x 0.999) but not in binary floating point
// still rounds to it. Deterministic either way: the same inputs give the same ticks.
constexpr double kRoundSlack = 1e-6;

double e8(int64_t v) { return static_cast<double>(v) / kE8; }

// Whole lots of `lots_d` (>= 0), floored; never above `cap`.
int64_t floor_lots(double lots_d, int64_t cap) {
  if (!(lots_d > 0)) return 0;
  const double f = std::floor(lots_d + kRoundSlack);
  return f >= static_cast<double>(cap) ? cap : static_cast<int64_t>(f);
}

// qty >= the venue's minimum quantity and notional, else 0 lots and the reason.
void enforce_minimums(const Instrument& ins, AsSideQuote& s, const char* side) {
  if (s.qty_lots <= 0) return;
  if (!venue_accepts(ins, s.price_ticks, s.qty_lots)) {
    s.qty_lots = 0;
    s.why_none = std::string(side) + " size below the venue's minimum quantity or notional";
  }
}

// R3: the account's equity in quote at mid, e8; -1 when the balances are unknown.
double equity_e8(const MarketView& view, double mid_price) {
  if (!view.balances.known) return -1;
  return static_cast<double>(view.balances.quote_total_e8) +
         static_cast<double>(view.balances.base_total_e8) * mid_price;
}

// Q1 + Q2: fair price and half spread; false (with `why`) while sigma is unknown.
bool price_model(const MarketView& view, const model::TaskState& task,
                 const AvellanedaStoikovParams& p, AsQuote& q) {
  q.sigma_e8 = view.bars == nullptr ? -1 : view.bars->sigma_e8(static_cast<size_t>(p.sigma_window_s));
  if (q.sigma_e8 < 0) {
    q.why = "warm-up: sigma needs " + std::to_string(p.sigma_window_s + 1) + " one-second bars";
    return false;
  }
  const double mid_price = q.mid_ticks * e8(task.instrument.tick_e8);   // quote per base
  const double value_e8 = static_cast<double>(task.position.base_e8) * mid_price;
  q.q = std::clamp(value_e8 / static_cast<double>(p.max_net_position_e8), -1.0, 1.0);
  q.fair_ticks = q.mid_ticks * (1.0 - e8(p.k_relative_e8) * q.q);
  const double sigma_h = e8(q.sigma_e8) * std::sqrt(static_cast<double>(p.sigma_horizon_s));
  q.half_spread = std::max(0.0, e8(p.base_spread_e8) + e8(p.alpha_e8) * sigma_h +
                                    e8(p.beta_e8) * e8(p.funding_rate_e8) / 3.0);
  return true;
}

// S1, S2, S3, R1 and the venue's minimums on the priced sides.
void size_sides(const model::TaskState& task, const AvellanedaStoikovParams& p, int64_t ask_held_e8,
                AsQuote& q) {
  const Instrument& ins = task.instrument;
  const double mid_price = q.mid_ticks * e8(ins.tick_e8);
  const double base_lots = e8(p.quote_notional_cap_e8) / mid_price * kE8 / static_cast<double>(ins.step_e8);
  const double s = e8(p.inventory_sensitivity_e8);
  q.bid.qty_lots = floor_lots(base_lots * std::max(0.0, 1.0 - s * q.q), p.max_order_size_lots);
  q.ask.qty_lots = floor_lots(base_lots * (1.0 + s * q.q), p.max_order_size_lots);
  // R1: the bid as if filled keeps the position value at mid within max_net_position.
  const double room_e8 = static_cast<double>(p.max_net_position_e8) -
                         static_cast<double>(task.position.base_e8) * mid_price;
  const double room_lots = room_e8 / (static_cast<double>(q.bid.price_ticks) * e8(ins.tick_e8)) /
                           static_cast<double>(ins.step_e8);
  if (floor_lots(room_lots, q.bid.qty_lots) < q.bid.qty_lots) {
    q.bid.qty_lots = floor_lots(room_lots, q.bid.qty_lots);
    q.bid.why_none = "position at max_net_position: no bid that would add to it";
  }
  // S3: spot sells only what the task holds.
  const int64_t held_lots = (task.sellable_e8() + ask_held_e8) / ins.step_e8;
  if (held_lots < q.ask.qty_lots) {
    q.ask.qty_lots = held_lots;
    q.ask.why_none = "spot: nothing held to sell";
  }
  enforce_minimums(ins, q.bid, "bid");
  enforce_minimums(ins, q.ask, "ask");
  if (q.bid.qty_lots == 0 && q.bid.why_none.empty()) q.bid.why_none = "bid size rounds to 0 lots";
  if (q.ask.qty_lots == 0 && q.ask.why_none.empty()) q.ask.why_none = "ask size rounds to 0 lots";
}

}  // namespace

AsQuote avellaneda_stoikov_quote(const MarketView& view, const model::TaskState& task,
                                 const AvellanedaStoikovParams& p, int64_t ask_held_e8) {
  AsQuote q;
  if (!view.ready()) {
    q.why = "market view not ready";
    return q;
  }
  q.mid_ticks = (static_cast<double>(view.best_bid_ticks) + static_cast<double>(view.best_ask_ticks)) / 2.0;
  if (p.min_balance_e8 > 0) {
    const double eq = equity_e8(view, q.mid_ticks * e8(task.instrument.tick_e8));
    if (eq < static_cast<double>(p.min_balance_e8)) {
      q.why = eq < 0 ? "min_balance: the account's balances are not known yet"
                     : "min_balance: equity below the minimum, sitting out";
      return q;
    }
  }
  if (!price_model(view, task, p, q)) return q;
  // Q2 prices, then post-only: bid < best ask, ask > best bid, and bid < ask.
  const int64_t bid = static_cast<int64_t>(std::floor(q.fair_ticks * (1.0 - q.half_spread) + kRoundSlack));
  const int64_t ask = static_cast<int64_t>(std::ceil(q.fair_ticks * (1.0 + q.half_spread) - kRoundSlack));
  const PostOnlyBounds po = post_only_bounds(view, task.instrument);
  q.bid.price_ticks = std::min(bid, po.max_buy_ticks);
  q.ask.price_ticks = std::max({ask, po.min_sell_ticks, q.bid.price_ticks + 1});
  if (q.bid.price_ticks <= 0) {
    q.why = "bid price not positive";
    return q;
  }
  q.ok = true;
  size_sides(task, p, ask_held_e8, q);
  return q;
}

namespace {

// X1: |want - remaining| > fraction of remaining.
bool size_changed(int64_t want, int64_t remaining, int64_t fraction_e8) {
  const __int128 diff = want > remaining ? want - remaining : remaining - want;
  return diff * 100'000'000 > static_cast<__int128>(fraction_e8) * remaining;
}

std::string fmt(const char* f, double a, double b, double c, double d) {
  char buf[160];
  std::snprintf(buf, sizeof buf, f, a, b, c, d);
  return buf;
}

// The audit text of a quote: "fair 61712.34 h 5.2bp sigma 1.10bp q 0.120".
std::string model_text(const AsQuote& q, const Instrument& ins) {
  return fmt("fair %.2f h %.2fbp sigma %.2fbp q %.3f", q.fair_ticks * e8(ins.tick_e8),
             q.half_spread * 1e4, e8(q.sigma_e8) * 1e4, q.q);
}

struct Plans {
  std::vector<IntentSpec> cancels, amends, places;
};

// One role slot against its wanted quote (`want.qty_lots == 0`: none; `no_quote` overrides).
void plan_side(const MarketView& view, const model::TaskState& task, int64_t key, Side side,
               const AsQuote& q, const AsSideQuote& want, const AvellanedaStoikovParams& p,
               Plans& plans) {
  const char* name = side == Side::kBuy ? "bid" : "ask";
  const std::string no_quote = !q.ok ? q.why : want.qty_lots == 0 ? want.why_none : "";
  auto it = task.slots.find(key);
  const model::Slot* slot = it == task.slots.end() ? nullptr : &it->second;
  const model::Order* o = slot == nullptr ? nullptr : task.current_order(*slot);
  if (o != nullptr && o->working()) {
    if (!actionable(*o)) return;  // in flight, or a cancel pending/refused: R1
    if (o->side != side) {
      plans.cancels.push_back(make_intent(IntentSpec::Kind::kCancel, key, o->side, o->client_order_id,
                                   std::string("order on the wrong side for the ") + name + " slot"));
      return;
    }
    if (!no_quote.empty()) {
      plans.cancels.push_back(make_intent(IntentSpec::Kind::kCancel, key, side, o->client_order_id,
                                   std::string("no ") + name + ": " + no_quote));
      return;
    }
    const int64_t remaining = o->qty_lots - o->filled_lots;
    const bool drift = drifted(want.price_ticks, o->price_ticks, p.replace_threshold_bps_e8);
    if (!drift && !size_changed(want.qty_lots, remaining, p.min_size_change_e8)) return;
    const std::string why = std::string(name) + (drift ? " price beyond replace_threshold_bps"
                                                        : " size beyond min_size_change") +
                            ": " + model_text(q, task.instrument);
    if (p.replace_with == ReplaceWith::kCancel) {
      plans.cancels.push_back(make_intent(IntentSpec::Kind::kCancel, key, side, o->client_order_id,
                                   "replace (cancel, then place): " + why));
      return;
    }
    IntentSpec a = make_intent(IntentSpec::Kind::kAmend, key, side, o->client_order_id, "replace: " + why);
    a.price_ticks = want.price_ticks;
    a.qty_lots = want.qty_lots;
    plans.amends.push_back(std::move(a));
    return;
  }
  if (!no_quote.empty() || (slot != nullptr && view.ts_exchange_ns < slot->retry_after_ns)) return;
  IntentSpec s = make_intent(IntentSpec::Kind::kPlace, key, side, "",
                      std::string("quote ") + name + ": " + model_text(q, task.instrument));
  s.price_ticks = want.price_ticks;
  s.qty_lots = want.qty_lots;
  plans.places.push_back(std::move(s));
}

int64_t remaining_e8(const model::TaskState& task, int64_t key) {
  auto it = task.slots.find(key);
  if (it == task.slots.end()) return 0;
  const model::Order* o = task.current_order(it->second);
  if (o == nullptr || !actionable(*o) || o->side != Side::kSell) return 0;
  return (o->qty_lots - o->filled_lots) * task.instrument.step_e8;
}

}  // namespace

void decide_avellaneda_stoikov(const MarketView& view, const model::TaskState& task,
                               const AvellanedaStoikovParams& p, std::vector<IntentSpec>& out) {
  if (!view.ready() || !task.halted.empty()) return;
  const AsQuote q = avellaneda_stoikov_quote(view, task, p, remaining_e8(task, kAsAskSlot));
  Plans plans;
  // An order current in any other slot is not this strategy's (strays: the engine cancels them).
  for (const auto& [key, slot] : task.slots) {
    const model::Order* o = task.current_order(slot);
    if (key == kAsBidSlot || key == kAsAskSlot || o == nullptr || !actionable(*o)) continue;
    plans.cancels.push_back(make_intent(IntentSpec::Kind::kCancel, key, o->side, o->client_order_id,
                                 "order in a slot that is neither bid nor ask"));
  }
  plan_side(view, task, kAsAskSlot, Side::kSell, q, q.ask, p, plans);  // R2: the ask first
  plan_side(view, task, kAsBidSlot, Side::kBuy, q, q.bid, p, plans);
  int64_t working = 0;
  for (const auto& [cid, o] : task.orders) working += o.working() ? 1 : 0;
  for (auto& s : plans.cancels) out.push_back(std::move(s));
  for (auto& s : plans.amends) out.push_back(std::move(s));
  for (auto& s : plans.places) {
    if (working >= p.max_open_orders) break;  // R2
    out.push_back(std::move(s));
    ++working;
  }
}

int64_t avellaneda_stoikov_adopt_slot_key(Side side) {
  return side == Side::kBuy ? kAsBidSlot : kAsAskSlot;
}

std::string avellaneda_stoikov_slot_label(int64_t slot_key, const Instrument&) {
  if (slot_key == kAsBidSlot) return "bid";
  if (slot_key == kAsAskSlot) return "ask";
  return std::to_string(slot_key);
}

namespace {

class AvellanedaStoikov final : public Strategy {
 public:
  AvellanedaStoikov(const AvellanedaStoikovParams& p, const Instrument& ins) : p_(p), ins_(ins) {}
  const char* name() const override { return "avellaneda_stoikov"; }
  void decide(const MarketView& view, const model::TaskState& task,
              std::vector<IntentSpec>& out) const override {
    decide_avellaneda_stoikov(view, task, p_, out);
  }
  int64_t adopt_slot_key(Side side, int64_t) const override {
    return avellaneda_stoikov_adopt_slot_key(side);
  }
  // A fresh spot task holds nothing: one bid of the notional cap (within max_net_position and
  // max_order_size) at `price_ticks` (S1, R1).
  std::vector<OrderSketch> opening_orders(int64_t price_ticks) const override {
    if (price_ticks <= 0 || ins_.tick_e8 <= 0 || ins_.step_e8 <= 0) return {};
    const __int128 price_e8 = static_cast<__int128>(price_ticks) * ins_.tick_e8;
    const int64_t cap_e8 = std::min(p_.quote_notional_cap_e8, p_.max_net_position_e8);
    const __int128 lots = static_cast<__int128>(cap_e8) * 100'000'000 / price_e8 / ins_.step_e8;
    return {{Side::kBuy, price_ticks,
             static_cast<int64_t>(std::min<__int128>(lots, p_.max_order_size_lots))}};
  }
  bool reads_balances() const override { return p_.min_balance_e8 > 0; }

 private:
  AvellanedaStoikovParams p_;
  Instrument ins_;
};

}  // namespace

std::shared_ptr<const Strategy> make_avellaneda_stoikov(const AvellanedaStoikovParams& p,
                                                        const Instrument& instrument) {
  return std::make_shared<AvellanedaStoikov>(p, instrument);
}

StrategyInfo avellaneda_stoikov_info() {
  using K = ParamSpec::Kind;
  constexpr int64_t kOne = 100'000'000;
  StrategyInfo info;
  info.name = "avellaneda_stoikov";
  info.summary = "bid and ask around an inventory-shifted fair price, half spread from "
                 "base spread, sigma and funding, sizes from a notional cap skewed by inventory";
  info.seed = "004";
  info.params = {
      {"quote_notional_cap", K::kDecimal, true, 0, 1, 1'000'000'000 * kOne, "quote per side: the base order size is this / mid"},
      {"max_order_size", K::kQty, true, 0, 0, 0, "base: the most one order may quote"},
      {"max_net_position", K::kDecimal, true, 0, 1, 1'000'000'000 * kOne, "quote: no bid that would take the position value past it; also the inventory ratio's denominator"},
      {"base_spread", K::kDecimal, false, 20'000, 0, kOne / 10, "fraction of price in the half spread (0.0002 = 2 bps)"},
      {"alpha", K::kDecimal, false, kOne, 0, 1000 * kOne, "half spread per unit of sigma (fraction of price over sigma_horizon_s)"},
      {"beta", K::kDecimal, false, 0, 0, 1000 * kOne, "half spread per unit of funding_rate / 3"},
      {"funding_rate", K::kDecimal, false, 0, -kOne / 100, kOne / 100, "fraction per funding period (spot: 0)"},
      {"k_relative", K::kDecimal, false, 100'000, 0, kOne / 10, "K: fair price shift, fraction of mid, at a position of max_net_position"},
      {"inventory_sensitivity", K::kDecimal, false, kOne / 2, 0, 100 * kOne, "s: bid size x (1 - s q), ask size x (1 + s q)"},
      {"sigma_window_s", K::kInteger, false, 60, 2, 3600, "one-second mid bars in sigma (also the warm-up)"},
      {"sigma_horizon_s", K::kInteger, false, 10, 1, 3600, "sigma scaled by sqrt of these seconds"},
      {"replace_threshold_bps", K::kDecimal, false, 2 * kOne, 0, 10'000 * kOne, "bps: an order is repriced only beyond this drift"},
      {"min_size_change", K::kDecimal, false, kOne / 10, 0, kOne, "fraction of an order's remaining quantity: resized only beyond it"},
      {"max_open_orders", K::kInteger, false, 2, 1, 100, "working orders of the task, at most"},
      {"min_balance", K::kDecimal, false, 0, 0, 1'000'000'000 * kOne, "quote: below this account equity at mid, no quotes (0: off)"},
      {"replace_with", K::kChoice, false, 0, 0, 0, "amend (one request) or cancel (then place)", "amend,cancel"},
  };
  info.make = [](const ParamValues& v, const Instrument& ins) -> Result<std::shared_ptr<const Strategy>> {
    AvellanedaStoikovParams p;
    p.quote_notional_cap_e8 = v.get("quote_notional_cap");
    p.max_order_size_lots = v.get("max_order_size");
    p.max_net_position_e8 = v.get("max_net_position");
    p.base_spread_e8 = v.get("base_spread");
    p.alpha_e8 = v.get("alpha");
    p.beta_e8 = v.get("beta");
    p.funding_rate_e8 = v.get("funding_rate");
    p.k_relative_e8 = v.get("k_relative");
    p.inventory_sensitivity_e8 = v.get("inventory_sensitivity");
    p.sigma_window_s = v.get("sigma_window_s");
    p.sigma_horizon_s = v.get("sigma_horizon_s");
    p.replace_threshold_bps_e8 = v.get("replace_threshold_bps");
    p.min_size_change_e8 = v.get("min_size_change");
    p.max_open_orders = v.get("max_open_orders");
    p.min_balance_e8 = v.get("min_balance");
    p.replace_with = static_cast<ReplaceWith>(v.get("replace_with"));
    return make_avellaneda_stoikov(p, ins);
  };
  info.slot_label = &avellaneda_stoikov_slot_label;
  return info;
}

}  // namespace keel::strategy
