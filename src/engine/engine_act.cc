// The acting half of the engine: user events in, decisions out. Journal first, act second.
#include <algorithm>
#include <set>

#include "keel/core/clock.h"
#include "keel/core/failpoint.h"
#include "keel/core/ids.h"
#include "keel/engine/engine.h"
#include "keel/risk/risk.h"
#include "session.h"

namespace keel::engine {

using exchange::ExecType;
using exchange::Outcome;
using journal::Body;
using journal::Record;
using journal::Source;

journal::DecisionContext Engine::context(const strategy::MarketView& view,
                                         const std::string& reason) const {
  return {view.best_bid_ticks, view.best_ask_ticks, view.last_trade_ticks, reason};
}

journal::RequestTiming Engine::timing(const exchange::Exchange& venue) const {
  return {venue.venue_time_ms(), config_.binance.recv_window_ms};
}

namespace {

bool closed_as_absent(const model::Order& o) {
  return !o.working() && (o.closed_by == model::CloseReason::kRejected ||
                          o.closed_by == model::CloseReason::kNotFound);
}

// The evidence an executionReport carries that the folded state does not hold yet, if any.
bool evidence_of(const exchange::ExecutionReport& er, const model::TaskState& task,
                 const model::Order& o, Body& out) {
  switch (er.exec_type) {
    case ExecType::kNew:  // also a late NEW of an order given up as never received (reopens)
      if (o.phase != model::OrderPhase::kInFlight && !closed_as_absent(o)) return false;
      out = journal::OrderAccepted{o.client_order_id, er.order.order_id, Source::kUserStream};
      return true;
    case ExecType::kTrade: {
      if (task.trade_seen(er.trade.trade_id)) return false;
      const exchange::TradeReport& t = er.trade;
      out = journal::OrderFilled{o.client_order_id, t.trade_id, t.order_id, t.side,
                                 t.price_ticks, t.qty_lots, t.commission_e8, t.commission_asset,
                                 t.is_maker, Source::kUserStream};
      return true;
    }
    case ExecType::kCanceled:
    case ExecType::kExpired:
      // Closes a working order; on a closed one it still carries the venue's executed
      // quantity, which may say fills are owed.
      if (!o.working() && !closed_as_absent(o) && er.order.executed_lots <= o.venue_executed_lots) {
        return false;
      }
      out = journal::OrderCanceled{o.client_order_id, er.order.executed_lots, Source::kUserStream};
      return true;
    case ExecType::kRejected:
      if (o.phase != model::OrderPhase::kInFlight) return false;
      out = journal::OrderRejected{o.client_order_id, 0, "rejected (executionReport)",
                                   Source::kUserStream};
      return true;
    case ExecType::kReplaced:  // a keepPriority amend took effect (or one of another process)
      if (er.order.qty_lots >= o.qty_lots && !o.amend_pending) return false;
      out = journal::OrderAmended{o.client_order_id, er.order.qty_lots, Source::kUserStream};
      return true;
  }
  return false;
}

}  // namespace

// Every account's user events of one pass go into one batch (W2: journaled, then folded).
Status Engine::drain_user_events() {
  std::vector<Record>& recs = user_recs_;  // reused: its buffer survives
  recs.clear();
  // The sessions' answers first: each is the evidence of a request the journal holds (W2).
  answers_.clear();
  for (Account& a : accounts_) {
    if (a.session) a.session->poll(answers_);
  }
  for (const Answer& ans : answers_) record_answer(ans.intent, ans.result, recs);
  if (!answers_.empty()) failpoint("engine.outcome.before_journal");
  bool any = false;
  for (Account& a : accounts_) {
    a.inbox.clear();
    a.balance_inbox.clear();
    a.venue->poll_user_events(a.inbox);
    a.venue->poll_balance_updates(a.balance_inbox);
    any = any || !a.inbox.empty() || !a.balance_inbox.empty();
  }
  if (!any) return commit(recs, /*sync=*/false);  // the answers alone, if any
  failpoint("engine.user_event.received");
  for (Account& a : accounts_) drain_account(a, recs);
  return commit(recs, /*sync=*/false);
}

void Engine::drain_account(Account& a, std::vector<Record>& recs) {
  stats_.user_events += a.inbox.size();
  if (state_.account(a.id).has_baseline) {  // before the baseline, the baseline holds them
    for (const exchange::BalanceUpdate& u : a.balance_inbox) {
      recs.push_back(record(journal::account_tag(a.id),
                            journal::BalanceChanged{u.asset, u.delta_e8, u.event_time_ms,
                                                    u.clear_time_ms}));
    }
  }
  std::set<int64_t> batch_trades;  // a duplicated event in one batch is journaled once
  for (const exchange::ExecutionReport& er : a.inbox) {
    const std::string& cid = er.exec_type == ExecType::kTrade ? er.trade.client_order_id
                                                               : er.order.client_order_id;
    auto parsed = parse_client_order_id(cid);
    if (!parsed) continue;  // not keel's order: its trades reach R4 through myTrades
    auto task = state_.tasks.find(parsed->task);
    // A legacy id is ours only when the journal holds that order (recovery/reconcile.cc).
    const bool mine = parsed->epoch.empty()
                          ? task != state_.tasks.end() && task->second.orders.count(cid) != 0
                          : state_.has_epoch(parsed->epoch);
    // Another keel journal's order on this account (W5): never touched here.
    if (!mine) {
      ++stats_.foreign_events;
      continue;
    }
    // One of ours placed through another account's connection, reported on this one's: the two
    // accounts are one exchange account. Never applied here; both accounts' tasks stop.
    if (task != state_.tasks.end() && task->second.config.account != a.id) {
      ++stats_.foreign_events;
      halt_one_exchange_account(a.id, task->second.config.account, cid, recs);
      continue;
    }
    if (task == state_.tasks.end() || task->second.orders.count(cid) == 0) {
      evidence_gap_ = true;  // ours, but not in the journal: reconciliation adopts or reports it
      continue;
    }
    const model::Order& o = task->second.orders.at(cid);
    const int64_t venue_id =
        er.exec_type == ExecType::kTrade ? er.trade.order_id : er.order.order_id;
    if (venue_id != 0 && o.order_id != 0 && venue_id != o.order_id) continue;  // W5: not ours
    if (er.exec_type == ExecType::kTrade &&
        !batch_trades.insert(er.trade.trade_id).second) {
      continue;
    }
    Body body;
    if (evidence_of(er, task->second, o, body)) recs.push_back(record(task->first, std::move(body)));
  }
}

// The user stream of `seen_on` carried `cid`, an order of this journal placed through account
// `placed_on`: both connections reach one exchange account (the same API key, or two keys of one
// account). Neither account's R4 can hold (each sees the other's trades and balances) and R4
// would only say so at the first fill, advising to declare the other account's trades: every
// task of both stops now, the cause named (E1). Once per pair of accounts.
void Engine::halt_one_exchange_account(const std::string& seen_on, const std::string& placed_on,
                                       const std::string& cid, std::vector<Record>& recs) {
  const std::string& lo = std::min(seen_on, placed_on);
  const std::string& hi = std::max(seen_on, placed_on);
  const std::string cause = "accounts " + lo + " and " + hi + " are one exchange account";
  const std::string reason =
      cause + ": the user stream of " + seen_on + " reported order " + cid + " placed through " +
      placed_on + " (the same API key, or two keys of one account?); R4 cannot hold for either. "
      "Give each account its own exchange account";
  for (const auto& entry : state_.tasks) {
    const std::string& id = entry.first;
    const model::TaskState& t = entry.second;
    if (t.config.account != lo && t.config.account != hi) continue;
    if (t.halted.find(cause) != std::string::npos) continue;
    const bool pending = std::any_of(recs.begin(), recs.end(), [&](const Record& r) {
      const auto* h = std::get_if<journal::TaskHalted>(&r.body);
      return r.task_id == id && h != nullptr && h->reason.find(cause) != std::string::npos;
    });
    if (!pending) recs.push_back(record(id, journal::TaskHalted{reason}));
  }
}

// Working orders that are not their slot's current order are cancelled (model/state.h).
void Engine::add_stray_cancels(const model::TaskState& ts) {
  for (const model::Order* o : ts.strays()) {
    if (o->phase != model::OrderPhase::kOpen || o->cancel_pending || o->cancel_refused) continue;
    strategy::IntentSpec s;
    s.kind = strategy::IntentSpec::Kind::kCancel;
    s.slot_key = o->slot_key;
    s.client_order_id = o->client_order_id;
    s.reason = o->adopted ? "adopted order: not its slot's current order"
                          : "late execution of an order given up: not its slot's current order";
    specs_.push_back(std::move(s));
  }
}

// An amend of an order that is not open, or whose cancel or amend is in doubt, would act on an
// unknown outcome (R1): it waits for the evidence and is decided again then.
void Engine::hold_back_amends_in_doubt(const model::TaskState& ts) {
  std::erase_if(specs_, [&ts](const strategy::IntentSpec& s) {
    if (s.kind != strategy::IntentSpec::Kind::kAmend) return false;
    const model::Order* o = ts.find_order(s.client_order_id);
    return o == nullptr || o->phase != model::OrderPhase::kOpen || o->cancel_pending ||
           o->cancel_refused || o->amend_pending;
  });
}

void Engine::plan_task(size_t i, Plan& plan, std::vector<Record>& guards) {
  const TaskConfig& task = config_.tasks[i];
  const strategy::MarketView& view = markets_[task.instrument_index]->view;
  strategy::DecisionMemo* memo = memos_[i].get();
  // Most events change nothing a strategy reads: skip it when it provably returns nothing
  // again (no allocation, no lookup by task id).
  // A guard on market figures is judged on every event, however quiet the strategy is.
  if (memo != nullptr && !task.risk.watches_market() && memo->still_quiet(view, memo_version(i))) {
    return;
  }
  plan.skip = false;
  const model::TaskState& ts = state_.tasks.at(task.id);
  // The risk guard: a change of state is journaled (its reason with it) before any intent
  // decided under it. A task without limits stays SAFE (nothing to count).
  if (task.risk.any() || ts.guard != journal::GuardState::kSafe) {
    plan.exposure = risk::exposure_of(ts, state_.account_of(ts));
    plan.verdict = risk::assess(plan.exposure, risk::market_of(view, ts, task.risk), task.risk,
                                ts.instrument, {ts.guard, ts.guard_since_ns, view.ts_exchange_ns});
  }
  if (plan.verdict.state != ts.guard) {
    guards.push_back(record(task.id, journal::GuardChanged{plan.verdict.state, plan.verdict.reason}));
  }
}

void Engine::decide_task(size_t i, const Plan& plan) {
  const TaskConfig& task = config_.tasks[i];
  strategy::MarketView& view = markets_[task.instrument_index]->view;
  strategy::DecisionMemo* memo = memos_[i].get();
  const model::TaskState& ts = state_.tasks.at(task.id);
  specs_.clear();
  add_stray_cancels(ts);
  if (task.impl->reads_balances()) view.balances = balances(ts);
  task.impl->decide(view, ts, specs_);
  hold_back_amends_in_doubt(ts);
  if (task.risk.any() && ts.halted.empty()) {
    stats_.risk_dropped += risk::filter(specs_, ts, plan.exposure, task.risk, plan.verdict.state);
  }
  if (specs_.empty()) {
    if (memo != nullptr) memo->quiet(view, ts, memo_version(i));
    return;
  }
  if (memo != nullptr) memo->forget();
  decided_[i].swap(specs_);  // both buffers survive
}

// The budgets, before the journal: what does not fit waits for a later decision. Each account's
// figures are read from the fold once per pass, at the venue clock its requests are stamped
// with (known before any market event: a restart's stray cancels come before the first one),
// then carry the pass's own admitted orders from task to task.
void Engine::admit_pass() {
  pass_accounts_.assign(accounts_.size(), PassAccount{});
  if (stats_.order_limited_by_account.size() != accounts_.size()) {
    stats_.order_limited_by_account.assign(accounts_.size(), 0);
  }
  // The rotation (risk/risk.h "Request budgets"): each account's tasks in config order, the
  // first one the second of the venue clock (the first account's: every account is on one
  // venue) modulo their number. Accounts' budgets are independent: their order is immaterial.
  const int64_t second = venue_now_ms() / 1'000;
  for (size_t ai = 0; ai < accounts_.size(); ++ai) {
    const std::vector<size_t>& tasks = tasks_of_account_[ai];
    const size_t m = tasks.size();
    const size_t first = m == 0 ? 0 : static_cast<size_t>(second % static_cast<int64_t>(m));
    for (size_t k = 0; k < m; ++k) {
      const size_t i = tasks[(first + k) % m];
      if (!decided_[i].empty()) admit_task(i);
    }
  }
}

void Engine::admit_task(size_t i) {
  const TaskConfig& task = config_.tasks[i];
  const size_t ai = task.account_index;
  const exchange::Exchange& venue = *accounts_[ai].venue;
  PassAccount& pa = pass_accounts_[ai];
  if (!pa.counted) {
    pa.counted = true;
    pa.stamp = timing(venue);
    pa.orders = risk::account_orders(state_, accounts_[ai].id, ms_to_ns(pa.stamp.timestamp_ms));
  }
  // A config built by hand may list no account (the Engine then names one "default").
  const risk::OrderLimits limits =
      ai < config_.accounts.size() ? config_.accounts[ai].orders : risk::OrderLimits{};
  const risk::Admission a = risk::admit(decided_[i], state_.tasks.at(task.id), task.rate, limits,
                                        venue.amend_allowed(task.symbol), pa.orders);
  if (a.throttled) ++stats_.throttled_decisions;
  if (a.held > 0) {
    ++stats_.order_limited_decisions;
    ++stats_.order_limited_by_account[ai];
    stats_.orders_held += a.held;
  }
}

void Engine::emit_task(size_t i, uint64_t first_seq, std::vector<Record>& pass) {
  const std::vector<strategy::IntentSpec>& specs = decided_[i];
  if (specs.empty()) return;
  ++stats_.decisions;
  const TaskConfig& task = config_.tasks[i];
  const strategy::MarketView& view = markets_[task.instrument_index]->view;
  const model::TaskState& ts = state_.tasks.at(task.id);
  const journal::RequestTiming& stamp = pass_accounts_[task.account_index].stamp;
  const std::string& epoch = state_.epoch();
  for (const strategy::IntentSpec& s : specs) {
    const uint64_t seq = first_seq + pass.size();
    if (s.kind == strategy::IntentSpec::Kind::kPlace) {
      pass.push_back(record(task.id, journal::PlaceIntent{
          s.slot_key, s.side, s.price_ticks, s.qty_lots,
          make_client_order_id(epoch, task.id, seq), context(view, s.reason), stamp}));
    } else if (s.kind == strategy::IntentSpec::Kind::kAmend) {
      pass.push_back(record(task.id, amend_intent(i, ts, s, seq, stamp)));
    } else {
      pass.push_back(record(task.id, journal::CancelIntent{s.slot_key, s.client_order_id,
                                                           context(view, s.reason), stamp}));
    }
  }
}

// The evidence one answer carries, appended to `out` (W2: journaled before it is folded).
// Unknown halves add nothing: they stay PENDING until a query, the stream or the open orders
// settle them (R1), and a reconciliation is owed at once.
void Engine::record_place(const std::string& task_id, const std::string& cid,
                          const exchange::PlaceResult& r, std::vector<Record>& out) {
  if (r.outcome == Outcome::kAccepted) {
    out.push_back(record(task_id, journal::OrderAccepted{cid, r.order.order_id, Source::kResponse}));
  } else if (r.outcome == Outcome::kRejected) {
    out.push_back(record(task_id, journal::OrderRejected{cid, r.error.code, r.error.msg,
                                                         Source::kResponse}));
  } else {
    owe_reconciliation();
  }
}

void Engine::record_cancel(const std::string& task_id, const std::string& cid,
                           const exchange::CancelResult& r, std::vector<Record>& out) {
  if (r.outcome == Outcome::kAccepted) {
    out.push_back(record(task_id, journal::OrderCanceled{cid, r.order.executed_lots,
                                                         Source::kResponse}));
    return;
  }
  if (r.outcome == Outcome::kRejected) {
    out.push_back(record(task_id, journal::CancelRejected{cid, r.error.code, r.error.msg}));
  }
  // Refused (-2011: filled or canceled, its event lost) or unknown: the order's fate comes from
  // a query, never from sending the cancel again.
  owe_reconciliation();
}

void Engine::owe_reconciliation() {
  const int64_t now_ms = venue_now_ms();
  if (reconcile_due_ms_ == 0 || now_ms < reconcile_due_ms_) reconcile_due_ms_ = now_ms;
}

// An amend that only lowers what is left to execute at the same price keeps the order's queue
// position (order.amend.keepPriority, when the venue allows it, at most kMaxAmendsPerOrder per
// order: Binance's MAX_NUM_ORDER_AMENDS); any other is one cancelReplace.
journal::AmendIntent Engine::amend_intent(size_t i, const model::TaskState& ts,
                                          const strategy::IntentSpec& s, uint64_t seq,
                                          const journal::RequestTiming& stamp) const {
  const TaskConfig& task = config_.tasks[i];
  journal::AmendIntent a{s.slot_key, s.client_order_id,
                         make_client_order_id(state_.epoch(), ts.id, seq), s.price_ticks,
                         s.qty_lots, context(markets_[task.instrument_index]->view, s.reason),
                         s.side, stamp};
  const model::Order* o = ts.find_order(s.client_order_id);
  if (risk::keeps_priority(o, s,
                           accounts_[task.account_index].venue->amend_allowed(task.symbol))) {
    a.keep_priority = true;
    a.client_order_id = s.client_order_id;          // the same order...
    a.qty_lots = o->filled_lots + s.qty_lots;       // ...whose quantity counts its fills
  }
  return a;
}

// Each request leaves on its task's account: handed to the account's session (a network venue:
// the answer comes back as an event, drain_user_events) or sent here (the embedded exchange).
Status Engine::send_and_record(const std::vector<Record>& intents) {
  std::vector<Record>& outcomes = outcomes_;  // reused: its buffer survives
  outcomes.clear();
  bool answered = false;
  for (const Record& rec : intents) {
    const std::string& symbol = state_.tasks.at(rec.task_id).instrument.symbol;
    Account& a = account_of(rec.task_id);
    if (a.session) {
      a.session->submit(symbol, rec);
      continue;
    }
    record_answer(rec, send_request(*a.venue, symbol, rec), outcomes);
    answered = true;
  }
  if (!answered) return Status::Ok();
  failpoint("engine.outcome.before_journal");
  return commit(outcomes, /*sync=*/false);
}

// The evidence one answer carries (W2: appended to `out`, journaled before it is folded).
void Engine::record_answer(const Record& rec, const VenueAnswer& answer, std::vector<Record>& out) {
  const std::string& task_id = rec.task_id;
  if (const auto* p = std::get_if<journal::PlaceIntent>(&rec.body)) {
    const auto& r = std::get<exchange::PlaceResult>(answer);
    if (r.outcome == Outcome::kUnknown) ++stats_.unknown_outcomes;  // R1: stays PENDING
    record_place(task_id, p->client_order_id, r, out);
  } else if (const auto* c = std::get_if<journal::CancelIntent>(&rec.body)) {
    const auto& r = std::get<exchange::CancelResult>(answer);
    if (r.outcome == Outcome::kUnknown) ++stats_.unknown_outcomes;
    record_cancel(task_id, c->client_order_id, r, out);
  } else if (const auto* a = std::get_if<journal::AmendIntent>(&rec.body); a && a->keep_priority) {
    const auto& r = std::get<exchange::AmendResult>(answer);
    if (r.outcome == Outcome::kAccepted) {
      out.push_back(record(task_id, journal::OrderAmended{a->client_order_id, r.order.qty_lots,
                                                          Source::kResponse}));
    } else if (r.outcome == Outcome::kRejected) {
      out.push_back(record(task_id, journal::AmendRejected{a->client_order_id, r.error.code,
                                                           r.error.msg}));
    } else {
      ++stats_.unknown_outcomes;  // R1: the order keeps its larger quantity until evidence
      owe_reconciliation();
    }
  } else if (a != nullptr) {
    // cancelReplace (STOP_ON_FAILURE): each half is evidence of its own order.
    const auto& r = std::get<exchange::ReplaceResult>(answer);
    if (r.cancel_outcome == Outcome::kUnknown || r.place_outcome == Outcome::kUnknown) {
      ++stats_.unknown_outcomes;
    }
    record_cancel(task_id, a->orig_client_order_id, {r.cancel_outcome, r.canceled, r.error}, out);
    exchange::PlaceResult placed{r.place_outcome, r.placed, r.error};
    if (r.cancel_outcome == Outcome::kRejected && r.place_outcome == Outcome::kRejected) {
      placed.error.msg = "not attempted, the cancel half failed: " + placed.error.msg;
    }
    record_place(task_id, a->client_order_id, placed, out);
  }
}

size_t Engine::emergency_cancel_all() {
  for (Account& a : accounts_) {
    if (a.session) a.session->abandon();  // W4: no queued place leaves after the journal failed
  }
  size_t canceled = 0;
  std::set<std::pair<std::string, std::string>> scopes;  // (account, symbol)
  for (const auto& [id, t] : state_.tasks) scopes.insert({t.config.account, t.instrument.symbol});
  for (Account& a : accounts_) {
    for (const auto& [account, symbol] : scopes) {
      if (account != a.id) continue;
      auto open = a.venue->open_orders(symbol);
      if (!open.ok()) continue;
      for (const exchange::OrderReport& r : *open) {
        auto parsed = parse_client_order_id(r.client_order_id);
        if (!parsed || state_.tasks.count(parsed->task) == 0) continue;
        if (!parsed->epoch.empty() && !state_.has_epoch(parsed->epoch)) continue;  // W5
        if (parsed->epoch.empty() &&
            state_.tasks.at(parsed->task).find_order(r.client_order_id) == nullptr) {
          continue;  // a legacy id the journal does not hold: another process's (W5)
        }
        if (a.venue->cancel(symbol, r.client_order_id).outcome == Outcome::kAccepted) ++canceled;
      }
    }
  }
  return canceled;
}

}  // namespace keel::engine
