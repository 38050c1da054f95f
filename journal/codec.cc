// The journal record envelope (grammar in keel/journal/codec.h) and the cereal payloads.
//
// Why the decoder is written the way it is: it runs on bytes read back from disk after a crash
// and will be fuzzed, so every length is checked against what is left before it is used, every
// cereal exception becomes kCorruption, and decoding is canonical: an accepted record re-encodes
// to exactly the same bytes (enums, bools and the endianness flag are range-checked, trailing
// payload bytes are rejected). Canonical decoding is what lets export recompute a record's hash
// from the decoded Record.
#include "keel/journal/codec.h"

#include <openssl/evp.h>
#include <zlib.h>

#include <cereal/archives/portable_binary.hpp>
#include <cereal/cereal.hpp>
#include <exception>
#include <iterator>
#include <istream>
#include <optional>
#include <ostream>
#include <streambuf>
#include <type_traits>
#include <variant>
#include <vector>

#include "keel/core/ids.h"

namespace keel::journal {

// ---------------------------------------------------------------------------------------------
// record.h: names and the frozen type mapping.

bool is_journal_wide(const Body& body) {
  return std::holds_alternative<JournalEpoch>(body) ||
         std::holds_alternative<AccountBaseline>(body) ||
         std::holds_alternative<BalanceChanged>(body) || std::holds_alternative<ForeignFill>(body) ||
         std::holds_alternative<TradesScanned>(body) || std::holds_alternative<RecordingEnded>(body);
}

std::string account_tag(const std::string& account) {
  return account == kDefaultAccount ? std::string(kJournalTaskId)
                                    : std::string(kJournalTaskId) + account;
}

std::string account_of_tag(const std::string& task_id) {
  return task_id.size() <= 1 ? std::string(kDefaultAccount) : task_id.substr(1);
}

const char* record_type_name(RecordType t) {
  switch (t) {
    case RecordType::kTaskStarted: return "TaskStarted";
    case RecordType::kPlaceIntent: return "PlaceIntent";
    case RecordType::kCancelIntent: return "CancelIntent";
    case RecordType::kAmendIntent: return "AmendIntent";
    case RecordType::kOrderAccepted: return "OrderAccepted";
    case RecordType::kOrderRejected: return "OrderRejected";
    case RecordType::kOrderFilled: return "OrderFilled";
    case RecordType::kOrderCanceled: return "OrderCanceled";
    case RecordType::kOrderNotFound: return "OrderNotFound";
    case RecordType::kCancelRejected: return "CancelRejected";
    case RecordType::kTaskHalted: return "TaskHalted";
    case RecordType::kTaskRetired: return "TaskRetired";
    case RecordType::kOrderAdopted: return "OrderAdopted";
    case RecordType::kJournalEpoch: return "JournalEpoch";
    case RecordType::kAccountBaseline: return "AccountBaseline";
    case RecordType::kBalanceChanged: return "BalanceChanged";
    case RecordType::kForeignFill: return "ForeignFill";
    case RecordType::kTradesScanned: return "TradesScanned";
    case RecordType::kTaskResumed: return "TaskResumed";
    case RecordType::kGuardChanged: return "GuardChanged";
    case RecordType::kOrderAmended: return "OrderAmended";
    case RecordType::kAmendRejected: return "AmendRejected";
    case RecordType::kRecordingEnded: return "RecordingEnded";
  }
  return "Unknown";
}

const char* guard_state_name(GuardState s) {
  switch (s) {
    case GuardState::kSafe: return "SAFE";
    case GuardState::kCaution: return "CAUTION";
    case GuardState::kHalt: return "HALT";
  }
  return "unknown";
}

const char* source_name(Source s) {
  switch (s) {
    case Source::kResponse: return "response";
    case Source::kUserStream: return "user_stream";
    case Source::kQueryOrder: return "query_order";
    case Source::kOpenOrders: return "open_orders";
    case Source::kTradeHistory: return "trade_history";
    case Source::kAllOrders: return "all_orders";
  }
  return "unknown";
}

namespace {

// Body alternative index -> frozen type number. Order must match the Body variant.
constexpr RecordType kTypeByIndex[] = {
    RecordType::kTaskStarted,    RecordType::kPlaceIntent,     RecordType::kCancelIntent,
    RecordType::kAmendIntent,    RecordType::kOrderAccepted,   RecordType::kOrderRejected,
    RecordType::kOrderFilled,    RecordType::kOrderCanceled,   RecordType::kOrderNotFound,
    RecordType::kCancelRejected, RecordType::kRecordingEnded,  RecordType::kTaskHalted,
    RecordType::kTaskRetired,    RecordType::kOrderAdopted,    RecordType::kJournalEpoch,
    RecordType::kAccountBaseline, RecordType::kBalanceChanged, RecordType::kForeignFill,
    RecordType::kTradesScanned,  RecordType::kTaskResumed,    RecordType::kGuardChanged,
    RecordType::kOrderAmended,   RecordType::kAmendRejected,
};
static_assert(std::size(kTypeByIndex) == std::variant_size_v<Body>,
              "every Body alternative needs a frozen type number");
static_assert(std::is_same_v<std::variant_alternative_t<0, Body>, TaskStarted>);
static_assert(std::is_same_v<std::variant_alternative_t<6, Body>, OrderFilled>);
static_assert(std::is_same_v<std::variant_alternative_t<10, Body>, RecordingEnded>);
static_assert(std::is_same_v<std::variant_alternative_t<17, Body>, ForeignFill>);
static_assert(std::is_same_v<std::variant_alternative_t<18, Body>, TradesScanned>);
static_assert(std::is_same_v<std::variant_alternative_t<19, Body>, TaskResumed>);
static_assert(std::is_same_v<std::variant_alternative_t<20, Body>, GuardChanged>);
static_assert(std::is_same_v<std::variant_alternative_t<22, Body>, AmendRejected>);

// A default-constructed body of the given type number in the given envelope format; nullopt for
// a number never assigned (or retired), or one that format does not have.
std::optional<Body> make_body(uint16_t type_number, uint8_t format) {
  switch (static_cast<RecordType>(type_number)) {
    case RecordType::kTaskStarted: return Body{std::in_place_type<TaskStarted>};
    case RecordType::kPlaceIntent: return Body{std::in_place_type<PlaceIntent>};
    case RecordType::kCancelIntent: return Body{std::in_place_type<CancelIntent>};
    case RecordType::kAmendIntent: return Body{std::in_place_type<AmendIntent>};
    case RecordType::kOrderAccepted: return Body{std::in_place_type<OrderAccepted>};
    case RecordType::kOrderRejected: return Body{std::in_place_type<OrderRejected>};
    case RecordType::kOrderFilled: return Body{std::in_place_type<OrderFilled>};
    case RecordType::kOrderCanceled: return Body{std::in_place_type<OrderCanceled>};
    case RecordType::kOrderNotFound: return Body{std::in_place_type<OrderNotFound>};
    case RecordType::kCancelRejected: return Body{std::in_place_type<CancelRejected>};
    case RecordType::kRecordingEnded: return Body{std::in_place_type<RecordingEnded>};
    default: break;
  }
  if (format < 2) return std::nullopt;
  switch (static_cast<RecordType>(type_number)) {
    case RecordType::kTaskHalted: return Body{std::in_place_type<TaskHalted>};
    case RecordType::kTaskRetired: return Body{std::in_place_type<TaskRetired>};
    case RecordType::kOrderAdopted: return Body{std::in_place_type<OrderAdopted>};
    case RecordType::kJournalEpoch: return Body{std::in_place_type<JournalEpoch>};
    case RecordType::kAccountBaseline: return Body{std::in_place_type<AccountBaseline>};
    case RecordType::kBalanceChanged: return Body{std::in_place_type<BalanceChanged>};
    case RecordType::kForeignFill: return Body{std::in_place_type<ForeignFill>};
    case RecordType::kTradesScanned: return Body{std::in_place_type<TradesScanned>};
    case RecordType::kTaskResumed: return Body{std::in_place_type<TaskResumed>};
    default: break;
  }
  if (format < 3) return std::nullopt;
  switch (static_cast<RecordType>(type_number)) {
    case RecordType::kGuardChanged: return Body{std::in_place_type<GuardChanged>};
    default: break;
  }
  if (format < 4) return std::nullopt;
  switch (static_cast<RecordType>(type_number)) {
    case RecordType::kOrderAmended: return Body{std::in_place_type<OrderAmended>};
    case RecordType::kAmendRejected: return Body{std::in_place_type<AmendRejected>};
    default: break;
  }
  return std::nullopt;
}

}  // namespace

RecordType type_of(const Body& body) {
  KEEL_ASSERT(body.index() < std::size(kTypeByIndex));
  return kTypeByIndex[body.index()];
}

// ---------------------------------------------------------------------------------------------
// Payload serialization. Strings, enums and bools go through small wrappers so that loading is
// bounded and strict; the byte form of a string is cereal's own (u64 size tag + bytes).

namespace {

// A string whose loaded length is bounded before any allocation (a corrupt size tag must not
// make us allocate gigabytes).
struct BoundedStr {
  std::string& s;
  template <class Ar>
  void save(Ar& ar) const {
    ar(cereal::make_size_tag(static_cast<cereal::size_type>(s.size())));
    ar(cereal::binary_data(s.data(), s.size()));
  }
  template <class Ar>
  void load(Ar& ar) {
    cereal::size_type n = 0;
    ar(cereal::make_size_tag(n));
    if (n > kMaxRecordBytes) throw cereal::Exception("string length out of range");
    s.resize(static_cast<size_t>(n));
    ar(cereal::binary_data(s.data(), s.size()));
  }
};

// A vector whose loaded size is bounded before any allocation (each element takes at least one
// byte, so no more elements than the record can hold).
template <class T>
struct BoundedVec {
  std::vector<T>& v;
  template <class Ar>
  void save(Ar& ar) const {
    ar(cereal::make_size_tag(static_cast<cereal::size_type>(v.size())));
    for (T& e : v) ar(e);
  }
  template <class Ar>
  void load(Ar& ar) {
    cereal::size_type n = 0;
    ar(cereal::make_size_tag(n));
    if (n > kMaxRecordBytes) throw cereal::Exception("vector size out of range");
    v.resize(static_cast<size_t>(n));
    for (T& e : v) ar(e);
  }
};

// An enum or bool stored as one byte; loading rejects values above kMax.
template <class E, uint8_t kMax>
struct SmallEnum {
  E& v;
  template <class Ar>
  void save(Ar& ar) const {
    ar(static_cast<uint8_t>(v));
  }
  template <class Ar>
  void load(Ar& ar) {
    uint8_t raw = 0;
    ar(raw);
    if (raw > kMax) throw cereal::Exception("enum value out of range");
    if constexpr (std::is_same_v<E, bool>) {
      v = raw != 0;
    } else {
      v = static_cast<E>(raw);
    }
  }
};
using SideField = SmallEnum<Side, 1>;
using SourceField = SmallEnum<Source, 5>;
using BoolField = SmallEnum<bool, 1>;
using GuardField = SmallEnum<GuardState, 2>;

}  // namespace

// The payload fields of each type, per envelope format `f`. The field order IS the stored byte
// format: never reorder or drop a field; a new field is appended under a new format number (and
// loaded only from records of that format), so a journal written by an older keel still opens
// and folds to the same state. Format 1: issue 1-8's journals; format 2: request timing,
// TaskStarted.venue_start_ms, and the record types 16-24.
template <class Ar>
void serialize(Ar& ar, DecisionContext& b) {
  ar(b.best_bid_ticks, b.best_ask_ticks, b.last_trade_ticks, BoundedStr{b.reason});
}
template <class Ar>
void serialize(Ar& ar, RequestTiming& b) {
  ar(b.timestamp_ms, b.recv_window_ms);
}
template <class Ar>
void serialize(Ar& ar, AssetAmount& b) {
  ar(BoundedStr{b.asset}, b.amount_e8);
}
template <class Ar>
void fields(Ar& ar, TaskStarted& b, uint8_t f) {
  ar(BoundedStr{b.strategy}, BoundedStr{b.symbol}, BoundedStr{b.base_asset},
     BoundedStr{b.quote_asset}, b.tick_e8, b.step_e8, b.min_notional_e8,
     BoundedStr{b.params_yaml});
  if (f >= 2) ar(b.venue_start_ms);
  if (f >= 5) ar(BoundedStr{b.account});
}
template <class Ar>
void fields(Ar& ar, PlaceIntent& b, uint8_t f) {
  ar(b.slot_key, SideField{b.side}, b.price_ticks, b.qty_lots, BoundedStr{b.client_order_id},
     b.ctx);
  if (f >= 2) ar(b.timing);
}
template <class Ar>
void fields(Ar& ar, CancelIntent& b, uint8_t f) {
  ar(b.slot_key, BoundedStr{b.client_order_id}, b.ctx);
  if (f >= 2) ar(b.timing);
}
template <class Ar>
void fields(Ar& ar, AmendIntent& b, uint8_t f) {
  ar(b.slot_key, BoundedStr{b.orig_client_order_id}, BoundedStr{b.client_order_id},
     b.price_ticks, b.qty_lots, b.ctx);
  if (f >= 4) ar(SideField{b.side}, b.timing, BoolField{b.keep_priority});
}
template <class Ar>
void fields(Ar& ar, OrderAccepted& b, uint8_t) {
  ar(BoundedStr{b.client_order_id}, b.order_id, SourceField{b.source});
}
template <class Ar>
void fields(Ar& ar, OrderRejected& b, uint8_t) {
  ar(BoundedStr{b.client_order_id}, b.code, BoundedStr{b.msg}, SourceField{b.source});
}
template <class Ar>
void fields(Ar& ar, OrderFilled& b, uint8_t) {
  ar(BoundedStr{b.client_order_id}, b.trade_id, b.order_id, SideField{b.side}, b.price_ticks,
     b.qty_lots, b.commission_e8, BoundedStr{b.commission_asset}, BoolField{b.is_maker},
     SourceField{b.source});
}
template <class Ar>
void fields(Ar& ar, OrderCanceled& b, uint8_t) {
  ar(BoundedStr{b.client_order_id}, b.executed_lots, SourceField{b.source});
}
template <class Ar>
void fields(Ar& ar, OrderNotFound& b, uint8_t) {
  ar(BoundedStr{b.client_order_id}, SourceField{b.source});
}
template <class Ar>
void fields(Ar& ar, CancelRejected& b, uint8_t) {
  ar(BoundedStr{b.client_order_id}, b.code, BoundedStr{b.msg});
}
template <class Ar>
void fields(Ar& ar, RecordingEnded& b, uint8_t) {
  ar(b.events);
}
template <class Ar>
void fields(Ar& ar, TaskHalted& b, uint8_t) {
  ar(BoundedStr{b.reason});
}
template <class Ar>
void fields(Ar& ar, TaskRetired& b, uint8_t) {
  ar(BoundedStr{b.reason});
}
template <class Ar>
void fields(Ar& ar, OrderAdopted& b, uint8_t) {
  ar(b.slot_key, BoundedStr{b.client_order_id}, b.order_id, SideField{b.side}, b.price_ticks,
     b.qty_lots, BoolField{b.open}, b.executed_lots, SourceField{b.source});
}
template <class Ar>
void fields(Ar& ar, JournalEpoch& b, uint8_t) {
  ar(BoundedStr{b.epoch}, BoundedStr{b.reason});
}
template <class Ar>
void fields(Ar& ar, AccountBaseline& b, uint8_t) {
  ar(BoundedStr{b.symbol}, b.last_trade_id, b.venue_time_ms, BoundedVec<AssetAmount>{b.balances});
}
template <class Ar>
void fields(Ar& ar, BalanceChanged& b, uint8_t) {
  ar(BoundedStr{b.asset}, b.delta_e8, b.event_time_ms, b.clear_time_ms, BoundedStr{b.source});
}
template <class Ar>
void fields(Ar& ar, ForeignFill& b, uint8_t) {
  ar(BoundedStr{b.symbol}, BoundedStr{b.client_order_id}, b.trade_id, b.order_id,
     SideField{b.side}, b.price_ticks, b.qty_lots, b.commission_e8,
     BoundedStr{b.commission_asset});
}

template <class Ar>
void fields(Ar& ar, TradesScanned& b, uint8_t) {
  ar(BoundedStr{b.symbol}, b.through_trade_id);
}
template <class Ar>
void fields(Ar& ar, TaskResumed& b, uint8_t) {
  ar(BoundedStr{b.reason}, BoolField{b.r4_only});
}
template <class Ar>
void fields(Ar& ar, GuardChanged& b, uint8_t) {
  ar(GuardField{b.state}, BoundedStr{b.reason});
}
template <class Ar>
void fields(Ar& ar, OrderAmended& b, uint8_t) {
  ar(BoundedStr{b.client_order_id}, b.qty_lots, SourceField{b.source});
}
template <class Ar>
void fields(Ar& ar, AmendRejected& b, uint8_t) {
  ar(BoundedStr{b.client_order_id}, b.code, BoundedStr{b.msg});
}

namespace {

// A body with the format its fields are read or written in.
template <class T>
struct Versioned {
  T& body;
  uint8_t format;
  template <class Ar>
  void serialize(Ar& ar) {
    fields(ar, body, format);
  }
};

}  // namespace

namespace {

// ---------------------------------------------------------------------------------------------
// Byte plumbing: streambufs over a std::string (append) and a string_view (read, no copy).

class AppendBuf : public std::streambuf {
 public:
  explicit AppendBuf(std::string* out) : out_(out) {}
  void target(std::string* out) { out_ = out; }

