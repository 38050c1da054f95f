#include "keel/strategy/tiered.h"

#include <algorithm>
#include <array>

#include "keel/core/fixed.h"
#include "keel/strategy/common.h"

namespace keel::strategy {

namespace {

using journal::GuardState;

constexpr int kMaxTiers = 3;
// The tier table of the seed ("L1 (0-5bps), L2 (5-10bps), L3 (10-20bps)"), bps at 10^-2.
constexpr std::array<TierBand, kMaxTiers> kTierShape{{{0, 500}, {500, 1'000}, {1'000, 2'000}}};
// Each risk level's L1 starts here ("Conservative: 5-10 bps", "Moderate: 3-8", "Aggressive: 0-5").
constexpr std::array<int64_t, 3> kLevelInnerBpsE2{500, 300, 0};
constexpr int64_t kWhole = 1'000'000;  // the whole price in bps at 10^-2

std::string bps_text(int64_t bps_e2) { return format_fixed_trim(bps_e2, 2); }


}  // namespace

TierBand tier_band(RiskLevel level, int tier) {
  KEEL_ASSERT(tier >= 1 && tier <= kMaxTiers);
  const int64_t inner = kLevelInnerBpsE2[static_cast<size_t>(level)];
  const TierBand& shape = kTierShape[static_cast<size_t>(tier - 1)];
  return {inner + shape.inner_bps_e2, inner + shape.outer_bps_e2};
}

int64_t tier_slot_key(int tier, Side side) { return 10 * tier + (side == Side::kBuy ? 1 : 2); }

bool tier_of_slot_key(int64_t key, int& tier, Side& side) {
  if (key < 11 || key > 10 * kMaxTiers + 2 || key % 10 == 0 || key % 10 > 2) return false;
  tier = static_cast<int>(key / 10);
  side = key % 10 == 1 ? Side::kBuy : Side::kSell;
  return true;
}

std::string tiered_slot_label(int64_t key, const Instrument&) {
  int tier = 0;
  Side side = Side::kBuy;
  if (!tier_of_slot_key(key, tier, side)) return std::to_string(key);
  return "L" + std::to_string(tier) + (side == Side::kBuy ? "-bid" : "-ask");
}

int64_t tier_price_ticks(int64_t bid_ticks, int64_t ask_ticks, int64_t offset_bps_e2, Side side) {
  KEEL_ASSERT(bid_ticks > 0 && ask_ticks > 0);
  const __int128 mid2 = static_cast<__int128>(bid_ticks) + ask_ticks;
  // mid * (1 -/+ offset) = mid2 * (10^6 -/+ offset_e2) / (2 * 10^6)
  return side == Side::kBuy ? div_floor(mid2 * (kWhole - offset_bps_e2), 2 * kWhole)
                            : div_ceil(mid2 * (kWhole + offset_bps_e2), 2 * kWhole);
}

namespace {
int64_t gap_ticks(int64_t a, int64_t b) { return a > b ? a - b : b - a; }
}  // namespace

int64_t drift_bps_e2(int64_t price_ticks, int64_t target_ticks, int64_t mid2_ticks) {
  KEEL_ASSERT(mid2_ticks > 0);
  // gap / mid = 2 * gap / mid2; in bps at 10^-2: * 10^6.
  return div_ceil(static_cast<__int128>(gap_ticks(price_ticks, target_ticks)) * 2 * kWhole,
                  mid2_ticks);
}

bool drifted(int64_t price_ticks, int64_t target_ticks, int64_t mid2_ticks,
             int64_t requote_bps_e2) {
  return static_cast<__int128>(gap_ticks(price_ticks, target_ticks)) * 2 * kWhole >
         static_cast<__int128>(requote_bps_e2) * mid2_ticks;
}

int64_t round_left_lots(const model::TaskState& task, int64_t key, int64_t base_qty_lots) {
  uint64_t round_from_seq = 0;  // the record that completed the slot's newest full fill
  for (const auto& [cid, o] : task.orders) {
    if (o.slot_key == key && o.closed_by == model::CloseReason::kFilled &&
        o.closed_seq > round_from_seq) {
      round_from_seq = o.closed_seq;
    }
  }
  int64_t filled = 0;
  for (const auto& [cid, o] : task.orders) {
    if (o.slot_key == key && o.intent_seq > round_from_seq) filled += o.filled_lots;
  }
  return std::max<int64_t>(0, base_qty_lots - filled);
}

namespace {

// One quote of the ladder at this instant.
struct Quote {
  int64_t key = 0;
  int tier = 0;
  Side side = Side::kBuy;
  int64_t price_ticks = 0;    // the band centre's price, post-only clamped
  const char* withdrawn = nullptr;  // why the guard withdraws it (nullptr: quoted)
};

struct Ladder {
  int64_t mid2_ticks = 0;
  std::vector<Quote> quotes;  // tier order, bid before ask
  const Quote* find(int64_t key) const {
    for (const Quote& q : quotes) {
      if (q.key == key) return &q;
    }
    return nullptr;
  }
};

const char* withdrawn_by_guard(GuardState guard, int tier, Side side) {
  if (side != Side::kBuy) return nullptr;  // asks only sell inventory: never withdrawn
  if (guard == GuardState::kHalt) return "guard HALT: bids withdrawn";
  if (guard == GuardState::kCaution && tier == 1) return "guard CAUTION: L1 bid withdrawn";
  return nullptr;
}

Ladder ladder_of(const MarketView& view, GuardState guard, const TieredParams& p) {
  Ladder l;
  l.mid2_ticks = view.best_bid_ticks + view.best_ask_ticks;
  for (int tier = 1; tier <= p.tiers; ++tier) {
    const int64_t offset = tier_band(p.level, tier).center_bps_e2();
    for (Side side : {Side::kBuy, Side::kSell}) {
      Quote q;
      q.key = tier_slot_key(tier, side);
      q.tier = tier;
      q.side = side;
      const int64_t target = tier_price_ticks(view.best_bid_ticks, view.best_ask_ticks, offset, side);
      q.price_ticks = side == Side::kBuy ? std::min(target, view.best_ask_ticks - 1)
                                         : std::max(target, view.best_bid_ticks + 1);
      q.withdrawn = withdrawn_by_guard(guard, tier, side);
      l.quotes.push_back(q);
    }
  }
  return l;
}

IntentSpec cancel_of(const model::Order& o, std::string reason) {
  IntentSpec s;
  s.kind = IntentSpec::Kind::kCancel;
  s.slot_key = o.slot_key;
  s.client_order_id = o.client_order_id;
  s.reason = std::move(reason);
  return s;
}


// Seed 4 (drift) and the guard: cancels (or amends) of the slots' open current orders.
void decide_requotes(const Ladder& l, const model::TaskState& task, const TieredParams& p,
                     std::vector<IntentSpec>& out) {
  for (const auto& [key, slot] : task.slots) {
    const model::Order* o = task.current_order(slot);
    if (o == nullptr || !actionable(*o)) continue;  // nothing working, or unknown (R1)
    const Quote* q = l.find(key);
    if (q == nullptr || q->side != o->side) {
      out.push_back(cancel_of(*o, "not a quote of this ladder"));
      continue;
    }
    if (q->withdrawn != nullptr) {
      out.push_back(cancel_of(*o, q->withdrawn));
      continue;
    }
    if (!drifted(o->price_ticks, q->price_ticks, l.mid2_ticks, p.requote_bps_e2)) continue;
    const std::string why =
        "requote " + tiered_slot_label(key, task.instrument) + ": drift " +
        bps_text(drift_bps_e2(o->price_ticks, q->price_ticks, l.mid2_ticks)) + " bps > " +
        bps_text(p.requote_bps_e2);
    const int64_t left = remaining_lots(*o);
    if (!p.amend || !venue_accepts(task.instrument, q->price_ticks, left)) {
      out.push_back(cancel_of(*o, why));  // placed anew once the cancel is confirmed
      continue;
    }
    IntentSpec s;
    s.kind = IntentSpec::Kind::kAmend;
    s.slot_key = key;
    s.side = o->side;
    s.price_ticks = q->price_ticks;
    s.qty_lots = left;  // the remainder after any partial fill (seed 5)
    s.client_order_id = o->client_order_id;
    s.reason = why;
    out.push_back(std::move(s));
  }
}

// May this slot place now: no order of its own, past a reject's retry and a full fill's
// cooldown (seed 6)?
bool slot_ready(const model::Slot* slot, const MarketView& view, const TieredParams& p) {
  if (slot == nullptr) return true;
  if (!slot->current_cid.empty() || view.ts_exchange_ns < slot->retry_after_ns) return false;
  return slot->last_full_fill_ns <= 0 || view.ts_exchange_ns >= slot->last_full_fill_ns + p.cooldown_ns;
}

bool touched(const std::vector<IntentSpec>& out, const std::string& cid) {
  for (const IntentSpec& s : out) {
    if (s.client_order_id == cid) return true;
  }
  return false;
}

// Spot asks are L1 first. An inner ask that could quote now while what the task may still sell
// is below the venue's minimum, and an outer ask rests: the outermost resting ask is cancelled,
// and its lots go to the inner tier at the next decision (an outer ask took them while the inner
// one cooled down after a fill). The asks are thus a function of the position, not of the order
// in which fills and cooldowns came (a restart that resolves orders differently converges).
void decide_asks_inward(const MarketView& view, const Ladder& l, const model::TaskState& task,
                        const TieredParams& p, std::vector<IntentSpec>& out) {
  const Instrument& ins = task.instrument;
  const int64_t sellable_lots = task.sellable_e8() / ins.step_e8;
  const Quote* inner = nullptr;
  for (const Quote& q : l.quotes) {
    if (q.side != Side::kSell) continue;
    auto it = task.slots.find(q.key);
    if (!slot_ready(it == task.slots.end() ? nullptr : &it->second, view, p)) continue;
    if (!venue_accepts(ins, q.price_ticks, sellable_lots)) inner = &q;
    break;  // only the innermost ask that could quote matters
  }
  if (inner == nullptr) return;
  for (auto q = l.quotes.rbegin(); q != l.quotes.rend() && q->tier > inner->tier; ++q) {
    if (q->side != Side::kSell) continue;
    auto it = task.slots.find(q->key);
    const model::Order* o = it == task.slots.end() ? nullptr : task.current_order(it->second);
    if (o == nullptr || !actionable(*o) || touched(out, o->client_order_id) ||
        !venue_accepts(ins, inner->price_ticks, sellable_lots + remaining_lots(*o))) {
      continue;  // busy (R1), or its lots would not make an inner quote either
    }
    out.push_back(cancel_of(*o, tiered_slot_label(q->key, ins) + "'s lots go to " +
                                    tiered_slot_label(inner->key, ins) + ": asks L1 first"));
    return;
  }
}

void decide_places(const MarketView& view, const Ladder& l, const model::TaskState& task,
                   const TieredParams& p, std::vector<IntentSpec>& out) {
  const Instrument& ins = task.instrument;
  int64_t sellable_lots = task.sellable_e8() / ins.step_e8;  // spot: only what the task holds
  for (const Quote& q : l.quotes) {
    if (q.withdrawn != nullptr) continue;
    auto it = task.slots.find(q.key);
    if (!slot_ready(it == task.slots.end() ? nullptr : &it->second, view, p)) continue;
    if (q.side == Side::kSell && !venue_accepts(ins, q.price_ticks, sellable_lots)) continue;
    int64_t lots = round_left_lots(task, q.key, p.base_qty_lots);
    const bool carried = lots < p.base_qty_lots && venue_accepts(ins, q.price_ticks, lots);
    if (!carried) lots = p.base_qty_lots;  // a whole round (a dust remainder starts a new one)
    const bool capped = q.side == Side::kSell && sellable_lots < lots;
    if (capped) lots = sellable_lots;
    if (!venue_accepts(ins, q.price_ticks, lots)) continue;
    if (q.side == Side::kSell) sellable_lots -= lots;
    IntentSpec s;
    s.kind = IntentSpec::Kind::kPlace;
    s.slot_key = q.key;
    s.side = q.side;
    s.price_ticks = q.price_ticks;
    s.qty_lots = lots;
    s.reason = tiered_slot_label(q.key, ins) + " " +
               bps_text(tier_band(p.level, q.tier).center_bps_e2()) + " bps from the mid" +
               (capped ? ", what the task holds" : carried ? ", the round's remainder" : "");
    out.push_back(std::move(s));
  }
}

}  // namespace

void decide_tiered(const MarketView& view, const model::TaskState& task,
                   const TieredParams& params, std::vector<IntentSpec>& out) {
  KEEL_ASSERT(params.tiers >= 1 && params.tiers <= kMaxTiers && params.base_qty_lots > 0);
  KEEL_ASSERT(params.requote_bps_e2 > 0 && params.cooldown_ns >= 0);
  if (!view.ready() || !task.halted.empty()) return;
  if (view.best_bid_ticks >= view.best_ask_ticks) return;  // a crossed book has no mid to trust
  const Ladder l = ladder_of(view, task.guard, params);
  decide_requotes(l, task, params, out);
  decide_asks_inward(view, l, task, params, out);
  decide_places(view, l, task, params, out);
}

// ---- The strategy and its registry entry -----------------------------------------------------

namespace {

class TieredStrategy final : public Strategy {
 public:
  explicit TieredStrategy(const TieredParams& p) : params_(p) {}
  const char* name() const override { return "tiered"; }
  void decide(const MarketView& view, const model::TaskState& task,
              std::vector<IntentSpec>& out) const override {
    decide_tiered(view, task, params_, out);
  }
  int64_t adopt_slot_key(Side side, int64_t) const override { return tier_slot_key(1, side); }
  // A fresh task holds nothing: its bids only, one per tier, around `price_ticks`.
  std::vector<OrderSketch> opening_orders(int64_t price_ticks) const override {
    std::vector<OrderSketch> out;
    for (int tier = 1; tier <= params_.tiers; ++tier) {
      const int64_t offset = tier_band(params_.level, tier).center_bps_e2();
      const int64_t bid = tier_price_ticks(price_ticks, price_ticks, offset, Side::kBuy);
      if (bid > 0) out.push_back({Side::kBuy, bid, params_.base_qty_lots});
    }
    return out;
  }

 private:
  TieredParams params_;
};

}  // namespace

std::shared_ptr<const Strategy> make_tiered(const TieredParams& params) {
  return std::make_shared<TieredStrategy>(params);
}

StrategyInfo tiered_info() {
  using K = ParamSpec::Kind;
  StrategyInfo info;
  info.name = "tiered";
  info.summary = "bilateral post-only ladder of 1-3 tiers in bps from the mid, requoted on "
                 "drift, with a cooldown after each full fill";
  info.seed = "003";
  info.params = {
      {"risk_level", K::kChoice, false, 0, 0, 0,
       "where the ladder starts: L1 5-10 bps from the mid (conservative), 3-8 (moderate), 0-5 "
       "(aggressive); L2 and L3 follow 5 and 15 bps further out",
       "conservative,moderate,aggressive"},
      {"tiers", K::kInteger, false, 1, 1, kMaxTiers, "tiers quoted on each side (L1..L3)"},
      {"base_qty", K::kQty, true, 0, 0, 0, "each tier's quantity, base units (a multiple of step_size)"},
      {"cooldown_ms", K::kInteger, false, 5'000, 0, 86'400'000,
       "a tier-side places nothing for this long after its order filled completely, ms"},
      {"requote_bps", K::kDecimal, false, 100'000'000, 1'000'000, 250'000'000,
       "a quote further than this from its tier's price is requoted, bps (0.01 to 2.5)"},
      {"requote_by", K::kChoice, false, 1, 0, 0,
       "amend (one cancelReplace request) or cancel (then place once the cancel is confirmed)",
       "cancel,amend"},
  };
  info.make = [](const ParamValues& v, const Instrument&) -> Result<std::shared_ptr<const Strategy>> {
    TieredParams p;
    p.level = static_cast<RiskLevel>(v.get("risk_level"));
    p.tiers = static_cast<int>(v.get("tiers"));
    p.base_qty_lots = v.get("base_qty");
    p.cooldown_ns = v.get("cooldown_ms") * 1'000'000;
    const int64_t requote_e8 = v.get("requote_bps");
    if (requote_e8 % 1'000'000 != 0) {
      return Status::InvalidArgument("requote_bps: at most two decimals (0.01 bps)");
    }
    p.requote_bps_e2 = requote_e8 / 1'000'000;
    p.amend = v.get("requote_by") == 1;
    return make_tiered(p);
  };
  info.slot_label = &tiered_slot_label;
  return info;
}

}  // namespace keel::strategy
