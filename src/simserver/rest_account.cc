// Account endpoints: account, openOrders, myTrades (binance-spot.md §5), the legacy listenKey
// (§6) and the test-only ground truth.
#include <algorithm>

#include "keel/core/fixed.h"
#include "rest_internal.h"

namespace keel::simserver::rest {
namespace {

constexpr int64_t kDayMs = 86'400'000;

// commissionRates at 10^-8 -> makerCommission in basis points (0.001 -> 10).
int64_t bps(int64_t rate_e8) { return rate_e8 / 10'000; }

void write_commission(JsonWriter& w, int64_t fee_e8) {
  w.kv_num("makerCommission", bps(fee_e8)).kv_num("takerCommission", bps(fee_e8))
      .kv_num("buyerCommission", 0).kv_num("sellerCommission", 0);
  w.key("commissionRates").begin_object()
      .kv_str("maker", e8_string(fee_e8)).kv_str("taker", e8_string(fee_e8))
      .kv_str("buyer", e8_string(0)).kv_str("seller", e8_string(0)).end_object();
}

void write_balances(JsonWriter& w, const exchange::Balances& b, bool omit_zero) {
  w.key("balances").begin_array();
  for (const auto& [asset, bal] : b) {
    if (omit_zero && bal.free_e8 == 0 && bal.locked_e8 == 0) continue;
    w.begin_object().kv_str("asset", asset).kv_str("free", e8_string(bal.free_e8))
        .kv_str("locked", e8_string(bal.locked_e8)).end_object();
  }
  w.end_array();
}

struct TradeQuery {
  std::optional<int64_t> order_id, start_ms, end_ms, from_id, limit;
};

// limit: default 500, at most 1000 (larger values are taken as 1000), 0 refused.
std::optional<ApiError> parse_limit(const Call& c, std::optional<int64_t>& limit) {
  if (auto e = int_param(c, "limit", limit)) return e;
  if (limit && *limit == 0) return err::illegal("limit", "1-1000");
  limit = std::min<int64_t>(limit.value_or(500), 1000);
  return std::nullopt;
}

// Allowed combinations (§5): symbol [+ orderId [+ fromId]] | [+ fromId] | [+ startTime]
// [+ endTime]; anything else (fromId or orderId with a time) -1128; startTime..endTime at most
// 24 h apart (-1127).
std::optional<ApiError> parse_trade_query(Call& c, TradeQuery& q) {
  if (auto e = check_symbol(c)) return e;
  if (auto e = int_param(c, "orderId", q.order_id)) return e;
  if (auto e = int_param(c, "startTime", q.start_ms)) return e;
  if (auto e = int_param(c, "endTime", q.end_ms)) return e;
  if (auto e = int_param(c, "fromId", q.from_id)) return e;
  if ((q.from_id || q.order_id) && (q.start_ms || q.end_ms)) return err::bad_combo();
  if (q.start_ms && q.end_ms && *q.end_ms - *q.start_ms > kDayMs) return err::too_long_interval();
  return parse_limit(c, q.limit);
}

// Keeps `limit` of the selected rows (ascending by id): with a starting point (fromId, orderId
// for allOrders, startTime) the first ones from there; otherwise the most recent ones.
template <class T>
void keep(std::vector<T>& rows, size_t limit, bool from_start) {
  if (rows.size() <= limit) return;
  if (from_start) {
    rows.resize(limit);
  } else {
    rows.erase(rows.begin(), rows.end() - static_cast<std::ptrdiff_t>(limit));
  }
}

// The trades the query selects, ascending by trade id. REQUIRES the venue lock.
Result<std::vector<exchange::TradeReport>> select_trades(exchange::sim::SimExchange& sim,
                                                         const std::string& symbol,
                                                         const TradeQuery& q) {
  const auto limit = static_cast<size_t>(*q.limit);
  if (!q.order_id && !q.start_ms && !q.end_ms) {  // a page by id: no scan
    int64_t from = q.from_id.value_or(1);
    if (!q.from_id) {  // the most recent `limit`: they end at the newest trade
      auto last = sim.latest_trade(symbol);
      if (!last.ok()) return last.status();
      if (!*last) return std::vector<exchange::TradeReport>();
      from = std::max<int64_t>(1, (*last)->trade_id - static_cast<int64_t>(limit) + 1);
    }
    auto page = sim.trades_from(symbol, from, limit);
    if (!page.ok()) return page.status();
    return std::move(page->trades);
  }
  auto all = sim.trades_from(symbol, q.from_id.value_or(1), SIZE_MAX);
  if (!all.ok()) return all.status();
  std::vector<exchange::TradeReport> out;
  for (auto& t : all->trades) {
    const int64_t ms = ns_to_ms(t.ts_exchange_ns);
    if (q.order_id && t.order_id != *q.order_id) continue;
    if ((q.start_ms && ms < *q.start_ms) || (q.end_ms && ms > *q.end_ms)) continue;
    out.push_back(std::move(t));
  }
  keep(out, limit, q.from_id || q.start_ms);
  return out;
}

// "quote", "base" or "ASSET:PRICE" (the --commission-asset form).
std::string commission_text(const exchange::sim::SimOptions& o) {
  switch (o.commission_mode) {
    case exchange::sim::CommissionMode::kQuote: return "quote";
    case exchange::sim::CommissionMode::kBase: return "base";
    case exchange::sim::CommissionMode::kOther: break;
  }
  return o.commission_asset + ":" + format_fixed_trim(o.commission_asset_price_e8, kScaleE8);
}

// Orders and trades of every symbol, in the order the account made them; an order carries its
// symbol (order ids are per symbol).
void write_truth(JsonWriter& w, const Venue& v, const exchange::sim::SimTruth& t) {
  w.key("orders").begin_array();
  for (const auto& o : t.orders) {
    const Instrument& ins = *v.instrument(o.symbol);  // the sim holds served symbols only
    w.begin_object().kv_str("symbol", o.symbol).kv_num("orderId", o.order_id)
        .kv_str("clientOrderId", o.client_order_id)
        .kv_str("side", side_name(o.side)).kv_str("status", exchange::order_status_name(o.status))
        .kv_str("price", ins.format_price(o.price_ticks)).kv_str("origQty", ins.format_qty(o.qty_lots))
        .kv_str("executedQty", ins.format_qty(o.executed_lots))
        .kv_num("updateTime", ns_to_ms(o.ts_update_ns)).end_object();
  }
  w.end_array().key("trades").begin_array();
  for (const auto& tr : t.trades) write_trade(w, *v.instrument(tr.symbol), tr);
  w.end_array();
  write_balances(w, t.balances, false);
  w.key("deposits").begin_array();
  for (const auto& d : t.deposits) {
    w.begin_object().kv_str("asset", d.asset).kv_str("amount", e8_string(d.delta_e8))
        .kv_num("time", d.event_time_ms).end_object();
  }
  w.end_array();
}

}  // namespace

void account(Call& c) {
  const std::string* omit = c.given("omitZeroBalances");
  JsonWriter w;
  w.begin_object();
  write_commission(w, c.venue().maker_fee_rate_e8());
  w.kv_bool("canTrade", true).kv_bool("canWithdraw", false).kv_bool("canDeposit", false)
      .kv_bool("brokered", false).kv_bool("requireSelfTradePrevention", false)
      .kv_bool("preventSor", false);
  {
    auto lock = c.venue().lock();
    auto b = c.venue().account(c.account).sim->balances();
    if (!b.ok()) return reply_error(c, err::unexpected());
    w.kv_num("updateTime", c.venue().now_ms(c.account)).kv_str("accountType", "SPOT");
    write_balances(w, *b, omit != nullptr && *omit == "true");
  }
  w.key("permissions").begin_array().str("SPOT").end_array();
  w.kv_num("uid", static_cast<int64_t>(c.account) + 1).end_object();
  reply_json(c, w.take());
}

// GET /api/v3/openOrders (§5): one symbol's open orders, or without a symbol every symbol's
// (weight 80), symbol by symbol in exchangeInfo's order.
void open_orders(Call& c) {
  const bool all = c.given("symbol") == nullptr;
  if (all) {
    c.weight = 80;
  } else if (auto e = check_symbol(c)) {
    return reply_error(c, *e);
  }
  auto lock = c.venue().lock();
  JsonWriter w;
  w.begin_array();
  for (const Instrument& ins : c.venue().instruments()) {
    if (!all && &ins != c.instrument) continue;
    auto open = c.venue().account(c.account).sim->open_orders(ins.symbol);
    if (!open.ok()) return reply_error(c, err::unexpected());
    for (const auto& o : *open) write_order(w, ins, o, c.venue().created_ms(c.account, o));
  }
  w.end_array();
  reply_json(c, w.take());
}

// GET /api/v3/myTrades (§5): without fromId/startTime/endTime the most recent `limit` trades
// (with orderId: of that order), ascending by id; fromId: from that id on; startTime: from that
// time on; endTime alone: the most recent up to it.
void my_trades(Call& c) {
  TradeQuery q;
  if (auto e = parse_trade_query(c, q)) return reply_error(c, *e);
  if (q.order_id) c.weight = 5;
  std::vector<exchange::TradeReport> trades;
  {
    auto lock = c.venue().lock();
    auto selected = select_trades(*c.venue().account(c.account).sim, c.ins().symbol, q);
    if (!selected.ok()) return reply_error(c, err::unexpected());
    trades = std::move(*selected);
  }
  JsonWriter w;
  w.begin_array();
  for (const auto& t : trades) write_trade(w, c.ins(), t);
  w.end_array();
  reply_json(c, w.take());
}

// GET /api/v3/allOrders (USER_DATA, weight 20): symbol; orderId (orders >= it); startTime /
// endTime (order creation time, at most 24 h apart: -1127); limit (default 500, max 1000).
// With orderId or startTime the first `limit` orders from there, otherwise the most recent
// `limit`; ascending by order id; each in the shape of GET /api/v3/order.
void all_orders(Call& c) {
  if (auto e = check_symbol(c)) return reply_error(c, *e);
  std::optional<int64_t> order_id, start_ms, end_ms, limit;
  if (auto e = int_param(c, "orderId", order_id)) return reply_error(c, *e);
  if (auto e = int_param(c, "startTime", start_ms)) return reply_error(c, *e);
  if (auto e = int_param(c, "endTime", end_ms)) return reply_error(c, *e);
  if (auto e = parse_limit(c, limit)) return reply_error(c, *e);
  if (start_ms && end_ms && *end_ms - *start_ms > kDayMs) {
    return reply_error(c, err::too_long_interval());
  }
  JsonWriter w;
  w.begin_array();
  {
    auto lock = c.venue().lock();
    auto all = c.venue().account(c.account).sim->orders_from(c.ins().symbol,
                                                             order_id.value_or(1), SIZE_MAX);
    if (!all.ok()) return reply_error(c, err::unexpected());
    std::vector<std::pair<exchange::OrderReport, int64_t>> rows;  // order, creation ms
    for (auto& o : *all) {
      const int64_t created = c.venue().created_ms(c.account, o);
      if ((start_ms && created < *start_ms) || (end_ms && created > *end_ms)) continue;
      rows.emplace_back(std::move(o), created);
    }
    keep(rows, static_cast<size_t>(*limit), order_id || start_ms);
    for (const auto& [o, created] : rows) write_order(w, c.ins(), o, created);
  }
  w.end_array();
  reply_json(c, w.take());
}

void user_stream_create(Call& c) {
  JsonWriter w;
  w.begin_object().kv_str("listenKey", c.ctx.listen_keys.create(c.account)).end_object();
  reply_json(c, w.take());
}

void user_stream_keepalive(Call& c) {
  const std::string* key = c.given("listenKey");
  if (key == nullptr) return reply_error(c, err::mandatory("listenKey"));
  if (!c.ctx.listen_keys.keepalive(*key, c.account)) return reply_error(c, err::bad_listen_key());
  reply_json(c, "{}");
}

void user_stream_close(Call& c) {
  const std::string* key = c.given("listenKey");
  if (key == nullptr) return reply_error(c, err::mandatory("listenKey"));
  if (!c.ctx.listen_keys.close(*key, c.account)) return reply_error(c, err::bad_listen_key());
  reply_json(c, "{}");
}

// GET /sim/v1/truth?account=NAME (default: the first account): every order, every trade,
// balances, the replay position. Not a Binance endpoint; for tests and inspection. "symbol"
// is the first served symbol (what a one-symbol venue always said), "symbols" all of them.
void truth(Call& c) {
  const std::string* name = c.given("account");
  auto idx = name == nullptr ? std::optional<size_t>(0) : c.venue().find_by_name(*name);
  if (!idx) return reply_error(c, ApiError{404, -1100, "unknown account '" + *name + "'"});
  JsonWriter w;
  auto lock = c.venue().lock();
  const VenueAccount& a = c.venue().account(*idx);
  const auto& sim = *a.sim;
  w.begin_object().kv_str("account", c.venue().config(*idx).name)
      .kv_str("symbol", c.venue().instruments().front().symbol);
  w.key("symbols").begin_array();
  for (const Instrument& ins : c.venue().instruments()) w.str(ins.symbol);
  w.end_array().kv_num("position", static_cast<int64_t>(sim.position()))
      .kv_bool("recordingEnded", sim.recording_ended()).kv_num("nowMs", c.venue().now_ms(*idx))
      .kv_str("commissionAsset", commission_text(sim.options()));
  write_truth(w, c.venue(), sim.truth());
  w.key("cancelRequests").begin_object();
  for (const auto& [id, n] : a.cancel_requests) w.kv_num(id, n);
  w.end_object();
  w.key("late").begin_object().kv_num("pending", a.late_pending)
      .kv_num("executed", a.late_executed).kv_num("expired", a.late_expired).end_object();
  w.end_object();
  reply_json(c, w.take());
}

namespace {
void set_market_paused(Call& c, bool paused) {
  if (c.ctx.market == nullptr) {
    return reply_error(c, ApiError{503, -1000, "the market replay is not running"});
  }
  c.ctx.market->set_paused(paused);
  JsonWriter w;
  w.begin_object().kv_bool("paused", paused)
      .kv_num("position", static_cast<int64_t>(c.ctx.market->position())).end_object();
  reply_json(c, w.take());
}
}  // namespace

// POST /sim/v1/pause, /sim/v1/resume: stop and restart the market replay (test-only, like the
// truth). When pause answers, no further market event is applied until resume; the schedule
// then shifts by the paused time. Answer: {"paused":BOOL,"position":EVENTS_APPLIED}.
void market_pause(Call& c) { set_market_paused(c, true); }
void market_resume(Call& c) { set_market_paused(c, false); }

// POST /sim/v1/deposit?account=NAME&asset=ASSET&amount=DECIMAL (test-only; server.h).
void deposit(Call& c) {
  const std::string* name = c.given("account");
  auto idx = name == nullptr ? std::optional<size_t>(0) : c.venue().find_by_name(*name);
  if (!idx) return reply_error(c, ApiError{404, -1100, "unknown account '" + *name + "'"});
  const std::string* asset = c.given("asset");
  if (asset == nullptr) return reply_error(c, err::mandatory("asset"));
  const std::string* amount = c.given("amount");
  if (amount == nullptr) return reply_error(c, err::mandatory("amount"));
  auto delta = parse_fixed(*amount, kScaleE8);
  if (!delta.ok()) return reply_error(c, err::illegal("amount", "^-?[0-9]{1,20}(\\.[0-9]{1,8})?$"));
  if (*delta == 0) return reply_error(c, err::invalid_param("amount"));
  auto lock = c.venue().lock();
  auto u = c.venue().deposit(*idx, *asset, *delta);
  if (!u.ok()) {
    switch (u.status().code()) {
      case Code::kRejected:
        return reply_error(c, ApiError{400, -2010,
                                       "Account has insufficient balance for requested action."});
      case Code::kInvalidArgument:  // the asset's name, or a balance beyond int64 at 10^-8
        return reply_error(c, ApiError{400, -1100, u.status().message()});
      default:
        return reply_error(c, err::internal(u.status().message()));
    }
  }
  auto balances = c.venue().account(*idx).sim->balances();
  const exchange::AssetBalance bal = balances.ok() ? (*balances)[*asset] : exchange::AssetBalance{};
  JsonWriter w;
  w.begin_object().kv_str("account", c.venue().config(*idx).name).kv_str("asset", u->asset)
      .kv_str("amount", e8_string(u->delta_e8)).kv_str("free", e8_string(bal.free_e8))
      .kv_str("locked", e8_string(bal.locked_e8)).kv_num("time", u->event_time_ms).end_object();
  reply_json(c, w.take());
}

}  // namespace keel::simserver::rest
