// WebSocket fan-out (hub.h).
#include "hub.h"

#include <algorithm>

namespace keel::simserver {

std::string lower_ascii(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

void Hub::add(std::weak_ptr<StreamSink> sink) {
  std::lock_guard<std::mutex> lock(mu_);
  sinks_.push_back(std::move(sink));
}

std::vector<std::shared_ptr<StreamSink>> Hub::live() {
  std::vector<std::shared_ptr<StreamSink>> out;
  out.reserve(sinks_.size());
  sinks_.erase(std::remove_if(sinks_.begin(), sinks_.end(),
                              [&](const std::weak_ptr<StreamSink>& w) {
                                auto s = w.lock();
                                if (!s) return true;
                                out.push_back(std::move(s));
                                return false;
                              }),
               sinks_.end());
  return out;
}

void Hub::publish_market(const std::string& stream,
                         const std::shared_ptr<const std::string>& payload) {
  const std::string stream_lc = lower_ascii(stream);
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& s : live()) s->on_market(stream, stream_lc, payload);
}

void Hub::publish_user(size_t account, const std::shared_ptr<const std::string>& event) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& s : live()) s->on_user(account, event);
}

}  // namespace keel::simserver