 protected:
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    out_->append(s, static_cast<size_t>(n));
    return n;
  }
  int_type overflow(int_type c) override {
    if (c != traits_type::eof()) out_->push_back(static_cast<char>(c));
    return traits_type::not_eof(c);
  }

 private:
  std::string* out_;
};

class ViewBuf : public std::streambuf {
 public:
  explicit ViewBuf(std::string_view v) {
    char* p = const_cast<char*>(v.data());  // read-only use: the get area is never written
    setg(p, p, p + v.size());
  }
  size_t remaining() const { return static_cast<size_t>(egptr() - gptr()); }
};

// Byte offsets of the fixed envelope fields (codec.h grammar).
constexpr size_t kTypePos = 2;
constexpr size_t kSeqPos = 4;
constexpr size_t kTsLocalPos = 12;
constexpr size_t kTsExchangePos = 20;
constexpr size_t kPrevHashPos = 28;
constexpr size_t kTaskLenPos = 60;
constexpr size_t kFixedHeaderBytes = kTaskLenPos + 1;  // everything before the task bytes
constexpr size_t kPayloadLenBytes = 4;
constexpr size_t kCrcBytes = 4;
constexpr size_t kMinRecordBytes = kFixedHeaderBytes + 1 + kPayloadLenBytes + 1 + kCrcBytes;
static_assert(kFixedHeaderBytes == 61, "the envelope grammar in codec.h");
constexpr uint8_t kCerealLittleEndian = 1;  // PortableBinary's leading endianness flag

template <class T>
void put_le(std::string& out, T v) {
  using U = std::make_unsigned_t<T>;
  U u = static_cast<U>(v);
  for (size_t i = 0; i < sizeof(T); ++i) {
    out.push_back(static_cast<char>(static_cast<uint8_t>(u & 0xFF)));
    u = static_cast<U>(u >> 8);
  }
}

// REQUIRES: pos + sizeof(T) <= bytes.size() (callers check lengths first).
template <class T>
T get_le(std::string_view bytes, size_t pos) {
  using U = std::make_unsigned_t<T>;
  KEEL_ASSERT(pos + sizeof(T) <= bytes.size());
  U u = 0;
  for (size_t i = sizeof(T); i > 0; --i) {
    u = static_cast<U>(u << 8) | static_cast<U>(static_cast<uint8_t>(bytes[pos + i - 1]));
  }
  return static_cast<T>(u);
}

uint32_t crc_of(std::string_view bytes) {
  const uLong crc = crc32(0L, reinterpret_cast<const Bytef*>(bytes.data()),
                          static_cast<uInt>(bytes.size()));
  return static_cast<uint32_t>(crc);
}

// Appends the cereal payload of `body` to `out`. A std::ostream is costly to construct (its
// locale), so each thread keeps one over a retargetable AppendBuf (the group commit's leader
// may encode on any writer thread).
void append_payload(const Body& body, uint8_t format, std::string& out) {
  struct PayloadStream {
    AppendBuf buf{nullptr};
    std::ostream os{&buf};
  };
  thread_local PayloadStream ps;
  ps.buf.target(&out);
  ps.os.clear();
  const size_t start = out.size();
  {
    using Archive = cereal::PortableBinaryOutputArchive;
    Archive ar(ps.os, Archive::Options::LittleEndian());
    std::visit(
        [&](const auto& b) {
          using T = std::decay_t<decltype(b)>;
          ar(Versioned<T>{const_cast<T&>(b), format});  // saving only reads
        },
        body);
  }
  ps.buf.target(nullptr);
  KEEL_ASSERT(out.size() > start);
  KEEL_ASSERT(static_cast<uint8_t>(out[start]) == kCerealLittleEndian);
}

// Loads `payload` into `body` (already of the right alternative). Errors are short texts.
Status decode_payload(std::string_view payload, uint8_t format, Body* body) {
  if (payload.empty() || static_cast<uint8_t>(payload[0]) != kCerealLittleEndian) {
    return Status::Corruption("payload decode: bad endianness flag");
  }
  ViewBuf buf(payload);
  std::istream is(&buf);
  try {
    using Archive = cereal::PortableBinaryInputArchive;
    Archive ar(is, Archive::Options::LittleEndian());
    std::visit([&](auto& b) { ar(Versioned<std::decay_t<decltype(b)>>{b, format}); }, *body);
  } catch (const std::exception& e) {
    return Status::Corruption(std::string("payload decode: ") + e.what());
  } catch (...) {
    return Status::Corruption("payload decode: unknown error");
  }
  if (buf.remaining() != 0) {
    return Status::Corruption("payload decode: " + std::to_string(buf.remaining()) +
                              " trailing bytes");
  }
  return Status::Ok();
}

// Checks sizes, magic, version and crc; on success sets the task and payload views.
Status check_envelope(std::string_view bytes, std::string_view* task, std::string_view* payload) {
  if (bytes.size() < kMinRecordBytes) {
    return Status::Corruption("short record (" + std::to_string(bytes.size()) + " bytes)");
  }
  if (bytes.size() > kMaxRecordBytes) {
    return Status::Corruption("record too large (" + std::to_string(bytes.size()) + " bytes)");
  }
  if (static_cast<uint8_t>(bytes[0]) != kRecordMagic) return Status::Corruption("bad magic");
  if (static_cast<uint8_t>(bytes[1]) < kOldestFormatVersion ||
      static_cast<uint8_t>(bytes[1]) > kFormatVersion) {
    return Status::Corruption("unknown format version " +
                              std::to_string(static_cast<uint8_t>(bytes[1])));
  }
  const size_t task_len = static_cast<uint8_t>(bytes[kTaskLenPos]);
  const size_t len_pos = kFixedHeaderBytes + task_len;
  if (len_pos + kPayloadLenBytes + kCrcBytes > bytes.size()) {
    return Status::Corruption("truncated record (task length)");
  }
  const size_t payload_len = get_le<uint32_t>(bytes, len_pos);
  const size_t crc_pos = len_pos + kPayloadLenBytes + payload_len;  // no overflow: u32 + 64K
  if (crc_pos + kCrcBytes > bytes.size()) {
    return Status::Corruption("truncated record (payload length)");
  }
  if (crc_pos + kCrcBytes < bytes.size()) {
    return Status::Corruption("trailing bytes after record");
  }
  if (get_le<uint32_t>(bytes, crc_pos) != crc_of(bytes.substr(0, crc_pos))) {
    return Status::Corruption("crc mismatch");
  }
  *task = bytes.substr(kFixedHeaderBytes, task_len);
  *payload = bytes.substr(len_pos + kPayloadLenBytes, payload_len);
  return Status::Ok();
}

}  // namespace

