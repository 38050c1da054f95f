// keel/strategy/uptime.h: quoting uptime (seed 003 "Uptime Tracking"), for any task: the time
// it had a bid and an ask working within 10 bps of the mid, per UTC hour of exchange time, with
// the seed's target of 30 minutes per hour. Computed from the journal alone (a fold), so `keel
// inspect` shows the same figure whenever it is asked.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>

#include "keel/model/state.h"

namespace keel::strategy {

inline constexpr int64_t kUptimeBandBpsE2 = 1'000;                    // 10 bps
inline constexpr int64_t kUptimeTargetNsPerHour = 30LL * 60 * 1'000'000'000;  // 30 min
inline constexpr int64_t kNsPerHour = 3'600LL * 1'000'000'000;

// True when the task has an open bid and an open ask (its slots' current orders, phase kOpen,
// quantity left), each within `band_bps_e2` of the mid of the task's mark (inclusive); false
// before the first mark. Pure.
bool quoting_bilateral(const model::TaskState& task, int64_t band_bps_e2 = kUptimeBandBpsE2);

// Quoting time per UTC hour of exchange time, summed between journal records: the caller folds
// the journal and, after each record, calls step() with the task's state and the record's
// exchange time. The interval since the previous step counts as quoting when the state after
// the previous step was quoting (the journal's view changes only at records). Steps earlier than
// the newest are zero-length. At most kHoursRetained hours are kept (the newest).
class UptimeMeter {
 public:
  static constexpr size_t kHoursRetained = 24 * 31;
  struct Hour {
    int64_t quoted_ns = 0;    // bilateral within the band
    int64_t observed_ns = 0;  // between the first and the last step inside this hour
  };
  void step(const model::TaskState& task, int64_t ts_ns);
  // By hour index (exchange ns / kNsPerHour).
  const std::map<int64_t, Hour>& hours() const { return hours_; }
  int64_t quoted_ns() const { return quoted_ns_; }
  int64_t observed_ns() const { return observed_ns_; }
  // Hours whose quoted time reached kUptimeTargetNsPerHour.
  size_t hours_on_target() const;

 private:
  void add(int64_t from_ns, int64_t to_ns, bool quoting);
  bool started_ = false;
  bool quoting_ = false;
  int64_t last_ns_ = 0;
  int64_t quoted_ns_ = 0;
  int64_t observed_ns_ = 0;
  std::map<int64_t, Hour> hours_;
};

}  // namespace keel::strategy
