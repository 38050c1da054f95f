#include "session.h"

#include <chrono>

#include "keel/core/failpoint.h"

namespace keel::engine {

VenueAnswer send_request(exchange::Exchange& venue, const std::string& symbol,
                         const journal::Record& rec) {
  failpoint("engine.request.before_send");
  VenueAnswer answer;
  if (const auto* p = std::get_if<journal::PlaceIntent>(&rec.body)) {
    answer = venue.place({symbol, p->side, p->price_ticks, p->qty_lots, p->client_order_id,
                          {p->timing.timestamp_ms, p->timing.recv_window_ms}});
  } else if (const auto* c = std::get_if<journal::CancelIntent>(&rec.body)) {
    answer = venue.cancel(symbol, c->client_order_id,
                          {c->timing.timestamp_ms, c->timing.recv_window_ms});
  } else if (const auto* a = std::get_if<journal::AmendIntent>(&rec.body); a && a->keep_priority) {
    answer = venue.amend_keep_priority(symbol, a->client_order_id, a->qty_lots,
                                       {a->timing.timestamp_ms, a->timing.recv_window_ms});
  } else if (a != nullptr) {  // cancelReplace, STOP_ON_FAILURE
    answer = venue.cancel_replace(a->orig_client_order_id,
                                  {symbol, a->side, a->price_ticks, a->qty_lots,
                                   a->client_order_id,
                                   {a->timing.timestamp_ms, a->timing.recv_window_ms}});
  }
  failpoint("engine.request.after_response");
  return answer;
}

Session::Session(exchange::Exchange& venue) : venue_(venue), worker_([this] { run(); }) {}

Session::~Session() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  work_cv_.notify_all();
  worker_.join();
}

void Session::submit(const std::string& symbol, const journal::Record& intent) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.emplace_back(symbol, intent);
  }
  work_cv_.notify_one();
}

void Session::poll(std::vector<Answer>& out) {
  std::lock_guard<std::mutex> lock(mu_);
  for (Answer& a : done_) out.push_back(std::move(a));
  done_.clear();
}

bool Session::wait_idle(int64_t timeout_ms) {
  std::unique_lock<std::mutex> lock(mu_);
  return idle_cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                           [this] { return queue_.empty() && sending_ == 0; });
}

void Session::abandon() {
  std::lock_guard<std::mutex> lock(mu_);
  queue_.clear();
  if (sending_ == 0) idle_cv_.notify_all();
}

size_t Session::outstanding() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.size() + sending_ + done_.size();
}

void Session::run() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    work_cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and everything submitted was sent
    auto [symbol, intent] = std::move(queue_.front());
    queue_.pop_front();
    ++sending_;
    lock.unlock();
    VenueAnswer result = send_request(venue_, symbol, intent);
    lock.lock();
    --sending_;
    done_.push_back({std::move(intent), std::move(result)});
    if (queue_.empty() && sending_ == 0) idle_cv_.notify_all();
  }
}

}  // namespace keel::engine
