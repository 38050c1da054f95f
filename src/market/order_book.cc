// Local order book kept by Binance's diff-sync procedure (order_book.h states the rules).
//
// Why the buffer starts at construction: in the captures the diff that bridges the snapshot is
// received *before* the snapshot line (data/README.md), so diffs seen while unsynced are kept
// and replayed through the same apply path once a snapshot arrives.
#include "keel/market/order_book.h"

#include <algorithm>
#include <utility>

namespace keel::market {

namespace {

// First index i of `v` (worst first) whose level is not worse than `price_e8`, searching from
// the best end: an exponential search finds the bracket in O(log distance-from-the-touch) (most
// levels a diff touches are near it), then a binary search inside it.
// `hi` bounds the answer from above (v.size() when nothing is known; see apply()).
template <class Worse>
size_t find_from_best(const std::vector<Level>& v, int64_t price_e8, Worse worse, size_t hi) {
  size_t step = 1;  // every index >= hi is not worse; the answer is <= hi
  while (step <= hi && !worse(v[hi - step].price_e8, price_e8)) {
    hi -= step;
    step <<= 1;
  }
  size_t lo = step <= hi ? hi - step + 1 : 0;  // v[hi - step] was worse (or none is left)
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    if (worse(v[mid].price_e8, price_e8)) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

}  // namespace

size_t OrderBook::Levels::index(int64_t price_e8, size_t hi) const {
  return ascending
             ? find_from_best(v, price_e8, [](int64_t a, int64_t b) { return a < b; }, hi)
             : find_from_best(v, price_e8, [](int64_t a, int64_t b) { return a > b; }, hi);
}

std::vector<Level>::iterator OrderBook::Levels::find(int64_t price_e8) {
  return v.begin() + static_cast<std::ptrdiff_t>(index(price_e8, v.size()));
}

size_t OrderBook::Levels::set_at(size_t i, int64_t price_e8, int64_t qty_e8) {
  const auto it = v.begin() + static_cast<std::ptrdiff_t>(i);
  const bool present = it != v.end() && it->price_e8 == price_e8;
  if (qty_e8 == 0) {
    if (present) v.erase(it);
  } else if (present) {
    it->qty_e8 = qty_e8;
  } else {
    v.insert(it, Level{price_e8, qty_e8});
  }
  return i;
}

// A diff lists each side best first, so each level is usually worse than the one before it:
// then its index is at most the previous one's (after that one's insert, erase or update every
// level from that index on is not worse than the previous price), which bounds the search.
void OrderBook::Levels::apply(const std::vector<Level>& levels) {
  size_t hi = v.size();
  bool have_prev = false;
  int64_t prev = 0;
  for (const Level& l : levels) {
    const bool follows = have_prev && (ascending ? l.price_e8 <= prev : l.price_e8 >= prev);
    if (!follows) hi = v.size();
    hi = set_at(index(l.price_e8, hi), l.price_e8, l.qty_e8);
    have_prev = true;
    prev = l.price_e8;
  }
}

std::vector<Level>::const_iterator OrderBook::Levels::find(int64_t price_e8) const {
  return const_cast<Levels*>(this)->find(price_e8);
}

void OrderBook::Levels::set(int64_t price_e8, int64_t qty_e8) {
  set_at(index(price_e8, v.size()), price_e8, qty_e8);
}

void OrderBook::reset_unsynced() {
  state_ = SyncState::kUnsynced;
  awaiting_bridge_ = false;
  bids_.v.clear();
  asks_.v.clear();
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
  bids_.apply(diff.bids);
  asks_.apply(diff.asks);
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
    if (l.qty_e8 != 0) bids_.set(l.price_e8, l.qty_e8);
  }
  for (const Level& l : snap.asks) {
    if (l.qty_e8 != 0) asks_.set(l.price_e8, l.qty_e8);
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
  if (!synced()) return 0;
  return bids_.best_e8();
}

int64_t OrderBook::best_ask_e8() const {
  if (!synced()) return 0;
  return asks_.best_e8();
}

int64_t OrderBook::qty_at_e8(Side side, int64_t price_e8) const {
  if (!synced()) return 0;
  const Levels& levels = side == Side::kBuy ? bids_ : asks_;
  auto it = levels.find(price_e8);
  return it != levels.v.end() && it->price_e8 == price_e8 ? it->qty_e8 : 0;
}

size_t OrderBook::depth(Side side) const {
  if (!synced()) return 0;
  return side == Side::kBuy ? bids_.v.size() : asks_.v.size();
}

std::vector<Level> OrderBook::top(Side side, size_t n) const {
  std::vector<Level> out;
  if (!synced()) return out;
  const std::vector<Level>& v = side == Side::kBuy ? bids_.v : asks_.v;
  for (auto it = v.rbegin(); it != v.rend() && out.size() < n; ++it) out.push_back(*it);
  return out;
}

int64_t OrderBook::qty_within_e8(Side side, int64_t limit_e8) const {
  if (!synced()) return 0;
  const bool bid = side == Side::kBuy;
  const std::vector<Level>& v = bid ? bids_.v : asks_.v;
  int64_t sum = 0;
  for (auto it = v.rbegin(); it != v.rend(); ++it) {
    if (bid ? it->price_e8 < limit_e8 : it->price_e8 > limit_e8) break;
    sum += it->qty_e8;
  }
  return sum;
}

}  // namespace keel::market
