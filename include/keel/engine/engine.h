// keel/engine/engine.h: one account's tasks, journal first, act second (DESIGN.md data flow).
//
// Per market event: update the view; journal and fold the user-data events that arrived
// (W2); let each quoting task decide; journal the decision's intents in ONE synced WriteBatch
// (W1); fold them; send the requests; journal and fold the responses (W2).
// A failed journal write returns kFailStop (W4): the caller must stop, cancel what it can and
// exit non-zero; the engine refuses every later call that would add intents.
// Thread-compatible: one thread drives an Engine.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "keel/core/clock.h"
#include "keel/engine/config.h"
#include "keel/exchange/exchange.h"
#include "keel/journal/journal.h"
#include "keel/market/events.h"
#include "keel/model/state.h"
#include "keel/recovery/reconcile.h"
#include "keel/strategy/grid.h"
#include "keel/strategy/strategy.h"

namespace keel::engine {

struct EngineStats {
  uint64_t events = 0;            // market events handled by on_market in this process
  uint64_t decisions = 0;         // decisions that produced intents
  uint64_t user_events = 0;       // executionReports received
  uint64_t unknown_outcomes = 0;  // requests whose outcome stayed unknown (R1)
  std::vector<int64_t> intent_sync_ns;  // latency of each synced intent append
};

// Mode of a task after start: quoting, or reconcile-only with the reason.
struct TaskMode {
  bool quoting = false;
  std::string reason;  // why not quoting
};

class Engine {
 public:
  // `journal`, `venue` and `clock` must outlive the Engine.
  Engine(const Config& config, journal::Journal& journal, exchange::Exchange& venue,
         const Clock& clock);

  // R2 step 1: folds the whole journal. Journals TaskStarted for tasks new to it; a task whose
  // journaled parameters differ from the config is an error naming the task.
  Status load_and_start();

  // Updates the market view only (used while re-reading the recording up to where the
  // exchange is after a restart). Pure bookkeeping: no journal, no exchange.
  void observe(const market::MarketEvent& ev);

  // R2 steps 2-3: asks the venue about every unresolved intent and live order, journals and
  // folds the findings; sets each task's mode. Returns the merged report. Live, it also runs
  // periodically and after a user-stream gap: a fill racing the queries can make the venue's
  // executed quantity run ahead of the journal, so a task with problems is reconciled again
  // (up to kReconcileAttempts) before it is left in reconcile-only mode; a later reconciliation
  // that proves the task's state puts it back to quoting.
  Result<recovery::Report> recover();

  // One market event end to end (see file comment). kFailStop on a journal failure.
  Status on_market(const market::MarketEvent& ev);

  // No market event arrived: journal and fold the user events that did, then decide (live).
  Status on_idle();

  // Lets every quoting task decide and act on the current view, as on_market does after its
  // event. Called once after recover(), so that a restart decides at the same market instant
  // as an uninterrupted run would have (the crash came between the exchange consuming an event
  // and the engine deciding on it); deciding twice on one instant is a no-op.
  Status decide_all();

  // Drains user events (fills of the last event) and journals RecordingEnded.
  Status finish_recording(uint64_t events);

  // W4: cancels every open order of our tasks on the venue without journaling (the journal is
  // dead); returns how many cancels were accepted.
  size_t emergency_cancel_all();

  const model::State& state() const { return state_; }
  const EngineStats& stats() const { return stats_; }
  const TaskMode& mode(const std::string& task_id) const;
  const strategy::MarketView& view() const { return view_; }

 private:
  // Numbers `recs` from the journal's next seq, stamps exchange time, appends them in one batch
  // (synced when `sync`), then folds them (W2). kFailStop when the append fails (W4).
  Status commit(std::vector<journal::Record>& recs, bool sync);
  journal::Record record(const std::string& task_id, journal::Body body) const;
  // Writes a journal snapshot every config.snapshot_every_records records.
  Status maybe_snapshot();
  Status drain_user_events();
  // Lets task `i` decide and act. Skips the strategy when its GridMemo proves the decision
  // would be empty again (strategy/grid.h): same market key, same folded state, no retry due.
  Status decide_and_act(size_t i);
  Status send_and_record(const std::string& task_id, const std::vector<journal::Record>& intents);
  journal::DecisionContext context(const std::string& reason) const;

  const Config& config_;
  journal::Journal& journal_;
  exchange::Exchange& venue_;
  const Clock& clock_;
  model::State state_;
  strategy::MarketView view_;
  std::vector<TaskMode> modes_;  // by index of config_.tasks
  std::vector<strategy::GridMemo> memos_;  // by index of config_.tasks
  EngineStats stats_;
  std::vector<exchange::ExecutionReport> inbox_;
  std::vector<strategy::IntentSpec> specs_;
  // Record batches reused from decision to decision (their buffers survive clear()).
  std::vector<journal::Record> user_recs_, intents_, outcomes_;
  bool fail_stop_ = false;
  uint64_t last_snapshot_seq_ = 0;
  bool loaded_from_snapshot_ = false;

 public:
  bool loaded_from_snapshot() const { return loaded_from_snapshot_; }
};

}  // namespace keel::engine
