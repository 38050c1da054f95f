// Section 1: durable intent latency and commit throughput (bench/bench.h run_durable).
//
// Every system commits the same intent (~200 bytes) durably, with 1 and with 8 writer threads.
// This disk's fdatasync flips between ~0.2 ms and ~4 ms over seconds, so the systems are never
// measured one after the other in long stretches:
//  - 1 writer: one thread alternates the systems commit by commit (raw, keel, ..., rotating who
//    goes first), so each system's i-th sample is taken within milliseconds of the others';
//    commits/s = 1 / mean latency (a closed loop with no think time);
//  - 8 writers: each system in turn, in rounds; commits/s = all writers' commits / wall time from
//    a common start (a latch) to the last writer's end.
// Latency is one commit call, from the call to its return; samples of all rounds are pooled.
#include "durable.h"

#include <algorithm>
#include <latch>
#include <thread>

#include "bench.h"
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
  std::vector<double> round_per_s;  // commits/s of each round: the spread shows the noise
  std::string error;                // first failure; the cell is then reported n/a
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

// Starts a 1-writer cell and warms it up; false (with cell.error set) when it cannot.
bool start_single(Cell& c) {
  if (!c.error.empty()) return false;
  Status st = c.sys->start(1);
  for (int i = 0; i < kWarmupPerWriter && st.ok(); ++i) st = c.sys->commit(0);
  if (!st.ok()) c.error = st.ToString();
  return st.ok();
}

// `commits` iterations; in each, every 1-writer cell commits once, the first one rotating.
void run_interleaved(const std::vector<Cell*>& cells, int commits) {
  std::vector<Cell*> live;
  for (Cell* c : cells) {
    if (start_single(*c)) live.push_back(c);
  }
  std::vector<int64_t> busy_ns(live.size(), 0);
  std::vector<uint64_t> done(live.size(), 0);
  for (int i = 0; i < commits; ++i) {
    for (size_t k = 0; k < live.size(); ++k) {
      const size_t j = (static_cast<size_t>(i) + k) % live.size();
      Cell& c = *live[j];
      if (!c.error.empty()) continue;
      const int64_t t0 = now_ns();
      const Status st = c.sys->commit(0);
      const int64_t dt = now_ns() - t0;
      if (!st.ok()) {
        c.error = st.ToString();
        continue;
      }
      c.latency_ns.push_back(dt);
      busy_ns[j] += dt;
      ++done[j];
    }
  }
  for (size_t j = 0; j < live.size(); ++j) {
    live[j]->commits += done[j];
    live[j]->wall_ns += busy_ns[j];
    if (busy_ns[j] > 0) {
      live[j]->round_per_s.push_back(static_cast<double>(done[j]) * 1e9 /
                                     static_cast<double>(busy_ns[j]));
    }
  }
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
  uint64_t commits = 0;
  for (WriterRun& r : runs) {
    if (!r.status.ok() && cell.error.empty()) cell.error = r.status.ToString();
    start = std::min(start, r.start_ns);
    end = std::max(end, r.end_ns);
    commits += r.latency_ns.size();
    cell.latency_ns.insert(cell.latency_ns.end(), r.latency_ns.begin(), r.latency_ns.end());
  }
  cell.commits += commits;
  cell.wall_ns += end - start;
  if (end > start)
    cell.round_per_s.push_back(static_cast<double>(commits) * 1e9 /
                               static_cast<double>(end - start));
}

double throughput(const Cell& c) {
  return c.wall_ns > 0 ? static_cast<double>(c.commits) * 1e9 / static_cast<double>(c.wall_ns) : 0;
}

