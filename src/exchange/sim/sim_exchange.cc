// SimExchange: opening the state, and the request side of the venue (place, cancel,
// cancelReplace, queries). Market replay and matching live in sim_match.cc.
#include <algorithm>
#include <climits>
#include <utility>

#include "sim/sim_codec.h"
#include "sim/sim_impl.h"

namespace keel::exchange::sim {
namespace {

// Binance's error bodies and messages (reference/binance-spot.md §4, §5, §8), verbatim.
constexpr const char* kMsgInvalidSymbol = "Invalid symbol.";
constexpr const char* kMsgIllegalClientId =
    "Illegal characters found in parameter 'newClientOrderId'; legal range is "
    "'^[a-zA-Z0-9-_]{1,36}$'.";
constexpr const char* kMsgWouldMatch = "Order would immediately match and take.";
constexpr const char* kMsgInsufficient = "Account has insufficient balance for requested action.";
constexpr const char* kMsgDuplicate = "Duplicate order sent.";
constexpr const char* kMsgUnknownOrder = "Unknown order sent.";
constexpr const char* kMsgNoSuchOrder = "Order does not exist.";
constexpr const char* kMsgUnexpected =
    "An unexpected response was received from the message bus. Execution status unknown.";

VenueError venue_error(int http, int code, std::string msg) { return {http, code, std::move(msg)}; }

// A Status carrying a Binance error body, e.g. {"code":-2013,"msg":"Order does not exist."}.
std::string error_body(int code, const std::string& msg) {
  return "{\"code\":" + std::to_string(code) + ",\"msg\":\"" + msg + "\"}";
}

bool valid_client_id(const std::string& id) {
  if (id.empty() || id.size() > 36) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_';
  });
}

VenueError unknown_outcome() { return venue_error(500, -1006, kMsgUnexpected); }

// An asset name as Binance spells them: [A-Z0-9]{1,20}.
bool valid_asset(std::string_view a) {
  return !a.empty() && a.size() <= 20 && std::all_of(a.begin(), a.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  });
}

// Filter bounds (Binance's maxPrice / maxQty / maxNotional, set generously for any symbol):
// price and quantity at most 10^9 units, notional at most 10^10 quote; with them every
// product of the order's money stays far inside int64 at 10^-8.
constexpr int64_t kMaxPriceE8 = 1'000'000'000 * kOneE8;
constexpr int64_t kMaxQtyE8 = 1'000'000'000 * kOneE8;
constexpr int64_t kMaxNotionalE8 = 10'000'000'000 * kOneE8;

}  // namespace

Status parse_commission_asset(std::string_view text, SimOptions& out) {
  out.commission_asset.clear();
  out.commission_asset_price_e8 = 0;
  if (text == "quote") {
    out.commission_mode = CommissionMode::kQuote;
    return Status::Ok();
  }
  if (text == "base") {
    out.commission_mode = CommissionMode::kBase;
    return Status::Ok();
  }
  const size_t colon = text.find(':');
  const std::string_view asset = text.substr(0, colon);
  auto price = colon == std::string_view::npos ? Result<int64_t>(Status::InvalidArgument(""))
                                               : parse_fixed(text.substr(colon + 1), kScaleE8);
  if (!valid_asset(asset) || !price.ok() || *price <= 0) {
    return Status::InvalidArgument("commission asset '" + std::string(text) +
                                   "': expected quote, base or ASSET:PRICE (e.g. BNB:600; "
                                   "ASSET [A-Z0-9]{1,20}, PRICE > 0 in quote per unit)");
  }
  out.commission_mode = CommissionMode::kOther;
  out.commission_asset = std::string(asset);
  out.commission_asset_price_e8 = *price;
  return Status::Ok();
}

// --- Impl: requests ---------------------------------------------------------------------------

