// The Binance decoders on the documented messages of reference/binance-spot.md (copied below as
// fixtures, with the section each comes from) and on malformed input: errors name the field.
#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "keel/exchange/binance/decode.h"

namespace keel::exchange::binance {
namespace {

Instrument make(const char* symbol, const char* base, const char* quote, const char* tick,
                const char* step) {
  auto ins = Instrument::make(symbol, base, quote, tick, step, "0");
  EXPECT_TRUE(ins.ok()) << ins.status().ToString();
  return *ins;
}

const Instrument kLtcBtc = make("LTCBTC", "LTC", "BTC", "0.00000100", "0.00100000");
const Instrument kBtcUsdt = make("BTCUSDT", "BTC", "USDT", "0.01000000", "0.00001000");
const Instrument kBnbBtc = make("BNBBTC", "BNB", "BTC", "0.00000001", "0.01000000");
const Instrument kEthBtc = make("ETHBTC", "ETH", "BTC", "0.00000001", "0.00010000");

// `json` with the first occurrence of `from` replaced by `to` (a fixture variant).
std::string with(std::string json, const std::string& from, const std::string& to) {
  const size_t at = json.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at == std::string::npos) return json;
  return json.replace(at, from.size(), to);
}

// Expects an error whose message contains `field`.
template <class T>
void expect_error_names(const Result<T>& r, const std::string& field) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << r.status().ToString();
  EXPECT_NE(r.status().message().find(field), std::string::npos)
      << "'" << r.status().message() << "' does not name " << field;
}

// ---- §0 error body, §1 server time --------------------------------------------------------

TEST(BinanceDecode, ErrorBody) {
  auto e = decode_error_body(R"({"code": -1121, "msg": "Invalid symbol."})");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->code, -1121);
  EXPECT_EQ(e->msg, "Invalid symbol.");
  auto post_only = decode_error_body(R"({"code":-2010,"msg":"Order would immediately match and take."})");
  ASSERT_TRUE(post_only.ok());
  EXPECT_EQ(post_only->code, -2010);
}

TEST(BinanceDecode, ErrorBodyMalformed) {
  expect_error_names(decode_error_body(R"({"msg":"x"})"), "code: missing");
  expect_error_names(decode_error_body(R"({"code":"-1121","msg":"x"})"), "code: not an int64");
  expect_error_names(decode_error_body(R"({"code":-1121})"), "msg: missing");
  expect_error_names(decode_error_body("<html>403 Forbidden</html>"), "json");
  expect_error_names(decode_error_body("[1,2]"), "json: not an object");
}

TEST(BinanceDecode, ServerTime) {
  auto t = decode_server_time_ms(R"({"serverTime": 1499827319559})");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, 1499827319559);
  expect_error_names(decode_server_time_ms(R"({"time":1})"), "serverTime: missing");
}

// ---- §3 exchangeInfo ------------------------------------------------------------------------

// The documented trimmed response with the filters of the §3 table.
const char* kExchangeInfo = R"({
  "timezone": "UTC", "serverTime": 1565246363776,
  "rateLimits": [{"rateLimitType":"REQUEST_WEIGHT","interval":"MINUTE","intervalNum":1,"limit":6000}],
  "exchangeFilters": [],
  "symbols": [{
    "symbol": "ETHBTC", "status": "TRADING",
    "baseAsset": "ETH", "baseAssetPrecision": 8, "quoteAsset": "BTC", "quotePrecision": 8, "quoteAssetPrecision": 8,
    "baseCommissionPrecision": 8, "quoteCommissionPrecision": 8,
    "orderTypes": ["LIMIT","LIMIT_MAKER","MARKET","STOP_LOSS","STOP_LOSS_LIMIT","TAKE_PROFIT","TAKE_PROFIT_LIMIT"],
    "icebergAllowed": true, "ocoAllowed": true, "otoAllowed": true, "opoAllowed": true,
    "quoteOrderQtyMarketAllowed": true, "allowTrailingStop": false,
    "cancelReplaceAllowed": false, "amendAllowed": false, "pegInstructionsAllowed": true,
    "isSpotTradingAllowed": true, "isMarginTradingAllowed": true,
    "filters": [
      {"filterType":"PRICE_FILTER","minPrice":"0.00000100","maxPrice":"100000.00000000","tickSize":"0.00000100"},
      {"filterType":"LOT_SIZE","minQty":"0.00100000","maxQty":"100000.00000000","stepSize":"0.00100000"},
      {"filterType":"MIN_NOTIONAL","minNotional":"0.00100000","applyToMarket":true,"avgPriceMins":5},
      {"filterType":"NOTIONAL","minNotional":"10.00000000","applyMinToMarket":false,"maxNotional":"10000.00000000","applyMaxToMarket":false,"avgPriceMins":5},
      {"filterType":"MAX_NUM_ORDERS","maxNumOrders":25}
    ],
    "permissions": [], "permissionSets": [["SPOT","MARGIN"]],
    "defaultSelfTradePreventionMode": "NONE", "allowedSelfTradePreventionModes": ["NONE"]
  }]
})";

