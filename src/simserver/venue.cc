// The venue: accounts over SimExchange, the replayed market view, user-data fan-out (venue.h).
#include "venue.h"

#include <algorithm>
#include <filesystem>
#include <variant>

#include "render.h"

namespace keel::simserver {
namespace {

using exchange::ExecType;
using exchange::ExecutionReport;
using exchange::OrderReport;

constexpr int64_t kDayMs = 86'400'000;
constexpr size_t kMaxCountedOrders = 200'000;  // bound of the per-day order count memory

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

market::BookTicker MarketView::bbo() const {
  if (ticker_seen && (!book.synced() || ticker.update_id >= book.last_update_id())) return ticker;
  market::BookTicker t;
  if (!book.synced()) return t;
  t.update_id = book.last_update_id();
  t.bid_price_e8 = book.best_bid_e8();
  t.bid_qty_e8 = book.qty_at_e8(Side::kBuy, t.bid_price_e8);
  t.ask_price_e8 = book.best_ask_e8();
  t.ask_qty_e8 = book.qty_at_e8(Side::kSell, t.ask_price_e8);
  return t;
}

Venue::Venue(VenueOptions opts)
    : opts_(std::move(opts)),
      request_faults_(opts_.faults, opts_.seed),
      stream_prefix_(lower(opts_.instrument.symbol) + "@") {}

Result<std::unique_ptr<Venue>> Venue::open(const VenueOptions& opts) {
  KEEL_RETURN_IF_ERROR(validate_accounts(opts.accounts, "accounts"));
  std::error_code ec;
  std::filesystem::create_directories(opts.state_dir, ec);
  if (ec) return Status::IOError("state directory " + opts.state_dir + ": " + ec.message());
  std::unique_ptr<Venue> v(new Venue(opts));
  for (const AccountConfig& cfg : opts.accounts) {
    exchange::sim::SimOptions so;
    so.instrument = opts.instrument;
    so.maker_fee_rate_e8 = opts.maker_fee_rate_e8;
    so.initial_balances = cfg.balances;
    so.state_dir = (std::filesystem::path(opts.state_dir) / cfg.name).string();
    so.account = cfg.name;
    so.commission_mode = opts.commission_mode;
    so.commission_asset = opts.commission_asset;
    so.commission_asset_price_e8 = opts.commission_asset_price_e8;
    auto sim = exchange::sim::SimExchange::open(std::move(so));
    if (!sim.ok()) return sim.status().With("account " + cfg.name);
    auto a = std::make_unique<VenueAccount>(
        cfg, std::move(*sim), EventFaults(opts.faults, stream_seed(opts.seed, "events/" + cfg.name)));
    v->index_orders(*a);
    v->accounts_.push_back(std::move(a));
  }
  return v;
}

void Venue::index_orders(VenueAccount& a) {
  for (const OrderReport& o : a.sim->truth().orders) {
    a.client_of[o.order_id] = o.client_order_id;
    a.created_ms[o.order_id] = ns_to_ms(o.ts_update_ns);
  }
}

void Venue::set_publisher(Publisher* p) {
  std::lock_guard<std::mutex> lock(mu_);
  publisher_ = p;
}

std::optional<size_t> Venue::find_by_key(std::string_view api_key) const {
  for (size_t i = 0; i < accounts_.size(); ++i) {
    if (accounts_[i]->cfg.api_key == api_key) return i;
  }
  return std::nullopt;
}

std::optional<size_t> Venue::find_by_name(std::string_view name) const {
  for (size_t i = 0; i < accounts_.size(); ++i) {
    if (accounts_[i]->cfg.name == name) return i;
  }
  return std::nullopt;
}

int64_t Venue::now_ms(size_t i) const { return ns_to_ms(accounts_[i]->sim->now_ns()); }

int64_t Venue::created_ms(size_t i, const OrderReport& o) const {
  const auto& m = accounts_[i]->created_ms;
  auto it = m.find(o.order_id);
  return it == m.end() ? ns_to_ms(o.ts_update_ns) : it->second;
}

std::optional<OrderReport> Venue::order_by_id(size_t i, int64_t order_id) {
  VenueAccount& a = *accounts_[i];
  auto it = a.client_of.find(order_id);
  if (it == a.client_of.end()) return std::nullopt;
  auto q = a.sim->query_order(opts_.instrument.symbol, it->second);
  if (q.ok() && q->order_id == order_id) return *q;
  // The client id was reused by a newer order: find this one in the full history.
  const auto orders = a.sim->truth().orders;
  auto pos = std::lower_bound(orders.begin(), orders.end(), order_id,
                              [](const OrderReport& o, int64_t id) { return o.order_id < id; });
  if (pos == orders.end() || pos->order_id != order_id) return std::nullopt;
  return *pos;
}

std::pair<int64_t, int64_t> Venue::count_order(size_t i, int64_t wall_ms) {
  auto& q = accounts_[i]->order_wall_ms;
  q.push_back(wall_ms);
  while (!q.empty() && (q.front() <= wall_ms - kDayMs || q.size() > kMaxCountedOrders)) {
    q.pop_front();
  }
  const auto in_10s = std::count_if(q.rbegin(), q.rend(),
                                    [&](int64_t t) { return t > wall_ms - 10'000; });
  return {in_10s, static_cast<int64_t>(q.size())};
}

void Venue::emit_user(size_t i, std::shared_ptr<const std::string> event) {
  VenueAccount& a = *accounts_[i];
  auto deliver = [&](const std::shared_ptr<const std::string>& e) {
    if (publisher_ != nullptr) publisher_->publish_user(i, e);
  };
  std::shared_ptr<const std::string> held = std::move(a.held);
  a.held.reset();
  switch (a.event_faults.draw()) {
    case EventFault::kDrop:
      break;
    case EventFault::kDuplicate:
      deliver(event);
      deliver(event);
      break;
    case EventFault::kReorder:
      if (!held) {
        a.held = std::move(event);  // goes out after the account's next event
        return;
      }
      deliver(event);
      break;
    case EventFault::kDeliver:
      deliver(event);
      break;
  }
  if (held) deliver(held);  // the event it was held behind went first
}

void Venue::drain(size_t i, const std::string& cancel_client_id) {
  VenueAccount& a = *accounts_[i];
  std::vector<exchange::BalanceUpdate> updates;
  a.sim->poll_balance_updates(updates);
  std::vector<ExecutionReport> events;
  a.sim->poll_user_events(events);
  if (events.empty() && updates.empty()) {
    if (a.held && publisher_ != nullptr) publisher_->publish_user(i, a.held);  // a quiet step
    a.held.reset();
    return;
  }
  std::vector<std::string> assets;  // of the outboundAccountPosition, each once
  auto touch = [&](const std::string& asset) {
    if (std::find(assets.begin(), assets.end(), asset) == assets.end()) assets.push_back(asset);
  };
  for (const exchange::BalanceUpdate& u : updates) {
    emit_user(i, std::make_shared<const std::string>(render_balance_update(u, now_ms(i))));
    touch(u.asset);
  }
  for (const ExecutionReport& r : events) {
    if (r.exec_type == ExecType::kNew) {
      a.client_of[r.order.order_id] = r.order.client_order_id;
      a.created_ms.emplace(r.order.order_id, ns_to_ms(r.order.ts_update_ns));
    }
    ExecContext ctx;
    ctx.event_ms = now_ms(i);
    ctx.created_ms = created_ms(i, r.order);
    if (r.exec_type == ExecType::kCanceled) ctx.cancel_client_id = cancel_client_id;
    emit_user(i, std::make_shared<const std::string>(
                     render_execution_report(opts_.instrument, r, ctx)));
    // Every NEW, CANCELED and TRADE moves free/locked funds of the instrument's assets.
    touch(opts_.instrument.base_asset);
    touch(opts_.instrument.quote_asset);
    if (r.exec_type == ExecType::kTrade) touch(r.trade.commission_asset);
  }
  auto balances = a.sim->balances();
  if (balances.ok()) {
    emit_user(i, std::make_shared<const std::string>(
                     render_account_position(assets, *balances, now_ms(i))));
  }
}

Result<exchange::BalanceUpdate> Venue::deposit(size_t i, const std::string& asset,
                                               int64_t delta_e8) {
  auto u = accounts_[i]->sim->deposit(asset, delta_e8);
  if (u.ok()) drain(i);
  return u;
}

void Venue::apply_market(const market::MarketEvent& ev) {
  ++market_.events;
  if (!ev.symbol.empty() && ev.symbol != opts_.instrument.symbol) return;
  market_.book.on_event(ev);
  if (const auto* t = std::get_if<market::BookTicker>(&ev.body)) {
    market_.ticker = *t;
    market_.ticker_seen = true;
  }
}

void Venue::publish_market_event(const market::MarketEvent& ev) {
  if (publisher_ == nullptr || ev.symbol != opts_.instrument.symbol) return;
  const std::string& sym = opts_.instrument.symbol;
  if (const auto* d = std::get_if<market::DepthDiff>(&ev.body)) {
    auto payload = std::make_shared<const std::string>(render_depth_update(*d, sym));
    publisher_->publish_market(stream_prefix_ + "depth@100ms", payload);
    publisher_->publish_market(stream_prefix_ + "depth", payload);
  } else if (const auto* t = std::get_if<market::BookTicker>(&ev.body)) {
    publisher_->publish_market(stream_prefix_ + "bookTicker",
                               std::make_shared<const std::string>(render_book_ticker(*t, sym)));
  } else if (const auto* tr = std::get_if<market::Trade>(&ev.body)) {
    publisher_->publish_market(stream_prefix_ + "trade",
                               std::make_shared<const std::string>(render_trade_event(*tr, sym)));
  }
}

uint64_t Venue::resume_position() {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t pos = 0;
  for (const auto& a : accounts_) pos = std::max(pos, a->sim->position());
  return pos;
}

Status Venue::catch_up(const market::MarketEvent& ev, uint64_t index) {
  std::lock_guard<std::mutex> lock(mu_);
  apply_market(ev);
  for (size_t i = 0; i < accounts_.size(); ++i) {
    VenueAccount& a = *accounts_[i];
    const bool warm = index < a.sim->position();
    Status s = warm ? a.sim->warm_up(ev) : a.sim->on_market(ev);
    if (!s.ok()) return s.With("account " + a.cfg.name);
    if (!warm) drain(i);
  }
  return Status::Ok();
}

Status Venue::on_live(const market::MarketEvent& ev) {
  std::lock_guard<std::mutex> lock(mu_);
  apply_market(ev);
  publish_market_event(ev);
  for (size_t i = 0; i < accounts_.size(); ++i) {
    Status s = accounts_[i]->sim->on_market(ev);
    if (!s.ok()) return s.With("account " + accounts_[i]->cfg.name);
    drain(i);
  }
  return Status::Ok();
}

Status Venue::end_recording() {
  std::lock_guard<std::mutex> lock(mu_);
  market_.ended = true;
  for (auto& a : accounts_) {
    KEEL_RETURN_IF_ERROR(a->sim->mark_recording_ended().With("account " + a->cfg.name));
  }
  return Status::Ok();
}

bool Venue::recording_ended() {
  std::lock_guard<std::mutex> lock(mu_);
  return std::all_of(accounts_.begin(), accounts_.end(),
                     [](const auto& a) { return a->sim->recording_ended(); });
}

}  // namespace keel::simserver
