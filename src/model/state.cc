// The one fold (W3). Every legal edge of an order is a branch below; every other combination is
// folded into a defined state and, where it cannot be repaired, halts the task (E1).
//
// Order edges (phase, close reason) by record:
//   PlaceIntent     (new)                   -> kInFlight, the slot's current order
//   OrderAccepted   kInFlight               -> kOpen
//                   kClosed by kRejected/kNotFound -> kOpen again (late execution)
//   OrderRejected   kInFlight, no fills     -> kClosed kRejected (the slot waits to retry)
//   OrderFilled     any                     -> fill counted; kFilled when fully filled; an order
//                                              closed as kRejected/kNotFound reopens (late
//                                              execution); one closed as kCanceled stays closed
//   OrderCanceled   working                 -> kClosed kCanceled; kRejected/kNotFound -> kCanceled
//   OrderNotFound   kInFlight, no fills     -> kClosed kNotFound
//   (OrderRejected, OrderNotFound, CancelRejected: a slot whose current order closed that way
//    while the order it replaced is still open, no cancel pending, gets that one back:
//    restore_replaced)
//   CancelIntent    working                 -> cancel pending (an open order: the cancel's
//                                              timing replaces the place's, R1)
//   CancelRejected  any                     -> cancel not pending; -2011: cancel refused
//   AmendIntent     original kOpen          -> cancel pending (as CancelIntent); the replacement
//                                              (new) -> kInFlight, the slot's current order
//                   keepPriority: kOpen     -> amend pending (the quantity unchanged)
//   OrderAmended    any                     -> the new quantity; amend not pending
//   AmendRejected   any                     -> amend not pending
//   OrderAdopted    (new)                   -> kOpen (current or stray), or kClosed
// Evidence naming a venue order id other than the one the order holds is not applied (W5):
// it belongs to another order that reused the client id.
#include "keel/model/state.h"

#include <algorithm>
#include <limits>
#include <type_traits>

#include "keel/core/clock.h"
#include "keel/core/fixed.h"
#include "keel/core/ids.h"

