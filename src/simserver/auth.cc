// Timing security of signed requests (auth.h).
#include "auth.h"

#include <charconv>

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

}  // namespace

std::optional<ApiError> check_timing(const std::string* timestamp, const std::string* recv_window,
                                     int64_t server_us) {
  if (timestamp == nullptr || timestamp->empty()) return err::mandatory("timestamp");
  auto ts_us = timestamp_us(*timestamp);
  if (!ts_us) return err::mandatory("timestamp");
  int64_t window_us = 5'000'000;
  if (recv_window != nullptr && !recv_window->empty()) {
    auto v = parse_fixed(*recv_window, 3);
    if (!v.ok() || *v <= 0 || *v > 60'000'000) return err::invalid_param("recvWindow");
    window_us = *v;
  }
  if (*ts_us >= server_us + 1'000'000) return err::ahead();
  if (server_us - *ts_us > window_us) return err::outside_window();
  return std::nullopt;
}

}  // namespace keel::simserver
