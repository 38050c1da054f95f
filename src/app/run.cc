// keel run: the main job on the embedded simulated exchange over recorded data.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <thread>

#include "app.h"
#include "dry_run.h"
#include "run_common.h"
#include "keel/core/clock.h"
#include "keel/core/failpoint.h"
#include "keel/engine/config.h"
#include "keel/engine/engine.h"
#include "keel/exchange/sim.h"
#include "keel/journal/journal.h"
#include "keel/market/capture.h"

namespace keel::app {

namespace fs = std::filesystem;

namespace {

// The embedded exchange: one SimExchange per account (its own state, balances and fees), each
// fed every event of the merged recording (a SimExchange ignores other symbols' events).
struct Runtime {
  engine::Config cfg;
  std::unique_ptr<journal::Journal> journal;
  std::vector<std::unique_ptr<exchange::sim::SimExchange>> sims;  // by index of cfg.accounts
  std::unique_ptr<market::CaptureReader> reader;

  exchange::sim::SimExchange& first() { return *sims.front(); }
  bool recording_ended() const {
    return std::all_of(sims.begin(), sims.end(), [](const auto& s) { return s->recording_ended(); });
  }
  // The exchange's position: the accounts' states are written one after another, so after a
  // crash one may be an event ahead of another; the furthest is where the recording resumes.
  uint64_t position() const {
    uint64_t p = 0;
    for (const auto& s : sims) p = std::max(p, s->position());
    return p;
  }
};

// The state directory of an account's simulated exchange: "sim" for the default account (so a
// data directory written before accounts keeps its exchange), "sim-<id>" for any other.
std::string sim_dir(const engine::Config& cfg, const std::string& account) {
  return (fs::path(cfg.data_dir) / (account == journal::kDefaultAccount ? "sim" : "sim-" + account))
      .string();
}

Status open_runtime(const RunOptions& opts, Runtime& rt) {
  auto cfg = load_target(opts.target, /*check_data_files=*/true);
  if (!cfg.ok()) return cfg.status();
  rt.cfg = std::move(*cfg);
  std::error_code ec;
  fs::create_directories(rt.cfg.data_dir, ec);
  if (ec) return Status::IOError("data_dir " + rt.cfg.data_dir + ": " + ec.message());
  auto j = journal::Journal::open((fs::path(rt.cfg.data_dir) / "journal").string(), {});
  if (!j.ok()) return j.status().With("journal");
  rt.journal = std::move(*j);
  if (rt.journal->open_report().torn_tail) {
    std::fprintf(stderr, "keel: journal: %s (dropped; the journal continues after it)\n",
                 rt.journal->open_report().problem.c_str());
  }
  for (size_t i = 0; i < rt.cfg.accounts.size(); ++i) {
    const std::string& id = rt.cfg.accounts[i].id;
    auto sim = exchange::sim::SimExchange::open(engine::sim_options(rt.cfg, i, sim_dir(rt.cfg, id)));
    if (!sim.ok()) return sim.status().With("simulated exchange state of account " + id);
    rt.sims.push_back(std::move(*sim));
  }
  auto reader = market::CaptureReader::open(rt.cfg.sim.data);
  if (!reader.ok()) return reader.status();
  rt.reader = std::move(*reader);
  return Status::Ok();
}

// Re-reads the recording up to where the exchange is, so engine and exchange see the same
// market. An account's exchange left behind by a crash between two accounts' writes consumes
// the events it has not seen (their fills reach the engine as user events, or reconciliation).
Status catch_up(Runtime& rt, engine::Engine& eng, Progress& progress) {
  const uint64_t target = rt.position();
  std::vector<uint64_t> warm(rt.sims.size());
  for (size_t k = 0; k < rt.sims.size(); ++k) warm[k] = rt.sims[k]->position();
  const int64_t t0 = SystemClock::instance().monotonic_ns();
  market::MarketEvent ev;
  for (uint64_t i = 0; i < target; ++i) {
    Status s = rt.reader->next(ev);
    if (!s.ok()) return s.With("re-reading the recording to the exchange's position");
    for (size_t k = 0; k < rt.sims.size(); ++k) {
      KEEL_RETURN_IF_ERROR(i < warm[k] ? rt.sims[k]->warm_up(ev) : rt.sims[k]->on_market(ev));
    }
    eng.observe(ev);
    progress.update("catching up", rt.reader->progress(), i + 1,
                    SystemClock::instance().monotonic_ns() - t0);
  }
  return Status::Ok();
}

void pace(const engine::Config& cfg, const market::MarketEvent& ev, int64_t& first_recv_ns,
          int64_t start_ns) {
  if (cfg.sim.speed_multiplier <= 0) return;  // max: lock-step, no waiting
  if (first_recv_ns == 0) first_recv_ns = ev.ts_recv_ns;
  const auto due = start_ns + static_cast<int64_t>((ev.ts_recv_ns - first_recv_ns) /
                                                   cfg.sim.speed_multiplier);
  const int64_t now = SystemClock::instance().monotonic_ns();
  if (due > now) std::this_thread::sleep_for(std::chrono::nanoseconds(due - now));
}

int run_once(const RunOptions& opts) {
  {
    auto cfg = load_target(opts.target, /*check_data_files=*/false);
    if (cfg.ok() && cfg->exchange_kind == "binance") return run_live(opts, *cfg);
  }
  Runtime rt;
  if (Status s = open_runtime(opts, rt); !s.ok()) {
    std::fprintf(stderr, "keel run: %s\n", s.ToString().c_str());
    return s.code() == Code::kCorruption ? 2 : 1;
  }
  std::vector<std::unique_ptr<DryRunVenue>> dry;
  std::vector<exchange::Exchange*> venues;
  for (auto& sim : rt.sims) {
    if (opts.dry_run) dry.push_back(std::make_unique<DryRunVenue>(*sim));
    venues.push_back(opts.dry_run ? static_cast<exchange::Exchange*>(dry.back().get()) : sim.get());
  }
  IntentPrinter printer(rt.cfg, *rt.journal);
  engine::Engine eng(rt.cfg, *rt.journal, venues, SystemClock::instance());
  Progress progress(opts.quiet);
  if (Status s = eng.load_and_start(); !s.ok()) {
    std::fprintf(stderr, "keel run: %s\n", s.ToString().c_str());
    return s.code() == Code::kFailStop ? fail_stop(eng, s) : 1;
  }
  if (Status s = catch_up(rt, eng, progress); !s.ok()) {
    std::fprintf(stderr, "keel run: %s\n", s.ToString().c_str());
    return 1;
  }
  auto rec = eng.recover();
  if (!rec.ok()) return fail_stop(eng, rec.status());
  if (eng.loaded_from_snapshot() && !opts.quiet) {
    std::fprintf(stderr, "keel: state loaded from the journal snapshot at seq %llu, tail folded\n",
                 static_cast<unsigned long long>(rt.journal->snapshot()->seq));
  }
  if (rec->anything()) report_recovery(*rec);
  const uint64_t start_pos = rt.position();
  const int64_t t0 = SystemClock::instance().monotonic_ns();
  if (!rt.recording_ended()) {
    if (Status s = eng.decide_all(); !s.ok()) return fail_stop(eng, s);
    int64_t first_recv_ns = 0;
    market::MarketEvent ev;
    for (;;) {
      Status s = rt.reader->next(ev);
      if (s.code() == Code::kEndOfData) break;
      if (!s.ok()) {
        std::fprintf(stderr, "\nkeel run: %s\n", s.ToString().c_str());
        return 1;
      }
      pace(rt.cfg, ev, first_recv_ns, t0);
      for (auto& sim : rt.sims) {
        if (Status m = sim->on_market(ev); !m.ok()) {
          std::fprintf(stderr, "\nkeel run: simulated exchange: %s\n", m.ToString().c_str());
          return 2;
        }
      }
      failpoint("run.exchange.after_event");
      if (Status e = eng.on_market(ev); !e.ok()) return fail_stop(eng, e);
      if (opts.dry_run) printer.print_new();
      if (eng.reconcile_due(rt.first().venue_time_ms())) {  // a refused cancel, a gap: ask (R2)
        auto r = eng.recover();
        if (!r.ok()) return fail_stop(eng, r.status());
        if (r->anything() && !opts.quiet) report_recovery(*r);
      }
      const uint64_t done = rt.position() - start_pos;
      progress.update("replaying", rt.reader->progress(), done,
                      SystemClock::instance().monotonic_ns() - t0);
      if (opts.stop_after > 0 && done >= static_cast<uint64_t>(opts.stop_after)) {
        std::fprintf(stderr, "\nkeel run: stopped after %lld events (--stop-after)\n",
                     static_cast<long long>(opts.stop_after));
        return 0;
      }
    }
    progress.done();
    for (auto& sim : rt.sims) {
      if (Status s = sim->mark_recording_ended(); !s.ok()) {
        std::fprintf(stderr, "keel run: simulated exchange: %s\n", s.ToString().c_str());
        return 2;
      }
    }
  } else {
    std::fprintf(stderr, "keel run: the recording was already replayed to its end (%llu events); "
                         "nothing left to do\n",
                 static_cast<unsigned long long>(start_pos));
  }
  if (Status s = eng.finish_recording(rt.position()); !s.ok()) return fail_stop(eng, s);
  print_summary(rt.cfg, eng, rt.position(), rt.position() - start_pos,
                SystemClock::instance().monotonic_ns() - t0, *rt.journal);
  if (opts.dry_run) print_dry_run_note(printer);
  return 0;
}

}  // namespace

int run_command(const RunOptions& opts) {
  if (!opts.dry_run) return run_once(opts);
  // --dry-run: the pre-trade checks first, then the run on a temporary data directory.
  if (validate_command(opts.target.config_path) != 0) return 1;
  auto dir = dry_run_dir();
  if (!dir.ok()) {
    std::fprintf(stderr, "keel run: %s\n", dir.status().ToString().c_str());
    return 1;
  }
  RunOptions o = opts;
  o.target.data_dir = *dir;
  const int rc = run_once(o);
  std::error_code ec;
  fs::remove_all(*dir, ec);
  return rc;
}

int retire_command(const Target& target, const std::string& task_id) {
  {
    auto cfg = load_target(target, /*check_data_files=*/false);
    if (!cfg.ok()) {
      std::fprintf(stderr, "keel retire: %s\n", cfg.status().ToString().c_str());
      return 1;
    }
    if (cfg->exchange_kind == "binance") return retire_live(*cfg, task_id);
  }
  RunOptions opts;
  opts.target = target;
  Runtime rt;
  if (Status s = open_runtime(opts, rt); !s.ok()) {
    std::fprintf(stderr, "keel retire: %s\n", s.ToString().c_str());
    return s.code() == Code::kCorruption ? 2 : 1;
  }
  std::vector<exchange::Exchange*> venues;
  for (auto& sim : rt.sims) venues.push_back(sim.get());
  engine::Engine eng(rt.cfg, *rt.journal, venues, SystemClock::instance());
  return retire_task(eng, task_id, /*deadline_ms=*/10'000);
}

}  // namespace keel::app
