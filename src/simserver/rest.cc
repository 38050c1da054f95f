// REST routing, authentication (binance-spot.md §1) and the shared helpers (rest.h).
#include <charconv>
#include <exception>

#include "auth.h"
#include "keel/exchange/binance/signing.h"
#include "rest_internal.h"

namespace keel::simserver {

int64_t WeightMeter::add(int64_t weight, int64_t wall_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  const int64_t minute = wall_ms / 60'000;
  if (minute != minute_) {
    minute_ = minute;
    used_ = 0;
  }
  used_ += weight;
  return used_;
}

namespace rest {
namespace {

enum class Security : unsigned char { kNone, kApiKey, kSigned };

struct Route {
  const char* method;
  const char* path;
  Security security;
  int64_t weight;
  void (*handler)(Call&);
};

constexpr Route kRoutes[] = {
    {"GET", "/api/v3/ping", Security::kNone, 1, ping},
    {"GET", "/api/v3/time", Security::kNone, 1, server_time},
    {"GET", "/api/v3/exchangeInfo", Security::kNone, 20, exchange_info},
    {"GET", "/api/v3/depth", Security::kNone, 5, depth},
    {"GET", "/api/v3/ticker/bookTicker", Security::kNone, 2, book_ticker},
    {"GET", "/api/v3/account", Security::kSigned, 20, account},
    {"POST", "/api/v3/order", Security::kSigned, 1, new_order},
    {"DELETE", "/api/v3/order", Security::kSigned, 1, cancel_order},
    {"GET", "/api/v3/order", Security::kSigned, 4, query_order},
    {"POST", "/api/v3/order/cancelReplace", Security::kSigned, 1, cancel_replace},
    {"PUT", "/api/v3/order/amend/keepPriority", Security::kSigned, 4, amend_keep_priority},
    {"GET", "/api/v3/openOrders", Security::kSigned, 6, open_orders},
    {"DELETE", "/api/v3/openOrders", Security::kSigned, 1, cancel_open_orders},
    {"GET", "/api/v3/myTrades", Security::kSigned, 20, my_trades},
    {"GET", "/api/v3/allOrders", Security::kSigned, 20, all_orders},
    {"POST", "/api/v3/userDataStream", Security::kApiKey, 2, user_stream_create},
    {"PUT", "/api/v3/userDataStream", Security::kApiKey, 2, user_stream_keepalive},
    {"DELETE", "/api/v3/userDataStream", Security::kApiKey, 2, user_stream_close},
    {"GET", "/sim/v1/truth", Security::kNone, 0, truth},
    {"POST", "/sim/v1/pause", Security::kNone, 0, market_pause},
    {"POST", "/sim/v1/resume", Security::kNone, 0, market_resume},
    {"POST", "/sim/v1/deposit", Security::kNone, 0, deposit},
};

const Route* find_route(std::string_view method, std::string_view path) {
  for (const Route& r : kRoutes) {
    if (method == r.method && path == r.path) return &r;
  }
  return nullptr;
}

std::optional<ApiError> check_api_key(Call& c) {
  if (!c.req.has_api_key || c.req.api_key.empty()) return err::key_format();
  auto account = c.venue().find_by_key(c.req.api_key);
  if (!account) return err::key_rejected();
  c.account = *account;
  return std::nullopt;
}

std::optional<ApiError> check_signed(Call& c) {
  if (auto e = check_api_key(c)) return e;
  if (c.given("timestamp") == nullptr) return err::mandatory("timestamp");
  const std::string* sig = c.given("signature");
  if (sig == nullptr) return err::mandatory("signature");
  const std::string expected = exchange::binance::hmac_sha256_hex(
      c.venue().config(c.account).secret, c.params.signature_payload());
  if (!exchange::binance::signature_equal(expected, *sig)) return err::bad_signature();
  return check_timing(c.given("timestamp"), c.given("recvWindow"),
                      c.ctx.clock.realtime_ns() / 1000);
}

void dispatch(Call& c, std::string_view path, std::string_view query) {
  const Route* route = find_route(c.req.method, path);
  if (route == nullptr) return reply_error(c, err::unsupported());
  c.weight = route->weight;
  c.handler = route->handler;
  const std::string_view body = c.req.method == "GET" ? std::string_view() : c.req.body;
  if (auto e = Params::parse(query, body, c.params)) return reply_error(c, *e);
  // Every cancel the client sent counts, whatever refuses it below (the truth's cancelRequests).
  if (route->handler == cancel_order || route->handler == cancel_replace) {
    count_cancel_request(c, route->handler == cancel_replace);
  }
  if (path.rfind("/api/", 0) == 0 && c.venue().request_faults().draw_rate_limit()) {
    c.reply.headers.emplace_back("Retry-After", "1");
    return reply_error(c, err::too_much_weight());
  }
  std::optional<ApiError> denied;
  if (route->security == Security::kApiKey) denied = check_api_key(c);
  if (route->security == Security::kSigned) denied = check_signed(c);
  if (denied) return reply_error(c, *denied);
  route->handler(c);
}

}  // namespace

void reply_json(Call& c, std::string body, int status) {
  c.reply.status = status;
  c.reply.body = std::move(body);
}

void reply_error(Call& c, const ApiError& e) { reply_json(c, error_body(e), e.http_status); }

std::optional<ApiError> check_symbol(Call& c) {
  const std::string* s = c.given("symbol");
  if (s == nullptr) return err::mandatory("symbol");
  c.instrument = c.ctx.venue.instrument(*s);
  if (c.instrument == nullptr) return err::bad_symbol();
  return std::nullopt;
}

std::optional<ApiError> int_param(const Call& c, std::string_view name,
                                  std::optional<int64_t>& out) {
  out.reset();
  const std::string* v = c.param(name);
  if (v == nullptr) return std::nullopt;
  int64_t n = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (v->empty() || ec != std::errc() || p != v->data() + v->size() || n < 0) {
    return err::illegal(name, "^[0-9]{1,20}$");
  }
  out = n;
  return std::nullopt;
}

namespace {

// Runs a late request's endpoint again, `late_ms` after it was answered, unless the wall clock
// is then past its timestamp + recvWindow (Binance's re-check before the matching engine).
// The copies own everything the run needs; the reply goes nowhere.
void schedule_late(Call& c) {
  auto lock = c.venue().lock();
  VenueAccount& a = c.venue().account(c.account);
  if (c.ctx.late == nullptr) return;  // no executor (never in a running server): never executes
  ++a.late_pending;
  const std::optional<int64_t> deadline_us =
      request_deadline_us(c.given("timestamp"), c.given("recvWindow"));
  auto run = [ctx = c.ctx, req = c.req, account = c.account, handler = c.handler,
              deadline_us]() mutable {
    const int64_t now_us = ctx.clock.realtime_ns() / 1000;
    {
      auto guard = ctx.venue.lock();
      VenueAccount& acct = ctx.venue.account(account);
      --acct.late_pending;
      if (!deadline_us || now_us > *deadline_us) {
        ++acct.late_expired;  // recvWindow has passed: never executed
        return;
      }
      ++acct.late_executed;
    }
    Call late{ctx, req, {}, now_us / 1000, account, 1, {}};
    late.handler = handler;
    late.late = true;
    const size_t q = req.target.find('?');
    const std::string_view target(req.target);
    const std::string_view query = q == std::string::npos ? std::string_view() : target.substr(q + 1);
    const std::string_view body = req.method == "GET" ? std::string_view() : req.body;
    if (Params::parse(query, body, late.params)) return;  // parsed at receipt: cannot fail
    try {
      handler(late);
    } catch (const std::exception&) {  // as handle_rest: nothing escapes (allocation failure)
    }
  };
  c.ctx.late->schedule(std::chrono::milliseconds(c.venue().request_faults().late_ms()),
                       std::move(run));
}

}  // namespace

bool fault_stops(Call& c, bool can_reject, OrderFault& fault, bool& as_timeout, bool can_delay) {
  if (c.late) {  // decided at receipt
    fault = OrderFault::kNone;
    as_timeout = false;
    return false;
  }
  fault = c.venue().request_faults().draw_order(can_reject, as_timeout, can_delay);
  if (fault == OrderFault::kLate) {
    schedule_late(c);
    reply_error(c, err::timeout());
    return true;
  }
  if (fault == OrderFault::kReject) {
    reply_error(c, err::market_closed());
    return true;
  }
  if (fault == OrderFault::kUnknownNotExecuted) {
    reply_unknown(c, as_timeout);
    return true;
  }
  return false;
}

void reply_unknown(Call& c, bool as_timeout) {
  reply_error(c, as_timeout ? err::timeout() : err::unexpected());
}

void count_new_order(Call& c) {
  auto [in_10s, in_day] = c.venue().count_order(c.account, c.wall_ms);
  c.reply.headers.emplace_back("X-MBX-ORDER-COUNT-10S", std::to_string(in_10s));
  c.reply.headers.emplace_back("X-MBX-ORDER-COUNT-1D", std::to_string(in_day));
}

}  // namespace rest

RestReply handle_rest(RestContext& ctx, const RestRequest& req) {
  rest::Call c{ctx, req, {}, ctx.clock.realtime_ns() / 1'000'000, 0, 1, {}};
  const size_t q = req.target.find('?');
  const std::string_view target(req.target);
  const std::string_view path = target.substr(0, q);
  const std::string_view query = q == std::string::npos ? std::string_view() : target.substr(q + 1);
  try {  // nothing below throws by design; a bad_alloc must still not escape into Asio
    rest::dispatch(c, path, query);
  } catch (const std::exception& e) {
    rest::reply_error(c, err::internal(std::string("internal error: ") + e.what()));
  }
  c.reply.headers.emplace_back("X-MBX-USED-WEIGHT-1M",
                               std::to_string(ctx.weight.add(c.weight, c.wall_ms)));
  return std::move(c.reply);
}

}  // namespace keel::simserver
