// keel/engine/engine.h: every task of the config, journal first, act second (DESIGN.md data
// flow). Tasks trade on accounts (one Exchange connection each) and symbols (one market view
// each, fed by that symbol's events whichever account trades it).
//
// Per market event: update its symbol's view; journal and fold the user-data events that
// arrived on every account (W2); let each quoting task decide; bound the intents by the task's
// request budget; journal every task's intents of the pass in ONE synced WriteBatch (W1), each
// place and cancel with the timestamp and recvWindow its signed request will carry (R1); fold
// them; send the requests, each on its task's account; journal and fold the responses (W2).
// A failed journal write returns kFailStop (W4): the caller must stop, cancel what it can and
// exit non-zero; the engine refuses every later call that would add intents.
// Thread-compatible: one thread drives an Engine.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <variant>
#include <set>
#include <string>
#include <vector>

#include "keel/core/clock.h"
#include "keel/engine/config.h"
#include "keel/exchange/exchange.h"
#include "keel/journal/journal.h"
#include "keel/market/events.h"
#include "keel/model/state.h"
#include "keel/recovery/reconcile.h"
#include "keel/risk/risk.h"
#include "keel/market/bars.h"
#include "keel/market/order_book.h"
#include "keel/strategy/strategy.h"

namespace keel::engine {

class Session;  // an account's request session (src/engine/session.h)
struct Answer;

// Binance's MAX_NUM_ORDER_AMENDS: keepPriority amends per order (binance-spot.md §3).
inline constexpr uint32_t kMaxAmendsPerOrder = risk::kMaxAmendsPerOrder;

struct EngineStats {
  uint64_t events = 0;            // market events handled by on_market in this process
  uint64_t decisions = 0;         // decisions that produced intents
  uint64_t user_events = 0;       // executionReports received
  uint64_t foreign_events = 0;    // executionReports of orders not this journal's (ignored, W5)
  uint64_t unknown_outcomes = 0;  // requests whose outcome stayed unknown (R1)
  uint64_t throttled_decisions = 0;  // decisions cut short by a task's request budget (the
                                     // intents left out are decided again at a later event)
  // Decisions whose new orders an account's order-count limit held back (risk/risk.h "Request
  // budgets"; decided again later), in all and by index of config.accounts, and the new
  // orders held back (counted per decision: one held twice counts twice).
  uint64_t order_limited_decisions = 0;
  std::vector<uint64_t> order_limited_by_account;
  uint64_t orders_held = 0;
  uint64_t reconciliations = 0;
  uint64_t risk_dropped = 0;      // places the risk layer kept from the journal (risk/risk.h),
                                  // counted per decision (a place held back is decided again)
  std::vector<int64_t> intent_sync_ns;  // latency of each synced intent append
};

// Mode of a task after a reconciliation: quoting, or not, with the reason. `transient`: the
// reason goes away by itself (an in-doubt place waiting for its recvWindow to pass, a trade
// history scan that continues, a refused cancel waiting for its query).
struct TaskMode {
  bool quoting = false;
  bool transient = false;
  std::string reason;  // why not quoting
};

// What one recover() call found, over every task.
struct RecoverySummary {
  size_t trades_seen = 0, fills_recovered = 0, accepted = 0, not_found = 0, in_doubt = 0;
  size_t canceled = 0, cancels_not_effective = 0, adopted = 0, foreign_fills = 0;
  bool baseline_taken = false;
  std::string epoch_renewed;           // the reason, when the journal took a new epoch
  std::vector<std::string> problems;   // "task: problem"
  std::vector<std::string> halts;      // TaskHalted reasons journaled by this call (R4)
  bool anything() const;
};

class Engine {
 public:
  // `venues[i]` is the connection of config.accounts[i] (one entry per account, never null).
  // `journal`, the venues and `clock` must outlive the Engine.
  Engine(const Config& config, journal::Journal& journal, std::vector<exchange::Exchange*> venues,
         const Clock& clock);
  // A config with one account.
  Engine(const Config& config, journal::Journal& journal, exchange::Exchange& venue,
         const Clock& clock);
  // Requests handed to a session and not sent yet are sent; their answers are not journaled
  // (the next start reconciles them, as after a crash).
  ~Engine();

  // R2 step 1: folds the whole journal. Journals the journal's epoch when it has none (a new
  // journal, or one written before epochs) and TaskStarted for tasks new to it. Errors
  // (kInvalidArgument, naming the task and the field): a task whose journaled symbol, assets,
  // tick, step, minimum notional, strategy or parameters differ from the config; a task the
  // journal holds that the config lacks (naming its working orders) unless it was retired or
  // is in `retiring`; a retired task back in the config.
  Status load_and_start(const std::set<std::string>& retiring = {});

  // Updates the market view only (used while re-reading the recording up to where the
  // exchange is after a restart). Pure bookkeeping: no journal, no exchange.
  void observe(const market::MarketEvent& ev);

