// Local order book kept by Binance's diff-sync procedure (order_book.h states the rules).
//
// Why the buffer starts at construction: in the captures the diff that bridges the snapshot is
// received *before* the snapshot line (data/README.md), so diffs seen while unsynced are kept
// and replayed through the same apply path once a snapshot arrives.
#include "keel/market/order_book.h"

#include <algorithm>
#include <utility>

namespace keel::market {

void OrderBook::reset_unsynced() {
  state_ = SyncState::kUnsynced;
  awaiting_bridge_ = false;
  bids_.clear();
  asks_.clear();
}

void OrderBook::buffer_diff(const DepthDiff& diff) {
  if (buffer_.size() >= kMaxBufferedDiffs) buffer_.erase(buffer_.begin());  // oldest first
  buffer_.push_back(diff);
}

void OrderBook::on_gap(const DepthDiff& diff) {
  ++gaps_;
  reset_unsynced();
  // The diff after the gap may be bridged by the next snapshot: keep it.
  buffer_diff(diff);
}

bool OrderBook::continues(const DepthDiff& diff) const {
  // Callers already know diff.final_update_id > book_id_.
  if (awaiting_bridge_) {
    // First diff on a snapshot: U <= lastUpdateId+1 <= u. A USD-M diff whose pu is exactly
    // the snapshot id also continues it (futures update ids are not contiguous).
    if (diff.first_update_id <= book_id_ + 1) return true;
    return diff.prev_final_update_id >= 0 && diff.prev_final_update_id == book_id_;
  }
  if (diff.prev_final_update_id >= 0) return diff.prev_final_update_id == book_id_;  // USD-M
  return diff.first_update_id == book_id_ + 1;                                       // spot
}

void OrderBook::apply_levels(const DepthDiff& diff) {
  for (const Level& l : diff.bids) {
    if (l.qty_e8 == 0) {
      bids_.erase(l.price_e8);
    } else {
      bids_[l.price_e8] = l.qty_e8;
    }
  }
  for (const Level& l : diff.asks) {
    if (l.qty_e8 == 0) {
      asks_.erase(l.price_e8);
    } else {
      asks_[l.price_e8] = l.qty_e8;
    }
  }
}

bool OrderBook::apply_diff(const DepthDiff& diff) {
  if (diff.final_update_id <= book_id_) return true;  // already in the book: ignore
  if (!continues(diff)) return false;
  apply_levels(diff);
  book_id_ = diff.final_update_id;
  awaiting_bridge_ = false;
  ++diffs_applied_;
  return true;
}

void OrderBook::on_diff(const DepthDiff& diff) {
  if (state_ == SyncState::kUnsynced) {
    buffer_diff(diff);
    return;
  }
  if (!apply_diff(diff)) on_gap(diff);
}

void OrderBook::on_snapshot(const DepthSnapshot& snap) {
  const int64_t id = snap.last_update_id;
  // A snapshot no newer than a synced book teaches nothing.
  if (state_ == SyncState::kSynced && id <= book_id_) return;
  std::vector<DepthDiff> pending = std::move(buffer_);
  buffer_.clear();
  std::erase_if(pending, [id](const DepthDiff& d) { return d.final_update_id <= id; });
  reset_unsynced();
  book_id_ = id;
  awaiting_bridge_ = true;
  if (!pending.empty() && !continues(pending.front())) {
    // The snapshot is older than the buffered stream (lastUpdateId+1 < U): Binance says fetch
    // another snapshot. Not a gap; stay unsynced and keep the diffs.
    awaiting_bridge_ = false;
    buffer_ = std::move(pending);
    return;
  }
  for (const Level& l : snap.bids) {
    if (l.qty_e8 != 0) bids_[l.price_e8] = l.qty_e8;
  }
  for (const Level& l : snap.asks) {
    if (l.qty_e8 != 0) asks_[l.price_e8] = l.qty_e8;
  }
  state_ = SyncState::kSynced;
  for (size_t i = 0; i < pending.size(); ++i) {
    if (apply_diff(pending[i])) continue;
    // A hole inside the buffered diffs: count it and keep the rest for the next snapshot.
    on_gap(pending[i]);
    for (size_t j = i + 1; j < pending.size(); ++j) buffer_diff(pending[j]);
    return;
  }
}

void OrderBook::on_event(const MarketEvent& ev) {
  if (const auto* diff = std::get_if<DepthDiff>(&ev.body)) {
    on_diff(*diff);
  } else if (const auto* snap = std::get_if<DepthSnapshot>(&ev.body)) {
    on_snapshot(*snap);
  }
}

OrderBook::SyncState OrderBook::state() const { return state_; }
int64_t OrderBook::last_update_id() const { return book_id_; }
uint64_t OrderBook::gaps() const { return gaps_; }
uint64_t OrderBook::diffs_applied() const { return diffs_applied_; }

int64_t OrderBook::best_bid_e8() const {
  if (!synced() || bids_.empty()) return 0;
  return bids_.begin()->first;
}

int64_t OrderBook::best_ask_e8() const {
  if (!synced() || asks_.empty()) return 0;
  return asks_.begin()->first;
}

int64_t OrderBook::qty_at_e8(Side side, int64_t price_e8) const {
  if (!synced()) return 0;
  if (side == Side::kBuy) {
    auto it = bids_.find(price_e8);
    return it == bids_.end() ? 0 : it->second;
  }
  auto it = asks_.find(price_e8);
  return it == asks_.end() ? 0 : it->second;
}

size_t OrderBook::depth(Side side) const {
  if (!synced()) return 0;
  return side == Side::kBuy ? bids_.size() : asks_.size();
}

std::vector<Level> OrderBook::top(Side side, size_t n) const {
  std::vector<Level> out;
  if (!synced()) return out;
  auto copy = [&out, n](const auto& levels) {
    for (const auto& [price, qty] : levels) {
      if (out.size() >= n) break;
      out.push_back(Level{price, qty});
    }
  };
  if (side == Side::kBuy) {
    copy(bids_);
  } else {
    copy(asks_);
  }
  return out;
}

}  // namespace keel::market
