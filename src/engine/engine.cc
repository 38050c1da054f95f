#include "keel/engine/engine.h"

#include <algorithm>

#include "keel/core/failpoint.h"
#include "keel/core/ids.h"
#include "keel/model/snapshot.h"
#include "keel/strategy/grid.h"

namespace keel::engine {

using journal::Body;
using journal::Record;

Engine::Engine(const Config& config, journal::Journal& journal, exchange::Exchange& venue,
               const Clock& clock)
    : config_(config), journal_(journal), venue_(venue), clock_(clock),
      modes_(config.tasks.size()), memos_(config.tasks.size()) {
  stats_.intent_sync_ns.reserve(4096);
}

const TaskMode& Engine::mode(const std::string& task_id) const {
  for (size_t i = 0; i < config_.tasks.size(); ++i) {
    if (config_.tasks[i].id == task_id) return modes_[i];
  }
  KEEL_ASSERT_MSG(false, "unknown task");
  return modes_[0];
}

Record Engine::record(const std::string& task_id, Body body) const {
  Record r;
  r.task_id = task_id;
  r.ts_exchange_ns = view_.ts_exchange_ns;
  r.body = std::move(body);
  return r;
}

Status Engine::commit(std::vector<Record>& recs, bool sync) {
  if (recs.empty()) return Status::Ok();
  if (fail_stop_) return Status::FailStop("journal failed earlier; no new records");
  uint64_t seq = journal_.next_seq();
  for (Record& r : recs) r.seq = seq++;
  const int64_t t0 = clock_.monotonic_ns();
  Status s = journal_.append(recs, sync);
  if (!s.ok()) {
    fail_stop_ = true;
    return Status::FailStop(s.message());
  }
  if (sync) stats_.intent_sync_ns.push_back(clock_.monotonic_ns() - t0);
  for (const Record& r : recs) model::apply(state_, r);
  return maybe_snapshot();
}

Status Engine::maybe_snapshot() {
  const uint64_t every = config_.snapshot_every_records;
  if (every == 0 || state_.last_seq < last_snapshot_seq_ + every) return Status::Ok();
  failpoint("engine.snapshot.before");
  Status s = journal_.write_snapshot(model::encode_state(state_));
  failpoint("engine.snapshot.after");
  if (!s.ok()) {  // the store is failing: W4 treats it like a failed sync
    fail_stop_ = true;
    return Status::FailStop(s.message());
  }
  last_snapshot_seq_ = state_.last_seq;
  return Status::Ok();
}

Status Engine::load_and_start() {
  auto folded = model::fold_journal(journal_, &loaded_from_snapshot_);
  if (!folded.ok()) return folded.status();
  state_ = std::move(*folded);
  for (strategy::GridMemo& m : memos_) m.forget();
  last_snapshot_seq_ = journal_.snapshot() ? journal_.snapshot()->seq : 0;
  std::vector<Record> starts;
  for (const TaskConfig& t : config_.tasks) {
    auto it = state_.tasks.find(t.id);
    if (it != state_.tasks.end()) {
      const journal::TaskStarted& j = it->second.config;
      if (j.params_yaml != t.params_text || j.symbol != config_.instrument.symbol) {
        return Status::InvalidArgument(
            "task '" + t.id + "': the journal was started with " + j.symbol + " {" +
            j.params_yaml + "} but the config now says " + config_.instrument.symbol + " {" +
            t.params_text + "}; use a new data_dir for new parameters");
      }
      continue;
    }
    journal::TaskStarted b;
    b.strategy = t.strategy;
    b.symbol = config_.instrument.symbol;
    b.base_asset = config_.instrument.base_asset;
    b.quote_asset = config_.instrument.quote_asset;
    b.tick_e8 = config_.instrument.tick_e8;
    b.step_e8 = config_.instrument.step_e8;
    b.min_notional_e8 = config_.instrument.min_notional_e8;
    b.params_yaml = t.params_text;
    starts.push_back(record(t.id, std::move(b)));
  }
  return commit(starts, /*sync=*/true);
}

void Engine::observe(const market::MarketEvent& ev) {
  const Instrument& ins = config_.instrument;
  if (const auto* bt = std::get_if<market::BookTicker>(&ev.body)) {
    // Floor the bid and ceil the ask onto the tick grid (exact for on-grid data).
    view_.best_bid_ticks = bt->bid_price_e8 / ins.tick_e8;
    view_.best_ask_ticks = (bt->ask_price_e8 + ins.tick_e8 - 1) / ins.tick_e8;
    if (bt->ts_exchange_ns > view_.ts_exchange_ns) view_.ts_exchange_ns = bt->ts_exchange_ns;
  } else if (const auto* tr = std::get_if<market::Trade>(&ev.body)) {
    view_.last_trade_ticks = tr->price_e8 / ins.tick_e8;
    if (tr->ts_exchange_ns > view_.ts_exchange_ns) view_.ts_exchange_ns = tr->ts_exchange_ns;
  } else if (const auto* d = std::get_if<market::DepthDiff>(&ev.body)) {
    if (d->ts_exchange_ns > view_.ts_exchange_ns) view_.ts_exchange_ns = d->ts_exchange_ns;
  }
}

Result<recovery::Report> Engine::recover() {
  constexpr int kReconcileAttempts = 3;
  recovery::Report total;
  for (size_t i = 0; i < config_.tasks.size(); ++i) {
    const std::string& id = config_.tasks[i].id;
    recovery::Report report;
    bool failed = false;
    for (int attempt = 0; attempt < kReconcileAttempts; ++attempt) {
      report = {};
      auto findings = recovery::reconcile_task(state_.tasks.at(id), venue_, report);
      if (!findings.ok()) {
        modes_[i] = {false, "reconciliation failed: " + findings.status().ToString()};
        total.problems.push_back(id + ": " + modes_[i].reason);
        failed = true;
        break;
      }
      std::vector<Record> recs;
      for (Body& b : *findings) recs.push_back(record(id, std::move(b)));
      failpoint("recovery.findings.before");
      KEEL_RETURN_IF_ERROR(commit(recs, /*sync=*/false));
      failpoint("recovery.findings.after");
      if (report.problems.empty()) break;
    }
    if (failed) continue;
    const model::TaskState& task = state_.tasks.at(id);
    if (!report.problems.empty()) {
      modes_[i] = {false, report.problems.front()};
    } else if (task.unresolved() != 0) {
      modes_[i] = {false, std::to_string(task.unresolved()) + " intents still unresolved"};
    } else if (!task.halted.empty()) {
      modes_[i] = {false, task.halted};
    } else {
      modes_[i] = {true, ""};
    }
    total.trades_seen += report.trades_seen;
    total.fills_recovered += report.fills_recovered;
    total.accepted += report.accepted;
    total.not_found += report.not_found;
    total.canceled += report.canceled;
    total.cancels_not_effective += report.cancels_not_effective;
    total.queries += report.queries;
    for (auto& p : report.problems) total.problems.push_back(id + ": " + p);
  }
  return total;
}

Status Engine::on_market(const market::MarketEvent& ev) {
  ++stats_.events;
  observe(ev);
  KEEL_RETURN_IF_ERROR(drain_user_events());
  return decide_all();
}

Status Engine::on_idle() {
  KEEL_RETURN_IF_ERROR(drain_user_events());
  return decide_all();
}

Status Engine::decide_all() {
  for (size_t i = 0; i < config_.tasks.size(); ++i) {
    if (!modes_[i].quoting) continue;
    KEEL_RETURN_IF_ERROR(decide_and_act(i));
  }
  return Status::Ok();
}

Status Engine::finish_recording(uint64_t events) {
  KEEL_RETURN_IF_ERROR(drain_user_events());
  if (state_.recording_ended) return Status::Ok();
  std::vector<Record> recs;
  recs.push_back(record(config_.tasks.front().id, journal::RecordingEnded{events}));
  return commit(recs, /*sync=*/true);
}

}  // namespace keel::engine
