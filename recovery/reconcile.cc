#include "keel/recovery/reconcile.h"

#include <map>
#include <set>

#include "keel/core/ids.h"

namespace keel::recovery {

namespace {

using exchange::OrderReport;
using exchange::OrderStatus;

struct Work {
  const model::TaskState& task;
  exchange::Exchange& venue;
  Report& report;
  std::vector<journal::Body> findings;
  std::map<std::string, int64_t> recovered_lots;  // cid -> lots found in the trade history
  std::set<int64_t> recovered_trade_ids;          // trade ids already among the findings
};

bool ours(const model::TaskState& task, const std::string& cid) {
  auto parsed = parse_client_order_id(cid);
  return parsed.has_value() && parsed->task == task.id;
}

// Journals one trade of ours the journal has not folded (R3: trade_seen and the findings so far
// de-duplicate; a trade is counted once however it was found).
void recover_trade(Work& w, const exchange::TradeReport& t) {
  if (w.task.trade_seen(t.trade_id) || !w.recovered_trade_ids.insert(t.trade_id).second) return;
  w.findings.emplace_back(journal::OrderFilled{
      t.client_order_id, t.trade_id, t.order_id, t.side, t.price_ticks, t.qty_lots,
      t.commission_e8, t.commission_asset, t.is_maker, journal::Source::kTradeHistory});
  w.recovered_lots[t.client_order_id] += t.qty_lots;
  ++w.report.fills_recovered;
}

// Step 1: every trade after the watermark that belongs to one of our orders and is not folded.
Status recover_fills(Work& w) {
  auto trades = w.venue.trades_from(w.task.instrument.symbol, w.task.last_trade_id + 1, SIZE_MAX);
  if (!trades.ok()) return trades.status().With("myTrades");
  w.report.trades_seen = trades->trades.size();
  for (const exchange::TradeReport& t : trades->trades) {
    if (!ours(w.task, t.client_order_id)) continue;
    if (w.task.orders.count(t.client_order_id) == 0) {
      w.report.problems.push_back("trade " + std::to_string(t.trade_id) + " of order " +
                                  t.client_order_id + " which the journal does not know (W5)");
      continue;
    }
    recover_trade(w, t);
  }
  return Status::Ok();
}

// A fill below the watermark can be missing too: a user-data event lost in a disconnect, followed
// by a later fill that was received, leaves last_trade_id above the lost trade. When the venue's
// executedQty exceeds what the journal knows, the order's own trades are fetched
// (myTrades?orderId=) and the unseen ones journaled.
void recover_order_trades(Work& w, const model::Order& o, const OrderReport& r) {
  const int64_t known = o.filled_lots + w.recovered_lots[o.client_order_id];
  if (known >= r.executed_lots || r.order_id <= 0) return;
  ++w.report.order_trade_queries;
  auto trades = w.venue.order_trades(w.task.instrument.symbol, r.order_id);
  if (!trades.ok()) {
    w.report.problems.push_back("myTrades for order " + o.client_order_id + ": " +
                                trades.status().ToString());
    return;
  }
  for (const exchange::TradeReport& t : *trades) {
    if (t.client_order_id == o.client_order_id) recover_trade(w, t);
  }
}

void check_executed(Work& w, const model::Order& o, const OrderReport& r) {
  recover_order_trades(w, o, r);
  const int64_t known = o.filled_lots + w.recovered_lots[o.client_order_id];
  if (known != r.executed_lots) {
    w.report.problems.push_back("order " + o.client_order_id + ": exchange executed " +
                                std::to_string(r.executed_lots) + " lots, journal holds " +
                                std::to_string(known) + " (a fill is missing, R4)");
  }
}

// An order the venue still works.
void resolve_open(Work& w, const model::Order& o, const OrderReport& r) {
  if (o.phase == model::OrderPhase::kInFlight) {
    w.findings.emplace_back(journal::OrderAccepted{o.client_order_id, r.order_id,
                                                   journal::Source::kOpenOrders});
    ++w.report.accepted;
  }
  if (o.cancel_pending) {
    w.findings.emplace_back(journal::CancelRejected{o.client_order_id, 0,
                                                    "cancel not effective: order still open"});
    ++w.report.cancels_not_effective;
  }
  check_executed(w, o, r);
}

// An order we believe live or in flight that is not among the open orders.
void resolve_gone(Work& w, const model::Order& o) {
  ++w.report.queries;
  auto r = w.venue.query_order(w.task.instrument.symbol, o.client_order_id);
  if (!r.ok() && r.status().code() == Code::kNotFound) {
    if (o.phase == model::OrderPhase::kInFlight && o.filled_lots == 0 &&
        w.recovered_lots[o.client_order_id] == 0) {
      w.findings.emplace_back(journal::OrderNotFound{o.client_order_id,
                                                     journal::Source::kQueryOrder});
      ++w.report.not_found;
    } else {
      w.report.problems.push_back("order " + o.client_order_id +
                                  " was acknowledged or filled but the exchange does not know it");
    }
    return;
  }
  if (!r.ok()) {
    w.report.problems.push_back("query " + o.client_order_id + ": " + r.status().ToString());
    return;
  }
  check_executed(w, o, *r);
  if (r->status == OrderStatus::kRejected && o.phase == model::OrderPhase::kInFlight) {
    w.findings.emplace_back(journal::OrderRejected{o.client_order_id, 0, "rejected (query)",
                                                   journal::Source::kQueryOrder});
  } else if (r->status != OrderStatus::kFilled && !exchange::is_open(r->status)) {
    w.findings.emplace_back(journal::OrderCanceled{o.client_order_id, r->executed_lots,
                                                   journal::Source::kQueryOrder});
    ++w.report.canceled;
  } else if (exchange::is_open(r->status)) {
    resolve_open(w, o, *r);  // opened after the open-orders list was taken
  }
}

}  // namespace

Result<std::vector<journal::Body>> reconcile_task(const model::TaskState& task,
                                                  exchange::Exchange& venue, Report& report) {
  Work w{task, venue, report, {}, {}, {}};
  KEEL_RETURN_IF_ERROR(recover_fills(w));
  auto open = venue.open_orders(task.instrument.symbol);
  if (!open.ok()) return open.status().With("openOrders");
  std::map<std::string, const OrderReport*> open_by_cid;
  for (const OrderReport& r : *open) {
    if (!ours(task, r.client_order_id)) continue;
    open_by_cid[r.client_order_id] = &r;
    if (task.orders.count(r.client_order_id) == 0) {
      report.problems.push_back("open order " + r.client_order_id +
                                " is not in the journal (W5): refusing to quote");
    }
  }
  for (const auto& [cid, o] : task.orders) {
    if (o.phase == model::OrderPhase::kClosed) continue;
    auto it = open_by_cid.find(cid);
    if (it != open_by_cid.end()) resolve_open(w, o, *it->second);
    else resolve_gone(w, o);
  }
  return std::move(w.findings);
}

}  // namespace keel::recovery
