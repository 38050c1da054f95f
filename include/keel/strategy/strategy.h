// keel/strategy/strategy.h: what every strategy sees and returns (DESIGN.md "Strategies are
// pure"): decide(const MarketView&, const TaskState&, const Params&) -> intents. No sockets,
// clocks or journal; the same inputs always give the same intents.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "keel/core/instrument.h"

namespace keel::strategy {

// The market as the engine last saw it. All prices in the task's ticks; 0 = unknown.
struct MarketView {
  int64_t best_bid_ticks = 0;
  int64_t best_ask_ticks = 0;
  int64_t last_trade_ticks = 0;
  int64_t ts_exchange_ns = 0;  // exchange time of the latest event (the virtual clock)
  bool ready() const { return best_bid_ticks > 0 && best_ask_ticks > 0 && last_trade_ticks > 0; }
};

// One intent a strategy wants journaled and sent.
struct IntentSpec {
  enum class Kind : unsigned char { kPlace, kCancel };
  Kind kind = Kind::kPlace;
  int64_t slot_key = 0;
  Side side = Side::kBuy;         // kPlace
  int64_t price_ticks = 0;        // kPlace
  int64_t qty_lots = 0;           // kPlace
  std::string client_order_id;    // kCancel: the order to cancel
  std::string reason;             // audit text, journaled with the intent
};

}  // namespace keel::strategy
