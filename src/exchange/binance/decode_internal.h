// Object-level decoders shared by the decode_*.cc files (the public ones parse, then call these).
#pragma once

#include <span>
#include <vector>

#include "json.h"
#include "keel/exchange/binance/decode.h"

namespace keel::exchange::binance::detail {

Status error_obj(const json::Obj& o, ErrorBody& out);
// An order object (order response, query, openOrders element). `id_key` names the field that
// holds the order's own client id: "clientOrderId", or "origClientOrderId" in a cancel response.
Status order_obj(const json::Obj& o, const Instrument& ins, std::string_view id_key,
                 OrderReport& out);
// The symbol field `key` must equal ins.symbol; kNotFound otherwise (another market).
Status check_symbol(const json::Obj& o, std::string_view key, const Instrument& ins);
// `out` = the instrument among `instruments` whose symbol is the field `key`; kNotFound when
// none is (another market: "symbol X is not Y" for one, "... is not one of Y, Z" for several).
Status pick_instrument(const json::Obj& o, std::string_view key,
                       std::span<const Instrument> instruments, const Instrument*& out);
// A wrapped user-data frame {"subscriptionId":N,"event":{..}} yields the event; a bare event
// yields itself.
Status unwrap_event(json::element root, json::Obj& event);
// [{"asset"|"a", "free"|"f", "locked"|"l"}, ...] -> Balances (account, outboundAccountPosition).
Status balances_array(const json::Obj& at, std::string_view key, std::string_view asset_key,
                      std::string_view free_key, std::string_view locked_key, Balances& out);

// A top-level JSON array of objects (openOrders, myTrades): `each(obj, out_item)` decodes one
// element, whose errors name it "[i].field".
template <class T, class Each>
Result<std::vector<T>> array_of(std::string_view text, Each&& each) {
  auto root = json::parse(text);
  if (!root.ok()) return root.status();
  json::array items;
  if (root->get_array().get(items) != simdjson::SUCCESS) {
    return Status::InvalidArgument("json: not an array");
  }
  std::vector<T> out;
  out.reserve(items.size());
  const json::Obj top{};
  size_t i = 0;
  for (json::element item : items) {
    json::Obj o;
    KEEL_RETURN_IF_ERROR(json::element_object(item, top, "", i++, o));
    T t;
    KEEL_RETURN_IF_ERROR(each(o, t));
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace keel::exchange::binance::detail
