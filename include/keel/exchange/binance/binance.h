// keel/exchange/binance/binance.h: the Binance Spot connector (reference/binance-spot.md).
//
// One connector is one account's connection and serves every symbol of BinanceConfig::symbols
// (the account's symbols; just `symbol` when that list is empty). It implements the
// synchronous Exchange interface over REST and runs two background threads for the streams.
// A request for a symbol it does not serve is refused unsent (below); every answer and event is
// decoded against its own symbol's instrument (tick, step: exchangeInfo at connect).
//
// REST (§0-§5): one keep-alive connection (reopened when closed), a deadline of
// request_timeout_ms on every request, every parameter in the query string. Signed requests
// carry X-MBX-APIKEY, recvWindow, timestamp and the signature (§1 "Timing security"):
//  - A request with a RequestStamp (OrderRequest.stamp for place and cancel_replace, the `stamp`
//    argument of cancel and amend_keep_priority) carries exactly timestamp = stamp.timestamp_ms
//    and recvWindow = stamp.recv_window_ms, the values the engine journaled before sending (W1,
//    R1). A zero field is chosen here instead: timestamp = venue_time_ms() (local realtime +
//    server offset), recvWindow = config recv_window_ms (0: not sent, the venue's 5000). A stamp
//    the venue would refuse (negative; recvWindow above 60000) is refused unsent: kRejected with
//    code -1102 / -1131 and a "not sent: ..." message.
//  - The server offset is measured by GET /api/v3/time at connect and again after any -1021.
//  - -1021 ("Timestamp for this request is outside of the recvWindow." / "...1000ms ahead of the
//    server's time.", HTTP 400) means the venue refused the request before the matching engine.
//    On a state-changing request (place, cancel, cancel_replace, amend_keep_priority) that is
//    conclusive: kRejected with the venue's HTTP status, code and message (cancel_replace: both
//    halves), never re-sent under another timestamp; the offset is re-measured for later
//    requests. A read (GET) is re-sent once with a fresh timestamp after the re-measure.
// Rate limits (§2): usage headers are exposed by rate_limits(); a 429/418 closes the gate for
// Retry-After (rate_limit.h), and requests are refused locally until it reopens.
//
// venue_time_ms() (exchange.h): local realtime (BinanceConfig::clock) + server_offset_ms(), in
// ms since the epoch. The offset is serverTime - (t0 + t1) / 2 for the GET /api/v3/time sent at
// t0 and answered at t1 (local realtime), so the estimate is off by at most half that round trip
// plus the drift of the local clock since the last measurement (at connect, after each -1021).
//
// Outcomes of place / cancel / cancel_replace / amend follow outcome.h (R1): kAccepted and
// kRejected are evidence; kUnknown (5xx, -1006, -1007, timeout or lost connection after sending,
// a 2xx whose body cannot be read) is not, and the intent stays PENDING until a query, the
// open-orders list, the trade history or the user-data stream settles it. Requests this
// connector refuses before sending (rate-limit gate, a symbol it does not serve, an invalid
// client id, a quantity of 0, an invalid stamp) are kRejected: the venue never saw them. A
// symbol not served is VenueError{0, -1121, "not sent: symbol X is not this connector's (A,
// B)"}; the read-only calls return that message as kInvalidArgument. VenueError.http_status
// is 0 for a request that got no HTTP reply.
//
// Streams (§6, §7), each on its own thread with its own connections, reconnecting with
// exponential backoff and jitter (backoff.h, capped at 30 s):
//  - Market: one combined stream /stream?streams=<a>@depth@100ms/<a>@bookTicker/<a>@trade/<b>@...
//    for the market symbols (BinanceConfig::market_symbols, §7: up to 1024 streams per
//    connection), decoded by market::decode_message; every event carries its symbol (`s`).
//    Each symbol's book is synced on its own (§7 per symbol): after its first diff of a
//    connection (and after any break in its diffs' U/u sequence, or a queue overflow, which
//    resyncs every symbol) a REST depth snapshot of that symbol (limit depth_snapshot_limit) is
//    fetched, re-fetched while its lastUpdateId < that diff's U, and queued as a DepthSnapshot
//    MarketEvent (symbol set) right after that diff, so a market::OrderBook per symbol fed with
//    that symbol's events syncs by the documented procedure. Events of a symbol not subscribed
//    are dropped. No message for market_stale_ms -> reconnect. market_resyncs() counts
//    reconnects after the first connection.
//  - User data: WebSocket API userDataStream.subscribe.signature; executionReports of the
//    served symbols go to poll_user_events() (decoded with their own symbol's instrument;
//    another symbol's are skipped, not counted: the account may trade it elsewhere),
//    outboundAccountPosition updates cached_balances(),
//    balanceUpdate events (any asset of the account: deposits, withdrawals, transfers; §6) go
//    to poll_balance_updates() through a queue of balance_queue_capacity.
//    serverShutdown / eventStreamTerminated / any transport error -> reconnect and resubscribe.
//  - Both: Beast answers server pings and sends its own after ws_idle_timeout_ms/2 of silence; no
//    frame for ws_idle_timeout_ms -> reconnect.
//
// gap_recoveries() — how the engine keeps R2 across stream gaps. The counter goes up (a) each
// time the user-data stream is subscribed again after connect() returned (events during the
// disconnection may be lost), (b) each time an executionReport or a balanceUpdate is dropped
// because its queue was full, and (c) each time a user-data event cannot be decoded (it may
// have been either; ConnectorStats::decode_errors counts it, e.g. a balanceUpdate whose delta
// does not fit int64 at 10^-8). In case (a) it goes up only AFTER the new subscription is live,
// so every event after the bump arrives by stream. A lost balanceUpdate cannot be read back by
// query: R4's comparison with GET /api/v3/account is what shows it. The engine keeps the last value it handled; when gap_recoveries() differs,
// it runs the same evidence queries as at start-up (R2) for every unresolved intent and live
// order: trades_from(last_trade_id + 1), open_orders(), and query_order() for each PENDING or
// LOCKED client order id not in the open list; each finding is journaled and applied like any
// other record (W2), de-duplicated by trade id (R3). Until then PENDING slots count at worst case.
//
// Threads: the Exchange methods are meant for one engine thread (a lock makes concurrent calls
// safe but serialised). next_market_event() and poll_user_events() may be called from any one
// consumer thread each; poll_balance_updates() likewise.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "keel/core/clock.h"
#include "keel/core/instrument.h"
#include "keel/core/status.h"
#include "keel/exchange/binance/decode.h"
#include "keel/exchange/binance/rate_limit.h"
#include "keel/exchange/exchange.h"
#include "keel/market/events.h"

