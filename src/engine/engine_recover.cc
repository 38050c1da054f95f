// The reconciling half of the engine (R2-R4): evidence in, findings journaled, modes set.
#include <algorithm>
#include <set>
#include <thread>

#include "keel/core/failpoint.h"
#include "keel/core/ids.h"
#include "keel/engine/engine.h"

namespace keel::engine {

using journal::Body;
using journal::Record;

recovery::Options Engine::recovery_options(const exchange::Exchange& venue) const {
  recovery::Options o;
  o.evidence_margin_ms = config_.binance.evidence_margin_ms;
  // The embedded exchange answers every request in-process before returning: a request it
  // does not know was never executed and never will be.
  o.absence_is_immediate = venue.answers_synchronously();
  return o;
}

int64_t Engine::adopt_slot(const model::TaskState& task, Side side, int64_t price_ticks) const {
  for (const TaskConfig& t : config_.tasks) {
    if (t.id == task.id) return t.impl->adopt_slot_key(side, price_ticks);
  }
  return price_ticks;  // a task leaving the config (keel retire): any slot; it is cancelled
}

bool Engine::reconcile_due(int64_t venue_now_ms) const {
  return evidence_gap_ || (reconcile_due_ms_ > 0 && venue_now_ms >= reconcile_due_ms_);
}

Status Engine::reconcile_once(size_t account, const std::vector<std::string>& symbols,
                              std::vector<recovery::Evidence>& evs, RecoverySummary& sum,
                              std::map<std::string, recovery::TaskReport>& reports) {
  Account& a = accounts_[account];
  recovery::Options opts = recovery_options(*a.venue);
  opts.scan_orders = !a.orders_scanned;  // once per start: a restored copy (W5)
  reports.clear();
  auto gathered = recovery::gather_account(state_, a.id, symbols, *a.venue, opts);
  if (!gathered.ok()) {
    evs.assign(symbols.size(), recovery::Evidence{});
    for (size_t k = 0; k < symbols.size(); ++k) {
      evs[k].account = a.id;
      evs[k].symbol = symbols[k];
    }
    for (const auto& [id, t] : state_.tasks) {
      if (t.config.account == a.id &&
          std::find(symbols.begin(), symbols.end(), t.instrument.symbol) != symbols.end()) {
        reports[id].problems.push_back("reconciliation failed: " + gathered.status().ToString());
      }
    }
    return Status::Ok();
  }
  evs = std::move(*gathered);
  const model::AccountState& acct = state_.account(a.id);
  a.orders_scanned = a.orders_scanned ||
                     std::all_of(evs.begin(), evs.end(), [&](const recovery::Evidence& ev) {
                       return ev.scanned_all_orders || acct.marks(ev.symbol).max_order_id == 0;
                     });
  std::vector<Record> recs;
  for (const recovery::Evidence& ev : evs) {
    recovery::Judgement j = recovery::judge(
        state_, ev, opts, [this](const model::TaskState& t, Side side, int64_t price) {
          return adopt_slot(t, side, price);
        });
    if (j.stale && sum.epoch_renewed.empty()) {
      // New ids must never collide with the ones the lost copy of the journal used.
      recs.push_back(record(journal::kJournalTaskId, journal::JournalEpoch{new_epoch(), j.stale_reason}));
      sum.epoch_renewed = j.stale_reason;
    }
    for (recovery::Finding& f : j.findings) recs.push_back(record(f.task_id, std::move(f.body)));
    for (auto& [id, r] : j.tasks) reports[id] = std::move(r);
    sum.trades_seen += j.trades_seen;
    sum.foreign_fills += j.foreign_fills;
    if (j.next_due_ms > 0 && (reconcile_due_ms_ == 0 || j.next_due_ms < reconcile_due_ms_)) {
      reconcile_due_ms_ = j.next_due_ms;
    }
  }
  for (journal::AccountBaseline& b : recovery::baselines_from(state_, evs)) {
    recs.push_back(record(journal::account_tag(a.id), std::move(b)));
    sum.baseline_taken = true;
  }
  failpoint("recovery.findings.before");
  KEEL_RETURN_IF_ERROR(commit(recs, /*sync=*/false));
  failpoint("recovery.findings.after");
  for (const auto& [id, r] : reports) {
    sum.fills_recovered += r.fills_recovered;
    sum.accepted += r.accepted;
    sum.not_found += r.not_found;
    sum.canceled += r.canceled;
    sum.cancels_not_effective += r.cancels_not_effective;
    sum.adopted += r.adopted;
  }
  return Status::Ok();
}

// R4: a mismatch must be seen by two consecutive consistent checks with the same unexplained
// amount (a balanceUpdate or fill event may be in flight at the first), kR4ConfirmMs of venue
// time apart, before it halts: two checks back to back (the start-up settle loop) would give a
// lagging stream no time, and a halt is for good.
Status Engine::check_r4(Account& a, const std::vector<recovery::Evidence>& evs,
                        RecoverySummary& sum) {
  constexpr int64_t kR4ConfirmMs = 10'000;
  const bool judged = !evs.empty() && state_.account(a.id).has_baseline &&
                      std::all_of(evs.begin(), evs.end(), [](const recovery::Evidence& ev) {
                        return ev.balances_consistent() && !ev.trades_more;
                      });
  if (!judged) return Status::Ok();
  const recovery::Evidence& ev = evs.back();  // the latest clock of the reading
  std::map<std::string, std::pair<int64_t, int64_t>> now;  // asset -> (diff, first seen ms)
  std::vector<Record> halts;
  for (const recovery::R4Mismatch& m : recovery::r4_check(state_, evs)) {
    const int64_t diff = m.observed_e8 - m.expected_e8;
    auto prev = a.r4_suspect.find(m.asset);
    const bool same = prev != a.r4_suspect.end() && prev->second.first == diff;
    now[m.asset] = {diff, same ? prev->second.second : ev.venue_now_ms};
    if (!same || ev.venue_now_ms - prev->second.second < kR4ConfirmMs) {
      // The confirming check comes by itself, whether or not anything else is unresolved.
      const int64_t when = now[m.asset].second + kR4ConfirmMs;
      if (reconcile_due_ms_ == 0 || when < reconcile_due_ms_) reconcile_due_ms_ = when;
      continue;
    }
    for (const auto& [id, t] : state_.tasks) {
      if (t.config.account != a.id) continue;
      const bool uses = t.instrument.base_asset == m.asset || t.instrument.quote_asset == m.asset ||
                        t.commissions.count(m.asset) != 0;
      if (!uses || t.halted.find(m.text()) != std::string::npos) continue;
      halts.push_back(record(id, journal::TaskHalted{m.text()}));
      sum.halts.push_back(id + ": " + m.text());
    }
  }
  a.r4_suspect = std::move(now);
  return commit(halts, /*sync=*/true);
}

void Engine::set_modes(const std::map<std::string, const recovery::Evidence*>& evidence_of_task,
                       const std::map<std::string, recovery::TaskReport>& reports) {
  for (size_t i = 0; i < config_.tasks.size(); ++i) {
    const std::string& id = config_.tasks[i].id;
    const model::TaskState& task = state_.tasks.at(id);
    auto rep = reports.find(id);
    TaskMode& m = modes_[i];
    const bool was_quoting = m.quoting;
    m = {true, false, ""};
    if (!task.halted.empty()) {
      m = {false, false, "halted: " + task.halted};
    } else if (rep != reports.end() && !rep->second.problems.empty()) {
      m = {false, false, rep->second.problems.front()};
    } else if (auto e = evidence_of_task.find(id);
               e != evidence_of_task.end() && e->second->trades_more) {
      m = {false, true, "reading the account's trade history (continues)"};
    } else if (task.unresolved() != 0) {
      const size_t in_doubt = rep == reports.end() ? 0 : rep->second.in_doubt;
      m = {false, true,
           std::to_string(task.unresolved()) + " intents unresolved" +
               (in_doubt > 0 ? " (" + std::to_string(in_doubt) +
                                   " requests in doubt until their recvWindow has passed, R1)"
                             : "")};
    }
    // A transient reason delays the start of quoting (R2: every slot proven first); a task that
    // was quoting goes on around it (the slots in question are left alone by the strategy).
    if (m.transient && was_quoting) m.quoting = true;
  }
}

Result<RecoverySummary> Engine::recover() {
  constexpr int kReconcileAttempts = 3;
  ++stats_.reconciliations;
  // The requests the sessions were given are answered first (bounded: a stalled account's stay
  // in flight, which R1 covers), so the evidence is judged against their answers.
  wait_sessions(2'000);
  KEEL_RETURN_IF_ERROR(drain_user_events());
  RecoverySummary sum;
  std::map<std::string, recovery::TaskReport> reports;
  reconcile_due_ms_ = 0;
  evidence_gap_ = false;
  // Evidence is gathered once per account, over the symbols of the journal's tasks on it, in
  // one reading of its balances; accounts are independent (one that cannot be asked leaves
  // only its own tasks not quoting).
  std::map<size_t, std::vector<std::string>> scopes;  // account -> its symbols
  for (const auto& [id, t] : state_.tasks) {
    for (size_t k = 0; k < accounts_.size(); ++k) {
      if (accounts_[k].id != t.config.account) continue;
      std::vector<std::string>& symbols = scopes[k];
      if (std::find(symbols.begin(), symbols.end(), t.instrument.symbol) == symbols.end()) {
        symbols.push_back(t.instrument.symbol);
      }
    }
  }
  std::vector<std::vector<recovery::Evidence>> evs(scopes.size());
  std::map<std::string, const recovery::Evidence*> evidence_of_task;
  bool trades_more = false;
  size_t n = 0;
  for (auto& [account, symbols] : scopes) {
    std::sort(symbols.begin(), symbols.end());
    std::vector<recovery::Evidence>& account_evs = evs[n++];
    std::map<std::string, recovery::TaskReport> scope_reports;
    for (int attempt = 0; attempt < kReconcileAttempts; ++attempt) {
      KEEL_RETURN_IF_ERROR(reconcile_once(account, symbols, account_evs, sum, scope_reports));
      const bool problems = std::any_of(scope_reports.begin(), scope_reports.end(),
                                        [](const auto& r) { return !r.second.problems.empty(); });
      if (!problems) break;
    }
    KEEL_RETURN_IF_ERROR(check_r4(accounts_[account], account_evs, sum));
    for (const recovery::Evidence& ev : account_evs) {
      trades_more = trades_more || ev.trades_more;
      for (const auto& [id, t] : state_.tasks) {
        if (t.config.account == ev.account && t.instrument.symbol == ev.symbol) {
          evidence_of_task[id] = &ev;
        }
      }
    }
    for (auto& [id, r] : scope_reports) reports[id] = std::move(r);
  }
  for (const auto& [id, r] : reports) {
    sum.in_doubt += r.in_doubt;
    for (const std::string& p : r.problems) sum.problems.push_back(id + ": " + p);
  }
  set_modes(evidence_of_task, reports);
  // What is still owed is asked again: the in-doubt deadline is already set; a trade history
  // scan goes on shortly; anything else unresolved in a second; a problem the venue's answers
  // did not settle after several reconciliations, only every 5 s (each pass costs request
  // weight: the account twice, the open orders, the trades).
  int64_t after_ms = trades_more ? 200 : 0;
  for (const auto& [id, t] : state_.tasks) {
    auto rep = reports.find(id);
    if (t.unresolved() > (rep == reports.end() ? 0 : rep->second.in_doubt)) {
      after_ms = after_ms == 0 ? 1'000 : std::min<int64_t>(after_ms, 1'000);
    }
  }
  if (!sum.problems.empty() && after_ms == 0) after_ms = 5'000;
  if (after_ms > 0) {
    const int64_t when = venue_now_ms() + after_ms;
    if (reconcile_due_ms_ == 0 || when < reconcile_due_ms_) reconcile_due_ms_ = when;
  }
  return sum;
}

Status Engine::retire(const std::string& task_id, int64_t deadline_ms) {
  auto it = state_.tasks.find(task_id);
  if (it == state_.tasks.end()) {
    return Status::InvalidArgument("--task " + task_id + ": the journal holds no such task");
  }
  if (it->second.retired) return Status::Ok();
  const std::string& account = it->second.config.account;
  if (std::none_of(accounts_.begin(), accounts_.end(),
                   [&](const Account& a) { return a.id == account; })) {
    // No connection reaches its orders: another account's would neither cancel nor settle them.
    return Status::InvalidArgument("--task " + task_id + ": the task trades on account " +
                                   account + ", which the config does not have: put the account "
                                   "back under accounts: (its tasks may stay out) and retire again");
  }
  const int64_t give_up_ns = clock_.monotonic_ns() + deadline_ms * 1'000'000;
  // Orders whose cancel the venue refused in this call with the order still open (a rate
  // limit; any code but -2011, which a query settles): not asked again before the next keel
  // retire, never a storm of cancels. (A cancel proven not to have executed, R1, is asked again.)
  std::set<std::string> refused;
  for (;;) {
    auto r = recover();
    if (!r.ok()) return r.status();
    const model::TaskState& task = state_.tasks.at(task_id);
    bool working = false;
    for (const auto& [cid, o] : task.orders) working = working || o.working();
    if (!working && task.unresolved() == 0) break;
    intents_.clear();
    for (const auto& [cid, o] : task.orders) {
      if (o.phase != model::OrderPhase::kOpen || o.cancel_pending || o.cancel_refused) continue;
      if (refused.count(cid) != 0) continue;
      intents_.push_back(record(task_id, journal::CancelIntent{
          o.slot_key, cid, context(view(task.instrument.symbol), "keel retire"),
          timing(*account_of(task_id).venue)}));
    }
    if (!intents_.empty()) {
      KEEL_RETURN_IF_ERROR(commit(intents_, /*sync=*/true));  // W1
      std::vector<Record> sent = intents_;
      KEEL_RETURN_IF_ERROR(send_and_record(sent));
      // A network venue answers on the account's session: wait for the answers (bounded) and
      // journal them, so the refusals below are known as with the embedded exchange.
      wait_sessions(deadline_ms);
      KEEL_RETURN_IF_ERROR(drain_user_events());
      for (const Record& r : sent) {
        const std::string& cid = std::get<journal::CancelIntent>(r.body).client_order_id;
        const model::Order* o = state_.tasks.at(task_id).find_order(cid);
        if (o != nullptr && o->phase == model::OrderPhase::kOpen && !o->cancel_pending &&
            !o->cancel_refused) {
          refused.insert(cid);
        }
      }
      continue;
    }
    if (clock_.monotonic_ns() > give_up_ns) {
      std::string left;
      for (const auto& [cid, o] : task.orders) {
        if (o.working() || o.owes_fills()) left += (left.empty() ? "" : ", ") + cid;
      }
      return Status::Rejected("task '" + task_id + "' still has orders the venue has not settled (" +
                              left + "); run keel retire again later");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  std::vector<Record> recs;
  recs.push_back(record(task_id, journal::TaskRetired{"keel retire: every order closed"}));
  return commit(recs, /*sync=*/true);
}

}  // namespace keel::engine
