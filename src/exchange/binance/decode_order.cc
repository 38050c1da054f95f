// Decoders of order-shaped responses: new order, query, openOrders, cancel, amend, cancelReplace
// (reference/binance-spot.md §4, §5).
#include "decode_internal.h"

namespace keel::exchange::binance {

Result<OrderStatus> parse_order_status(std::string_view text, int64_t executed_lots) {
  if (text == "NEW") return OrderStatus::kNew;
  if (text == "PARTIALLY_FILLED") return OrderStatus::kPartiallyFilled;
  if (text == "FILLED") return OrderStatus::kFilled;
  if (text == "CANCELED") return OrderStatus::kCanceled;
  if (text == "REJECTED") return OrderStatus::kRejected;
  if (text == "EXPIRED" || text == "EXPIRED_IN_MATCH") return OrderStatus::kExpired;
  // Transitional states of a still-working order (enums.md; PENDING_CANCEL is unused).
  if (text == "PENDING_NEW" || text == "PENDING_CANCEL") {
    return executed_lots > 0 ? OrderStatus::kPartiallyFilled : OrderStatus::kNew;
  }
  return Status::InvalidArgument("unknown order status '" + std::string(text) + "'");
}

namespace detail {

Status check_symbol(const json::Obj& o, std::string_view key, const Instrument& ins) {
  std::string_view symbol;
  KEEL_RETURN_IF_ERROR(json::str(o, key, symbol));
  if (symbol != ins.symbol) {
    return Status::NotFound("symbol " + std::string(symbol) + " is not " + ins.symbol);
  }
  return Status::Ok();
}

Status pick_instrument(const json::Obj& o, std::string_view key,
                       std::span<const Instrument> instruments, const Instrument*& out) {
  std::string_view symbol;
  KEEL_RETURN_IF_ERROR(json::str(o, key, symbol));
  for (const Instrument& ins : instruments) {
    if (ins.symbol == symbol) {
      out = &ins;
      return Status::Ok();
    }
  }
  if (instruments.size() == 1) {
    return Status::NotFound("symbol " + std::string(symbol) + " is not " +
                            instruments.front().symbol);
  }
  std::string list;
  for (const Instrument& ins : instruments) list += (list.empty() ? "" : ", ") + ins.symbol;
  return Status::NotFound("symbol " + std::string(symbol) + " is not one of " + list);
}

namespace {

Status side_field(const json::Obj& o, std::string_view key, Side& out) {
  std::string_view text;
  KEEL_RETURN_IF_ERROR(json::str(o, key, text));
  Result<Side> side = parse_side(text);
  if (!side.ok()) return json::bad(o, key, side.status().message());
  out = *side;
  return Status::Ok();
}

Status status_field(const json::Obj& o, std::string_view key, int64_t executed_lots,
                    OrderStatus& out) {
  std::string_view text;
  KEEL_RETURN_IF_ERROR(json::str(o, key, text));
  Result<OrderStatus> s = parse_order_status(text, executed_lots);
  if (!s.ok()) return json::bad(o, key, s.status().message());
  out = *s;
  return Status::Ok();
}

// The order state of a RESULT/FULL/query object; absent in an ACK.
Status order_state(const json::Obj& o, const Instrument& ins, OrderReport& out) {
  KEEL_RETURN_IF_ERROR(side_field(o, "side", out.side));
  KEEL_RETURN_IF_ERROR(json::ticks(o, "price", ins, out.price_ticks));
  KEEL_RETURN_IF_ERROR(json::lots(o, "origQty", ins, out.qty_lots));
  KEEL_RETURN_IF_ERROR(json::lots(o, "executedQty", ins, out.executed_lots));
  return status_field(o, "status", out.executed_lots, out.status);
}

}  // namespace

Status order_obj(const json::Obj& o, const Instrument& ins, std::string_view id_key,
                 OrderReport& out) {
  KEEL_RETURN_IF_ERROR(check_symbol(o, "symbol", ins));
  out.symbol = ins.symbol;
  KEEL_RETURN_IF_ERROR(json::i64(o, "orderId", out.order_id));
  std::string_view cid;
  KEEL_RETURN_IF_ERROR(json::str(o, id_key, cid));
  out.client_order_id.assign(cid);
  if (json::has(o, "status")) KEEL_RETURN_IF_ERROR(order_state(o, ins, out));
  // The most specific time first: last change, then the request's, then book entry.
  for (std::string_view key : {"updateTime", "transactTime", "workingTime"}) {
    if (json::has(o, key)) return json::ms_as_ns(o, key, out.ts_update_ns);
  }
  return Status::Ok();
}

}  // namespace detail

namespace {

Result<OrderReport> decode_order_root(std::string_view text, const Instrument& ins,
                                      std::string_view id_key) {
  auto root = json::parse(text);
  if (!root.ok()) return root.status();
  json::Obj o;
  KEEL_RETURN_IF_ERROR(json::as_object(*root, "", o));
  OrderReport out;
  KEEL_RETURN_IF_ERROR(detail::order_obj(o, ins, id_key, out));
  return out;
}

Status part_result(const json::Obj& o, std::string_view key, PartResult& out) {
  std::string_view text;
  KEEL_RETURN_IF_ERROR(json::str(o, key, text));
  if (text == "SUCCESS") out = PartResult::kSuccess;
  else if (text == "FAILURE") out = PartResult::kFailure;
  else if (text == "NOT_ATTEMPTED") out = PartResult::kNotAttempted;
  else return json::bad(o, key, "unknown result '" + std::string(text) + "'");
  return Status::Ok();
}

// One half of a cancelReplace result: "<result_key>" and its "<response_key>".
Status replace_part(const json::Obj& o, std::string_view result_key, std::string_view response_key,
                    std::string_view id_key, const Instrument& ins, CancelReplacePart& out) {
  KEEL_RETURN_IF_ERROR(part_result(o, result_key, out.result));
  if (out.result == PartResult::kNotAttempted) return Status::Ok();
  json::Obj resp;
  KEEL_RETURN_IF_ERROR(json::child(o, response_key, resp));
  if (out.result == PartResult::kFailure) return detail::error_obj(resp, out.error);
  return detail::order_obj(resp, ins, id_key, out.order);
}

}  // namespace

Result<OrderReport> decode_order(std::string_view json, const Instrument& ins) {
  return decode_order_root(json, ins, "clientOrderId");
}

Result<OrderReport> decode_cancel(std::string_view json, const Instrument& ins) {
  return decode_order_root(json, ins, "origClientOrderId");
}

Result<std::vector<OrderReport>> decode_open_orders(std::string_view json, const Instrument& ins) {
  return detail::array_of<OrderReport>(json, [&](const json::Obj& o, OrderReport& r) {
    return detail::order_obj(o, ins, "clientOrderId", r);
  });
}

Result<OrderReport> decode_amend(std::string_view json, const Instrument& ins) {
  auto root = json::parse(json);
  if (!root.ok()) return root.status();
  json::Obj top;
  KEEL_RETURN_IF_ERROR(json::as_object(*root, "", top));
  json::Obj o;
  KEEL_RETURN_IF_ERROR(json::child(top, "amendedOrder", o));
  OrderReport out;
  KEEL_RETURN_IF_ERROR(detail::check_symbol(o, "symbol", ins));
  out.symbol = ins.symbol;
  KEEL_RETURN_IF_ERROR(json::i64(o, "orderId", out.order_id));
  std::string_view cid;
  KEEL_RETURN_IF_ERROR(json::str(o, "clientOrderId", cid));
  out.client_order_id.assign(cid);
  KEEL_RETURN_IF_ERROR(detail::side_field(o, "side", out.side));
  KEEL_RETURN_IF_ERROR(json::ticks(o, "price", ins, out.price_ticks));
  KEEL_RETURN_IF_ERROR(json::lots(o, "qty", ins, out.qty_lots));  // not origQty (§4)
  KEEL_RETURN_IF_ERROR(json::lots(o, "executedQty", ins, out.executed_lots));
  KEEL_RETURN_IF_ERROR(detail::status_field(o, "status", out.executed_lots, out.status));
  KEEL_RETURN_IF_ERROR(json::ms_as_ns(top, "transactTime", out.ts_update_ns));
  return out;
}

Result<CancelReplaceBody> decode_cancel_replace(std::string_view json, const Instrument& ins) {
  auto root = json::parse(json);
  if (!root.ok()) return root.status();
  json::Obj top;
  KEEL_RETURN_IF_ERROR(json::as_object(*root, "", top));
  CancelReplaceBody out;
  json::Obj body = top;
  if (!json::has(top, "cancelResult")) {  // a failure body: {"code","msg","data":{..}}
    KEEL_RETURN_IF_ERROR(detail::error_obj(top, out.error));
    KEEL_RETURN_IF_ERROR(json::child(top, "data", body));
  }
  KEEL_RETURN_IF_ERROR(replace_part(body, "cancelResult", "cancelResponse", "origClientOrderId",
                                    ins, out.cancel));
  KEEL_RETURN_IF_ERROR(replace_part(body, "newOrderResult", "newOrderResponse", "clientOrderId",
                                    ins, out.place));
  return out;
}

}  // namespace keel::exchange::binance
