// Rate-limit headers and the Retry-After gate (rate_limit.h; reference/binance-spot.md §2).
#include "keel/exchange/binance/rate_limit.h"

#include <algorithm>
#include <cctype>

namespace keel::exchange::binance {
namespace {

constexpr int64_t kBanDefaultS = 120;        // 418 without Retry-After: bans start at 2 min
constexpr int64_t kWeightDefaultS = 60;      // 429 -1003: the weight window is one minute
constexpr int64_t kOrderCountDefaultS = 10;  // 429 -1015: the ORDERS window is 10 s

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// Up to 18 decimal digits, nothing else.
std::optional<int64_t> parse_count(std::string_view v, size_t max_digits) {
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
  if (v.empty() || v.size() > max_digits) return std::nullopt;
  int64_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return n;
}

}  // namespace

bool apply_rate_limit_header(std::string_view name, std::string_view value,
                             RateLimitUsage& usage) {
  int64_t* slot = nullptr;
  if (iequals(name, "X-MBX-USED-WEIGHT-1M")) slot = &usage.used_weight_1m;
  else if (iequals(name, "X-MBX-ORDER-COUNT-10S")) slot = &usage.order_count_10s;
  else if (iequals(name, "X-MBX-ORDER-COUNT-1D")) slot = &usage.order_count_1d;
  if (slot == nullptr) return false;
  auto n = parse_count(value, 18);
  if (!n) return false;
  *slot = *n;
  return true;
}

std::optional<int64_t> parse_retry_after_s(std::string_view value) {
  return parse_count(value, 10);
}

void RateGate::on_reply(int http_status, int code, std::string_view msg,
                        std::optional<int64_t> retry_after_s, int64_t now_ms) {
  if (http_status != 429 && http_status != 418) return;
  const bool orders_only = http_status == 429 && code == -1015;
  const int64_t fallback_s =
      http_status == 418 ? kBanDefaultS : (orders_only ? kOrderCountDefaultS : kWeightDefaultS);
  const int64_t until = now_ms + retry_after_s.value_or(fallback_s) * 1000;
  std::lock_guard lock(mu_);
  Refusal& r = orders_only ? orders_ : all_;
  if (until <= r.until_ms) return;
  r.http_status = http_status;
  r.code = code;
  r.until_ms = until;
  r.msg = "not sent: rate limited by the venue until " + std::to_string(until) +
          " ms (HTTP " + std::to_string(http_status) + " " + std::to_string(code) + ": " +
          std::string(msg) + ")";
}

void RateGate::on_usage(const RateLimitUsage& u) {
  std::lock_guard lock(mu_);
  if (u.used_weight_1m >= 0) usage_.used_weight_1m = u.used_weight_1m;
  if (u.order_count_10s >= 0) usage_.order_count_10s = u.order_count_10s;
  if (u.order_count_1d >= 0) usage_.order_count_1d = u.order_count_1d;
}

std::optional<RateGate::Refusal> RateGate::refusal(RequestClass cls, int64_t now_ms) const {
  std::lock_guard lock(mu_);
  if (now_ms < all_.until_ms) return all_;
  if (cls == RequestClass::kNewOrder && now_ms < orders_.until_ms) return orders_;
  return std::nullopt;
}

RateLimitUsage RateGate::usage() const {
  std::lock_guard lock(mu_);
  return usage_;
}

}  // namespace keel::exchange::binance