Status SimExchange::Impl::rebuild_indexes() {
  for (SymbolBook& b : books) {
    b.order_seqs.clear();
    b.trades.clear();
    b.open_seqs.clear();
    b.open_by_client.clear();
    b.last_by_client.clear();
  }
  for (const auto& [seq, o] : state.orders) {  // ascending seq: the newest wins last_by_client
    const OrderReport& rep = o.report;
    SymbolBook* b = book(rep.symbol);
    if (b == nullptr || rep.order_id != b->next_order_id()) {
      return Status::Corruption("sim state: order seq " + std::to_string(seq) + " (" +
                                rep.symbol + " order id " + std::to_string(rep.order_id) +
                                ") is not the next order of a served symbol");
    }
    b->order_seqs.push_back(seq);
    b->last_by_client[rep.client_order_id] = seq;
    if (is_open(rep.status)) {
      b->open_seqs.insert(seq);
      b->open_by_client[rep.client_order_id] = seq;
    }
  }
  for (size_t i = 0; i < state.trades.size(); ++i) {
    const TradeReport& t = state.trades[i];
    SymbolBook* b = book(t.symbol);
    if (b == nullptr || t.trade_id != b->next_trade_id()) {
      return Status::Corruption("sim state: trade seq " + std::to_string(i + 1) + " (" +
                                t.symbol + " trade id " + std::to_string(t.trade_id) +
                                ") is not the next trade of a served symbol");
    }
    b->trades.push_back(i);
  }
  return Status::Ok();
}

int64_t SimExchange::Impl::lock_for(const Instrument& ins, Side side, int64_t price_ticks,
                                    int64_t qty_lots) const {
  if (side == Side::kSell) return ins.qty_e8(qty_lots);
  const int64_t notional = ins.notional_e8(price_ticks, qty_lots);
  if (opt.commission_mode != CommissionMode::kQuote) return notional;  // fee from the receipt
  return notional + fee_e8(notional, opt.maker_fee_rate_e8);
}

Status SimExchange::Impl::check_read(const std::string& symbol, SymbolBook*& b) {
  if (failed) return Status::IOError(failure);
  b = book(symbol);
  if (b == nullptr) return Status::Rejected(error_body(-1121, kMsgInvalidSymbol));
  return Status::Ok();
}

// Binance's checks in the order the sim applies them (the symbol was checked by the caller):
// client id, filters (PRICE_FILTER, LOT_SIZE, NOTIONAL; the bounds keep every product inside
// int64), duplicate open id, balance, post-only. Sets lock_e8 to what the order would lock.
std::optional<VenueError> SimExchange::Impl::check_place(const SymbolBook& b,
                                                         const OrderRequest& req,
                                                         int64_t& lock_e8) const {
  const Instrument& ins = b.ins;
  if (!req.client_order_id.empty() && !valid_client_id(req.client_order_id)) {
    return venue_error(400, -1100, kMsgIllegalClientId);
  }
  if (req.price_ticks <= 0 || req.price_ticks > kMaxPriceE8 / ins.tick_e8) {
    return venue_error(400, -1013, "Filter failure: PRICE_FILTER");
  }
  if (req.qty_lots <= 0 || req.qty_lots < ins.min_qty_lots ||
      req.qty_lots > kMaxQtyE8 / ins.step_e8) {
    return venue_error(400, -1013, "Filter failure: LOT_SIZE");
  }
  const __int128 notional_e16 =
      static_cast<__int128>(ins.price_e8(req.price_ticks)) * ins.qty_e8(req.qty_lots);
  if (notional_e16 > static_cast<__int128>(kMaxNotionalE8) * kOneE8 ||
      ins.notional_e8(req.price_ticks, req.qty_lots) < ins.min_notional_e8) {
    return venue_error(400, -1013, "Filter failure: NOTIONAL");
  }
  if (b.open_by_client.count(req.client_order_id) != 0) {
    return venue_error(400, -2010, kMsgDuplicate);
  }
  lock_e8 = lock_for(ins, req.side, req.price_ticks, req.qty_lots);
  auto bal = state.balances.find(lock_asset(ins, req.side));
  if (bal == state.balances.end() || bal->second.free_e8 < lock_e8) {
    return venue_error(400, -2010, kMsgInsufficient);
  }
  // Post-only: the opposite best is the market's, or one of our own resting orders of this
  // symbol if better (on a real venue it would be in the book and the order would trade
  // against it).
  const Side opp = req.side == Side::kBuy ? Side::kSell : Side::kBuy;
  int64_t best = b.market.best_e8(opp);
  for (int64_t seq : b.open_seqs) {
    const OrderReport& o = state.orders.at(seq).report;
    if (o.side != opp) continue;
    const int64_t px = ins.price_e8(o.price_ticks);
    if (best == 0 || (opp == Side::kSell ? px < best : px > best)) best = px;
  }
  const int64_t px = ins.price_e8(req.price_ticks);
  const bool crosses = req.side == Side::kBuy ? px >= best : px <= best;
  if (best > 0 && crosses) return venue_error(400, -2010, kMsgWouldMatch);
  return std::nullopt;
}

