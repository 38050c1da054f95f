// keel/simserver/params.h: a REST request's parameters and its signature payload.
//
// Source: reference/binance-spot.md §0 (parameters) and §1 (HMAC payload).
//  - GET: query string only; POST/PUT/DELETE: query string and/or an
//    application/x-www-form-urlencoded body. A name in both: the query's value wins.
//  - Values are percent-decoded ('+' is a space, as in any form encoding).
//  - The signed payload is the raw query minus its signature=... pair(s), concatenated without a
//    separator to the raw body minus its signature=... pair(s), byte for byte as received.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "keel/exchange/exchange.h"

namespace keel::simserver {

// A Binance error answer: HTTP status, code, msg (exchange.h's VenueError).
using ApiError = exchange::VenueError;

class Params {
 public:
  // Errors: 400 -1101 "Duplicate values for a parameter detected." (a name twice in the query
  // or twice in the body); 400 -1100 "Illegal characters found in a parameter." (a bad %-escape
  // or an empty name).
  static std::optional<ApiError> parse(std::string_view raw_query, std::string_view raw_body,
                                       Params& out);

  // The decoded value, or nullptr when the parameter was not sent (an empty value is returned
  // as an empty string: callers treat it as "empty/null").
  const std::string* find(std::string_view name) const;
  bool has(std::string_view name) const { return find(name) != nullptr; }
  size_t size() const { return values_.size(); }
  const std::string& signature_payload() const { return payload_; }

 private:
  std::map<std::string, std::string, std::less<>> values_;
  std::string payload_;
};

// Percent-decodes a form component ('+' -> ' '). nullopt on a malformed escape.
std::optional<std::string> form_decode(std::string_view in);

}  // namespace keel::simserver
