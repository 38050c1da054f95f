// keel/model/state.h: the engine's state as a pure fold of the journal (DESIGN.md W3).
//
// apply(State&, const Record&) is the only function that mutates state. It does no I/O, reads
// no clock and draws no random number; live operation and recovery both call it, in sequence
// order, on records that are already in the journal (W2).
//
// E1: apply never aborts. Anything a record says -- venue evidence however impossible, or an
// intent that keel itself should never have journaled -- is folded into a defined state; what
// cannot be folded halts the task with the reason (TaskState::halted). So `keel inspect`,
// `export` and `verify` work on every intact journal. The only precondition is the journal's
// own: records arrive in sequence (rec.seq == state.last_seq + 1).
//
// Positions (spot): a task holds one position, `Position`, the base asset it bought net of the
// commissions the venue took in base, with its average cost. It never goes below zero: a sell
// fill beyond it halts the task (the venue sold base keel did not hold).
//
// Slots (seed 001 §3.1): a task owns slots keyed by `slot_key` (grid: the level price in ticks).
// A slot names its current order (working or in flight) and holds a *claim*: the part of the
// task's position the slot's own filled buys brought (net of base commissions) and its sells
// have not yet sold, in base at 10^-8. Claims are the strategy's labels; the position is the
// truth, and the fold keeps sum(claims) <= position (a sell that takes more than its slot's
// claim releases the rest from the other slots, lowest key first). A slot's state:
//   PENDING  its current order's place intent is journaled and its outcome unknown (in-flight)
//   LOCKED   its current order rests on the exchange
//   FILLED   no current order, a claim of at least one lot (a filled buy waiting for its sell)
//   FREE     no current order, less than one lot claimed
// An open order that is not its slot's current order is a *stray* (an order the venue executed
// after keel gave it up as never received, or one adopted from the venue): it is tracked, its
// fills counted, and the engine cancels it.
//
// Every legal edge of an order is one branch of model/state.cc `on(...)`; the table of edges is
// the comment at the top of that file.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "keel/core/instrument.h"
#include "keel/journal/record.h"

