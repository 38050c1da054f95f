// keel declare / keel resume: the operator's hand on the journal (keel/engine/operator.h).
#include <cstdio>

#include "app.h"
#include "keel/core/clock.h"
#include "keel/core/fixed.h"
#include "keel/engine/operator.h"
#include "keel/journal/journal.h"

namespace keel::app {

namespace {

int report(const char* cmd, const Status& s, const std::string& done) {
  if (!s.ok()) {
    std::fprintf(stderr, "keel %s: %s\n", cmd, s.ToString().c_str());
    return s.code() == Code::kCorruption || s.code() == Code::kFailStop ? 2 : 1;
  }
  std::fprintf(stderr, "%s", done.c_str());
  return 0;
}

}  // namespace

int declare_command(const Target& target, const std::string& asset, const std::string& amount,
                    const std::string& reason, const std::string& account) {
  auto delta = parse_fixed(amount, kScaleE8);
  if (!delta.ok()) {
    return report("declare", Status::InvalidArgument("--amount: '" + amount +
                                                     "' is not a decimal amount (e.g. 250 or "
                                                     "-0.5)"),
                  "");
  }
  auto j = open_target_journal(target, /*read_only=*/false);
  if (!j.ok()) return report("declare", j.status(), "");
  std::string done;
  const int64_t now_ms = SystemClock::instance().realtime_ns() / 1'000'000;
  Status s = engine::declare_balance_change(**j, asset, *delta, reason, now_ms, &done,
                                            account);
  return report("declare", s, done);
}

int resume_command(const Target& target, const std::string& task, const std::string& reason) {
  auto j = open_target_journal(target, /*read_only=*/false);
  if (!j.ok()) return report("resume", j.status(), "");
  std::string done;
  Status s = engine::resume_task(**j, task, reason, &done);
  return report("resume", s, done);
}

}  // namespace keel::app