namespace keel::exchange::binance {

struct BinanceConfig {
  std::string rest_url = "https://api.binance.com";            // or "http://127.0.0.1:PORT"
  std::string ws_url = "wss://stream.binance.com:9443";         // market streams base
  std::string ws_api_url = "wss://ws-api.binance.com:443/ws-api/v3";
  std::string api_key;     // X-MBX-APIKEY; empty: market data only (no account, no user stream)
  std::string api_secret;  // HMAC-SHA256 secret
  // The symbols this connection serves (one account may trade several, issue 10 item 3):
  // `symbols` in the order given, or {symbol} when `symbols` is empty. `symbol` is the primary
  // one (instrument(), symbol_info(), depth_snapshot() without an argument): empty means
  // symbols.front(), otherwise it must be symbols.front(). Symbols are unique, upper case as
  // Binance spells them ("BTCUSDT").
  std::string symbol;
  std::vector<std::string> symbols;
  // The symbols whose market streams this connection carries (when market_stream): each one of
  // the served symbols; empty: every served symbol. A process puts each symbol's stream on one
  // connection (app/run_live.cc).
  std::vector<std::string> market_symbols;
  int64_t request_timeout_ms = 10'000;  // every REST request and WebSocket handshake
  int64_t recv_window_ms = 5'000;       // §1; 0 omits recvWindow (venue default 5000)
  // A PEM file of extra trust anchors for https/wss, on top of the system CA store (a private
  // venue, tests). Empty: the system store only. Peer and host name verification stay on.
  std::string tls_ca_file;

