// The blocking step runner (io_step.h).
#include "io_step.h"

#include <boost/asio/error.hpp>

#include <algorithm>

namespace keel::exchange::binance::io {
namespace {

constexpr auto kSlice = std::chrono::milliseconds(100);
constexpr auto kCancelGrace = std::chrono::seconds(2);

// Runs handlers until the step is done or `until`; false on `until` or on `*stop`.
bool run_slices(boost::asio::io_context& ioc, const Step& step, Deadline until,
                const std::atomic<bool>* stop) {
  ioc.restart();
  while (!step.done) {
    if (stop != nullptr && stop->load(std::memory_order_relaxed)) return false;
    const Deadline now = SteadyClock::now();
    if (now >= until) return false;
    const std::size_t ran = ioc.run_one_until(std::min(until, now + kSlice));
    if (ran == 0 && ioc.stopped()) return step.done;  // no work left: nothing can complete it
  }
  return true;
}

}  // namespace

boost::system::error_code run_step(boost::asio::io_context& ioc, const StepPtr& step,
                                   Deadline deadline, const std::atomic<bool>* stop,
                                   const std::function<void()>& cancel) {
  if (run_slices(ioc, *step, deadline, stop)) return step->ec;
  const bool stopped = stop != nullptr && stop->load(std::memory_order_relaxed);
  if (cancel) cancel();
  run_slices(ioc, *step, SteadyClock::now() + kCancelGrace, nullptr);
  return stopped ? boost::asio::error::operation_aborted : boost::asio::error::timed_out;
}

}  // namespace keel::exchange::binance::io
