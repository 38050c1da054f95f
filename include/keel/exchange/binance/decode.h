// keel/exchange/binance/decode.h: pure decoders of Binance Spot REST responses and user-data
// events. No sockets, no clock, no state: decode(string_view) -> Result<...>.
//
// Sources (section numbers of reference/binance-spot.md):
//   §0 error body, §1 server time, §3 exchangeInfo, §4 order / cancel / amend / cancelReplace,
//   §5 openOrders / order / allOrders / myTrades / account, §6 WS API response,
//   executionReport, outboundAccountPosition, balanceUpdate.
// Units: prices in the instrument's ticks, quantities in its lots (instrument.h), commissions and
// balances at 10^-8 (*_e8), times in ns since the epoch (Binance sends ms). A decimal that is not
// an exact multiple of the tick/step is an error (it would be a venue or configuration bug).
// Exception: an account balance that does not fit int64 at 10^-8 is not an error (decode_account).
// Errors: kInvalidArgument whose message starts with the JSON path of the field at fault
// ("balances[1].free: 'x' is not a decimal", "symbols[0].filters: PRICE_FILTER missing").
// Decoders that take an Instrument require its `symbol` to match the message's where the message
// names one; another symbol gives kNotFound ("symbol ETHBTC is not BTCUSDT") so stream readers
// can skip other markets of the same account.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "keel/core/instrument.h"
#include "keel/core/status.h"
#include "keel/exchange/exchange.h"

