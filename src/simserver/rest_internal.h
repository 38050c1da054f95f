// rest_internal.h (private): what the REST endpoint files share (rest.cc routes to them).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "errors.h"
#include "json.h"
#include "render.h"
#include "rest.h"

namespace keel::simserver::rest {

// MAX_NUM_ORDERS (exchangeInfo; enforced on new orders).
inline constexpr int64_t kMaxNumOrders = 200;

// One request being answered.
struct Call {
  RestContext& ctx;
  const RestRequest& req;
  Params params;
  int64_t wall_ms = 0;
  size_t account = 0;  // valid after an API-key check
  int64_t weight = 1;  // REQUEST_WEIGHT charged (the endpoint may change it)
  RestReply reply;
  void (*handler)(Call&) = nullptr;  // the endpoint (a late request runs it again later)
  bool late = false;  // a late request executing now: its fault was drawn at receipt
  const Instrument* instrument = nullptr;  // the request's symbol's, once check_symbol passed
  Venue& venue() { return ctx.venue; }
  // REQUIRES check_symbol passed.
  const Instrument& ins() const {
    KEEL_ASSERT(instrument != nullptr);
    return *instrument;
  }
  const std::string* param(std::string_view name) const { return params.find(name); }
  // A parameter that was sent non-empty.
  const std::string* given(std::string_view name) const {
    const std::string* v = params.find(name);
    return v != nullptr && !v->empty() ? v : nullptr;
  }
};

void reply_json(Call& c, std::string body, int status = 200);
void reply_error(Call& c, const ApiError& e);

// symbol: mandatory (-1102) and a served instrument's (-1121); sets c.instrument.
std::optional<ApiError> check_symbol(Call& c);
// An optional integer parameter >= 0: nullopt when absent; -1100 when not a whole number.
std::optional<ApiError> int_param(const Call& c, std::string_view name, std::optional<int64_t>& out);
// The fault of a state-changing request (faults.h); answers and returns true when the request
// must not be executed now (reject, unknown outcome not executed, late: answered 503/-1007
// and scheduled on ctx.late to run c.handler again after late_ms). A late request executing
// (c.late) draws nothing and returns false with kNone. `can_delay` false: never late.
bool fault_stops(Call& c, bool can_reject, OrderFault& fault, bool& as_timeout,
                 bool can_delay = true);
// The 5xx answer of an unknown outcome (faults.h).
void reply_unknown(Call& c, bool as_timeout);
// X-MBX-ORDER-COUNT-10S/-1D for a successful new order. REQUIRES the venue lock.
void count_new_order(Call& c);
// Counts a cancel request (DELETE /api/v3/order: origClientOrderId / orderId; cancelReplace:
// cancelOrigClientOrderId / cancelOrderId) in its account's cancel_requests (venue.h), before
// anything can refuse it (429, signature, timing, faults): keyed by the client order id sent,
// else by the client id of the order the order id names, else "orderId:<N>". Requests whose
// API key is unknown, or that name no order, are not counted. Takes the venue lock.
void count_cancel_request(Call& c, bool replace);

// Endpoints. rest_market.cc
void ping(Call& c);
void server_time(Call& c);
void exchange_info(Call& c);
void depth(Call& c);
void book_ticker(Call& c);
// rest_orders.cc
void new_order(Call& c);
void cancel_order(Call& c);
void query_order(Call& c);
void cancel_replace(Call& c);
void amend_keep_priority(Call& c);
void cancel_open_orders(Call& c);
// rest_account.cc
void account(Call& c);
void open_orders(Call& c);
void my_trades(Call& c);
void all_orders(Call& c);
void user_stream_create(Call& c);
void user_stream_keepalive(Call& c);
void user_stream_close(Call& c);
void truth(Call& c);
void market_pause(Call& c);
void market_resume(Call& c);
void deposit(Call& c);

}  // namespace keel::simserver::rest
