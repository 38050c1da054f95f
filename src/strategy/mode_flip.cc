// Seed 002's BUY/SELL flip (keel/strategy/mode_flip.h states every rule and reading; the tags
// M1-M9 below refer to it). Doubles live only inside the price formulas and are rounded to
// ticks at once: floor for the buy, ceil for the sell; sizes are integer arithmetic.
#include "keel/strategy/mode_flip.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "keel/strategy/common.h"

namespace keel::strategy {

namespace {

constexpr double kE8 = 1e8;
// A price formula's result forgives this much of a tick before rounding, so that a product
// whole in decimals (60000 x 0.999) but not in binary floating point rounds to it.
constexpr double kRoundSlack = 1e-6;

double e8(int64_t v) { return static_cast<double>(v) / kE8; }

// M3: the spreads' growth, sigma_h (fraction of price); -1 while sigma is unknown.
double sigma_h(const MarketView& view, const ModeFlipParams& p) {
  return sigma_over_horizon(view, p.sigma_window_s, p.sigma_horizon_s);
}

// M4 SELL: the whole position at max(mid + spread, break-even), post-only.
void want_sell(const MarketView& view, const model::TaskState& task, const ModeFlipParams& p,
               double mid_ticks, int64_t held_e8, FlipWant& w) {
  const Instrument& ins = task.instrument;
  w.qty_lots = (task.sellable_e8() + held_e8) / ins.step_e8;
  const double fee = e8(p.maker_fee_e8);
  const double avg_cost_ticks = static_cast<double>(task.position.cost_e8) /
                                static_cast<double>(task.position.base_e8) /
                                e8(ins.tick_e8);
  const double break_even = avg_cost_ticks * (1.0 + fee) / (1.0 - fee);
  const double target = std::max(mid_ticks * (1.0 + w.spread), break_even);
  w.price_ticks = std::max(static_cast<int64_t>(std::ceil(target - kRoundSlack)), post_only_bounds(view, ins).min_sell_ticks);
}

// M4 BUY: balance_fraction of the available quote at mid - spread, post-only.
void want_buy(const MarketView& view, const model::TaskState& task, const ModeFlipParams& p,
              double mid_ticks, int64_t locked_quote_e8, FlipWant& w) {
  const Instrument& ins = task.instrument;
  w.price_ticks = std::min(static_cast<int64_t>(std::floor(mid_ticks * (1.0 - w.spread) + kRoundSlack)),
                           post_only_bounds(view, ins).max_buy_ticks);
  if (w.price_ticks <= 0) {
    w.why = "buy price not positive";
    return;
  }
  if (!view.balances.known) {
    w.why = "the account's balances are not known yet";
    return;
  }
  const __int128 avail_e8 = static_cast<__int128>(view.balances.quote_free_e8()) + locked_quote_e8;
  const __int128 spend_e8 = avail_e8 * p.balance_fraction_e8 / 100'000'000;
  const __int128 price_e8 = static_cast<__int128>(w.price_ticks) * ins.tick_e8;
  w.qty_lots = static_cast<int64_t>(spend_e8 * 100'000'000 / price_e8 / ins.step_e8);
  if (!venue_accepts(ins, w.price_ticks, w.qty_lots)) {
    w.qty_lots = 0;
    w.why = "balance_fraction of the free quote is below the venue's minimum order";
  }
}

}  // namespace

FlipWant mode_flip_want(const MarketView& view, const model::TaskState& task,
                        const ModeFlipParams& p, int64_t held_e8, int64_t locked_quote_e8) {
  FlipWant w;
  const Instrument& ins = task.instrument;
  const double mid_ticks =
      (static_cast<double>(view.best_bid_ticks) + static_cast<double>(view.best_ask_ticks)) / 2.0;
  // M1: SELL when the position can be sold as one order, at the price the sell would ask.
  if (task.position.base_e8 >= ins.step_e8 && ins.step_e8 > 0) {
    FlipWant s;
    s.spread = e8(p.sell_spread_e8);
    want_sell(view, task, p, mid_ticks, held_e8, s);
    if (venue_accepts(ins, s.price_ticks, task.position.base_e8 / ins.step_e8)) w.mode = FlipMode::kSell;
  }
  const double sh = p.spread_sigma_mult_e8 == 0 ? 0 : sigma_h(view, p);
  if (sh < 0) {
    w.why = "warm-up: the spreads grow with sigma, which needs " +
            std::to_string(p.sigma_window_s + 1) + " one-second bars";
    return w;
  }
  const int64_t base_spread = w.mode == FlipMode::kSell ? p.sell_spread_e8 : p.buy_spread_e8;
  w.spread = e8(base_spread) + e8(p.spread_sigma_mult_e8) * sh;
  if (w.mode == FlipMode::kSell) {
    want_sell(view, task, p, mid_ticks, held_e8, w);
    if (!venue_accepts(ins, w.price_ticks, w.qty_lots)) {
      w.qty_lots = 0;  // the position is sellable, but a working order already sells most of it
      w.why = "the position's unsold part is below the venue's minimum order";
    }
  } else {
    want_buy(view, task, p, mid_ticks, locked_quote_e8, w);
  }
  return w;
}

namespace {

const char* mode_name(FlipMode m) { return m == FlipMode::kSell ? "SELL" : "BUY"; }

std::string want_text(const FlipWant& w) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "%s mode, spread %.2fbp", mode_name(w.mode), w.spread * 1e4);
  return buf;
}

