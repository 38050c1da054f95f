// Section 6: durable intents per second with 1, 10 and 100 tasks in one process and one journal
// (bench/bench.h run_tasks; issue 10 "Done when").
//
// Per task count N: the real engine (engine::Engine) with N grid tasks (seed 001) on one account
// and one symbol, over the embedded simulated exchange replaying the recorded BTCUSDT day the
// replay section uses, journal sync ON as the product runs: each pass of the loop journals
// every task's intents of that pass in one synced WriteBatch (W1). The tasks differ in
// price_interval (5.00, 5.03, 5.06, ... USDT), so they do not all decide at once. Timed from the
// first recorded event to RecordingEnded (setup -- opening the stores, TaskStarted, the first
// reconciliation and the opening decision -- is not); the counters are deltas over that span.
#include <filesystem>

#include "bench.h"
#include "bench_util.h"
#include "keel/market/capture.h"
#include "keel/model/snapshot.h"
#include "pipeline.h"

namespace keel::bench {

namespace fs = std::filesystem;

namespace {

struct TasksRun {
  size_t tasks = 0;
  uint64_t events = 0;
  uint64_t intents = 0;       // places + cancels + amends journaled in the timed span
  uint64_t syncs = 0;         // synced journal appends in the span (passes that journaled intents)
  uint64_t fills = 0;
  uint64_t throttled = 0;     // decisions the request budget cut (0: it never bound)
  int64_t wall_ns = 0;
  int64_t thread_cpu_ns = 0;  // the pipeline thread
  int64_t sync_ns = 0;        // wall time inside the synced appends
  uint64_t records = 0;       // journal records at the end (setup included)
  size_t snapshot_bytes = 0;  // model::encode_state of the final state (one snapshot's size)
};

// N grid tasks on one account and one symbol; price_interval 5.00 + 0.03 i USDT for task i
// (on the 0.01 tick), 10,000 USDT of quote per task; a budget of 1000 intents per second and
// bursts of 1000 per task (the grid re-centres in bursts of tens: it never binds).
std::string tasks_yaml(const std::string& file, size_t n) {
  std::string y =
      "instrument: {symbol: BTCUSDT, base_asset: BTC, quote_asset: USDT, tick_size: \"0.01\", "
      "step_size: \"0.00001\", min_notional: \"5\"}\n"
      "exchange:\n  kind: sim\n  speed: max\n  data: [\"" + file + "\"]\n"
      "  maker_fee: \"0.0001\"\n"
      // The account's order limit at its maximum: the section measures the engine, and 100
      // grids on one account would otherwise share Binance's 50 new orders per 10 s.
      "  max_orders_per_10s: 10000\n  max_orders_per_day: 1000000000\n" +
      fmt("  balances: {BTC: \"0\", USDT: \"%zu\"}\n", 10'000 * n) + "tasks:\n";
  for (size_t i = 0; i < n; ++i) {
    const size_t cents = 500 + 3 * i;
    y += fmt("  - id: grid%zu\n    strategy: grid\n", i + 1);
    y += fmt("    params: {price_interval: \"%zu.%02zu\", order_quantity: \"0.002\", "
             "buy_window_size: 5, sell_window_size: 5, max_open_orders: 20}\n",
             cents / 100, cents % 100);
    y += "    max_intents_per_second: 1000\n    intent_burst: 1000\n";
  }
  return y;
}

uint64_t intents_of(const engine::Engine& e) {
  uint64_t n = 0;
  for (const auto& [id, t] : e.state().tasks) n += t.intents_place + t.intents_cancel + t.intents_amend;
  return n;
}

uint64_t fills_of(const engine::Engine& e) {
  uint64_t n = 0;
  for (const auto& [id, t] : e.state().tasks) n += t.buys.fills + t.sells.fills;
  return n;
}

int64_t sum_from(const std::vector<int64_t>& v, size_t from) {
  int64_t s = 0;
  for (size_t i = from; i < v.size(); ++i) s += v[i];
  return s;
}

// One run: N tasks over `file` (at most `max_events` events; 0: all), sync on.
Result<TasksRun> run_n(const std::string& file, size_t n, uint64_t max_events,
                       const std::string& dir) {
  auto cfg = engine::parse_config(tasks_yaml(file, n), fmt("bench config (%zu tasks)", n), "/");
  if (!cfg.ok()) return cfg.status();
  cfg->path = fmt("(bench) %zu grid tasks", n);
  cfg->sync_intents = true;  // the product's durability (W1)
  Pipeline p;
  KEEL_RETURN_IF_ERROR(p.open_stores(*cfg, dir));
  KEEL_RETURN_IF_ERROR(p.start());
  auto reader = market::CaptureReader::open({file});
  if (!reader.ok()) return reader.status();
  TasksRun r;
  r.tasks = n;
  const engine::EngineStats& st = p.engine().stats();
  const uint64_t intents0 = intents_of(p.engine()), fills0 = fills_of(p.engine());
  const uint64_t throttled0 = st.throttled_decisions + st.order_limited_decisions;
  const size_t syncs0 = st.intent_sync_ns.size();
  market::MarketEvent ev;
  const int64_t w0 = now_ns(), c0 = thread_cpu_ns();
  while (max_events == 0 || r.events < max_events) {
    Status s = (*reader)->next(ev);
    if (s.code() == Code::kEndOfData) break;
    KEEL_RETURN_IF_ERROR(s);
    KEEL_RETURN_IF_ERROR(p.step(ev));
    ++r.events;
  }
  KEEL_RETURN_IF_ERROR(p.finish());
  r.wall_ns = now_ns() - w0;
  r.thread_cpu_ns = thread_cpu_ns() - c0;
  r.intents = intents_of(p.engine()) - intents0;
  r.fills = fills_of(p.engine()) - fills0;
  r.throttled = st.throttled_decisions + st.order_limited_decisions - throttled0;
  // The last synced append is RecordingEnded's, not a pass's.
  r.syncs = st.intent_sync_ns.size() - syncs0 - 1;
  r.sync_ns = sum_from(st.intent_sync_ns, syncs0);
  r.records = p.journal().last_seq();
  r.snapshot_bytes = model::encode_state(p.engine().state()).size();
  return r;
}

double per_s(uint64_t n, int64_t ns) {
  return ns > 0 ? static_cast<double>(n) * 1e9 / static_cast<double>(ns) : 0;
}

std::vector<std::string> row(const TasksRun& r, double base_ips) {
  const double ips = per_s(r.intents, r.wall_ns);
  return {std::to_string(r.tasks),
          std::to_string(r.events),
          std::to_string(r.intents),
          std::to_string(r.syncs),
          r.syncs > 0 ? fmt("%.1f", static_cast<double>(r.intents) / static_cast<double>(r.syncs))
                      : "-",
          fmt("%.2f s", static_cast<double>(r.wall_ns) / 1e9),
          fmt("%.0f%%", 100.0 * static_cast<double>(r.sync_ns) / static_cast<double>(r.wall_ns)),
          fmt_rate(ips),
          fmt_rate(per_s(r.events, r.wall_ns)),
          base_ips > 0 ? fmt_ratio(ips / base_ips) : "-"};
}

}  // namespace

Status run_tasks(const Plan& plan, Report& report) {
  const std::string file = (fs::path(plan.recordings_dir) / "spot" / "btcusdt_20240808.gz").string();
  Table t;
  t.title = "6. Durable intents per second with N tasks (one process, one journal, sync on)";
  t.header = {"tasks",    "events",   "intents", "synced batches", "intents/sync",
              "wall",     "in sync",  "durable intents/s", "events/s", "vs 1 task"};
  std::vector<TasksRun> runs;
  for (size_t n : plan.task_counts) {
    progress("tasks", "%zu task(s), %s", n,
             plan.tasks_events > 0 ? fmt("first %llu events",
                                         static_cast<unsigned long long>(plan.tasks_events)).c_str()
                                   : "the whole recording");
    const std::string dir = plan.work_dir + fmt("/tasks-%zu", n);
    auto r = run_n(file, n, plan.tasks_events, dir);
    remove_tree(dir);
    if (!r.ok()) return r.status().With(fmt("%zu tasks", n));
    runs.push_back(*r);
  }
  const double base = !runs.empty() && runs.front().tasks == 1
                          ? per_s(runs.front().intents, runs.front().wall_ns)
                          : 0;
  uint64_t throttled = 0;
  for (const TasksRun& r : runs) {
    t.rows.push_back(row(r, base));
    throttled += r.throttled;
    t.notes.push_back(fmt("%zu task(s): %llu fills; %llu journal records, a state snapshot "
                          "(every 1,000 records) of %.0f KB at the end; pipeline thread CPU "
                          "%.0f%% of wall",
                          r.tasks, static_cast<unsigned long long>(r.fills),
                          static_cast<unsigned long long>(r.records),
                          static_cast<double>(r.snapshot_bytes) / 1e3,
                          100.0 * static_cast<double>(r.thread_cpu_ns) /
                              static_cast<double>(r.wall_ns)));
  }
  t.notes.push_back(
      "Engine with N grid tasks (seed 001; price_interval 5.00 + 0.03 i USDT, 0.002 BTC, 5+5 "
      "levels) on ONE account and ONE symbol, one journal, over spot btcusdt_20240808 on the "
      "embedded simulated exchange, journal sync ON: each pass journals every task's intents in "
      "one synced WriteBatch. intents = places + cancels + amends journaled; synced batches = "
      "synced appends (passes that journaled intents); in sync = wall time inside them; durable "
      "intents/s = intents / wall time of the run (reader + sim + engine + syncs, from the first "
      "event; setup and the opening decision untimed); vs 1 task = ratio to the 1-task row of "
      "this run. The load is what the recording makes the grids decide at max replay speed, not "
      "an offered load.");
  t.notes.push_back(throttled == 0
                        ? "request budget (1000 intents/s, burst 1000 per task) and the "
                          "account's order limit (10000 per 10 s): never bound"
                        : fmt("request budget or order limit bound %llu decisions: the figures "
                              "are capped",
                              static_cast<unsigned long long>(throttled)));
  report.tables.push_back(std::move(t));
  for (const TasksRun& r : runs) {
    if (r.tasks != 10 || base <= 0) continue;
    const double x = per_s(r.intents, r.wall_ns) / base;
    report.checks.push_back({"10-task durable intents/s (one journal) >= 3 x one task's",
                             fmt_ratio(x) + " (" + fmt_rate(per_s(r.intents, r.wall_ns)) +
                                 "/s vs " + fmt_rate(base) + "/s)",
                             x >= 3 ? Verdict::kMet : Verdict::kNotMet});
  }
  return Status::Ok();
}

}  // namespace keel::bench
