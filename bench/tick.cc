// Section 2: tick-to-request latency (bench/bench.h run_tick).
//
// The interval, for one recorded line that leads to a decision:
//   [a] decode: keel::market::decode_capture_line(raw line) -> MarketEvent, then the local
//       order book update (keel::market::OrderBook::on_event, as a live feed handler keeps it);
//   [b] engine: keel::engine::Engine::on_market(ev): view update, user-data drain (fills of this
//       event journaled, no sync), grid decide, intents encoded + hash-chained + journaled in one
//       WriteBatch (sync on or off), folded, up to the moment the first request is handed over;
//   [c] request: that request encoded as Binance's signed REST query (LIMIT_MAKER place or
//       cancel by origClientOrderId, HMAC-SHA256 signature): the bytes that would leave.
// Total = a + b + c. Not included: the simulated exchange consuming the same event (matching;
// the venue's work, run between a and b, untimed) and the venue's handling of the request.
// Events without a decision are not samples (most events change nothing).
#include <memory>

#include "bench.h"
#include "bench_util.h"
#include "keel/core/clock.h"
#include "keel/exchange/binance/signing.h"
#include "keel/exchange/forwarding.h"
#include "keel/market/decode.h"
#include "keel/market/order_book.h"
#include "pipeline.h"

namespace keel::bench {

namespace {

// Stamps when the first request of an event is encoded and ready to leave, then forwards.
class RequestClock final : public exchange::ForwardingExchange {
 public:
  RequestClock(exchange::Exchange& inner, const Instrument& ins)
      : ForwardingExchange(inner), ins_(ins) {
    query_.reserve(512);
  }
  void arm() { ready_ns_ = handed_ns_ = 0; }
  int64_t handed_ns() const { return handed_ns_; }  // engine let go of the first request
  int64_t ready_ns() const { return ready_ns_; }    // its signed bytes were ready

  exchange::PlaceResult place(const exchange::OrderRequest& req) override {
    const int64_t t = now_ns();
    query_.clear();
    query_ += "symbol=";
    query_ += req.symbol;
    query_ += req.side == Side::kBuy ? "&side=BUY" : "&side=SELL";
    query_ += "&type=LIMIT_MAKER&quantity=";
    query_ += ins_.format_qty(req.qty_lots);
    query_ += "&price=";
    query_ += ins_.format_price(req.price_ticks);
    query_ += "&newClientOrderId=";
    query_ += req.client_order_id;
    leave(t);
    return inner_.place(req);
  }
  exchange::CancelResult cancel(const std::string& symbol, const std::string& cid,
                                exchange::RequestStamp stamp = {}) override {
    const int64_t t = now_ns();
    query_.clear();
    query_ += "symbol=";
    query_ += symbol;
    query_ += "&origClientOrderId=";
    query_ += cid;
    leave(t);
    return inner_.cancel(symbol, cid, stamp);
  }