// M6, M7 for the open current order `o` of the wanted side: keep it, or replace it.
void reuse_or_replace(const MarketView& view, const model::Order& o, const FlipWant& w,
                      const ModeFlipParams& p, std::vector<IntentSpec>& out) {
  const bool drift = drifted(w.price_ticks, o.price_ticks, p.reuse_threshold_bps_e8);
  const bool stale_order = view.ts_exchange_ns - o.placed_ns >= p.refresh_interval_s * 1'000'000'000;
  if (!drift && (!stale_order || w.price_ticks == o.price_ticks)) return;  // reused
  const std::string why = std::string(drift ? "price moved beyond reuse_threshold_bps"
                                            : "resting longer than refresh_interval_s") +
                          ", " + want_text(w);
  if (p.replace_with == FlipReplace::kCancel) {
    out.push_back(make_intent(IntentSpec::Kind::kCancel, kModeFlipSlot, o.side, o.client_order_id,
                       "replace (cancel, then place): " + why));
    return;
  }
  IntentSpec a = make_intent(IntentSpec::Kind::kAmend, kModeFlipSlot, o.side, o.client_order_id,
                      "replace: " + why);
  a.price_ticks = w.price_ticks;
  a.qty_lots = w.qty_lots;
  out.push_back(std::move(a));
}

}  // namespace

void decide_mode_flip(const MarketView& view, const model::TaskState& task,
                      const ModeFlipParams& p, std::vector<IntentSpec>& out) {
  if (!view.ready() || !task.halted.empty()) return;
  for (const auto& [key, slot] : task.slots) {  // M8: only the one slot holds an order
    const model::Order* o = task.current_order(slot);
    if (key == kModeFlipSlot || o == nullptr || !actionable(*o)) continue;
    out.push_back(make_intent(IntentSpec::Kind::kCancel, key, o->side, o->client_order_id,
                       "lingering order outside the task's one slot"));
  }
  auto it = task.slots.find(kModeFlipSlot);
  const model::Slot* slot = it == task.slots.end() ? nullptr : &it->second;
  const model::Order* cur = slot == nullptr ? nullptr : task.current_order(*slot);
  if (cur != nullptr && !cur->working()) cur = nullptr;
  if (cur != nullptr && !actionable(*cur)) return;  // R1: in flight or cancel pending/refused
  const int64_t left = cur == nullptr ? 0 : cur->qty_lots - cur->filled_lots;
  const bool cur_buy = cur != nullptr && cur->side == Side::kBuy;
  const FlipWant w = mode_flip_want(view, task, p, cur_buy || cur == nullptr ? 0 : left * task.instrument.step_e8,
                                    cur_buy ? task.instrument.notional_e8(cur->price_ticks, left) : 0);
  const Side want_side = w.mode == FlipMode::kSell ? Side::kSell : Side::kBuy;
  if (cur != nullptr && cur->side != want_side) {  // M2: the mode flipped under it
    out.push_back(make_intent(IntentSpec::Kind::kCancel, kModeFlipSlot, cur->side, cur->client_order_id,
                       std::string("mode is ") + mode_name(w.mode) + ": cancel the " +
                           side_name(cur->side) + (cur->adopted ? " (adopted at start)" : "")));
    return;
  }
  // M9: stale book: hold (no place, no reprice).
  if (view.ts_exchange_ns - view.ts_book_ns > p.stale_after_ms * 1'000'000) return;
  if (w.qty_lots == 0) {
    if (cur != nullptr) {
      out.push_back(make_intent(IntentSpec::Kind::kCancel, kModeFlipSlot, cur->side, cur->client_order_id,
                         std::string("no ") + mode_name(w.mode) + " order: " + w.why));
    }
    return;
  }
  if (cur != nullptr) {
    reuse_or_replace(view, *cur, w, p, out);
    return;
  }
  if (slot != nullptr && view.ts_exchange_ns < slot->retry_after_ns) return;
  IntentSpec s = make_intent(IntentSpec::Kind::kPlace, kModeFlipSlot, want_side, "",
                      std::string(w.mode == FlipMode::kSell ? "sell the position: " : "open a position: ") +
                          want_text(w));
  s.price_ticks = w.price_ticks;
  s.qty_lots = w.qty_lots;
  out.push_back(std::move(s));
}

std::string mode_flip_slot_label(int64_t slot_key, const Instrument&) {
  return slot_key == kModeFlipSlot ? "order" : std::to_string(slot_key);
}

