// Trading endpoints: new order, cancel, query, cancelReplace, amend, cancel all
// (binance-spot.md §4, §5). Every order is a LIMIT_MAKER on a served instrument (the request's
// symbol).
#include <algorithm>
#include <utility>

#include "keel/core/fixed.h"
#include "rest_internal.h"

namespace keel::simserver::rest {
namespace {

using exchange::Outcome;

struct NewOrderArgs {
  exchange::OrderRequest req;
  RespType resp = RespType::kAck;  // LIMIT_MAKER's default (§4)
};

// ^([0-9]{1,20})(\.[0-9]{1,20})?$ (Binance's DECIMAL).
bool plain_decimal(std::string_view v) {
  const size_t dot = v.find('.');
  const std::string_view whole = v.substr(0, dot);
  const std::string_view frac = dot == std::string_view::npos ? std::string_view() : v.substr(dot + 1);
  auto digits = [](std::string_view d) {
    return !d.empty() && d.size() <= 20 &&
           std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  return digits(whole) && (dot == std::string_view::npos || digits(frac));
}

// A decimal of at most 8 fraction digits at 10^-8: -1102 missing, -1100 not a plain decimal,
// -1111 a nonzero digit beyond the 8th.
std::optional<ApiError> decimal_param(const Call& c, std::string_view name, int64_t& out_e8) {
  const std::string* v = c.given(name);
  if (v == nullptr) return err::mandatory(name);
  auto e8 = parse_fixed(*v, kScaleE8);
  if (e8.ok() && *e8 >= 0) {
    out_e8 = *e8;
    return std::nullopt;
  }
  if (plain_decimal(*v)) return err::precision(name);  // valid, but digits beyond 10^-8
  return err::illegal(name, "^([0-9]{1,20})(\\.[0-9]{1,20})?$");
}

std::optional<ApiError> check_type(const Call& c) {
  const std::string* t = c.given("type");
  if (t == nullptr) return err::mandatory("type");
  if (*t == "LIMIT_MAKER") {
    // ccxt/node-binance-api PR #358: Binance answers -1106 to a timeInForce on LIMIT_MAKER.
    if (c.param("timeInForce") != nullptr) return err::not_required("timeInForce");
    return std::nullopt;
  }
  static const std::pair<const char*, const char*> kNotOffered[] = {
      {"MARKET", "Market orders are not supported for this symbol."},
      {"STOP_LOSS", "Stop loss orders are not supported for this symbol."},
      {"STOP_LOSS_LIMIT", "Stop loss limit orders are not supported for this symbol."},
      {"TAKE_PROFIT", "Take profit orders are not supported for this symbol."},
      {"TAKE_PROFIT_LIMIT", "Take profit limit orders are not supported for this symbol."}};
  for (const auto& [name, msg] : kNotOffered) {
    if (*t == name) return ApiError{400, -2010, msg};
  }
  // LIMIT (any timeInForce) is refused: the sim only rests post-only orders, and it cannot
  // persist an order's type to report a non-crossing LIMIT faithfully after a restart.
  if (*t == "LIMIT") return err::bad_combination();
  return err::bad_type();
}

std::optional<ApiError> parse_new_order(Call& c, NewOrderArgs& out) {
  if (auto e = check_symbol(c)) return e;
  const std::string* side = c.given("side");
  if (side == nullptr) return err::mandatory("side");
  auto s = parse_side(*side);
  if (!s.ok()) return err::bad_side();
  if (auto e = check_type(c)) return e;
  int64_t qty_e8 = 0, price_e8 = 0;
  if (auto e = decimal_param(c, "quantity", qty_e8)) return e;
  if (auto e = decimal_param(c, "price", price_e8)) return e;
  const Instrument& ins = c.ins();
  if (price_e8 % ins.tick_e8 != 0) return ApiError{400, -1013, "Filter failure: PRICE_FILTER"};
  if (qty_e8 % ins.step_e8 != 0) return ApiError{400, -1013, "Filter failure: LOT_SIZE"};
  out.req.symbol = ins.symbol;
  out.req.side = *s;
  out.req.price_ticks = price_e8 / ins.tick_e8;
  out.req.qty_lots = qty_e8 / ins.step_e8;
  if (const std::string* id = c.given("newClientOrderId")) out.req.client_order_id = *id;
  if (const std::string* rt = c.given("newOrderRespType")) {
    if (*rt == "ACK") out.resp = RespType::kAck;
    else if (*rt == "RESULT") out.resp = RespType::kResult;
    else if (*rt == "FULL") out.resp = RespType::kFull;
    else return err::illegal("newOrderRespType", "ACK, RESULT, FULL");
  }
  return std::nullopt;
}

// The id of a cancel: the request's `name` parameter, else one the sim makes up (Binance
// generates one too). REQUIRES the venue lock.
std::string cancel_id(Call& c, std::string_view name) {
  if (const std::string* id = c.given(name)) return *id;
  VenueAccount& a = c.venue().account(c.account);
  return "sim-cancel-" + std::to_string(c.wall_ms) + "-" + std::to_string(++a.cancel_seq);
}

// The client id of the open order a cancel names: by order id (checked against the client id
// when both are sent), else by client id. -2011 when the order id is unknown or not open.
// REQUIRES the venue lock.
std::optional<ApiError> resolve_open(Call& c, const std::optional<int64_t>& order_id,
                                     const std::string* client_id, std::string& out) {
  if (!order_id) {
    out = *client_id;
    return std::nullopt;
  }
  auto o = c.venue().order_by_id(c.account, c.ins().symbol, *order_id);
  if (!o || !exchange::is_open(o->status)) return err::unknown_order();
  if (client_id != nullptr && *client_id != o->client_order_id) return err::unknown_order();
  out = o->client_order_id;
  return std::nullopt;
}

// One half of a cancelReplace: the order it produced or its error.
struct Half {
  bool ok = false;
  exchange::OrderReport order;
  ApiError error;
};

void write_replace(Call& c, const Half& cxl, const std::optional<Half>& place,
                   const std::string& cxl_id, RespType resp) {
  const int64_t now = c.venue().now_ms(c.account);
  const bool placed = place && place->ok;
  JsonWriter w;
  w.begin_object();
  if (!(cxl.ok && placed)) {
    const bool partial = cxl.ok || placed;
    w.kv_num("code", partial ? -2021 : -2022)
        .kv_str("msg", partial ? "Order cancel-replace partially failed."
                               : "Order cancel-replace failed.")
        .key("data").begin_object();
  }
  w.kv_str("cancelResult", cxl.ok ? "SUCCESS" : "FAILURE")
      .kv_str("newOrderResult", !place ? "NOT_ATTEMPTED" : placed ? "SUCCESS" : "FAILURE");
  w.key("cancelResponse");
  cxl.ok ? write_cancel(w, c.ins(), cxl.order, cxl_id, now) : write_error(w, cxl.error);
  w.key("newOrderResponse");
  if (!place) w.null();
  else if (placed) write_new_order(w, c.ins(), place->order, resp, now);
  else write_error(w, place->error);
  if (!(cxl.ok && placed)) w.end_object();
  w.end_object();
  reply_json(c, w.take(), cxl.ok && placed ? 200 : (cxl.ok || placed) ? 409 : 400);
}

Half half_of(Outcome outcome, const exchange::OrderReport& order, const ApiError& error) {
  Half h;
  h.ok = outcome == Outcome::kAccepted;
  if (h.ok) h.order = order;
  else h.error = ApiError{400, error.code, error.msg};
  return h;
}

// cancelReplaceMode=STOP_ON_FAILURE: both halves in one sim call (one WriteBatch).
bool replace_stop_on_failure(Call& c, const std::string& client, const NewOrderArgs& a,
                             Half& cxl, std::optional<Half>& place) {
  exchange::ReplaceResult r = c.venue().account(c.account).sim->cancel_replace(client, a.req);
  if (r.cancel_outcome == Outcome::kUnknown) return false;
  cxl = half_of(r.cancel_outcome, r.canceled, r.error);
  if (cxl.ok) place = half_of(r.place_outcome, r.placed, r.error);
  return true;
}

// cancelReplaceMode=ALLOW_FAILURE: the place is attempted whatever the cancel's outcome.
bool replace_allow_failure(Call& c, const std::optional<ApiError>& unresolved,
                           const std::string& client, const NewOrderArgs& a, Half& cxl,
                           std::optional<Half>& place) {
  auto& sim = *c.venue().account(c.account).sim;
  if (unresolved) {
    cxl.error = *unresolved;
  } else {
    exchange::CancelResult cr = sim.cancel(a.req.symbol, client);
    if (cr.outcome == Outcome::kUnknown) return false;
    cxl = half_of(cr.outcome, cr.order, cr.error);
  }
  exchange::PlaceResult pr = sim.place(a.req);
  if (pr.outcome == Outcome::kUnknown) return false;
  place = half_of(pr.outcome, pr.order, pr.error);
  return true;
}

}  // namespace

void count_cancel_request(Call& c, bool replace) {
  if (!c.req.has_api_key) return;
  const auto account = c.venue().find_by_key(c.req.api_key);
  if (!account) return;
  std::string key;
  if (const std::string* orig = c.given(replace ? "cancelOrigClientOrderId" : "origClientOrderId")) {
    key = *orig;
  }
  std::optional<int64_t> order_id;
  if (key.empty() && (int_param(c, replace ? "cancelOrderId" : "orderId", order_id) || !order_id)) {
    return;  // names no order (refused -1102 / -1100): not a cancel of anything
  }
  auto lock = c.venue().lock();
  if (key.empty()) {
    const std::string* symbol = c.given("symbol");
    std::optional<exchange::OrderReport> o;
    if (symbol != nullptr) o = c.venue().order_by_id(*account, *symbol, *order_id);
    key = o ? o->client_order_id : "orderId:" + std::to_string(*order_id);
  }
  ++c.venue().account(*account).cancel_requests[key];
}

void new_order(Call& c) {
  NewOrderArgs a;
  if (auto e = parse_new_order(c, a)) return reply_error(c, *e);
  OrderFault fault;
  bool as_timeout = false;
  if (fault_stops(c, /*can_reject=*/true, fault, as_timeout)) return;
  auto lock = c.venue().lock();
  auto& sim = *c.venue().account(c.account).sim;
  auto open = sim.open_orders(a.req.symbol);
  if (open.ok() && static_cast<int64_t>(open->size()) >= kMaxNumOrders) {
    return reply_error(c, err::max_num_orders());
  }
  exchange::PlaceResult r = sim.place(a.req);
  c.venue().drain(c.account);
  if (fault == OrderFault::kUnknownExecuted) return reply_unknown(c, as_timeout);
  if (r.outcome != Outcome::kAccepted) return reply_error(c, r.error);
  c.weight = 0;  // successful orders cost no weight (binance-spot.md §2)
  count_new_order(c);
  JsonWriter w;
  write_new_order(w, c.ins(), r.order, a.resp, c.venue().now_ms(c.account));
  reply_json(c, w.take());
}

void cancel_order(Call& c) {
  if (auto e = check_symbol(c)) return reply_error(c, *e);
  std::optional<int64_t> order_id;
  if (auto e = int_param(c, "orderId", order_id)) return reply_error(c, *e);
  const std::string* orig = c.given("origClientOrderId");
  if (!order_id && orig == nullptr) return reply_error(c, err::either("origClientOrderId", "orderId"));
  OrderFault fault;
  bool as_timeout = false;
  if (fault_stops(c, /*can_reject=*/false, fault, as_timeout)) return;
  auto lock = c.venue().lock();
  const std::string cxl_id = cancel_id(c, "newClientOrderId");
  std::string client;
  auto unresolved = resolve_open(c, order_id, orig, client);
  exchange::CancelResult r;
  if (!unresolved) {
    r = c.venue().account(c.account).sim->cancel(c.ins().symbol, client);
    c.venue().drain(c.account, cxl_id);
  }
  if (fault == OrderFault::kUnknownExecuted) return reply_unknown(c, as_timeout);
  if (unresolved) return reply_error(c, *unresolved);
  if (r.outcome != Outcome::kAccepted) return reply_error(c, r.error);
  c.weight = 0;
  JsonWriter w;
  write_cancel(w, c.ins(), r.order, cxl_id, c.venue().now_ms(c.account));
  reply_json(c, w.take());
}

void query_order(Call& c) {
  if (auto e = check_symbol(c)) return reply_error(c, *e);
  std::optional<int64_t> order_id;
  if (auto e = int_param(c, "orderId", order_id)) return reply_error(c, *e);
  const std::string* orig = c.given("origClientOrderId");
  if (!order_id && orig == nullptr) return reply_error(c, err::either("origClientOrderId", "orderId"));
  auto lock = c.venue().lock();
  std::optional<exchange::OrderReport> o;
  if (order_id) {
    o = c.venue().order_by_id(c.account, c.ins().symbol, *order_id);
    if (o && orig != nullptr && *orig != o->client_order_id) {
      return reply_error(c, err::client_id_mismatch());
    }
  } else {
    auto q = c.venue().account(c.account).sim->query_order(c.ins().symbol, *orig);
    if (q.ok()) o = *q;
    else if (q.status().code() != Code::kNotFound) return reply_error(c, err::unexpected());
  }
  if (!o) return reply_error(c, err::no_such_order());
  JsonWriter w;
  write_order(w, c.ins(), *o, c.venue().created_ms(c.account, *o));
  reply_json(c, w.take());
}

void cancel_replace(Call& c) {
  const std::string* mode = c.given("cancelReplaceMode");
  if (mode == nullptr) return reply_error(c, err::mandatory("cancelReplaceMode"));
  if (*mode != "STOP_ON_FAILURE" && *mode != "ALLOW_FAILURE") {
    return reply_error(c, err::illegal("cancelReplaceMode", "STOP_ON_FAILURE, ALLOW_FAILURE"));
  }
  NewOrderArgs a;
  if (auto e = parse_new_order(c, a)) return reply_error(c, *e);
  std::optional<int64_t> order_id;
  if (auto e = int_param(c, "cancelOrderId", order_id)) return reply_error(c, *e);
  const std::string* orig = c.given("cancelOrigClientOrderId");
  if (!order_id && orig == nullptr) {
    return reply_error(c, err::either("cancelOrigClientOrderId", "cancelOrderId"));
  }
  OrderFault fault;
  bool as_timeout = false;
  if (fault_stops(c, /*can_reject=*/false, fault, as_timeout)) return;
  auto lock = c.venue().lock();
  const std::string cxl_id = cancel_id(c, "cancelNewClientOrderId");
  std::string client;
  auto unresolved = resolve_open(c, order_id, orig, client);
  Half cxl;
  std::optional<Half> place;
  bool known = true;
  if (*mode == "ALLOW_FAILURE") known = replace_allow_failure(c, unresolved, client, a, cxl, place);
  else if (unresolved) cxl.error = *unresolved;
  else known = replace_stop_on_failure(c, client, a, cxl, place);
  c.venue().drain(c.account, cxl_id);
  if (!known) return reply_unknown(c, false);
  if (fault == OrderFault::kUnknownExecuted) return reply_unknown(c, as_timeout);
  if (place && place->ok) count_new_order(c);
  if (cxl.ok && place && place->ok) c.weight = 0;
  write_replace(c, cxl, place, cxl_id, a.resp);
}

// order.amend.keepPriority on the account's embedded exchange (sim.h). The client order id is
// kept: newClientOrderId, when given, must be the order's own id (keel sends it again, §4); the
// sim does not rename orders.
void amend_keep_priority(Call& c) {
  if (auto e = check_symbol(c)) return reply_error(c, *e);
  std::optional<int64_t> order_id;
  if (auto e = int_param(c, "orderId", order_id)) return reply_error(c, *e);
  const std::string* orig = c.given("origClientOrderId");
  if (!order_id && orig == nullptr) return reply_error(c, err::either("origClientOrderId", "orderId"));
  if (!c.given("newQty")) return reply_error(c, err::mandatory("newQty"));
  int64_t qty_e8 = 0;
  if (auto e = decimal_param(c, "newQty", qty_e8)) return reply_error(c, *e);
  const Instrument& ins = c.ins();
  if (qty_e8 <= 0 || qty_e8 % ins.step_e8 != 0) {
    return reply_error(c, ApiError{400, -1013, "Filter failure: LOT_SIZE"});
  }
  OrderFault fault;
  bool as_timeout = false;
  if (fault_stops(c, /*can_reject=*/false, fault, as_timeout)) return;
  auto lock = c.venue().lock();
  std::string client;
  auto unresolved = resolve_open(c, order_id, orig, client);
  const std::string* renamed = c.given("newClientOrderId");
  if (!unresolved && renamed != nullptr && *renamed != client) {
    unresolved = err::illegal("newClientOrderId", "the order's own id (keel sim keeps it)");
  }
  exchange::AmendResult r;
  if (!unresolved) {
    r = c.venue().account(c.account).sim->amend_keep_priority(ins.symbol, client,
                                                               qty_e8 / ins.step_e8);
    c.venue().drain(c.account);
  }
  if (fault == OrderFault::kUnknownExecuted) return reply_unknown(c, as_timeout);
  if (unresolved) return reply_error(c, *unresolved);
  if (r.outcome != Outcome::kAccepted) return reply_error(c, r.error);
  JsonWriter w;
  write_amend(w, ins, r.order, c.venue().now_ms(c.account));
  reply_json(c, w.take());
}

void cancel_open_orders(Call& c) {
  if (auto e = check_symbol(c)) return reply_error(c, *e);
  OrderFault fault;
  bool as_timeout = false;
  if (fault_stops(c, /*can_reject=*/false, fault, as_timeout, /*can_delay=*/false)) return;
  auto lock = c.venue().lock();
  auto& sim = *c.venue().account(c.account).sim;
  auto open = sim.open_orders(c.ins().symbol);
  if (!open.ok()) return reply_error(c, err::unexpected());
  JsonWriter w;
  w.begin_array();
  for (const exchange::OrderReport& o : *open) {
    const std::string cxl_id = cancel_id(c, "");
    exchange::CancelResult r = sim.cancel(c.ins().symbol, o.client_order_id);
    c.venue().drain(c.account, cxl_id);
    if (r.outcome == Outcome::kAccepted) {
      write_cancel(w, c.ins(), r.order, cxl_id, c.venue().now_ms(c.account));
    }
  }
  w.end_array();
  if (fault == OrderFault::kUnknownExecuted) return reply_unknown(c, as_timeout);
  if (open->empty()) return reply_error(c, err::unknown_order());  // nothing to cancel
  c.weight = 0;
  reply_json(c, w.take());
}

}  // namespace keel::simserver::rest
