// keel run on the Binance Spot API (or `keel sim` over loopback): market data and user data
// from the connector's streams, every request over REST. Runs until SIGINT/SIGTERM or
// --duration; orders stay working on exit (they are journaled; the next start reconciles them)
// unless --cancel-on-exit.
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>

#include "app.h"
#include "dry_run.h"
#include "keel/core/clock.h"
#include "keel/engine/credentials.h"
#include "keel/exchange/binance/binance.h"
#include "run_common.h"

namespace keel::app {

namespace fs = std::filesystem;

namespace {

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop.store(true); }


// One market subscription per symbol: on the first account that trades it. The symbols whose
// market streams account `a`'s connection carries (config order; empty: none).
std::vector<std::string> market_symbols(const engine::Config& cfg, size_t a) {
  std::vector<std::string> out;
  for (const Instrument& ins : engine::account_instruments(cfg, a)) {
    bool earlier = false;
    for (size_t k = 0; k < a && !earlier; ++k) {
      for (const Instrument& other : engine::account_instruments(cfg, k)) {
        earlier = earlier || other.symbol == ins.symbol;
      }
    }
    if (!earlier) out.push_back(ins.symbol);
  }
  return out;
}

// Account `a`'s connection: every symbol its tasks trade, its credentials, the market streams
// of the symbols it carries.
Result<exchange::binance::BinanceConfig> venue_config(const engine::Config& cfg, size_t a) {
  exchange::binance::BinanceConfig b;
  b.rest_url = cfg.binance.rest_url;
  b.ws_url = cfg.binance.ws_url;
  b.ws_api_url = cfg.binance.ws_api_url;
  for (const Instrument& ins : engine::account_instruments(cfg, a)) b.symbols.push_back(ins.symbol);
  b.symbol = b.symbols.front();
  b.market_symbols = market_symbols(cfg, a);
  b.market_stream = !b.market_symbols.empty();
  // The environment variables or the owner-only file the config names (engine/credentials.h);
  // errors name the variable or the file and its mode, never a value.
  auto creds = engine::load_credentials(cfg.accounts[a].credentials);
  if (!creds.ok()) return creds.status();
  b.api_key = creds->api_key.reveal();
  b.api_secret = creds->api_secret.reveal();
  return b;
}

// The config's instrument must be the venue's (exchangeInfo filters), or prices would be wrong.
Status check_instrument(const engine::Config& cfg, const Instrument& mine, const Instrument& venue) {
  auto mismatch = [&](const char* field, int64_t a, int64_t b) {
    return Status::InvalidArgument(cfg.path + ": instrument " + mine.symbol + ": " + field + ": " +
                                   format_fixed_trim(a, kScaleE8) + " but the exchange says " +
                                   format_fixed_trim(b, kScaleE8));
  };
  if (mine.tick_e8 != venue.tick_e8) return mismatch("tick_size", mine.tick_e8, venue.tick_e8);
  if (mine.step_e8 != venue.step_e8) return mismatch("step_size", mine.step_e8, venue.step_e8);
  return Status::Ok();
}

using Connections = std::vector<std::unique_ptr<exchange::binance::BinanceExchange>>;

// Every account's connection, each checked against its instrument. `market_stream`: false for
// commands that need the accounts only (keel retire).
Result<Connections> connect_all(const engine::Config& cfg, bool market_stream) {
  Connections out;
  // The accounts' requests leave from one IP: one request-weight gate for all (binance.h).
  auto ip_gate = std::make_shared<exchange::binance::RateGate>();
  for (size_t a = 0; a < cfg.accounts.size(); ++a) {
    auto vc = venue_config(cfg, a);
    if (!vc.ok()) return vc.status();
    vc->market_stream = vc->market_stream && market_stream;
    vc->ip_gate = ip_gate;
    auto venue = exchange::binance::BinanceExchange::connect(*vc);
    if (!venue.ok()) {
      return venue.status().With("connecting account " + cfg.accounts[a].id + " to " +
                                 cfg.binance.rest_url);
    }
    for (const Instrument& mine : engine::account_instruments(cfg, a)) {
      const Instrument* theirs = (*venue)->instrument(mine.symbol);  // served: connect read it
      KEEL_RETURN_IF_ERROR(check_instrument(cfg, mine, *theirs));
    }
    out.push_back(std::move(*venue));
  }
  return out;
}

uint64_t gaps(const Connections& c) {
  uint64_t n = 0;
  for (const auto& v : c) n += v->gap_recoveries();
  return n;
}

struct LiveLoop {
  const engine::Config& cfg;
  engine::Engine& eng;
  Connections& conns;
  const RunOptions& opts;
  uint64_t last_gap = 0;
  uint64_t last_unknown = 0;
  int64_t next_reconcile_ns = 0;