namespace keel::model {

namespace {
// Sums over weeks of fills stay far inside int64; a journal whose amounts say otherwise (E1)
// saturates them instead of overflowing (R4 then reports the account as unexplained).
int64_t sat_add(int64_t a, int64_t b) {
  int64_t r = 0;
  if (!__builtin_add_overflow(a, b, &r)) return r;
  return b > 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
}
}  // namespace

const char* slot_state_name(SlotState s) {
  switch (s) {
    case SlotState::kFree: return "FREE";
    case SlotState::kPending: return "PENDING";
    case SlotState::kLocked: return "LOCKED";
    case SlotState::kFilled: return "FILLED";
  }
  return "?";
}

const Order* TaskState::find_order(const std::string& cid) const {
  auto it = orders.find(cid);
  return it == orders.end() ? nullptr : &it->second;
}

const Order* TaskState::current_order(const Slot& slot) const {
  if (slot.current_cid.empty()) return nullptr;
  return find_order(slot.current_cid);
}

SlotState TaskState::slot_state(const Slot& slot) const {
  if (const Order* o = current_order(slot); o != nullptr && o->working()) {
    return o->phase == OrderPhase::kInFlight ? SlotState::kPending : SlotState::kLocked;
  }
  return slot.claim_e8 >= instrument.step_e8 && instrument.step_e8 > 0 ? SlotState::kFilled
                                                                       : SlotState::kFree;
}

bool TaskState::trade_seen(int64_t trade_id) const {
  if (trade_ids.count(trade_id) != 0) return true;
  return trade_ids.size() >= kTradeIdsRetained && trade_id < *trade_ids.begin();
}

size_t TaskState::unresolved() const {
  size_t n = 0;
  for (const auto& [cid, o] : orders) {
    const bool cancel_open =
        o.working() && (o.cancel_pending || o.cancel_refused || o.amend_pending);
    if (o.phase == OrderPhase::kInFlight || cancel_open || o.owes_fills()) ++n;
  }
  return n;
}

std::vector<const Order*> TaskState::strays() const {
  std::vector<const Order*> out;
  for (const auto& [cid, o] : orders) {
    if (!o.working()) continue;
    auto it = slots.find(o.slot_key);
    if (it == slots.end() || it->second.current_cid != cid) out.push_back(&o);
  }
  return out;
}

int64_t TaskState::sellable_e8() const {
  int64_t working_sells = 0;
  for (const auto& [cid, o] : orders) {
    if (o.working() && o.side == Side::kSell) {
      working_sells = sat_add(working_sells, (o.qty_lots - o.filled_lots) * instrument.step_e8);
    }
  }
  return std::max<int64_t>(0, position.base_e8 - working_sells);
}

int64_t TaskState::inventory_pnl_e8() const {
  const int64_t minus_capture = spread_capture_e8 == std::numeric_limits<int64_t>::min()
                                    ? std::numeric_limits<int64_t>::max()
                                    : -spread_capture_e8;
  return sat_add(sat_add(realized_pnl_e8, unrealized_pnl_e8()), minus_capture);
}

int64_t TaskState::mark_mid_e8() const {
  return static_cast<int64_t>((static_cast<__int128>(mark_bid_ticks) + mark_ask_ticks) *
                              instrument.tick_e8 / 2);
}

int64_t TaskState::unrealized_pnl_e8() const {
  if (!has_mark()) return 0;
  const __int128 value = (static_cast<__int128>(base_value_e8(instrument, position.base_e8, mark_bid_ticks)) +
                          base_value_e8(instrument, position.base_e8, mark_ask_ticks)) / 2;
  return static_cast<int64_t>(value - position.cost_e8);
}

namespace {
// Entries of an ascending time log inside (now_ns - window_ns, ...], counted from the newest.
size_t newer_than(const std::deque<int64_t>& times_ns, int64_t now_ns, int64_t window_ns) {
  size_t n = 0;
  const __int128 from = static_cast<__int128>(now_ns) - window_ns;  // a venue clock may be absurd
  for (auto it = times_ns.rbegin(); it != times_ns.rend() && *it > from; ++it) ++n;
  return n;
}
}  // namespace

size_t TaskState::intents_since(int64_t now_ns, int64_t window_ns) const {
  return newer_than(intent_times_ns, now_ns, window_ns);
}

size_t TaskState::fills_since(int64_t now_ns, int64_t window_ns) const {
  return newer_than(fill_times_ns, now_ns, window_ns);
}

size_t TaskState::orders_in_window(int64_t now_ns) const {
  size_t n = 0;  // the log is ascending; entries after now_ns (none on a monotonic clock) wait
  const __int128 from = static_cast<__int128>(now_ns) - kOrderWindowNs;
  for (auto it = order_times_ns.rbegin(); it != order_times_ns.rend() && *it > from; ++it) {
    if (*it <= now_ns) ++n;
  }
  return n;
}

uint64_t TaskState::orders_on_day_of(int64_t now_ns) const {
  return order_day == now_ns / kOrderDayNs ? orders_in_day : 0;
}

bool State::has_epoch(const std::string& e) const {
  return std::find(epochs.begin(), epochs.end(), e) != epochs.end();
}

const std::string& State::epoch() const {
  static const std::string kNone;
  return epochs.empty() ? kNone : epochs.back();
}

const AccountState& State::account(const std::string& id) const {
  static const AccountState kNone;
  auto it = accounts.find(id);
  return it == accounts.end() ? kNone : it->second;
}

int64_t AccountState::expected_e8(const std::string& asset) const {
  auto get = [&](const std::map<std::string, int64_t>& m) {
    auto it = m.find(asset);
    return it == m.end() ? int64_t{0} : it->second;
  };
  return sat_add(sat_add(get(baseline_e8), get(own_delta_e8)),
                 sat_add(get(foreign_delta_e8), get(nontrade_delta_e8)));
}

const SymbolMarks& AccountState::marks(const std::string& symbol) const {
  static const SymbolMarks kNone;
  auto it = symbols.find(symbol);
  return it == symbols.end() ? kNone : it->second;
}

const std::string& AccountState::main_symbol() const {
  static const std::string kNone;
  if (has_baseline) return baseline.symbol;
  return symbols.empty() ? kNone : symbols.begin()->first;
}

int64_t base_value_e8(const Instrument& ins, int64_t amount_e8, int64_t price_ticks) {
  const __int128 v = static_cast<__int128>(amount_e8) * price_ticks * ins.tick_e8;
  return div_round_half_even(v, kOneE8);
}

namespace {

using journal::Record;

struct Ctx {
  State& state;
  TaskState& task;
  const Record& rec;
};

// E1: the task stops quoting; the reasons accumulate (the first one stays first).
void halt(TaskState& task, const std::string& reason) {
  if (task.halted.find(reason) != std::string::npos) return;
  task.halted += (task.halted.empty() ? "" : "; ") + reason;
}

// Amounts from the venue are bounded before any arithmetic: no product below can overflow.
// The instrument's tick and step come from the journal's TaskStarted (a bad one halts the task,
// which still folds its evidence), so they are bounded here too.
constexpr int64_t kMaxPriceTicks = int64_t{1} << 40;  // 1.1e12 ticks
constexpr int64_t kMaxAmountE8 = int64_t{1} << 56;    // 7.2e8 units at 10^-8
constexpr int64_t kMaxPriceE8 = int64_t{1} << 62;     // 4.6e10 quote per unit at 10^-8
constexpr int64_t kMaxPositionE8 = int64_t{1} << 62;  // 4.6e10 units of base at 10^-8
bool amounts_sane(const Instrument& ins, int64_t price_ticks, int64_t qty_lots, int64_t fee_e8) {
  if (price_ticks <= 0 || price_ticks > kMaxPriceTicks || qty_lots <= 0 || fee_e8 < 0 ||
      fee_e8 > kMaxAmountE8 || ins.tick_e8 <= 0 || ins.tick_e8 > kMaxAmountE8 ||
      ins.step_e8 <= 0 || ins.step_e8 > kMaxAmountE8) {
    return false;
  }
  const __int128 qty_e8 = static_cast<__int128>(qty_lots) * ins.step_e8;
  const __int128 price_e8 = static_cast<__int128>(price_ticks) * ins.tick_e8;
  return qty_e8 <= kMaxAmountE8 && price_e8 <= kMaxPriceE8 &&
         price_e8 * qty_e8 / kOneE8 <= kMaxAmountE8;
}

Order* order_for(Ctx& c, const std::string& cid, int64_t venue_order_id, const char* what) {
  auto it = c.task.orders.find(cid);
  if (it == c.task.orders.end()) {
    ++c.task.ignored_evidence;
    halt(c.task, std::string(what) + " for client order id " + cid + " which the journal does not hold");
    return nullptr;
  }
  Order& o = it->second;
  if (venue_order_id != 0 && o.order_id != 0 && venue_order_id != o.order_id) {
    ++c.task.ignored_evidence;  // another order reusing the client id: never applied (W5)
    return nullptr;
  }
  SymbolMarks& marks = c.state.accounts[c.task.config.account].symbols[c.task.instrument.symbol];
  if (venue_order_id > marks.max_order_id) marks.max_order_id = venue_order_id;
  return &o;
}

void retire_closed(TaskState& task) {
  auto it = task.closed_by_seq.begin();
  while (task.closed_by_seq.size() > kClosedOrdersRetained && it != task.closed_by_seq.end()) {
    auto o = task.orders.find(it->second);
    if (o != task.orders.end() && o->second.owes_fills()) {
      ++it;  // kept until its fills are journaled
      continue;
    }
    if (o != task.orders.end()) task.orders.erase(o);
    it = task.closed_by_seq.erase(it);
    ++task.orders_retired;
  }
}

// The order leaves the book: its slot no longer has it as current order.
void close_order(TaskState& task, Order& o, CloseReason why, uint64_t seq) {
  if (!o.working()) {
    // Already closed: a venue fact upgrades a rejected/never-received close (it existed).
    if (why == CloseReason::kCanceled || why == CloseReason::kFilled) o.closed_by = why;
    return;
  }
  o.phase = OrderPhase::kClosed;
  o.closed_by = why;
  o.closed_seq = seq;
  o.cancel_pending = false;
  o.cancel_refused = false;
  o.amend_pending = false;
  auto it = task.slots.find(o.slot_key);
  if (it != task.slots.end() && it->second.current_cid == o.client_order_id) {
    it->second.current_cid.clear();
  }
  const std::string cid = o.client_order_id;  // `o` may be retired below
  task.closed_by_seq.emplace(seq, cid);
  retire_closed(task);
}

void count_order(TaskState& task, int64_t at_ns);

// Venue evidence that an order closed as rejected or never received exists after all.
void reopen(TaskState& task, Order& o) {
  if (o.working() ||
      (o.closed_by != CloseReason::kRejected && o.closed_by != CloseReason::kNotFound)) {
    return;
  }
  task.closed_by_seq.erase(o.closed_seq);
  o.phase = OrderPhase::kOpen;
  o.closed_by = CloseReason::kNone;
  o.closed_seq = 0;
  ++task.late_executions;
  if (!o.order_counted && o.order_logged_ns != 0) {  // it reached the book after all
    o.order_counted = true;
    count_order(task, o.order_logged_ns);
  }
  Slot& slot = task.slots[o.slot_key];
  slot.key = o.slot_key;
  if (slot.current_cid.empty()) slot.current_cid = o.client_order_id;  // else: a stray
}

void on(Ctx& c, const journal::TaskStarted& b) {
  if (!c.task.config.symbol.empty()) {
    halt(c.task, "internal: the task was started twice");
    return;
  }
  c.task.config = b;
  c.task.instrument.symbol = b.symbol;
  c.task.instrument.base_asset = b.base_asset;
  c.task.instrument.quote_asset = b.quote_asset;
  c.task.instrument.tick_e8 = b.tick_e8;
  c.task.instrument.step_e8 = b.step_e8;
  c.task.instrument.min_notional_e8 = b.min_notional_e8;
  if (b.tick_e8 <= 0 || b.step_e8 <= 0) halt(c.task, "internal: TaskStarted with no tick or step");
}

// The request's time on the venue's clock (its signed timestamp; format 1 intents have none:
// their market time stands in).
void log_intent(TaskState& task, const journal::RequestTiming& t, int64_t ts_exchange_ns) {
  task.intent_times_ns.push_back(t.timestamp_ms != 0 ? ms_to_ns(t.timestamp_ms) : ts_exchange_ns);
  while (task.intent_times_ns.size() > kIntentLogRetained) task.intent_times_ns.pop_front();
}

// A new order's request (what Binance's ORDERS limit counts): its timestamp joins the window log
// (kept ascending: a request stamped before the newest, on a clock stepped back, is inserted in
// order) and its UTC day's count. Only the newest day is counted: an older day's request
// changes nothing today.
void count_order(TaskState& task, int64_t at_ns) {
  auto& log = task.order_times_ns;
  log.insert(std::upper_bound(log.begin(), log.end(), at_ns), at_ns);
  // In 128 bits: a journal's timestamps are venue input, possibly absurd (E1; fuzz_apply).
  while (!log.empty() &&
         (static_cast<__int128>(log.back()) - log.front() >= kOrderWindowNs ||
          log.size() > kOrderLogRetained)) {
    log.pop_front();
  }
  const int64_t day = at_ns / kOrderDayNs;
  if (day > task.order_day || task.orders_in_day == 0) {
    task.order_day = day;
    task.orders_in_day = 1;
  } else if (day == task.order_day) {
    ++task.orders_in_day;
  }
}

// The order `o` is counted at its request's timestamp (Order::order_logged_ns).
void log_order(TaskState& task, Order& o, const journal::RequestTiming& t, int64_t ts_exchange_ns) {
  o.order_logged_ns = t.timestamp_ms != 0 ? ms_to_ns(t.timestamp_ms) : ts_exchange_ns;
  o.order_counted = true;
  count_order(task, o.order_logged_ns);
}

// An order proven never to have reached the book (rejected, or never received: R1) leaves the
// count: Binance counts the orders it accepted ("unfilled order count"), and a request
// journaled but never sent -- a crash before sending it -- must not take room from the orders
// decided after the restart (the uninterrupted run sent the same decision once).
void uncount_order(TaskState& task, Order& o) {
  if (!o.order_counted) return;
  o.order_counted = false;
  auto& log = task.order_times_ns;
  auto it = std::lower_bound(log.begin(), log.end(), o.order_logged_ns);
  if (it != log.end() && *it == o.order_logged_ns) log.erase(it);
  if (o.order_logged_ns / kOrderDayNs == task.order_day && task.orders_in_day > 0) {
    --task.orders_in_day;
  }
}

// Best bid + best ask of a decision's book; 0 unless two-sided and uncrossed.
int64_t mid2_of(const journal::DecisionContext& ctx) {
  if (ctx.best_bid_ticks <= 0 || ctx.best_ask_ticks <= ctx.best_bid_ticks) return 0;
  return ctx.best_bid_ticks + ctx.best_ask_ticks;
}

// An order as its PlaceIntent (or OrderAdopted) at `seq` describes it.
template <class Body>
Order new_order(const Body& b, uint64_t seq) {
  Order o;
  o.client_order_id = b.client_order_id;
  o.intent_seq = seq;
  o.slot_key = b.slot_key;
  o.side = b.side;
  o.price_ticks = b.price_ticks;
  o.qty_lots = b.qty_lots;
  return o;
}

// The market an intent was decided on marks the task's position (TaskState::mark_*).
void mark(TaskState& task, const journal::DecisionContext& ctx) {
  if (ctx.best_bid_ticks <= 0 || ctx.best_ask_ticks <= 0 || ctx.best_bid_ticks >= ctx.best_ask_ticks ||
      !amounts_sane(task.instrument, ctx.best_ask_ticks, 1, 0)) {
    return;
  }
  task.mark_bid_ticks = ctx.best_bid_ticks;
  task.mark_ask_ticks = ctx.best_ask_ticks;
}

void on(Ctx& c, const journal::PlaceIntent& b) {
  TaskState& task = c.task;
  log_intent(task, b.timing, c.rec.ts_exchange_ns);
  mark(task, b.ctx);
  Slot& slot = task.slots[b.slot_key];
  slot.key = b.slot_key;
  ++task.intents_place;
  const Order* current = task.current_order(slot);
  if ((current != nullptr && current->working()) || task.orders.count(b.client_order_id) != 0 ||
      !amounts_sane(task.instrument, b.price_ticks, b.qty_lots, 0)) {
    halt(task, "internal: place intent " + b.client_order_id + " on a busy slot, a reused id or "
               "out-of-range amounts");
    return;
  }
  Order o = new_order(b, c.rec.seq);
  o.placed_ns = c.rec.ts_exchange_ns;
  o.timing = b.timing;
  o.decision_mid2_ticks = mid2_of(b.ctx);
  log_order(task, o, b.timing, c.rec.ts_exchange_ns);
  task.orders.emplace(b.client_order_id, o);
  slot.current_cid = b.client_order_id;
}

void on(Ctx& c, const journal::CancelIntent& b) {
  ++c.task.intents_cancel;
  log_intent(c.task, b.timing, c.rec.ts_exchange_ns);
  mark(c.task, b.ctx);
  auto it = c.task.orders.find(b.client_order_id);
  if (it == c.task.orders.end() || !it->second.working() || it->second.cancel_pending) {
    halt(c.task, "internal: cancel intent for " + b.client_order_id +
                     ", which is not a working order without a pending cancel");
    return;
  }
  it->second.cancel_pending = true;
  // R1: from now on the request whose outcome may be unknown is this cancel (an open order's
  // place is settled; an in-flight order keeps its place's timing).
  if (it->second.phase == OrderPhase::kOpen) it->second.timing = b.timing;
}

// keepPriority: the same order, a smaller quantity once evidence says so.
void amend_keep_priority(Ctx& c, const journal::AmendIntent& b) {
  TaskState& task = c.task;
  auto it = task.orders.find(b.orig_client_order_id);
  Order* o = it == task.orders.end() ? nullptr : &it->second;
  if (o == nullptr || o->phase != OrderPhase::kOpen || o->cancel_pending || o->cancel_refused ||
      o->amend_pending || b.client_order_id != b.orig_client_order_id || o->side != b.side ||
      o->slot_key != b.slot_key || o->price_ticks != b.price_ticks ||
      b.qty_lots <= o->filled_lots || b.qty_lots >= o->qty_lots) {
    halt(task, "internal: keepPriority amend of " + b.orig_client_order_id +
                   ", which is not an open order of that slot, side and price without a pending"
                   " cancel or amend, or a quantity not between its fills and its quantity");
    return;
  }
  o->amend_pending = true;
  o->amend_qty_lots = b.qty_lots;
  o->timing = b.timing;
  ++o->amends;
}

void on(Ctx& c, const journal::AmendIntent& b) {
  TaskState& task = c.task;
  ++task.intents_amend;
  if (c.rec.format < 4) {  // no side or timing: written by no keel; folding it could lose an order
    halt(task, "AmendIntent " + b.client_order_id + " of format " +
                   std::to_string(c.rec.format) + " has no side or timing");
    return;
  }
  log_intent(task, b.timing, c.rec.ts_exchange_ns);
  mark(task, b.ctx);
  if (b.keep_priority) {  // binance-spot.md §4: "unfilled count 0"
    amend_keep_priority(c, b);
    return;
  }
  auto orig = task.orders.find(b.orig_client_order_id);
  if (orig == task.orders.end() || orig->second.phase != OrderPhase::kOpen ||
      orig->second.cancel_pending || orig->second.cancel_refused || orig->second.amend_pending ||
      orig->second.side != b.side || orig->second.slot_key != b.slot_key ||
      task.orders.count(b.client_order_id) != 0 ||
      !amounts_sane(task.instrument, b.price_ticks, b.qty_lots, 0)) {
    halt(task, "internal: amend intent " + b.client_order_id + " of " + b.orig_client_order_id +
                   ", which is not an open order of that slot and side without a pending cancel"
                   " or amend, or a reused id or out-of-range amounts");
    return;
  }
  // The cancel half: the original's fate is now this request's (R1).
  orig->second.cancel_pending = true;
  orig->second.timing = b.timing;
  // The place half: the replacement is in flight and its slot's current order.
  Order o = new_order(b, c.rec.seq);
  o.placed_ns = c.rec.ts_exchange_ns;
  o.timing = b.timing;
  o.decision_mid2_ticks = mid2_of(b.ctx);
  log_order(task, o, b.timing, c.rec.ts_exchange_ns);  // cancelReplace: "unfilled count +1"
  task.orders.emplace(b.client_order_id, o);
  Slot& slot = task.slots[b.slot_key];
  slot.key = b.slot_key;
  slot.current_cid = b.client_order_id;
}

void on(Ctx& c, const journal::OrderAmended& b) {
  Order* o = order_for(c, b.client_order_id, 0, "OrderAmended");
  if (o == nullptr) return;
  // Evidence of a smaller quantity, not below the fills (a stale or impossible report is not
  // applied); it settles a pending amend whatever quantity it names.
  if (b.qty_lots < o->filled_lots || b.qty_lots > o->qty_lots) {
    ++c.task.ignored_evidence;
    return;
  }
  o->amend_pending = false;
  o->qty_lots = b.qty_lots;
  o->venue_executed_lots = std::min(o->venue_executed_lots, o->qty_lots);
  if (o->working() && o->filled_lots == o->qty_lots) {
    close_order(c.task, *o, CloseReason::kFilled, c.rec.seq);
  }
}

void on(Ctx& c, const journal::AmendRejected& b) {
  Order* o = order_for(c, b.client_order_id, 0, "AmendRejected");
  if (o == nullptr) return;
  o->amend_pending = false;
}

void on(Ctx& c, const journal::OrderAccepted& b) {
  Order* o = order_for(c, b.client_order_id, b.order_id, "OrderAccepted");
  if (o == nullptr) return;
  if (o->order_id == 0) o->order_id = b.order_id;
  if (o->phase == OrderPhase::kInFlight) o->phase = OrderPhase::kOpen;
  else reopen(c.task, *o);  // a late NEW; a late ack of a filled or canceled order changes nothing
}

// A cancelReplace proven not to have executed leaves its original where it was: called when an
// order closed without ever reaching the book (rejected or never received) or a cancel proved
// not effective; when the slot has no working current order and exactly one order of the slot
// is open with no cancel pending or refused (the original, its cancel half settled as not
// effective), that order is the slot's current one again. The strategy then sees its quote resting, as it is on the venue, and
// decides on it as a run without the lost request would (not a stray to cancel and a fresh
// place sized without it).
void restore_replaced(TaskState& task, int64_t slot_key) {
  auto s = task.slots.find(slot_key);
  if (s == task.slots.end()) return;
  const Order* current = task.current_order(s->second);  // cleared when it closed
  if (current != nullptr && current->working()) return;
  const Order* original = nullptr;
  for (const auto& [cid, o] : task.orders) {
    if (o.slot_key != slot_key || !o.working()) continue;
    if (original != nullptr || o.phase != OrderPhase::kOpen || o.cancel_pending || o.cancel_refused) {
      return;
    }
    original = &o;
  }
  if (original != nullptr) s->second.current_cid = original->client_order_id;
}

void on(Ctx& c, const journal::OrderRejected& b) {
  Order* o = order_for(c, b.client_order_id, 0, "OrderRejected");
  if (o == nullptr) return;
  ++c.task.rejects;
  // Only an order the venue never acknowledged can be rejected; a reject of an acknowledged or
  // filled order contradicts earlier evidence and is not applied.
  if (o->phase != OrderPhase::kInFlight || o->filled_lots > 0) {
    ++c.task.ignored_evidence;
    return;
  }
  const int64_t slot_key = o->slot_key;
  uncount_order(c.task, *o);
  close_order(c.task, *o, CloseReason::kRejected, c.rec.seq);
  Slot& slot = c.task.slots[slot_key];
  slot.retry_after_ns = c.rec.ts_exchange_ns + kRejectRetryDelayNs;
  restore_replaced(c.task, slot_key);
}

// One side of a fill into the account's R4 counters (only trades after their symbol's baseline
// count).
void count_for_r4(const AccountState& a, const SymbolMarks& m, const std::string& asset,
                  int64_t delta_e8, int64_t trade_id, std::map<std::string, int64_t>& into) {
  if (!a.has_baseline || !m.baselined || trade_id <= m.baseline_trade_id || delta_e8 == 0) return;
  into[asset] = sat_add(into[asset], delta_e8);
}

void count_fill_for_r4(AccountState& a, const Instrument& ins, Side side, int64_t trade_id,
                       int64_t qty_e8, int64_t notional_e8, const std::string& fee_asset,
                       int64_t fee_e8, std::map<std::string, int64_t>& into) {
  SymbolMarks& m = a.symbols[ins.symbol];
  const int64_t sign = side == Side::kBuy ? 1 : -1;
  count_for_r4(a, m, ins.base_asset, sign * qty_e8, trade_id, into);
  count_for_r4(a, m, ins.quote_asset, -sign * notional_e8, trade_id, into);
  count_for_r4(a, m, fee_asset, -fee_e8, trade_id, into);
  if (trade_id > m.trade_watermark) m.trade_watermark = trade_id;
}

// Keeps sum(claims) <= position: releases claims from the lowest slot keys first.
void trim_claims(TaskState& task) {
  for (auto& [key, slot] : task.slots) {
    if (task.claims_e8 <= task.position.base_e8) return;
    const int64_t take = std::min(slot.claim_e8, task.claims_e8 - task.position.base_e8);
    slot.claim_e8 -= take;
    task.claims_e8 -= take;
  }
}

void book_buy(TaskState& task, Slot& slot, int64_t qty_e8, int64_t notional, int64_t base_fee,
              int64_t base_fee_value) {
  const int64_t received = qty_e8 - base_fee;
  task.position.base_e8 += received;
  task.position_high_e8 = std::max(task.position_high_e8, task.position.base_e8);
  task.position.cost_e8 = sat_add(task.position.cost_e8, notional - base_fee_value);
  slot.claim_e8 += received;
  task.claims_e8 += received;
}

// A sell of qty_e8 (plus a commission in base, if the venue took one) at average cost.
void book_sell(TaskState& task, Slot& slot, int64_t out_e8, int64_t notional,
               int64_t base_fee_value) {
  Position& p = task.position;
  if (out_e8 > p.base_e8) {
    halt(task, "a sell fill of " + format_fixed_trim(out_e8, kScaleE8) + " " +
                   task.instrument.base_asset + " exceeds the position of " +
                   format_fixed_trim(p.base_e8, kScaleE8) + " (spot cannot go short)");
  }
  const int64_t sold = std::min(out_e8, p.base_e8);
  const int64_t cost_part =
      sold == p.base_e8 ? p.cost_e8
                        : div_round_half_even(static_cast<__int128>(p.cost_e8) * sold, p.base_e8);
  task.realized_pnl_e8 = sat_add(task.realized_pnl_e8, notional + base_fee_value - cost_part);
  p.cost_e8 -= cost_part;
  p.base_e8 -= sold;
  task.position_low_e8 = std::min(task.position_low_e8, p.base_e8);
  const int64_t from_slot = std::min(slot.claim_e8, out_e8);
  slot.claim_e8 -= from_slot;
  task.claims_e8 -= from_slot;
  trim_claims(task);
}

void on(Ctx& c, const journal::OrderFilled& b) {
  TaskState& task = c.task;
  if (task.trade_seen(b.trade_id)) {  // R3: the same trade is counted once
    ++task.duplicate_fills;
    return;
  }
  Order* o = order_for(c, b.client_order_id, b.order_id, "OrderFilled");
  if (o == nullptr) return;
  const Instrument& ins = task.instrument;
  if (b.side != o->side || !amounts_sane(ins, b.price_ticks, b.qty_lots, b.commission_e8)) {
    halt(task, "fill " + std::to_string(b.trade_id) + " of " + o->client_order_id +
                   " contradicts the order (side or amounts)");
    return;
  }
  if (o->filled_lots + b.qty_lots > o->qty_lots) {
    halt(task, "overfill on " + o->client_order_id + " (trade " + std::to_string(b.trade_id) +
                   "): invariant R3 broken");
    return;
  }
  // A buy's commission taken in base comes out of the base it bought: more than that is
  // impossible (the position would go below zero), as is a position beyond keel's range.
  if (b.side == Side::kBuy) {
    const int64_t bought_e8 = ins.qty_e8(b.qty_lots);
    const int64_t fee_in_base = b.commission_asset == ins.base_asset ? b.commission_e8 : 0;
    if (fee_in_base > bought_e8 || task.position.base_e8 > kMaxPositionE8 - bought_e8) {
      halt(task, "fill " + std::to_string(b.trade_id) + " of " + o->client_order_id +
                     ": a commission above the quantity bought, or a position beyond range");
      return;
    }
  }
  task.trade_ids.insert(b.trade_id);
  if (task.trade_ids.size() > kTradeIdsRetained) task.trade_ids.erase(task.trade_ids.begin());
  task.last_trade_id = std::max(task.last_trade_id, b.trade_id);
  if (o->order_id == 0) o->order_id = b.order_id;
  reopen(task, *o);  // a fill of an order given up as rejected/never received: a late execution
  o->filled_lots += b.qty_lots;
  o->venue_executed_lots = std::max(o->venue_executed_lots, o->filled_lots);
  const int64_t qty_e8 = ins.qty_e8(b.qty_lots);
  const int64_t notional = ins.notional_e8(b.price_ticks, b.qty_lots);
  SideStats& stats = b.side == Side::kBuy ? task.buys : task.sells;
  ++stats.fills;
  stats.qty_lots = sat_add(stats.qty_lots, b.qty_lots);
  stats.notional_e8 = sat_add(stats.notional_e8, notional);
  task.commissions[b.commission_asset] = sat_add(task.commissions[b.commission_asset], b.commission_e8);
  const bool in_base = b.commission_asset == ins.base_asset;
  const int64_t base_fee = in_base ? b.commission_e8 : 0;
  const int64_t base_fee_value = in_base ? base_value_e8(ins, base_fee, b.price_ticks) : 0;
  if (b.commission_asset == ins.quote_asset) task.fees_e8 = sat_add(task.fees_e8, b.commission_e8);
  task.fees_e8 = sat_add(task.fees_e8, base_fee_value);
  Slot& slot = task.slots[o->slot_key];
  slot.key = o->slot_key;
  slot.last_fill_ns = c.rec.ts_exchange_ns;
  if (o->filled_lots == o->qty_lots) slot.last_full_fill_ns = c.rec.ts_exchange_ns;
  task.fill_times_ns.push_back(c.rec.ts_exchange_ns);
  if (task.fill_times_ns.size() > kFillLogRetained) task.fill_times_ns.pop_front();
  if (o->decision_mid2_ticks > 0 && amounts_sane(ins, o->decision_mid2_ticks, 1, 0)) {
    // Seed 004's spread capture, against the mid its order was decided on (in half ticks).
    const int64_t twice_mid = o->decision_mid2_ticks;
    const int64_t edge_half_ticks =
        b.side == Side::kBuy ? twice_mid - 2 * b.price_ticks : 2 * b.price_ticks - twice_mid;
    // |edge| x tick <= 2^63 (prices sane) and qty_e8 <= 2^56: the product fits in 128 bits.
    const __int128 v = static_cast<__int128>(qty_e8) *
                       (static_cast<__int128>(edge_half_ticks) * ins.tick_e8);
    task.spread_capture_e8 = sat_add(task.spread_capture_e8, div_round_half_even(v, 2 * kOneE8));
  }
  if (b.side == Side::kBuy) {
    book_buy(task, slot, qty_e8, notional, base_fee, base_fee_value);
  } else {
    book_sell(task, slot, qty_e8 + base_fee, notional, base_fee_value);
  }
  AccountState& acct = c.state.accounts[task.config.account];
  count_fill_for_r4(acct, ins, b.side, b.trade_id, qty_e8, notional, b.commission_asset,
                    b.commission_e8, acct.own_delta_e8);
  if (o->filled_lots == o->qty_lots) close_order(task, *o, CloseReason::kFilled, c.rec.seq);
  else if (o->phase == OrderPhase::kInFlight) o->phase = OrderPhase::kOpen;  // a fill is an ack
}

void on(Ctx& c, const journal::OrderCanceled& b) {
  Order* o = order_for(c, b.client_order_id, 0, "OrderCanceled");
  if (o == nullptr) return;
  // The venue's executed quantity at cancel: fills the journal lacks are owed (R4).
  if (b.executed_lots > o->venue_executed_lots && b.executed_lots <= o->qty_lots) {
    o->venue_executed_lots = b.executed_lots;
  }
  close_order(c.task, *o, CloseReason::kCanceled, c.rec.seq);
}

void on(Ctx& c, const journal::OrderNotFound& b) {
  Order* o = order_for(c, b.client_order_id, 0, "OrderNotFound");
  if (o == nullptr || !o->working()) return;
  if (o->phase != OrderPhase::kInFlight || o->filled_lots > 0) {
    halt(c.task, "the venue says " + o->client_order_id +
                     " does not exist, but it acknowledged or filled it earlier");
    return;
  }
  uncount_order(c.task, *o);
  close_order(c.task, *o, CloseReason::kNotFound, c.rec.seq);
  ++c.task.not_found;
  restore_replaced(c.task, o->slot_key);
}

void on(Ctx& c, const journal::CancelRejected& b) {
  Order* o = order_for(c, b.client_order_id, 0, "CancelRejected");
  if (o == nullptr) return;
  o->cancel_pending = false;
  // -2011 "Unknown order sent.": filled or canceled with the event lost, or not yet placed.
  // Never sent again: a query or the stream must say what happened. Any other answer (the
  // order is still open) leaves the order cancelable.
  o->cancel_refused = o->working() && b.code == -2011;
  ++c.task.cancel_rejects;
  restore_replaced(c.task, o->slot_key);
}

void on(Ctx& c, const journal::TaskHalted& b) { halt(c.task, b.reason); }

void on(Ctx& c, const journal::TaskRetired&) { c.task.retired = true; }

// The risk guard's state, and the exchange time spent in each (a record without an exchange time,
// or one earlier than the last change, adds nothing).
void on(Ctx& c, const journal::GuardChanged& b) {
  TaskState& task = c.task;
  const int64_t ts = c.rec.ts_exchange_ns;
  if (task.guard_since_ns > 0 && ts > task.guard_since_ns) {
    const size_t i = static_cast<size_t>(task.guard);
    task.guard_time_ns[i] = sat_add(task.guard_time_ns[i], ts - task.guard_since_ns);
  }
  if (ts > 0) task.guard_since_ns = ts;
  task.guard = b.state;
  task.guard_reason = b.reason;
  ++task.guard_changes;
}

// The operator lifts the halt: every reason, or only those of R4 mismatches ("R4: ..."). What
// the state itself still shows as impossible (an overfilled order, claims above the position)
// halts the task again at once: no resume makes an inconsistent task quote.
void on(Ctx& c, const journal::TaskResumed& b) {
  TaskState& task = c.task;
  if (!b.r4_only) {
    task.halted.clear();
    for (const auto& [cid, o] : task.orders) {
      if (o.filled_lots > o.qty_lots) halt(task, "overfill of " + cid + " persists");
    }
    if (task.claims_e8 > task.position.base_e8) halt(task, "slot claims exceed the position");
    return;
  }
  std::string kept;
  size_t from = 0;
  while (from <= c.task.halted.size()) {
    size_t end = c.task.halted.find("; ", from);
    if (end == std::string::npos) end = c.task.halted.size();
    const std::string reason = c.task.halted.substr(from, end - from);
    if (!reason.empty() && reason.rfind("R4: ", 0) != 0) kept += (kept.empty() ? "" : "; ") + reason;
    from = end + 2;
  }
  c.task.halted = kept;
}

void on(Ctx& c, const journal::OrderAdopted& b) {
  TaskState& task = c.task;
  if (task.orders.count(b.client_order_id) != 0 ||
      !amounts_sane(task.instrument, b.price_ticks, b.qty_lots, 0) || b.executed_lots < 0 ||
      b.executed_lots > b.qty_lots) {
    ++task.ignored_evidence;
    return;
  }
  ++task.adopted;
  Order o = new_order(b, c.rec.seq);
  o.placed_ns = c.rec.ts_exchange_ns;
  o.order_id = b.order_id;
  o.venue_executed_lots = b.executed_lots;
  o.adopted = true;
  o.phase = OrderPhase::kOpen;
  SymbolMarks& marks = c.state.accounts[task.config.account].symbols[task.instrument.symbol];
  if (b.order_id > marks.max_order_id) marks.max_order_id = b.order_id;
  Order& placed = task.orders.emplace(b.client_order_id, o).first->second;
  Slot& slot = task.slots[b.slot_key];
  slot.key = b.slot_key;
  if (b.open) {
    const Order* current = task.current_order(slot);
    if (current == nullptr || !current->working()) slot.current_cid = b.client_order_id;
  } else {
    close_order(task, placed, b.executed_lots == b.qty_lots ? CloseReason::kFilled
                                                            : CloseReason::kCanceled,
                c.rec.seq);
  }
}

// ---- journal-wide records ----------------------------------------------------------------

void apply_journal_wide(State& state, const Record& rec) {
  if (const auto* e = std::get_if<journal::JournalEpoch>(&rec.body)) {
    if (validate_epoch(e->epoch).ok() && !state.has_epoch(e->epoch)) state.epochs.push_back(e->epoch);
    return;
  }
  if (std::holds_alternative<journal::RecordingEnded>(rec.body)) {
    state.recording_ended = true;
    return;
  }
  const std::string account = journal::account_of_tag(rec.task_id);
  AccountState& a = state.accounts[account];
  if (const auto* b = std::get_if<journal::AccountBaseline>(&rec.body)) {
    SymbolMarks& m = a.symbols[b->symbol];
    if (!a.has_baseline || m.baselined) {  // the account's baseline (again): see AccountState
      a.has_baseline = true;
      a.baseline = *b;
      a.baseline_e8.clear();
      for (const journal::AssetAmount& x : b->balances) a.baseline_e8[x.asset] = x.amount_e8;
      a.own_delta_e8.clear();
      a.foreign_delta_e8.clear();
      a.nontrade_delta_e8.clear();
      for (auto& [symbol, other] : a.symbols) other.baselined = false;
    }
    m.baselined = true;
    m.baseline_trade_id = b->last_trade_id;
    m.trade_watermark = std::max(m.trade_watermark, b->last_trade_id);
    m.scan_watermark = std::max(m.scan_watermark, b->last_trade_id);
  } else if (const auto* u = std::get_if<journal::BalanceChanged>(&rec.body)) {
    ++a.balance_changes;
    if (a.has_baseline && u->clear_time_ms > a.baseline.venue_time_ms) {
      a.nontrade_delta_e8[u->asset] = sat_add(a.nontrade_delta_e8[u->asset], u->delta_e8);
    }
  } else if (const auto* f = std::get_if<journal::ForeignFill>(&rec.body)) {
    std::set<int64_t>& ids = a.symbols[f->symbol].foreign_trade_ids;
    const bool seen = ids.count(f->trade_id) != 0 ||
                      (ids.size() >= kTradeIdsRetained && f->trade_id < *ids.begin());
    if (seen) return;
    ids.insert(f->trade_id);
    if (ids.size() > kTradeIdsRetained) ids.erase(ids.begin());
    ++a.foreign_fills;
    // The instrument of a task trading the symbol prices the fill (a task always exists: the
    // reconciler journals foreign fills only for its tasks' symbols).
    for (const auto& [id, t] : state.tasks) {
      if (t.instrument.symbol != f->symbol || t.config.account != account) continue;
      if (!amounts_sane(t.instrument, f->price_ticks, f->qty_lots, f->commission_e8)) return;
      count_fill_for_r4(a, t.instrument, f->side, f->trade_id, t.instrument.qty_e8(f->qty_lots),
                        t.instrument.notional_e8(f->price_ticks, f->qty_lots),
                        f->commission_asset, f->commission_e8, a.foreign_delta_e8);
      return;
    }
  } else if (const auto* t = std::get_if<journal::TradesScanned>(&rec.body)) {
    SymbolMarks& m = a.symbols[t->symbol];
    m.scan_watermark = std::max(m.scan_watermark, t->through_trade_id);
  }
}

template <class T>
void on(Ctx&, const T&) {}  // journal-wide bodies: folded by apply_journal_wide

}  // namespace

void apply(State& state, const Record& rec) {
  KEEL_ASSERT(rec.seq == state.last_seq + 1);  // the journal's reader guarantees it
  state.last_seq = rec.seq;
  ++state.records;
  if (journal::is_journal_wide(rec.body)) {
    apply_journal_wide(state, rec);
    return;
  }
  TaskState& task = state.tasks[rec.task_id];
  if (task.id.empty()) {
    task.id = rec.task_id;
    if (!std::holds_alternative<journal::TaskStarted>(rec.body)) {
      halt(task, "internal: record of a task that was never started");
      return;
    }
  }
  Ctx c{state, task, rec};
  std::visit([&c](const auto& body) { on(c, body); }, rec.body);
}

}  // namespace keel::model