struct Systems {
  std::vector<std::unique_ptr<DurableSystem>> owned;
  std::vector<Cell> cells;  // in the order they run within a round
  void add(std::unique_ptr<DurableSystem> sys, std::vector<int> writer_counts) {
    for (int w : writer_counts) cells.push_back(Cell{sys.get(), w, {}, 0, 0, {}, {}});
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
  s.add(make_raw_overwrite(d + "/raw-prealloc"), {1, 8});
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

void add_checks(Systems& s, Report& report, const Figures& raw1, double paired) {
  const Figures k1 = figures(s.find("keel Journal::append", 1));
  const Figures g8 = figures(s.find("keel group commit", 8));
  const Figures q1 = figures(s.find("SQLite WAL sync=FULL", 1));
  const Figures p8 = figures(s.find("PostgreSQL sync_commit=on", 8));
  auto check = [&](std::string target, bool have, double x, double goal, std::string detail) {
    Check c{std::move(target), have ? fmt_ratio(x) + " (" + detail + ")" : "not measured",
            !have               ? Verdict::kNotMeasured
            : x + 1e-12 >= goal ? Verdict::kMet
                                : Verdict::kNotMet};
    report.checks.push_back(std::move(c));
  };
  const bool lat_ok = k1.ok && raw1.ok;
  const double lat_x =
      lat_ok ? static_cast<double>(k1.lat.p50) / static_cast<double>(raw1.lat.p50) : 0;
  report.checks.push_back({"durable intent p50 <= 1.15 x raw fdatasync p50",
                           lat_ok ? fmt_ratio(lat_x) + " (keel " +
                                        fmt_ns(static_cast<double>(k1.lat.p50)) + " vs raw " +
                                        fmt_ns(static_cast<double>(raw1.lat.p50)) +
                                        "; paired median " + fmt_ratio(paired) + ")"
                                  : "not measured",
                           !lat_ok         ? Verdict::kNotMeasured
                           : lat_x <= 1.15 ? Verdict::kMet
                                           : Verdict::kNotMet});
  check("8-task durable throughput >= 3 x one task's", g8.ok && k1.ok, g8.per_s / k1.per_s, 3,
        fmt_rate(g8.per_s) + "/s vs " + fmt_rate(k1.per_s) + "/s");
  check("keel >= 2 x PostgreSQL durable commits/s, 8 writers", g8.ok && p8.ok, g8.per_s / p8.per_s,
        2, fmt_rate(g8.per_s) + "/s vs " + fmt_rate(p8.per_s) + "/s");
  check("keel >= SQLite durable commits/s, 1 writer", k1.ok && q1.ok, k1.per_s / q1.per_s, 1,
        fmt_rate(k1.per_s) + "/s vs " + fmt_rate(q1.per_s) + "/s");
}

// "2,650-3,120": the lowest and highest round's commits/s.
std::string spread(const std::vector<double>& v) {
  if (v.empty()) return "";
  const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  return fmt_rate(*lo) + "-" + fmt_rate(*hi);
}

// Median over the interleaved iterations of a_i / b_i (1-writer cells that never failed).
double paired_median_ratio(const Cell* a, const Cell* b) {
  if (a == nullptr || b == nullptr || a->latency_ns.size() != b->latency_ns.size()) return 0;
  std::vector<double> r;
  for (size_t i = 0; i < a->latency_ns.size(); ++i) {
    if (b->latency_ns[i] > 0) {
      r.push_back(static_cast<double>(a->latency_ns[i]) / static_cast<double>(b->latency_ns[i]));
    }
  }
  if (r.empty()) return 0;
  std::nth_element(r.begin(), r.begin() + static_cast<std::ptrdiff_t>(r.size() / 2), r.end());
  return r[r.size() / 2];
}

void add_table(Systems& s, const Plan& plan, Report& report) {
  const double paired =
      paired_median_ratio(s.find("keel Journal::append", 1), s.find("raw write+fdatasync", 1));
  Table t;
  t.title = "1. Durable intent commit (same directory, same run; ratios to raw fdatasync p50)";
  t.header = {"system",  "writers",   "p50",       "p99",    "p50/raw",
              "p99/raw", "commits/s", "per round", "samples"};
  const Figures raw1 = figures(s.find("raw write+fdatasync", 1));
  for (Cell& c : s.cells) {
    const Figures f = figures(&c);
    if (!f.ok) {
      t.rows.push_back({c.sys->name(), std::to_string(c.writers), "n/a", "n/a", "", "", "", "",
                        c.error.empty() ? "no samples" : "error (below)"});
      if (!c.error.empty()) report.errors.push_back(c.sys->name() + ": " + c.error);
      continue;
    }
    const double base = raw1.ok ? static_cast<double>(raw1.lat.p50) : 0;
    t.rows.push_back({c.sys->name(), std::to_string(c.writers),
                      fmt_ns(static_cast<double>(f.lat.p50)),
                      fmt_ns(static_cast<double>(f.lat.p99)),
                      base > 0 ? fmt_ratio(static_cast<double>(f.lat.p50) / base) : "",
                      base > 0 ? fmt_ratio(static_cast<double>(f.lat.p99) / base) : "",
                      fmt_rate(f.per_s), spread(c.round_per_s), std::to_string(f.lat.n)});
  }
  for (auto& sys : s.owned) {
    t.notes.push_back(sys->name() + ": " + sys->how() +
                      (sys->summary().empty() ? "" : " [" + sys->summary() + "]"));
  }
  t.notes.push_back(fmt(
      "%d rounds. 1 writer: one thread alternates the systems commit by commit (rotating who "
      "goes first), so the disk's state hits all alike; commits/s = 1 / mean latency. 8 writers "
      "(8 threads): each system in turn; commits/s = all commits / wall time from a common "
      "start. Latency = one commit call. 'per round' = lowest-highest round. Directory: "
      "%s/durable",
      plan.durable_rounds, plan.work_dir.c_str()));
  if (paired > 0) {
    t.notes.push_back(
        fmt("keel Journal::append vs raw, paired: median over the interleaved "
            "iterations of keel_i / raw_i = %s",
            fmt_ratio(paired).c_str()));
  }
  if (plan.pg_bin.empty()) t.notes.push_back("PostgreSQL skipped (--no-postgres or not installed)");
  report.tables.push_back(std::move(t));
  add_checks(s, report, raw1, paired);
}

}  // namespace

Status run_durable(const Plan& plan, Report& report) {
  Systems s = make_systems(plan);
  const int rounds = std::max(1, plan.durable_rounds);
  std::vector<Cell*> singles;
  for (Cell& c : s.cells) {
    if (c.writers == 1) singles.push_back(&c);
  }
  for (int r = 0; r < rounds; ++r) {
    const int per_round = std::max(1, plan.durable_commits / rounds);
    progress("durable", "round %d/%d: %zu systems, 1 writer, interleaved, %d commits each", r + 1,
             rounds, singles.size(), per_round);
    run_interleaved(singles, per_round);
    for (Cell& c : s.cells) {
      if (c.writers == 1) continue;
      const int per_writer = std::max(1, per_round / c.writers);
      progress("durable", "round %d/%d: %s, %d writers x %d commits", r + 1, rounds,
               c.sys->name().c_str(), c.writers, per_writer);
      run_batch(c, per_writer);
    }
  }
  for (auto& sys : s.owned) sys->stop();
  add_table(s, plan, report);
  s.owned.clear();  // stops PostgreSQL before the next section
  return Status::Ok();
}

}  // namespace keel::bench
