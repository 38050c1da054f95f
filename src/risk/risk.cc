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

Verdict assess(const Exposure& e, const Limits& l, const Instrument& ins, const GuardNow& current,
               bool with_reason) {
  enum Limit { kPosition, kNotional, kOpenOrders, kQuote, kNone };
  bool halt[kNone] = {}, caution[kNone] = {};
  const int64_t release = std::max<int64_t>(1, l.caution_percent - kReleasePoints);
  const int64_t share = current.state == GuardState::kSafe ? l.caution_percent : release;
  if (l.max_position_e8 > 0) {
    halt[kPosition] = e.base_e8 > l.max_position_e8;
    caution[kPosition] = at_share(e.base_e8, l.max_position_e8, share);
  }
  if (l.max_notional_e8 > 0) {
    halt[kNotional] = e.notional_e8 > l.max_notional_e8;
    caution[kNotional] = at_share(e.notional_e8, l.max_notional_e8, share);
  }
  if (l.max_open_orders > 0) {
    halt[kOpenOrders] = e.open_orders > l.max_open_orders;
    caution[kOpenOrders] = at_share(e.open_orders, l.max_open_orders, share);
  }
  if (l.min_quote_balance_e8 > 0 && e.quote_known) {
    halt[kQuote] = e.quote_free_e8 < l.min_quote_balance_e8;
    caution[kQuote] = static_cast<__int128>(e.quote_free_e8) * share <
                      static_cast<__int128>(l.min_quote_balance_e8) * 100;
  }
  auto what = [&](int limit) -> std::string {
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
      default:
        return "min_quote_balance: " + amount(e.quote_free_e8) + " " + ins.quote_asset +
               " free after the working buys, minimum " + amount(l.min_quote_balance_e8);
    }
  };
  for (int i = 0; i < kNone; ++i) {
    if (halt[i]) return {GuardState::kHalt, with_reason ? what(i) : std::string()};
  }
  for (int i = 0; i < kNone; ++i) {
    if (caution[i]) {
      return {GuardState::kCaution,
              with_reason ? what(i) + " (caution from " + std::to_string(l.caution_percent) +
                                "%, safe again below " + std::to_string(release) + "%)"
                          : std::string()};
    }
  }
  if (current.state != GuardState::kSafe && current.since_ns > 0 &&
      current.now_ns - current.since_ns < kMinDwellNs) {
    return {GuardState::kCaution,
            with_reason ? std::string("back within every limit; CAUTION held for ") +
                              std::to_string(kMinDwellNs / 1'000'000'000) + " s before SAFE"
                        : std::string()};
  }
  return {};
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
      ++next.open_orders;
      if (s.side == Side::kBuy) {
        const int64_t notional = ins.notional_e8(s.price_ticks, s.qty_lots);
        next.base_e8 += ins.qty_e8(s.qty_lots);
        next.notional_e8 += notional;
        next.quote_free_e8 -= notional;
      }
      // A sell reduces the position: only the open-order limit holds it back.
      pass = s.side == Side::kSell
                 ? l.max_open_orders == 0 || next.open_orders <= l.max_open_orders
                 : guard != GuardState::kHalt &&
                       assess(next, l, ins, {guard, 0, 0}, /*with_reason=*/false).state !=
                           GuardState::kHalt;
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
