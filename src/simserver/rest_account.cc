// Account endpoints: account, openOrders, myTrades (binance-spot.md §5), the legacy listenKey
// (§6) and the test-only ground truth.
#include <algorithm>

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

// Allowed combinations (§5): fromId excludes startTime/endTime; startTime..endTime <= 24 h;
// limit default 500, at most 1000.
std::optional<ApiError> parse_trade_query(const Call& c, TradeQuery& q) {
  if (auto e = check_symbol(c)) return e;
  if (auto e = int_param(c, "orderId", q.order_id)) return e;
  if (auto e = int_param(c, "startTime", q.start_ms)) return e;
  if (auto e = int_param(c, "endTime", q.end_ms)) return e;
  if (auto e = int_param(c, "fromId", q.from_id)) return e;
  if (auto e = int_param(c, "limit", q.limit)) return e;
  if (q.from_id && (q.start_ms || q.end_ms)) return err::bad_combo();
  if (q.start_ms && q.end_ms && *q.end_ms - *q.start_ms > kDayMs) return err::too_long_interval();
  if (q.limit && *q.limit == 0) return err::illegal("limit", "1-1000");
  q.limit = std::min<int64_t>(q.limit.value_or(500), 1000);
  return std::nullopt;
}

// fromId or startTime: the first `limit` matches from there; otherwise the most recent `limit`.
std::vector<exchange::TradeReport> select_trades(std::vector<exchange::TradeReport> all,
                                                 const TradeQuery& q) {
  std::vector<exchange::TradeReport> out;
  for (auto& t : all) {
    const int64_t ms = ns_to_ms(t.ts_exchange_ns);
    if (q.order_id && t.order_id != *q.order_id) continue;
    if ((q.start_ms && ms < *q.start_ms) || (q.end_ms && ms > *q.end_ms)) continue;
    out.push_back(std::move(t));
  }
  const auto limit = static_cast<size_t>(*q.limit);
  if (out.size() <= limit) return out;
  if (q.from_id || q.start_ms) {
    out.resize(limit);
  } else {
    out.erase(out.begin(), out.end() - static_cast<std::ptrdiff_t>(limit));
  }
  return out;
}

void write_truth(JsonWriter& w, const Instrument& ins, const exchange::sim::SimTruth& t) {
  w.key("orders").begin_array();
  for (const auto& o : t.orders) {
    w.begin_object().kv_num("orderId", o.order_id).kv_str("clientOrderId", o.client_order_id)
        .kv_str("side", side_name(o.side)).kv_str("status", exchange::order_status_name(o.status))
        .kv_str("price", ins.format_price(o.price_ticks)).kv_str("origQty", ins.format_qty(o.qty_lots))
        .kv_str("executedQty", ins.format_qty(o.executed_lots))
        .kv_num("updateTime", ns_to_ms(o.ts_update_ns)).end_object();
  }
  w.end_array().key("trades").begin_array();
  for (const auto& tr : t.trades) write_trade(w, ins, tr);
  w.end_array();
  write_balances(w, t.balances, false);
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

void open_orders(Call& c) {
  if (c.given("symbol") == nullptr) {
    c.weight = 80;
  } else if (auto e = check_symbol(c)) {
    return reply_error(c, *e);
  }
  auto lock = c.venue().lock();
  auto open = c.venue().account(c.account).sim->open_orders(c.ins().symbol);
  if (!open.ok()) return reply_error(c, err::unexpected());
  JsonWriter w;
  w.begin_array();
  for (const auto& o : *open) write_order(w, c.ins(), o, c.venue().created_ms(c.account, o));
  w.end_array();
  reply_json(c, w.take());
}

void my_trades(Call& c) {
  TradeQuery q;
  if (auto e = parse_trade_query(c, q)) return reply_error(c, *e);
  if (q.order_id) c.weight = 5;
  std::vector<exchange::TradeReport> trades;
  {
    auto lock = c.venue().lock();
    auto all = c.venue().account(c.account).sim->trades_from(c.ins().symbol, q.from_id.value_or(1),
                                                             SIZE_MAX);
    if (!all.ok()) return reply_error(c, err::unexpected());
    trades = select_trades(std::move(all->trades), q);
  }
  JsonWriter w;
  w.begin_array();
  for (const auto& t : trades) write_trade(w, c.ins(), t);
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
// balances, the replay position. Not a Binance endpoint; for tests and inspection.
void truth(Call& c) {
  const std::string* name = c.given("account");
  auto idx = name == nullptr ? std::optional<size_t>(0) : c.venue().find_by_name(*name);
  if (!idx) return reply_error(c, ApiError{404, -1100, "unknown account '" + *name + "'"});
  JsonWriter w;
  auto lock = c.venue().lock();
  const auto& sim = *c.venue().account(*idx).sim;
  w.begin_object().kv_str("account", c.venue().config(*idx).name)
      .kv_str("symbol", c.ins().symbol).kv_num("position", static_cast<int64_t>(sim.position()))
      .kv_bool("recordingEnded", sim.recording_ended()).kv_num("nowMs", c.venue().now_ms(*idx));
  write_truth(w, c.ins(), sim.truth());
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

}  // namespace keel::simserver::rest
