#include "dry_run.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <optional>

#include "keel/strategy/registry.h"

namespace keel::app {

using exchange::Outcome;

namespace {

exchange::VenueError unknown_order() { return {400, -2011, "Unknown order sent."}; }

}  // namespace

exchange::PlaceResult DryRunVenue::place(const exchange::OrderRequest& req) {
  exchange::PlaceResult r;
  auto it = orders_.find(req.client_order_id);
  if (it != orders_.end() && exchange::is_open(it->second.status)) {
    r.outcome = Outcome::kRejected;
    r.error = {400, -2010, "Duplicate order sent."};
    return r;
  }
  exchange::OrderReport& o = orders_[req.client_order_id];
  o = {req.symbol, next_order_id_++, req.client_order_id, req.side, req.price_ticks,
       req.qty_lots, 0, exchange::OrderStatus::kNew, inner_.venue_time_ms() * 1'000'000};
  r.outcome = Outcome::kAccepted;
  r.order = o;
  return r;
}

exchange::CancelResult DryRunVenue::cancel(const std::string&, const std::string& cid,
                                           exchange::RequestStamp) {
  exchange::CancelResult r;
  auto it = orders_.find(cid);
  if (it == orders_.end() || !exchange::is_open(it->second.status)) {
    r.outcome = Outcome::kRejected;
    r.error = unknown_order();
    return r;
  }
  it->second.status = exchange::OrderStatus::kCanceled;
  r.outcome = Outcome::kAccepted;
  r.order = it->second;
  return r;
}

exchange::ReplaceResult DryRunVenue::cancel_replace(const std::string& cancel_cid,
                                                    const exchange::OrderRequest& replacement) {
  exchange::ReplaceResult r;
  const exchange::CancelResult c = cancel(replacement.symbol, cancel_cid);
  r.cancel_outcome = c.outcome;
  if (c.outcome != Outcome::kAccepted) {  // STOP_ON_FAILURE: the place is not attempted
    r.place_outcome = Outcome::kRejected;
    r.error = c.error;
    return r;
  }
  r.canceled = c.order;
  const exchange::PlaceResult p = place(replacement);
  r.place_outcome = p.outcome;
  r.placed = p.order;
  r.error = p.error;
  return r;
}

exchange::AmendResult DryRunVenue::amend_keep_priority(const std::string&, const std::string& cid,
                                                       int64_t new_qty_lots,
                                                       exchange::RequestStamp) {
  exchange::AmendResult r;
  auto it = orders_.find(cid);
  if (it == orders_.end() || !exchange::is_open(it->second.status)) {
    r.outcome = Outcome::kRejected;
    r.error = {400, -2013, "Order does not exist."};
    return r;
  }
  if (new_qty_lots <= 0 || new_qty_lots >= it->second.qty_lots) {
    r.outcome = Outcome::kRejected;
    r.error = {400, -2038, "Order amend (quantity increase) is not supported."};
    return r;
  }
  it->second.qty_lots = new_qty_lots;
  r.outcome = Outcome::kAccepted;
  r.order = it->second;
  return r;
}

Result<exchange::OrderReport> DryRunVenue::query_order(const std::string&,
                                                       const std::string& cid) {
  auto it = orders_.find(cid);
  if (it == orders_.end()) {
    return Status::NotFound(R"({"code":-2013,"msg":"Order does not exist."})");
  }
  return it->second;
}

Result<std::vector<exchange::OrderReport>> DryRunVenue::open_orders(const std::string&) {
  std::vector<exchange::OrderReport> out;
  for (const auto& [cid, o] : orders_) {
    if (exchange::is_open(o.status)) out.push_back(o);
  }
  return out;
}

Result<exchange::TradePage> DryRunVenue::trades_from(const std::string&, int64_t, size_t) {
  return exchange::TradePage{};
}

Result<std::optional<exchange::TradeReport>> DryRunVenue::latest_trade(const std::string&) {
  return std::optional<exchange::TradeReport>{};
}

Result<std::vector<exchange::OrderReport>> DryRunVenue::orders_from(const std::string&,
                                                                    int64_t from_order_id,
                                                                    size_t max_orders) {
  std::vector<exchange::OrderReport> out;
  for (const auto& [cid, o] : orders_) {
    if (o.order_id >= from_order_id) out.push_back(o);
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.order_id < b.order_id; });
  if (out.size() > max_orders) out.resize(max_orders);
  return out;
}

Result<std::vector<exchange::TradeReport>> DryRunVenue::order_trades(const std::string&, int64_t) {
  return std::vector<exchange::TradeReport>{};
}

void DryRunVenue::poll_user_events(std::vector<exchange::ExecutionReport>& out) {
  std::vector<exchange::ExecutionReport> dropped;  // another process's orders: not this run's
  inner_.poll_user_events(dropped);
  (void)out;
}

namespace {

std::string utc_time(int64_t ns) {
  const std::time_t s = static_cast<std::time_t>(ns / 1'000'000'000);
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ns / 1'000'000 % 1000));
  return buf;
}

std::string slot_text(const engine::TaskConfig& t, int64_t key, const Instrument& ins) {
  const strategy::StrategyInfo* info = strategy::find_strategy(t.strategy);
  return info != nullptr && info->slot_label != nullptr ? info->slot_label(key, ins)
                                                         : std::to_string(key);
}

}  // namespace

void IntentPrinter::print_new() {
  if (journal_.last_seq() < next_seq_) return;
  const Instrument& ins = cfg_.instrument;
  (void)journal_.for_each(next_seq_, [&](const journal::Record& r) {
    next_seq_ = r.seq + 1;
    const engine::TaskConfig* task = nullptr;
    for (const auto& t : cfg_.tasks) {
      if (t.id == r.task_id) task = &t;
    }
    if (task == nullptr) return true;
    std::string line;
    if (const auto* p = std::get_if<journal::PlaceIntent>(&r.body)) {
      line = slot_text(*task, p->slot_key, ins) + " place " + side_name(p->side) + " " +
             ins.format_qty(p->qty_lots) + " @ " + ins.format_price(p->price_ticks) + " -- " +
             p->ctx.reason;
    } else if (const auto* c = std::get_if<journal::CancelIntent>(&r.body)) {
      line = slot_text(*task, c->slot_key, ins) + " cancel " + c->client_order_id + " -- " +
             c->ctx.reason;
    } else if (const auto* a = std::get_if<journal::AmendIntent>(&r.body)) {
      line = slot_text(*task, a->slot_key, ins) + (a->keep_priority ? " amend (keep priority) "
                                                                    : " amend ") +
             side_name(a->side) + " " + ins.format_qty(a->qty_lots) + " @ " +
             ins.format_price(a->price_ticks) + " -- " + a->ctx.reason;
    } else {
      return true;
    }
    ++printed_;
    std::printf("dry-run %s %s %s\n", utc_time(r.ts_exchange_ns).c_str(), r.task_id.c_str(),
                line.c_str());
    return true;
  });
}

void print_dry_run_note(const IntentPrinter& printer) {
  std::printf("dry run: %llu intents decided, none sent (orders rested virtually and never "
              "filled); the journal went to a temporary directory, now removed\n",
              static_cast<unsigned long long>(printer.printed()));
}

Result<std::string> dry_run_dir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string tmpl = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") +
                     "/keel-dry-run-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) {
    return Status::IOError("cannot create a temporary directory for the dry run: " + tmpl);
  }
  return tmpl;
}

}  // namespace keel::app
