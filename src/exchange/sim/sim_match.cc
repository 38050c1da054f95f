// Market replay and the queue-position model (sim.h): every recorded event updates the market
// view; depth and bookTicker events can only shorten the queue ahead of our orders; trades on
// an order's side first eat the queue ahead of it, then fill it; a trade through its price fills
// what remains. Our orders are not in the recorded book, so they never move the market.
#include <algorithm>
#include <type_traits>
#include <variant>
#include <vector>

#include "sim/sim_impl.h"

namespace keel::exchange::sim {
namespace {

// Exchange time of an event in ns; 0 when the event carries none (spot bookTicker, snapshot).
int64_t event_ts_ns(const market::MarketEvent& ev) {
  return std::visit(
      [](const auto& b) -> int64_t {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, market::DepthSnapshot>) {
          return 0;
        } else {
          return b.ts_exchange_ns;
        }
      },
      ev.body);
}

}  // namespace

Status SimExchange::Impl::warm_up(const market::MarketEvent& ev) {
  if (warmed >= warm_target) {
    return Status::InvalidArgument("sim: warm_up past the state's position " +
                                   std::to_string(warm_target));
  }
  ++warmed;
  if (SymbolBook* b = book_of_event(ev)) b->market.on_event(ev);
  return Status::Ok();
}

Status SimExchange::Impl::on_market(const market::MarketEvent& ev) {
  if (failed) return Status::IOError(failure);
  if (warmed < warm_target) {
    return Status::InvalidArgument("sim: warm_up incomplete: " + std::to_string(warmed) + " of " +
                                   std::to_string(warm_target) + " events");
  }
  Dirty& d = begin_change();
  // An event of a symbol not served counts towards the position and changes nothing else.
  if (SymbolBook* b = book_of_event(ev)) {
    state.now_ns = std::max(state.now_ns, event_ts_ns(ev));  // a virtual clock never goes back
    b->market.on_event(ev);
    if (const auto* t = std::get_if<market::Trade>(&ev.body)) {
      match_trade(*b, *t, d);
    } else {
      clip_queues(*b, d);
    }
  }
  ++state.position;
  // Most events change nothing but the position and the clock: no RocksDB write for them
  // (sim.h "Persistence").
  if (!d.any(state)) {
    mark_position();
    return Status::Ok();
  }
  return commit(d);
}

void SimExchange::Impl::clip_queues(SymbolBook& b, Dirty& d) {
  for (int64_t seq : b.open_seqs) {
    SimOrder& o = state.orders.at(seq);
    if (o.queue_ahead_e8 == 0) continue;
    auto q = b.market.level_qty_e8(o.report.side, b.ins.price_e8(o.report.price_ticks));
    if (q && *q < o.queue_ahead_e8) {
      o.queue_ahead_e8 = std::max<int64_t>(*q, 0);
      d.touch(seq);
    }
  }
}

// A trade with buyer_is_maker=true was a sell hitting bids: it can fill our BUYs; otherwise our
// SELLs. Our orders at the trade's price share its quantity in time priority (order id), so one
// trade never fills more than it printed at that price; each order's queue_ahead (which counts
// only the market's quantity) is eaten by what the earlier of our orders did not take.
void SimExchange::Impl::match_trade(SymbolBook& b, const market::Trade& t, Dirty& d) {
  const Side side = t.buyer_is_maker ? Side::kBuy : Side::kSell;
  const int64_t step = b.ins.step_e8;
  int64_t avail_e8 = std::max<int64_t>(t.qty_e8, 0);
  // A fill can close the order at hand (erasing it from open_seqs), never another one: step
  // past it before matching it.
  for (auto next = b.open_seqs.begin(); next != b.open_seqs.end();) {
    const int64_t seq = *next++;
    SimOrder& o = state.orders.at(seq);
    if (o.report.side != side) continue;
    const int64_t px = b.ins.price_e8(o.report.price_ticks);
    const int64_t remaining = o.report.qty_lots - o.report.executed_lots;
    const bool through = side == Side::kBuy ? t.price_e8 < px : t.price_e8 > px;
    if (through) {
      fill(b, seq, remaining, t.ts_exchange_ns, d);
      continue;
    }
    if (t.price_e8 != px) continue;
    const int64_t eaten = std::min(o.queue_ahead_e8, avail_e8);
    if (eaten > 0) {
      o.queue_ahead_e8 -= eaten;
      d.touch(seq);
    }
    const int64_t lots = std::min(remaining, (avail_e8 - eaten) / step);
    if (lots > 0) {
      fill(b, seq, lots, t.ts_exchange_ns, d);
      avail_e8 -= lots * step;
    }
  }
}

