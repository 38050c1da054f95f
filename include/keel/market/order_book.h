// keel/market/order_book.h: the local order book, by Binance's diff-sync procedure.
//
// Procedure (reference/binance-spot.md §7 "Local order book", web-socket-streams.md:L629):
// buffer diffs until a snapshot arrives; drop buffered diffs with u <= lastUpdateId; the first
// applied diff must have U <= lastUpdateId+1 <= u; afterwards each diff must continue the last
// (spot: U == last u + 1; USD-M: pu == last u); a diff with u < book id is ignored; a gap
// discards the book and waits for a new snapshot (kUnsynced), counting the gap.
// Quantities are absolute; 0 removes a level. Prices/quantities at 10^-8 (events.h).
#pragma once

#include <cstdint>
#include <vector>

#include "keel/core/instrument.h"
#include "keel/core/status.h"
#include "keel/market/events.h"

namespace keel::market {

class OrderBook {
 public:
  enum class SyncState { kUnsynced, kSynced };

  // Bounded diff buffer while unsynced (oldest dropped first).
  static constexpr size_t kMaxBufferedDiffs = 4096;

  void on_diff(const DepthDiff& diff);
  void on_snapshot(const DepthSnapshot& snap);
  // Feeds any event (bookTicker and trade do not change depth). Convenience dispatcher.
  void on_event(const MarketEvent& ev);

  SyncState state() const;
  bool synced() const { return state() == SyncState::kSynced; }
  int64_t last_update_id() const;  // the book id (u of the last applied diff)
  uint64_t gaps() const;           // gaps detected since construction
  uint64_t diffs_applied() const;

  // 0 when the side is empty or the book is unsynced.
  int64_t best_bid_e8() const;
  int64_t best_ask_e8() const;
  // Quantity resting at exactly `price_e8` on `side` (0 if none or unsynced).
  int64_t qty_at_e8(Side side, int64_t price_e8) const;
  size_t depth(Side side) const;  // number of levels

  // Levels best first, at most n.
  std::vector<Level> top(Side side, size_t n) const;

  // The summed quantity (10^-8) of the levels of `side` at `limit_e8` or better (bids at or
  // above it, asks at or below it): the depth within a band of the touch (seed 003's depth
  // guard, risk/risk.h). 0 when unsynced. Walks only the levels it sums.
  int64_t qty_within_e8(Side side, int64_t limit_e8) const;

 private:
  void reset_unsynced();
  bool apply_diff(const DepthDiff& diff);  // false on a gap
  // Private helpers (implementation detail, order_book.cc).
  bool continues(const DepthDiff& diff) const;  // diff is the next one after book_id_
  void apply_levels(const DepthDiff& diff);
  void buffer_diff(const DepthDiff& diff);
  void on_gap(const DepthDiff& diff);
  // One side of the book: levels sorted worst first, so the best is at the back. Most diffs
  // insert or remove levels near the touch (in the recordings: half within ~110 levels of it,
  // of ~1,300 per side), which moves only the levels better than them; a flat vector also
  // allocates nothing once its capacity has grown to the book's size.
  struct Levels {
    std::vector<Level> v;
    bool ascending = true;  // bids: prices ascending; asks: descending
    // First level not worse than `price_e8` (== v.end() when every level is worse).
    std::vector<Level>::iterator find(int64_t price_e8);
    std::vector<Level>::const_iterator find(int64_t price_e8) const;
    void set(int64_t price_e8, int64_t qty_e8);  // qty 0 removes the level
    void apply(const std::vector<Level>& levels);  // set() of each, in order
    // The index find() returns, knowing it is at most `hi`.
    size_t index(int64_t price_e8, size_t hi) const;
    // set() at index(price_e8, ...) == i; returns i.
    size_t set_at(size_t i, int64_t price_e8, int64_t qty_e8);
    int64_t best_e8() const { return v.empty() ? 0 : v.back().price_e8; }
  };

  SyncState state_ = SyncState::kUnsynced;
  // True between a snapshot and the first diff applied on it: that diff must bridge
  // (U <= lastUpdateId+1 <= u) instead of continuing the previous diff.
  bool awaiting_bridge_ = false;
  int64_t book_id_ = 0;
  uint64_t gaps_ = 0;
  uint64_t diffs_applied_ = 0;
  std::vector<DepthDiff> buffer_;
  Levels bids_{{}, true};
  Levels asks_{{}, false};
};

}  // namespace keel::market
