// sim_state.h (private): the simulated exchange's persisted state and its change set.
//
// SimState is everything the sim must remember across a restart; the market view (book, BBO)
// is not in it: it is rebuilt by SimExchange::warm_up from the recording.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "keel/exchange/exchange.h"

namespace keel::exchange::sim {

// Format version of every stored record (first byte of each value).
inline constexpr uint8_t kRecordVersion = 1;

struct SimOrder {
  OrderReport report;
  // Base quantity (10^-8) resting ahead of this order at its price (queue-position model).
  int64_t queue_ahead_e8 = 0;
  // Funds this order still locks: quote (10^-8) for a BUY, base (10^-8) for a SELL.
  int64_t locked_e8 = 0;
};

// Ids: Binance numbers orders and trades per symbol (orderId, trade id), so do SimOrder.report
// and TradeReport. The state stores every order and trade under an account-wide sequence (the
// storage key, sim_codec.h) in creation order; within one symbol the sequence and the ids
// increase together. With one symbol the sequence equals the id (the layout of a state written
// before several symbols existed).
struct SimState {
  std::vector<std::string> symbols;  // served symbols, options order; checked on reopen
  std::string account;   // options.account, checked on reopen
  int64_t next_order_seq = 1;  // storage sequence of the next order (every symbol)
  int64_t next_trade_seq = 1;  // storage sequence of the next trade (every symbol)
  uint64_t position = 0;  // market events consumed
  int64_t now_ns = 0;     // exchange time of the last consumed event (never decreases)
  bool recording_ended = false;
  Balances balances;
  std::map<int64_t, SimOrder> orders;  // order seq -> order, every order ever accepted
  std::vector<TradeReport> trades;     // by trade seq: trades[i] has seq i + 1
  std::vector<BalanceUpdate> deposits;  // deposit() records, deposit id i + 1 (key "d", codec)
};

// What one state change touched; the store writes exactly this (plus the meta record) in one
// WriteBatch. Reused across calls (clear() keeps the vector's capacity), so the matching path
// allocates nothing for it.
struct Dirty {
  bool balances = false;
  std::vector<int64_t> orders;  // order seqs to rewrite, each once
  size_t first_new_trade = 0;   // trades[first_new_trade..] are new
  size_t first_new_deposit = 0;  // deposits[first_new_deposit..] are new

  explicit Dirty(const SimState& s)
      : first_new_trade(s.trades.size()), first_new_deposit(s.deposits.size()) {}
  void clear(const SimState& s) {
    balances = false;
    orders.clear();
    first_new_trade = s.trades.size();
    first_new_deposit = s.deposits.size();
  }
  void touch(int64_t order_seq) {
    for (int64_t seq : orders) {
      if (seq == order_seq) return;
    }
    orders.push_back(order_seq);
  }
  // True when the change set names anything besides the meta record.
  bool any(const SimState& s) const {
    return balances || !orders.empty() || first_new_trade < s.trades.size() ||
           first_new_deposit < s.deposits.size();
  }
};

}  // namespace keel::exchange::sim
