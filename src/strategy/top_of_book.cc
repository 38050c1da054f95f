// The top-of-book maker of seed 000. The header states the seed's steps, the formulas and every
// reading; this file follows the steps in the seed's order.
#include "keel/strategy/top_of_book.h"

#include <algorithm>
#include <limits>
#include <string>
#include <utility>

#include "keel/core/fixed.h"
#include "keel/strategy/common.h"

namespace keel::strategy {

int64_t tob_required_spread_e8(const TopOfBookParams& p) {
  return 2 * p.maker_fee_e8 + kTobBufferE8;
}

int64_t tob_buy_price_ticks(int64_t best_bid_ticks, int64_t best_ask_ticks,
                            const TopOfBookParams& p) {
  KEEL_ASSERT(best_bid_ticks > 0 && best_ask_ticks > 0);
  if (p.maker_fee_e8 == 0) return best_bid_ticks;  // seed: "If maker_fee == 0: best_bid"
  const int64_t r = tob_required_spread_e8(p);
  if (r >= kOneE8) return 0;
  // floor: a buy rounded up would sit closer to the ask than the fees allow.
  return div_floor(static_cast<__int128>(best_ask_ticks) * (kOneE8 - r), kOneE8);
}

bool tob_spread_ok(int64_t sell_ticks, int64_t buy_ticks, int64_t required_e8) {
  if (sell_ticks <= 0 || buy_ticks <= 0) return false;
  return static_cast<__int128>(sell_ticks - buy_ticks) * kOneE8 >=
         static_cast<__int128>(required_e8) * sell_ticks;
}

int64_t tob_sell_floor_ticks(const model::TaskState& task, int64_t required_e8) {
  const model::Position& pos = task.position;
  if (pos.base_e8 <= 0 || pos.cost_e8 <= 0 || required_e8 >= kOneE8) return 0;
  // price_ticks * tick / 1e8 >= (cost_e8 / base_e8) / (1 - r / 1e8), solved for price_ticks;
  // ceil: a sell rounded down would give up part of the round trip's fees.
  const __int128 num = static_cast<__int128>(pos.cost_e8) * kOneE8 * kOneE8;
  const __int128 den = static_cast<__int128>(pos.base_e8) * task.instrument.tick_e8 *
                       (kOneE8 - required_e8);
  return div_ceil(num, den);
}

namespace {

using model::Order;
using model::OrderPhase;

// One decide call: its inputs and the intents it gathers (emitted cancels, amends, places).
struct Decision {
  const MarketView& view;
  const model::TaskState& task;
  const TopOfBookParams& p;
  const std::vector<IntentSpec>& before;  // `out` as received: the engine's stray cancels
  int64_t r_e8;
  std::vector<IntentSpec> cancels, amends, places;
};

std::string px(const Instrument& ins, int64_t ticks) {
  return format_fixed_trim(ticks * ins.tick_e8, kScaleE8);
}
std::string qty(const Instrument& ins, int64_t lots) {
  return format_fixed_trim(lots * ins.step_e8, kScaleE8);
}
std::string amount(int64_t e8) { return format_fixed_trim(e8, kScaleE8); }
// A fraction at 1e-8 as a percentage ("0.03%").
std::string pct(int64_t fraction_e8) { return format_fixed_trim(fraction_e8 * 100, kScaleE8) + "%"; }

// (sell - buy) / sell at 1e-8, floored.
int64_t spread_e8(int64_t sell_ticks, int64_t buy_ticks) {
  return div_floor(static_cast<__int128>(sell_ticks - buy_ticks) * kOneE8, sell_ticks);
}


// Already cancelled or amended in this decision (ours, or the engine's stray cancels).
bool targeted(const Decision& d, const std::string& cid) {
  for (const auto* v : {&d.before, &d.cancels, &d.amends}) {
    for (const IntentSpec& s : *v) {
      if (s.kind != IntentSpec::Kind::kPlace && s.client_order_id == cid) return true;
    }
  }
  return false;
}


const model::Slot* slot_of(const model::TaskState& task, int64_t key) {
  auto it = task.slots.find(key);
  return it == task.slots.end() ? nullptr : &it->second;
}

// A slot may take a new order: no current order, and past its wait after a reject.
bool may_place(const model::Slot* slot, const MarketView& view) {
  return slot == nullptr ||
         (slot->current_cid.empty() && view.ts_exchange_ns >= slot->retry_after_ns);
}

void cancel(Decision& d, const Order& o, std::string reason) {
  if (!actionable(o) || targeted(d, o.client_order_id)) return;
  IntentSpec s;
  s.kind = IntentSpec::Kind::kCancel;
  s.slot_key = o.slot_key;
  s.side = o.side;
  s.price_ticks = o.price_ticks;
  s.client_order_id = o.client_order_id;
  s.reason = std::move(reason);
  d.cancels.push_back(std::move(s));
}

void place(Decision& d, int64_t key, Side side, int64_t price, int64_t lots, std::string reason) {
  IntentSpec s;
  s.kind = IntentSpec::Kind::kPlace;
  s.slot_key = key;
  s.side = side;
  s.price_ticks = price;
  s.qty_lots = lots;
  s.reason = std::move(reason);
  d.places.push_back(std::move(s));
}

void amend(Decision& d, const Order& o, int64_t price, int64_t lots, std::string reason) {
  IntentSpec s;
  s.kind = IntentSpec::Kind::kAmend;
  s.slot_key = o.slot_key;
  s.side = o.side;
  s.price_ticks = price;
  s.qty_lots = lots;
  s.client_order_id = o.client_order_id;
  s.reason = std::move(reason);
  d.amends.push_back(std::move(s));
}

// The task's open buys, as the seed counts them: every working buy that is not being
// cancelled (by a cancel, or the cancel half of an amend: it cannot stay on the book). One in
// flight counts, and so does one whose cancel was refused: their fate is unknown (R1).
std::vector<const Order*> open_buys(const model::TaskState& task) {
  std::vector<const Order*> out;
  for (const auto& [cid, o] : task.orders) {
    if (o.working() && o.side == Side::kBuy && !o.cancel_pending) out.push_back(&o);
  }
  return out;
}

void cancel_buys(Decision& d, const std::string& why) {
  for (const Order* o : open_buys(d.task)) {
    cancel(d, *o, why + "; cancel buy at " + px(d.task.instrument, o->price_ticks));
  }
}

// Seed "No Duplicates": every other order of the task at `price` is cancelled first.
void cancel_duplicates(Decision& d, int64_t price, const std::string& keep_cid, const char* what) {
  for (const auto& [cid, o] : d.task.orders) {
    if (!o.working() || o.price_ticks != price || cid == keep_cid) continue;
    cancel(d, o, std::string("no duplicates: an order rests at ") + px(d.task.instrument, price) +
                     " where the " + what + " goes");
  }
}

// Seed "Post-Only Safety" (buy <= best_bid, sell >= best_ask) and the venue's own rule
// (buy < best_ask, sell > best_bid: a crossed view fails both).
bool post_only_ok(const MarketView& v, Side side, int64_t price) {
  return side == Side::kBuy
             ? price > 0 && price <= v.best_bid_ticks && price < v.best_ask_ticks
             : price >= v.best_ask_ticks && price > v.best_bid_ticks;
}

// Seed "Profitability Guard" against the pair's sell (best_ask), and post-only safety.
bool buy_guards_pass(const Decision& d, int64_t buy) {
  return tob_spread_ok(d.view.best_ask_ticks, buy, d.r_e8) &&
         post_only_ok(d.view, Side::kBuy, buy);
}

// "best_ask 61837.64 * (1 - 0.0003)" or "best_bid": how the required buy price was found.
std::string buy_formula(const Decision& d) {
  if (d.p.maker_fee_e8 == 0) return "best_bid (maker_fee 0)";
  return "best_ask " + px(d.task.instrument, d.view.best_ask_ticks) + " * (1 - " +
         amount(d.r_e8) + ")";
}


// The sell of held base: the seed's "Place SELL ORDER first" (cap = qty) and the pause's
// "ensure sells for all held" (cap = everything). Adds up to `cap_lots` whole lots of the base
// not yet being sold to the sell slot: a new sell when the slot is free, else an amend of its
// open sell to cover them too. Price: max(best_ask, cost floor). Returns why no sell was placed
// or amended ("" when one was), for the buy's reason.
std::string ensure_sell(Decision& d, int64_t cap_lots, const std::string& why) {
  const Instrument& ins = d.task.instrument;
  const int64_t add = std::min(cap_lots, d.task.sellable_e8() / ins.step_e8);
  if (add <= 0) return "no sell: no held lot left to sell (spot)";
  const int64_t floor = tob_sell_floor_ticks(d.task, d.r_e8);
  const int64_t price = std::max(d.view.best_ask_ticks, floor);
  if (!post_only_ok(d.view, Side::kSell, price)) return "no sell: post-only safety";
  const std::string at =
      px(ins, price) + (floor > d.view.best_ask_ticks
                            ? " = avg cost / (1 - " + amount(d.r_e8) + "), above best_ask " +
                                  px(ins, d.view.best_ask_ticks)
                            : " = best_ask");
  const model::Slot* slot = slot_of(d.task, kTobSellSlot);
  const Order* cur = slot == nullptr ? nullptr : d.task.current_order(*slot);
  if (cur == nullptr || !cur->working()) {
    if (!may_place(slot, d.view)) return "no sell: the sell slot waits after a reject";
    if (!venue_accepts(ins, price, add)) return "no sell: " + qty(ins, add) + " held is below the venue minimum";
    cancel_duplicates(d, price, "", "sell");
    place(d, kTobSellSlot, Side::kSell, price, add, why + ": sell " + qty(ins, add) + " at " + at);
    return "";
  }
  if (cur->side != Side::kSell || !actionable(*cur) || targeted(d, cur->client_order_id)) {
    return "no sell: the sell slot's order is in flight or being cancelled";
  }
  const int64_t left = cur->qty_lots - cur->filled_lots;
  if (!venue_accepts(ins, price, left + add)) return "no sell: below the venue minimum";
  cancel_duplicates(d, price, cur->client_order_id, "amended sell");
  amend(d, *cur, price, left + add,
        why + ": amend sell " + qty(ins, left) + " at " + px(ins, cur->price_ticks) + " to " +
            qty(ins, left + add) + " at " + at + " (" + qty(ins, add) + " more held)");
  return "";
}

// Seed Step 2: the exposure and minimum-balance checks. Returns the reason to pause, or "".
std::string pause_reason(const Decision& d) {
  const Instrument& ins = d.task.instrument;
  const int64_t exposure = model::base_value_e8(ins, d.task.position.base_e8, d.view.best_bid_ticks);
  if (exposure >= d.p.max_exposure_e8) {
    return "pause: exposure " + amount(exposure) + " >= max_exposure " + amount(d.p.max_exposure_e8);
  }
  const Balances& b = d.view.balances;
  if (!b.known && d.p.min_usd_balance_e8 > 0) {
    return "pause: usd_balance unknown (no account baseline yet), min_usd_balance " +
           amount(d.p.min_usd_balance_e8);
  }
  if (b.known && b.quote_free_e8() < d.p.min_usd_balance_e8) {
    return "pause: usd_balance " + amount(b.quote_free_e8()) + " < min_usd_balance " +
           amount(d.p.min_usd_balance_e8);
  }
  return "";
}

// Seed "Balance Monitoring": a new buy of qty keeps (held + qty) * best_bid <= max_exposure and
// leaves usd_balance - its notional >= min_usd_balance.
bool buy_fits_limits(const Decision& d, int64_t buy) {
  const Instrument& ins = d.task.instrument;
  const int64_t held_after = d.task.position.base_e8 + ins.qty_e8(d.p.qty_lots);
  if (model::base_value_e8(ins, held_after, d.view.best_bid_ticks) > d.p.max_exposure_e8) return false;
  const Balances& b = d.view.balances;
  return !b.known ||
         b.quote_free_e8() - ins.notional_e8(buy, d.p.qty_lots) >= d.p.min_usd_balance_e8;
}

// Seed Step 3, "If 0 open buys": the sell first, then the buy at the required price.
void place_pair(Decision& d) {
  const Instrument& ins = d.task.instrument;
  const std::string sell_note = ensure_sell(d, d.p.qty_lots, "pair sell first");
  if (!may_place(slot_of(d.task, kTobBuySlot), d.view)) return;
  const int64_t buy = tob_buy_price_ticks(d.view.best_bid_ticks, d.view.best_ask_ticks, d.p);
  if (!buy_guards_pass(d, buy) || !venue_accepts(ins, buy, d.p.qty_lots) || !buy_fits_limits(d, buy)) {
    return;  // skipped this trigger (seed: "skip/retry next trigger")
  }
  cancel_duplicates(d, buy, "", "buy");
  place(d, kTobBuySlot, Side::kBuy, buy, d.p.qty_lots,
        "pair buy " + qty(ins, d.p.qty_lots) + " at " + px(ins, buy) + " = " + buy_formula(d) +
            "; spread=" + pct(spread_e8(d.view.best_ask_ticks, buy)) +
            (sell_note.empty() ? "" : "; " + sell_note));
}

// Seed Step 3, "If exactly 1 open buy": amend it to the required price when that moved.
void keep_buy_at_required(Decision& d, const Order& o) {
  const Instrument& ins = d.task.instrument;
  const model::Slot* slot = slot_of(d.task, kTobBuySlot);
  if (slot == nullptr || slot->current_cid != o.client_order_id) return;  // a stray: the engine's
  if (!actionable(o) || targeted(d, o.client_order_id)) return;          // R1: left alone
  const int64_t buy = tob_buy_price_ticks(d.view.best_bid_ticks, d.view.best_ask_ticks, d.p);
  if (buy == o.price_ticks) return;  // matched: no action
  if (!buy_guards_pass(d, buy)) return;
  const int64_t left = o.qty_lots - o.filled_lots;
  if (!venue_accepts(ins, buy, left)) {
    cancel(d, o, "buy remainder " + qty(ins, left) + " is below the venue minimum at " +
                     px(ins, buy) + ": cancel, the next trigger places a new pair");
    return;
  }
  cancel_duplicates(d, buy, o.client_order_id, "amended buy");
  amend(d, o, buy, left,
        "amend buy " + px(ins, o.price_ticks) + " -> " + px(ins, buy) + " = " + buy_formula(d) +
            "; spread=" + pct(spread_e8(d.view.best_ask_ticks, buy)) + "; reason=book moved");
}

void emit(Decision& d, std::vector<IntentSpec>& out) {
  for (auto* v : {&d.cancels, &d.amends, &d.places}) {
    for (IntentSpec& s : *v) out.push_back(std::move(s));
  }
}

int64_t next_retry_ns(const model::TaskState& task, int64_t now_ns) {
  int64_t next = std::numeric_limits<int64_t>::max();
  for (const auto& [key, slot] : task.slots) {
    if (slot.retry_after_ns > now_ns && slot.retry_after_ns < next) next = slot.retry_after_ns;
  }
  return next;
}

}  // namespace

void decide_top_of_book(const MarketView& view, const model::TaskState& task,
                        const TopOfBookParams& params, std::vector<IntentSpec>& out) {
  KEEL_ASSERT(params.qty_lots > 0 && params.maker_fee_e8 >= 0 && params.max_exposure_e8 > 0 &&
              params.min_usd_balance_e8 >= 0);
  if (!view.ready() || !task.halted.empty()) return;
  Decision d{view, task, params, out, tob_required_spread_e8(params), {}, {}, {}};
  // Step 1 (fetch) is the view, the params and the task's position; Step 2:
  if (const std::string why = pause_reason(d); !why.empty()) {
    cancel_buys(d, why);
    ensure_sell(d, std::numeric_limits<int64_t>::max(), why + "; ensure sells for all held");
    emit(d, out);
    return;  // "Stop execution for this trigger"
  }
  // Step 3: count the open buys.
  const std::vector<const Order*> buys = open_buys(task);
  if (buys.size() > 1) {
    cancel_buys(d, std::to_string(buys.size()) + " open buys (rule: exactly one): cancel all");
  } else if (buys.empty()) {
    place_pair(d);
  } else {
    keep_buy_at_required(d, *buys.front());
  }
  emit(d, out);
}

int64_t tob_adopt_slot_key(Side side, int64_t /*price_ticks*/) {
  return side == Side::kBuy ? kTobBuySlot : kTobSellSlot;
}

std::string tob_slot_label(int64_t slot_key, const Instrument& /*instrument*/) {
  if (slot_key == kTobBuySlot) return "bid";
  if (slot_key == kTobSellSlot) return "ask";
  return std::to_string(slot_key);
}

bool TopOfBookMemo::still_quiet(const MarketView& view, uint64_t state_seq) const {
  if (!valid_ || state_seq != state_seq_ || view.ready() != ready_) return false;
  if (!ready_) return true;  // not ready: decide returns nothing whatever the rest
  return view.best_bid_ticks == bid_ && view.best_ask_ticks == ask_ &&
         view.ts_exchange_ns >= ts_from_ns_ && view.ts_exchange_ns < ts_until_ns_;
}

void TopOfBookMemo::quiet(const MarketView& view, const model::TaskState& task,
                          uint64_t state_seq) {
  valid_ = true;
  ready_ = view.ready();
  bid_ = view.best_bid_ticks;
  ask_ = view.best_ask_ticks;
  state_seq_ = state_seq;
  ts_from_ns_ = view.ts_exchange_ns;
  ts_until_ns_ = next_retry_ns(task, view.ts_exchange_ns);
}

namespace {

class TopOfBookStrategy final : public Strategy {
 public:
  explicit TopOfBookStrategy(const TopOfBookParams& p) : params_(p) {}
  const char* name() const override { return "top_of_book"; }
  void decide(const MarketView& view, const model::TaskState& task,
              std::vector<IntentSpec>& out) const override {
    decide_top_of_book(view, task, params_, out);
  }
  int64_t adopt_slot_key(Side side, int64_t price_ticks) const override {
    return tob_adopt_slot_key(side, price_ticks);
  }
  // A fresh task holds nothing: its one buy at the required price for a book at price_ticks.
  std::vector<OrderSketch> opening_orders(int64_t price_ticks) const override {
    const int64_t buy = tob_buy_price_ticks(price_ticks, price_ticks, params_);
    if (buy <= 0) return {};
    return {{Side::kBuy, buy, params_.qty_lots}};
  }
  std::unique_ptr<DecisionMemo> new_memo() const override {
    return std::make_unique<TopOfBookMemo>();
  }
  bool reads_balances() const override { return true; }