PlaceResult SimExchange::Impl::place(const OrderRequest& req, Dirty& d) {
  PlaceResult r;
  r.outcome = Outcome::kRejected;
  SymbolBook* b = book(req.symbol);
  if (b == nullptr) {
    r.error = venue_error(400, -1121, kMsgInvalidSymbol);
    return r;
  }
  int64_t lock = 0;
  if (auto err = check_place(*b, req, lock)) {
    r.error = std::move(*err);
    return r;
  }
  const int64_t seq = state.next_order_seq++;
  SimOrder o;
  OrderReport& rep = o.report;
  rep.symbol = req.symbol;
  rep.order_id = b->next_order_id();
  // Binance generates an id when none is sent; the sim's is deterministic.
  rep.client_order_id =
      req.client_order_id.empty() ? "sim-" + std::to_string(rep.order_id) : req.client_order_id;
  rep.side = req.side;
  rep.price_ticks = req.price_ticks;
  rep.qty_lots = req.qty_lots;
  rep.status = OrderStatus::kNew;
  rep.ts_update_ns = state.now_ns;
  // Joins the back of its level. Unknown level (no synced book, no ticker at the price): 0.
  o.queue_ahead_e8 =
      b->market.level_qty_e8(req.side, b->ins.price_e8(req.price_ticks)).value_or(0);
  o.locked_e8 = lock;
  AssetBalance& bal = balance(lock_asset(b->ins, req.side));
  bal.free_e8 -= lock;
  bal.locked_e8 += lock;
  d.balances = true;
  d.touch(seq);
  b->order_seqs.push_back(seq);
  b->open_seqs.insert(seq);
  b->open_by_client[rep.client_order_id] = seq;
  b->last_by_client[rep.client_order_id] = seq;
  r.outcome = Outcome::kAccepted;
  r.order = rep;
  state.orders.emplace(seq, std::move(o));
  emit(ExecType::kNew, r.order, nullptr);
  return r;
}

void SimExchange::Impl::close_order(SymbolBook& b, int64_t seq, OrderStatus status, Dirty& d) {
  SimOrder& o = state.orders.at(seq);
  OrderReport& rep = o.report;
  KEEL_ASSERT(is_open(rep.status) && !is_open(status));
  rep.status = status;
  rep.ts_update_ns = state.now_ns;
  if (o.locked_e8 != 0) {
    AssetBalance& bal = balance(lock_asset(b.ins, rep.side));
    bal.locked_e8 -= o.locked_e8;
    bal.free_e8 += o.locked_e8;
    o.locked_e8 = 0;
    d.balances = true;
  }
  b.open_seqs.erase(seq);
  b.open_by_client.erase(rep.client_order_id);
  d.touch(seq);
}

CancelResult SimExchange::Impl::cancel(const std::string& symbol,
                                       const std::string& client_order_id, Dirty& d) {
  CancelResult r;
  r.outcome = Outcome::kRejected;
  SymbolBook* b = book(symbol);
  if (b == nullptr) {
    r.error = venue_error(400, -1121, kMsgInvalidSymbol);
    return r;
  }
  auto it = b->open_by_client.find(client_order_id);
  if (it == b->open_by_client.end()) {  // never seen, filled or already canceled
    r.error = venue_error(400, -2011, kMsgUnknownOrder);
    return r;
  }
  const int64_t seq = it->second;
  close_order(*b, seq, OrderStatus::kCanceled, d);
  r.outcome = Outcome::kAccepted;
  r.order = state.orders.at(seq).report;
  emit(ExecType::kCanceled, r.order, nullptr);
  return r;
}

