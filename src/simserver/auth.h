// auth.h (private): the timing check of signed requests, REST and WebSocket API alike
// (binance-spot.md §1 "Timing security").
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "keel/simserver/params.h"

namespace keel::simserver {

// timestamp (ms, or µs when it has 16+ digits) must satisfy
//   timestamp < server + 1000 ms  and  server - timestamp <= recvWindow
// recvWindow: default 5000 ms, > 0, at most 60000, up to 3 decimals.
// Errors: -1102 timestamp missing/malformed; -1130 recvWindow invalid; -1021 (both messages).
// `timestamp` / `recv_window` are nullptr when not sent.
std::optional<ApiError> check_timing(const std::string* timestamp, const std::string* recv_window,
                                     int64_t server_us);

// The last server instant (µs) at which a request with this timestamp / recvWindow may still
// execute: timestamp + recvWindow (default 5000 ms), read as check_timing reads them. nullopt
// when either is malformed (such a request never passed check_timing).
std::optional<int64_t> request_deadline_us(const std::string* timestamp,
                                           const std::string* recv_window);

}  // namespace keel::simserver
