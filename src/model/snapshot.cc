#include "keel/model/snapshot.h"

#include <zlib.h>

#include <cereal/archives/portable_binary.hpp>
#include <cereal/types/deque.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/set.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>
#include <sstream>

#include "bounded_archive.h"

namespace keel::model {

// The field order is the format: append fields at the end and bump kVersion (an older snapshot
// is then ignored and the journal folded from record 1: snapshots are a cache).
template <class Ar>
void serialize(Ar& ar, Order& o) {
  ar(o.client_order_id, o.intent_seq, o.slot_key, o.side, o.price_ticks, o.qty_lots,
     o.filled_lots, o.venue_executed_lots, o.order_id, o.phase, o.closed_by, o.closed_seq,
     o.cancel_pending, o.cancel_refused, o.adopted, o.timing.timestamp_ms, o.timing.recv_window_ms,
     o.placed_ns, o.amend_pending, o.amend_qty_lots, o.amends);
}
template <class Ar>
void serialize(Ar& ar, Slot& s) {
  ar(s.key, s.current_cid, s.claim_e8, s.retry_after_ns, s.last_fill_ns, s.last_full_fill_ns);
}
template <class Ar>
void serialize(Ar& ar, SideStats& s) {
  ar(s.fills, s.qty_lots, s.notional_e8);
}
template <class Ar>
void serialize(Ar& ar, TaskState& t) {
  journal::TaskStarted& c = t.config;
  ar(t.id, c.strategy, c.symbol, c.base_asset, c.quote_asset, c.tick_e8, c.step_e8,
     c.min_notional_e8, c.params_yaml, c.venue_start_ms);
  Instrument& i = t.instrument;
  ar(i.symbol, i.base_asset, i.quote_asset, i.tick_e8, i.step_e8, i.min_qty_lots,
     i.min_notional_e8);
  ar(t.slots, t.orders, t.closed_by_seq, t.orders_retired, t.trade_ids, t.last_trade_id,
     t.position.base_e8, t.position.cost_e8, t.claims_e8, t.realized_pnl_e8, t.fees_e8,
     t.commissions, t.buys, t.sells, t.mark_bid_ticks, t.mark_ask_ticks);
  ar(t.intents_place, t.intents_cancel, t.intents_amend, t.intent_times_ns, t.rejects,
     t.cancel_rejects,
     t.not_found, t.duplicate_fills, t.late_executions, t.ignored_evidence, t.adopted, t.halted,
     t.retired);
  ar(t.guard, t.guard_reason, t.guard_since_ns, t.guard_time_ns[0], t.guard_time_ns[1],
     t.guard_time_ns[2], t.guard_changes);
  ar(t.fill_times_ns, c.account, t.position_low_e8, t.position_high_e8);
  ar(t.order_times_ns, t.order_day, t.orders_in_day, t.spread_capture_e8);
}
template <class Ar>
void serialize(Ar& ar, SymbolMarks& m) {
  ar(m.baselined, m.baseline_trade_id, m.trade_watermark, m.scan_watermark, m.max_order_id,
     m.foreign_trade_ids);
}
template <class Ar>
void serialize(Ar& ar, AccountState& a) {
  journal::AccountBaseline& b = a.baseline;
  // baseline.balances is not stored: baseline_e8 holds the same amounts (restored below).
  ar(a.has_baseline, b.symbol, b.last_trade_id, b.venue_time_ms, a.baseline_e8, a.symbols,
     a.own_delta_e8, a.foreign_delta_e8, a.nontrade_delta_e8, a.foreign_fills,
     a.balance_changes);
}
template <class Ar>
void serialize(Ar& ar, State& s) {
  ar(s.tasks, s.epochs, s.accounts, s.records, s.last_seq, s.recording_ended);
}

namespace {
constexpr char kMagic[4] = {'K', 'S', 'N', 'P'};
constexpr uint8_t kVersion = 8;  // 7: per-symbol marks of an account; 8: the task's new-order log
constexpr size_t kHeader = 4 + 1 + 4;

uint32_t crc_of(std::string_view bytes) {
  return static_cast<uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(bytes.size())));
}

