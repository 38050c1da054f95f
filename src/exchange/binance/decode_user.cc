// Decoders of user-data stream events (reference/binance-spot.md §6, user-data-stream.md).
#include "decode_internal.h"

namespace keel::exchange::binance {

Result<ExecType> parse_exec_type(std::string_view text) {
  if (text == "NEW") return ExecType::kNew;
  if (text == "CANCELED") return ExecType::kCanceled;
  if (text == "REPLACED") return ExecType::kReplaced;
  if (text == "REJECTED") return ExecType::kRejected;
  if (text == "TRADE") return ExecType::kTrade;
  if (text == "EXPIRED" || text == "TRADE_PREVENTION") return ExecType::kExpired;
  return Status::InvalidArgument("unknown execution type '" + std::string(text) + "'");
}

namespace detail {

Status unwrap_event(json::element root, json::Obj& event) {
  json::Obj top;
  KEEL_RETURN_IF_ERROR(json::as_object(root, "", top));
  if (!json::has(top, "event")) {  // a bare event (legacy listenKey stream)
    event = top;
    return Status::Ok();
  }
  int64_t subscription_id = 0;
  KEEL_RETURN_IF_ERROR(json::i64(top, "subscriptionId", subscription_id));
  return json::child(top, "event", event);
}

}  // namespace detail

namespace {

// `C` is "" outside cancels; tolerate null the same way.
Status optional_text(const json::Obj& o, std::string_view key, std::string_view& out) {
  if (!json::has(o, key) || json::is_null(o, key)) {
    out = {};
    return Status::Ok();
  }
  return json::str(o, key, out);
}

Status exec_order(const json::Obj& ev, const Instrument& ins, ExecType type, OrderReport& o) {
  o.symbol = ins.symbol;
  KEEL_RETURN_IF_ERROR(json::i64(ev, "i", o.order_id));
  std::string_view c, orig;
  KEEL_RETURN_IF_ERROR(json::str(ev, "c", c));
  KEEL_RETURN_IF_ERROR(optional_text(ev, "C", orig));
  // For a cancel, c is the cancel request's id and C the order's own (user-data-stream.md).
  o.client_order_id.assign(type == ExecType::kCanceled && !orig.empty() ? orig : c);
  std::string_view side;
  KEEL_RETURN_IF_ERROR(json::str(ev, "S", side));
  auto s = parse_side(side);
  if (!s.ok()) return json::bad(ev, "S", s.status().message());
  o.side = *s;
  KEEL_RETURN_IF_ERROR(json::ticks(ev, "p", ins, o.price_ticks));
  KEEL_RETURN_IF_ERROR(json::lots(ev, "q", ins, o.qty_lots));
  KEEL_RETURN_IF_ERROR(json::lots(ev, "z", ins, o.executed_lots));
  std::string_view status;
  KEEL_RETURN_IF_ERROR(json::str(ev, "X", status));
  auto st = parse_order_status(status, o.executed_lots);
  if (!st.ok()) return json::bad(ev, "X", st.status().message());
  o.status = *st;
  return json::ms_as_ns(ev, "T", o.ts_update_ns);
}

Status exec_trade(const json::Obj& ev, const Instrument& ins, const OrderReport& o,
                  TradeReport& t) {
  t.symbol = o.symbol;
  t.order_id = o.order_id;
  t.client_order_id = o.client_order_id;
  t.side = o.side;
  t.ts_exchange_ns = o.ts_update_ns;
  KEEL_RETURN_IF_ERROR(json::i64(ev, "t", t.trade_id));
  if (t.trade_id < 0) return json::bad(ev, "t", "no trade id on a TRADE execution");
  KEEL_RETURN_IF_ERROR(json::ticks(ev, "L", ins, t.price_ticks));
  KEEL_RETURN_IF_ERROR(json::lots(ev, "l", ins, t.qty_lots));
  KEEL_RETURN_IF_ERROR(json::e8(ev, "n", t.commission_e8));
  std::string_view asset;
  KEEL_RETURN_IF_ERROR(optional_text(ev, "N", asset));
  t.commission_asset.assign(asset);
  return json::boolean(ev, "m", t.is_maker);
}

// balanceUpdate (§6): {"e":"balanceUpdate","E":ms,"a":asset,"d":signed delta,"T":ms}.
Status balance_update_obj(const json::Obj& ev, BalanceUpdate& out) {
  std::string_view type;
  KEEL_RETURN_IF_ERROR(json::str(ev, "e", type));
  if (type != "balanceUpdate") return json::bad(ev, "e", "not balanceUpdate");
  std::string_view asset;
  KEEL_RETURN_IF_ERROR(json::str(ev, "a", asset));
  if (asset.empty()) return json::bad(ev, "a", "empty");
  out.asset.assign(asset);
  // Unlike a balance, a delta that does not fit is an error: it cannot be folded exactly.
  KEEL_RETURN_IF_ERROR(json::e8(ev, "d", out.delta_e8));
  for (auto [key, field] : {std::pair{"E", &out.event_time_ms}, {"T", &out.clear_time_ms}}) {
    KEEL_RETURN_IF_ERROR(json::i64(ev, key, *field));
    if (*field < 0) return json::bad(ev, key, "negative time");
  }
  return Status::Ok();
}

// The executionReport `ev`, decoded with the instrument of its symbol among `instruments`.
Status exec_report_obj(const json::Obj& ev, std::span<const Instrument> instruments,
                       ExecutionReport& out) {
  std::string_view type;
  KEEL_RETURN_IF_ERROR(json::str(ev, "e", type));
  if (type != "executionReport") return json::bad(ev, "e", "not executionReport");
  const Instrument* found = nullptr;
  KEEL_RETURN_IF_ERROR(detail::pick_instrument(ev, "s", instruments, found));
  const Instrument& ins = *found;
  std::string_view x;
  KEEL_RETURN_IF_ERROR(json::str(ev, "x", x));
  auto exec_type = parse_exec_type(x);
  if (!exec_type.ok()) return json::bad(ev, "x", exec_type.status().message());
  out.exec_type = *exec_type;
  KEEL_RETURN_IF_ERROR(exec_order(ev, ins, out.exec_type, out.order));
  if (out.exec_type == ExecType::kTrade) {
    KEEL_RETURN_IF_ERROR(exec_trade(ev, ins, out.order, out.trade));
  }
  return Status::Ok();
}

}  // namespace

Result<ExecutionReport> decode_execution_report(std::string_view json, const Instrument& ins) {
  auto root = json::parse(json);
  if (!root.ok()) return root.status();
  json::Obj ev;
  KEEL_RETURN_IF_ERROR(detail::unwrap_event(*root, ev));
  ExecutionReport out;
  KEEL_RETURN_IF_ERROR(exec_report_obj(ev, std::span<const Instrument>(&ins, 1), out));
  return out;
}

Result<BalanceUpdate> decode_balance_update(std::string_view json) {
  auto root = json::parse(json);
  if (!root.ok()) return root.status();
  json::Obj ev;
  KEEL_RETURN_IF_ERROR(detail::unwrap_event(*root, ev));
  BalanceUpdate out;
  KEEL_RETURN_IF_ERROR(balance_update_obj(ev, out));
  return out;
}

Result<UserEvent> decode_user_event(std::string_view json, const Instrument& ins) {
  return decode_user_event(json, std::span<const Instrument>(&ins, 1));
}

Result<UserEvent> decode_user_event(std::string_view json,
                                    std::span<const Instrument> instruments) {
  auto root = json::parse(json);
  if (!root.ok()) return root.status();
  json::Obj ev;
  KEEL_RETURN_IF_ERROR(detail::unwrap_event(*root, ev));
  std::string_view type;
  KEEL_RETURN_IF_ERROR(json::str(ev, "e", type));
  UserEvent out;
  KEEL_RETURN_IF_ERROR(json::opt_ms_as_ns(ev, "E", out.ts_event_ns));
  if (type == "executionReport") {
    out.kind = UserEventKind::kExecutionReport;
    KEEL_RETURN_IF_ERROR(exec_report_obj(ev, instruments, out.exec));
  } else if (type == "outboundAccountPosition") {
    out.kind = UserEventKind::kAccountPosition;
    KEEL_RETURN_IF_ERROR(detail::balances_array(ev, "B", "a", "f", "l", out.balances));
  } else if (type == "balanceUpdate") {
    out.kind = UserEventKind::kBalanceUpdate;
    KEEL_RETURN_IF_ERROR(balance_update_obj(ev, out.balance_update));
  } else if (type == "eventStreamTerminated") {
    out.kind = UserEventKind::kStreamTerminated;
  } else if (type == "serverShutdown") {
    out.kind = UserEventKind::kServerShutdown;
  }
  return out;
}

}  // namespace keel::exchange::binance
