// sim_market.h (private): the sim's view of the recorded market (depth book + bookTicker).
//
// BBO: the spot bookTicker's `u` and the depth diffs' `u` count the same order-book update
// sequence, so the fresher of the two is the one with the larger update id. The bookTicker is
// real-time and the depth stream is batched every 100 ms, so the ticker usually wins; the book
// wins when a depth diff is newer than the last ticker, or when no ticker was seen yet.
//
// Level quantity at a price (queue_ahead at placement, clipping afterwards), for side S:
//  - ticker fresher: a price better than the ticker's best on S holds 0; the ticker's best
//    price holds the ticker's quantity; a deeper price holds the depth book's quantity if the
//    book is synced, else it is unknown;
//  - otherwise: the depth book's quantity if synced, else unknown.
// All prices and quantities at 10^-8 (market/events.h).
#pragma once

#include <cstdint>
#include <optional>

#include "keel/core/instrument.h"
#include "keel/market/events.h"
#include "keel/market/order_book.h"

namespace keel::exchange::sim {

class MarketView {
 public:
  // Feeds one event (depth diff, snapshot, bookTicker; trades do not change the view).
  void on_event(const market::MarketEvent& ev);

  // The best price on a side, 0 when unknown (no ticker yet and the book is unsynced/empty).
  int64_t best_e8(Side side) const;

  // The market's resting quantity at `price_e8` on `side` (rules above); nullopt if unknown.
  std::optional<int64_t> level_qty_e8(Side side, int64_t price_e8) const;

 private:
  struct Ticker {
    bool seen = false;
    int64_t update_id = 0;
    int64_t bid_e8 = 0, bid_qty_e8 = 0;
    int64_t ask_e8 = 0, ask_qty_e8 = 0;
  };
  bool ticker_fresher() const;
  market::OrderBook book_;
  Ticker ticker_;
};

}  // namespace keel::exchange::sim
