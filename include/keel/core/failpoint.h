// keel/core/failpoint.h: crash points at persistence and I/O boundaries (issue 4, DESIGN.md R2).
//
// KEEL_FAILPOINT="name:N[,name:N...]" in the environment makes the process kill itself with
// SIGKILL (no clean-up, no flush: exactly a kill -9) on the N-th time it passes failpoint `name`.
// Unset (the normal case), a failpoint costs one predictable branch and changes nothing.
// The names are listed in kFailpoints so campaigns can enumerate them.
#pragma once

#include <array>
#include <string_view>

namespace keel {

inline constexpr std::array<std::string_view, 12> kFailpoints = {
    "journal.append.before",        // intents/outcomes built, nothing written
    "journal.append.after_sync",    // a synced batch is durable, nothing sent yet
    "journal.append.after_write",   // an unsynced batch is written (WAL), not yet folded
    "engine.request.before_send",   // intent durable, request about to leave
    "engine.request.after_response",// the venue answered, outcome not journaled
    "engine.outcome.before_journal",// outcomes built, not written
    "engine.user_event.received",   // executionReports drained, not journaled
    "engine.snapshot.before",       // a snapshot is about to be written
    "engine.snapshot.after",        // a snapshot was written
    "recovery.findings.before",     // reconciliation asked the venue, findings not journaled
    "recovery.findings.after",      // findings journaled, quoting not started
    "run.exchange.after_event",     // the exchange consumed a market event, the engine not yet
};

// A function a failpoint kill calls on the failing thread after printing its line and just
// before its SIGKILL; nullptr (the default): none. KEEL_POWER_LOSS mode installs one that
// truncates the journal's files to their synced length (keel/journal/fault_fs.h), so a
// failpoint kill is then a power cut. The hook may keep locks (the process dies right after)
// and may itself end the process. Thread-safe; the last hook set wins.
using CrashHook = void (*)();
void set_crash_hook(CrashHook hook);

namespace detail {
extern bool g_failpoints_armed;
void failpoint_hit(std::string_view name);
}  // namespace detail

// Counts a pass through failpoint `name` (one of kFailpoints) and dies on the armed hit.
inline void failpoint(std::string_view name) {
  if (detail::g_failpoints_armed) detail::failpoint_hit(name);
}

}  // namespace keel
