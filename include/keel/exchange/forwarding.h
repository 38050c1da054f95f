// keel/exchange/forwarding.h: an Exchange that forwards every call to another one, the base of
// decorators (test spies, request clocks, fault gates) that override only what they observe.
#pragma once

#include <string>
#include <vector>

#include "keel/exchange/exchange.h"

namespace keel::exchange {

class ForwardingExchange : public Exchange {
 public:
  // `inner` must outlive this object. Every call returns exactly what `inner` returns.
  explicit ForwardingExchange(Exchange& inner) : inner_(inner) {}

  PlaceResult place(const OrderRequest& req) override { return inner_.place(req); }
  CancelResult cancel(const std::string& symbol, const std::string& client_order_id,
                      RequestStamp stamp = {}) override {
    return inner_.cancel(symbol, client_order_id, stamp);
  }
  ReplaceResult cancel_replace(const std::string& cancel_client_order_id,
                               const OrderRequest& replacement) override {
    return inner_.cancel_replace(cancel_client_order_id, replacement);
  }
  bool amend_allowed(const std::string& symbol) const override {
    return inner_.amend_allowed(symbol);
  }
  AmendResult amend_keep_priority(const std::string& symbol, const std::string& client_order_id,
                                  int64_t new_qty_lots, RequestStamp stamp = {}) override {
    return inner_.amend_keep_priority(symbol, client_order_id, new_qty_lots, stamp);
  }
  Result<OrderReport> query_order(const std::string& symbol,
                                  const std::string& client_order_id) override {
    return inner_.query_order(symbol, client_order_id);
  }
  Result<std::vector<OrderReport>> open_orders(const std::string& symbol) override {
    return inner_.open_orders(symbol);
  }
  Result<TradePage> trades_from(const std::string& symbol, int64_t from_trade_id,
                                size_t max_trades) override {
    return inner_.trades_from(symbol, from_trade_id, max_trades);
  }
  Result<std::optional<TradeReport>> latest_trade(const std::string& symbol) override {
    return inner_.latest_trade(symbol);
  }
  Result<std::vector<OrderReport>> orders_from(const std::string& symbol, int64_t from_order_id,
                                               size_t max_orders) override {
    return inner_.orders_from(symbol, from_order_id, max_orders);
  }
  Result<std::vector<TradeReport>> order_trades(const std::string& symbol,
                                                int64_t order_id) override {
    return inner_.order_trades(symbol, order_id);
  }
  Result<Balances> balances() override { return inner_.balances(); }
  void poll_user_events(std::vector<ExecutionReport>& out) override {
    inner_.poll_user_events(out);
  }
  void poll_balance_updates(std::vector<BalanceUpdate>& out) override {
    inner_.poll_balance_updates(out);
  }
  int64_t venue_time_ms() const override { return inner_.venue_time_ms(); }
  bool answers_synchronously() const override { return inner_.answers_synchronously(); }
  bool in_process() const override { return inner_.in_process(); }

 protected:
  Exchange& inner_;
};

}  // namespace keel::exchange
