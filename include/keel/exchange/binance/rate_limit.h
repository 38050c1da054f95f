// keel/exchange/binance/rate_limit.h: Binance rate-limit accounting (reference/binance-spot.md §2).
//
//  - Usage headers: X-MBX-USED-WEIGHT-1M (every response; per IP) and X-MBX-ORDER-COUNT-10S /
//    -1D (successful order responses; per account). Names are case-insensitive.
//  - 429 (-1003 request weight, -1015 unfilled order count) and 418 (IP ban) carry Retry-After in
//    seconds; the client must not send until then. The gate refuses locally instead:
//      418                  -> every request, Retry-After or 120 s (bans start at 2 minutes);
//      429 with code -1015  -> new orders only (place, cancelReplace), Retry-After or 10 s:
//                              the ORDERS limit is per account and cancels do not count;
//      429 otherwise        -> every request, Retry-After or 60 s (the weight window).
//    A refused request was never sent: for place/cancel that is kRejected (outcome.h).
// Thread-safe: the engine thread and the stream threads share one gate.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace keel::exchange::binance {

struct RateLimitUsage {
  int64_t used_weight_1m = -1;   // -1 until a response carried the header
  int64_t order_count_10s = -1;
  int64_t order_count_1d = -1;
};

// Applies one response header to `usage`. Returns false (and changes nothing) when the header is
// not one of the three above or its value is not a non-negative decimal integer.
bool apply_rate_limit_header(std::string_view name, std::string_view value, RateLimitUsage& usage);

// Retry-After in seconds ("12" -> 12); nullopt unless 1..10 digits.
std::optional<int64_t> parse_retry_after_s(std::string_view value);

enum class RequestClass : unsigned char {
  kNewOrder,  // creates an order: POST order, POST order/cancelReplace (ORDERS limit)
  kOther,     // cancels, queries, market data
};

class RateGate {
 public:
  struct Refusal {
    int http_status = 0;  // 429 or 418, the reply that closed the gate
    int code = 0;         // its Binance code (-1003, -1015), 0 if the body had none
    std::string msg;      // "not sent: rate limited by the venue until <ms> (...)"
    int64_t until_ms = 0;
  };

  // Records a reply. Only 429 and 418 close the gate; `msg` is the venue's message.
  void on_reply(int http_status, int code, std::string_view msg,
                std::optional<int64_t> retry_after_s, int64_t now_ms);
  void on_usage(const RateLimitUsage& usage);  // fields >= 0 replace the stored ones
  // A refusal while the gate is closed for `cls` at `now_ms` (realtime ms), else nullopt.
  std::optional<Refusal> refusal(RequestClass cls, int64_t now_ms) const;
  RateLimitUsage usage() const;

 private:
  mutable std::mutex mu_;
  RateLimitUsage usage_;
  Refusal all_;     // closes every request while now < all_.until_ms
  Refusal orders_;  // closes kNewOrder while now < orders_.until_ms
};

}  // namespace keel::exchange::binance