TEST(BinanceDecode, ExchangeInfoFiltersMakeTheInstrument) {
  auto info = decode_exchange_info(kExchangeInfo, "ETHBTC");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  const Instrument& ins = info->instrument;
  EXPECT_EQ(ins.symbol, "ETHBTC");
  EXPECT_EQ(ins.base_asset, "ETH");
  EXPECT_EQ(ins.quote_asset, "BTC");
  EXPECT_EQ(ins.tick_e8, 100);
  EXPECT_EQ(ins.step_e8, 100'000);
  EXPECT_EQ(ins.min_qty_lots, 1);
  EXPECT_EQ(ins.min_notional_e8, 10 * kOneE8);  // NOTIONAL wins over the legacy MIN_NOTIONAL
  EXPECT_EQ(info->status, "TRADING");
  EXPECT_FALSE(info->cancel_replace_allowed);
  EXPECT_FALSE(info->amend_allowed);
  EXPECT_EQ(info->max_num_orders, 25);
}

TEST(BinanceDecode, ExchangeInfoErrors) {
  auto missing = decode_exchange_info(kExchangeInfo, "BTCUSDT");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  std::string no_price = with(kExchangeInfo, "PRICE_FILTER", "XPRICE_FILTR");
  expect_error_names(decode_exchange_info(no_price, "ETHBTC"),
                     "symbols[0].filters: PRICE_FILTER missing");
  std::string bad_tick = with(kExchangeInfo, "\"tickSize\":\"0.00000100\"", "\"tickSize\":\"0.0000x\"");
  expect_error_names(decode_exchange_info(bad_tick, "ETHBTC"), "symbols[0].filters");
  expect_error_names(decode_exchange_info(R"({"symbols":{}})", "ETHBTC"), "symbols: not an array");
}

// ---- §4 new order, cancel, amend, cancelReplace --------------------------------------------

const char* kOrderAck =
    R"({"symbol":"BTCUSDT","orderId":28,"orderListId":-1,"clientOrderId":"6gCrw2kRUAF9CvJDGP16IP","transactTime":1507725176595})";
const char* kOrderResult = R"({"symbol":"BTCUSDT","orderId":28,"orderListId":-1,"clientOrderId":"6gCrw2kRUAF9CvJDGP16IP","transactTime":1507725176595,
 "price":"0.00000000","origQty":"10.00000000","executedQty":"10.00000000","origQuoteOrderQty":"0.000000",
 "cummulativeQuoteQty":"10.00000000","status":"FILLED","timeInForce":"GTC","type":"MARKET","side":"SELL",
 "workingTime":1507725176595,"selfTradePreventionMode":"NONE"})";
const char* kOrderFull = R"({"symbol":"BTCUSDT","orderId":28,"orderListId":-1,"clientOrderId":"6gCrw2kRUAF9CvJDGP16IP","transactTime":1507725176595,
 "price":"0.00000000","origQty":"10.00000000","executedQty":"10.00000000","origQuoteOrderQty":"0.000000",
 "cummulativeQuoteQty":"10.00000000","status":"FILLED","timeInForce":"GTC","type":"MARKET","side":"SELL",
 "workingTime":1507725176595,"selfTradePreventionMode":"NONE",
 "fills":[{"price":"4000.00000000","qty":"1.00000000","commission":"4.00000000","commissionAsset":"USDT","tradeId":56}]})";

TEST(BinanceDecode, OrderAckHasNoState) {
  auto o = decode_order(kOrderAck, kBtcUsdt);
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->order_id, 28);
  EXPECT_EQ(o->client_order_id, "6gCrw2kRUAF9CvJDGP16IP");
  EXPECT_EQ(o->status, OrderStatus::kNew);
  EXPECT_EQ(o->qty_lots, 0);
  EXPECT_EQ(o->ts_update_ns, 1507725176595LL * 1'000'000);
}

TEST(BinanceDecode, OrderResultAndFull) {
  for (const char* json : {kOrderResult, kOrderFull}) {
    auto o = decode_order(json, kBtcUsdt);
    ASSERT_TRUE(o.ok()) << o.status().ToString();
    EXPECT_EQ(o->symbol, "BTCUSDT");
    EXPECT_EQ(o->side, Side::kSell);
    EXPECT_EQ(o->price_ticks, 0);
    EXPECT_EQ(o->qty_lots, 1'000'000);  // 10 BTC in 0.00001 lots
    EXPECT_EQ(o->executed_lots, 1'000'000);
    EXPECT_EQ(o->status, OrderStatus::kFilled);
  }
}

TEST(BinanceDecode, OrderMalformed) {
  std::string no_id = with(kOrderResult, "\"orderId\"", "\"orderIdX\"");
  expect_error_names(decode_order(no_id, kBtcUsdt), "orderId: missing");
  std::string bad_status = with(kOrderResult, "FILLED", "BOGUS!");
  expect_error_names(decode_order(bad_status, kBtcUsdt), "status: unknown order status");
  std::string bad_qty = with(kOrderResult, "\"origQty\":\"10.00000000\"", "\"origQty\":\"10.000001\"");
  expect_error_names(decode_order(bad_qty, kBtcUsdt), "origQty");  // not a multiple of the step
  std::string bad_side = with(kOrderResult, "\"SELL\"", "\"HOLD\"");
  expect_error_names(decode_order(bad_side, kBtcUsdt), "side");
  auto other = decode_order(kOrderResult, kLtcBtc);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().code(), Code::kNotFound);
}

const char* kCancel = R"({"symbol":"LTCBTC","origClientOrderId":"myOrder1","orderId":4,"orderListId":-1,"clientOrderId":"cancelMyOrder1",
 "transactTime":1684804350068,"price":"2.00000000","origQty":"1.00000000","executedQty":"0.00000000",
 "origQuoteOrderQty":"0.000000","cummulativeQuoteQty":"0.00000000","status":"CANCELED","timeInForce":"GTC",
 "type":"LIMIT","side":"BUY","selfTradePreventionMode":"NONE"})";

