#include "keel/risk/risk.h"

#include <algorithm>
#include <set>

#include "keel/core/fixed.h"

namespace keel::risk {

namespace {

using journal::GuardState;

int64_t remaining_lots(const model::Order& o) {
  return o.qty_lots > o.filled_lots ? o.qty_lots - o.filled_lots : 0;
}

std::string amount(int64_t e8) { return format_fixed_trim(e8, kScaleE8); }

// A figure at or beyond `percent` of `limit` (no overflow: figures and limits are < 2^62).
bool at_share(int64_t figure, int64_t limit, int64_t percent) {
  return static_cast<__int128>(figure) * 100 >= static_cast<__int128>(limit) * percent;
}

}  // namespace

Exposure exposure_of(const model::TaskState& task, const model::AccountState& account) {
  const Instrument& ins = task.instrument;
  Exposure e;
  int64_t buy_notional = 0, buy_base = 0;
  for (const auto& [cid, o] : task.orders) {
    if (!o.working()) continue;
    ++e.open_orders;
    if (o.side != Side::kBuy) continue;
    buy_base += ins.qty_e8(remaining_lots(o));
    buy_notional += ins.notional_e8(o.price_ticks, remaining_lots(o));
  }
  e.base_e8 = task.position.base_e8 + buy_base;
  const int64_t held = task.has_mark() ? task.position.cost_e8 + task.unrealized_pnl_e8()
                                       : task.position.cost_e8;
  e.notional_e8 = held + buy_notional;
  e.quote_known = account.has_baseline;
  if (e.quote_known) e.quote_free_e8 = account.expected_e8(ins.quote_asset) - buy_notional;
  return e;
}

namespace {

// The limits in the order their reasons are reported (the first reached names the verdict).
enum Limit { kPosition, kNotional, kOpenOrders, kQuote, kJump, kSpread, kDepth, kFills, kNone };

struct Flags {
  bool halt[kNone] = {};
  bool caution[kNone] = {};
};

// A minimum: below it is HALT; below limit * 100 / share is CAUTION.
void judge_minimum(int64_t figure, int64_t limit, int64_t share, Limit which, Flags& f) {
  f.halt[which] = figure < limit;
  f.caution[which] = static_cast<__int128>(figure) * share < static_cast<__int128>(limit) * 100;
}

// A maximum: above it is HALT; at `share` percent of it or beyond is CAUTION.
void judge_maximum(int64_t figure, int64_t limit, int64_t share, Limit which, Flags& f) {
  f.halt[which] = figure > limit;
  f.caution[which] = at_share(figure, limit, share);
}

void judge_exposure(const Exposure& e, const Limits& l, int64_t share, Flags& f) {
  if (l.max_position_e8 > 0) judge_maximum(e.base_e8, l.max_position_e8, share, kPosition, f);
  if (l.max_notional_e8 > 0) judge_maximum(e.notional_e8, l.max_notional_e8, share, kNotional, f);
  if (l.max_open_orders > 0) judge_maximum(e.open_orders, l.max_open_orders, share, kOpenOrders, f);
  if (l.min_quote_balance_e8 > 0 && e.quote_known) {
    judge_minimum(e.quote_free_e8, l.min_quote_balance_e8, share, kQuote, f);
  }
}

void judge_market(const Market& m, const Limits& l, int64_t share, Flags& f) {
  if (l.max_price_jump_bps_e2 > 0 && m.move_bps_e2 >= 0) {
    judge_maximum(m.move_bps_e2, l.max_price_jump_bps_e2, share, kJump, f);
  }
  if (l.max_spread_bps_e2 > 0 && m.spread_bps_e2 >= 0) {
    judge_maximum(m.spread_bps_e2, l.max_spread_bps_e2, share, kSpread, f);
  }
  if (l.min_depth_e8 > 0) {
    if (m.depth_lost) {
      f.halt[kDepth] = f.caution[kDepth] = true;
    } else if (m.depth_known) {
      judge_minimum(std::min(m.bid_depth_e8, m.ask_depth_e8), l.min_depth_e8, share, kDepth, f);
    }
  }
  if (l.max_fills_per_minute > 0) {
    judge_maximum(m.fills_last_minute, l.max_fills_per_minute, share, kFills, f);
  }
}

std::string bps(int64_t bps_e2) { return format_fixed_trim(bps_e2, 2); }

std::string market_reason(int limit, const Market& m, const Limits& l, const Instrument& ins) {
  switch (limit) {
    case kJump:
      return "max_price_jump_bps: the mid moved " + bps(m.move_bps_e2) +
             " bps in the last second, limit " + bps(l.max_price_jump_bps_e2);
    case kSpread:
      return "max_spread_bps: spread " + bps(m.spread_bps_e2) + " bps of the mid, limit " +
             bps(l.max_spread_bps_e2);
    case kDepth:
      if (m.depth_lost) return "min_depth: the depth book lost its sync (a gap): depth unknown";
      return "min_depth: " + amount(m.bid_depth_e8) + " " + ins.base_asset + " bid, " +
             amount(m.ask_depth_e8) + " ask within " + bps(l.depth_band_bps_e2) +
             " bps of the mid, minimum " + amount(l.min_depth_e8);
    default:
      return "max_fills_per_minute: " + std::to_string(m.fills_last_minute) +
             " fills in the last minute, limit " + std::to_string(l.max_fills_per_minute);
  }
}

std::string reason(int limit, const Exposure& e, const Market& m, const Limits& l,
                   const Instrument& ins) {
  switch (limit) {
    case kPosition:
      return "max_position: position and working buys " + amount(e.base_e8) + " " +
             ins.base_asset + " of " + amount(l.max_position_e8);
    case kNotional:
      return "max_notional: position and working buys worth " + amount(e.notional_e8) + " " +
             ins.quote_asset + " of " + amount(l.max_notional_e8);
    case kOpenOrders:
      return "max_open_orders: " + std::to_string(e.open_orders) + " working orders of " +
             std::to_string(l.max_open_orders);
    case kQuote:
      return "min_quote_balance: " + amount(e.quote_free_e8) + " " + ins.quote_asset +
             " free after the working buys, minimum " + amount(l.min_quote_balance_e8);
    default:
      return market_reason(limit, m, l, ins);
  }
}

}  // namespace

Verdict assess(const Exposure& e, const Market& m, const Limits& l, const Instrument& ins,
               const GuardNow& current, bool with_reason) {
  Flags f;
  const int64_t release = std::max<int64_t>(1, l.caution_percent - kReleasePoints);
  const int64_t share = current.state == GuardState::kSafe ? l.caution_percent : release;
  judge_exposure(e, l, share, f);
  judge_market(m, l, share, f);
  for (int i = 0; i < kNone; ++i) {
    if (f.halt[i]) return {GuardState::kHalt, with_reason ? reason(i, e, m, l, ins) : std::string()};
  }
  const bool dwelling = current.since_ns > 0 && current.now_ns - current.since_ns < kMinDwellNs;
  if (current.state == GuardState::kHalt && dwelling) {
    return {GuardState::kHalt,
            with_reason ? std::string("within every limit again; HALT held for ") +
                              std::to_string(kMinDwellNs / 1'000'000'000) + " s"
                        : std::string()};
  }
  for (int i = 0; i < kNone; ++i) {
    if (f.caution[i]) {
      return {GuardState::kCaution,
              with_reason ? reason(i, e, m, l, ins) + " (caution from " +
                                std::to_string(l.caution_percent) + "%, safe again below " +
                                std::to_string(release) + "%)"
                          : std::string()};
    }
  }
  if (current.state != GuardState::kSafe && dwelling) {
    return {GuardState::kCaution,
            with_reason ? std::string("back within every limit; CAUTION held for ") +
                              std::to_string(kMinDwellNs / 1'000'000'000) + " s before SAFE"
                        : std::string()};
  }
  return {};
}

namespace {

// Would this exposure halt the guard (the exposure limits only: a place does not move the
// market figures, which the guard state already judged)?
bool exposure_halts(const Exposure& e, const Limits& l) {
  Flags f;
  judge_exposure(e, l, l.caution_percent, f);
  for (int i = 0; i < kNone; ++i) {
    if (f.halt[i]) return true;
  }
  return false;
}

// `e` with one more (sign +1) or one fewer (-1) working order of `side`, `qty_lots` at
// `price_ticks` (a buy counts at worst case: as if filled).
void add_order(Exposure& e, const Instrument& ins, Side side, int64_t price_ticks,
               int64_t qty_lots, int sign) {
  e.open_orders += sign;
  if (side != Side::kBuy) return;
  const int64_t notional = ins.notional_e8(price_ticks, qty_lots);
  e.base_e8 += sign * ins.qty_e8(qty_lots);
  e.notional_e8 += sign * notional;
  e.quote_free_e8 -= sign * notional;
}

int64_t spread_bps_e2(int64_t bid_ticks, int64_t ask_ticks) {
  // (ask - bid) / ((ask + bid) / 2) in bps at 10^-2: (ask - bid) * 2 * 10^6 / (ask + bid).
  return static_cast<int64_t>(static_cast<__int128>(ask_ticks - bid_ticks) * 2'000'000 /
                              (ask_ticks + bid_ticks));
}

}  // namespace

Market market_of(const strategy::MarketView& view, const model::TaskState& task,
                 const Limits& l) {
  Market m;
  const bool quoted = view.best_bid_ticks > 0 && view.best_ask_ticks >= view.best_bid_ticks;
  if (l.max_price_jump_bps_e2 > 0 && view.bars != nullptr) m.move_bps_e2 = view.bars->move_bps_e2(1);
  if (l.max_spread_bps_e2 > 0 && quoted) {
    m.spread_bps_e2 = spread_bps_e2(view.best_bid_ticks, view.best_ask_ticks);
  }
  if (l.min_depth_e8 > 0 && quoted && view.book != nullptr && view.book->synced()) {
    // The band's edges around the mid, in price e8: bids at or above mid * (1 - band) count,
    // asks at or below mid * (1 + band) (10^6 bps_e2 = the whole price).
    const __int128 mid2_e8 = static_cast<__int128>(view.best_bid_ticks + view.best_ask_ticks) *
                             task.instrument.tick_e8;
    const int64_t low_e8 = static_cast<int64_t>(
        (mid2_e8 * (1'000'000 - l.depth_band_bps_e2) + 1'999'999) / 2'000'000);  // ceil
    const int64_t high_e8 =
        static_cast<int64_t>(mid2_e8 * (1'000'000 + l.depth_band_bps_e2) / 2'000'000);  // floor
    m.depth_known = true;
    m.bid_depth_e8 = view.book->qty_within_e8(Side::kBuy, low_e8);
    m.ask_depth_e8 = view.book->qty_within_e8(Side::kSell, high_e8);
  }
  m.depth_lost = l.min_depth_e8 > 0 && view.book != nullptr && !view.book->synced() &&
                 view.book->gaps() > 0;
  if (l.max_fills_per_minute > 0) {
    m.fills_last_minute =
        static_cast<int64_t>(task.fills_since(view.ts_exchange_ns, 60'000'000'000));
  }
  return m;
}

size_t filter(std::vector<strategy::IntentSpec>& specs, const model::TaskState& task,
              const Exposure& e, const Limits& l, GuardState guard) {
  const Instrument& ins = task.instrument;
  Exposure after = e;
  std::set<std::string> cancelling;
  size_t dropped = 0, kept = 0;
  for (strategy::IntentSpec& s : specs) {
    bool pass = true;
    if (s.kind == strategy::IntentSpec::Kind::kCancel) {
      cancelling.insert(s.client_order_id);
    } else {
      Exposure next = after;
      if (s.kind == strategy::IntentSpec::Kind::kAmend) {
        // The replacement takes the original's place: what the original still counts goes.
        const model::Order* orig = task.find_order(s.client_order_id);
        if (orig != nullptr && orig->working()) {
          add_order(next, ins, orig->side, orig->price_ticks, remaining_lots(*orig), -1);
        }
      }
      add_order(next, ins, s.side, s.price_ticks, s.qty_lots, +1);
      // A sell reduces the position: only the open-order limit holds it back.
      pass = s.side == Side::kSell
                 ? l.max_open_orders == 0 || next.open_orders <= l.max_open_orders
                 : guard != GuardState::kHalt && !exposure_halts(next, l);
      if (pass) after = next;
    }
    if (pass) {
      if (&specs[kept] != &s) specs[kept] = std::move(s);
      ++kept;
    } else {
      ++dropped;
    }
  }
  specs.resize(kept);
  if (guard == GuardState::kHalt) {
    for (const auto& [cid, o] : task.orders) {
      if (o.side != Side::kBuy || o.phase != model::OrderPhase::kOpen || o.cancel_pending ||
          o.cancel_refused || cancelling.count(cid) != 0) {
        continue;
      }
      strategy::IntentSpec c;
      c.kind = strategy::IntentSpec::Kind::kCancel;
      c.slot_key = o.slot_key;
      c.client_order_id = cid;
      c.reason = "risk guard HALT: cancel the working buys";
      specs.push_back(std::move(c));
    }
  }
  return dropped;
}

}  // namespace keel::risk
