// The request budgets of keel/risk/risk.h ("Request budgets"): a task's intent rate and an
// account's new-order count, both over journaled request timestamps.
#include <algorithm>

#include "keel/risk/risk.h"

namespace keel::risk {

bool keeps_priority(const model::Order* o, const strategy::IntentSpec& s, bool amend_allowed) {
  return o != nullptr && amend_allowed && o->price_ticks == s.price_ticks && s.qty_lots > 0 &&
         s.qty_lots < o->qty_lots - o->filled_lots && o->amends < kMaxAmendsPerOrder;
}

bool counts_as_order(const strategy::IntentSpec& s, const model::TaskState& task,
                     bool amend_allowed) {
  switch (s.kind) {
    case strategy::IntentSpec::Kind::kPlace:
      return true;
    case strategy::IntentSpec::Kind::kAmend:
      return !keeps_priority(task.find_order(s.client_order_id), s, amend_allowed);
    case strategy::IntentSpec::Kind::kCancel:
      return false;
  }
  return true;
}

AccountOrders account_orders(const model::State& state, const std::string& account,
                             int64_t now_ns) {
  AccountOrders a;
  a.now_ns = now_ns;
  for (const auto& [id, t] : state.tasks) {
    if (t.config.account != account) continue;
    a.in_window += static_cast<int64_t>(t.orders_in_window(now_ns));
    a.in_day += static_cast<int64_t>(t.orders_on_day_of(now_ns));
  }
  return a;
}

Admission admit(std::vector<strategy::IntentSpec>& specs, const model::TaskState& task,
                const IntentRate& rate, const OrderLimits& limits, bool amend_allowed,
                AccountOrders& account) {
  const int64_t window_ns = rate.burst * 1'000'000'000 / rate.per_second;
  const size_t used = task.intents_since(account.now_ns, window_ns);
  const size_t room = used >= static_cast<size_t>(rate.burst) ? 0 : rate.burst - used;
  Admission out;
  size_t kept = 0, next = 0;
  for (; next < specs.size(); ++next) {
    if (kept == room) break;
    strategy::IntentSpec& s = specs[next];
    if (counts_as_order(s, task, amend_allowed)) {
      if (account.in_window >= limits.max_orders_per_10s ||
          account.in_day >= limits.max_orders_per_day) {
        ++out.held;
        continue;
      }
      ++account.in_window;
      ++account.in_day;
    }
    if (kept != next) specs[kept] = std::move(s);
    ++kept;
  }
  out.throttled = next < specs.size();
  specs.resize(kept);
  return out;
}

}  // namespace keel::risk