Result<std::string> try_encode(const Record& rec) {
  KEEL_ASSERT(rec.seq > 0);
  KEEL_ASSERT(validate_task_id(rec.task_id).ok());
  // One buffer: the envelope's header, then the payload encoded in place, then its length and
  // the CRC filled in (the same bytes as header + separately encoded payload + CRC).
  constexpr size_t kTypicalPayloadBytes = 192;
  std::string out;
  out.reserve(kFixedHeaderBytes + rec.task_id.size() + kPayloadLenBytes + kTypicalPayloadBytes +
              kCrcBytes);
  out.push_back(static_cast<char>(kRecordMagic));
  KEEL_ASSERT(rec.format >= kOldestFormatVersion && rec.format <= kFormatVersion);
  out.push_back(static_cast<char>(rec.format));
  put_le<uint16_t>(out, static_cast<uint16_t>(rec.type()));
  put_le<uint64_t>(out, rec.seq);
  put_le<int64_t>(out, rec.ts_local_ns);
  put_le<int64_t>(out, rec.ts_exchange_ns);
  out.append(reinterpret_cast<const char*>(rec.prev_hash.data()), rec.prev_hash.size());
  out.push_back(static_cast<char>(rec.task_id.size()));
  out.append(rec.task_id);
  const size_t len_pos = out.size();
  put_le<uint32_t>(out, 0);  // payload_len, set below
  append_payload(rec.body, rec.format, out);
  const size_t payload_size = out.size() - len_pos - kPayloadLenBytes;
  const size_t total = out.size() + kCrcBytes;
  if (total > kMaxRecordBytes) {
    return Status::InvalidArgument("journal record seq " + std::to_string(rec.seq) + " (" +
                                   record_type_name(rec.type()) + ") would be " +
                                   std::to_string(total) + " bytes, over the limit");
  }
  for (size_t i = 0; i < kPayloadLenBytes; ++i) {
    out[len_pos + i] = static_cast<char>((payload_size >> (8 * i)) & 0xFF);
  }
  put_le<uint32_t>(out, crc_of(out));
  KEEL_ASSERT(out.size() == total);
  return out;
}

