// The acting half of the engine: user events in, decisions out. Journal first, act second.
#include "keel/core/failpoint.h"
#include "keel/core/ids.h"
#include "keel/engine/engine.h"
#include "keel/strategy/grid.h"

namespace keel::engine {

using exchange::ExecType;
using exchange::Outcome;
using journal::Body;
using journal::Record;
using journal::Source;

journal::DecisionContext Engine::context(const std::string& reason) const {
  return {view_.best_bid_ticks, view_.best_ask_ticks, view_.last_trade_ticks, reason};
}

namespace {

// The evidence an executionReport carries that the folded state does not hold yet, if any.
bool evidence_of(const exchange::ExecutionReport& er, const model::TaskState& task,
                 const model::Order& o, Body& out) {
  switch (er.exec_type) {
    case ExecType::kNew:
      if (o.phase != model::OrderPhase::kInFlight) return false;
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
      if (o.phase == model::OrderPhase::kClosed) return false;
      out = journal::OrderCanceled{o.client_order_id, er.order.executed_lots, Source::kUserStream};
      return true;
    case ExecType::kRejected:
      if (o.phase != model::OrderPhase::kInFlight) return false;
      out = journal::OrderRejected{o.client_order_id, 0, "rejected (executionReport)",
                                   Source::kUserStream};
      return true;
    case ExecType::kReplaced:
      return false;
  }
  return false;
}

}  // namespace

Status Engine::drain_user_events() {
  inbox_.clear();
  venue_.poll_user_events(inbox_);
  if (inbox_.empty()) return Status::Ok();
  failpoint("engine.user_event.received");
  stats_.user_events += inbox_.size();
  std::vector<Record>& recs = user_recs_;  // reused: its buffer survives
  recs.clear();
  for (const exchange::ExecutionReport& er : inbox_) {
    const std::string& cid = er.exec_type == ExecType::kTrade ? er.trade.client_order_id
                                                               : er.order.client_order_id;
    auto parsed = parse_client_order_id(cid);
    if (!parsed) continue;  // not keel's order
    auto task = state_.tasks.find(parsed->task);
    if (task == state_.tasks.end()) continue;  // another task's journal
    auto order = task->second.orders.find(cid);
    if (order == task->second.orders.end()) continue;  // reconciliation reports it (W5)
    Body body;
    if (evidence_of(er, task->second, order->second, body)) {
      recs.push_back(record(task->first, std::move(body)));
    }
  }
  return commit(recs, /*sync=*/false);
}

Status Engine::decide_and_act(size_t i) {
  const TaskConfig& task = config_.tasks[i];
  strategy::GridMemo& memo = memos_[i];
  // Most events change nothing the grid reads: skip the strategy when it provably returns
  // nothing again (no allocation, no lookup by task id).
  if (memo.still_quiet(view_, task.grid, state_.last_seq)) return Status::Ok();
  const model::TaskState& ts = state_.tasks.at(task.id);
  specs_.clear();
  strategy::decide_grid(view_, ts, task.grid, specs_);
  if (specs_.empty()) {
    memo.quiet(view_, ts, task.grid, state_.last_seq);
    return Status::Ok();
  }
  memo.forget();
  ++stats_.decisions;
  std::vector<Record>& intents = intents_;  // reused: its buffer survives
  intents.clear();
  intents.reserve(specs_.size());
  const uint64_t first_seq = journal_.next_seq();
  for (const strategy::IntentSpec& s : specs_) {
    const uint64_t seq = first_seq + intents.size();
    if (s.kind == strategy::IntentSpec::Kind::kPlace) {
      intents.push_back(record(task.id, journal::PlaceIntent{
          s.slot_key, s.side, s.price_ticks, s.qty_lots, make_client_order_id("", task.id, seq),
          context(s.reason), {}}));
    } else {
      intents.push_back(record(task.id, journal::CancelIntent{s.slot_key, s.client_order_id,
                                                              context(s.reason), {}}));
    }
  }
  KEEL_RETURN_IF_ERROR(commit(intents, config_.sync_intents));  // W1: durable before any request
  KEEL_ASSERT(intents.front().seq == first_seq);
  return send_and_record(task.id, intents);
}

Status Engine::send_and_record(const std::string& task_id, const std::vector<Record>& intents) {
  const std::string& symbol = config_.instrument.symbol;
  std::vector<Record>& outcomes = outcomes_;  // reused: its buffer survives
  outcomes.clear();
  for (const Record& rec : intents) {
    failpoint("engine.request.before_send");
    if (const auto* p = std::get_if<journal::PlaceIntent>(&rec.body)) {
      const exchange::PlaceResult r =
          venue_.place({symbol, p->side, p->price_ticks, p->qty_lots, p->client_order_id, {}});
      failpoint("engine.request.after_response");
      if (r.outcome == Outcome::kAccepted) {
        outcomes.push_back(record(task_id, journal::OrderAccepted{
            p->client_order_id, r.order.order_id, Source::kResponse}));
      } else if (r.outcome == Outcome::kRejected) {
        outcomes.push_back(record(task_id, journal::OrderRejected{
            p->client_order_id, r.error.code, r.error.msg, Source::kResponse}));
      } else {
        ++stats_.unknown_outcomes;  // R1: stays PENDING until evidence arrives
      }
    } else if (const auto* c = std::get_if<journal::CancelIntent>(&rec.body)) {
      const exchange::CancelResult r = venue_.cancel(symbol, c->client_order_id);
      failpoint("engine.request.after_response");
      if (r.outcome == Outcome::kAccepted) {
        outcomes.push_back(record(task_id, journal::OrderCanceled{
            c->client_order_id, r.order.executed_lots, Source::kResponse}));
      } else if (r.outcome == Outcome::kRejected) {
        outcomes.push_back(record(task_id, journal::CancelRejected{
            c->client_order_id, r.error.code, r.error.msg}));
      } else {
        ++stats_.unknown_outcomes;
      }
    }
  }
  failpoint("engine.outcome.before_journal");
  return commit(outcomes, /*sync=*/false);
}

size_t Engine::emergency_cancel_all() {
  size_t canceled = 0;
  auto open = venue_.open_orders(config_.instrument.symbol);
  if (!open.ok()) return 0;
  for (const exchange::OrderReport& r : *open) {
    auto parsed = parse_client_order_id(r.client_order_id);
    if (!parsed || state_.tasks.count(parsed->task) == 0) continue;
    const auto res = venue_.cancel(config_.instrument.symbol, r.client_order_id);
    if (res.outcome == Outcome::kAccepted) ++canceled;
  }
  return canceled;
}

}  // namespace keel::engine