AmendResult SimExchange::Impl::amend(const std::string& symbol, const std::string& client_order_id,
                                     int64_t new_qty_lots, Dirty& d) {
  AmendResult r;
  r.outcome = Outcome::kRejected;
  SymbolBook* b = book(symbol);
  if (b == nullptr) {
    r.error = venue_error(400, -1121, kMsgInvalidSymbol);
    return r;
  }
  auto it = b->open_by_client.find(client_order_id);
  if (it == b->open_by_client.end()) {
    r.error = venue_error(400, -2013, kMsgNoSuchOrder);
    return r;
  }
  SimOrder& o = state.orders.at(it->second);
  OrderReport& rep = o.report;
  if (new_qty_lots > rep.qty_lots) {
    r.error = venue_error(400, -2038, "Order amend (quantity increase) is not supported.");
    return r;
  }
  if (new_qty_lots == rep.qty_lots) {
    r.error = venue_error(400, -2038, "The requested action would change no state; rejecting");
    return r;
  }
  if (new_qty_lots <= rep.executed_lots) {
    r.error = venue_error(400, -1013, "Invalid quantity.");
    return r;
  }
  // The removed quantity's lock (as a place of it would lock) goes back to free.
  const int64_t removed = rep.qty_lots - new_qty_lots;
  const int64_t release =
      std::min(o.locked_e8, lock_for(b->ins, rep.side, rep.price_ticks, removed));
  AssetBalance& bal = balance(lock_asset(b->ins, rep.side));
  bal.locked_e8 -= release;
  bal.free_e8 += release;
  o.locked_e8 -= release;
  rep.qty_lots = new_qty_lots;
  rep.ts_update_ns = state.now_ns;
  d.balances = true;
  d.touch(it->second);
  r.outcome = Outcome::kAccepted;
  r.order = rep;
  emit(ExecType::kReplaced, r.order, nullptr);
  return r;
}

Status SimExchange::Impl::commit(const Dirty& d) {
  if (failed) return Status::IOError(failure);
  Status s = store->write(state, d);
  if (!s.ok()) {
    failed = true;
    failure = "sim: state write failed, the sim is stopped: " + s.message();
  }
  return s;
}

void SimExchange::Impl::persist_answered() {
  if (failed || store->meta_position() == state.position) return;
  (void)commit(begin_change());  // a failure stops the sim for every later call
}

void SimExchange::Impl::emit(ExecType type, const OrderReport& order, const TradeReport* trade) {
  ExecutionReport er;
  er.exec_type = type;
  er.order = order;
  if (trade != nullptr) er.trade = *trade;
  if (events.size() >= kMaxQueuedUserEvents) events.pop_front();
  events.push_back(std::move(er));
}

// --- SimExchange ------------------------------------------------------------------------------

