// Public REST endpoints: ping, time, exchangeInfo, depth, bookTicker (binance-spot.md §3).
#include <algorithm>
#include <vector>

#include "keel/core/fixed.h"
#include "rest_internal.h"

namespace keel::simserver::rest {
namespace {

// Filter maxima of the sim (sim.h): price and quantity at most 10^9, notional at most 10^10.
constexpr const char* kMaxPrice = "1000000000.00000000";
constexpr const char* kMaxQty = "1000000000.00000000";
constexpr const char* kMaxNotional = "10000000000.00000000";

// symbols=["BTCUSDT","ETHUSDT"] -> the names (quotes and brackets dropped; no validation
// beyond that: an unknown name answers -1121 anyway).
std::vector<std::string> symbol_list(const std::string& json) {
  std::vector<std::string> out;
  std::string cur;
  for (char ch : json) {
    if (ch == ',' || ch == ']') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else if (ch != '[' && ch != '"' && ch != ' ') {
      cur.push_back(ch);
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

// symbol / symbols filters of exchangeInfo and bookTicker: the instruments asked for (symbol:
// that one, `single` set; symbols: those, in the order given; neither: every served one, in
// the options' order). -1121 for any symbol not served.
std::optional<ApiError> select_symbols(const Call& c, std::vector<const Instrument*>& out,
                                       bool& single) {
  single = false;
  out.clear();
  const Venue& v = c.ctx.venue;
  if (const std::string* s = c.given("symbol")) {
    single = true;
    out.push_back(v.instrument(*s));
    if (out.back() == nullptr) return err::bad_symbol();
    return std::nullopt;
  }
  if (const std::string* s = c.given("symbols")) {
    for (const std::string& name : symbol_list(*s)) {
      out.push_back(v.instrument(name));
      if (out.back() == nullptr) return err::bad_symbol();
    }
    if (!out.empty()) return std::nullopt;
  }
  for (const Instrument& ins : v.instruments()) out.push_back(&ins);
  return std::nullopt;
}

void write_filters(JsonWriter& w, const Instrument& ins) {
  w.key("filters").begin_array();
  w.begin_object().kv_str("filterType", "PRICE_FILTER").kv_str("minPrice", e8_string(ins.tick_e8))
      .kv_str("maxPrice", kMaxPrice).kv_str("tickSize", e8_string(ins.tick_e8)).end_object();
  w.begin_object().kv_str("filterType", "LOT_SIZE")
      .kv_str("minQty", e8_string(ins.qty_e8(ins.min_qty_lots))).kv_str("maxQty", kMaxQty)
      .kv_str("stepSize", e8_string(ins.step_e8)).end_object();
  w.begin_object().kv_str("filterType", "NOTIONAL")
      .kv_str("minNotional", e8_string(ins.min_notional_e8)).kv_bool("applyMinToMarket", false)
      .kv_str("maxNotional", kMaxNotional).kv_bool("applyMaxToMarket", false)
      .kv_num("avgPriceMins", 5).end_object();
  w.begin_object().kv_str("filterType", "MAX_NUM_ORDERS").kv_num("maxNumOrders", kMaxNumOrders)
      .end_object();
  w.end_array();
}

void write_symbol(JsonWriter& w, const Instrument& ins) {
  w.begin_object()
      .kv_str("symbol", ins.symbol).kv_str("status", "TRADING")
      .kv_str("baseAsset", ins.base_asset).kv_num("baseAssetPrecision", 8)
      .kv_str("quoteAsset", ins.quote_asset).kv_num("quotePrecision", 8)
      .kv_num("quoteAssetPrecision", 8).kv_num("baseCommissionPrecision", 8)
      .kv_num("quoteCommissionPrecision", 8);
  // LIMIT is listed because ccxt checks the unified "limit" type against orderTypes before
  // it turns postOnly into LIMIT_MAKER (ccxt binance.js createOrderRequest); a LIMIT order
  // itself is refused (-1014, rest_orders.cc): the sim only rests post-only orders.
  w.key("orderTypes").begin_array().str("LIMIT").str("LIMIT_MAKER").end_array();
  w.kv_bool("icebergAllowed", false).kv_bool("ocoAllowed", false).kv_bool("otoAllowed", false)
      .kv_bool("opoAllowed", false).kv_bool("quoteOrderQtyMarketAllowed", false)
      .kv_bool("allowTrailingStop", false).kv_bool("cancelReplaceAllowed", true)
      .kv_bool("amendAllowed", true).kv_bool("pegInstructionsAllowed", false)
      .kv_bool("isSpotTradingAllowed", true).kv_bool("isMarginTradingAllowed", false);
  write_filters(w, ins);
  w.key("permissions").begin_array().end_array();
  w.key("permissionSets").begin_array().begin_array().str("SPOT").end_array().end_array();
  w.kv_str("defaultSelfTradePreventionMode", "NONE");
  w.key("allowedSelfTradePreventionModes").begin_array().str("NONE").end_array();
  w.end_object();
}

void write_rate_limits(JsonWriter& w) {
  struct L {
    const char* type;
    const char* interval;
    int64_t num, limit;
  };
  static const L kLimits[] = {{"REQUEST_WEIGHT", "MINUTE", 1, 6000},
                              {"ORDERS", "SECOND", 10, 100},
                              {"ORDERS", "DAY", 1, 200000},
                              {"RAW_REQUESTS", "MINUTE", 5, 300000}};
  w.key("rateLimits").begin_array();
  for (const L& l : kLimits) {
    w.begin_object().kv_str("rateLimitType", l.type).kv_str("interval", l.interval)
        .kv_num("intervalNum", l.num).kv_num("limit", l.limit).end_object();
  }
  w.end_array();
}

int64_t depth_weight(int64_t limit) {
  if (limit <= 100) return 5;
  if (limit <= 500) return 25;
  if (limit <= 1000) return 50;
  return 250;
}

void write_ticker(JsonWriter& w, const std::string& symbol, const market::BookTicker& t) {
  w.begin_object()
      .kv_str("symbol", symbol)
      .kv_str("bidPrice", e8_string(t.bid_price_e8))
      .kv_str("bidQty", e8_string(t.bid_qty_e8))
      .kv_str("askPrice", e8_string(t.ask_price_e8))
      .kv_str("askQty", e8_string(t.ask_qty_e8))
      .end_object();
}

}  // namespace

void ping(Call& c) { reply_json(c, "{}"); }

void server_time(Call& c) {
  JsonWriter w;
  w.begin_object().kv_num("serverTime", c.wall_ms).end_object();
  reply_json(c, w.take());
}

void exchange_info(Call& c) {
  bool single = false;
  std::vector<const Instrument*> symbols;
  if (auto e = select_symbols(c, symbols, single)) return reply_error(c, *e);
  JsonWriter w;
  w.begin_object().kv_str("timezone", "UTC").kv_num("serverTime", c.wall_ms);
  write_rate_limits(w);
  w.key("exchangeFilters").begin_array().end_array();
  w.key("symbols").begin_array();
  for (const Instrument* ins : symbols) write_symbol(w, *ins);
  w.end_array().end_object();
  reply_json(c, w.take());
}

void depth(Call& c) {
  if (auto e = check_symbol(c)) return reply_error(c, *e);
  std::optional<int64_t> limit;
  if (auto e = int_param(c, "limit", limit)) return reply_error(c, *e);
  if (limit && *limit == 0) return reply_error(c, err::illegal("limit", "1-5000"));
  const auto n = static_cast<size_t>(std::min<int64_t>(limit.value_or(100), 5000));
  c.weight = depth_weight(static_cast<int64_t>(n));
  JsonWriter w;
  {
    auto lock = c.venue().lock();
    const market::OrderBook& book = c.venue().market(c.ins().symbol).book;
    w.begin_object().kv_num("lastUpdateId", book.synced() ? book.last_update_id() : 0);
    for (Side side : {Side::kBuy, Side::kSell}) {
      w.key(side == Side::kBuy ? "bids" : "asks").begin_array();
      for (const market::Level& l : book.top(side, n)) {
        w.begin_array().str(e8_string(l.price_e8)).str(e8_string(l.qty_e8)).end_array();
      }
      w.end_array();
    }
    w.end_object();
  }
  reply_json(c, w.take());
}

void book_ticker(Call& c) {
  bool single = false;
  std::vector<const Instrument*> symbols;
  if (auto e = select_symbols(c, symbols, single)) return reply_error(c, *e);
  if (!single) c.weight = 4;
  std::vector<market::BookTicker> tickers;
  {
    auto lock = c.venue().lock();
    for (const Instrument* ins : symbols) tickers.push_back(c.venue().market(ins->symbol).bbo());
  }
  JsonWriter w;
  if (!single) w.begin_array();
  for (size_t i = 0; i < symbols.size(); ++i) write_ticker(w, symbols[i]->symbol, tickers[i]);
  if (!single) w.end_array();
  reply_json(c, w.take());
}

}  // namespace keel::simserver::rest
