// replay.h (private): the market replay of `keel sim`.
//
// catch_up() (synchronous, before serving) re-reads the recording up to the state's position
// (Venue::catch_up: warm-up of accounts already past an event, consumption for the others).
// start() then replays the rest on its own thread, paced by the capture's receive timestamps
// divided by `speed` (the first live event is due at once), whether or not any client is
// connected. At the end of the recording the market stops (logged, persisted in every account)
// and the server keeps serving. stop() interrupts the wait and joins.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "keel/market/capture.h"
#include "rest.h"
#include "venue.h"

namespace keel::simserver {

//
// Pause (test-only, POST /sim/v1/pause): no event is applied while paused; on resume the
// schedule shifts by the paused time, so the market continues where it stopped (no burst).
class Replayer final : public MarketControl {
 public:
  using Log = std::function<void(const std::string&)>;
  // REQUIRES: speed > 0.
  Replayer(Venue& venue, std::vector<std::string> files, double speed, Log log);
  ~Replayer();

  // Errors: the recording cannot be opened or read, or it ends before the state's position
  // (kInvalidArgument: the state belongs to another recording).
  Status catch_up();
  void start();
  void stop();
  bool ended() const { return ended_.load(); }
  uint64_t position() const override { return position_.load(); }
  void set_paused(bool paused) override;
  bool paused() const override;

 private:
  void run();
  bool wait_until(std::chrono::steady_clock::time_point due);  // false when stopping
  void finish();

  Venue& venue_;
  std::vector<std::string> files_;
  double speed_;
  Log log_;
  std::unique_ptr<market::CaptureReader> reader_;
  std::atomic<bool> ended_{false};
  std::atomic<uint64_t> position_{0};
  mutable std::mutex mu_;
  std::mutex apply_mu_;  // held while an event is applied; set_paused(true) waits for it
  std::condition_variable cv_;
  bool stopping_ = false;
  bool paused_ = false;
  std::chrono::steady_clock::time_point paused_at_;
  std::chrono::steady_clock::duration paused_total_{};  // added to every due time
  std::thread thread_;
};

}  // namespace keel::simserver