TEST(BinanceDecode, CancelTakesTheOrdersOwnId) {
  auto o = decode_cancel(kCancel, kLtcBtc);
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->client_order_id, "myOrder1");  // not the cancel's "cancelMyOrder1"
  EXPECT_EQ(o->order_id, 4);
  EXPECT_EQ(o->status, OrderStatus::kCanceled);
  EXPECT_EQ(o->price_ticks, 2'000'000);
  EXPECT_EQ(o->qty_lots, 1000);
  EXPECT_EQ(o->executed_lots, 0);
  EXPECT_EQ(o->side, Side::kBuy);
  std::string no_orig = with(kCancel, "\"origClientOrderId\"", "\"origClientOrderXX\"");
  expect_error_names(decode_cancel(no_orig, kLtcBtc), "origClientOrderId: missing");
}

const char* kAmend = R"({"transactTime":1741926410255,"executionId":75,
 "amendedOrder":{"symbol":"BTCUSDT","orderId":33,"orderListId":-1,"origClientOrderId":"5xrgbMyg6z36NzBn2pbT8H",
  "clientOrderId":"PFaq6hIHxqFENGfdtn4J6Q","price":"6.00000000","qty":"5.00000000","executedQty":"0.00000000",
  "preventedQty":"0.00000000","quoteOrderQty":"0.00000000","cumulativeQuoteQty":"0.00000000","status":"NEW",
  "timeInForce":"GTC","type":"LIMIT","side":"SELL","workingTime":1741926410242,"selfTradePreventionMode":"NONE"}})";

TEST(BinanceDecode, AmendKeepPriority) {
  auto o = decode_amend(kAmend, kBtcUsdt);
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->order_id, 33);
  EXPECT_EQ(o->client_order_id, "PFaq6hIHxqFENGfdtn4J6Q");
  EXPECT_EQ(o->price_ticks, 600);
  EXPECT_EQ(o->qty_lots, 500'000);  // "qty", not "origQty"
  EXPECT_EQ(o->status, OrderStatus::kNew);
  EXPECT_EQ(o->ts_update_ns, 1741926410255LL * 1'000'000);
  std::string no_qty = with(kAmend, "\"qty\"", "\"qtx\"");
  expect_error_names(decode_amend(no_qty, kBtcUsdt), "amendedOrder.qty: missing");
}

std::string replace_success() {
  std::string cancel = R"({"symbol":"LTCBTC","origClientOrderId":"myOrder1","orderId":4,"orderListId":-1,"clientOrderId":"cancelMyOrder1",
 "transactTime":1684804350068,"price":"2.00000000","origQty":"1.00000000","executedQty":"0.00000000",
 "origQuoteOrderQty":"0.000000","cummulativeQuoteQty":"0.00000000","status":"CANCELED","timeInForce":"GTC",
 "type":"LIMIT_MAKER","side":"BUY","selfTradePreventionMode":"NONE"})";
  std::string placed = R"({"symbol":"LTCBTC","orderId":5,"orderListId":-1,"clientOrderId":"myOrder2","transactTime":1684804350069,
 "price":"2.10000000","origQty":"1.00000000","executedQty":"0.00000000","origQuoteOrderQty":"0.000000",
 "cummulativeQuoteQty":"0.00000000","status":"NEW","timeInForce":"GTC","type":"LIMIT_MAKER","side":"BUY",
 "workingTime":1684804350069,"selfTradePreventionMode":"NONE"})";
  return R"({"cancelResult":"SUCCESS","newOrderResult":"SUCCESS","cancelResponse":)" + cancel +
         R"(,"newOrderResponse":)" + placed + "}";
}

TEST(BinanceDecode, CancelReplaceSuccess) {
  auto b = decode_cancel_replace(replace_success(), kLtcBtc);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->error.code, 0);
  EXPECT_EQ(b->cancel.result, PartResult::kSuccess);
  EXPECT_EQ(b->cancel.order.client_order_id, "myOrder1");
  EXPECT_EQ(b->cancel.order.status, OrderStatus::kCanceled);
  EXPECT_EQ(b->place.result, PartResult::kSuccess);
  EXPECT_EQ(b->place.order.client_order_id, "myOrder2");
  EXPECT_EQ(b->place.order.order_id, 5);
  EXPECT_EQ(b->place.order.price_ticks, 2'100'000);
}

TEST(BinanceDecode, CancelReplaceCancelFailed) {
  const char* json = R"({"code":-2022,"msg":"Order cancel-replace failed.",
 "data":{"cancelResult":"FAILURE","newOrderResult":"NOT_ATTEMPTED","cancelResponse":{"code":-2011,"msg":"Unknown order sent."},"newOrderResponse":null}})";
  auto b = decode_cancel_replace(json, kLtcBtc);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->error.code, -2022);
  EXPECT_EQ(b->cancel.result, PartResult::kFailure);
  EXPECT_EQ(b->cancel.error.code, -2011);
  EXPECT_EQ(b->cancel.error.msg, "Unknown order sent.");
  EXPECT_EQ(b->place.result, PartResult::kNotAttempted);
}

