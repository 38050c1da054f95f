#include "keel/recovery/reconcile.h"

#include <algorithm>
#include <set>

#include "keel/core/fixed.h"
#include "keel/core/ids.h"

namespace keel::recovery {

using exchange::OrderReport;
using exchange::OrderStatus;
using exchange::TradeReport;

bool Evidence::balances_consistent() const {
  if (!balances_before || !balances_after) return false;
  if (balances_before->size() != balances_after->size()) return false;
  for (const auto& [asset, b] : *balances_before) {
    auto it = balances_after->find(asset);
    if (it == balances_after->end() || it->second.free_e8 != b.free_e8 ||
        it->second.locked_e8 != b.locked_e8 || it->second.exact != b.exact) {
      return false;
    }
  }
  return true;
}

std::string R4Mismatch::text() const {
  return "R4: " + asset + " on the exchange is " + format_fixed_trim(observed_e8, kScaleE8) +
         " but the journal explains " + format_fixed_trim(expected_e8, kScaleE8) + " (" +
         (observed_e8 > expected_e8 ? "+" : "") +
         format_fixed_trim(observed_e8 - expected_e8, kScaleE8) +
         " unexplained: a fill or a balance change is missing. If a deposit, withdrawal or "
         "transfer made while keel was stopped explains it: keel declare --asset " + asset +
         " --amount " + format_fixed_trim(observed_e8 - expected_e8, kScaleE8) +
         (account == journal::kDefaultAccount ? "" : " --account " + account) +
         " --reason TEXT)";
}

namespace {

// A task the evidence speaks of: on the evidence's account and symbol.
bool on_scope(const model::TaskState& t, const Evidence& ev) {
  return t.instrument.symbol == ev.symbol && !t.config.symbol.empty() &&
         t.config.account == ev.account;
}

// Who an exchange order or trade belongs to, by its client order id (W5).
struct Owner {
  bool mine = false;                  // keel's prefix and one of this journal's epochs
  const model::TaskState* task = nullptr;  // the journal's task (mine only)
  const model::Order* order = nullptr;     // the journal's order (mine, task known)
  std::string task_id;
};

Owner owner_of(const model::State& state, const Evidence& ev, const std::string& cid) {
  Owner w;
  const auto parsed = parse_client_order_id(cid);
  if (!parsed) return w;
  auto t = state.tasks.find(parsed->task);
  // A legacy id (no epoch: journals written before epochs) is this journal's only when the
  // journal holds that very order. Any process can use the legacy form (`k1-<task>-<seq>`), and
  // a journal with an epoch never did: an unknown legacy id is another process's (W5).
  w.mine = parsed->epoch.empty()
               ? t != state.tasks.end() && t->second.find_order(cid) != nullptr
               : state.has_epoch(parsed->epoch);
  if (!w.mine) return w;
  w.task_id = parsed->task;
  if (t == state.tasks.end() || !on_scope(t->second, ev)) return w;
  w.task = &t->second;
  w.order = t->second.find_order(cid);
  return w;
}

}  // namespace

// ---- gather: the I/O ------------------------------------------------------------------------

namespace {

int64_t executed_known(const Evidence& ev, const model::Order& o) {
  int64_t e = o.venue_executed_lots;
  for (const OrderReport& r : ev.open) {
    if (r.client_order_id == o.client_order_id) e = std::max(e, r.executed_lots);
  }
  if (auto q = ev.queried.find(o.client_order_id); q != ev.queried.end() && q->second.ok()) {
    e = std::max(e, q->second->executed_lots);
  }
  return e;
}

int64_t order_id_known(const Evidence& ev, const model::Order& o) {
  if (o.order_id > 0) return o.order_id;
  for (const OrderReport& r : ev.open) {
    if (r.client_order_id == o.client_order_id) return r.order_id;
  }
  if (auto q = ev.queried.find(o.client_order_id); q != ev.queried.end() && q->second.ok()) {
    return q->second->order_id;
  }
  return 0;
}

int64_t lots_in_trades(const Evidence& ev, const model::TaskState& task, const std::string& cid) {
  int64_t lots = 0;
  for (const TradeReport& t : ev.trades) {
    if (t.client_order_id == cid && !task.trade_seen(t.trade_id)) lots += t.qty_lots;
  }
  return lots;
}

Status gather_trades(const model::State& state, const std::string& symbol,
                     exchange::Exchange& venue, const Options& opts, Evidence& ev) {
  const model::SymbolMarks& m = state.account(ev.account).marks(symbol);
  // From where the history was last read completely; a journal from before the baseline (an
  // older keel's) from its own newest fill (fills below it: myTrades?orderId=, gather_orders).
  const int64_t from = m.baselined || m.scan_watermark > 0 ? m.scan_watermark : m.trade_watermark;
  if (m.baselined || from > 0) {
    auto page = venue.trades_from(symbol, from + 1, opts.max_trades);
    if (!page.ok()) return page.status().With("myTrades");
    ev.trades = std::move(page->trades);
    ev.trades_more = page->more;
    return Status::Ok();
  }
  auto latest = venue.latest_trade(symbol);  // a new journal: only where the history ends
  if (!latest.ok()) return latest.status().With("myTrades (latest)");
  if (latest->has_value()) ev.trades.push_back(**latest);
  ev.trades_latest_only = true;
  return Status::Ok();
}

void gather_orders(const model::State& state, exchange::Exchange& venue, Evidence& ev) {
  std::set<std::string> open_cids;
  for (const OrderReport& r : ev.open) open_cids.insert(r.client_order_id);
  for (const auto& [id, task] : state.tasks) {
    if (!on_scope(task, ev)) continue;
    for (const auto& [cid, o] : task.orders) {
      if (o.working() && open_cids.count(cid) == 0) {
        ev.queried.emplace(cid, venue.query_order(ev.symbol, cid));
      }
    }
  }
  for (const auto& [id, task] : state.tasks) {
    if (!on_scope(task, ev)) continue;
    for (const auto& [cid, o] : task.orders) {
      if (executed_known(ev, o) <= o.filled_lots + lots_in_trades(ev, task, cid)) continue;
      const int64_t order_id = order_id_known(ev, o);
      if (order_id <= 0) continue;  // judged as a problem: executed fills with no order id
      auto trades = venue.order_trades(ev.symbol, order_id);
      if (trades.ok()) {
        ev.order_trades.emplace(cid, std::move(*trades));
      } else {
        ev.problems.push_back("myTrades for order " + cid + ": " + trades.status().ToString());
      }
    }
  }
}

// The orders' half of one symbol's gathering (after its trades and the balances).
Status gather_symbol(const model::State& state, exchange::Exchange& venue, const Options& opts,
                     Evidence& ev) {
  const std::string& symbol = ev.symbol;
  const model::SymbolMarks& marks = state.account(ev.account).marks(symbol);
  auto open = venue.open_orders(symbol);
  if (!open.ok()) return open.status().With("openOrders");
  ev.open = std::move(*open);
  // An order or trade of this journal's epoch that the journal does not hold: the journal is
  // older than the venue. Every order after the newest one it knows is read to adopt them all.
  bool stale = false;
  for (const OrderReport& r : ev.open) {
    const Owner w = owner_of(state, ev, r.client_order_id);
    stale = stale || (w.mine && w.order == nullptr);
  }
  for (const TradeReport& t : ev.trades) {
    const Owner w = owner_of(state, ev, t.client_order_id);
    // A trade the journal already holds is of an order it retired (kClosedOrdersRetained), not
    // of a lost journal tail.
    stale = stale || (w.mine && w.order == nullptr &&
                      (w.task == nullptr || !w.task->trade_seen(t.trade_id)));
  }
  if (stale || (opts.scan_orders && marks.max_order_id > 0)) {
    auto all = venue.orders_from(symbol, marks.max_order_id + 1, opts.max_orders_scan);
    if (all.ok()) {
      ev.all_orders = std::move(*all);
      ev.scanned_all_orders = true;
    } else {
      ev.problems.push_back("allOrders: " + all.status().ToString());
    }
  }
  gather_orders(state, venue, ev);
  ev.venue_now_ms = venue.venue_time_ms();  // after the queries: what they said is older
  return Status::Ok();
}

}  // namespace

Result<std::vector<Evidence>> gather_account(const model::State& state,
                                             const std::string& account,
                                             const std::vector<std::string>& symbols,
                                             exchange::Exchange& venue, const Options& opts) {
  std::vector<Evidence> evs(symbols.size());
  std::optional<exchange::Balances> before;
  if (auto b = venue.balances(); b.ok()) before = std::move(*b);
  for (size_t k = 0; k < symbols.size(); ++k) {
    evs[k].account = account;
    evs[k].symbol = symbols[k];
    KEEL_RETURN_IF_ERROR(gather_trades(state, symbols[k], venue, opts, evs[k]));
  }
  std::optional<exchange::Balances> after;
  if (auto b = venue.balances(); b.ok()) after = std::move(*b);
  const int64_t balances_time_ms = venue.venue_time_ms();  // before the queries below
  for (Evidence& ev : evs) {
    ev.balances_before = before;
    ev.balances_after = after;
    ev.balances_time_ms = balances_time_ms;
    KEEL_RETURN_IF_ERROR(gather_symbol(state, venue, opts, ev));
  }
  return evs;
}

Result<Evidence> gather(const model::State& state, const std::string& account,
                        const std::string& symbol, exchange::Exchange& venue,
                        const Options& opts) {
  auto evs = gather_account(state, account, {symbol}, venue, opts);
  if (!evs.ok()) return evs.status();
  return std::move(evs->front());
}

// ---- judge: pure ------------------------------------------------------------------------------

namespace {

struct Work {
  const model::State& state;
  const Evidence& ev;
  const Options& opts;
  Judgement& j;
  std::map<std::string, int64_t> recovered_lots;  // cid -> lots found in the trade history
  std::set<int64_t> found_trade_ids;
  std::set<std::string> adopted;  // cids adopted by this judgement
  std::set<int64_t> foreign_ids;
  int64_t first_unjournaled = 0;  // a trade judge_trades could not journal (0: none)

