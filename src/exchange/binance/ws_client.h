// Private: one WebSocket connection (Beast, plain or TLS), blocking calls with deadlines.
//
//  - Pings: Beast answers the server's pings (Binance pings every 20 s, wants a pong within a
//    minute) and, with keep_alive_pings, sends its own ping after idle_timeout/2 without a frame;
//    no frame at all for idle_timeout closes the connection (a dead peer).
//  - read() with a deadline is the stale-data check: nothing by the deadline closes the connection.
//  - Messages are bounded (max_message_bytes). After any error the client is dead: make a new one.
// Not thread-safe: owned by one stream thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "io_step.h"
#include "keel/core/status.h"
#include "keel/exchange/binance/request.h"

namespace keel::exchange::binance {

class WsClient {
 public:
  struct Options {
    Url url;
    std::string target;  // path and query: "/stream?streams=btcusdt@trade", "/ws-api/v3"
    int64_t handshake_timeout_ms = 10'000;
    int64_t idle_timeout_ms = 30'000;
    size_t max_message_bytes = 16u << 20;
    std::atomic<uint64_t>* pings_received = nullptr;  // counts the peer's pings (answered)
    std::string tls_ca_file;                            // extra trust anchors (PEM), "" for none
  };

  virtual ~WsClient() = default;
  static std::unique_ptr<WsClient> make(const Options& options);

  // Resolve, connect, TLS, WebSocket handshake. kIOError naming the failed step.
  virtual Status open(const std::atomic<bool>* stop) = 0;
  virtual Status write(std::string_view text, io::Deadline deadline,
                       const std::atomic<bool>* stop) = 0;
  // One text message into `out`. kEndOfData when the deadline passed without a message (the
  // connection is then closed), kIOError on a transport error or a close by the peer.
  virtual Status read(std::string& out, io::Deadline deadline, const std::atomic<bool>* stop) = 0;
  virtual void close() = 0;
};

}  // namespace keel::exchange::binance
