// The connector's shared state and signed REST layer (binance_impl.h).
#include <chrono>

#include "binance_impl.h"
#include "keel/exchange/binance/outcome.h"

namespace keel::exchange::binance {
namespace {

constexpr size_t kMaxBodyInMessage = 512;  // venue bodies quoted in errors are cut here

Url parsed_or_empty(const std::string& text) {
  auto u = parse_url(text);
  return u.ok() ? *u : Url{};  // connect() validated the URLs before building Shared
}

std::string quoted_body(const std::string& body) {
  if (body.size() <= kMaxBodyInMessage) return body;
  return body.substr(0, kMaxBodyInMessage) + "...";
}

}  // namespace

Shared::Shared(const BinanceConfig& c)
    : cfg(c),
      rest_url(parsed_or_empty(c.rest_url)),
      ws_url(parsed_or_empty(c.ws_url)),
      ws_api_url(parsed_or_empty(c.ws_api_url)),
      clock(c.clock != nullptr ? c.clock : &SystemClock::instance()),
      ip_gate(c.ip_gate != nullptr ? c.ip_gate : std::make_shared<RateGate>()),
      market_q(c.market_queue_capacity),
      user_q(c.user_queue_capacity),
      balance_q(c.balance_queue_capacity) {}

const SymbolInfo* Shared::info_of(std::string_view symbol) const {
  for (const SymbolInfo& i : infos) {
    if (i.instrument.symbol == symbol) return &i;
  }
  return nullptr;
}

void Shared::remember(const std::string& symbol, int64_t order_id,
                      const std::string& client_order_id) {
  if (client_order_id.empty()) return;
  std::lock_guard lock(mu);
  if (cid_count >= kMaxOrderIds) {  // a cache: refilled by query
    cid_by_order_id.clear();
    cid_count = 0;
  }
  auto [it, added] = cid_by_order_id[symbol].insert_or_assign(order_id, client_order_id);
  (void)it;
  if (added) ++cid_count;
}

std::optional<std::string> Shared::client_id_of(const std::string& symbol,
                                                int64_t order_id) const {
  std::lock_guard lock(mu);
  auto by_symbol = cid_by_order_id.find(symbol);
  if (by_symbol == cid_by_order_id.end()) return std::nullopt;
  auto it = by_symbol->second.find(order_id);
  if (it == by_symbol->second.end()) return std::nullopt;
  return it->second;
}

void Shared::merge_balances(const Balances& changed) {
  std::lock_guard lock(mu);
  for (const auto& [asset, b] : changed) balances[asset] = b;
}

void Shared::stream_result(bool user, const Status& s) {
  std::lock_guard lock(mu);
  if (!s.ok()) (user ? user_error : market_error) = s.ToString();
  bool& first_done = user ? user_first_done : market_first_done;
  if (first_done) return;
  first_done = true;
  (user ? user_first : market_first) = s;
  cv.notify_all();
}

bool Shared::sleep_or_stop(int64_t ms) {
  std::unique_lock lock(mu);
  return cv.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stop.load(); });
}

bool is_2xx(int status) { return status >= 200 && status < 300; }

namespace {

RestClient::Options rest_options(const Shared& sh) {
  RestClient::Options o;
  o.url = sh.rest_url;
  o.timeout_ms = sh.cfg.request_timeout_ms;
  o.tls_ca_file = sh.cfg.tls_ca_file;
  return o;
}

}  // namespace

RestApi::RestApi(Shared& sh) : sh_(sh), client_(rest_options(sh)) {}

