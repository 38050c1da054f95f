// BinanceExchange: the state-changing calls (reference/binance-spot.md §4). Every outcome goes
// through verdict_of() (outcome.h): kAccepted/kRejected are evidence, kUnknown is not (R1).
#include "binance_impl.h"
#include "keel/exchange/binance/outcome.h"

namespace keel::exchange::binance {
namespace {

// A 2xx whose body cannot be read: the request took effect, but we cannot say how (R1).
VenueError unreadable(int http_status, const Status& why) {
  return {http_status, 0, "accepted but the response is not understood: " + why.ToString()};
}

// A refusal before anything is sent (check_order / check_symbol).
template <class ResultT>
ResultT not_sent(VenueError e) {
  ResultT out;
  out.outcome = Outcome::kRejected;
  out.error = std::move(e);
  return out;
}

// One signed request whose 2xx body is one order (place, cancel, amend), signed with `stamp`:
// the outcome is verdict_of's (R1; a -1021 is kRejected and not re-sent) and a 2xx body that
// `decode` cannot read is kUnknown. The caller holds rest_mu.
template <class ResultT>
ResultT order_request(RestApi& rest, const Instrument& ins, Method method, std::string_view path,
                      const Query& q, RequestClass cls, RequestStamp stamp,
                      Result<OrderReport> (*decode)(std::string_view, const Instrument&)) {
  ResultT out;
  auto r = rest.call(method, path, q, Security::kSigned, cls, stamp);
  Verdict v = verdict_of(r);
  out.outcome = v.outcome;
  out.error = std::move(v.error);
  if (out.outcome != Outcome::kAccepted) return out;
  auto order = decode(r.http.body, ins);
  if (!order.ok()) {
    out.outcome = Outcome::kUnknown;
    out.error = unreadable(r.http.status, order.status());
    return out;
  }
  out.order = std::move(*order);
  return out;
}

// LIMIT_MAKER parameters shared by place and cancelReplace (no timeInForce: §4).
void add_limit_maker(Query& q, const OrderRequest& req, const Instrument& ins) {
  q.add("side", side_name(req.side))
      .add("type", "LIMIT_MAKER")
      .add("quantity", ins.format_qty(req.qty_lots))
      .add("price", ins.format_price(req.price_ticks))
      .add("newClientOrderId", req.client_order_id)
      .add("newOrderRespType", "RESULT");
}

// An ACK has no order state: take it from the request.
void complete_from_request(OrderReport& o, const OrderRequest& req) {
  if (o.qty_lots != 0) return;
  o.side = req.side;
  o.price_ticks = req.price_ticks;
  o.qty_lots = req.qty_lots;
}

// The outcome of one failed half of a cancelReplace (its own code decides, as for a request).
Outcome part_failure_outcome(const ErrorBody& e) {
  return is_unknown_code(e.code) ? Outcome::kUnknown : Outcome::kRejected;
}

// Splits a cancelReplace reply with per-part results (200, 409, or 400 with `data`).
void apply_parts(const CancelReplaceBody& body, int http_status, ReplaceResult& out) {
  const CancelReplacePart& c = body.cancel;
  const CancelReplacePart& p = body.place;
  out.cancel_outcome = c.result == PartResult::kSuccess ? Outcome::kAccepted
                       : c.result == PartResult::kFailure ? part_failure_outcome(c.error)
                                                          : Outcome::kRejected;
  out.place_outcome = p.result == PartResult::kSuccess ? Outcome::kAccepted
                      : p.result == PartResult::kFailure ? part_failure_outcome(p.error)
                                                         : Outcome::kRejected;  // NOT_ATTEMPTED
  if (c.result == PartResult::kSuccess) out.canceled = c.order;
  if (p.result == PartResult::kSuccess) out.placed = p.order;
  if (c.result == PartResult::kFailure) {
    out.error = {http_status, c.error.code, c.error.msg};  // as the sim: the cancel's own error
  } else if (p.result == PartResult::kFailure) {
    out.error = {http_status, p.error.code, p.error.msg};
  } else if (p.result == PartResult::kNotAttempted) {
    out.error = {http_status, body.error.code, body.error.msg};
  }
}

}  // namespace

std::optional<VenueError> BinanceExchange::Impl::check_order(const OrderRequest& req) const {
  if (auto e = check_symbol(req.symbol)) return e;
  if (!valid_client_order_id(req.client_order_id)) {
    return VenueError{0, -1100, "not sent: client order id '" + req.client_order_id +
                                    "' does not match [A-Za-z0-9_-]{1,36}"};
  }
  if (req.price_ticks <= 0 || req.qty_lots <= 0) {
    return VenueError{0, -1013, "not sent: price and quantity must be positive"};
  }
  return check_stamp(req.stamp);
}

std::optional<VenueError> BinanceExchange::Impl::check_stamp(const RequestStamp& stamp) {
  if (stamp.timestamp_ms < 0) {
    return VenueError{0, -1102, "not sent: stamp timestamp " +
                                    std::to_string(stamp.timestamp_ms) + " is negative"};
  }
  if (stamp.recv_window_ms < 0 || stamp.recv_window_ms > 60'000) {
    return VenueError{0, -1131, "not sent: stamp recvWindow " +
                                    std::to_string(stamp.recv_window_ms) +
                                    " is outside 0..60000 (§1)"};
  }
  return std::nullopt;
}

PlaceResult BinanceExchange::place(const OrderRequest& req) {
  if (auto e = impl_->check_order(req)) return not_sent<PlaceResult>(std::move(*e));
  Query q;
  q.add("symbol", req.symbol);
  const Instrument& ins = impl_->ins(req.symbol);
  add_limit_maker(q, req, ins);
  std::lock_guard lock(impl_->rest_mu);
  auto out = order_request<PlaceResult>(impl_->rest, ins, Method::kPost,
                                        "/api/v3/order", q, RequestClass::kNewOrder, req.stamp,
                                        decode_order);
  if (out.outcome == Outcome::kAccepted) {
    complete_from_request(out.order, req);
    impl_->sh.remember(req.symbol, out.order.order_id, out.order.client_order_id);
  }
  return out;
}

CancelResult BinanceExchange::cancel(const std::string& symbol,
                                     const std::string& client_order_id, RequestStamp stamp) {
  if (auto e = impl_->check_symbol(symbol)) return not_sent<CancelResult>(std::move(*e));
  if (auto e = Impl::check_stamp(stamp)) return not_sent<CancelResult>(std::move(*e));
  Query q;
  q.add("symbol", symbol).add("origClientOrderId", client_order_id);
  std::lock_guard lock(impl_->rest_mu);
  return order_request<CancelResult>(impl_->rest, impl_->ins(symbol), Method::kDelete,
                                     "/api/v3/order", q, RequestClass::kOther, stamp, decode_cancel);
}

ReplaceResult BinanceExchange::cancel_replace(const std::string& cancel_client_order_id,
                                              const OrderRequest& replacement) {
  ReplaceResult out;
  std::optional<VenueError> refused = impl_->check_order(replacement);
  if (!refused && !valid_client_order_id(cancel_client_order_id)) {
    refused = VenueError{0, -1100, "not sent: invalid cancel client order id"};
  }
  if (refused) {
    out.cancel_outcome = out.place_outcome = Outcome::kRejected;
    out.error = std::move(*refused);
    return out;
  }
  Query q;
  q.add("symbol", replacement.symbol)
      .add("cancelReplaceMode", "STOP_ON_FAILURE")
      .add("cancelOrigClientOrderId", cancel_client_order_id);
  const Instrument& ins = impl_->ins(replacement.symbol);
  add_limit_maker(q, replacement, ins);
  std::lock_guard lock(impl_->rest_mu);
  auto r = impl_->rest.call(Method::kPost, "/api/v3/order/cancelReplace", q, Security::kSigned,
                            RequestClass::kNewOrder, replacement.stamp);
  Verdict v = verdict_of(r);
  out.cancel_outcome = out.place_outcome = v.outcome;
  out.error = std::move(v.error);
  const int status = r.http.status;
  const bool has_parts = r.http.delivery == Delivery::kReplied && !r.refused &&
                         (is_2xx(status) || status == 409 ||
                          (r.error && (r.error->code == -2021 || r.error->code == -2022)));
  if (!has_parts) return out;  // e.g. 400 -1013 before anything was attempted: both rejected
  auto body = decode_cancel_replace(r.http.body, ins);
  if (!body.ok()) {  // something happened and we cannot say what
    out.cancel_outcome = out.place_outcome = Outcome::kUnknown;
    out.error = unreadable(status, body.status());
    return out;
  }
  apply_parts(*body, status, out);
  if (out.place_outcome == Outcome::kAccepted) {
    complete_from_request(out.placed, replacement);
    impl_->sh.remember(replacement.symbol, out.placed.order_id, out.placed.client_order_id);
  }
  return out;
}

bool BinanceExchange::amend_allowed(const std::string& symbol) const {
  const SymbolInfo* info = impl_->sh.info_of(symbol);
  return info != nullptr && info->amend_allowed;
}

AmendResult BinanceExchange::amend_keep_priority(const std::string& symbol,
                                                 const std::string& client_order_id,
                                                 int64_t new_qty_lots, RequestStamp stamp) {
  if (auto e = impl_->check_symbol(symbol)) return not_sent<AmendResult>(std::move(*e));
  if (auto e = Impl::check_stamp(stamp)) return not_sent<AmendResult>(std::move(*e));
  Query q;
  q.add("symbol", symbol)
      .add("origClientOrderId", client_order_id)
      .add("newClientOrderId", client_order_id)  // keep the id (W5), §4
      .add("newQty", impl_->ins(symbol).format_qty(new_qty_lots));
  std::lock_guard lock(impl_->rest_mu);
  return order_request<AmendResult>(impl_->rest, impl_->ins(symbol), Method::kPut,
                                    "/api/v3/order/amend/keepPriority", q, RequestClass::kOther,
                                    stamp, decode_amend);
}

}  // namespace keel::exchange::binance
