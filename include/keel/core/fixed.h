// keel/core/fixed.h: exact decimal <-> integer fixed-point conversion. No double anywhere.
//
// A fixed-point number is an int64 mantissa m at a scale s: value = m / 10^s.
// Binance sends decimals as strings with up to 8 fraction digits ("61837.63000000"), so the
// universal wire scale is kScaleE8 (value = m / 10^8); names carry it as `_e8`.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "keel/core/status.h"

namespace keel {

inline constexpr int kScaleE8 = 8;
inline constexpr int64_t kOneE8 = 100'000'000;

// 10^n for 0 <= n <= 18. REQUIRES: n in range (asserts).
int64_t pow10_i64(int n);

// Parses a plain decimal string ("61837.63000000", "-0.5", "10", ".5" is invalid) into a mantissa
// at `scale` (0..18) exactly. Errors (kInvalidArgument, message quotes the text):
//  - empty, a non-digit, more than one '.', a leading '+', exponent notation;
//  - a nonzero digit beyond `scale` fraction digits (the value is not representable exactly);
//  - overflow of int64.
Result<int64_t> parse_fixed(std::string_view text, int scale);

// Formats mantissa m at `scale` with exactly `digits` fraction digits (digits >= scale pads
// with zeros; digits < scale REQUIRES the dropped digits be zero, asserts).
// format_fixed(6183763, 2, 8) == "61837.63000000"; format_fixed(-5, 1, 1) == "-0.5".
std::string format_fixed(int64_t mantissa, int scale, int digits);

// Shortest exact form: trailing fraction zeros removed ("61837.63", "0.001", "10").
std::string format_fixed_trim(int64_t mantissa, int scale);

// Rounding of an exact rational a/b (b > 0) to an integer, as stated at each call site.
int64_t div_floor(__int128 a, __int128 b);
int64_t div_ceil(__int128 a, __int128 b);
int64_t div_round_half_even(__int128 a, __int128 b);

}  // namespace keel
