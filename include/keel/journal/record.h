// keel/journal/record.h: the journal record schema (DESIGN.md W1-W5).
//
// One Record per journaled fact: an intent (place, amend, cancel) written before its request is
// sent, or an outcome/finding written before it changes state. Records are folded into state by
// model::apply (W3), in sequence order.
//
// Frozen type numbers: a number is never reused or renumbered. Retire one with a comment.
// Every Record carries: format version (envelope), type, seq (1, 2, ...), task id, local and
// exchange timestamps in ns, and the SHA-256 of the previous record's encoded bytes (all zero for
// seq 1). The byte grammar lives in keel/journal/codec.h.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "keel/core/instrument.h"

namespace keel::journal {

enum class RecordType : uint16_t {
  kTaskStarted = 1,     // a task's identity and parameters; first record of every task
  kPlaceIntent = 2,     // W1: a LIMIT_MAKER place, before the request leaves
  kCancelIntent = 3,    // W1: a cancel by origClientOrderId, before the request leaves
  kAmendIntent = 4,     // W1: a cancelReplace (new price/qty, new client id) or a keepPriority
                        // amend (quantity decrease, same order), before it leaves
  kOrderAccepted = 10,  // evidence: the venue holds the order (ack, query, open-orders)
  kOrderRejected = 11,  // evidence: the venue refused the place (code, message)
  kOrderFilled = 12,    // evidence: one execution, keyed by trade id (R3)
  kOrderCanceled = 13,  // evidence: the order is no longer working; remaining qty released
  kOrderNotFound = 14,  // evidence (reconciliation): the venue never received the place, and
                        // the request can no longer execute (R1: past timestamp + recvWindow)
  kCancelRejected = 15, // evidence: a cancel was refused (-2011); the order's fate comes later
  kTaskHalted = 16,     // the task stops quoting for good, with the reason (E1, R3, R4)
  kTaskRetired = 17,    // `keel retire`: the task's orders are closed; it may leave the config
  kOrderAdopted = 18,   // evidence: an order of this journal's epoch the journal did not hold
                        // (the data directory was restored from an older copy); now tracked
  kTaskResumed = 19,    // the operator lifts a halt (keel declare, keel resume)
  kJournalEpoch = 20,   // journal-wide: the epoch of the client order ids from here on (W5)
  kAccountBaseline = 21,  // journal-wide: the account's balances and newest trade id (R4)
  kBalanceChanged = 22,   // journal-wide: a non-trade balance change (balanceUpdate) (R4)
  kForeignFill = 23,      // journal-wide: a trade of the account not of this journal (R4)
  kTradesScanned = 24,    // journal-wide: the account's trade history was read through an id
  kGuardChanged = 25,   // the task's risk guard changed state (Safe / Caution / Halt), why
  kOrderAmended = 26,   // evidence: a keepPriority amend took effect (the order's new quantity)
  kAmendRejected = 27,  // evidence: a keepPriority amend was refused or can no longer execute
  kRecordingEnded = 30, // the embedded exchange's recording has no more events
};
const char* record_type_name(RecordType t);  // "PlaceIntent", ...

// The market as the strategy saw it when deciding, for the audit trail.
struct DecisionContext {
  int64_t best_bid_ticks = 0;
  int64_t best_ask_ticks = 0;
  int64_t last_trade_ticks = 0;
  std::string reason;  // short human text: "grid buy level 6183000 in window"
};

// The account of a config without `accounts:` and of every journal written before format 5.
inline constexpr const char* kDefaultAccount = "default";

struct TaskStarted {
  std::string strategy;     // "grid"
  std::string symbol;       // "BTCUSDT"
  std::string base_asset, quote_asset;
  int64_t tick_e8 = 0, step_e8 = 0, min_notional_e8 = 0;
  std::string params_yaml;  // the task's strategy parameters as loaded, for the audit
  int64_t venue_start_ms = 0;  // format 2: the venue clock when the task started
  // Format 5: the account the task trades (config accounts[].id); records of formats 1-4 read
  // kDefaultAccount, the one account of a config without `accounts:`.
  std::string account = kDefaultAccount;
};

// The timing of the signed request an intent describes (exchange::RequestStamp): the request
// is sent with exactly these values, so the venue cannot execute it after the venue clock
// passes timestamp_ms + recv_window_ms (binance-spot.md §1). Both 0 in records of format 1.
struct RequestTiming {
  int64_t timestamp_ms = 0;    // venue clock, ms since the Unix epoch
  int64_t recv_window_ms = 0;  // ms
};

struct PlaceIntent {
  int64_t slot_key = 0;  // the slot this order belongs to (grid: level price in ticks)
  Side side = Side::kBuy;
  int64_t price_ticks = 0;
  int64_t qty_lots = 0;
  std::string client_order_id;  // make_client_order_id(epoch, task, seq of this record)
  DecisionContext ctx;
  RequestTiming timing;  // format 2
};

struct CancelIntent {
  int64_t slot_key = 0;
  std::string client_order_id;  // the order to cancel (origClientOrderId)
  DecisionContext ctx;
  RequestTiming timing;  // format 2
};

// W1: one request that replaces the open order `orig_client_order_id` by a new one at
// price_ticks / qty_lots (binance-spot.md §4 POST /api/v3/order/cancelReplace, STOP_ON_FAILURE),
// journaled before it leaves. The fold treats it as a cancel of the original (cancel pending,
// this request's timing) and a place of the replacement (in flight, the slot's current order):
// the evidence is that of a cancel and of a place (OrderCanceled / CancelRejected for the
// original, OrderAccepted / OrderRejected / fills for the replacement), whichever channel
// brings it (R1). side and timing are format 4; an AmendIntent of an older format (no keel
// wrote one) halts its task.
// keep_priority (format 4): instead, PUT /api/v3/order/amend/keepPriority reduces the open
// order's quantity to qty_lots (counted from its original quantity, fills included), same
// price, same order id and client id (client_order_id == orig_client_order_id), keeping its
// queue position. The order keeps its quantity until evidence of the amend (OrderAmended: the
// response, an executionReport REPLACED, or a query showing the smaller quantity) or of its
// refusal (AmendRejected); exposure counts the larger quantity meanwhile (R1).
struct AmendIntent {
  int64_t slot_key = 0;
  std::string orig_client_order_id;  // the order being replaced
  std::string client_order_id;       // the replacement's id (seq of this record)
  int64_t price_ticks = 0;
  int64_t qty_lots = 0;
  DecisionContext ctx;
  Side side = Side::kBuy;  // format 4: the side of both orders
  RequestTiming timing;    // format 4: the request's timestamp and recvWindow (R1)
  bool keep_priority = false;  // format 4: order.amend.keepPriority (see above)
};

// Where a piece of evidence came from (audit; apply ignores it).
enum class Source : uint8_t {
  kResponse = 0,      // the synchronous answer to our request
  kUserStream = 1,    // executionReport
  kQueryOrder = 2,    // GET order by origClientOrderId
  kOpenOrders = 3,    // GET openOrders
  kTradeHistory = 4,  // GET myTrades fromId
  kAllOrders = 5,     // GET allOrders (format 2)
};
const char* source_name(Source s);

struct OrderAccepted {
  std::string client_order_id;
  int64_t order_id = 0;
  Source source = Source::kResponse;
};

struct OrderRejected {
  std::string client_order_id;
  int32_t code = 0;  // Binance error code, e.g. -2010
  std::string msg;   // Binance message, verbatim
  Source source = Source::kResponse;
};

struct OrderFilled {
  std::string client_order_id;
  int64_t trade_id = 0;
  int64_t order_id = 0;
  Side side = Side::kBuy;
  int64_t price_ticks = 0;
  int64_t qty_lots = 0;
  int64_t commission_e8 = 0;
  std::string commission_asset;
  bool is_maker = true;
  Source source = Source::kUserStream;
};

struct OrderCanceled {
  std::string client_order_id;
  int64_t executed_lots = 0;  // the venue's executed qty at cancel time
  Source source = Source::kResponse;
};

struct OrderNotFound {
  std::string client_order_id;
  Source source = Source::kQueryOrder;
};

struct CancelRejected {
  std::string client_order_id;
  int32_t code = 0;
  std::string msg;
};

struct RecordingEnded {
  uint64_t events = 0;  // market events the exchange replayed in all
};

// The task stops deciding (it keeps folding evidence). Reasons are human text naming what broke
// ("R4: BTC balance changed by -0.00002000 more than the journaled fills explain").
struct TaskHalted {
  std::string reason;
};

// `keel retire`: every order of the task is closed on the venue; the task may now be removed
// from the config. Evidence that still arrives for its orders is folded as usual.
struct TaskRetired {
  std::string reason;
};

// An order of this journal's own epoch that the venue holds (open, or with trades) but the
// journal does not: its intent was lost with a newer copy of the data directory. Adopting it
// makes it tracked like any other order; its fills come as OrderFilled records after it.
struct OrderAdopted {
  int64_t slot_key = 0;  // chosen by the task's strategy (grid: the level it would belong to)
  std::string client_order_id;
  int64_t order_id = 0;
  Side side = Side::kBuy;
  int64_t price_ticks = 0;
  int64_t qty_lots = 0;
  bool open = true;  // the venue still works it (else: filled or canceled; closed on adoption)
  int64_t executed_lots = 0;  // the venue's executed quantity when adopted
  Source source = Source::kOpenOrders;
};

// Journal-wide (task_id kJournalTaskId). The epoch every client order id journaled after it
// carries (keel/core/ids.h), drawn at random when the journal is created, and again when the
// journal proves older than the venue (restored from a copy) so ids are never reused.
struct JournalEpoch {
  std::string epoch;   // 6 characters [0-9a-z]
  std::string reason;  // "journal created", "journal older than the exchange: ..."
};

struct AssetAmount {
  std::string asset;
  int64_t amount_e8 = 0;  // free + locked
};

// Journal-wide. R4's starting point: the account's balances (free + locked, every asset that
// fits) and its newest trade id on `symbol` at one consistent instant (balances read before and
// after the trade query were equal). Trades after `last_trade_id` are journaled one by one: as
// OrderFilled (this journal's) or ForeignFill (any other order of the account); R4 counts only
// trades with a larger id, and balance changes cleared after venue_time_ms.
struct AccountBaseline {
  std::string symbol;
  int64_t last_trade_id = 0;  // 0: the account had no trade on the symbol
  int64_t venue_time_ms = 0;  // the venue clock when the balances were read
  std::vector<AssetAmount> balances;
};

// Journal-wide. A change of a balance that is not a trade: a deposit, withdrawal or transfer,
// from a balanceUpdate event, or declared by the operator (`keel declare`) when no event could
// carry it (it happened while keel was stopped).
struct BalanceChanged {
  std::string asset;
  int64_t delta_e8 = 0;
  int64_t event_time_ms = 0;
  int64_t clear_time_ms = 0;
  std::string source;  // "balanceUpdate" or "operator: <the operator's reason>"
};

// The operator lifts a task's halt. `r4_only`: only the halt reasons of R4 mismatches go (after
// `keel declare` explained them); otherwise every reason (`keel resume`, after an
// investigation).
struct TaskResumed {
  std::string reason;
  bool r4_only = true;
};

// Journal-wide. A trade of the account on a symbol keel trades, of an order that is not this
// journal's (another keel journal's epoch, a manual order): counted for R4, never acted on.
struct ForeignFill {
  std::string symbol;
  std::string client_order_id;
  int64_t trade_id = 0;
  int64_t order_id = 0;
  Side side = Side::kBuy;
  int64_t price_ticks = 0;
  int64_t qty_lots = 0;
  int64_t commission_e8 = 0;
  std::string commission_asset;
};

// Journal-wide. Reconciliation read the account's trade history on `symbol` completely through
// `through_trade_id`: every trade up to it is journaled (OrderFilled, ForeignFill) or lies
// before the baseline. The next reading starts after it. (Fills arriving by the user stream do
// not move it: a trade between them may be unread.)
struct TradesScanned {
  std::string symbol;
  int64_t through_trade_id = 0;
};

// A task's risk guard (keel/risk/risk.h): SAFE quotes freely; CAUTION is near a limit (a buy
// that would cross one is dropped); HALT is past a limit (no buy, the working buys cancelled,
// orders that reduce exposure kept).
enum class GuardState : uint8_t { kSafe = 0, kCaution = 1, kHalt = 2 };
const char* guard_state_name(GuardState s);  // "SAFE" | "CAUTION" | "HALT"

// The task's risk guard changed to `state`; `reason` names the limit and the figures (format 3).
struct GuardChanged {
  GuardState state = GuardState::kSafe;
  std::string reason;
};

// Evidence (format 4): a keepPriority amend of `client_order_id` took effect; its quantity is
// now qty_lots (fills included).
struct OrderAmended {
  std::string client_order_id;
  int64_t qty_lots = 0;
  Source source = Source::kResponse;
};

// Evidence (format 4): a keepPriority amend of `client_order_id` did not take effect: refused
// by the venue (code, message), or proven unable to execute (R1: code 0, the venue's clock past
// the request's timestamp + recvWindow with the order's quantity unchanged).
struct AmendRejected {
  std::string client_order_id;
  int code = 0;
  std::string msg;
};

using Body = std::variant<TaskStarted, PlaceIntent, CancelIntent, AmendIntent, OrderAccepted,
                          OrderRejected, OrderFilled, OrderCanceled, OrderNotFound, CancelRejected,
                          RecordingEnded, TaskHalted, TaskRetired, OrderAdopted, JournalEpoch,
                          AccountBaseline, BalanceChanged, ForeignFill, TradesScanned,
                          TaskResumed, GuardChanged, OrderAmended, AmendRejected>;

// The task id journal-wide records carry (no config task may start with '_').
inline constexpr const char* kJournalTaskId = "_";

// Journal-wide records that belong to one account (AccountBaseline, BalanceChanged, ForeignFill,
// TradesScanned) carry the account's tag as their task id: "_" for kDefaultAccount (so every
// journal written before format 5 reads as that account's), "_<account>" for any other. The
// journal's own records (JournalEpoch, RecordingEnded) carry kJournalTaskId.
std::string account_tag(const std::string& account);
// The account of a tag ("_" -> kDefaultAccount, "_alpha" -> "alpha").
std::string account_of_tag(const std::string& task_id);

// True for the journal-wide bodies (JournalEpoch, AccountBaseline, BalanceChanged, ForeignFill,
// TradesScanned, RecordingEnded): they belong to the account or the run, not to a task, and
// carry kJournalTaskId.
bool is_journal_wide(const Body& body);

// The type number of a body alternative (frozen mapping above).
RecordType type_of(const Body& body);

using Hash = std::array<uint8_t, 32>;  // SHA-256

// The record format keel writes (codec.h: the envelope's version byte and each type's layout).
inline constexpr uint8_t kFormatVersion = 5;

struct Record {
  uint8_t format = kFormatVersion;  // envelope version: 1 (before issue 9), 2 (issue 9), 3
                                    // (issue 10: GuardChanged), 4 (AmendIntent's side and
                                    // timing) or 5 (TaskStarted.account); with the type, the
                                    // layout
  uint64_t seq = 0;            // 1-based, contiguous; assigned before encoding
  std::string task_id;         // [A-Za-z0-9_]{1,16}
  int64_t ts_local_ns = 0;     // wall clock when journaled (audit only, never folded)
  int64_t ts_exchange_ns = 0;  // the market/exchange time the fact belongs to (folded)
  Hash prev_hash{};            // SHA-256 of the previous record's encoded bytes
  Body body;

  RecordType type() const { return type_of(body); }
};

}  // namespace keel::journal