SimExchange::SimExchange(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SimExchange::~SimExchange() = default;

namespace {

bool same_instrument(const Instrument& a, const Instrument& b) {
  return a.symbol == b.symbol && a.base_asset == b.base_asset && a.quote_asset == b.quote_asset &&
         a.tick_e8 == b.tick_e8 && a.step_e8 == b.step_e8 && a.min_qty_lots == b.min_qty_lots &&
         a.min_notional_e8 == b.min_notional_e8;
}

// Checks the options and fills in the instrument list (sim.h SimOptions): instruments =
// {instrument} when only that is set; instrument = instruments[0].
Status normalize_options(SimOptions& o) {
  if (o.instruments.empty()) {
    o.instruments.push_back(o.instrument);
  } else if (!o.instrument.symbol.empty() && !same_instrument(o.instrument, o.instruments[0])) {
    return Status::InvalidArgument("sim: instrument " + o.instrument.symbol +
                                   " is set besides instruments and is not instruments[0]");
  }
  for (size_t i = 0; i < o.instruments.size(); ++i) {
    const Instrument& ins = o.instruments[i];
    if (ins.symbol.empty() || ins.tick_e8 <= 0 || ins.step_e8 <= 0) {
      return Status::InvalidArgument("sim: instrument is not set (symbol, tick, step)");
    }
    if (ins.symbol.find(',') != std::string::npos) {
      return Status::InvalidArgument("sim: symbol '" + ins.symbol + "' holds a ','");
    }
    for (size_t j = 0; j < i; ++j) {
      if (o.instruments[j].symbol == ins.symbol) {
        return Status::InvalidArgument("sim: instrument " + ins.symbol + " listed twice");
      }
    }
    if (o.commission_mode == CommissionMode::kOther &&
        (o.commission_asset == ins.base_asset || o.commission_asset == ins.quote_asset)) {
      return Status::InvalidArgument(
          "sim: commission asset '" + o.commission_asset + "' is an asset of " + ins.symbol +
          ": it must be neither the base nor the quote asset of any instrument (use base / "
          "quote)");
    }
  }
  o.instrument = o.instruments[0];
  if (o.maker_fee_rate_e8 < 0 || o.maker_fee_rate_e8 >= kOneE8) {
    return Status::InvalidArgument("sim: maker_fee_rate_e8 must be in [0, 1e8)");
  }
  if (o.commission_mode == CommissionMode::kOther &&
      (!valid_asset(o.commission_asset) || o.commission_asset_price_e8 <= 0)) {
    return Status::InvalidArgument(
        "sim: commission asset '" + o.commission_asset +
        "' must be [A-Z0-9]{1,20}, neither the base nor the quote asset (use base / quote), "
        "with a price > 0");
  }
  return Status::Ok();
}

std::string joined(const std::vector<std::string>& symbols) {
  std::string out;
  for (const std::string& s : symbols) out += (out.empty() ? "" : ",") + s;
  return out;
}

}  // namespace

// A new state: the served symbols, the account, the initial balances (every instrument's two
// assets listed, and the commission asset in kOther). An existing one must be the account's
// and every symbol it holds must still be served; symbols added since are recorded (a venue
// may list new symbols; the state keeps their orders from then on).
Status SimExchange::Impl::init_state(bool loaded) {
  SimState& st = state;
  std::vector<std::string> served;
  for (const Instrument& ins : opt.instruments) served.push_back(ins.symbol);
  if (loaded) {
    bool all_served = st.account == opt.account;
    for (const std::string& sym : st.symbols) {
      all_served = all_served && std::find(served.begin(), served.end(), sym) != served.end();
    }
    if (!all_served) {
      return Status::InvalidArgument("sim: state in '" + opt.state_dir + "' belongs to " +
                                     joined(st.symbols) + "/" + st.account + ", not " +
                                     joined(served) + "/" + opt.account);
    }
    if (st.symbols == served) return Status::Ok();
  } else {
    st.account = opt.account;
    st.balances = opt.initial_balances;
  }
  st.symbols = served;
  for (const Instrument& ins : opt.instruments) {
    st.balances[ins.base_asset];  // both assets always listed
    st.balances[ins.quote_asset];
  }
  if (opt.commission_mode == CommissionMode::kOther) {
    st.balances[opt.commission_asset];  // listed too: fills may pay with it
  }
  Dirty& d = begin_change();
  d.balances = true;
  return store->write(st, d);
}

Result<std::unique_ptr<SimExchange>> SimExchange::open(SimOptions options) {
  KEEL_RETURN_IF_ERROR(normalize_options(options));
  auto store = SimStore::open(options.state_dir);
  if (!store.ok()) return store.status();
  auto impl = std::make_unique<Impl>();
  impl->opt = std::move(options);
  impl->store = std::move(store).value();
  for (const Instrument& ins : impl->opt.instruments) impl->books.push_back(SymbolBook{ins, {}});
  auto loaded = impl->store->load(impl->state);
  if (!loaded.ok()) return loaded.status();
  KEEL_RETURN_IF_ERROR(impl->init_state(*loaded));
  KEEL_RETURN_IF_ERROR(impl->rebuild_indexes());
  impl->warm_target = impl->state.position;
  return std::unique_ptr<SimExchange>(new SimExchange(std::move(impl)));
}

uint64_t SimExchange::position() const { return impl_->state.position; }
int64_t SimExchange::now_ns() const { return impl_->state.now_ns; }
Status SimExchange::on_market(const market::MarketEvent& ev) { return impl_->on_market(ev); }
Status SimExchange::warm_up(const market::MarketEvent& ev) { return impl_->warm_up(ev); }
bool SimExchange::recording_ended() const { return impl_->state.recording_ended; }

Status SimExchange::mark_recording_ended() {
  if (impl_->state.recording_ended) return Status::Ok();
  impl_->state.recording_ended = true;
  return impl_->commit(impl_->begin_change());
}

PlaceResult SimExchange::place(const OrderRequest& req) {
  PlaceResult r;
  if (impl_->failed) {
    r.error = unknown_outcome();
    return r;
  }
  Dirty& d = impl_->begin_change();
  r = impl_->place(req, d);
  if (r.outcome != Outcome::kAccepted) {
    impl_->persist_answered();
  } else if (!impl_->commit(d).ok()) {
    r.outcome = Outcome::kUnknown;
    r.error = unknown_outcome();
  }
  return r;
}

CancelResult SimExchange::cancel(const std::string& symbol, const std::string& client_order_id,
                                 RequestStamp /*stamp: the embedded sim answers at once*/) {
  CancelResult r;
  if (impl_->failed) {
    r.error = unknown_outcome();
    return r;
  }
  Dirty& d = impl_->begin_change();
  r = impl_->cancel(symbol, client_order_id, d);
  if (r.outcome != Outcome::kAccepted) {
    impl_->persist_answered();
  } else if (!impl_->commit(d).ok()) {
    r.outcome = Outcome::kUnknown;
    r.error = unknown_outcome();
  }
  return r;
}

AmendResult SimExchange::amend_keep_priority(const std::string& symbol,
                                             const std::string& client_order_id,
                                             int64_t new_qty_lots, RequestStamp /*stamp*/) {
  AmendResult r;
  if (impl_->failed) {
    r.error = unknown_outcome();
    return r;
  }
  Dirty& d = impl_->begin_change();
  r = impl_->amend(symbol, client_order_id, new_qty_lots, d);
  if (r.outcome != Outcome::kAccepted) {
    impl_->persist_answered();
  } else if (!impl_->commit(d).ok()) {
    r.outcome = Outcome::kUnknown;
    r.error = unknown_outcome();
  }
  return r;
}

ReplaceResult SimExchange::cancel_replace(const std::string& cancel_client_order_id,
                                          const OrderRequest& replacement) {
  ReplaceResult r;
  if (impl_->failed) {
    r.error = unknown_outcome();
    return r;
  }
  Dirty& d = impl_->begin_change();  // both halves go in one batch
  CancelResult c = impl_->cancel(replacement.symbol, cancel_client_order_id, d);
  r.cancel_outcome = c.outcome;
  if (c.outcome != Outcome::kAccepted) {  // STOP_ON_FAILURE: newOrderResult NOT_ATTEMPTED
    r.place_outcome = Outcome::kRejected;
    r.error = std::move(c.error);
    impl_->persist_answered();
    return r;
  }
  r.canceled = std::move(c.order);
  PlaceResult p = impl_->place(replacement, d);
  r.place_outcome = p.outcome;
  if (p.outcome == Outcome::kAccepted) {
    r.placed = std::move(p.order);
  } else {
    r.error = std::move(p.error);
    r.error.http_status = 409;  // -2021: the cancel succeeded, the place failed
  }
  if (!impl_->commit(d).ok()) {
    r.cancel_outcome = Outcome::kUnknown;
    r.place_outcome = Outcome::kUnknown;
    r.error = unknown_outcome();
  }
  return r;
}

Result<OrderReport> SimExchange::query_order(const std::string& symbol,
                                             const std::string& client_order_id) {
  SymbolBook* b = nullptr;
  if (Status refused = impl_->check_read(symbol, b); !refused.ok()) return refused;
  auto it = b->last_by_client.find(client_order_id);
  if (it == b->last_by_client.end()) return Status::NotFound(error_body(-2013, kMsgNoSuchOrder));
  return impl_->state.orders.at(it->second).report;
}

Result<std::vector<OrderReport>> SimExchange::open_orders(const std::string& symbol) {
  SymbolBook* b = nullptr;
  if (Status refused = impl_->check_read(symbol, b); !refused.ok()) return refused;
  std::vector<OrderReport> out;
  for (int64_t seq : b->open_seqs) out.push_back(impl_->state.orders.at(seq).report);
  return out;
}

Result<TradePage> SimExchange::trades_from(const std::string& symbol, int64_t from_trade_id,
                                           size_t max_trades) {
  SymbolBook* b = nullptr;
  if (Status refused = impl_->check_read(symbol, b); !refused.ok()) return refused;
  const auto& ids = b->trades;  // trade id i + 1 -> index in state.trades
  const int64_t first = std::max<int64_t>(from_trade_id, 1) - 1;
  TradePage out;
  auto i = static_cast<size_t>(std::min<int64_t>(first, static_cast<int64_t>(ids.size())));
  for (; i < ids.size() && out.trades.size() < max_trades; ++i) {
    out.trades.push_back(impl_->state.trades[ids[i]]);
  }
  out.more = i < ids.size();
  return out;
}

Result<std::optional<TradeReport>> SimExchange::latest_trade(const std::string& symbol) {
  SymbolBook* b = nullptr;
  if (Status refused = impl_->check_read(symbol, b); !refused.ok()) return refused;
  if (b->trades.empty()) return std::optional<TradeReport>();
  return std::optional<TradeReport>(impl_->state.trades[b->trades.back()]);
}

Result<std::vector<OrderReport>> SimExchange::orders_from(const std::string& symbol,
                                                          int64_t from_order_id,
                                                          size_t max_orders) {
  SymbolBook* b = nullptr;
  if (Status refused = impl_->check_read(symbol, b); !refused.ok()) return refused;
  const auto& seqs = b->order_seqs;  // order id i + 1 -> seq
  std::vector<OrderReport> out;
  const int64_t first = std::max<int64_t>(from_order_id, 1) - 1;
  for (auto i = static_cast<size_t>(std::min<int64_t>(first, static_cast<int64_t>(seqs.size())));
       i < seqs.size() && out.size() < max_orders; ++i) {
    out.push_back(impl_->state.orders.at(seqs[i]).report);
  }
  return out;
}

int64_t SimExchange::venue_time_ms() const { return impl_->state.now_ns / 1'000'000; }

Result<std::vector<TradeReport>> SimExchange::order_trades(const std::string& symbol,
                                                           int64_t order_id) {
  SymbolBook* b = nullptr;
  if (Status refused = impl_->check_read(symbol, b); !refused.ok()) return refused;
  std::vector<TradeReport> out;
  for (size_t i : b->trades) {
    const TradeReport& t = impl_->state.trades[i];
    if (t.order_id == order_id) out.push_back(t);
  }
  return out;
}

Result<Balances> SimExchange::balances() {
  if (impl_->failed) return Status::IOError(impl_->failure);
  return impl_->state.balances;
}

void SimExchange::poll_user_events(std::vector<ExecutionReport>& out) {
  for (auto& e : impl_->events) out.push_back(std::move(e));
  impl_->events.clear();
}

void SimExchange::poll_balance_updates(std::vector<BalanceUpdate>& out) {
  for (auto& e : impl_->balance_events) out.push_back(std::move(e));
  impl_->balance_events.clear();
}

BalanceUpdate SimExchange::Impl::apply_deposit(const std::string& asset, int64_t delta_e8,
                                               Dirty& d) {
  balance(asset).free_e8 += delta_e8;
  d.balances = true;
  BalanceUpdate u;
  u.asset = asset;
  u.delta_e8 = delta_e8;
  u.event_time_ms = state.now_ns / 1'000'000;
  u.clear_time_ms = u.event_time_ms;
  state.deposits.push_back(u);
  if (balance_events.size() >= kMaxQueuedUserEvents) balance_events.pop_front();
  balance_events.push_back(u);
  return u;
}

Result<BalanceUpdate> SimExchange::deposit(const std::string& asset, int64_t delta_e8) {
  if (impl_->failed) return Status::IOError(impl_->failure);
  if (!valid_asset(asset)) {
    return Status::InvalidArgument("deposit: asset '" + asset + "' is not [A-Z0-9]{1,20}");
  }
  if (delta_e8 == 0) return Status::InvalidArgument("deposit: amount is 0");
  auto it = impl_->state.balances.find(asset);
  const int64_t free = it == impl_->state.balances.end() ? 0 : it->second.free_e8;
  if (delta_e8 < 0 && free < -delta_e8) {
    return Status::Rejected(error_body(-2010, kMsgInsufficient));
  }
  if (delta_e8 > 0 && free > INT64_MAX - delta_e8) {
    return Status::InvalidArgument("deposit: the balance would not fit int64 at 10^-8");
  }
  Dirty& d = impl_->begin_change();
  BalanceUpdate u = impl_->apply_deposit(asset, delta_e8, d);
  KEEL_RETURN_IF_ERROR(impl_->commit(d));
  return u;
}

const SimOptions& SimExchange::options() const { return impl_->opt; }

SimTruth SimExchange::truth() const {
  SimTruth t;
  for (const auto& [id, o] : impl_->state.orders) t.orders.push_back(o.report);
  t.trades = impl_->state.trades;
  t.deposits = impl_->state.deposits;
  t.balances = impl_->state.balances;
  t.position = impl_->state.position;
  return t;
}

}  // namespace keel::exchange::sim
