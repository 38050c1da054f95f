// keel/exchange/binance/signing.h: Binance request signing (reference/binance-spot.md §1).
//
// REST (rest-api.md:L254): the signed payload is the query string concatenated WITHOUT a
// separator to the request body, byte for byte as sent; signature = hex(HMAC-SHA256(secret,
// payload)), lower case (Binance compares it case-insensitively).
// WebSocket API (web-socket-api.md:L700): all params except `signature`, apiKey included, sorted
// by name, joined as k=v&... without percent-encoding, signed the same way.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace keel::exchange::binance {

// hex(HMAC-SHA256(secret, payload)), 64 lower-case hex digits. Thread-safe. Each thread keeps
// a keyed HMAC context for the last two secrets it signed with (so a request pays for its own
// bytes only, not for re-keying); the secrets stay in that thread's memory until it exits.
std::string hmac_sha256_hex(std::string_view secret, std::string_view payload);

// The REST payload: query + body, no separator (either may be empty).
std::string rest_payload(std::string_view query, std::string_view body);

// The WebSocket API payload of `params` (a std::map is already sorted by name); `signature`
// is skipped if present.
std::string ws_api_payload(const std::map<std::string, std::string>& params);

// Case-insensitive comparison of two hex signatures, in time independent of where they differ.
bool signature_equal(std::string_view a, std::string_view b);

}  // namespace keel::exchange::binance
