// keel/model/state.h: the engine's state as a pure fold of the journal (DESIGN.md W3).
//
// apply(State&, const Record&) is the only function that mutates slot state. It does no I/O,
// reads no clock and draws no random number; live operation and recovery both call it, in
// sequence order, on records that are already in the journal (W2).
//
// Slots (seed 001 §3.1): a task owns slots keyed by `slot_key` (grid: the level price in ticks).
// A slot's state is derived from its current order and its position:
//   PENDING  the current order's place intent is journaled and its outcome unknown (in-flight)
//   LOCKED   the current order rests on the exchange
//   FILLED   no working order, a position is held (a filled buy waiting for its sell)
//   FREE     no working order, no position
// The side of the current order says which way the slot is going: BUY acquires the level's
// position, SELL releases it. Every legal edge is in model/state.cc `apply_*`; anything else is
// a bug and asserts (except an overfill, R3, which halts the task with a reason).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "keel/core/instrument.h"
#include "keel/journal/record.h"

namespace keel::model {

enum class SlotState : unsigned char { kFree, kPending, kLocked, kFilled };
const char* slot_state_name(SlotState s);  // "FREE" | "PENDING" | "LOCKED" | "FILLED"

// After a rejected place the slot waits this long (exchange time) before placing again.
inline constexpr int64_t kRejectRetryDelayNs = 1'000'000'000;

// Limits that keep the state (and so snapshots and recovery) bounded over weeks of running.
// Both are applied inside apply(), so replay reproduces them exactly:
//  - closed orders are retired oldest-closed first beyond kClosedOrdersRetained per task (no
//    evidence can arrive for a closed order: a venue never fills a canceled or filled order, and
//    the engine journals evidence only for orders it still holds);
//  - fills are de-duplicated (R3) against the kTradeIdsRetained highest trade ids; a trade id
//    below that window is treated as already counted (trade ids grow per symbol).
inline constexpr size_t kClosedOrdersRetained = 1024;
inline constexpr size_t kTradeIdsRetained = 4096;

enum class OrderPhase : unsigned char {
  kInFlight,  // place intent journaled, no evidence yet (R1: stays so until evidence)
  kOpen,      // the venue holds it
  kClosed,    // filled, canceled, rejected or never received
};

struct Order {
  std::string client_order_id;
  uint64_t intent_seq = 0;
  int64_t slot_key = 0;
  Side side = Side::kBuy;
  int64_t price_ticks = 0;
  int64_t qty_lots = 0;
  int64_t filled_lots = 0;
  int64_t order_id = 0;          // the venue's id, 0 until known
  OrderPhase phase = OrderPhase::kInFlight;
  bool cancel_pending = false;   // a cancel intent is journaled, outcome unknown
};

struct Slot {
  int64_t key = 0;
  std::string current_cid;      // the slot's working or in-flight order, "" when none
  int64_t position_lots = 0;    // base held by this slot
  int64_t cost_e8 = 0;          // quote paid for position_lots (notional, fees excluded)
  int64_t retry_after_ns = 0;   // no new place before this exchange time
};

struct SideStats {
  uint64_t fills = 0;
  int64_t qty_lots = 0;
  int64_t notional_e8 = 0;
};

struct TaskState {
  std::string id;
  journal::TaskStarted config;   // as journaled
  Instrument instrument;
  std::map<int64_t, Slot> slots;         // ordered by key: decisions never depend on hash order
  std::map<std::string, Order> orders;   // live and recently closed orders, by client id
  std::map<uint64_t, std::string> closed_by_seq;  // closing record seq -> cid (retirement)
  uint64_t orders_retired = 0;
  std::set<int64_t> trade_ids;           // R3: the newest fills' trade ids (bounded window)
  int64_t last_trade_id = 0;             // highest trade id applied
  int64_t inventory_lots = 0;            // sum of slot positions
  int64_t realized_pnl_e8 = 0;           // gross, quote asset, fees excluded
  int64_t fees_e8 = 0;                   // commissions paid in the quote asset
  int64_t fees_other_e8 = 0;             // commissions in any other asset (counted, not priced)
  SideStats buys, sells;
  uint64_t intents_place = 0, intents_cancel = 0, intents_amend = 0;
  uint64_t rejects = 0, cancel_rejects = 0, not_found = 0, duplicate_fills = 0;
  std::string halted;                    // non-empty: an invariant broke; no more quoting

  SlotState slot_state(const Slot& slot) const;
  // R3: true if a fill with this trade id was applied (or lies below the retained window).
  bool trade_seen(int64_t trade_id) const;
  const Order* current_order(const Slot& slot) const;
  // Orders whose outcome is unknown: in-flight places and pending cancels (R2 must resolve).
  size_t unresolved() const;
};

struct State {
  std::map<std::string, TaskState> tasks;
  uint64_t records = 0;     // records folded
  uint64_t last_seq = 0;
  bool recording_ended = false;
};

// Folds one record. REQUIRES: rec.seq == state.last_seq + 1 (asserts), and the record belongs
// to a task started by an earlier TaskStarted record (asserts). Pure: no I/O, clock or random.
void apply(State& state, const journal::Record& rec);

}  // namespace keel::model