namespace keel::exchange::binance {

// {"code":-1121,"msg":"Invalid symbol."} (§0, errors.md).
struct ErrorBody {
  int code = 0;
  std::string msg;
};
Result<ErrorBody> decode_error_body(std::string_view json);

// GET /api/v3/time {"serverTime":1499827319559} -> ms since the epoch (§1).
Result<int64_t> decode_server_time_ms(std::string_view json);

// GET /api/v3/exchangeInfo, the entry of `symbol` (§3). The instrument takes PRICE_FILTER.tickSize,
// LOT_SIZE.stepSize and minQty, NOTIONAL.minNotional (or legacy MIN_NOTIONAL; 0 if neither).
struct SymbolInfo {
  Instrument instrument;
  std::string status;                  // "TRADING", "HALT", "BREAK", "END_OF_DAY", "CANCEL_ONLY"
  bool cancel_replace_allowed = false;  // cancelReplaceAllowed (gates order/cancelReplace)
  bool amend_allowed = false;           // amendAllowed (gates order/amend/keepPriority)
  int64_t max_num_orders = 0;           // MAX_NUM_ORDERS.maxNumOrders; 0 if absent
};
Result<SymbolInfo> decode_exchange_info(std::string_view json, std::string_view symbol);

// One order object: POST /api/v3/order response (ACK, RESULT or FULL), GET /api/v3/order, an
// openOrders or allOrders element (§4, §5). ACK carries no order state: status is NEW and price/qty/executed
// are 0 (the caller knows them from its request). ts_update_ns: updateTime, else transactTime,
// else workingTime, else 0. Order status PENDING_NEW/PENDING_CANCEL map to NEW (or
// PARTIALLY_FILLED when executedQty > 0); EXPIRED_IN_MATCH maps to EXPIRED.
Result<OrderReport> decode_order(std::string_view json, const Instrument& ins);
// A JSON array of such objects: GET /api/v3/openOrders, and GET /api/v3/allOrders (whose elements
// have the same shape: docs rest-api.md "All orders"; any order type and status of the account,
// e.g. a MARKET order's price "0.00000000" decodes as 0 ticks).
Result<std::vector<OrderReport>> decode_open_orders(std::string_view json, const Instrument& ins);

// DELETE /api/v3/order response (§4). client_order_id is origClientOrderId: the order's own id
// (the response's clientOrderId is the cancel request's id).
Result<OrderReport> decode_cancel(std::string_view json, const Instrument& ins);

// PUT /api/v3/order/amend/keepPriority response (§4): amendedOrder, whose names differ (qty,
// cumulativeQuoteQty). client_order_id is the order's id after the amend.
Result<OrderReport> decode_amend(std::string_view json, const Instrument& ins);

// POST /api/v3/order/cancelReplace, success body or failure body with `data` (§4). A failure body
// without `data` (e.g. -1013 before anything was attempted) is an error: decode it with
// decode_error_body instead.
enum class PartResult : unsigned char { kSuccess, kFailure, kNotAttempted };
struct CancelReplacePart {
  PartResult result = PartResult::kNotAttempted;
  OrderReport order;  // when kSuccess (cancel: client_order_id = origClientOrderId)
  ErrorBody error;    // when kFailure: the part's own {"code","msg"}
};
struct CancelReplaceBody {
  ErrorBody error;  // top-level code/msg of a failure body (-2021 / -2022); code 0 on success
  CancelReplacePart cancel;
  CancelReplacePart place;
};
Result<CancelReplaceBody> decode_cancel_replace(std::string_view json, const Instrument& ins);

// GET /api/v3/myTrades (§5). myTrades has no clientOrderId: client_order_id is left empty for
// the caller to fill from the order id. side is BUY when isBuyer.
Result<std::vector<TradeReport>> decode_my_trades(std::string_view json, const Instrument& ins);

// GET /api/v3/account balances (§5): asset -> free/locked at 10^-8. An amount that is a
// well-formed decimal but does not fit int64 at 10^-8 (above 92233720368.54775807 units, e.g. an
// airdropped token's "100000000000.00000000", or a nonzero digit after the 8th decimal) is never
// an error: that asset is kept with exact = false and free_e8 = locked_e8 = 0 (exchange.h
// AssetBalance), so a foreign balance cannot stop connect(). A malformed amount ("1e4", a number
// instead of a string, a missing field) is still an error naming it ("balances[1].free: ...").
Result<Balances> decode_account(std::string_view json);

// WebSocket API response frame {"id":..,"status":200,"result":{..}} or
// {"id":..,"status":400,"error":{"code":..,"msg":..}} (§6). id: a string or an integer (as text).
struct WsApiResponse {
  std::string id;
  int status = 0;
  ErrorBody error;               // code 0 when the request succeeded
  int64_t subscription_id = -1;  // result.subscriptionId when present
};
Result<WsApiResponse> decode_ws_api_response(std::string_view json);

// executionReport, wrapped {"subscriptionId":N,"event":{..}} or bare (§6).
//  - order.client_order_id: `C` (the order's own id) when x is CANCELED and C is not empty (for a
//    cancel, `c` is the cancel request's id); otherwise `c`.
//  - order: s, i, S, p, q, z (executed), X (status), T (ts_update_ns).
//  - trade (x == TRADE): t, i, S, L (price), l (qty), n/N (commission; N null -> ""), m, T.
//  - x TRADE_PREVENTION maps to kExpired (the order expired by self-trade prevention).
Result<ExecutionReport> decode_execution_report(std::string_view json, const Instrument& ins);

// outboundAccountPosition, wrapped or bare (§6): the assets that changed, free/locked at 10^-8,
// with decode_account's rule for amounts that do not fit (exact = false, never an error).
Result<Balances> decode_account_position(std::string_view json);

// balanceUpdate, wrapped {"subscriptionId":N,"event":{..}} (WebSocket API) or bare (legacy
// listenKey stream) (§6, user-data-stream.md "Balance Update"):
//   {"e":"balanceUpdate","E":1573200697110,"a":"BTC","d":"100.00000000","T":1573200697068}
// -> BalanceUpdate{asset a (not empty), delta_e8 = d at 10^-8 (signed: a withdrawal is negative),
// event_time_ms = E, clear_time_ms = T (both ms, not negative)}. A delta that does not fit int64
// at 10^-8 IS an error ("event.d: ..."): unlike a balance it would be folded into the books, so
// it cannot be approximated; the stream counts it (ConnectorStats::decode_errors).
Result<BalanceUpdate> decode_balance_update(std::string_view json);

// Any user-data stream frame, dispatched on the event type `e`.
enum class UserEventKind : unsigned char {
  kExecutionReport,
  kAccountPosition,
  kStreamTerminated,  // eventStreamTerminated: the subscription ended
  kServerShutdown,    // serverShutdown: reconnect
  kBalanceUpdate,     // balanceUpdate: a deposit, withdrawal or transfer (any asset)
  kOther,             // externalLockUpdate, ...: nothing for the engine
};
struct UserEvent {
  UserEventKind kind = UserEventKind::kOther;
  ExecutionReport exec;   // kExecutionReport
  Balances balances;      // kAccountPosition
  BalanceUpdate balance_update;  // kBalanceUpdate (decode_balance_update's rules)
  int64_t ts_event_ns = 0;  // E
};
Result<UserEvent> decode_user_event(std::string_view json, const Instrument& ins);
// The same for a connection serving several symbols: an executionReport decodes against the
// instrument of its symbol `s` among `instruments` (its own tick and step); a symbol not among
// them is kNotFound ("symbol XRPUSDT is not one of BTCUSDT, ETHUSDT"; with one instrument the
// message of the form above).
Result<UserEvent> decode_user_event(std::string_view json,
                                    std::span<const Instrument> instruments);

// Status names <-> enums (enums.md). Errors name the text.
Result<OrderStatus> parse_order_status(std::string_view text, int64_t executed_lots);
Result<ExecType> parse_exec_type(std::string_view text);

}  // namespace keel::exchange::binance