 private:
  // Common tail of every signed request: recvWindow, timestamp, signature.
  void leave(int64_t handed) {
    query_ += "&recvWindow=5000&timestamp=";
    query_ += std::to_string(SystemClock::instance().realtime_ns() / 1'000'000);
    query_ += "&signature=";
    query_ += exchange::binance::hmac_sha256_hex(kSecret, query_);
    if (handed_ns_ == 0) {
      handed_ns_ = handed;
      ready_ns_ = now_ns();
    }
  }
  static constexpr const char* kSecret =  // Binance's documented example secret
      "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
  const Instrument& ins_;
  std::string query_;
  int64_t handed_ns_ = 0, ready_ns_ = 0;
};

struct TickSamples {
  std::vector<int64_t> total, decode, engine, request;
  uint64_t events = 0, decisions = 0;
};

// One replay of `lines` through a fresh pipeline; samples the events that sent a request.
Status tick_pass(engine::Config cfg, bool sync, const std::vector<std::string>& lines,
                 const std::string& dir, TickSamples& out) {
  cfg.sync_intents = sync;
  Pipeline p;
  KEEL_RETURN_IF_ERROR(p.open_stores(cfg, dir));
  RequestClock clock(p.sim(), p.config().instrument);
  KEEL_RETURN_IF_ERROR(p.start(&clock));
  market::OrderBook book;
  for (const std::string& line : lines) {
    const int64_t t0 = now_ns();
    Result<market::MarketEvent> ev = market::decode_capture_line(line);
    if (!ev.ok()) {
      if (ev.status().code() == Code::kNotFound) continue;  // a stream keel does not handle
      return ev.status();
    }
    book.on_event(*ev);
    const int64_t t1 = now_ns();
    KEEL_RETURN_IF_ERROR(p.sim().on_market(*ev));  // the venue's matching: not timed
    clock.arm();
    const int64_t t2 = now_ns();
    KEEL_RETURN_IF_ERROR(p.engine().on_market(*ev));
    ++out.events;
    if (clock.handed_ns() == 0) continue;
    ++out.decisions;
    out.decode.push_back(t1 - t0);
    out.engine.push_back(clock.handed_ns() - t2);
    out.request.push_back(clock.ready_ns() - clock.handed_ns());
    out.total.push_back(out.decode.back() + out.engine.back() + out.request.back());
  }
  return Status::Ok();
}

std::vector<std::string> row(const char* name, std::vector<int64_t>& v) {
  const Summary s = summarize(v);
  return {name,
          fmt_ns(static_cast<double>(s.p50)),
          fmt_ns(static_cast<double>(s.p99)),
          fmt_ns(static_cast<double>(s.p999)),
          fmt_ns(static_cast<double>(s.max)),
          std::to_string(s.n)};
}

}  // namespace

Status run_tick(const Plan& plan, Report& report) {
  auto cfg = load_default_config(plan);
  if (!cfg.ok()) return cfg.status();
  progress("tick", "loading %zu capture file(s) of %s", cfg->sim.data.size(),
           plan.config_path.c_str());
  auto lines = read_capture_lines(cfg->sim.data);
  if (!lines.ok()) return lines.status();
  Table t;
  t.title = "2. Tick-to-request latency (events that sent a request; default config)";
  t.header = {"interval", "p50", "p99", "p99.9", "max", "samples"};
  Summary nosync_total;
  for (bool sync : {true, false}) {
    TickSamples s;
    for (int pass = 0; pass < plan.tick_passes; ++pass) {
      progress("tick", "sync %s, pass %d/%d: %zu lines", sync ? "on" : "off", pass + 1,
               plan.tick_passes, lines->size());
      const std::string dir = plan.work_dir + fmt("/tick-%s-%d", sync ? "sync" : "nosync", pass);
      KEEL_RETURN_IF_ERROR(tick_pass(*cfg, sync, *lines, dir, s));
      remove_tree(dir);
    }
    const char* label = sync ? "sync on" : "sync off";
    t.rows.push_back(row(fmt("total, %s", label).c_str(), s.total));
    t.rows.push_back(row(fmt("  [a] decode + book, %s", label).c_str(), s.decode));
    t.rows.push_back(row(fmt("  [b] engine to request, %s", label).c_str(), s.engine));
    t.rows.push_back(row(fmt("  [c] request encode+sign, %s", label).c_str(), s.request));
    if (!sync) {
      std::vector<int64_t> copy = s.total;
      nosync_total = summarize(copy);
    }
    t.notes.push_back(fmt("%s: %llu events replayed in %d pass(es), %llu sent a request", label,
                          static_cast<unsigned long long>(s.events), plan.tick_passes,
                          static_cast<unsigned long long>(s.decisions)));
  }
  t.notes.push_back(
      "total = [a] decode_capture_line(raw line) + OrderBook::on_event, + [b] "
      "Engine::on_market up to the first request handed to the exchange (view, fills drained "
      "and journaled, grid decide, intents journaled in one WriteBatch - synced or not - and "
      "folded), + [c] that request built as Binance's signed REST query (HMAC-SHA256). The "
      "simulated exchange's own matching of the event runs between [a] and [b], untimed.");
  report.tables.push_back(std::move(t));
  const bool have = nosync_total.n > 0;
  report.checks.push_back({"tick-to-request without sync p99 <= 20 us",
                           have ? fmt_ns(static_cast<double>(nosync_total.p99)) + " (p50 " +
                                      fmt_ns(static_cast<double>(nosync_total.p50)) + ")"
                                : "not measured",
                           !have                        ? Verdict::kNotMeasured
                           : nosync_total.p99 <= 20'000 ? Verdict::kMet
                                                        : Verdict::kNotMet});
  return Status::Ok();
}

}  // namespace keel::bench
