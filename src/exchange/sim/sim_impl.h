// sim_impl.h (private): SimExchange's implementation object, shared by sim_exchange.cc
// (requests, open/close) and sim_match.cc (market replay and the queue-position model).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "keel/exchange/sim.h"
#include "sim/sim_market.h"
#include "sim/sim_state.h"
#include "sim/sim_store.h"

namespace keel::exchange::sim {

// Bound on executionReports waiting for poll_user_events; beyond it the oldest are dropped (as a
// venue drops a stream it cannot deliver; the trade history still holds every fill).
inline constexpr size_t kMaxQueuedUserEvents = 1'000'000;

struct SimExchange::Impl {
  SimOptions opt;
  std::unique_ptr<SimStore> store;
  SimState state;
  MarketView market;
  uint64_t warm_target = 0;  // position at open: warm_up must see exactly this many events
  uint64_t warmed = 0;
  bool failed = false;       // a state write failed: every later call fails (nothing is lost
  std::string failure;       // silently; the caller sees kUnknown / kIOError)

  // Indexes over state.orders (rebuilt on open).
  std::set<int64_t> open_ids;                     // open orders, by order id (= time priority)
  std::map<std::string, int64_t> open_by_client;  // client id -> open order id
  std::map<std::string, int64_t> last_by_client;  // client id -> newest order with that id
  std::deque<ExecutionReport> events;
  std::deque<BalanceUpdate> balance_events;  // deposits not yet polled (same bound as events)
  Dirty dirty{state};  // the change set of the call in progress (reused: see Dirty)

  // A fresh change set for the call that starts.
  Dirty& begin_change() {
    dirty.clear(state);
    return dirty;
  }

  // --- sim_exchange.cc: requests -------------------------------------------------------------
  void rebuild_indexes();
  // The gate of the read calls (query, openOrders, myTrades): kIOError once failed, kRejected
  // with -1121 for another symbol, OK otherwise.
  Status check_read(const std::string& symbol) const;
  std::optional<VenueError> check_place(const OrderRequest& req, int64_t& lock_e8) const;
  PlaceResult place(const OrderRequest& req, Dirty& d);
  CancelResult cancel(const std::string& symbol, const std::string& client_order_id, Dirty& d);
  AmendResult amend(const std::string& symbol, const std::string& client_order_id,
                    int64_t new_qty_lots, Dirty& d);
  // Writes the change set; on failure enters the failed state.
  Status commit(const Dirty& d);
  // A call that changed nothing but the position (a no-op market event): the position cell
  // records it (sim_store.h), no RocksDB write.
  void mark_position() { store->mark_position(state); }
  // A request answered without a state change (a rejection): writes the meta record if the
  // stored one is behind the current position, so the stored position never lags the last
  // request the venue answered (sim.h "Persistence"). On failure enters the failed state.
  void persist_answered();

  // --- sim_match.cc: market replay ------------------------------------------------------------
  Status on_market(const market::MarketEvent& ev);
  Status warm_up(const market::MarketEvent& ev);
  void clip_queues(Dirty& d);
  void match_trade(const market::Trade& t, Dirty& d);
  // Fills `lots` of `o` at its limit price (maker), charging the fee and moving balances.
  void fill(SimOrder& o, int64_t lots, int64_t ts_ns, Dirty& d);

  // --- shared helpers -------------------------------------------------------------------------
  // Funds a new order locks: BUY notional (+ its maker fee in kQuote) in quote, SELL quantity
  // in base (e8).
  int64_t lock_for(Side side, int64_t price_ticks, int64_t qty_lots) const;
  // The commission of a fill of `lots` of an order on `side` with this notional (sim.h
  // "Commission per fill"): its amount and asset under the current mode and balances.
  struct Commission {
    int64_t amount_e8 = 0;
    const std::string* asset = nullptr;
  };
  Commission commission(Side side, int64_t lots, int64_t notional_e8);
  BalanceUpdate apply_deposit(const std::string& asset, int64_t delta_e8, Dirty& d);
  AssetBalance& balance(const std::string& asset) { return state.balances[asset]; }
  const std::string& lock_asset(Side side) const {
    return side == Side::kBuy ? opt.instrument.quote_asset : opt.instrument.base_asset;
  }
  // Removes a no-longer-open order from the open indexes and returns its remaining lock.
  void close_order(SimOrder& o, OrderStatus status, Dirty& d);
  void emit(ExecType type, const OrderReport& order, const TradeReport* trade);
};

}  // namespace keel::exchange::sim