  // R2 steps 2-3 and R4 (recovery/reconcile.h): journals the user events that arrived, gathers
  // the venue's evidence once per account and symbol, journals and folds the findings (a new epoch
  // first when the journal proves older than the venue; the R4 baseline when there is none),
  // checks R4 and sets each task's mode. A fill racing the queries can make the venue's
  // executed quantity run ahead of the journal, so a pass with problems is repeated (up to 3
  // times) before a task is left not quoting. An R4 mismatch found by two consecutive
  // consistent checks with the same unexplained amount, 10 s of venue time apart or more,
  // halts every task of the account trading the asset (TaskHalted). Accounts are independent:
  // one that cannot be asked leaves its own tasks not quoting. kFailStop on a journal failure; a venue that cannot be asked leaves every
  // task not quoting (a problem), not an error.
  Result<RecoverySummary> recover();

  // True when a reconciliation is owed now (venue clock, ms): an in-doubt place became
  // conclusive, a cancel was refused or answered with an unknown outcome, an event named an
  // order of this journal it does not hold, a trade history scan continues.
  bool reconcile_due(int64_t venue_now_ms) const;
  // The venue time a transient reason ends (0: none known); callers sleep until then.
  int64_t reconcile_due_ms() const { return reconcile_due_ms_; }

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

  // `keel retire`: cancels every working order of `task_id` (each cancel journaled first, W1;
  // an order whose cancel the venue refused is not asked again in this call), reconciles until none is working or unresolved, then
  // journals TaskRetired. Gives up after `deadline_ms` of the monotonic clock with kRejected
  // naming the orders left. kInvalidArgument when the task's account is not in the config.
  Status retire(const std::string& task_id, int64_t deadline_ms);

  // W4: cancels every open order of this journal's tasks on every account without journaling
  // (the journal is dead); returns how many cancels were accepted.
  size_t emergency_cancel_all();

  const model::State& state() const { return state_; }
  const EngineStats& stats() const { return stats_; }
  // A config task's mode; a task not in the config reports not quoting.
  const TaskMode& mode(const std::string& task_id) const;
  // The market view of `symbol` (the first instrument's when empty); an empty view when the
  // config has no such symbol.
  const strategy::MarketView& view(const std::string& symbol = "") const;
  bool loaded_from_snapshot() const { return loaded_from_snapshot_; }

 private:
  // One account of the config: its connection and what the engine owes it.
  struct Account {
    std::string id;
    exchange::Exchange* venue = nullptr;
    // Requests leave on this worker thread when the venue answers over a network (its answers
    // come back as events, drained with the user events); null for the embedded exchange.
    std::shared_ptr<Session> session;
    std::vector<exchange::ExecutionReport> inbox;
    std::vector<exchange::BalanceUpdate> balance_inbox;
    bool orders_scanned = false;  // allOrders was read since the start (Options::scan_orders)
    // asset -> (unexplained amount at the last check, venue ms it was first seen)
    std::map<std::string, std::pair<int64_t, int64_t>> r4_suspect;
  };
  // One symbol's market, shared by every task trading it.
  struct Market {
    Instrument instrument;
    strategy::MarketView view;
    market::OrderBook book;   // the depth book (view.book)
    market::MidBars bars;     // one-second mid bars (view.bars)
  };
  // Numbers `recs` from the journal's next seq, stamps exchange time, appends them in one batch
  // (synced when `sync`), then folds them (W2). kFailStop when the append fails (W4).
  Status commit(std::vector<journal::Record>& recs, bool sync);
  // A record of `task_id` (a config task, a task of the journal, or an account tag) stamped with
  // the exchange time of its market (the latest of all markets for journal-wide records).
  journal::Record record(const std::string& task_id, journal::Body body) const;
  Status maybe_snapshot();
  Status journal_halts();
  Status drain_user_events();
  void drain_account(Account& a, std::vector<journal::Record>& recs);
  // Account `seen_on`'s stream reported `cid`, placed through account `placed_on`: halts every
  // task of both (they are one exchange account).
  void halt_one_exchange_account(const std::string& seen_on, const std::string& placed_on,
                                 const std::string& cid, std::vector<journal::Record>& recs);
  // One reconciliation of an account over the symbols its tasks trade (one reading of its
  // balances): evidence gathered (one per symbol into `evs`), findings journaled and folded.
  Status reconcile_once(size_t account, const std::vector<std::string>& symbols,
                        std::vector<recovery::Evidence>& evs, RecoverySummary& sum,
                        std::map<std::string, recovery::TaskReport>& reports);
  Status check_r4(Account& a, const std::vector<recovery::Evidence>& evs, RecoverySummary& sum);
  void set_modes(const std::map<std::string, const recovery::Evidence*>& evidence_of_task,
                 const std::map<std::string, recovery::TaskReport>& reports);
  // What one pass knows of a task before it decides: skipped (its DecisionMemo proves the
  // decision would be empty again), or its exposure and the risk verdict it decides under.
  struct Plan {
    bool skip = true;
    risk::Exposure exposure;
    risk::Verdict verdict;
  };
  // Task `i`'s plan; a guard change it brings is appended to `guards` (journaled before any
  // decision of the pass: a strategy may read its guard).
  void plan_task(size_t i, Plan& plan, std::vector<journal::Record>& guards);
  // Lets task `i` decide under `plan`: cancels its strays, runs its strategy and its risk
  // filter; its intents are left in decided_[i].
  void decide_task(size_t i, const Plan& plan);
  void add_stray_cancels(const model::TaskState& ts);
  void hold_back_amends_in_doubt(const model::TaskState& ts);
  // Bounds every task's decided_ by its request budget and its account's order count
  // (risk::admit), each account's tasks in config order rotated by the venue clock's second.
  void admit_pass();
  void admit_task(size_t i);  // task `i`'s decided_ through risk::admit, counted in stats_
  // Appends task `i`'s admitted intents to `pass` as records, numbered from `first_seq`.
  void emit_task(size_t i, uint64_t first_seq, std::vector<journal::Record>& pass);
  // Sends the requests `intents` describe (journaled already, W1), each on its task's account,
  // and journals their answers in one batch.
  Status send_and_record(const std::vector<journal::Record>& intents);
  // The evidence one answer to the request of `intent` carries, appended to `out`.
  void record_answer(const journal::Record& intent,
                     const std::variant<exchange::PlaceResult, exchange::CancelResult,
                                        exchange::AmendResult, exchange::ReplaceResult>& answer,
                     std::vector<journal::Record>& out);
  // Waits (at most `timeout_ms`) for every session to have sent what it was given.
  void wait_sessions(int64_t timeout_ms);
  // The evidence of one place / cancel answer (an amend's halves too), appended to `out`.
  void record_place(const std::string& task_id, const std::string& cid,
                    const exchange::PlaceResult& r, std::vector<journal::Record>& out);
  void record_cancel(const std::string& task_id, const std::string& cid,
                     const exchange::CancelResult& r, std::vector<journal::Record>& out);
  void owe_reconciliation();  // a reconciliation is due now (an unknown or refused answer)
  journal::AmendIntent amend_intent(size_t i, const model::TaskState& ts,
                                    const strategy::IntentSpec& s, uint64_t seq,
                                    const journal::RequestTiming& stamp) const;
  journal::DecisionContext context(const strategy::MarketView& view, const std::string& reason) const;
  journal::RequestTiming timing(const exchange::Exchange& venue) const;
  recovery::Options recovery_options(const exchange::Exchange& venue) const;
  int64_t adopt_slot(const model::TaskState& task, Side side, int64_t price_ticks) const;
  // The account's balances of the task's assets as the journal knows them (strategy.h).
  strategy::Balances balances(const model::TaskState& task) const;
  // The venue clock the engine schedules by (the first account's: every account is on one venue).
  int64_t venue_now_ms() const { return accounts_.front().venue->venue_time_ms(); }
  Account& account_of(const std::string& task_id);
  Market* market_of(const std::string& symbol);
  int64_t now_ns() const;  // the latest exchange time of every market

