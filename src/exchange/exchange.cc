// Names and predicates of the venue interface's enums (exchange.h).
#include "keel/exchange/exchange.h"

namespace keel::exchange {

const char* order_status_name(OrderStatus s) {
  switch (s) {
    case OrderStatus::kNew: return "NEW";
    case OrderStatus::kPartiallyFilled: return "PARTIALLY_FILLED";
    case OrderStatus::kFilled: return "FILLED";
    case OrderStatus::kCanceled: return "CANCELED";
    case OrderStatus::kRejected: return "REJECTED";
    case OrderStatus::kExpired: return "EXPIRED";
  }
  return "?";
}

bool is_open(OrderStatus s) {
  return s == OrderStatus::kNew || s == OrderStatus::kPartiallyFilled;
}

}  // namespace keel::exchange
