#include "keel/engine/engine.h"

#include <algorithm>

#include "keel/core/failpoint.h"
#include "keel/core/ids.h"
#include "keel/model/snapshot.h"
#include "session.h"

namespace keel::engine {

using journal::Body;
using journal::Record;

bool RecoverySummary::anything() const {
  return fills_recovered + accepted + not_found + in_doubt + canceled + adopted +
                 foreign_fills + problems.size() + halts.size() >
             0 ||
         baseline_taken || !epoch_renewed.empty();
}

Engine::Engine(const Config& config, journal::Journal& journal,
               std::vector<exchange::Exchange*> venues, const Clock& clock)
    : config_(config), journal_(journal), clock_(clock), modes_(config.tasks.size()) {
  // A config built by hand (tests) may leave accounts and instruments empty: one default
  // account, the one instrument.
  KEEL_ASSERT(!venues.empty() && venues.size() == std::max<size_t>(1, config_.accounts.size()));
  for (size_t i = 0; i < venues.size(); ++i) {
    KEEL_ASSERT(venues[i] != nullptr);
    Account a;
    a.id = config_.accounts.empty() ? journal::kDefaultAccount : config_.accounts[i].id;
    a.venue = venues[i];
    if (!venues[i]->in_process()) a.session = std::make_shared<Session>(*venues[i]);
    accounts_.push_back(std::move(a));
  }
  const std::vector<Instrument> one{config_.instrument};
  for (const Instrument& ins : config_.instruments.empty() ? one : config_.instruments) {
    auto m = std::make_unique<Market>();
    m->instrument = ins;
    m->view.book = &m->book;
    m->view.bars = &m->bars;
    markets_.push_back(std::move(m));
  }
  for (size_t i = 0; i < config_.tasks.size(); ++i) {
    const TaskConfig& t = config_.tasks[i];
    KEEL_ASSERT(t.impl != nullptr);  // a loaded config binds every task's strategy
    KEEL_ASSERT(t.account_index < accounts_.size() && t.instrument_index < markets_.size());
    memos_.push_back(t.impl->new_memo());
    task_index_[t.id] = i;
  }
  task_versions_.assign(config_.tasks.size(), 0);
  tasks_of_account_.resize(accounts_.size());
  for (size_t i = 0; i < config_.tasks.size(); ++i) {
    tasks_of_account_[config_.tasks[i].account_index].push_back(i);
  }
  stats_.intent_sync_ns.reserve(4096);
}

Engine::Engine(const Config& config, journal::Journal& journal, exchange::Exchange& venue,
               const Clock& clock)
    : Engine(config, journal, std::vector<exchange::Exchange*>{&venue}, clock) {}

Engine::~Engine() = default;

void Engine::wait_sessions(int64_t timeout_ms) {
  for (Account& a : accounts_) {
    if (a.session) a.session->wait_idle(timeout_ms);
  }
}

Engine::Account& Engine::account_of(const std::string& task_id) {
  auto it = task_index_.find(task_id);
  if (it != task_index_.end()) return accounts_[config_.tasks[it->second].account_index];
  auto t = state_.tasks.find(task_id);  // a task of the journal only (keel retire)
  if (t != state_.tasks.end()) {
    for (Account& a : accounts_) {
      if (a.id == t->second.config.account) return a;
    }
  }
  return accounts_.front();
}

Engine::Market* Engine::market_of(const std::string& symbol) {
  for (auto& m : markets_) {
    if (m->instrument.symbol == symbol) return m.get();
  }
  return nullptr;
}

int64_t Engine::now_ns() const {
  int64_t t = 0;
  for (const auto& m : markets_) t = std::max(t, m->view.ts_exchange_ns);
  return t;
}

const strategy::MarketView& Engine::view(const std::string& symbol) const {
  static const strategy::MarketView kNone;
  if (symbol.empty()) return markets_.front()->view;
  for (const auto& m : markets_) {
    if (m->instrument.symbol == symbol) return m->view;
  }
  return kNone;
}

const TaskMode& Engine::mode(const std::string& task_id) const {
  static const TaskMode kNotConfigured{false, false, "not in the config"};
  for (size_t i = 0; i < config_.tasks.size(); ++i) {
    if (config_.tasks[i].id == task_id) return modes_[i];
  }
  return kNotConfigured;
}

Record Engine::record(const std::string& task_id, Body body) const {
  Record r;
  r.task_id = task_id;
  auto it = task_index_.find(task_id);
  r.ts_exchange_ns = it != task_index_.end()
                         ? markets_[config_.tasks[it->second].instrument_index]->view.ts_exchange_ns
                         : now_ns();
  r.body = std::move(body);
  return r;
}

// A memo keyed by the task's own version is not invalidated by other tasks' records, so with N
// tasks a pass that journals one task's intents no longer makes all N decide again. A task
// reading balances (its account, other tasks' orders) or judged by risk limits (account
// balances) keeps the journal-wide version: any record may change what it reads.
uint64_t Engine::memo_version(size_t i) const {
  const TaskConfig& t = config_.tasks[i];
  return t.impl->reads_balances() || t.risk.any() ? state_.last_seq : task_versions_[i];
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
  for (const Record& r : recs) {
    model::apply(state_, r);
    if (auto it = task_index_.find(r.task_id); it != task_index_.end()) {
      task_versions_[it->second] = r.seq;
    }
    if (std::holds_alternative<journal::TaskHalted>(r.body)) {
      halted_journaled_[r.task_id] = state_.tasks[r.task_id].halted;
    }
  }
  KEEL_RETURN_IF_ERROR(journal_halts());
  return maybe_snapshot();
}

// A halt the fold derived from evidence (an overfill, a contradiction: E1) is journaled as a
// TaskHalted record of its own, so the reason stands in the audit trail.
Status Engine::journal_halts() {
  std::vector<Record> halts;
  for (const auto& [id, t] : state_.tasks) {
    std::string& seen = halted_journaled_[id];
    const bool grew = t.halted.size() > seen.size();  // TaskResumed only ever shortens it
    if (t.halted == seen) continue;
    seen = t.halted;
    if (grew) halts.push_back(record(id, journal::TaskHalted{t.halted}));
  }
  return commit(halts, /*sync=*/true);
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

namespace {

std::string working_orders_text(const model::TaskState& t) {
  std::string cids;
  size_t n = 0;
  for (const auto& [cid, o] : t.orders) {
    if (!o.working()) continue;
    if (n++ < 8) cids += (cids.empty() ? "" : ", ") + cid;
  }
  if (n > 8) cids += ", ...";
  return std::to_string(n) + " working order" + (n == 1 ? "" : "s") +
         (n == 0 ? "" : " (" + cids + ")");
}

// The first field of the journaled task that the config now contradicts, "" if none.
std::string changed_field(const journal::TaskStarted& j, const TaskConfig& t,
                          const std::string& account, const Instrument& ins) {
  if (j.account != account) return "account: " + j.account + " -> " + account;
  if (j.strategy != t.strategy) return "strategy: " + j.strategy + " -> " + t.strategy;
  if (j.symbol != ins.symbol) return "instrument.symbol: " + j.symbol + " -> " + ins.symbol;
  if (j.base_asset != ins.base_asset) {
    return "instrument.base_asset: " + j.base_asset + " -> " + ins.base_asset;
  }
  if (j.quote_asset != ins.quote_asset) {
    return "instrument.quote_asset: " + j.quote_asset + " -> " + ins.quote_asset;
  }
  auto dec = [](int64_t e8) { return format_fixed_trim(e8, kScaleE8); };
  if (j.tick_e8 != ins.tick_e8) {
    return "instrument.tick_size: " + dec(j.tick_e8) + " -> " + dec(ins.tick_e8);
  }
  if (j.step_e8 != ins.step_e8) {
    return "instrument.step_size: " + dec(j.step_e8) + " -> " + dec(ins.step_e8);
  }
  if (j.min_notional_e8 != ins.min_notional_e8) {
    return "instrument.min_notional: " + dec(j.min_notional_e8) + " -> " +
           dec(ins.min_notional_e8);
  }
  if (j.params_yaml != t.params_text) return "params: {" + j.params_yaml + "} -> {" + t.params_text + "}";
  return "";
}

}  // namespace

Status Engine::load_and_start(const std::set<std::string>& retiring) {
  auto folded = model::fold_journal(journal_, &loaded_from_snapshot_);
  if (!folded.ok()) return folded.status();
  state_ = std::move(*folded);
  for (const auto& [id, t] : state_.tasks) halted_journaled_[id] = t.halted;
  for (auto& m : memos_) {
    if (m) m->forget();
  }
  last_snapshot_seq_ = journal_.snapshot() ? journal_.snapshot()->seq : 0;
  for (const auto& entry : state_.tasks) {
    const std::string& id = entry.first;
    const model::TaskState& t = entry.second;
    const bool configured = std::any_of(config_.tasks.begin(), config_.tasks.end(),
                                        [&](const TaskConfig& c) { return c.id == id; });
    if (configured || t.retired || retiring.count(id) != 0) continue;
    return Status::InvalidArgument(
        config_.path + ": tasks: the journal holds task '" + id + "' (" + t.config.strategy +
        " " + t.instrument.symbol + ", " + working_orders_text(t) +
        ") but the config does not: put it back in the config, or run `keel retire --config " +
        config_.path + " --task " + id + "` to cancel its orders and retire it");
  }
  std::vector<Record> starts;
  if (state_.epochs.empty()) {
    starts.push_back(record(journal::kJournalTaskId,
                            journal::JournalEpoch{new_epoch(), state_.records == 0
                                                                   ? "journal created"
                                                                   : "journal written before "
                                                                     "client order id epochs"}));
  }
  for (const TaskConfig& t : config_.tasks) {
    auto it = state_.tasks.find(t.id);
    if (it != state_.tasks.end()) {
      if (it->second.retired) {
        if (!retiring.empty()) continue;  // keel retire of another task: it starts nothing
        return Status::InvalidArgument(config_.path + ": task '" + t.id +
                                       "' was retired (keel retire); give the task a new id");
      }
      const std::string changed =
          changed_field(it->second.config, t, accounts_[t.account_index].id,
                        markets_[t.instrument_index]->instrument);
      if (!changed.empty()) {
        return Status::InvalidArgument(
            config_.path + ": task '" + t.id + "': " + changed +
            ": the journal was started with the first value; use a new data_dir (or a new task "
            "id) for new parameters");
      }
      continue;
    }
    const Instrument& ins = markets_[t.instrument_index]->instrument;
    journal::TaskStarted b;
    b.strategy = t.strategy;
    b.symbol = ins.symbol;
    b.base_asset = ins.base_asset;
    b.quote_asset = ins.quote_asset;
    b.tick_e8 = ins.tick_e8;
    b.step_e8 = ins.step_e8;
    b.min_notional_e8 = ins.min_notional_e8;
    b.params_yaml = t.params_text;
    b.venue_start_ms = accounts_[t.account_index].venue->venue_time_ms();
    b.account = accounts_[t.account_index].id;
    starts.push_back(record(t.id, std::move(b)));
  }
  return commit(starts, /*sync=*/true);
}

void Engine::observe(const market::MarketEvent& ev) {
  // A REST snapshot line without a symbol belongs to the only market there is.
  Market* m = ev.symbol.empty() && markets_.size() == 1 ? markets_.front().get() : market_of(ev.symbol);
  if (m == nullptr) return;  // a symbol no task trades
  const Instrument& ins = m->instrument;
  strategy::MarketView& view = m->view;
  if (const auto* bt = std::get_if<market::BookTicker>(&ev.body)) {
    // Floor the bid and ceil the ask onto the tick grid (exact for on-grid data).
    const int64_t bid = bt->bid_price_e8 / ins.tick_e8;
    const int64_t ask = (bt->ask_price_e8 + ins.tick_e8 - 1) / ins.tick_e8;
    if (bt->ts_exchange_ns > view.ts_exchange_ns) view.ts_exchange_ns = bt->ts_exchange_ns;
    if (bid != view.best_bid_ticks || ask != view.best_ask_ticks) {
      view.ts_book_ns = view.ts_exchange_ns;  // spot bookTicker has no E: the latest time
    }
    view.best_bid_ticks = bid;
    view.best_ask_ticks = ask;
    m->bars.on_mid(view.ts_exchange_ns, (bt->bid_price_e8 + bt->ask_price_e8) / 2);
  } else if (const auto* tr = std::get_if<market::Trade>(&ev.body)) {
    view.last_trade_ticks = tr->price_e8 / ins.tick_e8;
    if (tr->ts_exchange_ns > view.ts_exchange_ns) view.ts_exchange_ns = tr->ts_exchange_ns;
  } else if (const auto* d = std::get_if<market::DepthDiff>(&ev.body)) {
    if (d->ts_exchange_ns > view.ts_exchange_ns) view.ts_exchange_ns = d->ts_exchange_ns;
    m->book.on_diff(*d);
  } else if (const auto* snap = std::get_if<market::DepthSnapshot>(&ev.body)) {
    m->book.on_snapshot(*snap);
  }
}

strategy::Balances Engine::balances(const model::TaskState& task) const {
  strategy::Balances b;
  const model::AccountState& acct = state_.account_of(task);
  if (!acct.has_baseline) return b;
  const Instrument& ins = task.instrument;
  b.known = true;
  b.base_total_e8 = acct.expected_e8(ins.base_asset);
  b.quote_total_e8 = acct.expected_e8(ins.quote_asset);
  for (const auto& [id, t] : state_.tasks) {
    if (t.config.account != task.config.account) continue;
    for (const auto& [cid, o] : t.orders) {
      if (!o.working()) continue;
      const int64_t left = std::max<int64_t>(0, o.qty_lots - o.filled_lots);
      if (o.side == Side::kBuy && t.instrument.quote_asset == ins.quote_asset) {
        b.quote_locked_e8 += t.instrument.notional_e8(o.price_ticks, left);
      } else if (o.side == Side::kSell && t.instrument.base_asset == ins.base_asset) {
        b.base_locked_e8 += t.instrument.qty_e8(left);
      }
    }
  }
  return b;
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

// One pass: every quoting task decides on the current views (guard changes journaled first);
// every intent of the pass goes into one synced batch (W1); then the requests leave and their
// answers are journaled.
Status Engine::decide_all() {
  if (fail_stop_) return Status::FailStop("journal failed earlier; no new intents");
  plans_.resize(config_.tasks.size());
  std::vector<Record>& pass = intents_;  // reused: its buffer survives
  pass.clear();
  for (size_t i = 0; i < config_.tasks.size(); ++i) {
    plans_[i] = Plan{};
    if (modes_[i].quoting) plan_task(i, plans_[i], pass);
  }
  KEEL_RETURN_IF_ERROR(commit(pass, /*sync=*/false));
  pass.clear();
  // Every task decides; the budgets admit (an account's shared by its tasks); the admitted
  // intents are journaled in config order.
  decided_.resize(config_.tasks.size());
  bool any = false;
  for (size_t i = 0; i < config_.tasks.size(); ++i) {
    decided_[i].clear();
    if (!plans_[i].skip) decide_task(i, plans_[i]);
    any = any || !decided_[i].empty();
  }
  if (!any) return Status::Ok();
  admit_pass();
  const uint64_t first_seq = journal_.next_seq();
  for (size_t i = 0; i < config_.tasks.size(); ++i) emit_task(i, first_seq, pass);
  if (pass.empty()) return Status::Ok();
  KEEL_RETURN_IF_ERROR(commit(pass, config_.sync_intents));  // W1: durable before any request
  KEEL_ASSERT(pass.front().seq == first_seq);
  std::vector<Record> sent;
  sent.swap(pass);
  Status s = send_and_record(sent);
  sent.swap(pass);
  return s;
}

Status Engine::finish_recording(uint64_t events) {
  KEEL_RETURN_IF_ERROR(drain_user_events());
  if (state_.recording_ended) return Status::Ok();
  std::vector<Record> recs;
  recs.push_back(record(journal::kJournalTaskId, journal::RecordingEnded{events}));  // the run's
  return commit(recs, /*sync=*/true);
}

}  // namespace keel::engine
