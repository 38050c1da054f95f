// Section 1: durable intent latency and commit throughput (bench/bench.h run_durable).
//
// Every system commits the same intent (~200 bytes) durably, with 1 and with 8 writer threads.
// The systems take turns in rounds (raw, keel, SQLite, PostgreSQL, raw, ...), so a change in the
// machine's background load during the run hits all of them alike; samples of all rounds are
// pooled. Latency: one commit call, from the call to its return. Throughput: commits of all
// writers / wall time from the common start (a latch) to the last writer's end.
#include <latch>
#include <thread>

#include "bench.h"
#include "durable.h"
#include "bench_util.h"

namespace keel::bench {

namespace {

constexpr int kWarmupPerWriter = 3;

struct Cell {
  DurableSystem* sys = nullptr;
  int writers = 1;
  std::vector<int64_t> latency_ns;
  int64_t wall_ns = 0;
  uint64_t commits = 0;
  std::string error;  // first failure; the cell is then reported n/a
};

struct WriterRun {
  std::vector<int64_t> latency_ns;
  int64_t start_ns = 0, end_ns = 0;
  Status status;
};

void writer_loop(DurableSystem& sys, int w, int commits, std::latch& go, WriterRun& out) {
  for (int i = 0; i < kWarmupPerWriter && out.status.ok(); ++i) out.status = sys.commit(w);
  go.arrive_and_wait();
  out.start_ns = now_ns();
  out.latency_ns.reserve(static_cast<size_t>(commits));
  for (int i = 0; i < commits && out.status.ok(); ++i) {
    const int64_t t0 = now_ns();
    out.status = sys.commit(w);
    out.latency_ns.push_back(now_ns() - t0);
  }
  out.end_ns = now_ns();
}

// One batch of `per_writer` timed commits on each of cell.writers threads.
void run_batch(Cell& cell, int per_writer) {
  if (!cell.error.empty()) return;
  if (Status s = cell.sys->start(cell.writers); !s.ok()) {
    cell.error = s.ToString();
    return;
  }
  std::vector<WriterRun> runs(static_cast<size_t>(cell.writers));
  std::latch go(cell.writers);
  std::vector<std::thread> threads;
  for (int w = 0; w < cell.writers; ++w) {
    threads.emplace_back(writer_loop, std::ref(*cell.sys), w, per_writer, std::ref(go),
                         std::ref(runs[static_cast<size_t>(w)]));
  }
  for (std::thread& t : threads) t.join();
  int64_t start = INT64_MAX, end = 0;
  for (WriterRun& r : runs) {
    if (!r.status.ok() && cell.error.empty()) cell.error = r.status.ToString();
    start = std::min(start, r.start_ns);
    end = std::max(end, r.end_ns);
    cell.commits += r.latency_ns.size();
    cell.latency_ns.insert(cell.latency_ns.end(), r.latency_ns.begin(), r.latency_ns.end());
  }
  cell.wall_ns += end - start;
}

double throughput(const Cell& c) {
  return c.wall_ns > 0 ? static_cast<double>(c.commits) * 1e9 / static_cast<double>(c.wall_ns) : 0;
}

struct Systems {
  std::vector<std::unique_ptr<DurableSystem>> owned;
  std::vector<Cell> cells;  // in the order they run within a round
  void add(std::unique_ptr<DurableSystem> sys, std::vector<int> writer_counts) {
    for (int w : writer_counts) cells.push_back(Cell{sys.get(), w, {}, 0, 0, {}});
    owned.push_back(std::move(sys));
  }
  Cell* find(const std::string& name, int writers) {
    for (Cell& c : cells) {
      if (c.sys->name() == name && c.writers == writers) return &c;
    }
    return nullptr;
  }
};

Systems make_systems(const Plan& plan) {
  const std::string d = plan.work_dir + "/durable";
  Systems s;
  s.add(make_raw_fdatasync(d + "/raw"), {1, 8});
  s.add(make_keel_journal(d + "/keel"), {1});
  s.add(make_keel_group_commit(d + "/keel-gc"), {1, 8});
  s.add(make_sqlite(d + "/sqlite"), {1, 8});
  if (!plan.pg_bin.empty()) s.add(make_postgres(d + "/pg", plan.pg_bin), {1, 8});
  return s;
}

struct Figures {
  Summary lat;
  double per_s = 0;
  bool ok = false;
};

Figures figures(Cell* c) {
  Figures f;
  if (c == nullptr || !c->error.empty() || c->latency_ns.empty()) return f;
  f.lat = summarize(c->latency_ns);
  f.per_s = throughput(*c);
  f.ok = true;
  return f;
}

void add_checks(Systems& s, Report& report, const Figures& raw1) {
  const Figures k1 = figures(s.find("keel Journal::append", 1));
  const Figures g8 = figures(s.find("keel group commit", 8));
  const Figures q1 = figures(s.find("SQLite WAL sync=FULL", 1));
  const Figures p8 = figures(s.find("PostgreSQL sync_commit=on", 8));
  auto check = [&](std::string target, bool have, double x, double goal, std::string detail) {
    Check c{std::move(target), have ? fmt_ratio(x) + " (" + detail + ")" : "not measured",
            !have ? Verdict::kNotMeasured : x + 1e-12 >= goal ? Verdict::kMet : Verdict::kNotMet};
    report.checks.push_back(std::move(c));
  };
  const bool lat_ok = k1.ok && raw1.ok;
  const double lat_x = lat_ok ? static_cast<double>(k1.lat.p50) / static_cast<double>(raw1.lat.p50) : 0;
  report.checks.push_back(
      {"durable intent p50 <= 1.15 x raw fdatasync p50",
       lat_ok ? fmt_ratio(lat_x) + " (keel " + fmt_ns(static_cast<double>(k1.lat.p50)) + " vs raw " +
                    fmt_ns(static_cast<double>(raw1.lat.p50)) + ")"
              : "not measured",
       !lat_ok ? Verdict::kNotMeasured : lat_x <= 1.15 ? Verdict::kMet : Verdict::kNotMet});
  check("8-task durable throughput >= 3 x one task's", g8.ok && k1.ok, g8.per_s / k1.per_s, 3,
        fmt_rate(g8.per_s) + "/s vs " + fmt_rate(k1.per_s) + "/s");
  check("keel >= 2 x PostgreSQL durable commits/s, 8 writers", g8.ok && p8.ok,
        g8.per_s / p8.per_s, 2, fmt_rate(g8.per_s) + "/s vs " + fmt_rate(p8.per_s) + "/s");
  check("keel >= SQLite durable commits/s, 1 writer", k1.ok && q1.ok, k1.per_s / q1.per_s, 1,
        fmt_rate(k1.per_s) + "/s vs " + fmt_rate(q1.per_s) + "/s");
}

void add_table(Systems& s, const Plan& plan, Report& report) {
  Table t;
  t.title = "1. Durable intent commit (same directory, same run; ratios to raw fdatasync p50)";
  t.header = {"system", "writers", "p50", "p99", "p50/raw", "p99/raw", "commits/s", "samples"};
  const Figures raw1 = figures(s.find("raw write+fdatasync", 1));
  for (Cell& c : s.cells) {
    const Figures f = figures(&c);
    if (!f.ok) {
      t.rows.push_back({c.sys->name(), std::to_string(c.writers), "n/a", "n/a", "", "", "",
                        c.error.empty() ? "no samples" : c.error.substr(0, 60)});
      if (!c.error.empty()) report.errors.push_back(c.sys->name() + ": " + c.error);
      continue;
    }
    const double base = raw1.ok ? static_cast<double>(raw1.lat.p50) : 0;
    t.rows.push_back({c.sys->name(), std::to_string(c.writers), fmt_ns(static_cast<double>(f.lat.p50)),
                      fmt_ns(static_cast<double>(f.lat.p99)),
                      base > 0 ? fmt_ratio(static_cast<double>(f.lat.p50) / base) : "",
                      base > 0 ? fmt_ratio(static_cast<double>(f.lat.p99) / base) : "",
                      fmt_rate(f.per_s), std::to_string(f.lat.n)});
  }
  for (auto& sys : s.owned) {
    t.notes.push_back(sys->name() + ": " + sys->how() +
                      (sys->summary().empty() ? "" : " [" + sys->summary() + "]"));
  }
  t.notes.push_back(fmt("%d rounds; systems take turns within each round; latency = one "
                        "commit call; commits/s = all writers' commits / wall time from a "
                        "common start; 8 writers = 8 threads. Directory: %s/durable",
                        plan.durable_rounds, plan.work_dir.c_str()));
  if (plan.pg_bin.empty()) t.notes.push_back("PostgreSQL skipped (--no-postgres or not installed)");
  report.tables.push_back(std::move(t));
  add_checks(s, report, raw1);
}

}  // namespace

Status run_durable(const Plan& plan, Report& report) {
  Systems s = make_systems(plan);
  const int rounds = std::max(1, plan.durable_rounds);
  for (int r = 0; r < rounds; ++r) {
    for (Cell& c : s.cells) {
      const int per_writer = std::max(1, plan.durable_commits / rounds / c.writers);
      progress("durable", "round %d/%d: %s, %d writer%s x %d commits", r + 1, rounds,
               c.sys->name().c_str(), c.writers, c.writers > 1 ? "s" : "", per_writer);
      run_batch(c, per_writer);
    }
  }
  for (auto& sys : s.owned) sys->stop();
  add_table(s, plan, report);
  s.owned.clear();  // stops PostgreSQL before the next section
  return Status::Ok();
}

}  // namespace keel::bench
