// Private: the connector's shared state, its signed REST layer and its stream threads.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "keel/exchange/binance/backoff.h"
#include "keel/exchange/binance/binance.h"
#include "keel/exchange/binance/bounded_queue.h"
#include "keel/exchange/binance/request.h"
#include "rest_client.h"
#include "ws_client.h"

namespace keel::exchange::binance {

// State shared by the engine thread and the stream threads.
struct Shared {
  // REQUIRES: `c` normalised by connect(): symbols non-empty, symbol == symbols.front(),
  // market_symbols non-empty when market_stream.
  explicit Shared(const BinanceConfig& c);

  BinanceConfig cfg;
  Url rest_url, ws_url, ws_api_url;
  const Clock* clock;
  RateGate gate;                     // this account's: the ORDERS limit (429 -1015)
  std::shared_ptr<RateGate> ip_gate;  // the IP's: request weight, bans (cfg.ip_gate or its own)
  std::atomic<int64_t> offset_ms{0};  // server time - local realtime
  // cfg.symbols' exchangeInfo, in that order (infos[0]: the primary symbol), and their
  // instruments (the user stream's decoder takes them as a span). Written once in connect(),
  // before the streams start; read-only after.
  std::vector<SymbolInfo> infos;
  std::vector<Instrument> instruments;

  BoundedQueue<market::MarketEvent> market_q;
  BoundedQueue<ExecutionReport> user_q;
  BoundedQueue<BalanceUpdate> balance_q;
  std::atomic<bool> stop{false};
  std::atomic<bool> connect_returned{false};

  std::atomic<uint64_t> gap_recoveries{0}, market_resyncs{0};
  std::atomic<uint64_t> market_connects{0}, market_snapshots{0}, market_dropped{0};
  std::atomic<uint64_t> user_subscriptions{0}, user_dropped{0}, decode_errors{0};
  std::atomic<uint64_t> balance_updates{0}, balance_dropped{0};
  std::atomic<uint64_t> pings{0};  // server pings answered, both streams

  mutable std::mutex mu;  // guards everything below
  std::condition_variable cv;
  Balances balances;
  // Client order id by symbol and venue order id (Binance numbers orders per symbol), at most
  // kMaxOrderIds in all (cid_count): a cache, refilled by query when cleared.
  std::unordered_map<std::string, std::unordered_map<int64_t, std::string>> cid_by_order_id;
  size_t cid_count = 0;
  std::string user_error, market_error;
  bool user_first_done = false, market_first_done = false;
  Status user_first, market_first;

  static constexpr size_t kMaxOrderIds = 200'000;

  int64_t wall_ms() const { return clock->realtime_ns() / 1'000'000; }
  int64_t venue_ms() const { return wall_ms() + offset_ms.load(); }
  // The exchangeInfo of a served symbol; nullptr for any other.
  const SymbolInfo* info_of(std::string_view symbol) const;
  void remember(const std::string& symbol, int64_t order_id, const std::string& client_order_id);
  std::optional<std::string> client_id_of(const std::string& symbol, int64_t order_id) const;
  void merge_balances(const Balances& changed);
  // Records a stream's first attempt (connect() waits on it) and its last error.
  void stream_result(bool user, const Status& s);
  // Sleeps up to ms, returning early (true) when stopping.
  bool sleep_or_stop(int64_t ms);
};

enum class Security : unsigned char { kNone, kApiKey, kSigned };

// A RestClient plus signing, the rate gate and the -1021 resync. One per thread.
class RestApi {
 public:
  struct Reply {
    HttpReply http;
    std::optional<RateGate::Refusal> refused;  // set: never sent
    std::optional<ErrorBody> error;            // the body's {"code","msg"} on a non-2xx reply
  };
  explicit RestApi(Shared& sh);
  // A signed request carries `stamp`'s timestamp / recvWindow where they are non-zero, else
  // local realtime + offset / the configured recvWindow. A -1021 answer re-measures the offset;
  // a GET without a stamp is then sent once more, any other request is not (binance.h).
  Reply call(Method method, std::string_view path, const Query& query, Security sec,
             RequestClass cls, RequestStamp stamp = {});
  Status sync_time();  // GET /api/v3/time -> sh.offset_ms
  uint64_t connections() const { return client_.connections_opened(); }

