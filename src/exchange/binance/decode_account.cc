// Decoders of account-level responses: account balances, myTrades, exchangeInfo
// (reference/binance-spot.md §3, §5).
#include "decode_internal.h"

namespace keel::exchange::binance {

namespace detail {

Status balances_array(const json::Obj& at, std::string_view key, std::string_view asset_key,
                      std::string_view free_key, std::string_view locked_key, Balances& out) {
  json::array items;
  KEEL_RETURN_IF_ERROR(json::child_array(at, key, items));
  size_t i = 0;
  for (json::element item : items) {
    json::Obj b;
    KEEL_RETURN_IF_ERROR(json::element_object(item, at, key, i++, b));
    std::string_view asset;
    KEEL_RETURN_IF_ERROR(json::str(b, asset_key, asset));
    if (asset.empty()) return json::bad(b, asset_key, "empty");
    // An amount that does not fit int64 at 10^-8 (an airdropped token's 1e11 units) keeps the
    // asset with exact = false and both amounts 0, never an error (exchange.h AssetBalance).
    AssetBalance bal;
    bool free_fits = true, locked_fits = true;
    KEEL_RETURN_IF_ERROR(json::e8_if_fits(b, free_key, bal.free_e8, free_fits));
    KEEL_RETURN_IF_ERROR(json::e8_if_fits(b, locked_key, bal.locked_e8, locked_fits));
    if (!free_fits || !locked_fits) bal = AssetBalance{0, 0, false};
    out[std::string(asset)] = bal;
  }
  return Status::Ok();
}

}  // namespace detail

namespace {

Status trade_obj(const json::Obj& o, const Instrument& ins, TradeReport& t) {
  KEEL_RETURN_IF_ERROR(detail::check_symbol(o, "symbol", ins));
  t.symbol = ins.symbol;
  KEEL_RETURN_IF_ERROR(json::i64(o, "id", t.trade_id));
  KEEL_RETURN_IF_ERROR(json::i64(o, "orderId", t.order_id));
  KEEL_RETURN_IF_ERROR(json::ticks(o, "price", ins, t.price_ticks));
  KEEL_RETURN_IF_ERROR(json::lots(o, "qty", ins, t.qty_lots));
  KEEL_RETURN_IF_ERROR(json::e8(o, "commission", t.commission_e8));
  std::string_view asset;
  KEEL_RETURN_IF_ERROR(json::str(o, "commissionAsset", asset));
  t.commission_asset.assign(asset);
  KEEL_RETURN_IF_ERROR(json::ms_as_ns(o, "time", t.ts_exchange_ns));
  bool is_buyer = false;
  KEEL_RETURN_IF_ERROR(json::boolean(o, "isBuyer", is_buyer));
  t.side = is_buyer ? Side::kBuy : Side::kSell;
  return json::boolean(o, "isMaker", t.is_maker);
}

// The filters this engine needs, as their exchangeInfo strings.
struct Filters {
  std::string_view tick_size, step_size, min_qty, min_notional = "0";
  bool have_price = false, have_lot = false, have_notional = false;
  int64_t max_num_orders = 0;
};

Status filter_obj(const json::Obj& f, Filters& out) {
  std::string_view type;
  KEEL_RETURN_IF_ERROR(json::str(f, "filterType", type));
  if (type == "PRICE_FILTER") {
    out.have_price = true;
    return json::str(f, "tickSize", out.tick_size);
  }
  if (type == "LOT_SIZE") {
    out.have_lot = true;
    KEEL_RETURN_IF_ERROR(json::str(f, "stepSize", out.step_size));
    return json::str(f, "minQty", out.min_qty);
  }
  if (type == "NOTIONAL" || (type == "MIN_NOTIONAL" && !out.have_notional)) {
    out.have_notional = type == "NOTIONAL";  // NOTIONAL (current) wins over the legacy filter
    return json::str(f, "minNotional", out.min_notional);
  }
  if (type == "MAX_NUM_ORDERS") return json::i64(f, "maxNumOrders", out.max_num_orders);
  return Status::Ok();
}

Status symbol_filters(const json::Obj& s, Filters& out) {
  json::array items;
  KEEL_RETURN_IF_ERROR(json::child_array(s, "filters", items));
  size_t i = 0;
  for (json::element item : items) {
    json::Obj f;
    KEEL_RETURN_IF_ERROR(json::element_object(item, s, "filters", i++, f));
    KEEL_RETURN_IF_ERROR(filter_obj(f, out));
  }
  if (!out.have_price) return json::bad(s, "filters", "PRICE_FILTER missing");
  if (!out.have_lot) return json::bad(s, "filters", "LOT_SIZE missing");
  return Status::Ok();
}

Status optional_bool(const json::Obj& o, std::string_view key, bool& out) {
  return json::has(o, key) ? json::boolean(o, key, out) : Status::Ok();
}

Result<SymbolInfo> symbol_info(const json::Obj& s, std::string_view symbol) {
  std::string_view status, base, quote;
  KEEL_RETURN_IF_ERROR(json::str(s, "status", status));
  KEEL_RETURN_IF_ERROR(json::str(s, "baseAsset", base));
  KEEL_RETURN_IF_ERROR(json::str(s, "quoteAsset", quote));
  Filters f;
  KEEL_RETURN_IF_ERROR(symbol_filters(s, f));
  auto ins = Instrument::make(std::string(symbol), std::string(base), std::string(quote),
                              f.tick_size, f.step_size, f.min_notional);
  if (!ins.ok()) return ins.status().With(s.path + "filters");
  auto min_qty = ins->parse_qty_lots(f.min_qty);
  if (!min_qty.ok()) return min_qty.status().With(s.path + "filters.LOT_SIZE.minQty");
  SymbolInfo out;
  out.instrument = std::move(*ins);
  if (*min_qty > 0) out.instrument.min_qty_lots = *min_qty;
  out.status.assign(status);
  out.max_num_orders = f.max_num_orders;
  KEEL_RETURN_IF_ERROR(optional_bool(s, "cancelReplaceAllowed", out.cancel_replace_allowed));
  KEEL_RETURN_IF_ERROR(optional_bool(s, "amendAllowed", out.amend_allowed));
  return out;
}

}  // namespace

Result<Balances> decode_account(std::string_view json) {
  auto root = json::parse(json);
  if (!root.ok()) return root.status();
  json::Obj o;
  KEEL_RETURN_IF_ERROR(json::as_object(*root, "", o));
  Balances out;
  KEEL_RETURN_IF_ERROR(detail::balances_array(o, "balances", "asset", "free", "locked", out));
  return out;
}

Result<Balances> decode_account_position(std::string_view json) {
  auto root = json::parse(json);
  if (!root.ok()) return root.status();
  json::Obj ev;
  KEEL_RETURN_IF_ERROR(detail::unwrap_event(*root, ev));
  std::string_view type;
  KEEL_RETURN_IF_ERROR(json::str(ev, "e", type));
  if (type != "outboundAccountPosition") return json::bad(ev, "e", "not outboundAccountPosition");
  Balances out;
  KEEL_RETURN_IF_ERROR(detail::balances_array(ev, "B", "a", "f", "l", out));
  return out;
}

Result<std::vector<TradeReport>> decode_my_trades(std::string_view json, const Instrument& ins) {
  return detail::array_of<TradeReport>(
      json, [&](const json::Obj& o, TradeReport& t) { return trade_obj(o, ins, t); });
}

Result<SymbolInfo> decode_exchange_info(std::string_view json, std::string_view symbol) {
  auto root = json::parse(json);
  if (!root.ok()) return root.status();
  json::Obj top;
  KEEL_RETURN_IF_ERROR(json::as_object(*root, "", top));
  json::array symbols;
  KEEL_RETURN_IF_ERROR(json::child_array(top, "symbols", symbols));
  size_t i = 0;
  for (json::element item : symbols) {
    json::Obj s;
    KEEL_RETURN_IF_ERROR(json::element_object(item, top, "symbols", i++, s));
    std::string_view name;
    KEEL_RETURN_IF_ERROR(json::str(s, "symbol", name));
    if (name == symbol) return symbol_info(s, symbol);
  }
  return Status::NotFound("symbols: no entry for " + std::string(symbol));
}

}  // namespace keel::exchange::binance
