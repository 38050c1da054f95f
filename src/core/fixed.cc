#include "keel/core/fixed.h"

#include <limits>

namespace keel {

int64_t pow10_i64(int n) {
  KEEL_ASSERT(n >= 0 && n <= 18);
  int64_t v = 1;
  for (int i = 0; i < n; ++i) v *= 10;
  return v;
}

Result<int64_t> parse_fixed(std::string_view text, int scale) {
  KEEL_ASSERT(scale >= 0 && scale <= 18);
  auto bad = [&](const char* why) {
    return Status::InvalidArgument("'" + std::string(text) + "' is not a decimal: " + why);
  };
  if (text.empty()) return bad("empty");
  size_t i = 0;
  bool negative = false;
  if (text[0] == '-') {
    negative = true;
    i = 1;
  }
  if (i >= text.size() || text[i] == '.') return bad("no integer digits");
  __int128 mantissa = 0;
  const __int128 limit = std::numeric_limits<int64_t>::max();
  int frac_digits = -1;  // -1: before the point
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '.') {
      if (frac_digits >= 0) return bad("two decimal points");
      frac_digits = 0;
      continue;
    }
    if (c < '0' || c > '9') return bad("unexpected character");
    if (frac_digits >= 0) {
      ++frac_digits;
      if (frac_digits > scale) {
        if (c != '0') return bad("more fraction digits than the scale allows");
        continue;
      }
    }
    mantissa = mantissa * 10 + (c - '0');
    if (mantissa > limit) return bad("out of range");
  }
  if (frac_digits == 0) return bad("no digits after the decimal point");
  const int have = frac_digits < 0 ? 0 : (frac_digits > scale ? scale : frac_digits);
  for (int k = have; k < scale; ++k) {
    mantissa *= 10;
    if (mantissa > limit) return bad("out of range");
  }
  return static_cast<int64_t>(negative ? -mantissa : mantissa);
}

std::string format_fixed(int64_t mantissa, int scale, int digits) {
  KEEL_ASSERT(scale >= 0 && scale <= 18);
  KEEL_ASSERT(digits >= 0 && digits <= 18);
  __int128 m = mantissa;
  const bool negative = m < 0;
  if (negative) m = -m;
  if (digits < scale) {
    const int64_t drop = pow10_i64(scale - digits);
    KEEL_ASSERT_MSG(m % drop == 0, "format_fixed would drop nonzero digits");
    m /= drop;
    scale = digits;
  }
  for (int k = scale; k < digits; ++k) m *= 10;
  std::string s;
  while (m > 0) {
    s.insert(s.begin(), static_cast<char>('0' + static_cast<int>(m % 10)));
    m /= 10;
  }
  while (static_cast<int>(s.size()) < digits + 1) s.insert(s.begin(), '0');
  if (digits > 0) s.insert(s.end() - digits, '.');
  if (negative) s.insert(s.begin(), '-');
  return s;
}

std::string format_fixed_trim(int64_t mantissa, int scale) {
  std::string s = format_fixed(mantissa, scale, scale);
  if (s.find('.') == std::string::npos) return s;
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  if (s == "-0") s = "0";
  return s;
}

int64_t div_floor(__int128 a, __int128 b) {
  KEEL_ASSERT(b > 0);
  __int128 q = a / b;
  if ((a % b) != 0 && a < 0) --q;
  return static_cast<int64_t>(q);
}

int64_t div_ceil(__int128 a, __int128 b) {
  KEEL_ASSERT(b > 0);
  __int128 q = a / b;
  if ((a % b) != 0 && a > 0) ++q;
  return static_cast<int64_t>(q);
}

int64_t div_round_half_even(__int128 a, __int128 b) {
  KEEL_ASSERT(b > 0);
  __int128 q = div_floor(a, b);
  const __int128 r = a - q * b;  // 0 <= r < b
  if (2 * r > b || (2 * r == b && (q % 2) != 0)) ++q;
  return static_cast<int64_t>(q);
}

}  // namespace keel
