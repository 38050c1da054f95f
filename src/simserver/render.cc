// Binance JSON shapes (render.h). Field names and order follow binance-spot.md's examples.
#include "render.h"

#include "keel/core/fixed.h"

namespace keel::simserver {
namespace {

using exchange::ExecType;
using exchange::ExecutionReport;
using exchange::OrderReport;

constexpr const char* kZero = "0.00000000";

const char* exec_type_name(ExecType t) {
  switch (t) {
    case ExecType::kNew: return "NEW";
    case ExecType::kCanceled: return "CANCELED";
    case ExecType::kReplaced: return "REPLACED";
    case ExecType::kRejected: return "REJECTED";
    case ExecType::kTrade: return "TRADE";
    case ExecType::kExpired: return "EXPIRED";
  }
  return "NEW";
}

int64_t exec_id(const ExecutionReport& r) {
  if (r.exec_type == ExecType::kTrade) return 3 * r.trade.trade_id + 2;
  if (r.exec_type == ExecType::kNew) return 3 * r.order.order_id;
  return 3 * r.order.order_id + 1;
}

std::string cum_quote(const Instrument& ins, const OrderReport& o) {
  return e8_string(ins.notional_e8(o.price_ticks, o.executed_lots));
}

// The members shared by RESULT, cancel and query responses, from "price" to "side".
void write_order_core(JsonWriter& w, const Instrument& ins, const OrderReport& o) {
  w.kv_str("price", ins.format_price(o.price_ticks))
      .kv_str("origQty", ins.format_qty(o.qty_lots))
      .kv_str("executedQty", ins.format_qty(o.executed_lots))
      .kv_str("origQuoteOrderQty", kZero)
      .kv_str("cummulativeQuoteQty", cum_quote(ins, o))
      .kv_str("status", exchange::order_status_name(o.status))
      .kv_str("timeInForce", "GTC")
      .kv_str("type", "LIMIT_MAKER")
      .kv_str("side", side_name(o.side));
}

void write_levels(JsonWriter& w, const std::vector<market::Level>& levels) {
  w.begin_array();
  for (const auto& l : levels) w.begin_array().str(e8_string(l.price_e8)).str(e8_string(l.qty_e8)).end_array();
  w.end_array();
}

}  // namespace

std::string e8_string(int64_t v) { return format_fixed(v, kScaleE8, kScaleE8); }
int64_t ns_to_ms(int64_t ns) { return ns / 1'000'000; }

void write_error(JsonWriter& w, const ApiError& e) {
  w.begin_object().kv_num("code", e.code).kv_str("msg", e.msg).end_object();
}

std::string error_body(const ApiError& e) {
  JsonWriter w;
  write_error(w, e);
  return w.take();
}

void write_order(JsonWriter& w, const Instrument& ins, const OrderReport& o, int64_t created_ms) {
  w.begin_object()
      .kv_str("symbol", o.symbol)
      .kv_num("orderId", o.order_id)
      .kv_num("orderListId", -1)
      .kv_str("clientOrderId", o.client_order_id);
  write_order_core(w, ins, o);
  w.kv_str("stopPrice", kZero)
      .kv_str("icebergQty", kZero)
      .kv_num("time", created_ms)
      .kv_num("updateTime", ns_to_ms(o.ts_update_ns))
      .kv_bool("isWorking", true)
      .kv_num("workingTime", created_ms)
      .kv_str("selfTradePreventionMode", "NONE")
      .end_object();
}

void write_new_order(JsonWriter& w, const Instrument& ins, const OrderReport& o, RespType type,
                     int64_t transact_ms) {
  w.begin_object()
      .kv_str("symbol", o.symbol)
      .kv_num("orderId", o.order_id)
      .kv_num("orderListId", -1)
      .kv_str("clientOrderId", o.client_order_id)
      .kv_num("transactTime", transact_ms);
  if (type != RespType::kAck) {
    write_order_core(w, ins, o);
    w.kv_num("workingTime", transact_ms).kv_str("selfTradePreventionMode", "NONE");
  }
  if (type == RespType::kFull) w.key("fills").begin_array().end_array();
  w.end_object();
}

void write_amend(JsonWriter& w, const Instrument& ins, const OrderReport& o, int64_t transact_ms) {
  w.begin_object()
      .kv_num("transactTime", transact_ms)
      .kv_num("executionId", 0)
      .key("amendedOrder")
      .begin_object()
      .kv_str("symbol", o.symbol)
      .kv_num("orderId", o.order_id)
      .kv_num("orderListId", -1)
      .kv_str("origClientOrderId", o.client_order_id)
      .kv_str("clientOrderId", o.client_order_id)
      .kv_str("price", ins.format_price(o.price_ticks))
      .kv_str("qty", ins.format_qty(o.qty_lots))
      .kv_str("executedQty", ins.format_qty(o.executed_lots))
      .kv_str("preventedQty", kZero)
      .kv_str("quoteOrderQty", kZero)
      .kv_str("cumulativeQuoteQty", cum_quote(ins, o))
      .kv_str("status", exchange::order_status_name(o.status))
      .kv_str("timeInForce", "GTC")
      .kv_str("type", "LIMIT_MAKER")
      .kv_str("side", side_name(o.side))
      .kv_num("workingTime", ns_to_ms(o.ts_update_ns))
      .kv_str("selfTradePreventionMode", "NONE")
      .end_object()
      .end_object();
}

void write_cancel(JsonWriter& w, const Instrument& ins, const OrderReport& o,
                  std::string_view cancel_client_id, int64_t transact_ms) {
  w.begin_object()
      .kv_str("symbol", o.symbol)
      .kv_str("origClientOrderId", o.client_order_id)
      .kv_num("orderId", o.order_id)
      .kv_num("orderListId", -1)
      .kv_str("clientOrderId", cancel_client_id)
      .kv_num("transactTime", transact_ms);
  write_order_core(w, ins, o);
  w.kv_str("selfTradePreventionMode", "NONE").end_object();
}

void write_trade(JsonWriter& w, const Instrument& ins, const exchange::TradeReport& t) {
  w.begin_object()
      .kv_str("symbol", t.symbol)
      .kv_num("id", t.trade_id)
      .kv_num("orderId", t.order_id)
      .kv_num("orderListId", -1)
      .kv_str("price", ins.format_price(t.price_ticks))
      .kv_str("qty", ins.format_qty(t.qty_lots))
      .kv_str("quoteQty", e8_string(ins.notional_e8(t.price_ticks, t.qty_lots)))
      .kv_str("commission", e8_string(t.commission_e8))
      .kv_str("commissionAsset", t.commission_asset)
      .kv_num("time", ns_to_ms(t.ts_exchange_ns))
      .kv_bool("isBuyer", t.side == Side::kBuy)
      .kv_bool("isMaker", t.is_maker)
      .kv_bool("isBestMatch", true)
      .end_object();
}

std::string render_execution_report(const Instrument& ins, const ExecutionReport& r,
                                    const ExecContext& ctx) {
  const OrderReport& o = r.order;
  const bool trade = r.exec_type == ExecType::kTrade;
  const bool cancel = r.exec_type == ExecType::kCanceled && !ctx.cancel_client_id.empty();
  const int64_t transact_ms = trade ? ns_to_ms(r.trade.ts_exchange_ns) : ns_to_ms(o.ts_update_ns);
  JsonWriter w;
  w.begin_object()
      .kv_str("e", "executionReport").kv_num("E", ctx.event_ms).kv_str("s", o.symbol)
      .kv_str("c", cancel ? ctx.cancel_client_id : o.client_order_id)
      .kv_str("S", side_name(o.side)).kv_str("o", "LIMIT_MAKER").kv_str("f", "GTC")
      .kv_str("q", ins.format_qty(o.qty_lots)).kv_str("p", ins.format_price(o.price_ticks))
      .kv_str("P", kZero).kv_str("F", kZero).kv_num("g", -1)
      .kv_str("C", cancel ? o.client_order_id : "")
      .kv_str("x", exec_type_name(r.exec_type)).kv_str("X", exchange::order_status_name(o.status))
      .kv_str("r", "NONE").kv_num("i", o.order_id)
      .kv_str("l", trade ? ins.format_qty(r.trade.qty_lots) : kZero)
      .kv_str("z", ins.format_qty(o.executed_lots))
      .kv_str("L", trade ? ins.format_price(r.trade.price_ticks) : kZero)
      .kv_str("n", trade ? e8_string(r.trade.commission_e8) : "0");
  if (trade) {
    w.kv_str("N", r.trade.commission_asset);
  } else {
    w.key("N").null();
  }
  w.kv_num("T", transact_ms).kv_num("t", trade ? r.trade.trade_id : -1).kv_num("I", exec_id(r))
      .kv_bool("w", exchange::is_open(o.status)).kv_bool("m", trade).kv_bool("M", false)
      .kv_num("O", ctx.created_ms).kv_str("Z", cum_quote(ins, o))
      .kv_str("Y", trade ? e8_string(ins.notional_e8(r.trade.price_ticks, r.trade.qty_lots)) : kZero)
      .kv_str("Q", kZero).kv_num("W", ctx.created_ms).kv_str("V", "NONE")
      .end_object();
  return w.take();
}

std::string render_balance_update(const exchange::BalanceUpdate& u, int64_t event_ms) {
  JsonWriter w;
  w.begin_object()
      .kv_str("e", "balanceUpdate")
      .kv_num("E", event_ms)
      .kv_str("a", u.asset)
      .kv_str("d", e8_string(u.delta_e8))
      .kv_num("T", u.clear_time_ms)
      .end_object();
  return w.take();
}

std::string render_account_position(const std::vector<std::string>& assets,
                                    const exchange::Balances& b, int64_t event_ms) {
  JsonWriter w;
  w.begin_object()
      .kv_str("e", "outboundAccountPosition")
      .kv_num("E", event_ms)
      .kv_num("u", event_ms)
      .key("B")
      .begin_array();
  for (const std::string& asset : assets) {
    auto it = b.find(asset);
    const exchange::AssetBalance bal = it == b.end() ? exchange::AssetBalance{} : it->second;
    w.begin_object()
        .kv_str("a", asset)
        .kv_str("f", e8_string(bal.free_e8))
        .kv_str("l", e8_string(bal.locked_e8))
        .end_object();
  }
  w.end_array().end_object();
  return w.take();
}

std::string render_depth_update(const market::DepthDiff& d, std::string_view symbol) {
  JsonWriter w;
  w.begin_object()
      .kv_str("e", "depthUpdate")
      .kv_num("E", ns_to_ms(d.ts_exchange_ns))
      .kv_str("s", symbol)
      .kv_num("U", d.first_update_id)
      .kv_num("u", d.final_update_id)
      .key("b");
  write_levels(w, d.bids);
  w.key("a");
  write_levels(w, d.asks);
  w.end_object();
  return w.take();
}

std::string render_book_ticker(const market::BookTicker& t, std::string_view symbol) {
  JsonWriter w;
  w.begin_object()
      .kv_num("u", t.update_id)
      .kv_str("s", symbol)
      .kv_str("b", e8_string(t.bid_price_e8))
      .kv_str("B", e8_string(t.bid_qty_e8))
      .kv_str("a", e8_string(t.ask_price_e8))
      .kv_str("A", e8_string(t.ask_qty_e8))
      .end_object();
  return w.take();
}

std::string render_trade_event(const market::Trade& t, std::string_view symbol) {
  const int64_t ms = ns_to_ms(t.ts_exchange_ns);
  JsonWriter w;
  w.begin_object()
      .kv_str("e", "trade")
      .kv_num("E", ms)
      .kv_str("s", symbol)
      .kv_num("t", t.trade_id)
      .kv_str("p", e8_string(t.price_e8))
      .kv_str("q", e8_string(t.qty_e8))
      .kv_num("T", ms)
      .kv_bool("m", t.buyer_is_maker)
      .kv_bool("M", true)
      .end_object();
  return w.take();
}

}  // namespace keel::simserver
