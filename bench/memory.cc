// Section 5: memory (bench/bench.h run_memory).
//
// Peak RSS: `keel run --config <default> --data-dir <fresh> --quiet` as a child process, its
// getrusage ru_maxrss (the whole process: engine, simulated exchange, two RocksDB instances).
// Heap allocations per event: keel_alloc_probe (bench/alloc_probe.cc) as a child; it replaces
// the global operator new/delete with counting versions and prints key=value lines.
#include <map>
#include <sstream>

#include "bench.h"
#include "bench_util.h"

namespace keel::bench {

namespace {

std::map<std::string, std::string> parse_kv(const std::string& out) {
  std::map<std::string, std::string> kv;
  std::istringstream in(out);
  std::string word;
  while (in >> word) {
    const size_t eq = word.find('=');
    if (eq != std::string::npos) kv[word.substr(0, eq)] = word.substr(eq + 1);
  }
  return kv;
}

Status peak_rss(const Plan& plan, Table& t) {
  const std::string dir = plan.work_dir + "/rss-run";
  progress("memory", "keel run --config %s (child process)", plan.config_path.c_str());
  ChildUsage u;
  auto rc =
      run_child({plan.self_exe, "run", "--config", plan.config_path, "--data-dir", dir, "--quiet"},
                plan.work_dir + "/rss-run.log", &u);
  if (!rc.ok()) return rc.status();
  if (*rc != 0) {
    return Status::IOError(fmt("keel run exited %d:\n", *rc) +
                           tail_lines(read_file(plan.work_dir + "/rss-run.log"), 5));
  }
  remove_tree(dir);
  t.rows.push_back({"peak RSS, full replay of the default config (keel run)",
                    fmt("%.1f MiB", static_cast<double>(u.max_rss_kib) / 1024.0),
                    fmt("CPU %.2f s", static_cast<double>(u.cpu_ns) / 1e9)});
  return Status::Ok();
}

Status allocations(const Plan& plan, Table& t, Report& report) {
  if (plan.probe_exe.empty()) {
    t.rows.push_back({"heap allocations per event", "n/a", "keel_alloc_probe not built"});
    return Status::Ok();
  }
  progress("memory", "%s (child process)", plan.probe_exe.c_str());
  std::string out;
  auto rc = run_child_capture(
      {plan.probe_exe, "--config", plan.config_path, "--dir", plan.work_dir + "/alloc-probe"},
      plan.work_dir + "/alloc-probe.log", out);
  remove_tree(plan.work_dir + "/alloc-probe");
  if (!rc.ok()) return rc.status();
  if (*rc != 0) {
    return Status::IOError(fmt("keel_alloc_probe exited %d:\n", *rc) +
                           tail_lines(read_file(plan.work_dir + "/alloc-probe.log"), 5));
  }
  auto kv = parse_kv(out);
  auto get = [&](const char* k) { return kv.count(k) != 0 ? kv[k] : std::string("?"); };
  t.rows.push_back({"heap allocations per event, steady state (all stages)",
                    get("allocs_per_event"),
                    get("bytes_per_event") + " bytes/event over " + get("events") +
                        " events after " + get("warmup_events") + " warm-up"});
  t.rows.push_back({"  capture read + decode", get("reader_allocs_per_event"), ""});
  t.rows.push_back(
      {"  simulated exchange on_market", get("sim_allocs_per_event"), "the venue's work"});
  t.rows.push_back({"  engine on_market (all events)", get("engine_allocs_per_event"), ""});
  t.rows.push_back({"  engine on_market, events with a decision", get("engine_allocs_per_decision"),
                    get("decisions") + " decisions"});
  t.rows.push_back(
      {"  engine on_market, events without one", get("engine_allocs_per_quiet_event"), ""});
  const double per_event = std::atof(get("allocs_per_event").c_str());
  report.checks.push_back(
      {"zero heap allocations per event in steady state",
       get("allocs_per_event") + " per event (engine alone " + get("engine_allocs_per_event") + ")",
       kv.count("allocs_per_event") == 0 ? Verdict::kNotMeasured
       : per_event == 0                  ? Verdict::kMet
                                         : Verdict::kNotMet});
  return Status::Ok();
}

}  // namespace

Status run_memory(const Plan& plan, Report& report) {
  Table t;
  t.title = "5. Memory";
  t.header = {"measure", "value", "detail"};
  Status s1 = peak_rss(plan, t);
  if (!s1.ok()) report.errors.push_back("peak RSS: " + s1.ToString());
  Status s2 = allocations(plan, t, report);
  if (!s2.ok()) report.errors.push_back("allocations: " + s2.ToString());
  t.notes.push_back(
      "Allocations: keel_alloc_probe replaces global operator new/delete (counting on the "
      "replay thread only, so RocksDB's background flushes are not counted), replays the "
      "default config as keel run does (intents synced), and counts after the first 10% of "
      "events (warm-up), per stage: CaptureReader::next, SimExchange::on_market, "
      "Engine::on_market.");
  report.tables.push_back(std::move(t));
  return Status::Ok();
}

}  // namespace keel::bench
