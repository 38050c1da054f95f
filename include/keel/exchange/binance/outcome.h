// keel/exchange/binance/outcome.h: what a state-changing request's reply proves (DESIGN.md R1).
//
// Rules (reference/binance-spot.md §0 "HTTP status semantics", §2, §8):
//  - Not sent (connect/TLS failure, a request refused locally by the rate-limit gate, a write
//    that transferred nothing): kRejected. The venue never saw the request.
//  - Sent but no reply (timeout, connection lost after sending, a partial write): kUnknown.
//  - A reply with code -1006 (UNEXPECTED_RESP) or -1007 (TIMEOUT), whatever its HTTP status:
//    kUnknown ("execution status unknown").
//  - HTTP 5xx (including -1008 SERVER_BUSY): kUnknown ("It is important to NOT treat this as a
//    failure operation").
//  - HTTP 2xx: kAccepted (the caller downgrades to kUnknown if it cannot read the body).
//  - HTTP 429 (-1003 weight, -1015 order count) and 418 (IP ban): kRejected. The rate limiter
//    refuses before the matching engine; keel never sends with orderRateLimitExceededMode=
//    CANCEL_ONLY, so a 429 on cancelReplace changed nothing either.
//  - HTTP 409 (cancelReplace partially succeeded): kUnknown here, because one half did happen;
//    cancel_replace decodes `data` to split it. Any other 4xx: kRejected (sender's fault, e.g.
//    400 -2010 post-only cross, -2011 unknown order, -1013 filter failure).
//  - Anything else (1xx, 3xx): kUnknown.
#pragma once

#include "keel/exchange/exchange.h"

namespace keel::exchange::binance {

enum class Delivery : unsigned char {
  kNotSent,      // provably never reached the venue
  kSentNoReply,  // (maybe) sent, no complete reply
  kReplied,      // a complete HTTP response arrived
};

// `code` is the body's Binance error code (0 when the body has none).
Outcome classify_outcome(Delivery delivery, int http_status, int code);

// Codes whose execution status is unknown by definition (-1006, -1007).
bool is_unknown_code(int code);

}  // namespace keel::exchange::binance