namespace keel::model {

enum class SlotState : unsigned char { kFree, kPending, kLocked, kFilled };
const char* slot_state_name(SlotState s);  // "FREE" | "PENDING" | "LOCKED" | "FILLED"

// After a rejected place the slot waits this long (exchange time) before placing again.
inline constexpr int64_t kRejectRetryDelayNs = 1'000'000'000;

// Limits that keep the state (and so snapshots and recovery) bounded over weeks of running.
// All are applied inside apply(), so replay reproduces them exactly:
//  - closed orders are retired oldest-closed first beyond kClosedOrdersRetained per task, except
//    an order that still owes fills (the venue executed more than the journal holds);
//  - fills are de-duplicated (R3) against the kTradeIdsRetained highest trade ids; a trade id
//    below that window is treated as already counted (trade ids grow per symbol). The same
//    window de-duplicates the account's foreign fills.
inline constexpr size_t kClosedOrdersRetained = 1024;
inline constexpr size_t kTradeIdsRetained = 4096;
//  - the exchange times of the task's newest kIntentLogRetained intents are kept (the request
//    budget's window, engine/config.h IntentRate).
inline constexpr size_t kIntentLogRetained = 1024;
//  - the exchange times of the task's newest kFillLogRetained fills are kept (fill-rate guards).
inline constexpr size_t kFillLogRetained = 1024;
//  - the request timestamps of the task's new orders (places and cancelReplace amends: what
//    Binance's ORDERS limit counts, keel/risk/risk.h "Request budgets") within kOrderWindowNs of
//    the newest, at most kOrderLogRetained of them; and the count of its new orders in the UTC
//    day of the newest (Binance's 1 DAY interval resets at 00:00 UTC).
inline constexpr int64_t kOrderWindowNs = 10'000'000'000;   // Binance's ORDERS 10 SECOND
inline constexpr int64_t kOrderDayNs = 86'400'000'000'000;  // Binance's ORDERS 1 DAY (UTC)
inline constexpr size_t kOrderLogRetained = 10'000;

enum class OrderPhase : unsigned char {
  kInFlight,  // place intent journaled, no evidence yet (R1: stays so until evidence)
  kOpen,      // the venue holds it
  kClosed,    // filled, canceled, rejected or never received
};

// Why an order closed. Evidence that the venue holds or executed an order closed as kRejected
// or kNotFound reopens it (a late execution: R1, E1); a fill of an order closed as kCanceled or
// kFilled is counted without reopening it (it happened before the close).
enum class CloseReason : unsigned char { kNone, kFilled, kCanceled, kRejected, kNotFound };

struct Order {
  std::string client_order_id;
  uint64_t intent_seq = 0;       // seq of its PlaceIntent (or OrderAdopted)
  int64_t placed_ns = 0;         // exchange time of that record (refresh intervals, ns)
  int64_t slot_key = 0;
  Side side = Side::kBuy;
  int64_t price_ticks = 0;
  int64_t qty_lots = 0;
  int64_t filled_lots = 0;       // the sum of its journaled fills
  int64_t venue_executed_lots = 0;  // the most the venue reported executed (cancel answer, query)
  int64_t order_id = 0;          // the venue's id, 0 until known
  OrderPhase phase = OrderPhase::kInFlight;
  CloseReason closed_by = CloseReason::kNone;
  uint64_t closed_seq = 0;       // the record that closed it (0 while not closed)
  bool cancel_pending = false;   // a cancel intent is journaled, outcome unknown
  bool cancel_refused = false;   // the venue answered -2011 to our cancel: its fate must come
                                 // from a query or the stream; no cancel is sent again
  bool adopted = false;          // OrderAdopted: the journal learned of it from the venue
  // A keepPriority amend is journaled (AmendIntent keep_priority) and its outcome unknown: the
  // order keeps qty_lots (the larger, worst case for exposure) until OrderAmended or
  // AmendRejected; amend_qty_lots is the quantity asked for. amends counts the order's
  // keepPriority amends (Binance's MAX_NUM_ORDER_AMENDS allows 10 per order).
  bool amend_pending = false;
  int64_t amend_qty_lots = 0;
  uint32_t amends = 0;
  // R1: the timestamp and recvWindow of the order's request whose outcome may be unknown: its
  // place while in flight; once open, its newest cancel or amend.
  journal::RequestTiming timing;

