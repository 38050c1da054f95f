// errors.h (private): the Binance errors `keel sim` answers, verbatim (errors.md;
// reference/binance-spot.md §1, §2, §4, §5, §8). HTTP 400 unless stated.
#pragma once

#include <string>
#include <string_view>

#include "keel/simserver/params.h"

namespace keel::simserver::err {

inline ApiError mandatory(std::string_view name) {
  return {400, -1102,
          "Mandatory parameter '" + std::string(name) +
              "' was not sent, was empty/null, or malformed."};
}
inline ApiError either(std::string_view a, std::string_view b) {
  return {400, -1102,
          "Param '" + std::string(a) + "' or '" + std::string(b) +
              "' must be sent, but both were empty/null!"};
}
inline ApiError illegal(std::string_view name, std::string_view range) {
  return {400, -1100,
          "Illegal characters found in parameter '" + std::string(name) + "'; legal range is '" +
              std::string(range) + "'."};
}
inline ApiError precision(std::string_view name) {
  return {400, -1111, "Parameter '" + std::string(name) + "' has too much precision."};
}
inline ApiError not_required(std::string_view name) {
  return {400, -1106, "Parameter '" + std::string(name) + "' sent when not required."};
}
inline ApiError invalid_param(std::string_view name) {
  return {400, -1130, "Data sent for parameter '" + std::string(name) + "' is not valid."};
}
inline ApiError bad_symbol() { return {400, -1121, "Invalid symbol."}; }
inline ApiError bad_side() { return {400, -1117, "Invalid side."}; }
inline ApiError bad_type() { return {400, -1116, "Invalid orderType."}; }
inline ApiError bad_combination() { return {400, -1014, "Unsupported order combination."}; }
inline ApiError bad_signature() { return {400, -1022, "Signature for this request is not valid."}; }
// API-key errors: 401 (what Binance's REST answers; binance-spot.md §8 "4xx").
inline ApiError key_format() { return {401, -2014, "API-key format invalid."}; }
inline ApiError key_rejected() {
  return {401, -2015, "Invalid API-key, IP, or permissions for action."};
}
inline ApiError outside_window() {
  return {400, -1021, "Timestamp for this request is outside of the recvWindow."};
}
inline ApiError ahead() {
  return {400, -1021, "Timestamp for this request was 1000ms ahead of the server's time."};
}
inline ApiError unknown_order() { return {400, -2011, "Unknown order sent."}; }
inline ApiError no_such_order() { return {400, -2013, "Order does not exist."}; }
inline ApiError client_id_mismatch() {
  return {400, -2039, "Client order ID is not correct for this order ID."};
}
inline ApiError market_closed() { return {400, -2010, "Market is closed."}; }
inline ApiError max_num_orders() { return {400, -1013, "Filter failure: MAX_NUM_ORDERS"}; }
inline ApiError amend_unsupported() {
  return {400, -2038, "Order amend is not supported for this symbol."};
}
inline ApiError bad_listen_key() { return {400, -1125, "This listenKey does not exist."}; }
inline ApiError bad_combo() { return {400, -1128, "Combination of optional parameters invalid."}; }
inline ApiError too_long_interval() {
  return {400, -1127, "More than 24 hours between startTime and endTime."};
}
inline ApiError unexpected() {
  return {500, -1006,
          "An unexpected response was received from the message bus. Execution status unknown."};
}
inline ApiError timeout() {
  return {503, -1007,
          "Timeout waiting for response from backend server. Send status unknown; execution "
          "status unknown."};
}
inline ApiError too_much_weight() {
  return {429, -1003,
          "Too much request weight used; current limit is 6000 request weight per 1 MINUTE. "
          "Please use WebSocket Streams for live updates to avoid polling the API."};
}
inline ApiError unsupported() { return {404, -1020, "This operation is not supported."}; }
inline ApiError internal(std::string msg) { return {500, -1000, std::move(msg)}; }

}  // namespace keel::simserver::err