TEST(BinanceDecode, CancelReplacePartialFailure) {
  const char* json = R"({"code":-2021,"msg":"Order cancel-replace partially failed.",
 "data":{"cancelResult":"SUCCESS","newOrderResult":"FAILURE",
  "cancelResponse":{"symbol":"LTCBTC","origClientOrderId":"myOrder1","orderId":4,"orderListId":-1,"clientOrderId":"cancelMyOrder1",
   "transactTime":1684804350068,"price":"2.00000000","origQty":"1.00000000","executedQty":"0.00000000",
   "origQuoteOrderQty":"0.000000","cummulativeQuoteQty":"0.00000000","status":"CANCELED","timeInForce":"GTC",
   "type":"LIMIT_MAKER","side":"BUY","selfTradePreventionMode":"NONE"},
  "newOrderResponse":{"code":-2010,"msg":"Order would immediately match and take."}}})";
  auto b = decode_cancel_replace(json, kLtcBtc);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->error.code, -2021);
  EXPECT_EQ(b->cancel.result, PartResult::kSuccess);
  EXPECT_EQ(b->cancel.order.client_order_id, "myOrder1");
  EXPECT_EQ(b->place.result, PartResult::kFailure);
  EXPECT_EQ(b->place.error.code, -2010);
}

TEST(BinanceDecode, CancelReplaceMalformed) {
  expect_error_names(decode_cancel_replace(R"({"code":-1013,"msg":"Filter failure: LOT_SIZE"})", kLtcBtc),
                     "data: missing");
  expect_error_names(
      decode_cancel_replace(R"({"code":-2022,"msg":"x","data":{"cancelResult":"MAYBE","newOrderResult":"NOT_ATTEMPTED"}})",
                            kLtcBtc),
      "data.cancelResult: unknown result 'MAYBE'");
  expect_error_names(
      decode_cancel_replace(R"({"code":-2022,"msg":"x","data":{"cancelResult":"FAILURE","newOrderResult":"NOT_ATTEMPTED","cancelResponse":{"msg":"x"}}})",
                            kLtcBtc),
      "data.cancelResponse.code: missing");
}

// ---- §5 openOrders, order, myTrades, account ------------------------------------------------

const char* kOpenOrders = R"([{"symbol":"LTCBTC","orderId":1,"orderListId":-1,"clientOrderId":"myOrder1","price":"0.1","origQty":"1.0","executedQty":"0.0",
  "cummulativeQuoteQty":"0.0","status":"NEW","timeInForce":"GTC","type":"LIMIT","side":"BUY","stopPrice":"0.0","icebergQty":"0.0",
  "time":1499827319559,"updateTime":1499827319559,"isWorking":true,"origQuoteOrderQty":"0.000000","workingTime":1499827319559,
  "selfTradePreventionMode":"NONE"}])";

TEST(BinanceDecode, OpenOrders) {
  auto list = decode_open_orders(kOpenOrders, kLtcBtc);
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 1u);
  const OrderReport& o = (*list)[0];
  EXPECT_EQ(o.order_id, 1);
  EXPECT_EQ(o.client_order_id, "myOrder1");
  EXPECT_EQ(o.price_ticks, 100'000);  // 0.1 at tick 0.000001
  EXPECT_EQ(o.qty_lots, 1000);
  EXPECT_EQ(o.status, OrderStatus::kNew);
  EXPECT_EQ(o.ts_update_ns, 1499827319559LL * 1'000'000);
  auto empty = decode_open_orders("[]", kLtcBtc);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(BinanceDecode, OpenOrdersMalformed) {
  std::string bad = with(kOpenOrders, "\"price\":\"0.1\"", "\"price\":\"0.x\"");
  expect_error_names(decode_open_orders(bad, kLtcBtc), "[0].price");
  expect_error_names(decode_open_orders(R"({"code":-1})", kLtcBtc), "json: not an array");
  expect_error_names(decode_open_orders("[1]", kLtcBtc), "[0]: not an object");
}

TEST(BinanceDecode, QueriedOrderStatuses) {
  // GET /api/v3/order shares the openOrders shape; order statuses of enums.md.
  struct Case { const char* text; OrderStatus want; };
  for (const Case& c : {Case{"PARTIALLY_FILLED", OrderStatus::kPartiallyFilled},
                        Case{"EXPIRED", OrderStatus::kExpired},
                        Case{"EXPIRED_IN_MATCH", OrderStatus::kExpired},
                        Case{"REJECTED", OrderStatus::kRejected},
                        Case{"PENDING_NEW", OrderStatus::kNew}}) {
    std::string json(kOpenOrders);
    json = json.substr(1, json.size() - 2);
    json.replace(json.find("\"NEW\""), 5, std::string("\"") + c.text + "\"");
    auto o = decode_order(json, kLtcBtc);
    ASSERT_TRUE(o.ok()) << c.text << ": " << o.status().ToString();
    EXPECT_EQ(o->status, c.want) << c.text;
  }
}

// GET /api/v3/allOrders (rest-api.md "All orders"): elements of the openOrders shape, any type or
// status of the account (the documented element, then a filled MARKET order and a canceled one).
const char* kAllOrders = R"([{"symbol":"LTCBTC","orderId":1,"orderListId":-1,"clientOrderId":"myOrder1","price":"0.1","origQty":"1.0","executedQty":"0.0",
  "cummulativeQuoteQty":"0.0","status":"NEW","timeInForce":"GTC","type":"LIMIT","side":"BUY","stopPrice":"0.0","icebergQty":"0.0",
  "time":1499827319559,"updateTime":1499827319559,"isWorking":true,"origQuoteOrderQty":"0.000000","workingTime":1499827319559,
  "selfTradePreventionMode":"NONE"},
 {"symbol":"LTCBTC","orderId":2,"orderListId":-1,"clientOrderId":"web_abc","price":"0.00000000","origQty":"2.00000000","executedQty":"2.00000000",
  "cummulativeQuoteQty":"-1.00000000","status":"FILLED","timeInForce":"GTC","type":"MARKET","side":"SELL","stopPrice":"0.00000000","icebergQty":"0.00000000",
  "time":1499827319600,"updateTime":1499827319601,"isWorking":true,"origQuoteOrderQty":"0.00000000","workingTime":1499827319600,
  "selfTradePreventionMode":"NONE"},
 {"symbol":"LTCBTC","orderId":3,"orderListId":-1,"clientOrderId":"k2abcdef-grid1-1","price":"0.00012300","origQty":"1.00000000","executedQty":"0.00000000",
  "cummulativeQuoteQty":"0.00000000","status":"CANCELED","timeInForce":"GTC","type":"LIMIT_MAKER","side":"BUY","stopPrice":"0.00000000","icebergQty":"0.00000000",
  "time":1499827319700,"updateTime":1499827319800,"isWorking":true,"origQuoteOrderQty":"0.00000000","workingTime":-1,
  "selfTradePreventionMode":"NONE"}])";

