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

#include "keel/core/instrument.h"

namespace keel::journal {

enum class RecordType : uint16_t {
  kTaskStarted = 1,     // a task's identity and parameters; first record of every task
  kPlaceIntent = 2,     // W1: a LIMIT_MAKER place, before the request leaves
  kCancelIntent = 3,    // W1: a cancel by origClientOrderId, before the request leaves
  kAmendIntent = 4,     // W1: a cancelReplace (new price/qty, new client id), before it leaves
  kOrderAccepted = 10,  // evidence: the venue holds the order (ack, query, open-orders)
  kOrderRejected = 11,  // evidence: the venue refused the place (code, message)
  kOrderFilled = 12,    // evidence: one execution, keyed by trade id (R3)
  kOrderCanceled = 13,  // evidence: the order is no longer working; remaining qty released
  kOrderNotFound = 14,  // evidence (reconciliation): the venue never received the place
  kCancelRejected = 15, // evidence: a cancel was refused (-2011); the order's fate comes later
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

struct TaskStarted {
  std::string strategy;     // "grid"
  std::string symbol;       // "BTCUSDT"
  std::string base_asset, quote_asset;
  int64_t tick_e8 = 0, step_e8 = 0, min_notional_e8 = 0;
  std::string params_yaml;  // the task's strategy parameters as loaded, for the audit
};

struct PlaceIntent {
  int64_t slot_key = 0;  // the slot this order belongs to (grid: level price in ticks)
  Side side = Side::kBuy;
  int64_t price_ticks = 0;
  int64_t qty_lots = 0;
  std::string client_order_id;  // make_client_order_id(task, seq of this record)
  DecisionContext ctx;
};

struct CancelIntent {
  int64_t slot_key = 0;
  std::string client_order_id;  // the order to cancel (origClientOrderId)
  DecisionContext ctx;
};

struct AmendIntent {
  int64_t slot_key = 0;
  std::string orig_client_order_id;  // the order being replaced
  std::string client_order_id;       // the replacement's id (seq of this record)
  int64_t price_ticks = 0;
  int64_t qty_lots = 0;
  DecisionContext ctx;
};

// Where a piece of evidence came from (audit; apply ignores it).
enum class Source : uint8_t {
  kResponse = 0,      // the synchronous answer to our request
  kUserStream = 1,    // executionReport
  kQueryOrder = 2,    // GET order by origClientOrderId
  kOpenOrders = 3,    // GET openOrders
  kTradeHistory = 4,  // GET myTrades fromId
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

using Body = std::variant<TaskStarted, PlaceIntent, CancelIntent, AmendIntent, OrderAccepted,
                          OrderRejected, OrderFilled, OrderCanceled, OrderNotFound, CancelRejected,
                          RecordingEnded>;

// The type number of a body alternative (frozen mapping above).
RecordType type_of(const Body& body);

using Hash = std::array<uint8_t, 32>;  // SHA-256

struct Record {
  uint64_t seq = 0;            // 1-based, contiguous; assigned before encoding
  std::string task_id;         // [A-Za-z0-9_]{1,16}
  int64_t ts_local_ns = 0;     // wall clock when journaled (audit only, never folded)
  int64_t ts_exchange_ns = 0;  // the market/exchange time the fact belongs to (folded)
  Hash prev_hash{};            // SHA-256 of the previous record's encoded bytes
  Body body;

  RecordType type() const { return type_of(body); }
};

}  // namespace keel::journal
