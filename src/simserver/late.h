// late.h (private): the delayed execution of the `late=P:MS` fault (faults.h).
//
// A LateQueue runs closures on its own thread once their delay (steady clock) has passed, in
// due order (equal dues in scheduling order), whether or not any client is connected. The
// thread starts with the first schedule(). stop() (also the destructor) drops what is still
// pending -- those requests never execute, as if they had expired -- and joins; schedule()
// after stop() drops the closure. The closures run without any lock of the queue held (they
// take the venue's lock themselves), so they may schedule again.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

namespace keel::simserver {

class LateQueue {
 public:
  LateQueue() = default;
  ~LateQueue();
  LateQueue(const LateQueue&) = delete;
  LateQueue& operator=(const LateQueue&) = delete;

  void schedule(std::chrono::milliseconds delay, std::function<void()> fn);
  void stop();
  size_t pending() const;

 private:
  void run();

  using Due = std::pair<std::chrono::steady_clock::time_point, uint64_t>;  // (due, sequence)
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<Due, std::function<void()>> queue_;
  uint64_t seq_ = 0;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace keel::simserver