TEST(BinanceDecode, AllOrders) {
  auto list = decode_open_orders(kAllOrders, kLtcBtc);
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[0].order_id, 1);
  EXPECT_EQ((*list)[0].client_order_id, "myOrder1");
  EXPECT_EQ((*list)[1].price_ticks, 0);  // MARKET
  EXPECT_EQ((*list)[1].executed_lots, 2000);
  EXPECT_EQ((*list)[1].status, OrderStatus::kFilled);
  EXPECT_EQ((*list)[1].side, Side::kSell);
  EXPECT_EQ((*list)[2].client_order_id, "k2abcdef-grid1-1");
  EXPECT_EQ((*list)[2].price_ticks, 123);
  EXPECT_EQ((*list)[2].status, OrderStatus::kCanceled);
  EXPECT_EQ((*list)[2].ts_update_ns, 1499827319800LL * 1'000'000);  // updateTime, not workingTime
}

const char* kMyTrades = R"([{"symbol":"BNBBTC","id":28457,"orderId":100234,"orderListId":-1,"price":"4.00000100","qty":"12.00000000","quoteQty":"48.000012",
  "commission":"10.10000000","commissionAsset":"BNB","time":1499865549590,"isBuyer":true,"isMaker":false,"isBestMatch":true}])";

TEST(BinanceDecode, MyTrades) {
  auto trades = decode_my_trades(kMyTrades, kBnbBtc);
  ASSERT_TRUE(trades.ok()) << trades.status().ToString();
  ASSERT_EQ(trades->size(), 1u);
  const TradeReport& t = (*trades)[0];
  EXPECT_EQ(t.symbol, "BNBBTC");
  EXPECT_EQ(t.trade_id, 28457);
  EXPECT_EQ(t.order_id, 100234);
  EXPECT_TRUE(t.client_order_id.empty());  // myTrades has none; the connector fills it
  EXPECT_EQ(t.side, Side::kBuy);
  EXPECT_EQ(t.price_ticks, 400'000'100);
  EXPECT_EQ(t.qty_lots, 1200);
  EXPECT_EQ(t.commission_e8, 1'010'000'000);
  EXPECT_EQ(t.commission_asset, "BNB");
  EXPECT_FALSE(t.is_maker);
  EXPECT_EQ(t.ts_exchange_ns, 1499865549590LL * 1'000'000);
}

TEST(BinanceDecode, MyTradesMalformed) {
  std::string bad = with(kMyTrades, "\"isBuyer\":true", "\"isBuyer\":\"yes\"");
  expect_error_names(decode_my_trades(bad, kBnbBtc), "[0].isBuyer: not a bool");
  std::string no_comm = with(kMyTrades, "\"commission\"", "\"commissioX\"");
  expect_error_names(decode_my_trades(no_comm, kBnbBtc), "[0].commission: missing");
}

const char* kAccount = R"({"makerCommission":15,"takerCommission":15,"buyerCommission":0,"sellerCommission":0,
 "commissionRates":{"maker":"0.00150000","taker":"0.00150000","buyer":"0.00000000","seller":"0.00000000"},
 "canTrade":true,"canWithdraw":true,"canDeposit":true,"brokered":false,"requireSelfTradePrevention":false,"preventSor":false,
 "updateTime":123456789,"accountType":"SPOT",
 "balances":[{"asset":"BTC","free":"4723846.89208129","locked":"0.00000000"},{"asset":"LTC","free":"4763368.68006011","locked":"0.00000000"}],
 "permissions":["SPOT"],"uid":354937868})";

TEST(BinanceDecode, Account) {
  auto b = decode_account(kAccount);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  ASSERT_EQ(b->size(), 2u);
  EXPECT_EQ(b->at("BTC").free_e8, 472384689208129);
  EXPECT_EQ(b->at("BTC").locked_e8, 0);
  EXPECT_EQ(b->at("LTC").free_e8, 476336868006011);
}

