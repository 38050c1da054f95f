// keel/engine/operator.h: what an operator journals by hand (the `keel declare` and `keel
// resume` commands). Each writes to the journal directly, with keel run stopped (the journal
// admits one writer), and folds nothing the next start would not fold the same way.
#pragma once

#include <cstdint>
#include <string>

#include "keel/core/status.h"
#include "keel/journal/journal.h"

namespace keel::engine {

// `keel declare --asset A --amount X --reason TEXT`: journals a BalanceChanged of `delta_e8`
// (10^-8, signed) in `asset` with source "operator: <reason>" and clear time `now_ms` (the
// change happened while keel was stopped, so no balanceUpdate event carried it; R4 counts it
// from here on), then a TaskResumed (R4 reasons only) for every task an R4 mismatch of `asset`
// had halted. One synced batch (W1). `done` receives one line per record, for the operator.
// Errors: kInvalidArgument (an empty asset or reason, a zero amount, a journal without an R4
// baseline: nothing to declare against, an account no task of the journal trades on, named
// with the journal's accounts); the journal's own errors. `account`: the account
// the change happened on (config accounts[].id; R4 is per account): only its tasks resume.
Status declare_balance_change(journal::Journal& journal, const std::string& asset,
                              int64_t delta_e8, const std::string& reason, int64_t now_ms,
                              std::string* done,
                              const std::string& account = journal::kDefaultAccount);

// `keel resume --task ID --reason TEXT`: journals a TaskResumed lifting every halt reason of the
// task (after an investigation: the operator answers for it). A cause the journal itself still
// shows (an overfilled order, slot claims above the position) halts the task again at once
// (model/state.h); `done` says so. Errors: kInvalidArgument (no such
// task, the task is not halted, an empty reason); the journal's own errors.
Status resume_task(journal::Journal& journal, const std::string& task_id,
                   const std::string& reason, std::string* done);

}  // namespace keel::engine