  const Config& config_;
  journal::Journal& journal_;
  const Clock& clock_;
  std::vector<Account> accounts_;           // by index of config_.accounts
  std::vector<std::unique_ptr<Market>> markets_;  // by index of config_.instruments
  std::map<std::string, size_t> task_index_;  // config task id -> index of config_.tasks
  model::State state_;
  std::vector<TaskMode> modes_;  // by index of config_.tasks
  // By index of config_.tasks: the strategy's memo, or null when it has none.
  std::vector<std::unique_ptr<strategy::DecisionMemo>> memos_;
  // By index of config_.tasks: the seq of the newest record commit() folded into the task (0
  // before the first in this process). Only the task's own records change its TaskState
  // (model::apply), so this is the version of what decide reads besides the view and params.
  std::vector<uint64_t> task_versions_;
  // The version task `i`'s memo is keyed by: task_versions_[i], or State::last_seq when the
  // task also reads what other records change (its account's balances, its risk limits).
  uint64_t memo_version(size_t i) const;
  EngineStats stats_;
  std::vector<strategy::IntentSpec> specs_;
  // One pass: each task's decided intents (by index of config_.tasks), and each account's new
  // orders so far with the request timing its intents carry (by index of config_.accounts).
  std::vector<std::vector<strategy::IntentSpec>> decided_;
  struct PassAccount {
    bool counted = false;
    risk::AccountOrders orders;
    journal::RequestTiming stamp;
  };
  std::vector<PassAccount> pass_accounts_;
  std::vector<std::vector<size_t>> tasks_of_account_;  // config task indexes, by account index
  std::vector<Answer> answers_;  // the sessions' answers of one drain
  std::vector<Plan> plans_;  // by index of config_.tasks, rebuilt each pass
  // Record batches reused from decision to decision (their buffers survive clear()).
  std::vector<journal::Record> user_recs_, intents_, outcomes_;
  bool fail_stop_ = false;
  uint64_t last_snapshot_seq_ = 0;
  bool loaded_from_snapshot_ = false;
  int64_t reconcile_due_ms_ = 0;  // venue clock; 0: nothing owed
  bool evidence_gap_ = false;      // an event named an order of ours the journal lacks
  std::map<std::string, std::string> halted_journaled_;  // task -> halt reasons journaled
};

}  // namespace keel::engine
