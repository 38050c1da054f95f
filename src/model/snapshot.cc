#include "keel/model/snapshot.h"

#include <zlib.h>

#include <cereal/archives/portable_binary.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/set.hpp>
#include <cereal/types/string.hpp>
#include <sstream>

#include "bounded_archive.h"

namespace keel::model {

// The field order is the format: append fields at the end and bump kVersion.
template <class Ar>
void serialize(Ar& ar, Order& o) {
  ar(o.client_order_id, o.intent_seq, o.slot_key, o.side, o.price_ticks, o.qty_lots,
     o.filled_lots, o.order_id, o.phase, o.cancel_pending);
}
template <class Ar>
void serialize(Ar& ar, Slot& s) {
  ar(s.key, s.current_cid, s.position_lots, s.cost_e8, s.retry_after_ns);
}
template <class Ar>
void serialize(Ar& ar, SideStats& s) {
  ar(s.fills, s.qty_lots, s.notional_e8);
}
template <class Ar>
void serialize(Ar& ar, TaskState& t) {
  journal::TaskStarted& c = t.config;
  ar(t.id, c.strategy, c.symbol, c.base_asset, c.quote_asset, c.tick_e8, c.step_e8,
     c.min_notional_e8, c.params_yaml);
  Instrument& i = t.instrument;
  ar(i.symbol, i.base_asset, i.quote_asset, i.tick_e8, i.step_e8, i.min_qty_lots,
     i.min_notional_e8);
  ar(t.slots, t.orders, t.closed_by_seq, t.orders_retired, t.trade_ids, t.last_trade_id,
     t.inventory_lots, t.realized_pnl_e8, t.fees_e8, t.fees_other_e8, t.buys, t.sells);
  ar(t.intents_place, t.intents_cancel, t.intents_amend, t.rejects, t.cancel_rejects,
     t.not_found, t.duplicate_fills, t.halted);
}
template <class Ar>
void serialize(Ar& ar, State& s) {
  ar(s.tasks, s.records, s.last_seq, s.recording_ended);
}

namespace {
constexpr char kMagic[4] = {'K', 'S', 'N', 'P'};
constexpr uint8_t kVersion = 1;
constexpr size_t kHeader = 4 + 1 + 4;

uint32_t crc_of(std::string_view bytes) {
  return static_cast<uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(bytes.size())));
}

// Enum values the encoder can have written (cereal stores an enum as its underlying byte).
Status check_enums(const State& state) {
  for (const auto& [id, task] : state.tasks) {
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
