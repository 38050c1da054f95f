// The delayed execution of late requests (late.h).
#include "late.h"

namespace keel::simserver {

LateQueue::~LateQueue() { stop(); }

void LateQueue::schedule(std::chrono::milliseconds delay, std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    queue_.emplace(Due{std::chrono::steady_clock::now() + delay, seq_++}, std::move(fn));
    if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
  }
  cv_.notify_all();
}

void LateQueue::stop() {
  std::thread t;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    queue_.clear();
    t = std::move(thread_);
  }
  cv_.notify_all();
  if (t.joinable()) t.join();
}

size_t LateQueue::pending() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.size();
}

void LateQueue::run() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    if (stopping_) return;
    if (queue_.empty()) {
      cv_.wait(lock);
      continue;
    }
    auto first = queue_.begin();
    if (std::chrono::steady_clock::now() < first->first.first) {
      cv_.wait_until(lock, first->first.first);  // woken early by schedule/stop: re-evaluate
      continue;
    }
    std::function<void()> fn = std::move(first->second);
    queue_.erase(first);
    lock.unlock();
    fn();
    lock.lock();
  }
}

}  // namespace keel::simserver