SimExchange::Impl::Commission SimExchange::Impl::commission(const Instrument& ins, Side side,
                                                            int64_t lots, int64_t notional_e8) {
  const int64_t rate = opt.maker_fee_rate_e8;
  if (opt.commission_mode == CommissionMode::kOther) {
    // notional x rate is the fee's value in quote at 10^-16; divided by the asset's price
    // (quote per unit at 10^-8) it is the asset's amount at 10^-8, rounded up once.
    const __int128 value_e16 = static_cast<__int128>(notional_e8) * rate;
    const __int128 price = opt.commission_asset_price_e8;
    const __int128 amount = (value_e16 + price - 1) / price;
    auto it = state.balances.find(opt.commission_asset);
    if (it != state.balances.end() && amount <= it->second.free_e8) {
      return {static_cast<int64_t>(amount), &opt.commission_asset};
    }
    // Short of the commission asset: the fill pays in the asset it receives (as kBase).
  }
  if (side == Side::kBuy && opt.commission_mode != CommissionMode::kQuote) {
    return {fee_e8(ins.qty_e8(lots), rate), &ins.base_asset};
  }
  return {fee_e8(notional_e8, rate), &ins.quote_asset};
}

void SimExchange::Impl::fill(SymbolBook& b, int64_t seq, int64_t lots, int64_t ts_ns,
                             Dirty& d) {
  const Instrument& ins = b.ins;
  SimOrder& o = state.orders.at(seq);
  OrderReport& rep = o.report;
  KEEL_ASSERT(lots > 0 && rep.executed_lots + lots <= rep.qty_lots);
  const int64_t notional = ins.notional_e8(rep.price_ticks, lots);
  const Commission fee = commission(ins, rep.side, lots, notional);
  const int64_t fee_quote = fee.asset == &ins.quote_asset ? fee.amount_e8 : 0;
  const int64_t fee_base = fee.asset == &ins.base_asset ? fee.amount_e8 : 0;
  AssetBalance& base = balance(ins.base_asset);
  AssetBalance& quote = balance(ins.quote_asset);
  if (rep.side == Side::kBuy) {
    // Pays the notional (+ the fee in kQuote) from the lock; what the lock lacks (per-fill
    // rounding, 10^-8 per extra fill) comes from free quote.
    const int64_t cost = notional + fee_quote;
    const int64_t from_lock = std::min(cost, o.locked_e8);
    o.locked_e8 -= from_lock;
    quote.locked_e8 -= from_lock;
    quote.free_e8 -= cost - from_lock;
    base.free_e8 += ins.qty_e8(lots) - fee_base;
  } else {
    o.locked_e8 -= ins.qty_e8(lots);
    base.locked_e8 -= ins.qty_e8(lots);
    quote.free_e8 += notional - fee_quote;
  }
  if (fee.asset == &opt.commission_asset) {
    balance(opt.commission_asset).free_e8 -= fee.amount_e8;  // commission() checked free >= it
  }
  d.balances = true;
  d.touch(seq);

  TradeReport tr;
  tr.symbol = rep.symbol;
  tr.trade_id = b.next_trade_id();  // Binance's: per symbol
  ++state.next_trade_seq;
  b.trades.push_back(state.trades.size());
  tr.order_id = rep.order_id;
  tr.client_order_id = rep.client_order_id;
  tr.side = rep.side;
  tr.price_ticks = rep.price_ticks;
  tr.qty_lots = lots;
  tr.commission_e8 = fee.amount_e8;
  tr.commission_asset = *fee.asset;
  tr.is_maker = true;
  tr.ts_exchange_ns = ts_ns;
  state.trades.push_back(tr);

  rep.executed_lots += lots;
  if (rep.executed_lots == rep.qty_lots) {
    close_order(b, seq, OrderStatus::kFilled, d);  // releases what is left of the lock
  } else {
    rep.status = OrderStatus::kPartiallyFilled;
  }
  rep.ts_update_ns = ts_ns;
  emit(ExecType::kTrade, rep, &state.trades.back());
}

}  // namespace keel::exchange::sim