  bool market_stream = true;
  bool user_stream = true;  // requires api_key and api_secret
  // connect() fails unless each enabled stream's first attempt succeeds (misconfiguration shows
  // at start); later failures only reconnect.
  bool require_streams_at_connect = true;
  int depth_snapshot_limit = 1000;         // GET /api/v3/depth limit (weight 50; §3)
  int64_t market_stale_ms = 30'000;        // no market message -> reconnect
  int64_t ws_idle_timeout_ms = 30'000;     // no frame at all -> reconnect (our ping at half)
  size_t market_queue_capacity = 1u << 16;  // overflow: queue cleared, book resynced
  size_t user_queue_capacity = 1u << 16;    // overflow: event dropped, gap_recoveries() + 1
  size_t balance_queue_capacity = 1u << 12;  // balanceUpdates; overflow: as user_queue_capacity
  // trades_from fills each trade's client order id from the orders this connector has seen,
  // else by GET /api/v3/order?orderId= (weight 4): at most this many such queries per call.
  size_t trade_order_queries = 100;
  int64_t backoff_base_ms = 250;
  int64_t backoff_cap_ms = 30'000;
  uint64_t backoff_seed = 0;     // 0: random
  const Clock* clock = nullptr;  // realtime for timestamps and the rate gate; nullptr: system
  // The gate of the limits Binance counts per IP (§2: request weight, 429 -1003, 418 bans),
  // shared by every account's connection of one process (they leave from one IP); null: a gate
  // of its own. The ORDERS limit (429 -1015) is per account: each connection keeps its own.
  std::shared_ptr<RateGate> ip_gate;
};

struct ConnectorStats {
  uint64_t market_connects = 0;     // successful market stream handshakes
  uint64_t market_snapshots = 0;    // depth snapshots queued
  uint64_t market_dropped = 0;      // market events cleared by queue overflow
  uint64_t user_subscriptions = 0;  // successful user-data subscriptions
  uint64_t user_dropped = 0;        // executionReports dropped by queue overflow
  uint64_t balance_updates = 0;     // balanceUpdate events decoded (queued or dropped)
  uint64_t balance_dropped = 0;     // balanceUpdate events dropped by queue overflow
  uint64_t decode_errors = 0;       // stream messages that failed to decode (skipped)
  uint64_t pings_received = 0;      // server pings received (Beast answers each with a pong)
  std::string user_stream_error;    // the last user-stream failure, "" if none
  std::string market_stream_error;  // the last market-stream failure, "" if none
};

class BinanceExchange final : public Exchange {
 public:
  // Validates the config, measures the server time offset, reads exchangeInfo for the served
  // symbols (one GET /api/v3/exchangeInfo, weight 20: ?symbol= for one, ?symbols=["A","B"]
  // for several, §3; a symbol the venue does not list fails connect), reads the account (when api_key is set: checks the key, primes cached_balances()), starts
  // the streams. Errors: kInvalidArgument naming the config field; otherwise the failing step.
  static Result<std::unique_ptr<BinanceExchange>> connect(const BinanceConfig& config);
  ~BinanceExchange() override;  // stops and joins the stream threads

