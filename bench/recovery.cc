// Section 4: recovery time (bench/bench.h run_recovery).
//
// A synthetic but valid journal of N records for the default config's task: TaskStarted, then
// 10-record cycles on 10 grid levels (buy placed, accepted, filled; sell placed, accepted,
// filled; buy placed, accepted, cancel intent, canceled), and a tail of in-flight places
// (intents journaled, never sent: the crash case). Written through Journal::append with
// sync=false in batches of 4096. Then, as a restarted `keel run` does before quoting:
//   open   Journal::open: RocksDB open (its WAL replayed), every record's CRC and hash chain;
//   fold   Engine::load_and_start: every record decoded and folded by model::apply;
//   recon  Engine::recover against a fresh simulated exchange: trades since the watermark,
//          open orders, a query per in-flight place (never received -> OrderNotFound, journaled)
// until the task's mode is quoting. Opening the simulated exchange is the venue's, not timed.
// Without snapshots every record is read twice (open, fold). With snapshots (a second journal
// of the same records): the generator also folds every record (model::apply, as the engine
// does) and writes a snapshot (model::encode_state -> Journal::write_snapshot) every 10^5
// records and once more kSnapshotTail records before the end -- the engine snapshots every
// snapshot_every_records (default 1,000), so a crash leaves at most 999 records after the
// newest snapshot; this is that worst case. Open then checks the snapshot and scans the tail
// only; fold decodes the snapshot and folds the tail.
#include <sys/statvfs.h>

#include "bench.h"
#include "bench_util.h"
#include "keel/core/ids.h"
#include "keel/engine/engine.h"
#include "keel/exchange/sim.h"
#include "keel/journal/journal.h"
#include "keel/model/snapshot.h"
#include "keel/model/state.h"
#include "keel/strategy/grid.h"
#include "pipeline.h"

namespace keel::bench {

namespace {

constexpr size_t kBatch = 4096;
constexpr int kLevels = 10;
constexpr uint64_t kCycle = 10;
constexpr uint64_t kSnapshotEvery = 100'000;  // snapshots while generating (with snapshots)
constexpr uint64_t kSnapshotTail = 999;       // records after the newest snapshot (worst case
                                              // of the default snapshot_every_records = 1000)

// The generated journal is a grid's (buys at levels, each sold one interval up): its params.
const strategy::GridParams& grid_of(const engine::TaskConfig& t) {
  const strategy::GridParams* g = strategy::grid_params(*t.impl);
  KEEL_ASSERT(g != nullptr);  // run_recovery checks the config's first task is a grid
  return *g;
}

class Generator {
 public:
  // With `snapshots`, folds every record and writes snapshots (file comment).
  Generator(const engine::Config& cfg, journal::Journal& j, bool snapshots)
      : cfg_(cfg), task_(cfg.tasks.front()), grid_(grid_of(task_)), j_(j), snapshots_(snapshots) {
    batch_.reserve(kBatch);
  }
  Status run(uint64_t n);
  uint64_t last_snapshot_seq() const { return last_snapshot_seq_; }
  size_t last_snapshot_bytes() const { return last_snapshot_bytes_; }

 private:
  bool snapshot_point(uint64_t seq) const {
    return snapshots_ && ((seq % kSnapshotEvery == 0 && seq < final_snapshot_seq_) ||
                          seq == final_snapshot_seq_);
  }
  Status push(journal::Body body);
  Status flush();
  Status cycle(int level);
  std::string next_cid() const { return make_client_order_id("", task_.id, seq_); }
  journal::DecisionContext ctx() const { return {price_ - 1, price_ + 1, price_, "bench"}; }
  int64_t level_price(int level) const { return price_ - (level + 1) * grid_.interval_ticks; }
  journal::OrderFilled fill(const std::string& cid, Side side, int64_t px) {
    const int64_t notional = cfg_.instrument.notional_e8(px, grid_.order_qty_lots);
    return {cid,
            trade_id_++,
            order_id_,
            side,
            px,
            grid_.order_qty_lots,
            fee_e8(notional, cfg_.sim.maker_fee_rate_e8),
            cfg_.instrument.quote_asset,
            true,
            journal::Source::kUserStream};
  }

