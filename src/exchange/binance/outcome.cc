// The unknown-outcome classification table (outcome.h has the rules and their sources).
#include "keel/exchange/binance/outcome.h"

namespace keel::exchange::binance {

bool is_unknown_code(int code) { return code == -1006 || code == -1007; }

Outcome classify_outcome(Delivery delivery, int http_status, int code) {
  switch (delivery) {
    case Delivery::kNotSent: return Outcome::kRejected;
    case Delivery::kSentNoReply: return Outcome::kUnknown;
    case Delivery::kReplied: break;
  }
  if (is_unknown_code(code)) return Outcome::kUnknown;
  if (http_status >= 500) return Outcome::kUnknown;
  if (http_status >= 200 && http_status < 300) return Outcome::kAccepted;
  if (http_status == 409) return Outcome::kUnknown;  // one half of a cancelReplace happened
  if (http_status >= 400) return Outcome::kRejected;  // incl. 418 and 429: refused before the ME
  return Outcome::kUnknown;
}

}  // namespace keel::exchange::binance