 private:
  Reply once(Method method, std::string_view path, const Query& query, Security sec,
             RequestClass cls, RequestStamp stamp);
  Shared& sh_;
  RestClient client_;
};

bool is_2xx(int status);
// The outcome of a state-changing call (outcome.h) and the error to report with it.
struct Verdict {
  Outcome outcome = Outcome::kUnknown;
  VenueError error;
};
Verdict verdict_of(const RestApi::Reply& r);
// A read-only call's failure as a Status (binance.h: query_order's contract); Ok on 2xx.
Status query_status(const RestApi::Reply& r, std::string_view what);

// The market-data thread (binance.h "Streams").
class MarketStream {
 public:
  explicit MarketStream(Shared& sh);
  ~MarketStream();  // REQUIRES: sh.stop set
  void start();

 private:
  // One market symbol's diff sequence on the current connection (§7, per symbol).
  struct Sync {
    int64_t last_u = -1;     // u of the symbol's last diff on this connection
    bool need_snapshot = true;
  };
  using Syncs = std::unordered_map<std::string, Sync>;  // by market symbol, all of them
  void run();
  Status session(RestApi& rest, Backoff& backoff);
  Status on_message(std::string_view msg, RestApi& rest, Syncs& syncs);
  Status resync(RestApi& rest, const std::string& symbol, int64_t first_update_id);
  // false: dropped (queue full, now cleared: every symbol needs a snapshot again).
  bool push(market::MarketEvent ev, Syncs& syncs);
  Shared& sh_;
  std::thread thread_;
};

// The user-data thread (binance.h "Streams").
class UserStream {
 public:
  explicit UserStream(Shared& sh);
  ~UserStream();  // REQUIRES: sh.stop set
  void start();

 private:
  void run();
  Status session(RestApi& rest, Backoff& backoff);
  Status subscribe(WsClient& ws, RestApi& rest);
  // Reads frames until the WebSocket API response with `id` (handling events meanwhile).
  Result<WsApiResponse> await_response(WsClient& ws, const std::string& id, io::Deadline d);
  Status read_events(WsClient& ws);
  // One frame: an event is queued / cached; a reply is ignored. Errors end the session.
  Status handle_frame(std::string_view msg);
  void on_subscribed();
  Shared& sh_;
  std::thread thread_;
  uint64_t request_seq_ = 0;
};

struct BinanceExchange::Impl {
  explicit Impl(const BinanceConfig& cfg) : sh(cfg), rest(sh) {}
  Shared sh;
  mutable std::mutex rest_mu;  // the engine-thread REST connection, one request at a time
  RestApi rest;
  std::unique_ptr<MarketStream> market;
  std::unique_ptr<UserStream> user;

  const Instrument& ins() const { return sh.infos.front().instrument; }  // the primary symbol's
  // A served symbol's instrument. REQUIRES: check_symbol(symbol) passed.
  const Instrument& ins(const std::string& symbol) const { return sh.info_of(symbol)->instrument; }
  // A refusal before sending: a symbol not served, a bad client id, a non-positive price/qty.
  std::optional<VenueError> check_order(const OrderRequest& req) const;
  std::optional<VenueError> check_symbol(const std::string& symbol) const;
  // A stamp the venue would refuse (negative, recvWindow above 60000: §1): refused unsent.
  static std::optional<VenueError> check_stamp(const RequestStamp& stamp);
  // GET /api/v3/order?symbol=&orderId= -> its client order id (remembered). REQUIRES: rest_mu
  // held, `symbol` served.
  Result<std::string> query_client_id(const std::string& symbol, int64_t order_id);
  // Fills client_order_id of trades[0..] (all of `symbol`) in order: from the orders this
  // connector has seen, else by query_client_id, at most `max_queries` queries. Returns how
  // many leading trades got their id (all of them unless the budget ran out first).
  // REQUIRES: rest_mu held, `symbol` served.
  Result<size_t> fill_client_ids(const std::string& symbol, std::vector<TradeReport>& trades,
                                 size_t max_queries);
  // One GET /api/v3/myTrades request with `q` (symbol=`symbol`); `what` names it in errors.
  // REQUIRES: rest_mu held, `symbol` served.
  Result<std::vector<TradeReport>> fetch_trades(const std::string& symbol, const Query& q,
                                                const std::string& what);
  Status connect_streams();
};

}  // namespace keel::exchange::binance
