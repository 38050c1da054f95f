// keel/exchange/exchange.h: the venue interface the engine talks to.
//
// Implementations: sim::SimExchange (embedded, in-process, deterministic) and, later, the Binance
// connector. All quantities are in the instrument's ticks and lots; amounts *_e8.
// Outcome semantics (DESIGN.md R1; reference/binance-spot.md §0):
//  - kAccepted / kRejected are evidence; kUnknown (5xx, -1006, -1007, timeout after send) is not:
//    the caller keeps the intent PENDING until a query, the open-orders list or the trade history
//    settles it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "keel/core/instrument.h"
#include "keel/core/status.h"

namespace keel::exchange {

// Binance order status (enums.md), the subset a post-only maker sees.
enum class OrderStatus : unsigned char {
  kNew = 0,
  kPartiallyFilled = 1,
  kFilled = 2,
  kCanceled = 3,
  kRejected = 4,
  kExpired = 5,
};
const char* order_status_name(OrderStatus s);  // "NEW", "PARTIALLY_FILLED", ...
bool is_open(OrderStatus s);                   // NEW or PARTIALLY_FILLED

// The timing parameters of a signed request (binance-spot.md §1 "Timing security"), chosen and
// journaled by the engine BEFORE the request leaves (W1), so that evidence of absence can be
// judged later (R1): Binance re-checks `serverTime - timestamp <= recvWindow` just before the
// matching engine, so a request can no longer execute once the venue's clock has passed
// timestamp_ms + recv_window_ms. Both in milliseconds of the venue's clock (Exchange::
// venue_time_ms). 0 lets the connector choose (timestamp: its estimate of the venue clock now;
// recvWindow: its configured default).
struct RequestStamp {
  int64_t timestamp_ms = 0;
  int64_t recv_window_ms = 0;
};

// A place request: always LIMIT_MAKER (post-only; GTC by nature, no timeInForce sent).
struct OrderRequest {
  std::string symbol;
  Side side = Side::kBuy;
  int64_t price_ticks = 0;
  int64_t qty_lots = 0;
  std::string client_order_id;  // newClientOrderId, keel's journal-derived id (W5)
  RequestStamp stamp;           // sent verbatim as timestamp / recvWindow when non-zero
};

// The exchange's view of one order (GET /api/v3/order, openOrders element).
struct OrderReport {
  std::string symbol;
  int64_t order_id = 0;
  std::string client_order_id;
  Side side = Side::kBuy;
  int64_t price_ticks = 0;
  int64_t qty_lots = 0;
  int64_t executed_lots = 0;
  OrderStatus status = OrderStatus::kNew;
  int64_t ts_update_ns = 0;  // exchange time of the last change
};

// One execution (GET /api/v3/myTrades element).
struct TradeReport {
  std::string symbol;
  int64_t trade_id = 0;  // unique per symbol; fills are de-duplicated by it (R3)
  int64_t order_id = 0;
  std::string client_order_id;
  Side side = Side::kBuy;
  int64_t price_ticks = 0;
  int64_t qty_lots = 0;
  int64_t commission_e8 = 0;
  std::string commission_asset;
  bool is_maker = true;
  int64_t ts_exchange_ns = 0;
};

// A Binance error: HTTP status, code and message exactly as the venue says them
// (e.g. 400, -2010, "Order would immediately match and take.").
struct VenueError {
  int http_status = 0;
  int code = 0;
  std::string msg;
};

enum class Outcome : unsigned char { kAccepted = 0, kRejected = 1, kUnknown = 2 };

struct PlaceResult {
  Outcome outcome = Outcome::kUnknown;
  OrderReport order;  // valid when kAccepted
  VenueError error;   // valid when kRejected or kUnknown
};

struct CancelResult {
  Outcome outcome = Outcome::kUnknown;
  OrderReport order;  // the canceled order (status CANCELED) when kAccepted
  VenueError error;   // -2011 "Unknown order sent." when already filled/canceled/unknown
};

// POST /api/v3/order/cancelReplace with STOP_ON_FAILURE.
struct ReplaceResult {
  Outcome cancel_outcome = Outcome::kUnknown;
  Outcome place_outcome = Outcome::kUnknown;  // kRejected with code 0 when NOT_ATTEMPTED
  OrderReport canceled;
  OrderReport placed;
  VenueError error;
};

// PUT /api/v3/order/amend/keepPriority (binance-spot.md §4): reduce quantity, keep priority.
struct AmendResult {
  Outcome outcome = Outcome::kUnknown;
  OrderReport order;  // the amended order when kAccepted (qty_lots: its new quantity)
  VenueError error;
};

// executionReport (user-data stream), reduced to what the engine folds.
enum class ExecType : unsigned char { kNew, kCanceled, kReplaced, kRejected, kTrade, kExpired };
struct ExecutionReport {
  ExecType exec_type = ExecType::kNew;
  OrderReport order;
  TradeReport trade;  // valid when exec_type == kTrade
};

// One asset of GET /api/v3/account (or outboundAccountPosition). Amounts at 10^-8. An amount the
// venue reports that does not fit int64 at 10^-8 (above ~9.2e10 units: an airdropped token) is
// never an error: the asset is kept with exact = false and both amounts 0, so that a foreign
// balance cannot stop start-up; keel trades no such asset (R4 reports one it would need).
struct AssetBalance {
  int64_t free_e8 = 0;
  int64_t locked_e8 = 0;
  bool exact = true;
};
using Balances = std::map<std::string, AssetBalance>;  // asset -> balance, ordered

// A bounded slice of GET /api/v3/myTrades (ascending by trade id). `more`: the venue holds
// further trades after the last one returned (the caller continues with fromId = last + 1).
struct TradePage {
  std::vector<TradeReport> trades;
  bool more = false;
};

// balanceUpdate (user-data stream, binance-spot.md §6): a change of one asset's balance that is
// not a trade: a deposit, a withdrawal, a transfer between accounts. delta_e8 is signed.
struct BalanceUpdate {
  std::string asset;
  int64_t delta_e8 = 0;
  int64_t event_time_ms = 0;  // E
  int64_t clear_time_ms = 0;  // T
};

class Exchange {
 public:
  virtual ~Exchange() = default;
  // POST /api/v3/order type=LIMIT_MAKER.
  virtual PlaceResult place(const OrderRequest& req) = 0;
  // DELETE /api/v3/order by origClientOrderId, signed with `stamp` (see RequestStamp).
  virtual CancelResult cancel(const std::string& symbol, const std::string& client_order_id,
                              RequestStamp stamp = {}) = 0;
  // POST /api/v3/order/cancelReplace, cancelReplaceMode=STOP_ON_FAILURE.
  virtual ReplaceResult cancel_replace(const std::string& cancel_client_order_id,
                                       const OrderRequest& replacement) = 0;
  // True when `symbol` allows order.amend.keepPriority (exchangeInfo amendAllowed of that
  // symbol; a connection may serve several). The engine asks with the task's symbol.
  virtual bool amend_allowed(const std::string& symbol) const {
    (void)symbol;
    return false;
  }
  // PUT /api/v3/order/amend/keepPriority: the open order `client_order_id` keeps its id, price
  // and queue position and its quantity becomes new_qty_lots (fills included; executed <
  // new_qty_lots < its quantity), signed with `stamp`. Default: refused as Binance refuses it
  // for a symbol without amendAllowed (400, -2038).
  virtual AmendResult amend_keep_priority(const std::string& symbol,
                                          const std::string& client_order_id,
                                          int64_t new_qty_lots, RequestStamp stamp = {}) {
    (void)symbol, (void)client_order_id, (void)new_qty_lots, (void)stamp;
    return {Outcome::kRejected, {}, {400, -2038, "Order amend is not supported for this symbol."}};
  }
  // GET /api/v3/order by origClientOrderId; kNotFound (-2013) when the venue never saw it.
  virtual Result<OrderReport> query_order(const std::string& symbol,
                                          const std::string& client_order_id) = 0;
  // GET /api/v3/openOrders?symbol=.
  virtual Result<std::vector<OrderReport>> open_orders(const std::string& symbol) = 0;
  // GET /api/v3/myTrades?symbol=&fromId= (inclusive), ascending by trade id, in pages of 1000,
  // at most `max_trades` trades (then `more` says whether the venue holds further ones).
  virtual Result<TradePage> trades_from(const std::string& symbol, int64_t from_trade_id,
                                        size_t max_trades) = 0;
  // GET /api/v3/myTrades?symbol=&limit=1 (no fromId: the most recent trades): the account's
  // newest trade on `symbol`, nullopt when it has none. A new journal's trade-id watermark, so
  // that an account with a long history is never paged from fromId=1.
  virtual Result<std::optional<TradeReport>> latest_trade(const std::string& symbol) = 0;
  // GET /api/v3/allOrders?symbol=&orderId=&limit= (weight 20): the account's orders with id >=
  // from_order_id, ascending by order id, at most max_orders (pages of 1000). Used to find the
  // orders of keel's epoch that a journal restored from an older copy does not hold.
  virtual Result<std::vector<OrderReport>> orders_from(const std::string& symbol,
                                                       int64_t from_order_id,
                                                       size_t max_orders) = 0;
  // GET /api/v3/myTrades?symbol=&orderId= (weight 5): every trade of one order (venue order id),
  // ascending by trade id. Used by reconciliation when an order's executedQty exceeds the fills
  // the journal holds and the missing trade lies below the trade-id watermark.
  virtual Result<std::vector<TradeReport>> order_trades(const std::string& symbol,
                                                        int64_t order_id) = 0;
  // GET /api/v3/account balances.
  virtual Result<Balances> balances() = 0;
  // Moves user-data events received since the last call into `out` (appends), in arrival order.
  virtual void poll_user_events(std::vector<ExecutionReport>& out) = 0;
  // Moves balanceUpdate events received since the last call into `out` (appends): deposits,
  // withdrawals, transfers (the embedded sim: its deposit() calls). Default: none.
  virtual void poll_balance_updates(std::vector<BalanceUpdate>& out) { (void)out; }
  // The venue's clock as this connector knows it, in ms since the Unix epoch: Binance, local
  // realtime + the server-time offset last measured (GET /api/v3/time); the simulated exchange,
  // its virtual clock (the recording's exchange time). Request stamps and R1's "can no longer
  // execute" test use it.
  virtual int64_t venue_time_ms() const = 0;
  // True when every request is executed (or refused) before its call returns and never later:
  // then an order the venue does not know was never placed and never will be (R1's evidence of
  // absence is conclusive at once). The embedded simulated exchange; not a network venue.
  virtual bool answers_synchronously() const { return false; }
  // True when the venue is code in this process (the embedded simulated exchange, a test double
  // over it): the engine calls it from its own thread, in lock-step with the market replay. A
  // network venue (false) gets its requests from a session thread per account, so a slow
  // account delays nobody else (engine/engine.h).
  virtual bool in_process() const { return false; }
};

}  // namespace keel::exchange