TEST(BinanceDecode, AccountMalformed) {
  std::string bad = with(kAccount, "\"free\":\"4763368.68006011\"", "\"free\":4763368.68006011");
  expect_error_names(decode_account(bad), "balances[1].free: not a string");
  expect_error_names(decode_account(R"({"balances":[{"asset":"BTC","free":"1e4","locked":"0"}]})"),
                     "balances[0].free");
  expect_error_names(decode_account(R"({"balances":[{"asset":"BTC","free":"1.","locked":"0"}]})"),
                     "balances[0].free");
  expect_error_names(decode_account(R"({"balances":[{"asset":"BTC","free":"1","locked":"x"}]})"),
                     "balances[0].locked");
  expect_error_names(decode_account(R"({"balances":[{"asset":"BTC","free":"1"}]})"),
                     "balances[0].locked: missing");
  expect_error_names(decode_account(R"({"canTrade":true})"), "balances: missing");
}

// A real account held 1e11 units of an airdropped token and connect() failed: an amount that
// does not fit int64 at 10^-8 keeps its asset with exact = false and zero amounts.
TEST(BinanceDecode, AccountAmountsThatDoNotFitAreInexactNotErrors) {
  const std::string huge = with(
      kAccount, R"({"asset":"LTC","free":"4763368.68006011","locked":"0.00000000"})",
      R"({"asset":"LTC","free":"4763368.68006011","locked":"0.00000000"},)"
      R"({"asset":"AIRDROP","free":"100000000000.00000000","locked":"0.00000000"},)"
      R"({"asset":"MEME","free":"0.00000000","locked":"99999999999999999999.12345678"},)"
      R"({"asset":"FINE","free":"1.123456789","locked":"0.00000000"},)"
      R"({"asset":"EDGE","free":"92233720368.54775807","locked":"0.00000000"},)"
      R"({"asset":"OVER","free":"92233720368.54775808","locked":"0.00000000"})");
  auto b = decode_account(huge);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  ASSERT_EQ(b->size(), 7u);
  EXPECT_TRUE(b->at("BTC").exact);  // the reference's own example fits
  EXPECT_EQ(b->at("BTC").free_e8, 472384689208129);
  EXPECT_TRUE(b->at("LTC").exact);
  EXPECT_EQ(b->at("LTC").free_e8, 476336868006011);
  for (const char* asset : {"AIRDROP", "MEME", "FINE", "OVER"}) {
    const AssetBalance& a = b->at(asset);
    EXPECT_FALSE(a.exact) << asset;
    EXPECT_EQ(a.free_e8, 0) << asset;
    EXPECT_EQ(a.locked_e8, 0) << asset;
  }
  EXPECT_TRUE(b->at("EDGE").exact);  // INT64_MAX at 10^-8 still fits
  EXPECT_EQ(b->at("EDGE").free_e8, std::numeric_limits<int64_t>::max());
}

// ---- §6 WebSocket API response, executionReport, outboundAccountPosition -------------------

TEST(BinanceDecode, WsApiResponse) {
  auto ok = decode_ws_api_response(R"({"id":"keel-sub-1","status":200,"result":{"subscriptionId":0}})");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->id, "keel-sub-1");
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(ok->subscription_id, 0);
  EXPECT_EQ(ok->error.code, 0);
  auto err = decode_ws_api_response(
      R"({"id":7,"status":400,"error":{"code":-1022,"msg":"Signature for this request is not valid."}})");
  ASSERT_TRUE(err.ok()) << err.status().ToString();
  EXPECT_EQ(err->id, "7");
  EXPECT_EQ(err->error.code, -1022);
  expect_error_names(decode_ws_api_response(R"({"id":1,"result":{}})"), "status: missing");
  expect_error_names(decode_ws_api_response(R"({"id":1,"status":400})"), "error: missing");
}

// The documented example (comments removed: JSON has none).
const char* kExecNew = R"({"subscriptionId":0,"event":{
 "e":"executionReport","E":1499405658658,"s":"ETHBTC",
 "c":"mUvoqJxFIILMdfAW5iGSOW",
 "S":"BUY","o":"LIMIT","f":"GTC","q":"1.00000000","p":"0.10264410","P":"0.00000000","F":"0.00000000","g":-1,
 "C":"",
 "x":"NEW",
 "X":"NEW",
 "r":"NONE",
 "i":4293153,
 "l":"0.00000000",
 "z":"0.00000000",
 "L":"0.00000000",
 "n":"0","N":null,
 "T":1499405658657,
 "t":-1,
 "v":3,
 "I":8641984,
 "w":true,"m":false,"M":false,
 "O":1499405658657,
 "Z":"0.00000000",
 "Y":"0.00000000",
 "Q":"0.00000000",
 "W":1499405658657,
 "V":"NONE"}})";

TEST(BinanceDecode, ExecutionReportNew) {
  auto er = decode_execution_report(kExecNew, kEthBtc);
  ASSERT_TRUE(er.ok()) << er.status().ToString();
  EXPECT_EQ(er->exec_type, ExecType::kNew);
  EXPECT_EQ(er->order.symbol, "ETHBTC");
  EXPECT_EQ(er->order.order_id, 4293153);
  EXPECT_EQ(er->order.client_order_id, "mUvoqJxFIILMdfAW5iGSOW");
  EXPECT_EQ(er->order.side, Side::kBuy);
  EXPECT_EQ(er->order.price_ticks, 10264410);
  EXPECT_EQ(er->order.qty_lots, 10000);
  EXPECT_EQ(er->order.executed_lots, 0);
  EXPECT_EQ(er->order.status, OrderStatus::kNew);
  EXPECT_EQ(er->order.ts_update_ns, 1499405658657LL * 1'000'000);
}

