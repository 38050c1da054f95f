// The user-data thread: WebSocket API userDataStream.subscribe.signature (binance.h "Streams";
// reference/binance-spot.md §6).
#include <exception>

#include "binance_impl.h"

namespace keel::exchange::binance {
namespace {

// An account can be quiet for days: no data deadline (a year), liveness comes from ping/pong.
constexpr int64_t kNoDataDeadlineMs = 365LL * 24 * 3'600'000;

}  // namespace

UserStream::UserStream(Shared& sh) : sh_(sh) {}

UserStream::~UserStream() {
  if (thread_.joinable()) thread_.join();
}

void UserStream::start() {
  thread_ = std::thread([this] { run(); });
}

void UserStream::run() {
  Backoff backoff(sh_.cfg.backoff_base_ms, sh_.cfg.backoff_cap_ms,
                  Backoff::seeded_rng(sh_.cfg.backoff_seed + 1));
  RestApi rest(sh_);  // this thread's own connection, for the -1021 clock resync
  while (!sh_.stop.load()) {
    Status s;
    try {
      s = session(rest, backoff);
    } catch (const std::exception& e) {  // bad_alloc and the like: reconnect, do not die
      s = Status::IOError(std::string("user-data stream: ") + e.what());
    }
    if (sh_.stop.load()) break;
    sh_.stream_result(/*user=*/true, s);
    if (sh_.sleep_or_stop(backoff.next_delay_ms())) break;
  }
}

Status UserStream::session(RestApi& rest, Backoff& backoff) {
  WsClient::Options o;
  o.url = sh_.ws_api_url;
  o.target = sh_.ws_api_url.path.empty() ? "/" : sh_.ws_api_url.path;
  o.handshake_timeout_ms = sh_.cfg.request_timeout_ms;
  o.idle_timeout_ms = sh_.cfg.ws_idle_timeout_ms;
  o.pings_received = &sh_.pings;
  o.tls_ca_file = sh_.cfg.tls_ca_file;
  auto ws = WsClient::make(o);
  KEEL_RETURN_IF_ERROR(ws->open(&sh_.stop).With("user-data stream"));
  Status s = subscribe(*ws, rest);
  if (s.ok()) {
    on_subscribed();
    backoff.reset();
    s = read_events(*ws);
  }
  return s;
}

Status UserStream::subscribe(WsClient& ws, RestApi& rest) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    const std::string id = "keel-sub-" + std::to_string(++request_seq_);
    const std::string req = user_stream_subscribe_request(
        id, sh_.cfg.api_key, sh_.cfg.api_secret, sh_.venue_ms(), sh_.cfg.recv_window_ms);
    const io::Deadline d = io::after_ms(sh_.cfg.request_timeout_ms);
    KEEL_RETURN_IF_ERROR(ws.write(req, d, &sh_.stop).With("userDataStream.subscribe.signature"));
    auto resp = await_response(ws, id, d);
    if (!resp.ok()) return resp.status();
    if (resp->status == 200 && resp->error.code == 0) return Status::Ok();
    if (resp->error.code == -1021 && attempt == 0) {  // clock drift: resync, sign again (§1)
      KEEL_RETURN_IF_ERROR(rest.sync_time());
      continue;
    }
    return Status::Rejected("userDataStream.subscribe.signature: " +
                            std::to_string(resp->status) + " " +
                            std::to_string(resp->error.code) + " " + resp->error.msg);
  }
  return Status::Rejected("userDataStream.subscribe.signature: -1021 after a clock resync");
}

Result<WsApiResponse> UserStream::await_response(WsClient& ws, const std::string& id,
                                                 io::Deadline d) {
  std::string msg;
  for (;;) {
    Status s = ws.read(msg, d, &sh_.stop);
    if (s.code() == Code::kEndOfData) {
      return Status::IOError("userDataStream.subscribe.signature: no response in time");
    }
    KEEL_RETURN_IF_ERROR(s.With("userDataStream.subscribe.signature"));
    auto resp = decode_ws_api_response(msg);
    if (resp.ok() && resp->id == id) return resp;
    if (!resp.ok()) KEEL_RETURN_IF_ERROR(handle_frame(msg));  // an event before the reply
  }
}

void UserStream::on_subscribed() {
  sh_.user_subscriptions.fetch_add(1);
  // Events between the previous subscription and this one may be lost: tell the engine to
  // recover them by query (binance.h "gap_recoveries"). Subscriptions made while connect() is
  // still running precede the engine's start-up reconciliation and need no recovery.
  if (sh_.connect_returned.load()) sh_.gap_recoveries.fetch_add(1);
  sh_.stream_result(/*user=*/true, Status::Ok());
}

Status UserStream::read_events(WsClient& ws) {
  std::string msg;
  while (!sh_.stop.load()) {
    KEEL_RETURN_IF_ERROR(
        ws.read(msg, io::after_ms(kNoDataDeadlineMs), &sh_.stop).With("user-data stream"));
    KEEL_RETURN_IF_ERROR(handle_frame(msg));
  }
  return Status::IOError("user-data stream: stopped");
}

Status UserStream::handle_frame(std::string_view msg) {
  auto ev = decode_user_event(msg, sh_.instruments);  // each report with its symbol's
  if (!ev.ok()) {
    if (ev.status().code() == Code::kNotFound) return Status::Ok();  // a symbol not served
    if (decode_ws_api_response(msg).ok()) return Status::Ok();      // a reply, not an event
    // An event we cannot read may have been an executionReport: evidence to recover by query.
    sh_.decode_errors.fetch_add(1);
    sh_.gap_recoveries.fetch_add(1);
    return Status::Ok();
  }
  switch (ev->kind) {
    case UserEventKind::kExecutionReport:
      sh_.remember(ev->exec.order.symbol, ev->exec.order.order_id,
                   ev->exec.order.client_order_id);
      if (!sh_.user_q.try_push(std::move(ev->exec))) {
        sh_.user_dropped.fetch_add(1);
        sh_.gap_recoveries.fetch_add(1);
      }
      return Status::Ok();
    case UserEventKind::kAccountPosition:
      sh_.merge_balances(ev->balances);
      return Status::Ok();
    case UserEventKind::kBalanceUpdate:
      // Any asset of the account (not only this symbol's): the engine decides what it folds.
      sh_.balance_updates.fetch_add(1);
      if (!sh_.balance_q.try_push(std::move(ev->balance_update))) {
        sh_.balance_dropped.fetch_add(1);
        sh_.gap_recoveries.fetch_add(1);
      }
      return Status::Ok();
    case UserEventKind::kStreamTerminated:
      return Status::IOError("user-data stream: eventStreamTerminated");
    case UserEventKind::kServerShutdown:
      return Status::IOError("user-data stream: serverShutdown");
    case UserEventKind::kOther:
      return Status::Ok();
  }
  return Status::Ok();
}

}  // namespace keel::exchange::binance
