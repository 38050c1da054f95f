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
  CancelResult cancel(const std::string& symbol, const std::string& client_order_id) override {
    return inner_.cancel(symbol, client_order_id);
  }
  ReplaceResult cancel_replace(const std::string& cancel_client_order_id,
                               const OrderRequest& replacement) override {
    return inner_.cancel_replace(cancel_client_order_id, replacement);
  }
  Result<OrderReport> query_order(const std::string& symbol,
                                  const std::string& client_order_id) override {
    return inner_.query_order(symbol, client_order_id);
  }
  Result<std::vector<OrderReport>> open_orders(const std::string& symbol) override {
    return inner_.open_orders(symbol);
  }
  Result<std::vector<TradeReport>> trades_from(const std::string& symbol,
                                               int64_t from_trade_id) override {
    return inner_.trades_from(symbol, from_trade_id);
  }
  Result<std::vector<TradeReport>> order_trades(const std::string& symbol,
                                                int64_t order_id) override {
    return inner_.order_trades(symbol, order_id);
  }
  Result<Balances> balances() override { return inner_.balances(); }
  void poll_user_events(std::vector<ExecutionReport>& out) override {
    inner_.poll_user_events(out);
  }

 protected:
  Exchange& inner_;
};

}  // namespace keel::exchange
