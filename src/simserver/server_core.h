// server_core.h (private): what every connection of `keel sim` shares.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "hub.h"
#include "keel/core/clock.h"
#include "keel/simserver/server.h"
#include "listen_keys.h"
#include "rest.h"
#include "venue.h"

namespace keel::simserver {

inline constexpr int kMaxConnections = 512;
inline constexpr size_t kMaxBodyBytes = 1 << 20;
inline constexpr unsigned kMaxHeaderBytes = 8 << 10;
inline constexpr int kHttpReadTimeoutSec = 30;
inline constexpr size_t kMaxWsMessageBytes = 64 << 10;
inline constexpr size_t kMaxWsQueue = 10'000;
inline constexpr int kWsIdleTimeoutSec = 60;
inline constexpr int kWsHandshakeTimeoutSec = 30;

struct ServerCore {
  ServerOptions opts;
  std::unique_ptr<Venue> venue;
  ListenKeys listen_keys;
  WeightMeter weight;
  std::shared_ptr<Hub> hub = std::make_shared<Hub>();
  std::atomic<int> connections{0};
  const Clock& clock = SystemClock::instance();

  MarketControl* market = nullptr;  // the replay, once started
  LateQueue late;                   // late=P:MS executions; stopped before the venue goes

  RestContext rest() { return RestContext{*venue, listen_keys, weight, clock, market, &late}; }
  int64_t wall_ms() const { return clock.realtime_ns() / 1'000'000; }
  int64_t rest_latency_ms() const { return opts.latency_ms + opts.faults.latency_ms; }
  void log(const std::string& line) const { opts.log(line); }
};

// Counts a connection for its lifetime (kMaxConnections).
class ConnectionSlot {
 public:
  explicit ConnectionSlot(ServerCore& core) : core_(core) { ++core_.connections; }
  ~ConnectionSlot() { --core_.connections; }
  ConnectionSlot(const ConnectionSlot&) = delete;
  ConnectionSlot& operator=(const ConnectionSlot&) = delete;

 private:
  ServerCore& core_;
};

}  // namespace keel::simserver