// Enum values the encoder can have written (cereal stores an enum as its underlying byte).
Status check_enums(const State& state) {
  for (const auto& [id, task] : state.tasks) {
    if (static_cast<int>(task.guard) > static_cast<int>(journal::GuardState::kHalt)) {
      return Status::Corruption("snapshot: payload: task " + id + ": bad guard state " +
                                std::to_string(static_cast<int>(task.guard)));
    }
    for (const auto& [cid, o] : task.orders) {
      if (o.side != Side::kBuy && o.side != Side::kSell) {
        return Status::Corruption("snapshot: payload: task " + id + " order " + cid +
                                  ": bad side " + std::to_string(static_cast<int>(o.side)));
      }
      if (o.phase != OrderPhase::kInFlight && o.phase != OrderPhase::kOpen &&
          o.phase != OrderPhase::kClosed) {
        return Status::Corruption("snapshot: payload: task " + id + " order " + cid +
                                  ": bad phase " + std::to_string(static_cast<int>(o.phase)));
      }
      if (static_cast<int>(o.closed_by) > static_cast<int>(CloseReason::kNotFound)) {
        return Status::Corruption("snapshot: payload: task " + id + " order " + cid +
                                  ": bad close reason " +
                                  std::to_string(static_cast<int>(o.closed_by)));
      }
    }
  }
  return Status::Ok();
}
}  // namespace

std::string encode_state(const State& state) {
  std::ostringstream payload;
  {
    cereal::PortableBinaryOutputArchive ar(payload);
    ar(const_cast<State&>(state));  // cereal's serialize() is read/write; this only reads
  }
  const std::string body = payload.str();
  const uint32_t crc = crc_of(body);
  std::string out(kMagic, 4);
  out += static_cast<char>(kVersion);
  for (int i = 0; i < 4; ++i) out += static_cast<char>((crc >> (8 * i)) & 0xff);
  out += body;
  return out;
}

Result<State> decode_state(std::string_view bytes) {
  if (bytes.size() < kHeader || bytes.substr(0, 4) != std::string_view(kMagic, 4)) {
    return Status::Corruption("snapshot: bad magic");
  }
  if (static_cast<uint8_t>(bytes[4]) != kVersion) {
    return Status::Corruption("snapshot: unknown version " +
                              std::to_string(static_cast<uint8_t>(bytes[4])));
  }
  uint32_t crc = 0;
  for (int i = 0; i < 4; ++i) crc |= static_cast<uint32_t>(static_cast<uint8_t>(bytes[5 + i])) << (8 * i);
  const std::string_view body = bytes.substr(kHeader);
  if (crc_of(body) != crc) return Status::Corruption("snapshot: crc mismatch");
  // The bounded archive refuses any size larger than the bytes left (bounded_archive.h), so a
  // crafted payload cannot make the decoder allocate more than O(its own size).
  State state;
  try {
    detail::BoundedInputArchive ar(body);
    ar(state);
    if (ar.remaining() != 0) {
      return Status::Corruption("snapshot: payload: " + std::to_string(ar.remaining()) +
                                " trailing bytes");
    }
  } catch (const std::exception& e) {
    return Status::Corruption(std::string("snapshot: payload: ") + e.what());
  }
  KEEL_RETURN_IF_ERROR(check_enums(state));
  for (auto& [id, a] : state.accounts) {
    for (const auto& [asset, e8] : a.baseline_e8) a.baseline.balances.push_back({asset, e8});
  }
  return state;
}

Result<State> fold_journal(const journal::Journal& journal, bool* from_snapshot) {
  State state;
  bool used = false;
  if (const auto& snap = journal.snapshot(); snap.has_value()) {
    Result<State> decoded = decode_state(snap->state);
    if (decoded.ok() && decoded->last_seq == snap->seq) {
      state = std::move(*decoded);
      used = true;
    }
  }
  if (from_snapshot != nullptr) *from_snapshot = used;
  Status s = journal.for_each(state.last_seq + 1, [&state](const journal::Record& r) {
    apply(state, r);
    return true;
  });
  if (!s.ok()) return s;
  return state;
}

}  // namespace keel::model
