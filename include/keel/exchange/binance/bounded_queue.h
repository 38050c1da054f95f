// keel/exchange/binance/bounded_queue.h: a bounded, thread-safe FIFO between a stream thread
// (producer) and the engine thread (consumer). A full queue refuses the push; the producer
// decides what a loss means (market data: resync the book; user data: a gap to recover).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <vector>

namespace keel::exchange::binance {

template <class T>
class BoundedQueue {
 public:
  explicit BoundedQueue(size_t capacity) : capacity_(capacity) {}

  // False (and `v` dropped) when the queue holds capacity() items.
  bool try_push(T v) {
    {
      std::lock_guard lock(mu_);
      if (items_.size() >= capacity_) return false;
      items_.push_back(std::move(v));
    }
    cv_.notify_one();
    return true;
  }

  // Waits up to timeout_ms (0: no wait) for an item; false if none came.
  bool pop(T& out, int64_t timeout_ms) {
    std::unique_lock lock(mu_);
    if (items_.empty() && timeout_ms > 0) {
      cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return !items_.empty(); });
    }
    if (items_.empty()) return false;
    out = std::move(items_.front());
    items_.pop_front();
    return true;
  }

  // Moves every queued item to the end of `out`, in order; returns how many.
  size_t drain(std::vector<T>& out) {
    std::lock_guard lock(mu_);
    const size_t n = items_.size();
    for (T& v : items_) out.push_back(std::move(v));
    items_.clear();
    return n;
  }

  size_t clear() {
    std::lock_guard lock(mu_);
    const size_t n = items_.size();
    items_.clear();
    return n;
  }

  size_t size() const {
    std::lock_guard lock(mu_);
    return items_.size();
  }
  size_t capacity() const { return capacity_; }

 private:
  const size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<T> items_;
};

}  // namespace keel::exchange::binance