  const engine::Config& cfg_;
  const engine::TaskConfig& task_;
  const strategy::GridParams& grid_;
  journal::Journal& j_;
  std::vector<journal::Record> batch_;
  const bool snapshots_;
  model::State state_;                // the fold of every record written (with snapshots)
  uint64_t final_snapshot_seq_ = 0;   // n - kSnapshotTail
  uint64_t last_snapshot_seq_ = 0;
  size_t last_snapshot_bytes_ = 0;
  uint64_t seq_ = 1;
  int64_t ts_ns_ = 1'723'161'253'000'000'000;
  int64_t price_ = 6'180'000;  // ticks (61800.00 USDT)
  int64_t trade_id_ = 1, order_id_ = 1;
};

Status Generator::flush() {
  if (batch_.empty()) return Status::Ok();
  KEEL_RETURN_IF_ERROR(j_.append(batch_, /*sync=*/false));
  if (snapshots_) {
    for (const journal::Record& r : batch_) model::apply(state_, r);
    if (snapshot_point(batch_.back().seq)) {  // the state is folded through last_seq()
      const std::string bytes = model::encode_state(state_);
      KEEL_RETURN_IF_ERROR(j_.write_snapshot(bytes));
      last_snapshot_seq_ = batch_.back().seq;
      last_snapshot_bytes_ = bytes.size();
    }
  }
  batch_.clear();
  return Status::Ok();
}

Status Generator::push(journal::Body body) {
  journal::Record r;
  r.seq = seq_++;
  r.task_id = task_.id;
  r.ts_exchange_ns = ts_ns_ += 1'000'000;
  r.body = std::move(body);
  const bool snap = snapshot_point(r.seq);
  batch_.push_back(std::move(r));
  return batch_.size() == kBatch || snap ? flush() : Status::Ok();
}

Status Generator::cycle(int level) {
  const int64_t px = level_price(level), up = px + grid_.interval_ticks;
  const int64_t qty = grid_.order_qty_lots;
  std::string cid = next_cid();
  KEEL_RETURN_IF_ERROR(push(journal::PlaceIntent{px, Side::kBuy, px, qty, cid, ctx()}));
  KEEL_RETURN_IF_ERROR(push(journal::OrderAccepted{cid, ++order_id_, journal::Source::kResponse}));
  KEEL_RETURN_IF_ERROR(push(fill(cid, Side::kBuy, px)));
  cid = next_cid();
  KEEL_RETURN_IF_ERROR(push(journal::PlaceIntent{px, Side::kSell, up, qty, cid, ctx()}));
  KEEL_RETURN_IF_ERROR(push(journal::OrderAccepted{cid, ++order_id_, journal::Source::kResponse}));
  KEEL_RETURN_IF_ERROR(push(fill(cid, Side::kSell, up)));
  cid = next_cid();
  KEEL_RETURN_IF_ERROR(push(journal::PlaceIntent{px, Side::kBuy, px, qty, cid, ctx()}));
  KEEL_RETURN_IF_ERROR(push(journal::OrderAccepted{cid, ++order_id_, journal::Source::kResponse}));
  KEEL_RETURN_IF_ERROR(push(journal::CancelIntent{px, cid, ctx()}));
  return push(journal::OrderCanceled{cid, 0, journal::Source::kResponse});
}

Status Generator::run(uint64_t n) {
  final_snapshot_seq_ = n > kSnapshotTail + 1 ? n - kSnapshotTail : 0;
  const Instrument& ins = cfg_.instrument;
  journal::TaskStarted ts{task_.strategy, ins.symbol,  ins.base_asset,      ins.quote_asset,
                          ins.tick_e8,    ins.step_e8, ins.min_notional_e8, task_.params_text};
  KEEL_RETURN_IF_ERROR(push(std::move(ts)));
  uint64_t left = n - 1;
  for (uint64_t i = 0; left >= kCycle; ++i, left -= kCycle) {
    KEEL_RETURN_IF_ERROR(cycle(static_cast<int>(i % kLevels)));
    if (i % 100'000 == 99'999) {
      progress("recovery", "  generating: %llu of %llu records",
               static_cast<unsigned long long>(seq_ - 1), static_cast<unsigned long long>(n));
    }
  }
  for (int level = 0; left > 0; ++level, --left) {  // in-flight places: never sent
    const int64_t px = level_price(level);
    KEEL_RETURN_IF_ERROR(push(
        journal::PlaceIntent{px, Side::kBuy, px, grid_.order_qty_lots, next_cid(), ctx()}));
  }
  return flush();
}

struct Timing {
  int64_t generate_ns = 0, open_ns = 0, fold_ns = 0, reconcile_ns = 0;
  uint64_t disk_bytes = 0, in_flight = 0;
  uint64_t snapshot_seq = 0;     // the snapshot the restart started from (0: none)
  size_t snapshot_bytes = 0;     // its size
  bool from_snapshot = false;    // the fold started from it
  bool quoting = false;
  std::string mode;
};

Status generate(const engine::Config& cfg, const std::string& dir, uint64_t n, bool snapshots,
                Timing& t) {
  KEEL_RETURN_IF_ERROR(make_dirs(dir));
  const int64_t g0 = now_ns();
  auto j = journal::Journal::open(dir + "/journal", {});
  if (!j.ok()) return j.status();
  Generator gen(cfg, **j, snapshots);
  KEEL_RETURN_IF_ERROR(gen.run(n));
  t.generate_ns = now_ns() - g0;
  t.snapshot_bytes = gen.last_snapshot_bytes();
  return Status::Ok();  // the journal closes here, as a killed process leaves it
}

Status restart(const engine::Config& cfg, const std::string& dir, Timing& t) {
  exchange::sim::SimOptions so{cfg.instrument, cfg.sim.maker_fee_rate_e8, cfg.sim.balances,
                               dir + "/sim"};
  auto sim = exchange::sim::SimExchange::open(so);  // the venue: not timed
  if (!sim.ok()) return sim.status();
  const int64_t t0 = now_ns();
  auto j = journal::Journal::open(dir + "/journal", {});
  if (!j.ok()) return j.status();
  const int64_t t1 = now_ns();
  // The snapshot the restart starts from (load_and_start may write a newer one: a journal
  // without an epoch gets one, and the engine's snapshot cadence counts that record).
  t.snapshot_seq = (*j)->snapshot() ? (*j)->snapshot()->seq : 0;
  engine::Engine eng(cfg, **j, **sim, SystemClock::instance());
  KEEL_RETURN_IF_ERROR(eng.load_and_start());
  const int64_t t2 = now_ns();
  t.from_snapshot = eng.loaded_from_snapshot();
  auto rep = eng.recover();
  if (!rep.ok()) return rep.status();
  const int64_t t3 = now_ns();
  t.open_ns = t1 - t0;
  t.fold_ns = t2 - t1;
  t.reconcile_ns = t3 - t2;
  t.in_flight = rep->not_found;
  t.quoting = eng.mode(cfg.tasks.front().id).quoting;
  t.mode = t.quoting ? "quoting" : "NOT quoting: " + eng.mode(cfg.tasks.front().id).reason;
  return Status::Ok();
}

// Whether N records fit: disk (~400 B a record with RocksDB's overhead, x2 margin) and time
// (extrapolated from the previous size's generate + restart, at most ~10 minutes).
std::string why_not(const std::string& dir, uint64_t n, double prev_s_per_record) {
  struct statvfs vfs {};
  if (statvfs(dir.c_str(), &vfs) == 0) {
    const double free_bytes = static_cast<double>(vfs.f_bavail) * static_cast<double>(vfs.f_frsize);
    if (free_bytes < static_cast<double>(n) * 800) {
      return fmt("skipped: needs ~%.1f GB free, %.1f GB available", n * 800 / 1e9,
                 free_bytes / 1e9);
    }
  }
  if (prev_s_per_record > 0 && prev_s_per_record * static_cast<double>(n) > 600) {
    return fmt("skipped: would take ~%.0f s (extrapolated)",
               prev_s_per_record * static_cast<double>(n));
  }
  return "";
}

std::vector<std::string> row_of(uint64_t n, const Timing& t, bool snapshots) {
  const int64_t total = t.open_ns + t.fold_ns + t.reconcile_ns;
  std::string mode = t.mode + fmt(" (%llu in-flight resolved)",
                                  static_cast<unsigned long long>(t.in_flight));
  if (snapshots) {
    mode += t.from_snapshot
                ? fmt("; from the snapshot at seq %llu (%.0f KB), %llu tail records",
                      static_cast<unsigned long long>(t.snapshot_seq),
                      static_cast<double>(t.snapshot_bytes) / 1e3,
                      static_cast<unsigned long long>(n - t.snapshot_seq))
                : std::string("; NOT from a snapshot");
  }
  return {(snapshots ? "with snapshots, " : "") + fmt_rate(static_cast<double>(n)),
          fmt("%.1f MB", static_cast<double>(t.disk_bytes) / 1e6),
          fmt_ns(static_cast<double>(t.open_ns)),
          fmt_ns(static_cast<double>(t.fold_ns)),
          fmt_ns(static_cast<double>(t.reconcile_ns)),
          fmt_ns(static_cast<double>(total)),
          fmt_rate(static_cast<double>(n) * 1e9 / static_cast<double>(total)),
          mode};
}

// One journal of n records (with or without snapshots): generate, restart, measure, remove.
// Returns the row; `seconds_per_record` is updated for the next size's estimate.
Status measure(const engine::Config& cfg, const Plan& plan, uint64_t n, bool snapshots,
               double& seconds_per_record, Table& t, Report& report, Timing& tm) {
  const char* kind = snapshots ? "with snapshots" : "without snapshots";
  const std::string dir = plan.work_dir + fmt("/recovery-%llu%s", static_cast<unsigned long long>(n),
                                              snapshots ? "-snap" : "");
  const std::string skip = why_not(plan.work_dir, n, seconds_per_record);
  if (!skip.empty()) {
    t.rows.push_back({(snapshots ? "with snapshots, " : "") + fmt_rate(static_cast<double>(n)),
                      "", "", "", "", "", "", skip});
    return Status::Ok();
  }
  progress("recovery", "%llu records %s: generating", static_cast<unsigned long long>(n), kind);
  KEEL_RETURN_IF_ERROR(generate(cfg, dir, n, snapshots, tm));
  tm.disk_bytes = dir_bytes(dir + "/journal");
  progress("recovery", "%llu records %s: restarting (%.1f MB on disk)",
           static_cast<unsigned long long>(n), kind, static_cast<double>(tm.disk_bytes) / 1e6);
  KEEL_RETURN_IF_ERROR(restart(cfg, dir, tm));
  remove_tree(dir);
  t.rows.push_back(row_of(n, tm, snapshots));
  seconds_per_record =
      static_cast<double>(tm.generate_ns + tm.open_ns + tm.fold_ns + tm.reconcile_ns) / 1e9 /
      static_cast<double>(n);
  if (!tm.quoting) report.errors.push_back("recovery " + std::to_string(n) + ": " + tm.mode);
  if (snapshots && !tm.from_snapshot) {
    report.errors.push_back("recovery " + std::to_string(n) + " with snapshots: the restart did "
                            "not start from a snapshot");
  }
  return Status::Ok();
}

}  // namespace

Status run_recovery(const Plan& plan, Report& report) {
  auto cfg = load_default_config(plan);
  if (!cfg.ok()) return cfg.status();
  if (strategy::grid_params(*cfg->tasks.front().impl) == nullptr) {
    return Status::InvalidArgument(cfg->path + ": the recovery benchmark generates a grid's "
                                   "journal: its first task must have strategy: grid");
  }
  Table t;
  t.title = "4. Recovery: restart until quoting (open + fold + reconcile), without and with "
            "snapshots";
  t.header = {"records",   "on disk", "open+verify", "fold",
              "reconcile", "total",   "records/s",   "mode after"};
  constexpr uint64_t kTargetRecords = 10'000'000;
  constexpr int64_t kTargetNs = 200'000'000;
  int64_t target_total_ns = -1;
  for (bool snapshots : {false, true}) {
    double s_per_record = 0;
    for (uint64_t n : plan.recovery_sizes) {
      Timing tm;
      const size_t rows = t.rows.size();
      KEEL_RETURN_IF_ERROR(measure(*cfg, plan, n, snapshots, s_per_record, t, report, tm));
      if (snapshots && n == kTargetRecords && tm.from_snapshot && t.rows.size() > rows &&
          tm.open_ns > 0) {
        target_total_ns = tm.open_ns + tm.fold_ns + tm.reconcile_ns;
      }
    }
  }
  t.notes.push_back(
      "Synthetic journal of the default config's task, written with Journal::append(sync=false) "
      "in batches of 4096: TaskStarted, 10-record cycles on 10 levels (place/ack/fill buy, "
      "place/ack/fill sell, place/ack/cancel/canceled), a tail of in-flight places. open = "
      "Journal::open (RocksDB open + CRC + hash chain of every record after the newest usable "
      "snapshot, or of all); fold = Engine::load_and_start (snapshot decoded, then decode + "
      "model::apply of every record after it; without a snapshot, of all); reconcile = "
      "Engine::recover against a fresh simulated exchange (trades, open orders, one query per "
      "in-flight place). Page cache warm (the journal was just written).");
  t.notes.push_back(fmt(
      "With snapshots: the same records; while generating, every record is folded as the engine "
      "folds it and a snapshot (model::encode_state -> Journal::write_snapshot) is written every "
      "%llu records and once more %llu records before the end: the worst case the engine leaves "
      "with its default snapshot_every_records (1,000), the in-flight places included in that "
      "tail.",
      static_cast<unsigned long long>(kSnapshotEvery),
      static_cast<unsigned long long>(kSnapshotTail)));
  report.tables.push_back(std::move(t));
  const bool have = target_total_ns >= 0;
  report.checks.push_back(
      {"recovery of a 10^7-record journal <= 200 ms with snapshots",
       have ? fmt_ns(static_cast<double>(target_total_ns)) +
                  " (open + fold + reconcile, 999-record tail)"
            : "not measured (10^7 runs in the full run only)",
       !have                          ? Verdict::kNotMeasured
       : target_total_ns <= kTargetNs ? Verdict::kMet
                                      : Verdict::kNotMet});
  return Status::Ok();
}

}  // namespace keel::bench