  TaskReport& report(const std::string& task) { return j.tasks[task]; }
  void emit(const std::string& task, journal::Body body) {
    j.findings.push_back({task, std::move(body)});
  }
};

void recover_trade(Work& w, const model::TaskState& task, const TradeReport& t) {
  if (task.trade_seen(t.trade_id) || !w.found_trade_ids.insert(t.trade_id).second) return;
  w.emit(task.id, journal::OrderFilled{t.client_order_id, t.trade_id, t.order_id, t.side,
                                       t.price_ticks, t.qty_lots, t.commission_e8,
                                       t.commission_asset, t.is_maker,
                                       journal::Source::kTradeHistory});
  w.recovered_lots[t.client_order_id] += t.qty_lots;
  ++w.report(task.id).fills_recovered;
}

void adopt(Work& w, const model::TaskState& task, const OrderReport& r, journal::Source src,
           const AdoptSlot& adopt_slot) {
  if (!w.adopted.insert(r.client_order_id).second) return;
  w.emit(task.id, journal::OrderAdopted{adopt_slot(task, r.side, r.price_ticks),
                                        r.client_order_id, r.order_id, r.side, r.price_ticks,
                                        r.qty_lots, exchange::is_open(r.status), r.executed_lots,
                                        src});
  ++w.report(task.id).adopted;
  w.j.stale = true;
  if (w.j.stale_reason.empty()) {
    w.j.stale_reason = "the exchange holds order " + r.client_order_id +
                       " of this journal that the journal does not (a data directory restored "
                       "from an older copy?): adopted";
  }
}

// Orders of this journal's epoch the journal does not hold, adopted in venue order-id order.
void adopt_unknown(Work& w, const AdoptSlot& adopt_slot) {
  std::vector<const OrderReport*> found;
  for (const OrderReport& r : w.ev.all_orders) found.push_back(&r);
  for (const OrderReport& r : w.ev.open) found.push_back(&r);
  std::stable_sort(found.begin(), found.end(), [](const OrderReport* a, const OrderReport* b) {
    return a->order_id < b->order_id;
  });
  std::set<std::string> seen;
  for (const OrderReport* r : found) {
    const Owner o = owner_of(w.state, w.ev, r->client_order_id);
    if (!o.mine || o.order != nullptr || !seen.insert(r->client_order_id).second) continue;
    if (o.task == nullptr) {
      // A task of the journal on another account: this account's connection lists an order
      // placed through that account's (two accounts that are one exchange account).
      auto t = w.state.tasks.find(o.task_id);
      const std::string why =
          t != w.state.tasks.end() && t->second.config.account != w.ev.account
              ? "account " + w.ev.account + " lists order " + r->client_order_id + " of task '" +
                    o.task_id + "', which trades on account " + t->second.config.account +
                    ": the two are one exchange account (the same API key?)"
              : "the exchange holds order " + r->client_order_id + " of task '" + o.task_id +
                    "', which this journal does not know (W5)";
      for (auto& [id, rep] : w.j.tasks) rep.problems.push_back(why);
      continue;
    }
    adopt(w, *o.task, *r,
          r >= w.ev.all_orders.data() && r < w.ev.all_orders.data() + w.ev.all_orders.size()
              ? journal::Source::kAllOrders
              : journal::Source::kOpenOrders,
          adopt_slot);
  }
}

void judge_trades(Work& w) {
  const model::SymbolMarks& m = w.state.account(w.ev.account).marks(w.ev.symbol);
  for (const TradeReport& t : w.ev.trades) {
    const Owner o = owner_of(w.state, w.ev, t.client_order_id);
    if (o.mine && o.task != nullptr && (o.order != nullptr || w.adopted.count(t.client_order_id))) {
      recover_trade(w, *o.task, t);
    } else if (o.mine && o.task != nullptr && o.task->trade_seen(t.trade_id)) {
      continue;  // journaled already: its order was retired from the state since (R3)
    } else if (o.mine && o.task != nullptr) {
      if (w.first_unjournaled == 0) w.first_unjournaled = t.trade_id;
      w.report(o.task->id).problems.push_back(
          "trade " + std::to_string(t.trade_id) + " of order " + t.client_order_id +
          ", which the journal does not hold and the exchange's order list did not show");
    } else if (!o.mine && !w.ev.trades_latest_only) {
      const bool seen = m.foreign_trade_ids.count(t.trade_id) != 0 ||
                        (m.foreign_trade_ids.size() >= model::kTradeIdsRetained &&
                         t.trade_id < *m.foreign_trade_ids.begin());
      if (seen || !w.foreign_ids.insert(t.trade_id).second) continue;
      w.emit(journal::account_tag(w.ev.account),
             journal::ForeignFill{w.ev.symbol, t.client_order_id, t.trade_id, t.order_id, t.side,
                                  t.price_ticks, t.qty_lots, t.commission_e8,
                                  t.commission_asset});
      ++w.j.foreign_fills;
    }
  }
}

// The venue executed `executed` lots of `o`: journal the trades the journal lacks. A shortfall
// that the order's own trades cannot fill is a problem (a fill is missing, R4).
void check_executed(Work& w, const model::TaskState& task, const model::Order& o,
                    int64_t executed) {
  const std::string& cid = o.client_order_id;
  if (o.filled_lots + w.recovered_lots[cid] < executed) {
    if (auto it = w.ev.order_trades.find(cid); it != w.ev.order_trades.end()) {
      for (const TradeReport& t : it->second) {  // every row is this order's (by order id)
        TradeReport copy = t;
        copy.client_order_id = cid;  // myTrades rows carry no client id on Binance
        recover_trade(w, task, copy);
      }
    }
  }
  const int64_t known = o.filled_lots + w.recovered_lots[cid];
  if (known != executed) {
    w.report(task.id).problems.push_back(
        "order " + cid + ": exchange executed " + std::to_string(executed) +
        " lots, journal holds " + std::to_string(known) + " (a fill is missing, R4)");
  }
}

// R1: can the order's request in doubt (its place while in flight, then its newest cancel or
// amend: Order::timing) still execute at the venue's `now_ms`?
bool may_still_execute(const Work& w, const model::Order& o, int64_t* until_ms) {
  if (w.opts.absence_is_immediate || o.timing.timestamp_ms == 0) return false;  // 0: format 1
  *until_ms = o.timing.timestamp_ms + o.timing.recv_window_ms + w.opts.evidence_margin_ms;
  return w.ev.venue_now_ms <= *until_ms;
}

void in_doubt_until(Work& w, TaskReport& rep, int64_t until_ms) {
  ++rep.in_doubt;
  if (w.j.next_due_ms == 0 || until_ms + 1 < w.j.next_due_ms) w.j.next_due_ms = until_ms + 1;
}

// An order the venue still works.
void resolve_open(Work& w, const model::TaskState& task, const model::Order& o,
                  const OrderReport& r) {
  TaskReport& rep = w.report(task.id);
  if (o.phase == model::OrderPhase::kInFlight) {
    w.emit(task.id, journal::OrderAccepted{o.client_order_id, r.order_id,
                                           journal::Source::kOpenOrders});
    ++rep.accepted;
  }
  int64_t until_ms = 0;
  if (o.cancel_pending && !o.cancel_refused && may_still_execute(w, o, &until_ms)) {
    // R1: a cancel answered unknown can still execute until its recvWindow has passed: it stays
    // pending (the order is not cancelled again meanwhile: no request storm).
    in_doubt_until(w, rep, until_ms);
  } else if (o.cancel_pending || o.cancel_refused) {
    w.emit(task.id, journal::CancelRejected{o.client_order_id, 0,
                                            "cancel not effective: order still open"});
    ++rep.cancels_not_effective;
  }
  // A keepPriority amend answered unknown: the venue's quantity says whether it took effect;
  // an unchanged one is conclusive only once the request can no longer execute (R1).
  if (r.qty_lots < o.qty_lots) {
    w.emit(task.id, journal::OrderAmended{o.client_order_id, r.qty_lots,
                                          journal::Source::kOpenOrders});
  } else if (o.amend_pending) {
    if (may_still_execute(w, o, &until_ms)) {
      in_doubt_until(w, rep, until_ms);
    } else {
      w.emit(task.id, journal::AmendRejected{o.client_order_id, 0,
                                             "amend not effective: quantity unchanged"});
    }
  }
  check_executed(w, task, o, r.executed_lots);
}

// An order the journal holds as closed that the venue lists as open. Closed as rejected or
// never received: a late execution (the venue executed it after all; R1, E1): tracked again.
// Closed as canceled or filled: the venue contradicts its own earlier answer beyond repair: the
// task stops quoting (TaskHalted) with the reason.
void resolve_closed_but_open(Work& w, const model::TaskState& task, const model::Order& o,
                             const OrderReport& r) {
  if (o.order_id != 0 && r.order_id != 0 && o.order_id != r.order_id) return;  // W5: not ours
  if (o.closed_by == model::CloseReason::kRejected || o.closed_by == model::CloseReason::kNotFound) {
    w.emit(task.id, journal::OrderAccepted{o.client_order_id, r.order_id,
                                           journal::Source::kOpenOrders});
    ++w.report(task.id).accepted;
    return;
  }
  const std::string why = "the exchange lists order " + o.client_order_id +
                          " as open, but it answered earlier that it was " +
                          (o.closed_by == model::CloseReason::kFilled ? "filled" : "canceled");
  if (task.halted.find(why) == std::string::npos) w.emit(task.id, journal::TaskHalted{why});
}

// A working order that is not among the open orders: the query by client id says what it is.
void resolve_gone(Work& w, const model::TaskState& task, const model::Order& o) {
  TaskReport& rep = w.report(task.id);
  auto q = w.ev.queried.find(o.client_order_id);
  if (q == w.ev.queried.end()) {
    rep.problems.push_back("order " + o.client_order_id + " was not queried");
    return;
  }
  const Result<OrderReport>& r = q->second;
  if (!r.ok() && r.status().code() == Code::kNotFound) {
    if (o.phase != model::OrderPhase::kInFlight || o.filled_lots > 0 ||
        w.recovered_lots[o.client_order_id] > 0) {
      rep.problems.push_back("order " + o.client_order_id +
                             " was acknowledged or filled but the exchange does not know it");
      return;
    }
    int64_t until_ms = 0;
    if (may_still_execute(w, o, &until_ms)) {  // not conclusive yet: stays PENDING (R1)
      in_doubt_until(w, rep, until_ms);
      return;
    }
    w.emit(task.id, journal::OrderNotFound{o.client_order_id, journal::Source::kQueryOrder});
    ++rep.not_found;
    return;
  }
  if (!r.ok()) {
    rep.problems.push_back("query " + o.client_order_id + ": " + r.status().ToString());
    return;
  }
  if (exchange::is_open(r->status)) return resolve_open(w, task, o, *r);  // opened meanwhile
  check_executed(w, task, o, r->executed_lots);
  if (r->qty_lots < o.qty_lots) {  // a keepPriority amend took effect before the order closed
    w.emit(task.id, journal::OrderAmended{o.client_order_id, r->qty_lots,
                                          journal::Source::kQueryOrder});
  }
  if (r->status == OrderStatus::kRejected && o.phase == model::OrderPhase::kInFlight) {
    w.emit(task.id, journal::OrderRejected{o.client_order_id, 0, "rejected (query)",
                                           journal::Source::kQueryOrder});
  } else if (r->status != OrderStatus::kFilled) {
    w.emit(task.id, journal::OrderCanceled{o.client_order_id, r->executed_lots,
                                           journal::Source::kQueryOrder});
    ++rep.canceled;
  }
}

}  // namespace

Judgement judge(const model::State& state, const Evidence& ev, const Options& opts,
                const AdoptSlot& adopt_slot) {
  Judgement j;
  Work w{state, ev, opts, j, {}, {}, {}, {}};
  for (const auto& [id, task] : state.tasks) {
    if (on_scope(task, ev)) j.tasks[id];
  }
  for (auto& [id, rep] : j.tasks) {
    for (const std::string& p : ev.problems) rep.problems.push_back(p);
  }
  adopt_unknown(w, adopt_slot);
  judge_trades(w);
  j.trades_seen = ev.trades.size();
  // The history is read through the last trade, or up to the first one that could not be
  // journaled (it is read again next time).
  const int64_t through = w.first_unjournaled > 0 ? w.first_unjournaled - 1
                          : ev.trades.empty()     ? 0
                                                  : ev.trades.back().trade_id;
  if (!ev.trades_latest_only && through > state.account(ev.account).marks(ev.symbol).scan_watermark) {
    w.emit(journal::account_tag(w.ev.account), journal::TradesScanned{ev.symbol, through});
  }
  std::map<std::string, const OrderReport*> open_by_cid;
  for (const OrderReport& r : ev.open) open_by_cid[r.client_order_id] = &r;
  for (const auto& [id, task] : state.tasks) {
    if (!on_scope(task, ev)) continue;
    for (const auto& [cid, o] : task.orders) {
      auto it = open_by_cid.find(cid);
      if (o.working()) {
        if (it != open_by_cid.end()) resolve_open(w, task, o, *it->second);
        else resolve_gone(w, task, o);
      } else if (it != open_by_cid.end()) {
        resolve_closed_but_open(w, task, o, *it->second);
      } else if (o.owes_fills()) {
        check_executed(w, task, o, o.venue_executed_lots);
      }
    }
  }
  return j;
}

namespace {

// Every evidence of one reading of the account: consistent balances, every trade scan complete.
bool account_readable(const std::vector<Evidence>& evs) {
  return !evs.empty() && std::all_of(evs.begin(), evs.end(), [&](const Evidence& ev) {
    return ev.account == evs.front().account && ev.balances_consistent() && !ev.trades_more;
  });
}

// The tasks of the evidences' account on any of their symbols.
template <class F>
void for_tasks_of(const model::State& state, const std::vector<Evidence>& evs, F&& f) {
  for (const auto& entry : state.tasks) {
    const model::TaskState& t = entry.second;  // a lambda may not capture a structured binding
    if (std::any_of(evs.begin(), evs.end(), [&](const Evidence& ev) { return on_scope(t, ev); })) {
      f(t);
    }
  }
}

}  // namespace

std::vector<journal::AccountBaseline> baselines_from(const model::State& state,
                                                     const std::vector<Evidence>& evs) {
  std::vector<journal::AccountBaseline> out;
  if (!account_readable(evs)) return out;
  const model::AccountState& a = state.account(evs.front().account);
  // The tasks' assets first (always, even at zero), then every other asset that is held, up to
  // a bound that keeps the record far below the journal's record size limit.
  constexpr size_t kMaxAssets = 512;
  std::set<std::string> wanted;
  for_tasks_of(state, evs, [&](const model::TaskState& t) {
    wanted.insert(t.instrument.base_asset);
    wanted.insert(t.instrument.quote_asset);
  });
  const exchange::Balances& held = *evs.front().balances_before;
  for (const auto& [asset, bal] : held) {
    if (!bal.exact || wanted.count(asset) != 0) continue;
    if (bal.free_e8 + bal.locked_e8 != 0 && wanted.size() < kMaxAssets) wanted.insert(asset);
  }
  std::vector<journal::AssetAmount> balances;
  for (const std::string& asset : wanted) {
    auto it = held.find(asset);
    const bool have = it != held.end() && it->second.exact;
    balances.push_back({asset, have ? it->second.free_e8 + it->second.locked_e8 : 0});
  }
  for (const Evidence& ev : evs) {
    const model::SymbolMarks& m = a.marks(ev.symbol);
    if (a.has_baseline && m.baselined) continue;
    journal::AccountBaseline b;
    b.symbol = ev.symbol;
    // The balances' instant, not the end of the gathering: a balance change clearing between
    // the two would be in neither the balances nor R4's count (BalanceChanged after it).
    b.venue_time_ms = ev.balances_time_ms;
    b.last_trade_id = std::max(m.trade_watermark, m.scan_watermark);
    for (const TradeReport& t : ev.trades) b.last_trade_id = std::max(b.last_trade_id, t.trade_id);
    b.balances = balances;
    out.push_back(std::move(b));
  }
  return out;
}

std::optional<journal::AccountBaseline> baseline_from(const model::State& state,
                                                      const Evidence& ev) {
  auto b = baselines_from(state, {ev});
  if (b.empty()) return std::nullopt;
  return std::move(b.front());
}

std::vector<R4Mismatch> r4_check(const model::State& state, const std::vector<Evidence>& evs) {
  std::vector<R4Mismatch> out;
  if (!account_readable(evs)) return out;
  const std::string& account = evs.front().account;
  const model::AccountState& a = state.account(account);
  // Every symbol read must count in the baseline: a symbol not yet joined (its AccountBaseline
  // record not folded) would leave its trades out of the equation.
  if (!a.has_baseline || std::any_of(evs.begin(), evs.end(), [&](const Evidence& ev) {
        return !a.marks(ev.symbol).baselined;
      })) {
    return out;
  }
  std::set<std::string> assets;
  for_tasks_of(state, evs, [&](const model::TaskState& t) {
    assets.insert(t.instrument.base_asset);
    assets.insert(t.instrument.quote_asset);
    for (const auto& [asset, fee] : t.commissions) {
      if (fee != 0) assets.insert(asset);
    }
  });
  const exchange::Balances& held = *evs.front().balances_before;
  for (const std::string& asset : assets) {
    auto it = held.find(asset);
    int64_t observed = 0;
    if (it != held.end()) {
      if (!it->second.exact) continue;  // too large to hold exactly: not an asset keel trades
      observed = it->second.free_e8 + it->second.locked_e8;
    }
    const int64_t expected = a.expected_e8(asset);
    if (observed != expected) out.push_back({asset, expected, observed, account});
  }
  return out;
}

std::vector<R4Mismatch> r4_check(const model::State& state, const Evidence& ev) {
  return r4_check(state, std::vector<Evidence>{ev});
}

}  // namespace keel::recovery