  // Exchange (exchange.h). Each method's endpoint: POST /api/v3/order (LIMIT_MAKER,
  // newOrderRespType=RESULT, no timeInForce), DELETE /api/v3/order, POST
  // /api/v3/order/cancelReplace (STOP_ON_FAILURE), GET /api/v3/order, GET /api/v3/openOrders,
  // GET /api/v3/myTrades, GET /api/v3/allOrders, GET /api/v3/account. place, cancel and
  // cancel_replace are signed with the request's stamp (header comment "REST").
  PlaceResult place(const OrderRequest& req) override;
  CancelResult cancel(const std::string& symbol, const std::string& client_order_id,
                      RequestStamp stamp = {}) override;
  ReplaceResult cancel_replace(const std::string& cancel_client_order_id,
                               const OrderRequest& replacement) override;
  // kNotFound for -2013; kRejected for other 4xx; kIOError when no reply or 5xx.
  Result<OrderReport> query_order(const std::string& symbol,
                                  const std::string& client_order_id) override;
  Result<std::vector<OrderReport>> open_orders(const std::string& symbol) override;
  // GET /api/v3/myTrades?symbol=&fromId=&limit=1000 (weight 20 each; fromId inclusive, §5),
  // fromId = max(from_trade_id, 0) then last id + 1, ascending (a descending id is kIOError).
  // At most min(max_trades, 10^6) trades. `more` is exact, by the paging: every request asks
  // for 1000; a shorter page is the end of the venue's history (more = false); a trade beyond
  // the bound seen in a page means more = true; when the bound falls exactly at the end of a
  // full page, one more page is read to decide (so max_trades = 0 costs one request).
  // myTrades has no client order id: each trade's is filled from the orders this connector has
  // seen (placed, queried, listed, streamed), else by GET /api/v3/order?orderId= (weight 4), at
  // most config trade_order_queries such queries per call. When that budget runs out, the page
  // ends before the first trade whose id it could not fill, with more = true: every returned
  // trade has its client order id and the caller continues at the last id + 1 (each call makes
  // progress: its first trade is always filled). Errors: kInvalidArgument for a symbol not served;
  // the failing request's Status otherwise (query_order's contract).
  Result<TradePage> trades_from(const std::string& symbol, int64_t from_trade_id,
                                size_t max_trades) override;
  // GET /api/v3/myTrades?symbol=&limit=1 (no fromId: Binance returns the most recent trades,
  // rest-api.md "Account trade list"): the newest trade (highest id, should the venue send
  // more than one), its client order id filled as in trades_from (at most one query); nullopt
  // when the account has no trade on the symbol.
  Result<std::optional<TradeReport>> latest_trade(const std::string& symbol) override;
  // GET /api/v3/allOrders?symbol=&orderId=&limit=1000 (weight 20 each; "orders >= that
  // orderId", rest-api.md "All orders"), orderId = max(from_order_id, 0) then last id + 1,
  // until a page shorter than 1000 or max_orders orders; ascending by order id (a descending id
  // is kIOError). Elements decode as GET /api/v3/order (decode_open_orders), of any type and
  // status, and their client order ids are remembered for trades_from. More than 1000 pages in
  // one call (10^6 orders) is kIOError: ask with a smaller max_orders.
  Result<std::vector<OrderReport>> orders_from(const std::string& symbol, int64_t from_order_id,
                                               size_t max_orders) override;
  // Local realtime + server_offset_ms() (header comment "venue_time_ms()").
  int64_t venue_time_ms() const override;
  // GET /api/v3/myTrades?symbol=&orderId= (then &fromId=, pages of 1000), every trade of one
  // order; its client order id filled as in trades_from.
  Result<std::vector<TradeReport>> order_trades(const std::string& symbol,
                                                int64_t order_id) override;
  // GET /api/v3/account: every asset the account holds, including amounts that do not fit
  // int64 at 10^-8 (AssetBalance.exact = false, never an error: decode_account).
  Result<Balances> balances() override;
  void poll_user_events(std::vector<ExecutionReport>& out) override;
  // Moves the queued balanceUpdate events (decode_balance_update) into `out`, arrival order.
  void poll_balance_updates(std::vector<BalanceUpdate>& out) override;

  // PUT /api/v3/order/amend/keepPriority: new_qty_lots must be below the order's quantity; the
  // client order id is kept (sent again as newClientOrderId); signed with `stamp` (as cancel).
  AmendResult amend_keep_priority(const std::string& symbol, const std::string& client_order_id,
                                  int64_t new_qty_lots, RequestStamp stamp = {}) override;
  // exchangeInfo's amendAllowed for `symbol` (read at connect); false for a symbol not served.
  bool amend_allowed(const std::string& symbol) const override;
  // GET /api/v3/exchangeInfo?symbol=: tick, step, minQty, minNotional of any symbol.
  Result<Instrument> exchange_info(const std::string& symbol);
  // GET /api/v3/depth?symbol=&limit=depth_snapshot_limit, for `symbol` (empty: the primary
  // symbol). kInvalidArgument for a symbol not served.
  Result<market::DepthSnapshot> depth_snapshot(const std::string& symbol = {});

  // Waits up to timeout_ms for the next market event (diffs, bookTicker, trades, snapshots) of
  // any market symbol, in arrival order; MarketEvent::symbol says whose.
  bool next_market_event(market::MarketEvent& out, int64_t timeout_ms);

  // From exchangeInfo at connect: the primary symbol's (BinanceConfig::symbol), or `symbol`'s
  // (nullptr when this connection does not serve it).
  const Instrument& instrument() const;
  const SymbolInfo& symbol_info() const;
  const Instrument* instrument(const std::string& symbol) const;
  const SymbolInfo* symbol_info(const std::string& symbol) const;
  // The served symbols, primary first (BinanceConfig "symbols").
  std::vector<std::string> symbols() const;
  uint64_t gap_recoveries() const;       // see the header comment
  uint64_t market_resyncs() const;       // market stream reconnects after the first
  RateLimitUsage rate_limits() const;    // last X-MBX-USED-WEIGHT-1M / ORDER-COUNT-10S / -1D
  Balances cached_balances() const;      // account at connect + outboundAccountPosition since
  int64_t server_offset_ms() const;      // server time - local time, last measured
  uint64_t rest_connections() const;     // TCP connections opened by the engine-thread client
  ConnectorStats stats() const;

  struct Impl;

 private:
  explicit BinanceExchange(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace keel::exchange::binance
