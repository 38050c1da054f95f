// The one fold (W3). Every legal edge of an order/slot is a branch below; the rest asserts.
#include "keel/model/state.h"

#include <type_traits>

#include "keel/core/fixed.h"

namespace keel::model {

const char* slot_state_name(SlotState s) {
  switch (s) {
    case SlotState::kFree: return "FREE";
    case SlotState::kPending: return "PENDING";
    case SlotState::kLocked: return "LOCKED";
    case SlotState::kFilled: return "FILLED";
  }
  return "?";
}

const Order* TaskState::current_order(const Slot& slot) const {
  if (slot.current_cid.empty()) return nullptr;
  auto it = orders.find(slot.current_cid);
  KEEL_ASSERT(it != orders.end());
  return &it->second;
}

SlotState TaskState::slot_state(const Slot& slot) const {
  const Order* o = current_order(slot);
  if (o != nullptr) {
    KEEL_ASSERT(o->phase != OrderPhase::kClosed);
    return o->phase == OrderPhase::kInFlight ? SlotState::kPending : SlotState::kLocked;
  }
  return slot.position_lots > 0 ? SlotState::kFilled : SlotState::kFree;
}

bool TaskState::trade_seen(int64_t trade_id) const {
  if (trade_ids.count(trade_id) != 0) return true;
  return trade_ids.size() >= kTradeIdsRetained && trade_id < *trade_ids.begin();
}

size_t TaskState::unresolved() const {
  size_t n = 0;
  for (const auto& [cid, o] : orders) {
    if (o.phase == OrderPhase::kInFlight || (o.phase != OrderPhase::kClosed && o.cancel_pending)) {
      ++n;
    }
  }
  return n;
}

namespace {

struct Ctx {
  State& state;
  TaskState& task;
  const journal::Record& rec;
};

Order& order_of(TaskState& task, const std::string& cid) {
  auto it = task.orders.find(cid);
  KEEL_ASSERT_MSG(it != task.orders.end(), "evidence for a client order id never journaled");
  return it->second;
}

// The order leaves the book: the slot no longer has a current order. `seq` is the closing
// record's; the oldest closed orders beyond the retention limit are retired.
void close_order(TaskState& task, Order& o, uint64_t seq) {
  KEEL_ASSERT(o.phase != OrderPhase::kClosed);
  o.phase = OrderPhase::kClosed;
  o.cancel_pending = false;
  auto it = task.slots.find(o.slot_key);
  KEEL_ASSERT(it != task.slots.end());
  if (it->second.current_cid == o.client_order_id) it->second.current_cid.clear();
  task.closed_by_seq.emplace(seq, o.client_order_id);
  while (task.closed_by_seq.size() > kClosedOrdersRetained) {
    auto oldest = task.closed_by_seq.begin();
    task.orders.erase(oldest->second);  // invalidates nothing held: `o` is the newest
    task.closed_by_seq.erase(oldest);
    ++task.orders_retired;
  }
}

void on(Ctx& c, const journal::TaskStarted& b) {
  KEEL_ASSERT(c.task.config.symbol.empty());  // a task starts once
  c.task.config = b;
  c.task.instrument.symbol = b.symbol;
  c.task.instrument.base_asset = b.base_asset;
  c.task.instrument.quote_asset = b.quote_asset;
  c.task.instrument.tick_e8 = b.tick_e8;
  c.task.instrument.step_e8 = b.step_e8;
  c.task.instrument.min_notional_e8 = b.min_notional_e8;
}

void on(Ctx& c, const journal::PlaceIntent& b) {
  Slot& slot = c.task.slots[b.slot_key];
  slot.key = b.slot_key;
  KEEL_ASSERT_MSG(slot.current_cid.empty(), "place on a slot that has a working order");
  KEEL_ASSERT(b.qty_lots > 0 && b.price_ticks > 0);
  KEEL_ASSERT(b.side == Side::kBuy || slot.position_lots >= b.qty_lots);
  Order o;
  o.client_order_id = b.client_order_id;
  o.intent_seq = c.rec.seq;
  o.slot_key = b.slot_key;
  o.side = b.side;
  o.price_ticks = b.price_ticks;
  o.qty_lots = b.qty_lots;
  const bool inserted = c.task.orders.emplace(b.client_order_id, o).second;
  KEEL_ASSERT_MSG(inserted, "client order id reused");
  slot.current_cid = b.client_order_id;
  ++c.task.intents_place;
}

void on(Ctx& c, const journal::CancelIntent& b) {
  Order& o = order_of(c.task, b.client_order_id);
  KEEL_ASSERT(o.phase != OrderPhase::kClosed);
  KEEL_ASSERT(!o.cancel_pending);
  o.cancel_pending = true;
  ++c.task.intents_cancel;
}

void on(Ctx& c, const journal::AmendIntent& b) {
  // cancelReplace is not decided by any strategy of this version; a journal holding one was
  // written by a newer keel. Folding it wrongly would lose an order, so stop here.
  (void)b;
  ++c.task.intents_amend;
  KEEL_ASSERT_MSG(false, "AmendIntent needs a newer keel");
}

void on(Ctx& c, const journal::OrderAccepted& b) {
  Order& o = order_of(c.task, b.client_order_id);
  o.order_id = b.order_id;
  // A late ack after the order closed (filled before its ack arrived) changes nothing.
  if (o.phase == OrderPhase::kInFlight) o.phase = OrderPhase::kOpen;
}

void on(Ctx& c, const journal::OrderRejected& b) {
  Order& o = order_of(c.task, b.client_order_id);
  KEEL_ASSERT(o.phase == OrderPhase::kInFlight);
  KEEL_ASSERT(o.filled_lots == 0);
  close_order(c.task, o, c.rec.seq);
  c.task.slots[o.slot_key].retry_after_ns = c.rec.ts_exchange_ns + kRejectRetryDelayNs;
  ++c.task.rejects;
}

void realize_sell(TaskState& task, Slot& slot, int64_t qty_lots, int64_t notional_e8) {
  // The sold part's cost is its share of the slot's cost basis, rounded half-to-even; the last
  // lot sold takes whatever cost remains, so the slot's cost returns to exactly 0.
  const int64_t cost_part =
      qty_lots == slot.position_lots
          ? slot.cost_e8
          : div_round_half_even(static_cast<__int128>(slot.cost_e8) * qty_lots,
                                slot.position_lots);
  task.realized_pnl_e8 += notional_e8 - cost_part;
  slot.cost_e8 -= cost_part;
  slot.position_lots -= qty_lots;
}

void on(Ctx& c, const journal::OrderFilled& b) {
  TaskState& task = c.task;
  if (task.trade_seen(b.trade_id)) {  // R3: the same trade is counted once
    ++task.duplicate_fills;
    return;
  }
  task.trade_ids.insert(b.trade_id);
  if (task.trade_ids.size() > kTradeIdsRetained) task.trade_ids.erase(task.trade_ids.begin());
  if (b.trade_id > task.last_trade_id) task.last_trade_id = b.trade_id;
  Order& o = order_of(task, b.client_order_id);
  KEEL_ASSERT(b.side == o.side && b.qty_lots > 0);
  if (o.filled_lots + b.qty_lots > o.qty_lots) {
    task.halted = "overfill on " + o.client_order_id + " (trade " + std::to_string(b.trade_id) +
                  "): invariant R3 broken";
    return;
  }
  o.filled_lots += b.qty_lots;
  if (b.order_id != 0) o.order_id = b.order_id;
  Slot& slot = task.slots[o.slot_key];
  const int64_t notional = task.instrument.notional_e8(b.price_ticks, b.qty_lots);
  SideStats& stats = b.side == Side::kBuy ? task.buys : task.sells;
  ++stats.fills;
  stats.qty_lots += b.qty_lots;
  stats.notional_e8 += notional;
  if (b.side == Side::kBuy) {
    slot.position_lots += b.qty_lots;
    slot.cost_e8 += notional;
    task.inventory_lots += b.qty_lots;
  } else {
    KEEL_ASSERT(slot.position_lots >= b.qty_lots);
    realize_sell(task, slot, b.qty_lots, notional);
    task.inventory_lots -= b.qty_lots;
  }
  if (b.commission_asset == task.instrument.quote_asset) task.fees_e8 += b.commission_e8;
  else task.fees_other_e8 += b.commission_e8;
  if (o.filled_lots == o.qty_lots) close_order(task, o, c.rec.seq);
  else if (o.phase == OrderPhase::kInFlight) o.phase = OrderPhase::kOpen;  // a fill is an ack
}

void on(Ctx& c, const journal::OrderCanceled& b) {
  Order& o = order_of(c.task, b.client_order_id);
  if (o.phase == OrderPhase::kClosed) return;  // already closed by its last fill
  close_order(c.task, o, c.rec.seq);
}

void on(Ctx& c, const journal::OrderNotFound& b) {
  Order& o = order_of(c.task, b.client_order_id);
  KEEL_ASSERT_MSG(o.filled_lots == 0, "venue says never received, but we hold its fills");
  close_order(c.task, o, c.rec.seq);
  ++c.task.not_found;
}

void on(Ctx& c, const journal::CancelRejected& b) {
  Order& o = order_of(c.task, b.client_order_id);
  o.cancel_pending = false;
  ++c.task.cancel_rejects;
}

void on(Ctx&, const journal::RecordingEnded&) { KEEL_ASSERT(false); }  // handled in apply
// Issue 9 in progress: folded by the new model.
template <class T>
void on(Ctx&, const T&) {}

}  // namespace

void apply(State& state, const journal::Record& rec) {
  KEEL_ASSERT(rec.seq == state.last_seq + 1);
  state.last_seq = rec.seq;
  ++state.records;
  if (std::holds_alternative<journal::RecordingEnded>(rec.body)) {  // engine-wide, no task
    state.recording_ended = true;
    return;
  }
  TaskState& task = state.tasks[rec.task_id];
  if (task.id.empty()) {
    KEEL_ASSERT_MSG(std::holds_alternative<journal::TaskStarted>(rec.body),
                    "record of a task that was never started");
    task.id = rec.task_id;
  }
  Ctx c{state, task, rec};
  std::visit([&c](const auto& body) { on(c, body); }, rec.body);
}

}  // namespace keel::model
