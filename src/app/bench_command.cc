// keel bench: one command, one run, every figure of issue 5 measured together (bench/).
#include "bench_command.h"

#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <sstream>

#include "bench.h"
#include "bench_util.h"
#include "durable.h"

namespace keel::app {

namespace fs = std::filesystem;

namespace {

constexpr const char* kAbout =
    "Measure keel in one run and write bench/RESULTS.md (tables + targets of issue 5).\n"
    "Sections, in order (pick with --only):\n"
    "  durable   p50/p99 of one durable intent commit and commits/s with 1 and 8 writers, for:\n"
    "            raw write+fdatasync (the physical limit), keel Journal::append(sync=true),\n"
    "            keel group commit (8 tasks, one journal), SQLite (WAL, synchronous=FULL) and\n"
    "            PostgreSQL (synchronous_commit=on; a private server started and stopped by\n"
    "            the bench: initdb + pg_ctl on 127.0.0.1, run as user postgres when root).\n"
    "            All in one directory, taking turns in rounds; ratios to raw fdatasync p50.\n"
    "  tick      tick-to-request: raw recorded line -> decode -> book -> engine (decide,\n"
    "            journal) -> signed request bytes; p50/p99/p99.9 with sync on and off.\n"
    "  replay    recorded events/s through the whole pipeline (decode, simulated matching,\n"
    "            engine, journal without sync) on one thread, for each recording, then for\n"
    "            each strategy's paper config (config/paper-btcusdt-<strategy>.yaml).\n"
    "  recovery  restart until quoting (open + fold + reconcile) for 10^4..10^6 records\n"
    "            (10^7 in the full run when disk and time allow).\n"
    "  memory    peak RSS of `keel run` on the default config; heap allocations per event\n"
    "            (keel_alloc_probe, built beside keel).\n"
    "  tasks     durable intents/s of the engine with 1, 10 and 100 grid tasks in one process\n"
    "            and one journal (one account, one symbol, sync on: one synced batch per pass)\n"
    "            over the recorded BTCUSDT day; ratios to one task's.\n"
    "--quick finishes in about a minute on 2 cores; the full run takes several minutes.\n"
    "Run from the repository root (config/ and bench/ are found relative to it).\n"
    "Exit: 0 all sections ran, 1 bad options/inputs, 3 a section failed (RESULTS.md still\n"
    "written, listing the error). Details and the profile: bench/README.md.";

constexpr const char* kFooter =
    "Examples:\n"
    "  keel bench --quick                      # ~1 minute, all sections\n"
    "  keel bench                              # the full run behind bench/RESULTS.md\n"
    "  keel bench --only durable --no-postgres # just the journal vs raw fdatasync and SQLite\n"
    "  keel bench --quick --dir /tmp --results /tmp/RESULTS.md --keep";

const char* kSections[] = {"durable", "tick", "replay", "recovery", "memory", "tasks"};

std::string self_exe() {
  std::error_code ec;
  const fs::path p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : p.string();
}

std::string fmt_range(const std::string& name, const std::string& value, double lo, double hi) {
  return bench::fmt("%s: '%s' is not a count in [%g, %g]", name.c_str(), value.c_str(), lo, hi);
}

std::vector<std::string> split(const std::string& list) {
  std::vector<std::string> out;
  std::stringstream ss(list);
  for (std::string item; std::getline(ss, item, ',');) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

// A comma list of counts in [lo, hi] ("1e6" accepted) for option `name`.
template <class T>
Status parse_counts(const std::string& name, const std::string& list, double lo, double hi,
                    std::vector<T>& out) {
  out.clear();
  for (const std::string& s : split(list)) {
    char* end = nullptr;
    const double v = std::strtod(s.c_str(), &end);  // accepts 1e6
    if (end == s.c_str() || *end != '\0' || v < lo || v > hi) {
      return Status::InvalidArgument(fmt_range(name, s, lo, hi));
    }
    out.push_back(static_cast<T>(v));
  }
  return Status::Ok();
}

// The mode's sizes, then the overrides given on the command line.
Status apply_sizes(const BenchOptions& o, bench::Plan& p) {
  p.durable_commits = o.quick ? 400 : 4000;
  p.durable_rounds = o.quick ? 2 : 8;
  p.tick_passes = o.quick ? 1 : 5;
  p.replay_reps = o.quick ? 1 : 3;
  p.recovery_sizes = o.quick ? std::vector<uint64_t>{10'000, 100'000, 1'000'000}
                             : std::vector<uint64_t>{10'000, 100'000, 1'000'000, 10'000'000};
  // Section 6: the whole recording in the full run; its first 10,000 events with --quick
  // (bench/README.md: 100 tasks over the whole day with sync on take most of a quick run).
  p.task_counts = {1, 10, 100};
  p.tasks_events = o.quick ? 10'000 : 0;
  if (o.durable_commits > 0) p.durable_commits = o.durable_commits;
  if (o.rounds > 0) p.durable_rounds = o.rounds;
  if (o.tick_passes > 0) p.tick_passes = o.tick_passes;
  if (o.replay_reps > 0) p.replay_reps = o.replay_reps;
  if (!o.recovery_sizes.empty()) {
    KEEL_RETURN_IF_ERROR(
        parse_counts("--recovery-sizes", o.recovery_sizes, 2, 1e9, p.recovery_sizes));
  }
  if (!o.task_counts.empty())
    KEEL_RETURN_IF_ERROR(parse_counts("--task-counts", o.task_counts, 1, 1000, p.task_counts));
  if (o.tasks_events >= 0) p.tasks_events = static_cast<uint64_t>(o.tasks_events);
  return Status::Ok();
}

Status choose_sections(const BenchOptions& o, bench::Plan& p) {
  p.sections = o.only.empty() ? std::vector<std::string>(std::begin(kSections), std::end(kSections))
                              : split(o.only);
  for (const std::string& s : p.sections) {
    if (std::find(std::begin(kSections), std::end(kSections), s) == std::end(kSections)) {
      return Status::InvalidArgument("--only: '" + s +
                                     "' is not a section (durable,tick,replay,recovery,memory,tasks)");
    }
  }
  return Status::Ok();
}

// Finds the inputs (config, recordings, binaries) and creates the scratch directory.
Status make_plan(const BenchOptions& o, bench::Plan& p) {
  p.quick = o.quick;
  KEEL_RETURN_IF_ERROR(apply_sizes(o, p));
  KEEL_RETURN_IF_ERROR(choose_sections(o, p));
  p.config_path = o.config;
  auto cfg = engine::load_config(o.config);
  if (!cfg.ok()) return cfg.status().With("--config (run from the repository root?)");
  p.recordings_dir = !o.recordings.empty()
                         ? o.recordings
                         : fs::path(cfg->sim.data.front()).parent_path().parent_path().string();
  if (!fs::is_directory(fs::path(p.recordings_dir) / "spot")) {
    return Status::NotFound("--recordings: no spot/ under " + p.recordings_dir);
  }
  const fs::path results_dir = fs::absolute(o.results).parent_path();
  if (!fs::is_directory(results_dir)) {
    return Status::NotFound("--results: no directory " + results_dir.string() +
                            " (run from the repository root, or pass --results FILE)");
  }
  p.self_exe = self_exe();
  const fs::path bin_dir = fs::path(p.self_exe).parent_path();
  const fs::path probe = bin_dir / "keel_alloc_probe";
  p.probe_exe = ::access(probe.c_str(), X_OK) == 0 ? probe.string() : "";
  p.pg_bin = o.no_postgres ? "" : !o.pg_bin.empty() ? o.pg_bin : bench::find_pg_bin();
  // Scratch: under the build directory by default (the repo's filesystem), else under --dir.
  const std::string parent = !o.dir.empty() ? o.dir : bin_dir.parent_path().string();
  std::string tmpl = (fs::absolute(parent) / "keel-bench-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr)
    return Status::IOError("cannot create a directory in " + parent);
  ::chmod(tmpl.c_str(), 0755);  // PostgreSQL (user postgres) must traverse it when we are root
  p.work_dir = tmpl;
  return Status::Ok();
}

void run_section(const std::string& name, const bench::Plan& plan, bench::Report& report) {
  if (!plan.wants(name)) return;
  const int64_t t0 = bench::now_ns();
  bench::progress(name.c_str(), "start");
  Status s;
  try {
    if (name == "durable") s = bench::run_durable(plan, report);
    if (name == "tick") s = bench::run_tick(plan, report);
    if (name == "replay") {
      s = bench::run_replay(plan, report);
      if (s.ok()) s = bench::run_strategy_replay(plan, report);
    }
    if (name == "recovery") s = bench::run_recovery(plan, report);
    if (name == "memory") s = bench::run_memory(plan, report);
    if (name == "tasks") s = bench::run_tasks(plan, report);
  } catch (const std::exception& e) {
    s = Status::IOError(std::string("exception: ") + e.what());
  }
  if (!s.ok()) report.errors.push_back(name + ": " + s.ToString());
  bench::progress(name.c_str(), "done in %.1f s%s", static_cast<double>(bench::now_ns() - t0) / 1e9,
                  s.ok() ? "" : " (FAILED, see the report)");
}

}  // namespace

CLI::App* add_bench_command(CLI::App& app, BenchOptions& o) {
  auto* b = app.add_subcommand("bench", kAbout);
  b->footer(kFooter);
  b->add_flag("--quick", o.quick, "Small sample sizes: about a minute on 2 cores");
  b->add_option("--dir", o.dir,
                "Where to create the scratch directory (default: the build directory, i.e. the "
                "repository's filesystem); removed afterwards unless --keep");
  b->add_option("--config", o.config, "The default run's config (tick, recovery, memory)")
      ->capture_default_str();
  b->add_option("--recordings", o.recordings,
                "Folder with spot/ and usdm/ captures (default: from the config's data files)");
  b->add_option("--results", o.results, "Markdown report to write")->capture_default_str();
  b->add_option("--only", o.only, "Comma list of sections: durable,tick,replay,recovery,memory,tasks");
  b->add_option("--pg-bin", o.pg_bin,
                "PostgreSQL bin dir (default: newest /usr/lib/postgresql/*/bin)");
  b->add_flag("--no-postgres", o.no_postgres, "Skip PostgreSQL in the durable section");
  b->add_flag("--keep", o.keep, "Keep the scratch directory (journals, logs) for inspection");
  b->add_option("--durable-commits", o.durable_commits,
                "Commits per system and writer count, all rounds (quick 400, full 4000)");
  b->add_option("--rounds", o.rounds, "Durable rounds, systems taking turns (quick 2, full 8)");
  b->add_option("--tick-passes", o.tick_passes, "Replays per sync mode in tick (quick 1, full 5)");
  b->add_option("--replay-reps", o.replay_reps, "Replays per recording (quick 1, full 3)");
  b->add_option("--recovery-sizes", o.recovery_sizes,
                "Comma list of journal sizes (quick 1e4,1e5,1e6; full adds 1e7)");
  b->add_option("--task-counts", o.task_counts,
                "Comma list of task counts for the tasks section (default 1,10,100; the ratio "
                "column needs 1 first)");
  b->add_option("--tasks-events", o.tasks_events,
                "Recorded events per run of the tasks section, 0 = the whole recording (quick "
                "10000, full 0)");
  return b;
}

int bench_command(const BenchOptions& o) {
  bench::Plan plan;
  if (Status s = make_plan(o, plan); !s.ok()) {
    std::fprintf(stderr, "keel bench: %s\n", s.ToString().c_str());
    return 1;
  }
  const int64_t t0 = bench::now_ns();
  bench::Report report;
  report.context = bench::describe_machine(plan);
  bench::progress("bench", "scratch directory %s", plan.work_dir.c_str());
  for (const char* name : kSections) run_section(name, plan, report);
  report.seconds = static_cast<double>(bench::now_ns() - t0) / 1e9;
  double load[3] = {0, 0, 0};
  if (getloadavg(load, 3) == 3) {
    report.context.push_back(
        bench::fmt("load average at end: %.2f %.2f %.2f", load[0], load[1], load[2]));
  }
  std::fputs(bench::render_text(report).c_str(), stdout);
  if (Status s = bench::write_file(o.results, bench::render_markdown(report, plan)); !s.ok()) {
    std::fprintf(stderr, "keel bench: %s\n", s.ToString().c_str());
    return 1;
  }
  std::printf("wrote %s\n", o.results.c_str());
  if (o.keep)
    std::printf("kept %s\n", plan.work_dir.c_str());
  else
    bench::remove_tree(plan.work_dir);
  return report.errors.empty() ? 0 : 3;
}

}  // namespace keel::app
