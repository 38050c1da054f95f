#include "keel/engine/operator.h"

#include <set>

#include "keel/core/fixed.h"
#include "keel/model/snapshot.h"

namespace keel::engine {

namespace {

Status append(journal::Journal& j, std::vector<journal::Record>& recs) {
  uint64_t seq = j.next_seq();
  for (journal::Record& r : recs) r.seq = seq++;
  return j.append(recs, /*sync=*/true);
}

journal::Record make(const std::string& task, journal::Body body) {
  journal::Record r;
  r.task_id = task;
  r.body = std::move(body);
  return r;
}

}  // namespace

Status declare_balance_change(journal::Journal& journal, const std::string& asset,
                              int64_t delta_e8, const std::string& reason, int64_t now_ms,
                              std::string* done, const std::string& account) {
  if (asset.empty()) return Status::InvalidArgument("--asset: empty");
  if (delta_e8 == 0) return Status::InvalidArgument("--amount: 0 changes nothing");
  if (reason.empty()) return Status::InvalidArgument("--reason: say what the change was");
  auto state = model::fold_journal(journal);
  if (!state.ok()) return state.status();
  std::set<std::string> accounts;  // those the journal's tasks trade on
  for (const auto& [id, t] : state->tasks) accounts.insert(t.config.account);
  if (accounts.count(account) == 0) {
    std::string known;
    for (const std::string& a : accounts) known += (known.empty() ? "" : ", ") + a;
    return Status::InvalidArgument("--account: account '" + account +
                                   "': no task of this journal trades on it (its accounts: " +
                                   known + ")");
  }
  if (!state->account(account).has_baseline) {
    return Status::InvalidArgument(
        "account '" + account + "': the journal has no R4 baseline of it yet: its first "
        "reconciliation reads the balances as they are, nothing needs declaring");
  }
  std::vector<journal::Record> recs;
  recs.push_back(make(journal::account_tag(account),
                      journal::BalanceChanged{asset, delta_e8, now_ms, now_ms,
                                              "operator: " + reason}));
  std::string lines = "journaled: " + asset + " " + (delta_e8 > 0 ? "+" : "") +
                      format_fixed_trim(delta_e8, kScaleE8) + " (" + reason + ")\n";
  for (const auto& [id, t] : state->tasks) {
    if (t.config.account != account) continue;
    if (t.halted.find("R4: " + asset + " ") == std::string::npos) continue;
    recs.push_back(make(id, journal::TaskResumed{"declared " + asset + ": " + reason, true}));
    lines += "journaled: task " + id + " resumed from its R4 halt (the next start checks R4 again)\n";
  }
  KEEL_RETURN_IF_ERROR(append(journal, recs));
  if (done != nullptr) *done = lines;
  return Status::Ok();
}

Status resume_task(journal::Journal& journal, const std::string& task_id,
                   const std::string& reason, std::string* done) {
  if (reason.empty()) return Status::InvalidArgument("--reason: say why the task may quote again");
  auto state = model::fold_journal(journal);
  if (!state.ok()) return state.status();
  auto it = state->tasks.find(task_id);
  if (it == state->tasks.end()) {
    return Status::InvalidArgument("--task " + task_id + ": the journal holds no such task");
  }
  if (it->second.halted.empty()) {
    return Status::InvalidArgument("--task " + task_id + ": the task is not halted");
  }
  const std::string was = it->second.halted;
  std::vector<journal::Record> recs;
  recs.push_back(make(task_id, journal::TaskResumed{reason, false}));
  KEEL_RETURN_IF_ERROR(append(journal, recs));
  model::apply(*state, recs.front());  // as the next start folds it
  if (done != nullptr) {
    *done = "journaled: task " + task_id + " resumed (it was halted: " + was + ")\n";
    const std::string& still = state->tasks.at(task_id).halted;
    if (!still.empty()) {
      *done += "the journal still shows what cannot be: halted again at once: " + still + "\n";
    }
  }
  return Status::Ok();
}

}  // namespace keel::engine
