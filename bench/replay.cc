// Section 3: replay throughput (bench/bench.h run_replay).
//
// Per recording: the whole pipeline of `keel run` on one thread -- CaptureReader (gunzip, line
// split, decode), SimExchange::on_market (book, matching, its RocksDB state write), and
// Engine::on_market (view, fills journaled, grid decide, intents journaled WITHOUT sync, sends,
// responses journaled) -- from the first event to RecordingEnded. Setup (opening the stores,
// the engine's start) is not timed. A second figure times CaptureReader alone (decode only),
// so the rest is the sim's and the engine's share.
#include <algorithm>
#include <filesystem>

#include "bench.h"
#include "bench_util.h"
#include "keel/market/capture.h"
#include "keel/strategy/registry.h"
#include "pipeline.h"

namespace keel::bench {

namespace fs = std::filesystem;

namespace {

struct ReplayRun {
  uint64_t events = 0;
  int64_t wall_ns = 0;
  int64_t thread_cpu_ns = 0;   // the pipeline thread
  int64_t process_cpu_ns = 0;  // with RocksDB's background threads
  uint64_t decisions = 0, fills = 0, records = 0;
};

// The whole pipeline over `files` (cfg's recordings, as paths from the current directory), its
// journal without sync, from the first event.
Result<ReplayRun> replay_config(engine::Config cfg, const std::string& dir,
                                const std::vector<std::string>& files) {
  cfg.sync_intents = false;
  Pipeline p;
  KEEL_RETURN_IF_ERROR(p.open_stores(cfg, dir));
  KEEL_RETURN_IF_ERROR(p.start());
  auto reader = market::CaptureReader::open(files);
  if (!reader.ok()) return reader.status();
  ReplayRun r;
  market::MarketEvent ev;
  const int64_t w0 = now_ns(), c0 = thread_cpu_ns(), p0 = process_cpu_ns();
  for (;;) {
    Status s = (*reader)->next(ev);
    if (s.code() == Code::kEndOfData) break;
    KEEL_RETURN_IF_ERROR(s);
    KEEL_RETURN_IF_ERROR(p.step(ev));
    ++r.events;
  }
  KEEL_RETURN_IF_ERROR(p.finish());
  r.wall_ns = now_ns() - w0;
  r.thread_cpu_ns = thread_cpu_ns() - c0;
  r.process_cpu_ns = process_cpu_ns() - p0;
  r.decisions = p.engine().stats().decisions;
  for (const auto& [id, t] : p.engine().state().tasks) r.fills += t.buys.fills + t.sells.fills;
  r.records = p.journal().last_seq();
  return r;
}

Result<ReplayRun> replay_once(const Recording& rec, const std::string& dir) {
  auto cfg = recording_config(rec, /*sync_intents=*/false);
  if (!cfg.ok()) return cfg.status();
  return replay_config(*cfg, dir, {rec.file});
}

Result<ReplayRun> decode_once(const Recording& rec) {
  auto reader = market::CaptureReader::open({rec.file});
  if (!reader.ok()) return reader.status();
  ReplayRun r;
  market::MarketEvent ev;
  const int64_t w0 = now_ns(), c0 = thread_cpu_ns();
  for (;;) {
    Status s = (*reader)->next(ev);
    if (s.code() == Code::kEndOfData) break;
    KEEL_RETURN_IF_ERROR(s);
    ++r.events;
  }
  r.wall_ns = now_ns() - w0;
  r.thread_cpu_ns = thread_cpu_ns() - c0;
  return r;
}

double rate(uint64_t n, int64_t ns) {
  return ns > 0 ? static_cast<double>(n) * 1e9 / static_cast<double>(ns) : 0;
}

// The run with the median wall time.
ReplayRun median(std::vector<ReplayRun> runs) {
  std::sort(runs.begin(), runs.end(),
            [](const ReplayRun& a, const ReplayRun& b) { return a.wall_ns < b.wall_ns; });
  return runs[runs.size() / 2];
}

}  // namespace

Status run_replay(const Plan& plan, Report& report) {
  Table t;
  t.title = "3. Replay throughput (one thread; journal without sync; median of runs)";
  t.header = {"recording", "events", "events/s",       "events/s per CPU-s", "decode-only events/s",
              "decisions", "fills",  "journal records"};
  double worst = -1;
  std::string worst_name;
  for (const Recording& rec : recordings(plan.recordings_dir)) {
    std::vector<ReplayRun> runs, decodes;
    for (int i = 0; i < plan.replay_reps; ++i) {
      progress("replay", "%s: run %d/%d", rec.name.c_str(), i + 1, plan.replay_reps);
      const std::string dir = plan.work_dir + fmt("/replay-%d", i);
      auto r = replay_once(rec, dir);
      remove_tree(dir);
      if (!r.ok()) return r.status().With(rec.name);
      runs.push_back(*r);
      auto d = decode_once(rec);
      if (!d.ok()) return d.status().With(rec.name);
      decodes.push_back(*d);
    }
    const ReplayRun m = median(runs), d = median(decodes);
    const double eps = rate(m.events, m.wall_ns);
    if (worst < 0 || eps < worst) {
      worst = eps;
      worst_name = rec.name;
    }
    t.rows.push_back({rec.name, std::to_string(m.events), fmt_rate(eps),
                      fmt_rate(rate(m.events, m.thread_cpu_ns)),
                      fmt_rate(rate(d.events, d.wall_ns)), std::to_string(m.decisions),
                      std::to_string(m.fills), std::to_string(m.records)});
    t.notes.push_back(
        fmt("%s: pipeline thread CPU %.0f%% of wall; process CPU (with RocksDB "
            "background threads) %.2f s for %.2f s wall",
            rec.name.c_str(),
            100.0 * static_cast<double>(m.thread_cpu_ns) / static_cast<double>(m.wall_ns),
            static_cast<double>(m.process_cpu_ns) / 1e9, static_cast<double>(m.wall_ns) / 1e9));
  }
  t.notes.push_back(
      "events/s = recorded events / wall time of: CaptureReader::next (gunzip, decode) + "
      "SimExchange::on_market (matching, its RocksDB state write) + Engine::on_market (journal "
      "without sync). Grids: BTCUSDT spot 5 USDT x 0.002 BTC (tick 0.01, step 0.00001); ETHUSDT "
      "spot 0.25 USDT x 0.05 ETH (tick 0.01, step 0.0001); USD-M BTCUSDT 5 USDT x 0.002 BTC "
      "(tick 0.1, step 0.001, min notional 100); 5+5 levels, 1 bp maker fee, 10000 USDT.");
  report.tables.push_back(std::move(t));
  report.checks.push_back(
      {"replay >= 1,000,000 events/s on one core",
       worst >= 0 ? fmt_rate(worst) + " events/s (slowest: " + worst_name + ")" : "not measured",
       worst < 0      ? Verdict::kNotMeasured
       : worst >= 1e6 ? Verdict::kMet
                      : Verdict::kNotMet});
  return Status::Ok();
}

// Section 3b: every strategy's paper config (config/paper-btcusdt-<strategy>.yaml beside the
// default run's), the same pipeline over its two BTCUSDT recordings.
Status run_strategy_replay(const Plan& plan, Report& report) {
  Table t;
  t.title = "3b. Replay throughput per strategy (its paper config; one thread; journal without "
            "sync; median of runs)";
  t.header = {"strategy", "events", "events/s", "events/s per CPU-s", "decisions", "fills",
              "journal records"};
  const std::string dir = fs::path(plan.config_path).parent_path().string();
  for (const strategy::StrategyInfo& info : strategy::strategies()) {
    const std::string path = dir + "/paper-btcusdt-" + info.name + ".yaml";
    if (!fs::exists(path)) continue;
    auto cfg = engine::load_config(path);
    if (!cfg.ok()) return cfg.status().With(path);
    std::vector<ReplayRun> runs;
    for (int i = 0; i < plan.replay_reps; ++i) {
      progress("replay", "%s: run %d/%d", info.name, i + 1, plan.replay_reps);
      const std::string work = plan.work_dir + fmt("/strategy-%d", i);
      auto r = replay_config(*cfg, work, cfg->sim.data);
      remove_tree(work);
      if (!r.ok()) return r.status().With(info.name);
      runs.push_back(*r);
    }
    const ReplayRun m = median(runs);
    t.rows.push_back({info.name, std::to_string(m.events), fmt_rate(rate(m.events, m.wall_ns)),
                      fmt_rate(rate(m.events, m.thread_cpu_ns)), std::to_string(m.decisions),
                      std::to_string(m.fills), std::to_string(m.records)});
  }
  t.notes.push_back(
      "The same pipeline as table 3 on each strategy's paper config (the 11-minute BTCUSDT "
      "recording in two files): what a strategy's decisions and its intents cost per event.");
  report.tables.push_back(std::move(t));
  return Status::Ok();
}

}  // namespace keel::bench