  // Reconciles when the user stream had a gap, an outcome stayed unknown, the engine owes one
  // (an in-doubt place became conclusive, a refused cancel), or periodically.
  Status maybe_reconcile(int64_t now_ns) {
    const uint64_t gap = gaps(conns);
    exchange::binance::BinanceExchange& venue = *conns.front();
    const uint64_t unknown = eng.stats().unknown_outcomes;
    if (gap == last_gap && unknown == last_unknown && now_ns < next_reconcile_ns &&
        !eng.reconcile_due(venue.venue_time_ms())) {
      return Status::Ok();
    }
    last_gap = gap;
    last_unknown = unknown;
    next_reconcile_ns = now_ns + cfg.binance.reconcile_every_ms * 1'000'000;
    auto r = eng.recover();
    if (!r.ok()) return r.status();
    if (r->anything() && !opts.quiet) report_recovery(*r);
    return Status::Ok();
  }

  // R2 at start: reconcile until every task is proven or a task is stuck for a reason that
  // does not pass by itself. An in-doubt place (R1) settles once its recvWindow has passed:
  // wait for it (market events queue meanwhile, bounded).
  Status settle(int64_t give_up_ns) {
    const SystemClock& clock = SystemClock::instance();
    for (;;) {
      auto r = eng.recover();
      if (!r.ok()) return r.status();
      if (r->anything() && !opts.quiet) report_recovery(*r);
      bool transient = false;
      for (const auto& t : cfg.tasks) transient = transient || eng.mode(t.id).transient;
      if (!transient || clock.monotonic_ns() > give_up_ns || g_stop.load()) return Status::Ok();
      const int64_t wait_ms = eng.reconcile_due_ms() - conns.front()->venue_time_ms();
      std::this_thread::sleep_for(std::chrono::milliseconds(std::clamp<int64_t>(wait_ms, 20, 2'000)));
    }
  }
};

}  // namespace

int run_live(const RunOptions& opts, const engine::Config& cfg) {
  std::error_code ec;
  fs::create_directories(cfg.data_dir, ec);
  auto j = journal::Journal::open((fs::path(cfg.data_dir) / "journal").string(), {});
  if (!j.ok()) {
    std::fprintf(stderr, "keel run: journal: %s\n", j.status().ToString().c_str());
    return j.status().code() == Code::kCorruption ? 2 : 1;
  }
  auto conns = connect_all(cfg, /*market_stream=*/true);
  if (!conns.ok()) {
    std::fprintf(stderr, "keel run: %s\n", conns.status().ToString().c_str());
    return 1;
  }
  // --dry-run: nothing that changes the venue is sent.
  std::vector<std::unique_ptr<DryRunVenue>> dry;
  std::vector<exchange::Exchange*> requests;
  for (auto& v : *conns) {
    if (opts.dry_run) dry.push_back(std::make_unique<DryRunVenue>(*v));
    requests.push_back(opts.dry_run ? static_cast<exchange::Exchange*>(dry.back().get()) : v.get());
  }
  IntentPrinter printer(cfg, **j);
  engine::Engine eng(cfg, **j, requests, SystemClock::instance());
  if (Status s = eng.load_and_start(); !s.ok()) {
    std::fprintf(stderr, "keel run: %s\n", s.ToString().c_str());
    return 1;
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  const SystemClock& clock = SystemClock::instance();
  const int64_t t0 = clock.monotonic_ns();
  const int64_t deadline = opts.duration_s > 0 ? t0 + opts.duration_s * 1'000'000'000 : 0;
  LiveLoop loop{cfg, eng, *conns, opts};
  loop.last_gap = gaps(*conns);
  loop.next_reconcile_ns = t0 + cfg.binance.reconcile_every_ms * 1'000'000;
  const int64_t settle_for_ns =
      (cfg.binance.recv_window_ms + cfg.binance.evidence_margin_ms + 30'000) * 1'000'000;
  if (Status s = loop.settle(t0 + settle_for_ns); !s.ok()) return fail_stop(eng, s);
  // One line once every task's state is proven (R2): the crash campaign times restarts by it.
  std::string modes;
  for (const auto& t : cfg.tasks) {
    const engine::TaskMode& m = eng.mode(t.id);
    modes += "; task " + t.id + (m.quoting ? " quoting" : " reconcile-only (" + m.reason + ")");
  }
  std::string symbols;
  for (const Instrument& ins : cfg.instruments) symbols += (symbols.empty() ? "" : ", ") + ins.symbol;
  std::fprintf(stderr, "keel run: connected to %s (%s; %zu account%s); reconciled in %.1f ms%s; Ctrl-C stops\n",
               cfg.binance.rest_url.c_str(), symbols.c_str(), conns->size(),
               conns->size() == 1 ? "" : "s",
               (clock.monotonic_ns() - t0) / 1e6, modes.c_str());
  market::MarketEvent ev;
  std::vector<bool> carries(conns->size());
  for (size_t a = 0; a < carries.size(); ++a) carries[a] = !market_symbols(cfg, a).empty();
  int64_t next_progress = t0 + 1'000'000'000;
  while (!g_stop.load() && (deadline == 0 || clock.monotonic_ns() < deadline)) {
    // One market subscription per symbol, on the first account trading it (one connection
    // may carry several symbols' streams); each is waited on briefly in turn (50 ms in all
    // when every stream is quiet).
    Status s = Status::Ok();
    bool any = false;
    for (size_t a = 0; a < conns->size(); ++a) {
      if (!s.ok() || !carries[a]) continue;
      if ((*conns)[a]->next_market_event(ev, 50 / static_cast<int64_t>(conns->size()))) {
        any = true;
        s = eng.on_market(ev);
      }
    }
    if (s.ok() && !any) s = eng.on_idle();
    if (s.ok()) s = loop.maybe_reconcile(clock.monotonic_ns());
    if (!s.ok()) return fail_stop(eng, s);
    if (opts.dry_run) printer.print_new();
    const int64_t now = clock.monotonic_ns();
    if (!opts.quiet && now >= next_progress) {
      next_progress = now + 5'000'000'000;
      std::fprintf(stderr,
                   "keel run: %.0f s, %llu events, %llu decisions, %llu unknown outcomes, %llu "
                   "decisions cut by the request budget, %llu by an account's order limit\n",
                   (now - t0) / 1e9, (unsigned long long)eng.stats().events,
                   (unsigned long long)eng.stats().decisions,
                   (unsigned long long)eng.stats().unknown_outcomes,
                   (unsigned long long)eng.stats().throttled_decisions,
                   (unsigned long long)eng.stats().order_limited_decisions);
    }
  }
  // A last reconciliation so the journal holds every outcome the venue can prove (after
  // --duration: waiting for in-doubt places to become conclusive; after Ctrl-C: at once, what
  // stays in doubt is settled by the next start).
  if (Status s = loop.settle(clock.monotonic_ns() + settle_for_ns); !s.ok()) {
    return fail_stop(eng, s);
  }
  if (opts.cancel_on_exit && !opts.dry_run) {
    std::fprintf(stderr, "keel run: cancelling open orders (--cancel-on-exit)\n");
    eng.emergency_cancel_all();  // journaled on the next start by reconciliation
  }
  print_summary(cfg, eng, eng.stats().events, eng.stats().events, clock.monotonic_ns() - t0, **j);
  if (opts.dry_run) print_dry_run_note(printer);
  return 0;
}

int retire_live(const engine::Config& cfg, const std::string& task_id) {
  auto j = journal::Journal::open((fs::path(cfg.data_dir) / "journal").string(), {});
  if (!j.ok()) {
    std::fprintf(stderr, "keel retire: journal: %s\n", j.status().ToString().c_str());
    return j.status().code() == Code::kCorruption ? 2 : 1;
  }
  auto conns = connect_all(cfg, /*market_stream=*/false);  // retiring needs the accounts only
  if (!conns.ok()) {
    std::fprintf(stderr, "keel retire: %s\n", conns.status().ToString().c_str());
    return 1;
  }
  std::vector<exchange::Exchange*> venues;
  for (auto& v : *conns) venues.push_back(v.get());
  engine::Engine eng(cfg, **j, venues, SystemClock::instance());
  return retire_task(eng, task_id,
                     cfg.binance.recv_window_ms + cfg.binance.evidence_margin_ms + 60'000);
}

}  // namespace keel::app