std::string encode(const Record& rec) {
  Result<std::string> bytes = try_encode(rec);
  KEEL_ASSERT_MSG(bytes.ok(), "journal record larger than kMaxRecordBytes");
  return std::move(bytes).value();
}

Result<Record> decode(std::string_view bytes) {
  std::string_view task, payload;
  KEEL_RETURN_IF_ERROR(check_envelope(bytes, &task, &payload));
  const uint16_t type_number = get_le<uint16_t>(bytes, kTypePos);
  const uint8_t format = static_cast<uint8_t>(bytes[1]);
  std::optional<Body> body = make_body(type_number, format);
  if (!body) return Status::Corruption("unknown record type " + std::to_string(type_number));
  Record rec;
  rec.format = format;
  rec.seq = get_le<uint64_t>(bytes, kSeqPos);
  if (rec.seq == 0) return Status::Corruption("seq 0");
  rec.ts_local_ns = get_le<int64_t>(bytes, kTsLocalPos);
  rec.ts_exchange_ns = get_le<int64_t>(bytes, kTsExchangePos);
  for (size_t i = 0; i < rec.prev_hash.size(); ++i) {
    rec.prev_hash[i] = static_cast<uint8_t>(bytes[kPrevHashPos + i]);
  }
  if (!validate_task_id(task).ok()) return Status::Corruption("bad task id");
  rec.task_id.assign(task);
  rec.body = std::move(*body);
  KEEL_RETURN_IF_ERROR(decode_payload(payload, format, &rec.body));
  KEEL_ASSERT(static_cast<uint16_t>(rec.type()) == type_number);
  return rec;
}

