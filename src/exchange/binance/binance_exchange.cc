// BinanceExchange: connect, the read-only calls, accessors (binance.h).
#include <algorithm>
#include <chrono>
#include <unordered_map>

#include "binance_impl.h"
#include "keel/market/decode.h"

namespace keel::exchange::binance {
namespace {

constexpr int64_t kPageLimit = 1000;  // myTrades and allOrders maximum `limit` (§5)
// order_trades pages one order's trades until a short page: 10^6 trades of one order would be
// a venue bug. orders_from has no `more` to report a cut, so it refuses beyond this too.
constexpr int kMaxPages = 1000;
// trades_from reads at most this many pages per call (then `more` is true): 10^6 trades.
constexpr size_t kMaxTradesPerCall = 1'000'000;

Status validate(const BinanceConfig& c) {
  for (const auto& [name, url] : {std::pair{"rest_url", &c.rest_url}, {"ws_url", &c.ws_url},
                                  {"ws_api_url", &c.ws_api_url}}) {
    auto u = parse_url(*url);
    if (!u.ok()) return u.status().With(name);
  }
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
  if (c.market_queue_capacity == 0 || c.user_queue_capacity == 0 ||
      c.balance_queue_capacity == 0) {
    return Status::InvalidArgument(
        "market_queue_capacity/user_queue_capacity/balance_queue_capacity: zero");
  }
  if (c.trade_order_queries == 0) return Status::InvalidArgument("trade_order_queries: zero");
  if (c.backoff_base_ms <= 0 || c.backoff_cap_ms < c.backoff_base_ms) {
    return Status::InvalidArgument("backoff_base_ms/backoff_cap_ms: need 0 < base <= cap");
  }
  return Status::Ok();
}

// §7: at most 1024 streams per connection, three per market symbol.
constexpr size_t kMaxMarketSymbols = 1024 / 3;

// Every name of `names` (the field `field`) non-empty and unique, each in `within` if given.
Status check_symbol_list(const std::vector<std::string>& names, const char* field,
                         const std::vector<std::string>* within) {
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string at = std::string(field) + "[" + std::to_string(i) + "]";
    if (names[i].empty()) return Status::InvalidArgument(at + ": empty");
    if (std::find(names.begin(), names.begin() + static_cast<ptrdiff_t>(i), names[i]) !=
        names.begin() + static_cast<ptrdiff_t>(i)) {
      return Status::InvalidArgument(at + ": " + names[i] + " is listed twice");
    }
    if (within != nullptr && std::find(within->begin(), within->end(), names[i]) == within->end()) {
      return Status::InvalidArgument(at + ": " + names[i] + " is not a served symbol");
    }
  }
  return Status::Ok();
}

// The config with BinanceConfig "symbols" made explicit: symbols non-empty (else {symbol}),
// symbol == symbols.front(), market_symbols (when market_stream) non-empty and served.
Result<BinanceConfig> normalized(BinanceConfig c) {
  if (c.symbols.empty()) {
    if (c.symbol.empty()) return Status::InvalidArgument("symbol: empty");
    c.symbols = {c.symbol};
  }
  KEEL_RETURN_IF_ERROR(check_symbol_list(c.symbols, "symbols", nullptr));
  if (c.symbol.empty()) c.symbol = c.symbols.front();
  if (c.symbol != c.symbols.front()) {
    return Status::InvalidArgument("symbol: " + c.symbol + " is not symbols[0] (" +
                                   c.symbols.front() + ")");
  }
  if (c.market_symbols.empty()) c.market_symbols = c.symbols;
  KEEL_RETURN_IF_ERROR(check_symbol_list(c.market_symbols, "market_symbols", &c.symbols));
  if (c.market_stream && c.market_symbols.size() > kMaxMarketSymbols) {
    return Status::InvalidArgument("market_symbols: more than " +
                                   std::to_string(kMaxMarketSymbols) +
                                   " (1024 streams per connection, §7)");
  }
  return c;
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

// Every served symbol's exchangeInfo in one request (§3: symbol= for one, symbols=["A","B"]
// for several; weight 20 either way), in the order of `symbols`.
Result<std::vector<SymbolInfo>> fetch_symbol_infos(RestApi& rest,
                                                   const std::vector<std::string>& symbols) {
  std::vector<SymbolInfo> out;
  if (symbols.size() == 1) {
    auto one = fetch_symbol_info(rest, symbols.front());
    if (!one.ok()) return one.status();
    out.push_back(std::move(*one));
    return out;
  }
  std::string list;
  for (const std::string& s : symbols) list += (list.empty() ? "[\"" : ",\"") + s + "\"";
  Query q;
  q.add("symbols", list + "]");
  auto r = rest.call(Method::kGet, "/api/v3/exchangeInfo", q, Security::kNone,
                     RequestClass::kOther);
  KEEL_RETURN_IF_ERROR(query_status(r, "GET /api/v3/exchangeInfo"));
  for (const std::string& s : symbols) {
    auto info = decode_exchange_info(r.http.body, s);
    if (!info.ok()) return info.status().With("GET /api/v3/exchangeInfo");
    out.push_back(std::move(*info));
  }
  return out;
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

Result<std::unique_ptr<BinanceExchange>> BinanceExchange::connect(const BinanceConfig& given) {
  KEEL_RETURN_IF_ERROR(validate(given));
  auto config = normalized(given);
  if (!config.ok()) return config.status();
  std::unique_ptr<BinanceExchange> ex(new BinanceExchange(std::make_unique<Impl>(*config)));
  Impl& im = *ex->impl_;
  KEEL_RETURN_IF_ERROR(im.rest.sync_time().With("connect"));
  auto infos = fetch_symbol_infos(im.rest, config->symbols);
  if (!infos.ok()) return infos.status().With("connect");
  im.sh.infos = std::move(*infos);
  for (const SymbolInfo& i : im.sh.infos) im.sh.instruments.push_back(i.instrument);
  if (!config->api_key.empty()) {
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
  if (sh.info_of(symbol) != nullptr) return std::nullopt;
  std::string served;
  for (const std::string& s : sh.cfg.symbols) served += (served.empty() ? "" : ", ") + s;
  return VenueError{0, -1121,
                    "not sent: symbol " + symbol + " is not this connector's (" + served + ")"};
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
  auto order = decode_order(r.http.body, impl_->ins(symbol));
  if (!order.ok()) return order.status().With("GET /api/v3/order");
  impl_->sh.remember(symbol, order->order_id, order->client_order_id);
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
  auto orders = decode_open_orders(r.http.body, impl_->ins(symbol));
  if (!orders.ok()) return orders.status().With("GET /api/v3/openOrders");
  for (const OrderReport& o : *orders) impl_->sh.remember(symbol, o.order_id, o.client_order_id);
  return orders;
}

Result<std::string> BinanceExchange::Impl::query_client_id(const std::string& symbol,
                                                            int64_t order_id) {
  Query q;
  q.add("symbol", symbol).add("orderId", order_id);
  auto r = rest.call(Method::kGet, "/api/v3/order", q, Security::kSigned, RequestClass::kOther);
  KEEL_RETURN_IF_ERROR(query_status(r, "GET /api/v3/order?orderId=" + std::to_string(order_id)));
  auto order = decode_order(r.http.body, ins(symbol));
  if (!order.ok()) return order.status().With("GET /api/v3/order");
  if (order->order_id != order_id) {
    return Status::IOError("GET /api/v3/order?orderId=" + std::to_string(order_id) +
                           ": the venue answered order " + std::to_string(order->order_id));
  }
  sh.remember(symbol, order->order_id, order->client_order_id);
  return order->client_order_id;
}

Result<size_t> BinanceExchange::Impl::fill_client_ids(const std::string& symbol,
                                                      std::vector<TradeReport>& trades,
                                                      size_t max_queries) {
  std::unordered_map<int64_t, std::string> queried;  // this call's answers (even an empty id)
  size_t queries = 0;
  for (size_t i = 0; i < trades.size(); ++i) {
    TradeReport& t = trades[i];
    if (auto it = queried.find(t.order_id); it != queried.end()) {
      t.client_order_id = it->second;
      continue;
    }
    if (auto cid = sh.client_id_of(symbol, t.order_id)) {
      t.client_order_id = std::move(*cid);
      continue;
    }
    if (queries == max_queries) return i;  // the budget is spent: trades[i..] keep ""
    ++queries;
    auto cid = query_client_id(symbol, t.order_id);
    if (!cid.ok()) return cid.status().With("myTrades client order id");
    queried[t.order_id] = *cid;
    t.client_order_id = std::move(*cid);
  }
  return trades.size();
}

Result<std::vector<TradeReport>> BinanceExchange::Impl::fetch_trades(const std::string& symbol,
                                                                     const Query& q,
                                                                     const std::string& what) {
  auto r = rest.call(Method::kGet, "/api/v3/myTrades", q, Security::kSigned, RequestClass::kOther);
  KEEL_RETURN_IF_ERROR(query_status(r, what));
  auto trades = decode_my_trades(r.http.body, ins(symbol));
  if (!trades.ok()) return trades.status().With(what);
  return trades;
}

Result<TradePage> BinanceExchange::trades_from(const std::string& symbol, int64_t from_trade_id,
                                               size_t max_trades) {
  if (auto e = impl_->check_symbol(symbol)) return Status::InvalidArgument(e->msg);
  const std::string what = "GET /api/v3/myTrades";
  const size_t max = std::min(max_trades, kMaxTradesPerCall);
  int64_t from = std::max<int64_t>(from_trade_id, 0);
  TradePage page;
  std::lock_guard lock(impl_->rest_mu);
  // Every request asks for a full page (limit=1000). A page shorter than that ends the venue's
  // history (more = false). Reaching `max` inside a page: the next trade exists (more = true).
  // Reaching `max` exactly at the end of a full page: one more page is read to decide.
  for (;;) {
    Query q;
    q.add("symbol", symbol).add("fromId", from).add("limit", kPageLimit);
    auto trades = impl_->fetch_trades(symbol, q, what);
    if (!trades.ok()) return trades.status();
    for (TradeReport& t : *trades) {
      if (t.trade_id < from) return Status::IOError(what + ": ids not ascending");
      from = t.trade_id + 1;  // fromId is inclusive (§5)
      if (page.trades.size() == max) {
        page.more = true;
        break;
      }
      page.trades.push_back(std::move(t));
    }
    if (page.more || trades->size() < static_cast<size_t>(kPageLimit)) break;
  }
  auto filled =
      impl_->fill_client_ids(symbol, page.trades, impl_->sh.cfg.trade_order_queries);
  if (!filled.ok()) return filled.status();
  if (*filled < page.trades.size()) {  // the rest waits for the caller's next call
    page.trades.resize(*filled);
    page.more = true;
  }
  return page;
}

Result<std::optional<TradeReport>> BinanceExchange::latest_trade(const std::string& symbol) {
  if (auto e = impl_->check_symbol(symbol)) return Status::InvalidArgument(e->msg);
  Query q;
  q.add("symbol", symbol).add("limit", int64_t{1});  // no fromId: the most recent trades (§5)
  std::lock_guard lock(impl_->rest_mu);
  auto trades = impl_->fetch_trades(symbol, q, "GET /api/v3/myTrades?limit=1");
  if (!trades.ok()) return trades.status();
  if (trades->empty()) return std::optional<TradeReport>{};
  // limit=1 gives one trade; should the venue send more, the newest is the highest id.
  auto newest = std::max_element(trades->begin(), trades->end(), [](const auto& a, const auto& b) {
    return a.trade_id < b.trade_id;
  });
  std::vector<TradeReport> one{std::move(*newest)};
  auto filled = impl_->fill_client_ids(symbol, one, 1);
  if (!filled.ok()) return filled.status();
  return std::optional<TradeReport>{std::move(one.front())};
}

Result<std::vector<OrderReport>> BinanceExchange::orders_from(const std::string& symbol,
                                                              int64_t from_order_id,
                                                              size_t max_orders) {
  if (auto e = impl_->check_symbol(symbol)) return Status::InvalidArgument(e->msg);
  const std::string what = "GET /api/v3/allOrders";
  std::vector<OrderReport> out;
  if (max_orders == 0) return out;
  int64_t from = std::max<int64_t>(from_order_id, 0);
  std::lock_guard lock(impl_->rest_mu);
  for (int page = 0;; ++page) {
    if (page == kMaxPages) return Status::IOError(what + ": too many pages");
    Query q;
    q.add("symbol", symbol).add("orderId", from).add("limit", kPageLimit);
    auto r = impl_->rest.call(Method::kGet, "/api/v3/allOrders", q, Security::kSigned,
                              RequestClass::kOther);
    KEEL_RETURN_IF_ERROR(query_status(r, what));
    auto orders = decode_open_orders(r.http.body, impl_->ins(symbol));
    if (!orders.ok()) return orders.status().With(what);
    for (OrderReport& o : *orders) {
      if (o.order_id < from) return Status::IOError(what + ": ids not ascending");
      from = o.order_id + 1;  // orderId is inclusive ("orders >= that orderId")
      impl_->sh.remember(symbol, o.order_id, o.client_order_id);
      out.push_back(std::move(o));
      if (out.size() == max_orders) return out;
    }
    if (orders->size() < static_cast<size_t>(kPageLimit)) return out;
  }
}

int64_t BinanceExchange::venue_time_ms() const { return impl_->sh.venue_ms(); }

Result<std::vector<TradeReport>> BinanceExchange::order_trades(const std::string& symbol,
                                                               int64_t order_id) {
  if (auto e = impl_->check_symbol(symbol)) return Status::InvalidArgument(e->msg);
  if (order_id <= 0) return Status::InvalidArgument("order_trades: orderId must be > 0");
  const std::string what = "GET /api/v3/myTrades?orderId";
  std::vector<TradeReport> all;
  int64_t from = 0;
  std::lock_guard lock(impl_->rest_mu);
  for (int page = 0;; ++page) {
    if (page == kMaxPages) return Status::IOError(what + ": too many pages");
    Query q;
    q.add("symbol", symbol).add("orderId", order_id);
    // The first page has no fromId (symbol+orderId+fromId is documented too, §5).
    if (page > 0) q.add("fromId", from);
    q.add("limit", kPageLimit);
    auto trades = impl_->fetch_trades(symbol, q, what);
    if (!trades.ok()) return trades.status();
    for (TradeReport& t : *trades) {
      if (t.trade_id < from) return Status::IOError(what + ": ids not ascending");
      if (t.order_id != order_id) return Status::IOError(what + ": foreign orderId");
      from = t.trade_id + 1;
      all.push_back(std::move(t));
    }
    if (trades->size() < static_cast<size_t>(kPageLimit)) break;
  }
  auto filled = impl_->fill_client_ids(symbol, all, 1);  // one order: at most one query
  if (!filled.ok()) return filled.status();
  return all;
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

Result<market::DepthSnapshot> BinanceExchange::depth_snapshot(const std::string& symbol) {
  const std::string& s = symbol.empty() ? impl_->sh.cfg.symbol : symbol;
  if (auto e = impl_->check_symbol(s)) return Status::InvalidArgument(e->msg);
  Query q;
  q.add("symbol", s).add("limit", int64_t{impl_->sh.cfg.depth_snapshot_limit});
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

void BinanceExchange::poll_balance_updates(std::vector<BalanceUpdate>& out) {
  impl_->sh.balance_q.drain(out);
}

bool BinanceExchange::next_market_event(market::MarketEvent& out, int64_t timeout_ms) {
  return impl_->sh.market_q.pop(out, timeout_ms);
}

const Instrument& BinanceExchange::instrument() const { return impl_->ins(); }
const SymbolInfo& BinanceExchange::symbol_info() const { return impl_->sh.infos.front(); }

const Instrument* BinanceExchange::instrument(const std::string& symbol) const {
  const SymbolInfo* i = impl_->sh.info_of(symbol);
  return i != nullptr ? &i->instrument : nullptr;
}

const SymbolInfo* BinanceExchange::symbol_info(const std::string& symbol) const {
  return impl_->sh.info_of(symbol);
}

std::vector<std::string> BinanceExchange::symbols() const { return impl_->sh.cfg.symbols; }
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
  s.balance_updates = sh.balance_updates.load();
  s.balance_dropped = sh.balance_dropped.load();
  s.pings_received = sh.pings.load();
  std::lock_guard lock(sh.mu);
  s.user_stream_error = sh.user_error;
  s.market_stream_error = sh.market_error;
  return s;
}

}  // namespace keel::exchange::binance
