// BinanceExchange: connect, the read-only calls, accessors (binance.h).
#include <chrono>

#include "binance_impl.h"
#include "keel/market/decode.h"

namespace keel::exchange::binance {
namespace {

constexpr int kTradesPageLimit = 1000;  // myTrades maximum (§5)
constexpr int kMaxTradePages = 1000;    // 10^6 trades in one call: beyond that, a venue bug

Status validate(const BinanceConfig& c) {
  for (const auto& [name, url] : {std::pair{"rest_url", &c.rest_url}, {"ws_url", &c.ws_url},
                                  {"ws_api_url", &c.ws_api_url}}) {
    auto u = parse_url(*url);
    if (!u.ok()) return u.status().With(name);
  }
  if (c.symbol.empty()) return Status::InvalidArgument("symbol: empty");
  if (c.request_timeout_ms <= 0) return Status::InvalidArgument("request_timeout_ms: not positive");
  if (c.recv_window_ms < 0 || c.recv_window_ms > 60'000) {
    return Status::InvalidArgument("recv_window_ms: must be 0..60000 (§1)");
  }
  if (c.user_stream && (c.api_key.empty() || c.api_secret.empty())) {
    return Status::InvalidArgument("api_key/api_secret: required by the user-data stream");
  }
  if (c.depth_snapshot_limit < 1 || c.depth_snapshot_limit > 5000) {
    return Status::InvalidArgument("depth_snapshot_limit: must be 1..5000 (§3)");
  }
  if (c.market_stale_ms <= 0 || c.ws_idle_timeout_ms <= 0) {
    return Status::InvalidArgument("market_stale_ms/ws_idle_timeout_ms: not positive");
  }
  if (c.market_queue_capacity == 0 || c.user_queue_capacity == 0) {
    return Status::InvalidArgument("market_queue_capacity/user_queue_capacity: zero");
  }
  if (c.backoff_base_ms <= 0 || c.backoff_cap_ms < c.backoff_base_ms) {
    return Status::InvalidArgument("backoff_base_ms/backoff_cap_ms: need 0 < base <= cap");
  }
  return Status::Ok();
}

Result<SymbolInfo> fetch_symbol_info(RestApi& rest, const std::string& symbol) {
  Query q;
  q.add("symbol", symbol);
  auto r = rest.call(Method::kGet, "/api/v3/exchangeInfo", q, Security::kNone,
                     RequestClass::kOther);
  KEEL_RETURN_IF_ERROR(query_status(r, "GET /api/v3/exchangeInfo"));
  auto info = decode_exchange_info(r.http.body, symbol);
  if (!info.ok()) return info.status().With("GET /api/v3/exchangeInfo");
  return info;
}

}  // namespace

BinanceExchange::BinanceExchange(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

BinanceExchange::~BinanceExchange() {
  impl_->sh.stop.store(true);
  {
    std::lock_guard lock(impl_->sh.mu);  // a sleeper checks `stop` under the lock
  }
  impl_->sh.cv.notify_all();
  impl_->market.reset();  // joins
  impl_->user.reset();
}

Result<std::unique_ptr<BinanceExchange>> BinanceExchange::connect(const BinanceConfig& config) {
  KEEL_RETURN_IF_ERROR(validate(config));
  std::unique_ptr<BinanceExchange> ex(new BinanceExchange(std::make_unique<Impl>(config)));
  Impl& im = *ex->impl_;
  KEEL_RETURN_IF_ERROR(im.rest.sync_time().With("connect"));
  auto info = fetch_symbol_info(im.rest, config.symbol);
  if (!info.ok()) return info.status().With("connect");
  im.sh.info = std::move(*info);
  if (!config.api_key.empty()) {
    auto b = ex->balances();
    if (!b.ok()) return b.status().With("connect");
  }
  KEEL_RETURN_IF_ERROR(im.connect_streams().With("connect"));
  im.sh.connect_returned.store(true);
  return ex;
}

Status BinanceExchange::Impl::connect_streams() {
  if (sh.cfg.market_stream) {
    market = std::make_unique<MarketStream>(sh);
    market->start();
  }
  if (sh.cfg.user_stream) {
    user = std::make_unique<UserStream>(sh);
    user->start();
  }
  if (!sh.cfg.require_streams_at_connect) return Status::Ok();
  std::unique_lock lock(sh.mu);
  // A first attempt is bounded by its handshake and subscribe deadlines.
  const auto wait = std::chrono::milliseconds(3 * sh.cfg.request_timeout_ms + 2000);
  const bool done = sh.cv.wait_for(lock, wait, [this] {
    return (!market || sh.market_first_done) && (!user || sh.user_first_done);
  });
  if (!done) return Status::IOError("streams did not connect in time");
  if (market) KEEL_RETURN_IF_ERROR(sh.market_first.With("market stream"));
  if (user) KEEL_RETURN_IF_ERROR(sh.user_first.With("user-data stream"));
  return Status::Ok();
}

std::optional<VenueError> BinanceExchange::Impl::check_symbol(const std::string& symbol) const {
  if (symbol == ins().symbol) return std::nullopt;
  return VenueError{0, -1121, "not sent: symbol " + symbol + " is not this connector's (" +
                                  ins().symbol + ")"};
}

Result<OrderReport> BinanceExchange::query_order(const std::string& symbol,
                                                 const std::string& client_order_id) {
  if (auto e = impl_->check_symbol(symbol)) return Status::InvalidArgument(e->msg);
  Query q;
  q.add("symbol", symbol).add("origClientOrderId", client_order_id);
  std::lock_guard lock(impl_->rest_mu);
  auto r = impl_->rest.call(Method::kGet, "/api/v3/order", q, Security::kSigned,
                            RequestClass::kOther);
  KEEL_RETURN_IF_ERROR(query_status(r, "GET /api/v3/order"));
  auto order = decode_order(r.http.body, impl_->ins());
  if (!order.ok()) return order.status().With("GET /api/v3/order");
  impl_->sh.remember(order->order_id, order->client_order_id);
  return order;
}

Result<std::vector<OrderReport>> BinanceExchange::open_orders(const std::string& symbol) {
  if (auto e = impl_->check_symbol(symbol)) return Status::InvalidArgument(e->msg);
  Query q;
  q.add("symbol", symbol);
  std::lock_guard lock(impl_->rest_mu);
  auto r = impl_->rest.call(Method::kGet, "/api/v3/openOrders", q, Security::kSigned,
                            RequestClass::kOther);
  KEEL_RETURN_IF_ERROR(query_status(r, "GET /api/v3/openOrders"));
  auto orders = decode_open_orders(r.http.body, impl_->ins());
  if (!orders.ok()) return orders.status().With("GET /api/v3/openOrders");
  for (const OrderReport& o : *orders) impl_->sh.remember(o.order_id, o.client_order_id);
  return orders;
}

Result<std::string> BinanceExchange::Impl::client_id_by_order_id(int64_t order_id) {
  if (auto cid = sh.client_id_of(order_id)) return *cid;
  Query q;
  q.add("symbol", ins().symbol).add("orderId", order_id);
  auto r = rest.call(Method::kGet, "/api/v3/order", q, Security::kSigned, RequestClass::kOther);
  KEEL_RETURN_IF_ERROR(query_status(r, "GET /api/v3/order?orderId=" + std::to_string(order_id)));
  auto order = decode_order(r.http.body, ins());
  if (!order.ok()) return order.status().With("GET /api/v3/order");
  sh.remember(order->order_id, order->client_order_id);
  return order->client_order_id;
}

Result<std::vector<TradeReport>> BinanceExchange::Impl::my_trades(const std::string& symbol,
                                                                  int64_t from,
                                                                  int64_t order_id) {
  const std::string what = order_id > 0 ? "GET /api/v3/myTrades?orderId" : "GET /api/v3/myTrades";
  std::vector<TradeReport> all;
  for (int page = 0;; ++page) {
    if (page == kMaxTradePages) return Status::IOError(what + ": too many pages");
    Query q;
    q.add("symbol", symbol);
    if (order_id > 0) q.add("orderId", order_id);
    // With orderId the first page has no fromId (symbol+orderId+fromId is documented too).
    if (order_id <= 0 || page > 0) q.add("fromId", from);
    q.add("limit", int64_t{kTradesPageLimit});
    auto r = rest.call(Method::kGet, "/api/v3/myTrades", q, Security::kSigned,
                       RequestClass::kOther);
    KEEL_RETURN_IF_ERROR(query_status(r, what));
    auto trades = decode_my_trades(r.http.body, ins());
    if (!trades.ok()) return trades.status().With(what);
    for (TradeReport& t : *trades) {
      if (t.trade_id < from) return Status::IOError(what + ": ids not ascending");
      if (order_id > 0 && t.order_id != order_id) return Status::IOError(what + ": foreign orderId");
      from = t.trade_id + 1;  // fromId is inclusive (§5)
      all.push_back(std::move(t));
    }
    if (trades->size() < static_cast<size_t>(kTradesPageLimit)) break;
  }
  for (TradeReport& t : all) {
    auto cid = client_id_by_order_id(t.order_id);
    if (!cid.ok()) return cid.status().With("myTrades client order id");
    t.client_order_id = *cid;
  }
  return all;
}

Result<TradePage> BinanceExchange::trades_from(const std::string& symbol, int64_t from_trade_id,
                                               size_t max_trades) {
  if (auto e = impl_->check_symbol(symbol)) return Status::InvalidArgument(e->msg);
  std::lock_guard lock(impl_->rest_mu);
  auto all = impl_->my_trades(symbol, from_trade_id < 0 ? 0 : from_trade_id, 0);
  if (!all.ok()) return all.status();
  TradePage page;
  page.more = all->size() > max_trades;
  if (page.more) all->resize(max_trades);
  page.trades = std::move(*all);
  return page;
}

Result<std::optional<TradeReport>> BinanceExchange::latest_trade(const std::string& symbol) {
  (void)symbol;
  return Status::IOError("latest_trade: not yet implemented (issue 9 connector)");
}

Result<std::vector<OrderReport>> BinanceExchange::orders_from(const std::string& symbol,
                                                              int64_t from_order_id,
                                                              size_t max_orders) {
  (void)symbol, (void)from_order_id, (void)max_orders;
  return Status::IOError("orders_from: not yet implemented (issue 9 connector)");
}

int64_t BinanceExchange::venue_time_ms() const {
  return impl_->sh.clock->realtime_ns() / 1'000'000 + impl_->sh.offset_ms.load();
}

Result<std::vector<TradeReport>> BinanceExchange::order_trades(const std::string& symbol,
                                                               int64_t order_id) {
  if (auto e = impl_->check_symbol(symbol)) return Status::InvalidArgument(e->msg);
  if (order_id <= 0) return Status::InvalidArgument("order_trades: orderId must be > 0");
  std::lock_guard lock(impl_->rest_mu);
  return impl_->my_trades(symbol, 0, order_id);
}

Result<Balances> BinanceExchange::balances() {
  std::lock_guard lock(impl_->rest_mu);
  auto r = impl_->rest.call(Method::kGet, "/api/v3/account", Query{}, Security::kSigned,
                            RequestClass::kOther);
  KEEL_RETURN_IF_ERROR(query_status(r, "GET /api/v3/account"));
  auto b = decode_account(r.http.body);
  if (!b.ok()) return b.status().With("GET /api/v3/account");
  impl_->sh.merge_balances(*b);
  return b;
}

Result<Instrument> BinanceExchange::exchange_info(const std::string& symbol) {
  std::lock_guard lock(impl_->rest_mu);
  auto info = fetch_symbol_info(impl_->rest, symbol);
  if (!info.ok()) return info.status();
  return info->instrument;
}

Result<market::DepthSnapshot> BinanceExchange::depth_snapshot() {
  Query q;
  q.add("symbol", impl_->ins().symbol).add("limit", int64_t{impl_->sh.cfg.depth_snapshot_limit});
  std::lock_guard lock(impl_->rest_mu);
  auto r = impl_->rest.call(Method::kGet, "/api/v3/depth", q, Security::kNone,
                            RequestClass::kOther);
  KEEL_RETURN_IF_ERROR(query_status(r, "GET /api/v3/depth"));
  auto ev = market::decode_message(r.http.body, impl_->sh.clock->realtime_ns());
  if (!ev.ok()) return ev.status().With("GET /api/v3/depth");
  auto* snap = std::get_if<market::DepthSnapshot>(&ev->body);
  if (snap == nullptr) return Status::InvalidArgument("GET /api/v3/depth: not a snapshot");
  return std::move(*snap);
}

void BinanceExchange::poll_user_events(std::vector<ExecutionReport>& out) {
  impl_->sh.user_q.drain(out);
}

bool BinanceExchange::next_market_event(market::MarketEvent& out, int64_t timeout_ms) {
  return impl_->sh.market_q.pop(out, timeout_ms);
}

const Instrument& BinanceExchange::instrument() const { return impl_->ins(); }
const SymbolInfo& BinanceExchange::symbol_info() const { return impl_->sh.info; }
uint64_t BinanceExchange::gap_recoveries() const { return impl_->sh.gap_recoveries.load(); }
uint64_t BinanceExchange::market_resyncs() const { return impl_->sh.market_resyncs.load(); }
RateLimitUsage BinanceExchange::rate_limits() const { return impl_->sh.gate.usage(); }
int64_t BinanceExchange::server_offset_ms() const { return impl_->sh.offset_ms.load(); }

Balances BinanceExchange::cached_balances() const {
  std::lock_guard lock(impl_->sh.mu);
  return impl_->sh.balances;
}

uint64_t BinanceExchange::rest_connections() const {
  std::lock_guard lock(impl_->rest_mu);
  return impl_->rest.connections();
}

ConnectorStats BinanceExchange::stats() const {
  const Shared& sh = impl_->sh;
  ConnectorStats s;
  s.market_connects = sh.market_connects.load();
  s.market_snapshots = sh.market_snapshots.load();
  s.market_dropped = sh.market_dropped.load();
  s.user_subscriptions = sh.user_subscriptions.load();
  s.user_dropped = sh.user_dropped.load();
  s.decode_errors = sh.decode_errors.load();
  s.pings_received = sh.pings.load();
  std::lock_guard lock(sh.mu);
  s.user_stream_error = sh.user_error;
  s.market_stream_error = sh.market_error;
  return s;
}

}  // namespace keel::exchange::binance
