// Timing security of signed requests (auth.h).
#include "auth.h"

#include <charconv>
#include <climits>

#include "errors.h"
#include "keel/core/fixed.h"

namespace keel::simserver {
namespace {

// ms (13 digits) or µs (16 digits) -> µs. nullopt: not a positive whole number.
std::optional<int64_t> timestamp_us(const std::string& text) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || v <= 0) return std::nullopt;
  if (v >= 100'000'000'000'000LL) return v;
  if (v > INT64_MAX / 1000) return std::nullopt;
  return v * 1000;
}

// recvWindow in µs: default 5000 ms; nullopt when invalid (not > 0 and <= 60000 ms, 3 decimals).
std::optional<int64_t> window_us(const std::string* recv_window) {
  if (recv_window == nullptr || recv_window->empty()) return 5'000'000;
  auto v = parse_fixed(*recv_window, 3);
  if (!v.ok() || *v <= 0 || *v > 60'000'000) return std::nullopt;
  return *v;
}

}  // namespace

std::optional<int64_t> request_deadline_us(const std::string* timestamp,
                                           const std::string* recv_window) {
  if (timestamp == nullptr) return std::nullopt;
  auto ts_us = timestamp_us(*timestamp);
  auto window = window_us(recv_window);
  if (!ts_us || !window || *ts_us > INT64_MAX - *window) return std::nullopt;
  return *ts_us + *window;
}

std::optional<ApiError> check_timing(const std::string* timestamp, const std::string* recv_window,
                                     int64_t server_us) {
  if (timestamp == nullptr || timestamp->empty()) return err::mandatory("timestamp");
  auto ts_us = timestamp_us(*timestamp);
  if (!ts_us) return err::mandatory("timestamp");
  auto window = window_us(recv_window);
  if (!window) return err::invalid_param("recvWindow");
  const int64_t window_us = *window;
  if (*ts_us >= server_us + 1'000'000) return err::ahead();
  if (server_us - *ts_us > window_us) return err::outside_window();
  return std::nullopt;
}

}  // namespace keel::simserver
