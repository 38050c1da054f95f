// src/app/dry_run.h: `keel run --dry-run` (seed 003 "validate config without trading"; issue
// 10: "validates and decides without sending").
//
// The run is the real one -- the config and the pre-trade checks of `keel validate`, the
// engine, the journal, the strategies, the risk guard, the market data of the configured venue
// -- except that no request that could change the venue's state leaves the process: DryRunVenue
// answers places, cancels and amends itself, as a venue whose orders rest and never fill. The
// journal and the embedded exchange's state go to a temporary directory, removed at the end,
// so the config's data directory is never touched. Every intent the engine journals is printed
// as it is decided (IntentPrinter), with the strategy's reason.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "keel/engine/config.h"
#include "keel/exchange/forwarding.h"
#include "keel/journal/journal.h"

namespace keel::app {

// The venue of a dry run: market data, the clock and read-only account queries (balances) go
// to `inner`; places, cancels, cancelReplace and keepPriority amends are answered here from a
// book of virtual orders that rest until cancelled and never fill (every answer synchronous and
// conclusive: R1 has nothing to wait for). Order, trade and balance queries see only the
// virtual orders and no trades; the inner venue's user-data events (another process's orders)
// are dropped.
class DryRunVenue final : public exchange::ForwardingExchange {
 public:
  explicit DryRunVenue(exchange::Exchange& inner) : ForwardingExchange(inner) {}

  exchange::PlaceResult place(const exchange::OrderRequest& req) override;
  exchange::CancelResult cancel(const std::string& symbol, const std::string& client_order_id,
                                exchange::RequestStamp stamp = {}) override;
  exchange::ReplaceResult cancel_replace(const std::string& cancel_client_order_id,
                                         const exchange::OrderRequest& replacement) override;
  bool amend_allowed(const std::string& symbol) const override {
    (void)symbol;
    return true;
  }
  exchange::AmendResult amend_keep_priority(const std::string& symbol,
                                            const std::string& client_order_id,
                                            int64_t new_qty_lots,
                                            exchange::RequestStamp stamp = {}) override;
  Result<exchange::OrderReport> query_order(const std::string& symbol,
                                            const std::string& client_order_id) override;
  Result<std::vector<exchange::OrderReport>> open_orders(const std::string& symbol) override;
  Result<exchange::TradePage> trades_from(const std::string& symbol, int64_t from_trade_id,
                                          size_t max_trades) override;
  Result<std::optional<exchange::TradeReport>> latest_trade(const std::string& symbol) override;
  Result<std::vector<exchange::OrderReport>> orders_from(const std::string& symbol,
                                                         int64_t from_order_id,
                                                         size_t max_orders) override;
  Result<std::vector<exchange::TradeReport>> order_trades(const std::string& symbol,
                                                          int64_t order_id) override;
  void poll_user_events(std::vector<exchange::ExecutionReport>& out) override;
  void poll_balance_updates(std::vector<exchange::BalanceUpdate>& out) override { (void)out; }
  bool answers_synchronously() const override { return true; }
  bool in_process() const override { return true; }  // it answers requests itself

 private:
  std::map<std::string, exchange::OrderReport> orders_;  // by client order id, every order
  int64_t next_order_id_ = 1;
};

// Prints each intent journaled since the last call: time (UTC, exchange clock), task, slot (as
// its strategy names it), kind, side, quantity, price and the strategy's reason.
class IntentPrinter {
 public:
  IntentPrinter(const engine::Config& cfg, const journal::Journal& journal)
      : cfg_(cfg), journal_(journal) {}
  void print_new();
  uint64_t printed() const { return printed_; }

 private:
  const engine::Config& cfg_;
  const journal::Journal& journal_;
  uint64_t next_seq_ = 1;
  uint64_t printed_ = 0;
};

// A fresh directory for a dry run's journal and exchange state (mkdtemp under $TMPDIR or /tmp).
Result<std::string> dry_run_dir();

// The dry run's closing line on stdout: how many intents were decided, and that none was sent.
void print_dry_run_note(const IntentPrinter& printer);

}  // namespace keel::app