  bool working() const { return phase != OrderPhase::kClosed; }
  // The venue executed more than the journal holds: fills are owed (fetch them, R4).
  bool owes_fills() const { return venue_executed_lots > filled_lots; }
};

struct Slot {
  int64_t key = 0;
  std::string current_cid;      // the slot's working or in-flight order, "" when none
  int64_t claim_e8 = 0;         // base claimed by this slot (see the file comment), 10^-8
  int64_t retry_after_ns = 0;   // no new place before this exchange time
  int64_t last_fill_ns = 0;     // exchange time of the newest fill of its orders (0: none)
  int64_t last_full_fill_ns = 0;  // ... of the newest fill that completed an order (cooldowns)
};

struct SideStats {
  uint64_t fills = 0;
  int64_t qty_lots = 0;
  int64_t notional_e8 = 0;
};

// The task's holding of the base asset (spot: never below zero).
struct Position {
  int64_t base_e8 = 0;  // base held: buys minus sells minus commissions taken in base, 10^-8
  int64_t cost_e8 = 0;  // the quote paid for base_e8, fees excluded (average cost basis)
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
  Position position;
  int64_t claims_e8 = 0;                 // sum of the slots' claims (<= position.base_e8)
  int64_t realized_pnl_e8 = 0;           // gross, quote asset, fees excluded (average cost)
  // Seed 004's PnL decomposition ("spread, inventory, fees, funding"): the spread captured is
  // each fill's edge against the mid of the task's mark when it was folded (the book of the
  // task's latest decision before the fill): (mid - price) x qty for a buy, (price - mid) x qty
  // for a sell, quote at 10^-8, summed (fills before the first mark count 0). The inventory
  // part is the rest of the gross PnL: realized + unrealized - spread captured (what holding
  // the position through the mid's moves made); fees are fees_e8; funding is 0 on spot.
  int64_t spread_capture_e8 = 0;
  // Commissions valued in quote: those paid in quote, plus those taken in base valued at their
  // fill's price. Commissions in any other asset (BNB) are in `commissions` only.
  int64_t fees_e8 = 0;
  std::map<std::string, int64_t> commissions;  // asset -> commissions paid in it, 10^-8
  // The book of the newest journaled intent's decision context (best bid < best ask, ticks; 0
  // before the first): the market the position is marked to (no market data is journaled).
  int64_t mark_bid_ticks = 0, mark_ask_ticks = 0;
  SideStats buys, sells;
  uint64_t intents_place = 0, intents_cancel = 0, intents_amend = 0;
  std::deque<int64_t> intent_times_ns;  // venue-clock ns of the newest intents' requests (bounded)
  std::deque<int64_t> fill_times_ns;    // exchange time of the newest fills' records (bounded)
  // The range the position (base_e8) took over the task's fills, 10^-8 base; both 0 before
  // the first fill (a task starts flat). Spot: the low is 0 unless a fee in base or a halt.
  int64_t position_low_e8 = 0, position_high_e8 = 0;
  // New orders (places and cancelReplace amends; not cancels nor keepPriority amends): their
  // request timestamps (venue clock, ns, ascending) within kOrderWindowNs of the newest, and
  // how many fell in UTC day `order_day` (timestamp / kOrderDayNs) -- the newest's day.
  std::deque<int64_t> order_times_ns;
  int64_t order_day = 0;
  uint64_t orders_in_day = 0;
  uint64_t rejects = 0, cancel_rejects = 0, not_found = 0, duplicate_fills = 0;
  uint64_t late_executions = 0;   // evidence reopened an order closed as rejected/never received
  uint64_t ignored_evidence = 0;  // evidence not applied: another venue order id, unknown order
  uint64_t adopted = 0;           // OrderAdopted records
  std::string halted;             // non-empty: why the task stopped quoting (reasons joined by
                                  // "; "; TaskResumed lifts them)
  bool retired = false;           // TaskRetired: its orders were closed by `keel retire`
  // The risk guard (GuardChanged, keel/risk/risk.h): its state and why; the exchange time it
  // entered that state (0: never changed) and the time spent in each earlier state (ns, by
  // GuardState), and the number of changes.
  journal::GuardState guard = journal::GuardState::kSafe;
  std::string guard_reason;
  int64_t guard_since_ns = 0;
  std::array<int64_t, 3> guard_time_ns{};
  uint64_t guard_changes = 0;

