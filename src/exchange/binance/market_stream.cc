// The market-data thread: combined stream + depth snapshots (binance.h "Streams";
// reference/binance-spot.md §7 "Local order book procedure").
#include <exception>
#include <string>
#include <vector>

#include "binance_impl.h"
#include "keel/market/decode.h"

namespace keel::exchange::binance {
namespace {

constexpr int kSnapshotAttempts = 5;
constexpr int64_t kSnapshotRetryMs = 250;  // times the attempt number

// /stream?streams=<a>@depth@100ms/<a>@bookTicker/<a>@trade/<b>@... for the market symbols
// (§7: combined stream, names in lower case).
std::string combined_target(const std::string& base_path, const std::vector<std::string>& symbols) {
  std::string streams;
  for (const std::string& symbol : symbols) {
    const std::string s = lower_case(symbol);
    streams += (streams.empty() ? "" : "/") + s + "@depth@100ms/" + s + "@bookTicker/" + s +
               "@trade";
  }
  return base_path + "/stream?streams=" + streams;
}

}  // namespace

MarketStream::MarketStream(Shared& sh) : sh_(sh) {}

MarketStream::~MarketStream() {
  if (thread_.joinable()) thread_.join();
}

void MarketStream::start() {
  thread_ = std::thread([this] { run(); });
}

void MarketStream::run() {
  Backoff backoff(sh_.cfg.backoff_base_ms, sh_.cfg.backoff_cap_ms,
                  Backoff::seeded_rng(sh_.cfg.backoff_seed));
  RestApi rest(sh_);  // this thread's own connection for snapshots
  while (!sh_.stop.load()) {
    Status s;
    try {
      s = session(rest, backoff);
    } catch (const std::exception& e) {  // bad_alloc and the like: reconnect, do not die
      s = Status::IOError(std::string("market stream: ") + e.what());
    }
    if (sh_.stop.load()) break;
    sh_.stream_result(/*user=*/false, s);
    if (sh_.sleep_or_stop(backoff.next_delay_ms())) break;
  }
}

Status MarketStream::session(RestApi& rest, Backoff& backoff) {
  WsClient::Options o;
  o.url = sh_.ws_url;
  o.target = combined_target(sh_.ws_url.path, sh_.cfg.market_symbols);
  o.handshake_timeout_ms = sh_.cfg.request_timeout_ms;
  o.idle_timeout_ms = sh_.cfg.ws_idle_timeout_ms;
  o.pings_received = &sh_.pings;
  o.tls_ca_file = sh_.cfg.tls_ca_file;
  auto ws = WsClient::make(o);
  KEEL_RETURN_IF_ERROR(ws->open(&sh_.stop).With("market stream"));
  if (sh_.market_connects.fetch_add(1) > 0) sh_.market_resyncs.fetch_add(1);
  sh_.stream_result(/*user=*/false, Status::Ok());
  Syncs syncs;  // a new connection: every symbol starts over (§7 step 1)
  for (const std::string& symbol : sh_.cfg.market_symbols) syncs[symbol] = Sync{};
  std::string msg;
  Status st;
  while (st.ok() && !sh_.stop.load()) {
    st = ws->read(msg, io::after_ms(sh_.cfg.market_stale_ms), &sh_.stop);
    if (st.code() == Code::kEndOfData) {
      st = Status::IOError("market stream: no message for " +
                           std::to_string(sh_.cfg.market_stale_ms) + " ms (stale)");
    }
    if (!st.ok()) break;
    backoff.reset();  // this connection delivers: the next failure starts from the base delay
    st = on_message(msg, rest, syncs);
  }
  return st.ok() ? Status::IOError("market stream: stopped") : st;
}

Status MarketStream::on_message(std::string_view msg, RestApi& rest, Syncs& syncs) {
  auto ev = market::decode_message(msg, sh_.clock->realtime_ns());
  if (!ev.ok()) {  // streams we do not handle are kNotFound; anything else is counted
    if (ev.status().code() != Code::kNotFound) sh_.decode_errors.fetch_add(1);
    return Status::Ok();
  }
  auto it = syncs.find(ev->symbol);
  if (it == syncs.end()) return Status::Ok();  // a symbol not subscribed: not ours to pass on
  Sync& sync = it->second;
  const auto* diff = std::get_if<market::DepthDiff>(&ev->body);
  const bool is_diff = diff != nullptr;
  const int64_t first_u = is_diff ? diff->first_update_id : 0;
  if (is_diff) {
    // Spot diffs continue each other (U == previous u + 1); a hole means lost updates (§7).
    if (sync.last_u >= 0 && diff->first_update_id > sync.last_u + 1) sync.need_snapshot = true;
    sync.last_u = diff->final_update_id;
  }
  const std::string symbol = ev->symbol;
  const bool pushed = push(std::move(*ev), syncs);
  // The snapshot goes right after a diff the consumer has, fetched after it arrived, so its
  // lastUpdateId can be checked against that diff's U (step 3 of the procedure).
  if (!is_diff || !pushed || !sync.need_snapshot) return Status::Ok();
  KEEL_RETURN_IF_ERROR(resync(rest, symbol, first_u));
  sync.need_snapshot = false;
  return Status::Ok();
}

bool MarketStream::push(market::MarketEvent ev, Syncs& syncs) {
  if (sh_.market_q.try_push(std::move(ev))) return true;
  // The consumer fell behind by a whole queue: drop the backlog (every symbol's), resync each
  // book by a snapshot after its next diff (its OrderBook sees the hole as a gap and waits).
  sh_.market_dropped.fetch_add(sh_.market_q.clear() + 1);
  for (auto& [symbol, sync] : syncs) sync.need_snapshot = true;
  return false;
}

Status MarketStream::resync(RestApi& rest, const std::string& symbol, int64_t first_update_id) {
  Query q;
  q.add("symbol", symbol).add("limit", int64_t{sh_.cfg.depth_snapshot_limit});
  for (int attempt = 0; attempt < kSnapshotAttempts; ++attempt) {
    if (attempt > 0 && sh_.sleep_or_stop(kSnapshotRetryMs * attempt)) {
      return Status::IOError("market stream: stopped");
    }
    auto r = rest.call(Method::kGet, "/api/v3/depth", q, Security::kNone, RequestClass::kOther);
    KEEL_RETURN_IF_ERROR(query_status(r, "GET /api/v3/depth?symbol=" + symbol));
    auto ev = market::decode_message(r.http.body, sh_.clock->realtime_ns());
    if (!ev.ok()) return ev.status().With("GET /api/v3/depth?symbol=" + symbol);
    const auto* snap = std::get_if<market::DepthSnapshot>(&ev->body);
    if (snap == nullptr) return Status::InvalidArgument("GET /api/v3/depth: not a snapshot");
    if (snap->last_update_id < first_update_id) continue;  // older than the stream: again
    ev->symbol = symbol;
    if (!sh_.market_q.try_push(std::move(*ev))) {
      return Status::IOError("market stream: queue full at the snapshot");  // reconnect
    }
    sh_.market_snapshots.fetch_add(1);
    return Status::Ok();
  }
  return Status::IOError("market stream: depth snapshot of " + symbol +
                         " stayed older than the stream");
}

}  // namespace keel::exchange::binance