namespace {

class ModeFlip final : public Strategy {
 public:
  ModeFlip(const ModeFlipParams& p, const Instrument& ins) : p_(p), ins_(ins) {}
  const char* name() const override { return "mode_flip"; }
  void decide(const MarketView& view, const model::TaskState& task,
              std::vector<IntentSpec>& out) const override {
    decide_mode_flip(view, task, p_, out);
  }
  int64_t adopt_slot_key(Side, int64_t) const override { return kModeFlipSlot; }
  // The buy's size comes from the balances at run time, which this call does not receive: the
  // sketch is the smallest buy the task can place (the venue's minimum notional at the buy
  // price), so `keel validate` checks the price and that the balance covers one order at least.
  std::vector<OrderSketch> opening_orders(int64_t price_ticks) const override {
    const int64_t buy = static_cast<int64_t>(std::floor(static_cast<double>(price_ticks) * (1.0 - e8(p_.buy_spread_e8)) + kRoundSlack));
    if (buy <= 0 || ins_.tick_e8 <= 0 || ins_.step_e8 <= 0) return {};
    const __int128 price_e8 = static_cast<__int128>(buy) * ins_.tick_e8;
    const __int128 per_lot_e8 = price_e8 * ins_.step_e8 / 100'000'000;  // notional of one lot
    int64_t lots = per_lot_e8 <= 0 ? ins_.min_qty_lots
                                   : static_cast<int64_t>((ins_.min_notional_e8 + per_lot_e8 - 1) / per_lot_e8);
    lots = std::max(lots, ins_.min_qty_lots);
    while (ins_.notional_e8(buy, lots) < ins_.min_notional_e8) ++lots;  // half-even rounding
    return {{Side::kBuy, buy, lots}};
  }
  bool reads_balances() const override { return true; }

 private:
  ModeFlipParams p_;
  Instrument ins_;
};

}  // namespace

std::shared_ptr<const Strategy> make_mode_flip(const ModeFlipParams& p, const Instrument& instrument) {
  return std::make_shared<ModeFlip>(p, instrument);
}

StrategyInfo mode_flip_info() {
  using K = ParamSpec::Kind;
  constexpr int64_t kOne = 100'000'000;
  StrategyInfo info;
  info.name = "mode_flip";
  info.summary = "one order over one position, a buy below mid in BUY mode, a sell of "
                 "the position above mid (and above break-even) in SELL mode, flipping on fills";
  info.seed = "002";
  info.params = {
      {"buy_spread", K::kDecimal, false, kOne / 1000, 0, kOne / 2, "fraction of mid below it for the buy (0.001 = 10 bps)"},
      {"sell_spread", K::kDecimal, false, kOne / 1000, 0, kOne, "fraction of mid above it for the sell"},
      {"spread_sigma_mult", K::kDecimal, false, 0, 0, 1000 * kOne, "each spread grows by this x sigma_h (0: constant spreads)"},
      {"sigma_window_s", K::kInteger, false, 60, 2, 3600, "one-second mid bars in sigma (the warm-up when spread_sigma_mult > 0)"},
      {"sigma_horizon_s", K::kInteger, false, 60, 1, 3600, "sigma scaled by sqrt of these seconds"},
      {"balance_fraction", K::kDecimal, false, kOne / 10, 1, kOne, "fraction of the account's free quote one buy spends"},
      {"maker_fee", K::kDecimal, false, kOne / 1000, 0, kOne / 10, "fee rate in the sell's break-even floor"},
      {"reuse_threshold_bps", K::kDecimal, false, 5 * kOne, 0, 10'000 * kOne, "bps: the working order is kept while the wanted price is within it"},
      {"refresh_interval_s", K::kInteger, false, 60, 1, 86'400, "seconds: an older order is replaced at the wanted price"},
      {"stale_after_ms", K::kInteger, false, 5'000, 1, 3'600'000, "ms without a best bid/ask change: hold (no place, no reprice)"},
      {"replace_with", K::kChoice, false, 0, 0, 0, "amend (one request) or cancel (then place)", "amend,cancel"},
  };
  info.make = [](const ParamValues& v, const Instrument& ins) -> Result<std::shared_ptr<const Strategy>> {
    ModeFlipParams p;
    p.buy_spread_e8 = v.get("buy_spread");
    p.sell_spread_e8 = v.get("sell_spread");
    p.spread_sigma_mult_e8 = v.get("spread_sigma_mult");
    p.sigma_window_s = v.get("sigma_window_s");
    p.sigma_horizon_s = v.get("sigma_horizon_s");
    p.balance_fraction_e8 = v.get("balance_fraction");
    p.maker_fee_e8 = v.get("maker_fee");
    p.reuse_threshold_bps_e8 = v.get("reuse_threshold_bps");
    p.refresh_interval_s = v.get("refresh_interval_s");
    p.stale_after_ms = v.get("stale_after_ms");
    p.replace_with = static_cast<FlipReplace>(v.get("replace_with"));
    return make_mode_flip(p, ins);
  };
  info.slot_label = &mode_flip_slot_label;
  return info;
}

}  // namespace keel::strategy
