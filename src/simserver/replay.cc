// The paced market replay (replay.h).
#include "replay.h"

#include <chrono>

namespace keel::simserver {

Replayer::Replayer(Venue& venue, std::vector<std::string> files, double speed, Log log)
    : venue_(venue), files_(std::move(files)), speed_(speed), log_(std::move(log)) {
  KEEL_ASSERT(speed_ > 0);
}

Replayer::~Replayer() { stop(); }

Status Replayer::catch_up() {
  auto reader = market::CaptureReader::open(files_);
  if (!reader.ok()) return reader.status();
  reader_ = std::move(*reader);
  const uint64_t target = venue_.resume_position();
  market::MarketEvent ev;
  for (uint64_t i = 0; i < target; ++i) {
    Status s = reader_->next(ev);
    if (s.code() == Code::kEndOfData) {
      return Status::InvalidArgument("the state is at event " + std::to_string(target) +
                                     " but the recording has only " + std::to_string(i) +
                                     " events: another recording?");
    }
    if (!s.ok()) return s;
    KEEL_RETURN_IF_ERROR(venue_.catch_up(ev, i));
  }
  position_ = target;
  if (target > 0) log_("market: resumed at event " + std::to_string(target));
  return Status::Ok();
}

void Replayer::start() {
  KEEL_ASSERT(reader_ != nullptr && !thread_.joinable());
  thread_ = std::thread([this] { run(); });
}

void Replayer::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool Replayer::wait_until(std::chrono::steady_clock::time_point due) {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    if (stopping_) return false;
    if (paused_) {
      cv_.wait(lock);
      continue;
    }
    const auto shifted = due + paused_total_;
    if (std::chrono::steady_clock::now() >= shifted) return true;
    cv_.wait_until(lock, shifted);  // woken early by pause/stop: re-evaluate
  }
}

void Replayer::set_paused(bool paused) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (paused == paused_) return;
    paused_ = paused;
    const auto now = std::chrono::steady_clock::now();
    if (paused) paused_at_ = now;
    else paused_total_ += now - paused_at_;
  }
  cv_.notify_all();
  if (paused) std::lock_guard<std::mutex> drained(apply_mu_);  // no event applies after this
  log_(paused ? "market: paused at event " + std::to_string(position_.load())
              : "market: resumed at event " + std::to_string(position_.load()));
}

bool Replayer::paused() const {
  std::lock_guard<std::mutex> lock(mu_);
  return paused_;
}

void Replayer::finish() {
  Status s = venue_.end_recording();
  ended_ = true;
  if (!s.ok()) {
    log_("market: could not persist the end of the recording: " + s.ToString());
    return;
  }
  log_("market: end of the recording after " + std::to_string(position_.load()) +
       " events; the market stops, the server keeps serving");
}

void Replayer::run() {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point t0 = Clock::now();
  int64_t first_recv_ns = -1;
  market::MarketEvent ev;
  for (;;) {
    Status s = reader_->next(ev);
    if (s.code() == Code::kEndOfData) return finish();
    if (!s.ok()) {
      log_("market: stopped: " + s.ToString());
      return;
    }
    if (first_recv_ns < 0) first_recv_ns = ev.ts_recv_ns;
    const auto offset_ns = static_cast<int64_t>(
        static_cast<double>(ev.ts_recv_ns - first_recv_ns) / speed_);
    for (;;) {  // until the event is applied while not paused
      if (!wait_until(t0 + std::chrono::nanoseconds(offset_ns))) return;
      std::lock_guard<std::mutex> applying(apply_mu_);
      if (paused()) continue;  // paused between the wait and here
      if (Status m = venue_.on_live(ev); !m.ok()) {
        log_("market: stopped: the simulated exchange failed: " + m.ToString());
        return;
      }
      ++position_;
      break;
    }
  }
}

}  // namespace keel::simserver