TEST(BinanceDecode, ExecutionReportCancelUsesOriginalId) {
  std::string json = with(kExecNew, R"("c":"mUvoqJxFIILMdfAW5iGSOW")", R"("c":"cancelReq7")");
  json = with(json, R"("C":"")", R"("C":"mUvoqJxFIILMdfAW5iGSOW")");
  json = with(json, R"("x":"NEW")", R"("x":"CANCELED")");
  json = with(json, R"("X":"NEW")", R"("X":"CANCELED")");
  auto er = decode_execution_report(json, kEthBtc);
  ASSERT_TRUE(er.ok()) << er.status().ToString();
  EXPECT_EQ(er->exec_type, ExecType::kCanceled);
  EXPECT_EQ(er->order.client_order_id, "mUvoqJxFIILMdfAW5iGSOW");  // C, not the cancel's c
  EXPECT_EQ(er->order.status, OrderStatus::kCanceled);
}

TEST(BinanceDecode, ExecutionReportTrade) {
  std::string json = with(kExecNew, R"("x":"NEW")", R"("x":"TRADE")");
  json = with(json, R"("X":"NEW")", R"("X":"PARTIALLY_FILLED")");
  json = with(json, R"("l":"0.00000000")", R"("l":"0.40000000")");
  json = with(json, R"("z":"0.00000000")", R"("z":"0.40000000")");
  json = with(json, R"("L":"0.00000000")", R"("L":"0.10264410")");
  json = with(json, R"("n":"0","N":null)", R"("n":"0.00004106","N":"BTC")");
  json = with(json, R"("t":-1)", R"("t":12345)");
  json = with(json, R"("m":false)", R"("m":true)");
  auto er = decode_execution_report(json, kEthBtc);
  ASSERT_TRUE(er.ok()) << er.status().ToString();
  EXPECT_EQ(er->exec_type, ExecType::kTrade);
  EXPECT_EQ(er->order.status, OrderStatus::kPartiallyFilled);
  EXPECT_EQ(er->order.executed_lots, 4000);
  const TradeReport& t = er->trade;
  EXPECT_EQ(t.trade_id, 12345);
  EXPECT_EQ(t.order_id, 4293153);
  EXPECT_EQ(t.client_order_id, "mUvoqJxFIILMdfAW5iGSOW");
  EXPECT_EQ(t.price_ticks, 10264410);
  EXPECT_EQ(t.qty_lots, 4000);
  EXPECT_EQ(t.commission_e8, 4106);
  EXPECT_EQ(t.commission_asset, "BTC");
  EXPECT_TRUE(t.is_maker);
  EXPECT_EQ(t.side, Side::kBuy);
}

TEST(BinanceDecode, ExecutionReportMalformed) {
  expect_error_names(decode_execution_report(with(kExecNew, R"("x":"NEW")", R"("x":"BOGUS")"), kEthBtc),
                     "event.x: unknown execution type");
  expect_error_names(decode_execution_report(with(kExecNew, R"("i":4293153)", R"("i":"4293153")"), kEthBtc),
                     "event.i: not an int64");
  expect_error_names(decode_execution_report(with(kExecNew, R"("p":"0.10264410")", R"("p":"0.1026441x")"), kEthBtc),
                     "event.p");
  std::string trade_without_id = with(kExecNew, R"("x":"NEW")", R"("x":"TRADE")");
  expect_error_names(decode_execution_report(trade_without_id, kEthBtc), "event.t");
  auto other = decode_execution_report(kExecNew, kBtcUsdt);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().code(), Code::kNotFound);
}

const char* kPosition = R"({"subscriptionId":0,"event":{"e":"outboundAccountPosition","E":1564034571105,"u":1564034571073,
  "B":[{"a":"ETH","f":"10000.000000","l":"0.000000"}]}})";

TEST(BinanceDecode, OutboundAccountPosition) {
  auto b = decode_account_position(kPosition);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  ASSERT_EQ(b->size(), 1u);
  EXPECT_EQ(b->at("ETH").free_e8, 10000 * kOneE8);
  EXPECT_EQ(b->at("ETH").locked_e8, 0);
  expect_error_names(decode_account_position(with(kPosition, R"("f":"10000.000000")", R"("f":"1e4")")),
                     "event.B[0].f");
  expect_error_names(decode_account_position(with(kPosition, R"("B":)", R"("b":)")), "event.B: missing");
  // Same rule as the account: an amount that does not fit is inexact, not an error.
  auto huge = decode_account_position(with(kPosition, R"([{"a":"ETH","f":"10000.000000","l":"0.000000"}])",
                                           R"([{"a":"ETH","f":"10000.000000","l":"0.000000"},)"
                                           R"({"a":"AIRDROP","f":"100000000000.00000000","l":"0.00000000"},)"
                                           R"({"a":"MEME","f":"1.00000000","l":"99999999999999999999.12345678"}])"));
  ASSERT_TRUE(huge.ok()) << huge.status().ToString();
  EXPECT_TRUE(huge->at("ETH").exact);
  EXPECT_FALSE(huge->at("AIRDROP").exact);
  EXPECT_EQ(huge->at("AIRDROP").free_e8, 0);
  EXPECT_FALSE(huge->at("MEME").exact);
  EXPECT_EQ(huge->at("MEME").free_e8, 0);  // both amounts 0 when either does not fit
  EXPECT_EQ(huge->at("MEME").locked_e8, 0);
}