  SlotState slot_state(const Slot& slot) const;
  // R3: true if a fill with this trade id was applied (or lies below the retained window).
  bool trade_seen(int64_t trade_id) const;
  const Order* current_order(const Slot& slot) const;
  const Order* find_order(const std::string& cid) const;
  // Questions only the venue can answer (R2 must resolve each before quoting): in-flight places,
  // pending or refused cancels and pending keepPriority amends of working orders, and orders
  // that owe fills.
  size_t unresolved() const;
  // Working orders that are not their slot's current order (the engine cancels them).
  std::vector<const Order*> strays() const;
  // Base the task may still sell: its position minus the remaining quantity of its working
  // sells, 10^-8 (never negative).
  int64_t sellable_e8() const;
  // Mark-to-market at the mid of mark_bid/ask: the position's value (the mean of its values at
  // the bid and at the ask, each rounded as base_value_e8) minus its cost, quote at 10^-8; 0
  // before the first mark. has_mark() tells whether there is one.
  bool has_mark() const { return mark_bid_ticks > 0; }
  int64_t unrealized_pnl_e8() const;
  // realized + unrealized - spread_capture_e8 (see spread_capture_e8), quote at 10^-8.
  int64_t inventory_pnl_e8() const;
  // The mid of the mark, quote per base at 10^-8 (rounded down); 0 before the first mark.
  int64_t mark_mid_e8() const;
  // Intents whose requests were stamped in the window (now_ns - window_ns, now_ns] of the venue's
  // clock (ns).
  size_t intents_since(int64_t now_ns, int64_t window_ns) const;
  // Fills journaled in the window (now_ns - window_ns, now_ns] of exchange time (ns).
  size_t fills_since(int64_t now_ns, int64_t window_ns) const;
  // New orders whose requests were stamped in (now_ns - kOrderWindowNs, now_ns] of the venue's
  // clock, and in the UTC day of now_ns.
  size_t orders_in_window(int64_t now_ns) const;
  uint64_t orders_on_day_of(int64_t now_ns) const;
};

// One symbol of an account as this journal knows it. Binance numbers trades and orders per
// symbol (binance-spot.md: GET myTrades fromId, GET allOrders orderId are per symbol), so every
// watermark is the symbol's.
struct SymbolMarks {
  bool baselined = false;         // R4 counts this symbol's trades above baseline_trade_id
  int64_t baseline_trade_id = 0;  // the symbol's newest trade at its AccountBaseline record
  int64_t trade_watermark = 0;    // highest trade id journaled (own or foreign) or the baseline's
  int64_t scan_watermark = 0;     // the trade history was read completely through this id
  int64_t max_order_id = 0;       // highest venue order id any evidence named
  std::set<int64_t> foreign_trade_ids;  // R3 for foreign fills (bounded window)
};

// One account as this journal knows it (R4, W5): its journal-wide records (tagged with the
// account, journal::account_tag) and its tasks' fills fold here. The balances are the
// account's, one R4 equation per asset across every symbol it trades; trade and order ids are
// per symbol (SymbolMarks).
//
// AccountBaseline records: the first one of the account sets the balances' baseline and its
// symbol's trade id. One for a symbol that has no baseline yet, on an account that has one, is
// that symbol JOINING the baseline: it sets only the symbol's trade id (its balances are not
// read: they were read with the others' when the baselines were taken together, and a symbol
// added later must not absorb what its trades changed meanwhile -- R4 then says so). One for a
// symbol that has its baseline already starts the account's baseline over (balances and every
// count), as before symbols were tracked.
struct AccountState {
  bool has_baseline = false;
  journal::AccountBaseline baseline;  // the record that set baseline_e8
  std::map<std::string, int64_t> baseline_e8;  // asset -> free + locked at the baseline
  std::map<std::string, SymbolMarks> symbols;  // by symbol
  // R4, counted only for trades with an id above their symbol's baseline and balance changes
  // cleared after the baseline: each asset's change by this journal's fills, by foreign fills,
  // by balanceUpdates.
  std::map<std::string, int64_t> own_delta_e8, foreign_delta_e8, nontrade_delta_e8;
  uint64_t foreign_fills = 0, balance_changes = 0;

  // R4's expected balance of `asset` (free + locked), 10^-8.
  int64_t expected_e8(const std::string& asset) const;
  // The marks of `symbol`; empty ones when the journal has none of it.
  const SymbolMarks& marks(const std::string& symbol) const;
  // The symbol an account-level view shows (inspect's "account"): the baseline's, else the
  // first one; "" when none.
  const std::string& main_symbol() const;
};

struct State {
  std::map<std::string, TaskState> tasks;
  std::vector<std::string> epochs;  // every epoch this journal has used; back() is current
  std::map<std::string, AccountState> accounts;  // by account id (journal::kDefaultAccount, ...)
  uint64_t records = 0;     // records folded
  uint64_t last_seq = 0;
  bool recording_ended = false;

  bool has_epoch(const std::string& epoch) const;
  const std::string& epoch() const;  // the current one ("" before the first JournalEpoch)
  // The account `id` as folded so far; an empty AccountState when the journal has none of it.
  const AccountState& account(const std::string& id) const;
  // The account of task `t` (its TaskStarted.account).
  const AccountState& account_of(const TaskState& t) const { return account(t.config.account); }
};

// Folds one record. REQUIRES: rec.seq == state.last_seq + 1 (the journal reads records in
// sequence; asserts). Never aborts otherwise (E1, see the file comment). Pure.
void apply(State& state, const journal::Record& rec);

// `amount_e8` of base valued at `price_ticks` in quote, 10^-8, rounded half-to-even.
int64_t base_value_e8(const Instrument& ins, int64_t amount_e8, int64_t price_ticks);

}  // namespace keel::model
