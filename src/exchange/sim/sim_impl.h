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
#include <string_view>
#include <vector>

#include "keel/exchange/sim.h"
#include "sim/sim_market.h"
#include "sim/sim_state.h"
#include "sim/sim_store.h"

namespace keel::exchange::sim {

// Bound on executionReports waiting for poll_user_events; beyond it the oldest are dropped (as a
// venue drops a stream it cannot deliver; the trade history still holds every fill).
inline constexpr size_t kMaxQueuedUserEvents = 1'000'000;

// One served symbol: its filters, its market view and the indexes of its orders and trades
// (rebuilt from SimState on open). Binance numbers orders and trades per symbol, from 1.
struct SymbolBook {
  Instrument ins;
  MarketView market;
  std::vector<int64_t> order_seqs;  // order id i + 1 -> its seq (SimState.orders key)
  std::vector<size_t> trades;       // trade id i + 1 -> its index in SimState.trades
  std::set<int64_t> open_seqs;      // open orders by seq (= time priority)
  std::map<std::string, int64_t> open_by_client;  // client id -> open order's seq
  std::map<std::string, int64_t> last_by_client;  // client id -> newest order's seq

  int64_t next_order_id() const { return static_cast<int64_t>(order_seqs.size()) + 1; }
  int64_t next_trade_id() const { return static_cast<int64_t>(trades.size()) + 1; }
};

struct SimExchange::Impl {
  SimOptions opt;  // instruments filled in (open), instrument = instruments[0]
  std::unique_ptr<SimStore> store;
  SimState state;
  std::vector<SymbolBook> books;  // one per instrument, options order
  uint64_t warm_target = 0;  // position at open: warm_up must see exactly this many events
  uint64_t warmed = 0;
  bool failed = false;       // a state write failed: every later call fails (nothing is lost
  std::string failure;       // silently; the caller sees kUnknown / kIOError)

  std::deque<ExecutionReport> events;
  std::deque<BalanceUpdate> balance_events;  // deposits not yet polled (same bound as events)
  Dirty dirty{state};  // the change set of the call in progress (reused: see Dirty)

  // A fresh change set for the call that starts.
  Dirty& begin_change() {
    dirty.clear(state);
    return dirty;
  }

  // The book of a served symbol; nullptr for any other.
  SymbolBook* book(std::string_view symbol) {
    for (SymbolBook& b : books) {
      if (b.ins.symbol == symbol) return &b;
    }
    return nullptr;
  }
  // The book a market event belongs to: its symbol's; an event without a symbol (a REST
  // snapshot not read through CaptureReader) belongs to the sole instrument, if there is one.
  SymbolBook* book_of_event(const market::MarketEvent& ev) {
    if (ev.symbol.empty()) return books.size() == 1 ? &books[0] : nullptr;
    return book(ev.symbol);
  }

  // --- sim_exchange.cc: requests -------------------------------------------------------------
  // Creates the state (`loaded` false) or checks the loaded one against the options, recording
  // symbols added since (sim.h "Several instruments"). Errors: kInvalidArgument (another
  // account, a stored symbol no longer served), kIOError.
  Status init_state(bool loaded);
  // Rebuilds every book's indexes from the state. Errors: kCorruption for an order or trade of
  // a symbol not served, or per-symbol ids that do not count 1, 2, 3... in seq order.
  Status rebuild_indexes();
  // The gate of the read calls (query, openOrders, myTrades): kIOError once failed, kRejected
  // with -1121 for a symbol not served; else OK and `b` is the symbol's book.
  Status check_read(const std::string& symbol, SymbolBook*& b);
  std::optional<VenueError> check_place(const SymbolBook& b, const OrderRequest& req,
                                        int64_t& lock_e8) const;
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
  void clip_queues(SymbolBook& b, Dirty& d);
  void match_trade(SymbolBook& b, const market::Trade& t, Dirty& d);
  // Fills `lots` of `o` (of book `b`) at its limit price (maker), charging the fee and moving
  // balances.
  void fill(SymbolBook& b, int64_t seq, int64_t lots, int64_t ts_ns, Dirty& d);

  // --- shared helpers -------------------------------------------------------------------------
  // Funds a new order locks: BUY notional (+ its maker fee in kQuote) in quote, SELL quantity
  // in base (e8).
  int64_t lock_for(const Instrument& ins, Side side, int64_t price_ticks, int64_t qty_lots) const;
  // The commission of a fill of `lots` of an order on `side` with this notional (sim.h
  // "Commission per fill"): its amount and asset under the current mode and balances.
  struct Commission {
    int64_t amount_e8 = 0;
    const std::string* asset = nullptr;
  };
  Commission commission(const Instrument& ins, Side side, int64_t lots, int64_t notional_e8);
  BalanceUpdate apply_deposit(const std::string& asset, int64_t delta_e8, Dirty& d);
  AssetBalance& balance(const std::string& asset) { return state.balances[asset]; }
  static const std::string& lock_asset(const Instrument& ins, Side side) {
    return side == Side::kBuy ? ins.quote_asset : ins.base_asset;
  }
  // Marks a no-longer-open order closed, removes it from its book's open indexes and releases
  // its remaining lock.
  void close_order(SymbolBook& b, int64_t seq, OrderStatus status, Dirty& d);
  void emit(ExecType type, const OrderReport& order, const TradeReport* trade);
};

}  // namespace keel::exchange::sim