RestApi::Reply RestApi::once(Method method, std::string_view path, const Query& query,
                             Security sec, RequestClass cls, RequestStamp stamp) {
  Reply r;
  auto refusal = sh_.gate.refusal(cls, sh_.wall_ms());
  if (!refusal) refusal = sh_.ip_gate->refusal(cls, sh_.wall_ms());
  if (refusal) {
    r.refused = std::move(refusal);
    return r;
  }
  std::string q = query.str();
  if (sec == Security::kSigned) {
    // The engine's journaled stamp verbatim (W1/R1), else our estimate of the venue clock now.
    const int64_t timestamp = stamp.timestamp_ms != 0 ? stamp.timestamp_ms : sh_.venue_ms();
    const int64_t window = stamp.recv_window_ms != 0 ? stamp.recv_window_ms : sh_.cfg.recv_window_ms;
    q = sign_query(std::move(q), window, timestamp, sh_.cfg.api_secret);
  }
  std::string target(path);
  if (!q.empty()) target += "?" + q;
  r.http = client_.request(method, target, sec == Security::kNone ? "" : sh_.cfg.api_key);
  if (r.http.delivery != Delivery::kReplied) return r;
  sh_.gate.on_usage(r.http.usage);
  sh_.ip_gate->on_usage(r.http.usage);
  if (is_2xx(r.http.status)) return r;
  auto err = decode_error_body(r.http.body);
  if (err.ok()) r.error = std::move(*err);
  // -1015 (too many new orders) closes this account's orders only; any other 429 and 418 close
  // the IP's gate, every account's connection with it.
  const int code = r.error ? r.error->code : 0;
  RateGate& gate = r.http.status == 429 && code == -1015 ? sh_.gate : *sh_.ip_gate;
  gate.on_reply(r.http.status, code, r.error ? r.error->msg : "", r.http.retry_after_s,
                sh_.wall_ms());
  return r;
}

RestApi::Reply RestApi::call(Method method, std::string_view path, const Query& query,
                             Security sec, RequestClass cls, RequestStamp stamp) {
  Reply r = once(method, path, query, sec, cls, stamp);
  if (sec != Security::kSigned || !r.error || r.error->code != -1021) return r;
  // -1021: the timestamp was outside recvWindow, so the venue refused the request before the
  // matching engine (§1). Re-measure the clock offset for later requests. Only a read is sent
  // again with a fresh timestamp: a state-changing request's refusal is conclusive (kRejected,
  // binance.h), and re-sending it under another timestamp would break the journaled stamp's
  // promise that it cannot execute after timestamp + recvWindow (R1).
  const bool resynced = sync_time().ok();
  if (resynced && method == Method::kGet && stamp.timestamp_ms == 0) {
    r = once(method, path, query, sec, cls, stamp);
  }
  return r;
}

Status RestApi::sync_time() {
  const int64_t t0 = sh_.wall_ms();
  Reply r = once(Method::kGet, "/api/v3/time", Query{}, Security::kNone, RequestClass::kOther,
                 RequestStamp{});
  const int64_t t1 = sh_.wall_ms();
  KEEL_RETURN_IF_ERROR(query_status(r, "GET /api/v3/time"));
  auto server_ms = decode_server_time_ms(r.http.body);
  if (!server_ms.ok()) return server_ms.status().With("GET /api/v3/time");
  sh_.offset_ms.store(*server_ms - (t0 + t1) / 2);  // the reply was made mid-way, on average
  return Status::Ok();
}

Verdict verdict_of(const RestApi::Reply& r) {
  Verdict v;
  if (r.refused) {
    v.outcome = Outcome::kRejected;
    v.error = {r.refused->http_status, r.refused->code, r.refused->msg};
    return v;
  }
  const int code = r.error ? r.error->code : 0;
  v.outcome = classify_outcome(r.http.delivery, r.http.status, code);
  if (r.http.delivery == Delivery::kNotSent) {
    v.error = {0, 0, "not sent: " + r.http.error};
  } else if (r.http.delivery == Delivery::kSentNoReply) {
    v.error = {0, 0, "sent, no reply (outcome unknown): " + r.http.error};
  } else {
    v.error = {r.http.status, code, r.error ? r.error->msg : quoted_body(r.http.body)};
  }
  return v;
}

Status query_status(const RestApi::Reply& r, std::string_view what) {
  const std::string w(what);
  if (r.refused) return Status::Rejected(w + ": " + r.refused->msg);
  if (r.http.delivery != Delivery::kReplied) return Status::IOError(w + ": " + r.http.error);
  if (is_2xx(r.http.status)) return Status::Ok();
  std::string msg = w + ": HTTP " + std::to_string(r.http.status) + " " + quoted_body(r.http.body);
  if (r.error && r.error->code == -2013) return Status::NotFound(std::move(msg));
  if (r.http.status >= 500 || (r.error && is_unknown_code(r.error->code))) {
    return Status::IOError(std::move(msg));
  }
  return Status::Rejected(std::move(msg));
}

}  // namespace keel::exchange::binance
