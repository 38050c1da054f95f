// src/app/bench_command.h: `keel bench`, the benchmark (sections in bench/, contract in
// bench/README.md). Registered by main.cc like every other command.
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace keel::app {

struct BenchOptions {
  bool quick = false;
  std::string dir;  // parent of the scratch directory ("" = the build directory)
  std::string config = "config/paper-btcusdt-grid.yaml";
  std::string recordings;  // "" = derived from the config's data files (.../data/binance)
  std::string results = "bench/RESULTS.md";
  std::string only;    // comma list of sections ("" = all)
  std::string pg_bin;  // "" = the newest /usr/lib/postgresql/<v>/bin
  bool no_postgres = false;
  bool keep = false;        // keep the scratch directory
  int durable_commits = 0;  // 0 = the mode's default (likewise below)
  int rounds = 0;
  int tick_passes = 0;
  int replay_reps = 0;
  std::string recovery_sizes;  // comma list of record counts
  std::string task_counts;     // comma list of task counts (tasks section)
  int64_t tasks_events = -1;   // events per tasks run; -1 = the mode's default, 0 = all
};

// Adds the `bench` subcommand (options bound to `opts`) and returns it.
CLI::App* add_bench_command(CLI::App& app, BenchOptions& opts);

// Runs it. Exit: 0 every section ran (targets met or not: the bench measures, it does not
// judge), 1 bad options or inputs, 3 a section failed (RESULTS.md is still written).
int bench_command(const BenchOptions& opts);

}  // namespace keel::app
