// Private: blocking calls made of asynchronous Beast operations, so that every step has a
// deadline (beast::tcp_stream timeouts apply to asynchronous operations only) and a stop flag.
//
// Pattern: start ONE asynchronous operation whose handler is Done{step}, then run_step(). The
// handler only records (error_code, bytes) in a shared Step, so nothing can throw out of it and a
// late completion after an abandoned step writes into memory that is still alive.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/system/error_code.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>

namespace keel::exchange::binance::io {

using SteadyClock = std::chrono::steady_clock;
using Deadline = SteadyClock::time_point;

inline Deadline after_ms(int64_t ms) { return SteadyClock::now() + std::chrono::milliseconds(ms); }

struct Step {
  bool done = false;
  boost::system::error_code ec;
  std::size_t bytes = 0;
};
using StepPtr = std::shared_ptr<Step>;
inline StepPtr new_step() { return std::make_shared<Step>(); }

// Completion handler for any Asio/Beast operation: (ec), (ec, bytes) or (ec, endpoint/results).
struct Done {
  StepPtr step;
  void operator()(boost::system::error_code ec) const { finish(ec, 0); }
  void operator()(boost::system::error_code ec, std::size_t n) const { finish(ec, n); }
  template <class Other>
  void operator()(boost::system::error_code ec, const Other&) const { finish(ec, 0); }
  void finish(boost::system::error_code ec, std::size_t n) const {
    step->ec = ec;
    step->bytes = n;
    step->done = true;
  }
};

// Runs `ioc` until the step is done. If `deadline` passes or `*stop` becomes true first (checked
// at least every 100 ms), calls `cancel` (which must make the operation complete, e.g. by
// closing the socket) and waits up to 2 s more for the completion. Returns the step's error,
// asio::error::timed_out on a deadline, or asio::error::operation_aborted on a stop.
boost::system::error_code run_step(boost::asio::io_context& ioc, const StepPtr& step,
                                   Deadline deadline, const std::atomic<bool>* stop,
                                   const std::function<void()>& cancel);

}  // namespace keel::exchange::binance::io