// §6 "Also balanceUpdate ({"e":"balanceUpdate","E":…,"a":"BTC","d":"100.00000000","T":…})";
// the times are user-data-stream.md's example.
const char* kBalanceUpdate =
    R"({"subscriptionId":0,"event":{"e":"balanceUpdate","E":1573200697110,"a":"BTC","d":"100.00000000","T":1573200697068}})";

TEST(BinanceDecode, BalanceUpdate) {
  auto u = decode_balance_update(kBalanceUpdate);
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->asset, "BTC");
  EXPECT_EQ(u->delta_e8, 100 * kOneE8);
  EXPECT_EQ(u->event_time_ms, 1573200697110);
  EXPECT_EQ(u->clear_time_ms, 1573200697068);
  // The legacy listenKey stream sends the same event bare.
  auto bare = decode_balance_update(
      R"({"e":"balanceUpdate","E":1573200697110,"a":"USDT","d":"-12.50000000","T":1573200697068})");
  ASSERT_TRUE(bare.ok()) << bare.status().ToString();
  EXPECT_EQ(bare->asset, "USDT");
  EXPECT_EQ(bare->delta_e8, -1'250'000'000);  // a withdrawal
  auto user = decode_user_event(kBalanceUpdate, kEthBtc);
  ASSERT_TRUE(user.ok()) << user.status().ToString();
  EXPECT_EQ(user->kind, UserEventKind::kBalanceUpdate);
  EXPECT_EQ(user->balance_update.delta_e8, 100 * kOneE8);
  EXPECT_EQ(user->ts_event_ns, 1573200697110LL * 1'000'000);
}

TEST(BinanceDecode, BalanceUpdateMalformed) {
  // A delta that does not fit int64 at 10^-8 is an error (it cannot be folded exactly).
  expect_error_names(decode_balance_update(with(kBalanceUpdate, R"("d":"100.00000000")",
                                                R"("d":"100000000000.00000000")")),
                     "event.d");
  expect_error_names(decode_balance_update(with(kBalanceUpdate, R"("d":"100.00000000")",
                                                R"("d":"-99999999999999999999.12345678")")),
                     "event.d");
  expect_error_names(decode_user_event(with(kBalanceUpdate, R"("d":"100.00000000")",
                                            R"("d":"0.000000001")"), kEthBtc),
                     "event.d");
  expect_error_names(decode_balance_update(with(kBalanceUpdate, R"("d":"100.00000000")", R"("d":100)")),
                     "event.d: not a string");
  expect_error_names(decode_balance_update(with(kBalanceUpdate, R"("a":"BTC")", R"("a":"")")), "event.a: empty");
  expect_error_names(decode_balance_update(with(kBalanceUpdate, R"("T":1573200697068)", R"("T":-1)")),
                     "event.T: negative");
  expect_error_names(decode_balance_update(with(kBalanceUpdate, R"("E":1573200697110,)", "")), "event.E: missing");
  expect_error_names(decode_balance_update(kPosition), "event.e: not balanceUpdate");
}

TEST(BinanceDecode, UserEventDispatch) {
  auto exec = decode_user_event(kExecNew, kEthBtc);
  ASSERT_TRUE(exec.ok()) << exec.status().ToString();
  EXPECT_EQ(exec->kind, UserEventKind::kExecutionReport);
  EXPECT_EQ(exec->ts_event_ns, 1499405658658LL * 1'000'000);
  auto pos = decode_user_event(kPosition, kEthBtc);
  ASSERT_TRUE(pos.ok()) << pos.status().ToString();
  EXPECT_EQ(pos->kind, UserEventKind::kAccountPosition);
  EXPECT_EQ(pos->balances.at("ETH").free_e8, 10000 * kOneE8);
  auto term = decode_user_event(R"({"subscriptionId":0,"event":{"e":"eventStreamTerminated","E":1728973001334}})", kEthBtc);
  ASSERT_TRUE(term.ok());
  EXPECT_EQ(term->kind, UserEventKind::kStreamTerminated);
  auto down = decode_user_event(R"({"e":"serverShutdown","E":1})", kEthBtc);  // bare (legacy) shape
  ASSERT_TRUE(down.ok());
  EXPECT_EQ(down->kind, UserEventKind::kServerShutdown);
  auto balance = decode_user_event(R"({"subscriptionId":0,"event":{"e":"balanceUpdate","E":1,"a":"BTC","d":"100.00000000","T":2}})", kEthBtc);
  ASSERT_TRUE(balance.ok());
  EXPECT_EQ(balance->kind, UserEventKind::kBalanceUpdate);
  auto other = decode_user_event(R"({"subscriptionId":0,"event":{"e":"externalLockUpdate","E":1,"a":"BTC","d":"1.00000000","T":2}})", kEthBtc);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->kind, UserEventKind::kOther);
  expect_error_names(decode_user_event(R"({"subscriptionId":0,"event":{"E":1}})", kEthBtc), "event.e: missing");
  expect_error_names(decode_user_event(R"({"subscriptionId":"0","event":{"e":"x"}})", kEthBtc), "subscriptionId");
}

}  // namespace
}  // namespace keel::exchange::binance
