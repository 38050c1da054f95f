// hub.h (private): fan-out of market stream messages and user-data events to WebSocket
// sessions. Sessions register a weak reference; the hub forgets the ones that are gone.
// Lock order: venue -> hub -> session (a session never calls the hub or the venue while
// holding its own lock).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "venue.h"

namespace keel::simserver {

class StreamSink {
 public:
  virtual ~StreamSink() = default;
  // `stream`: canonical name ("btcusdt@bookTicker"); `stream_lc`: the same in lower case.
  virtual void on_market(const std::string& stream, const std::string& stream_lc,
                         const std::shared_ptr<const std::string>& payload) = 0;
  virtual void on_user(size_t account, const std::shared_ptr<const std::string>& event) = 0;
};

class Hub final : public Publisher {
 public:
  void add(std::weak_ptr<StreamSink> sink);
  void publish_market(const std::string& stream,
                      const std::shared_ptr<const std::string>& payload) override;
  void publish_user(size_t account, const std::shared_ptr<const std::string>& event) override;

 private:
  std::vector<std::shared_ptr<StreamSink>> live();  // REQUIRES mu_; drops the dead
  std::mutex mu_;
  std::vector<std::weak_ptr<StreamSink>> sinks_;
};

std::string lower_ascii(std::string s);

}  // namespace keel::simserver