 private:
  TopOfBookParams params_;
};

}  // namespace

std::shared_ptr<const Strategy> make_top_of_book(const TopOfBookParams& params) {
  KEEL_ASSERT(params.qty_lots > 0 && params.maker_fee_e8 >= 0 && params.max_exposure_e8 > 0 &&
              params.min_usd_balance_e8 >= 0);
  return std::make_shared<TopOfBookStrategy>(params);
}

StrategyInfo top_of_book_info() {
  using K = ParamSpec::Kind;
  constexpr int64_t kMaxAmountE8 = 100'000'000'000'000'000;  // 10^9 quote
  StrategyInfo info;
  info.name = "top_of_book";
  info.summary = "fee-aware top-of-book maker: one post-only buy at best_ask*(1-(2*fee+0.0001)) "
                 "paired with a sell of held base at or above best_ask; exposure/balance pause";
  info.seed = "000";
  info.params = {
      {"qty", K::kQty, true, 0, 0, 0, "quantity of each buy and of its paired sell, base units (a multiple of step_size)"},
      {"maker_fee", K::kDecimal, true, 0, 0, 5'000'000, "maker fee rate as a fraction (0.001 = 0.1%); the buy sits 2*fee+0.0001 below the best ask"},
      {"max_exposure", K::kDecimal, true, 0, 1, kMaxAmountE8, "quote value (held base * best bid) at which the task pauses buying"},
      {"min_usd_balance", K::kDecimal, true, 0, 0, kMaxAmountE8, "free quote balance below which the task pauses buying"},
  };
  info.make = [](const ParamValues& v,
                 const Instrument& ins) -> Result<std::shared_ptr<const Strategy>> {
    TopOfBookParams p;
    p.qty_lots = v.get("qty");
    p.maker_fee_e8 = v.get("maker_fee");
    p.max_exposure_e8 = v.get("max_exposure");
    p.min_usd_balance_e8 = v.get("min_usd_balance");
    if (p.qty_lots < ins.min_qty_lots) {
      return Status::InvalidArgument("qty: below the instrument's minimum quantity");
    }
    return make_top_of_book(p);
  };
  info.slot_label = &tob_slot_label;
  return info;
}

}  // namespace keel::strategy
