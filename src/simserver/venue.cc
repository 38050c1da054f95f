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
      markets_(opts_.instruments.size()) {
  for (const Instrument& ins : opts_.instruments) stream_prefixes_.push_back(lower(ins.symbol) + "@");
}

Result<std::unique_ptr<Venue>> Venue::open(const VenueOptions& opts) {
  KEEL_RETURN_IF_ERROR(validate_accounts(opts.accounts, "accounts"));
  if (opts.instruments.empty()) return Status::InvalidArgument("venue: no instrument");
  std::error_code ec;
  std::filesystem::create_directories(opts.state_dir, ec);
  if (ec) return Status::IOError("state directory " + opts.state_dir + ": " + ec.message());
  std::unique_ptr<Venue> v(new Venue(opts));
  for (const AccountConfig& cfg : opts.accounts) {
    exchange::sim::SimOptions so;
    so.instruments = opts.instruments;
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
    a.client_of[{o.symbol, o.order_id}] = o.client_order_id;
    a.created_ms[{o.symbol, o.order_id}] = ns_to_ms(o.ts_update_ns);
  }
}

const Instrument* Venue::instrument(std::string_view symbol) const {
  for (const Instrument& ins : opts_.instruments) {
    if (ins.symbol == symbol) return &ins;
  }
  return nullptr;
}

const MarketView& Venue::market(std::string_view symbol) const {
  const Instrument* ins = instrument(symbol);
  KEEL_ASSERT(ins != nullptr);
  return markets_[static_cast<size_t>(ins - opts_.instruments.data())];
}

MarketView* Venue::market_of(const market::MarketEvent& ev) {
  if (ev.symbol.empty()) return markets_.size() == 1 ? &markets_[0] : nullptr;
  const Instrument* ins = instrument(ev.symbol);
  return ins == nullptr ? nullptr : &markets_[static_cast<size_t>(ins - opts_.instruments.data())];
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
  auto it = m.find({o.symbol, o.order_id});
  return it == m.end() ? ns_to_ms(o.ts_update_ns) : it->second;
}

std::optional<OrderReport> Venue::order_by_id(size_t i, const std::string& symbol,
                                              int64_t order_id) {
  VenueAccount& a = *accounts_[i];
  auto it = a.client_of.find({symbol, order_id});
  if (it == a.client_of.end()) return std::nullopt;
  auto q = a.sim->query_order(symbol, it->second);
  if (q.ok() && q->order_id == order_id) return *q;
  // The client id was reused by a newer order: this one is in the symbol's history.
  auto from = a.sim->orders_from(symbol, order_id, 1);
  if (!from.ok() || from->empty() || from->front().order_id != order_id) return std::nullopt;
  return from->front();
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
    const OrderKey key{r.order.symbol, r.order.order_id};
    if (r.exec_type == ExecType::kNew) {
      a.client_of[key] = r.order.client_order_id;
      a.created_ms.emplace(key, ns_to_ms(r.order.ts_update_ns));
    }
    const Instrument* ins = instrument(r.order.symbol);
    KEEL_ASSERT(ins != nullptr);  // the sim accepts orders of served symbols only
    ExecContext ctx;
    ctx.event_ms = now_ms(i);
    ctx.created_ms = created_ms(i, r.order);
    if (r.exec_type == ExecType::kCanceled) ctx.cancel_client_id = cancel_client_id;
    emit_user(i, std::make_shared<const std::string>(render_execution_report(*ins, r, ctx)));
    // Every NEW, CANCELED and TRADE moves free/locked funds of the instrument's assets.
    touch(ins->base_asset);
    touch(ins->quote_asset);
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
  MarketView* m = market_of(ev);
  if (m == nullptr) return;  // a symbol not served
  m->book.on_event(ev);
  if (const auto* t = std::get_if<market::BookTicker>(&ev.body)) {
    m->ticker = *t;
    m->ticker_seen = true;
  }
}

// A recorded message goes out on its own symbol's streams (a snapshot line is no stream).
void Venue::publish_market_event(const market::MarketEvent& ev) {
  if (publisher_ == nullptr) return;
  const Instrument* ins = instrument(ev.symbol);
  if (ins == nullptr) return;
  const std::string& sym = ins->symbol;
  const std::string& prefix =
      stream_prefixes_[static_cast<size_t>(ins - opts_.instruments.data())];
  if (const auto* d = std::get_if<market::DepthDiff>(&ev.body)) {
    auto payload = std::make_shared<const std::string>(render_depth_update(*d, sym));
    publisher_->publish_market(prefix + "depth@100ms", payload);
    publisher_->publish_market(prefix + "depth", payload);
  } else if (const auto* t = std::get_if<market::BookTicker>(&ev.body)) {
    publisher_->publish_market(prefix + "bookTicker",
                               std::make_shared<const std::string>(render_book_ticker(*t, sym)));
  } else if (const auto* tr = std::get_if<market::Trade>(&ev.body)) {
    publisher_->publish_market(prefix + "trade",
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
