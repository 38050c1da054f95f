// keel/exchange/binance/request.h: building Binance requests (no I/O).
//
//  - URLs of the config: http:// and ws:// (loopback tests, `keel sim`), https:// and wss://
//    (TLS with SNI, peer verification against the system CA store, host name verification).
//  - REST parameters go in the query string for every method (the official docs' curl examples;
//    reference/binance-spot.md §1): nothing in the body, so the signed payload is the query.
//  - Signing (rest-api.md:L219, L254): recvWindow and timestamp are appended, then
//    signature = hex(HMAC-SHA256(secret, query)) is appended as the last parameter.
//  - WebSocket API (web-socket-api.md:L700): userDataStream.subscribe.signature with params
//    apiKey, recvWindow, timestamp, signature = HMAC over ws_api_payload(sorted params).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "keel/core/status.h"

namespace keel::exchange::binance {

struct Url {
  std::string scheme;  // "http", "https", "ws", "wss"
  bool tls = false;    // https / wss
  std::string host;    // "api.binance.com", "127.0.0.1"
  std::string port;    // explicit, else 443 for TLS and 80 without
  std::string path;    // "" or "/ws-api/v3" (no trailing '/')
};
// Errors name the part at fault: "url 'x': scheme must be http, https, ws or wss".
Result<Url> parse_url(std::string_view text);

// RFC 3986 percent-encoding; unreserved characters (A-Z a-z 0-9 - _ . ~) stay as they are.
std::string percent_encode(std::string_view text);

// A query string built in call order: "symbol=BTCUSDT&side=BUY".
class Query {
 public:
  Query& add(std::string_view key, std::string_view value);  // value percent-encoded
  Query& add(std::string_view key, int64_t value);
  const std::string& str() const { return q_; }

 private:
  std::string q_;
};

// `query` + "&recvWindow=<ms>" (when recv_window_ms > 0) + "&timestamp=<ms>" +
// "&signature=<hex>", the HMAC taken over everything before "&signature".
std::string sign_query(std::string query, int64_t recv_window_ms, int64_t timestamp_ms,
                       std::string_view secret);

// The JSON text of a userDataStream.subscribe.signature request (§6).
std::string user_stream_subscribe_request(std::string_view id, std::string_view api_key,
                                          std::string_view secret, int64_t timestamp_ms,
                                          int64_t recv_window_ms);

// Binance's newClientOrderId rule [A-Za-z0-9_-]{1,36} (§4; DESIGN.md W5).
bool valid_client_order_id(std::string_view id);

// "BTCUSDT" -> "btcusdt" (stream names are lower case, §7).
std::string lower_case(std::string_view text);

}  // namespace keel::exchange::binance
