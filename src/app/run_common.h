// src/app/run_common.h: what `keel run` prints, shared by the embedded and the live venue.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "keel/core/clock.h"
#include "keel/engine/config.h"
#include "keel/engine/engine.h"
#include "keel/journal/journal.h"
#include "keel/recovery/reconcile.h"

namespace keel::app {

// Progress on stderr: a rewritten line on a terminal, a line per 10 % otherwise.
class Progress {
 public:
  explicit Progress(bool quiet) : quiet_(quiet), tty_(isatty(2) != 0) {}
  void update(const char* phase, double fraction, uint64_t events, int64_t elapsed_ns) {
    if (quiet_) return;
    const int64_t now = SystemClock::instance().monotonic_ns();
    const int decile = static_cast<int>(fraction * 10);
    if (tty_ ? now - last_ns_ < 200'000'000 : decile <= last_decile_) return;
    last_ns_ = now;
    last_decile_ = decile;
    const double rate = elapsed_ns > 0 ? events * 1e9 / elapsed_ns : 0;
    std::fprintf(stderr, "%s[%5.1f%%] %s: %llu events, %.0f events/s%s", tty_ ? "\r" : "",
                 fraction * 100, phase, static_cast<unsigned long long>(events), rate,
                 tty_ ? "   " : "\n");
  }
  void done() {
    if (!quiet_ && tty_) std::fputc('\n', stderr);
  }

 private:
  bool quiet_, tty_;
  int64_t last_ns_ = 0;
  int last_decile_ = -1;
};


int64_t percentile(std::vector<int64_t> v, double p);
void print_summary(const engine::Config& cfg, const engine::Engine& eng, uint64_t position,
                   uint64_t events_this_run, int64_t elapsed_ns, const journal::Journal& j);
void report_recovery(const engine::RecoverySummary& r);
// W4: says why, cancels what it can without the journal, returns exit code 2.
int fail_stop(engine::Engine& eng, const Status& s);
// keel retire on a constructed engine: loads the journal for `task_id` (which may have left the
// config), cancels its working orders through the journal and waits up to `deadline_ms` of
// venue time for the exchange to settle them (Engine::retire). Exit 0 retired, 1 refused,
// 2 fail-stop.
int retire_task(engine::Engine& eng, const std::string& task_id, int64_t deadline_ms);

}  // namespace keel::app
