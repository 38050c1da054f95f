// Private: one persistent HTTP/1.1 connection to the REST base (Beast, plain or TLS).
//
//  - Keep-alive: the connection is reused; it is reopened when the server said
//    "Connection: close", after a transport error, when idle longer than max_idle_ms, or when a
//    non-blocking peek shows the peer closed it (so a request is rarely written into a dead
//    connection, where its outcome would be unknown).
//  - Every request has one deadline (timeout_ms) covering connect, TLS, write and read.
//  - A GET that failed on a reused connection without a reply is retried once on a fresh one
//    (reads are idempotent); other methods never are (R1: the caller reports kUnknown).
//  - TLS: SNI, verify_peer against the system CA store, host name verification.
// Not thread-safe: one caller at a time (each thread of the connector has its own client).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "keel/exchange/binance/outcome.h"
#include "keel/exchange/binance/rate_limit.h"
#include "keel/exchange/binance/request.h"

namespace keel::exchange::binance {

enum class Method : unsigned char { kGet, kPost, kPut, kDelete };
const char* method_name(Method m);

struct HttpReply {
  Delivery delivery = Delivery::kNotSent;
  int status = 0;                        // when kReplied
  std::string body;                      // when kReplied
  std::optional<int64_t> retry_after_s;  // Retry-After, when present and well-formed
  RateLimitUsage usage;                  // X-MBX-* headers of this reply (-1 when absent)
  std::string error;                     // what failed, when not kReplied
  bool timed_out = false;                // the deadline passed (not kReplied)
};

class RestClient {
 public:
  struct Options {
    Url url;
    int64_t timeout_ms = 10'000;
    size_t body_limit_bytes = 32u << 20;  // myTrades x1000 and depth 5000 are well below
    int64_t max_idle_ms = 30'000;         // reopen a connection idle for longer
    std::string tls_ca_file;              // extra trust anchors (PEM), "" for none
  };
  // TLS set-up errors (CA store) are reported by the first request.
  explicit RestClient(Options options);
  ~RestClient();
  RestClient(const RestClient&) = delete;
  RestClient& operator=(const RestClient&) = delete;

  // `target` = path + "?" + query, as it goes on the request line. `api_key` non-empty adds
  // the X-MBX-APIKEY header.
  HttpReply request(Method method, const std::string& target, std::string_view api_key);

  uint64_t connections_opened() const;  // TCP connections made so far (keep-alive tests)

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace keel::exchange::binance
