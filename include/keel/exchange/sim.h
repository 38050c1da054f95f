// keel/exchange/sim.h: the simulated exchange (matching engine over recorded market data).
//
// Plays the venue for one instrument and one or more accounts (issue 2 uses one, "default"):
//  - LIMIT_MAKER only (post-only, GTC). A BUY at price >= best ask, or a SELL at price <= best
//    bid, is rejected: 400, -2010 "Order would immediately match and take." (binance-spot.md §8).
//  - Filters: PRICE_FILTER (tick), LOT_SIZE (step, minQty), NOTIONAL (minNotional):
//    400, -1013 "Filter failure: <NAME>". Insufficient balance: 400, -2010
//    "Account has insufficient balance for requested action.". Duplicate open client id: 400,
//    -2010 "Duplicate order sent.". Unknown order on cancel: 400, -2011 "Unknown order sent.";
//    on query: 400, -2013 "Order does not exist.".
//  - Queue-position model (hftbacktest's risk-averse queue model): an order joins the back of its
//    price level: queue_ahead = the book's quantity at that price when it is placed. A trade at
//    the order's price on the order's side (a BUY rests on bids: trades with buyer_is_maker=true)
//    consumes queue_ahead first, then fills the order; a depth update that shrinks the level
//    below queue_ahead clips queue_ahead to the new quantity; a trade *through* the price
//    (below a BUY, above a SELL) fills the order's whole remaining quantity at the order's price.
//    Fills are maker fills at the order's limit price.
//  - Fees: maker fee rate applied to the fill's notional, charged in the QUOTE asset (as if the
//    account paid commission from quote), rounded up (instrument.h). Stated here because Binance
//    normally charges a buy's commission in the base asset; quote-only keeps grid sells whole.
//  - Balances: a BUY locks its notional of quote, a SELL locks its quantity of base; fills and
//    cancels release locks. Trade ids and order ids are the exchange's own counters from 1.
//  - Persistence: every state change (orders, balances, trades, counters, the replay position)
//    is written to the sim's own RocksDB directory in one WriteBatch per change before the call
//    returns, so a process killed at any instant restarts with the exchange exactly as it left
//    it. User-data events in flight are not persisted (as a real venue's stream is not).
//  - Determinism: no clock, no randomness; time is the recording's exchange time. The same
//    events and requests in the same order give the same results.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "keel/core/instrument.h"
#include "keel/core/status.h"
#include "keel/exchange/exchange.h"
#include "keel/market/events.h"

namespace keel::exchange::sim {

struct SimOptions {
  Instrument instrument;
  int64_t maker_fee_rate_e8 = 100'000;  // 0.001 = 10 bps (Binance VIP0 spot maker)
  Balances initial_balances;            // used only when the state directory is new
  std::string state_dir;                // RocksDB directory of the sim's state
  std::string account = "default";
};

// Ground truth for tests and inspection.
struct SimTruth {
  std::vector<OrderReport> orders;  // every order ever accepted, by order id
  std::vector<TradeReport> trades;  // every trade, by trade id
  Balances balances;
  uint64_t position = 0;            // market events consumed
};

class SimExchange final : public Exchange {
 public:
  // Opens or creates the state in options.state_dir. Errors: kIOError, kCorruption.
  static Result<std::unique_ptr<SimExchange>> open(SimOptions options);
  ~SimExchange() override;

  // Market replay. position() is the number of events consumed since the state was created;
  // on_market consumes the next one: updates the sim's book and BBO, matches resting orders,
  // queues executionReports, persists, and advances position by one.
  uint64_t position() const;
  Status on_market(const market::MarketEvent& ev);
  // Exchange time of the last consumed event (ns): the sim's virtual clock.
  int64_t now_ns() const;

  // Marks the recording as fully consumed (persisted) / asks whether it was.
  Status mark_recording_ended();
  bool recording_ended() const;

  // Exchange interface (see exchange.h).
  PlaceResult place(const OrderRequest& req) override;
  CancelResult cancel(const std::string& symbol, const std::string& client_order_id) override;
  ReplaceResult cancel_replace(const std::string& cancel_client_order_id,
                               const OrderRequest& replacement) override;
  Result<OrderReport> query_order(const std::string& symbol,
                                  const std::string& client_order_id) override;
  Result<std::vector<OrderReport>> open_orders(const std::string& symbol) override;
  Result<std::vector<TradeReport>> trades_from(const std::string& symbol,
                                               int64_t from_trade_id) override;
  Result<Balances> balances() override;
  void poll_user_events(std::vector<ExecutionReport>& out) override;

  SimTruth truth() const;

 private:
  struct Impl;
  explicit SimExchange(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace keel::exchange::sim