namespace {

// SHA-256 fetched from the default provider once per process (EVP_sha256() in EVP_Digest
// fetches it again on every call). Never freed: it lives as long as the process.
const EVP_MD* sha256_md() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  KEEL_ASSERT_MSG(md != nullptr, "EVP_MD_fetch(SHA256) failed");
  return md;
}

// One digest context per thread, reused by every hash on that thread: the journal has one
// writer, but the group commit's leader may be any writer thread, so the context is
// thread_local rather than shared (no locking, no allocation per record).
struct DigestCtx {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  DigestCtx() { KEEL_ASSERT_MSG(ctx != nullptr, "EVP_MD_CTX_new failed"); }
  ~DigestCtx() { EVP_MD_CTX_free(ctx); }
  DigestCtx(const DigestCtx&) = delete;
  DigestCtx& operator=(const DigestCtx&) = delete;
};

}  // namespace

Hash hash_bytes(std::string_view encoded) {
  thread_local DigestCtx t;
  Hash h{};
  unsigned int len = 0;
  const int rc = EVP_DigestInit_ex2(t.ctx, sha256_md(), nullptr) == 1 &&
                 EVP_DigestUpdate(t.ctx, encoded.data(), encoded.size()) == 1 &&
                 EVP_DigestFinal_ex(t.ctx, h.data(), &len) == 1;
  KEEL_ASSERT_MSG(rc == 1, "SHA-256 digest failed");
  KEEL_ASSERT(len == h.size());
  return h;
}

std::string hash_hex(const Hash& h) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(h.size() * 2);
  for (uint8_t b : h) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0x0F]);
  }
  return out;
}

}  // namespace keel::journal
