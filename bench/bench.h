// bench/bench.h: the pieces of `keel bench` (src/app/bench_command.cc runs them in order).
//
// Every section measures keel's real modules (journal, engine, simulated exchange, decoders)
// in this process, and writes what it found into a Report: tables for the reader, and checks
// against the targets of issue 5. Nothing here is on keel's production path.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "keel/core/status.h"
#include "keel/engine/config.h"

namespace keel::bench {

// ---- what a run was asked to do ------------------------------------------------------------

struct Plan {
  bool quick = false;
  std::string work_dir;               // scratch space: journals, SQLite, PostgreSQL (removed after)
  std::string config_path;            // the default run's config (tick-to-request, memory)
  std::string recordings_dir;         // .../data/binance (spot/, usdm/)
  std::string self_exe;               // this keel binary (memory: `keel run` as a child)
  std::string probe_exe;              // keel_alloc_probe ("" = not found)
  std::string pg_bin;                 // PostgreSQL's bin dir ("" = skip PostgreSQL)
  std::vector<std::string> sections;  // durable, tick, replay, recovery, memory, tasks
  // Sizes, set from quick/full in make_plan and overridable on the command line.
  int durable_commits = 0;  // commits per (system, writer count), all rounds together
  int durable_rounds = 0;   // interleaved rounds (systems take turns, so drift hits all)
  int tick_passes = 0;      // replays of the default recording per sync mode
  int replay_reps = 0;      // replays per recording (median reported)
  std::vector<uint64_t> recovery_sizes;  // journal records
  std::vector<size_t> task_counts;       // tasks per run of section 6 (1, 10, 100)
  uint64_t tasks_events = 0;             // recorded events per run of section 6 (0: all)
  bool wants(const std::string& section) const;
};

// ---- what a run found ----------------------------------------------------------------------

struct Table {
  std::string title;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> notes;  // what the figures cover, in words
};

enum class Verdict { kMet, kNotMet, kNotMeasured };

struct Check {
  std::string target;    // "durable intent p50 <= 1.15 x raw fdatasync p50"
  std::string measured;  // "1.07 x (0.231 ms vs 0.216 ms)"
  Verdict verdict = Verdict::kNotMeasured;
};

struct Report {
  std::vector<std::string> context;  // machine, load, mode, dir
  std::vector<Table> tables;
  std::vector<Check> checks;
  std::vector<std::string> errors;  // sections that failed (the run still writes the rest)
  double seconds = 0;
};

// ---- the sections --------------------------------------------------------------------------

// 1. Durable intent latency and commit throughput: raw fdatasync, keel, SQLite, PostgreSQL.
Status run_durable(const Plan& plan, Report& report);
// 2. Tick-to-request latency through the real decoder, engine and journal, sync on and off.
Status run_tick(const Plan& plan, Report& report);
// 3. Replay throughput of every recording (journal without sync).
Status run_replay(const Plan& plan, Report& report);
// Section 3b: the replay of every strategy's paper config (config/paper-btcusdt-<name>.yaml).
Status run_strategy_replay(const Plan& plan, Report& report);
// 4. Recovery time (open + fold + reconcile) of synthetic journals.
Status run_recovery(const Plan& plan, Report& report);
// 5. Peak RSS of `keel run` and heap allocations per event (keel_alloc_probe).
Status run_memory(const Plan& plan, Report& report);
// 6. Durable intents per second with N tasks in one process and one journal (sync on).
Status run_tasks(const Plan& plan, Report& report);

// Machine and load description for the report's header.
std::vector<std::string> describe_machine(const Plan& plan);
// Plain-text tables for the terminal, and the RESULTS.md document.
std::string render_text(const Report& report);
std::string render_markdown(const Report& report, const Plan& plan);

// Loads the default run's config (relative data paths resolved against its folder).
Result<engine::Config> load_default_config(const Plan& plan);

}  // namespace keel::bench
