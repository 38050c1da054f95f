// Binance market-data decoders (decode.h). simdjson DOM, error codes only (no exceptions).
//
// Why DOM and not On-Demand: fields arrive in any order across spot/USD-M and the DOM lets every
// error name its field without caring about order; a depth line is at most a few hundred KB.
// Decimals are exact at 10^-8, never through double: Binance's own form (digits, '.', up to 8
// fraction digits) on a fast path below, anything else through keel::parse_fixed.
// A stream's data object is scanned once for the keys the decoders read (Fields), instead of
// one DOM lookup per key, each of which scans the object's keys from the start.
// decode_*_into reuse the caller's MarketEvent (depth vectors, symbol) so a reader in steady
// state allocates nothing per event.
#include "keel/market/decode.h"

#include <simdjson.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <utility>

#include "keel/core/fixed.h"

namespace keel::market {
namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

constexpr int64_t kNsPerMs = 1'000'000;

// --- decimals ---------------------------------------------------------------------------------

constexpr int64_t kPow10[] = {1,      10,      100,      1000,      10000,
                              100000, 1000000, 10000000, 100000000};

// simdjson's eight-digit SWAR test and conversion (little-endian load of 8 chars).
bool eight_digits(uint64_t v) {
  return (((v & 0xF0F0F0F0F0F0F0F0ull) | (((v + 0x0606060606060606ull) & 0xF0F0F0F0F0F0F0F0ull)
                                          >> 4)) == 0x3333333333333333ull);
}
uint32_t eight_digits_value(uint64_t v) {
  v -= 0x3030303030303030ull;
  v = (v * 10) + (v >> 8);
  v = (((v & 0x000000FF000000FFull) * 0x000F424000000064ull) +
       (((v >> 16) & 0x000000FF000000FFull) * 0x0000271000000001ull)) >> 32;
  return static_cast<uint32_t>(v);
}

// Binance's decimals at 10^-8: 1..10 integer digits, optionally '.' and 1..8 fraction digits,
// no sign. For exactly these texts parse_fixed(text, 8) returns int * 10^8 + frac * 10^(8-n)
// (at most ~10^18: no overflow), which is what this computes. Returns false for any other text
// (sign, more digits, a stray character...), which then goes to parse_fixed: it accepts or
// rejects it and words the error.
bool parse_e8_fast(std::string_view t, int64_t& out) {
  const size_t n = t.size();
  size_t i = 0;
  uint64_t int_part = 0;
  for (; i < n && i < 11; ++i) {
    const unsigned d = static_cast<unsigned char>(t[i]) - '0';
    if (d > 9) break;
    int_part = int_part * 10 + d;
  }
  if (i == 0 || i > 10) return false;
  const auto whole = static_cast<int64_t>(int_part) * kPow10[8];
  if (i == n) {
    out = whole;
    return true;
  }
  if (t[i] != '.') return false;
  const size_t frac_digits = n - i - 1;
  if (frac_digits == 0 || frac_digits > 8) return false;
  const char* f = t.data() + i + 1;
  if (frac_digits == 8) {
    uint64_t v;
    std::memcpy(&v, f, 8);
    if (!eight_digits(v)) return false;
    out = whole + eight_digits_value(v);
    return true;
  }
  int64_t frac = 0;
  for (size_t k = 0; k < frac_digits; ++k) {
    const unsigned d = static_cast<unsigned char>(f[k]) - '0';
    if (d > 9) return false;
    frac = frac * 10 + d;
  }
  out = whole + frac * kPow10[8 - frac_digits];
  return true;
}

Result<int64_t> parse_e8(std::string_view text) {
  int64_t v = 0;
  if (parse_e8_fast(text, v)) return v;
  return parse_fixed(text, kScaleE8);
}

// --- the keys of a stream's data object, found in one pass ------------------------------------

enum Key : uint8_t { kE, kEventTime, kSymbol, kFirstId, kLastId, kPrevId, kBids, kAsks,
                     kBidQty, kAskQty, kTradeId, kPrice, kQty, kMaker, kTradeTime, kKeyCount };

int key_index(std::string_view k) {
  if (k.size() == 1) {
    switch (k[0]) {
      case 'e': return kE;
      case 'E': return kEventTime;
      case 's': return kSymbol;
      case 'U': return kFirstId;
      case 'u': return kLastId;
      case 'b': return kBids;
      case 'a': return kAsks;
      case 'B': return kBidQty;
      case 'A': return kAskQty;
      case 't': return kTradeId;
      case 'p': return kPrice;
      case 'q': return kQty;
      case 'm': return kMaker;
      case 'T': return kTradeTime;
      default: return -1;
    }
  }
  if (k == "pu") return kPrevId;
  return -1;
}

// The first value of each key (simdjson's o[key] also returns the first match).
class Fields {
 public:
  explicit Fields(const object& o) {
    for (const simdjson::dom::key_value_pair field : o) {
      const int i = key_index(field.key);
      if (i >= 0 && !found_[static_cast<size_t>(i)]) {
        found_[static_cast<size_t>(i)] = true;
        values_[static_cast<size_t>(i)] = field.value;
      }
    }
  }
  // REQUIRES: `key` is one of key_index's.
  bool get(std::string_view key, element& out) const {
    const auto i = static_cast<size_t>(key_index(key));
    if (!found_[i]) return false;
    out = values_[i];
    return true;
  }

 private:
  std::array<element, kKeyCount> values_{};
  std::array<bool, kKeyCount> found_{};
};

// Where a field lives: "data." inside a combined-stream envelope, "" in a bare snapshot.
struct Where {
  std::string_view prefix;
  std::string path(std::string_view key) const {
    std::string p(prefix);
    p += key;
    return p;
  }
};

Status bad(const Where& w, std::string_view key, std::string_view what) {
  return Status::InvalidArgument(w.path(key) + ": " + std::string(what));
}

Status get_field(const object& o, const Where& w, std::string_view key, element& out) {
  if (o[key].get(out) != simdjson::SUCCESS) return bad(w, key, "missing");
  return Status::Ok();
}

Status get_field(const Fields& o, const Where& w, std::string_view key, element& out) {
  if (!o.get(key, out)) return bad(w, key, "missing");
  return Status::Ok();
}

template <class Obj>
Status get_int(const Obj& o, const Where& w, std::string_view key, int64_t& out) {
  element e;
  KEEL_RETURN_IF_ERROR(get_field(o, w, key, e));
  if (e.get_int64().get(out) != simdjson::SUCCESS) return bad(w, key, "not an int64");
  return Status::Ok();
}

// A Binance ms timestamp (E, T) in ns. Rejects negative and overflowing values.
template <class Obj>
Status get_ms_as_ns(const Obj& o, const Where& w, std::string_view key, int64_t& out_ns) {
  int64_t ms = 0;
  KEEL_RETURN_IF_ERROR(get_int(o, w, key, ms));
  if (ms < 0 || ms > std::numeric_limits<int64_t>::max() / kNsPerMs) {
    return bad(w, key, "timestamp out of range: " + std::to_string(ms));
  }
  out_ns = ms * kNsPerMs;
  return Status::Ok();
}

template <class Obj>
Status get_string(const Obj& o, const Where& w, std::string_view key, std::string_view& out) {
  element e;
  KEEL_RETURN_IF_ERROR(get_field(o, w, key, e));
  if (e.get_string().get(out) != simdjson::SUCCESS) return bad(w, key, "not a string");
  return Status::Ok();
}

// A decimal string at 10^-8: "61837.63000000" -> 6183763000000.
Status get_decimal(const Fields& o, const Where& w, std::string_view key, int64_t& out) {
  element e;
  KEEL_RETURN_IF_ERROR(get_field(o, w, key, e));
  std::string_view text;
  if (e.get_string().get(text) != simdjson::SUCCESS) return bad(w, key, "not a string");
  if (parse_e8_fast(text, out)) return Status::Ok();
  Result<int64_t> v = parse_fixed(text, kScaleE8);
  if (!v.ok()) return v.status().With(w.path(key));
  out = *v;
  return Status::Ok();
}

// Optional field `e`: when present it must equal `expected` (guards a mislabelled stream).
Status check_event_type(const Fields& o, const Where& w, std::string_view expected) {
  element e;
  if (!o.get("e", e)) return Status::Ok();
  std::string_view type;
  if (e.get_string().get(type) != simdjson::SUCCESS || type != expected) {
    return bad(w, "e", "expected '" + std::string(expected) + "'");
  }
  return Status::Ok();
}

std::string level_path(const Where& w, std::string_view key, size_t i, int j) {
  return w.path(key) + "[" + std::to_string(i) + "]" + (j < 0 ? "" : "[" + std::to_string(j) + "]");
}

Status level_decimal(element e, const Where& w, std::string_view key, size_t i, int j,
                     int64_t& out) {
  std::string_view text;
  if (e.get_string().get(text) != simdjson::SUCCESS) {
    return Status::InvalidArgument(level_path(w, key, i, j) + ": not a string");
  }
  Result<int64_t> v = parse_e8(text);
  if (!v.ok()) return v.status().With(level_path(w, key, i, j));
  if (*v < 0) return Status::InvalidArgument(level_path(w, key, i, j) + ": negative");
  out = *v;
  return Status::Ok();
}

// [["price","qty"], ...] -> levels, in wire order. `out` is cleared first (its capacity kept).
template <class Obj>
Status get_levels(const Obj& o, const Where& w, std::string_view key, std::vector<Level>& out) {
  element e;
  KEEL_RETURN_IF_ERROR(get_field(o, w, key, e));
  array levels;
  if (e.get_array().get(levels) != simdjson::SUCCESS) return bad(w, key, "not an array");
  out.clear();
  out.reserve(levels.size());
  size_t i = 0;
  for (element item : levels) {
    array pair;
    if (item.get_array().get(pair) != simdjson::SUCCESS || pair.size() != 2) {
      return Status::InvalidArgument(level_path(w, key, i, -1) + ": not a [price, qty] pair");
    }
    Level level;
    KEEL_RETURN_IF_ERROR(level_decimal(pair.at(0).value_unsafe(), w, key, i, 0, level.price_e8));
    KEEL_RETURN_IF_ERROR(level_decimal(pair.at(1).value_unsafe(), w, key, i, 1, level.qty_e8));
    out.push_back(level);
    ++i;
  }
  return Status::Ok();
}

// Depth vectors of events that became another kind, kept for the next depth event of this
// thread (a MarketEvent's variant destroys them otherwise). Capacity only: always empty.
struct SpareLevels {
  std::vector<Level> bids, asks;
};

SpareLevels& spare_levels() {
  thread_local SpareLevels spare;
  return spare;
}

// Makes `body` hold a T, saving the vectors of a DepthDiff it held for later depth events.
template <class T>
T& become(EventBody& body) {
  if (auto* t = std::get_if<T>(&body)) return *t;
  if (auto* old = std::get_if<DepthDiff>(&body)) {
    SpareLevels& spare = spare_levels();
    if (spare.bids.capacity() < old->bids.capacity()) spare.bids = std::move(old->bids);
    if (spare.asks.capacity() < old->asks.capacity()) spare.asks = std::move(old->asks);
    spare.bids.clear();
    spare.asks.clear();
  }
  return body.emplace<T>();
}

Status decode_diff(const Fields& d, const Where& w, EventBody& body) {
  KEEL_RETURN_IF_ERROR(check_event_type(d, w, "depthUpdate"));
  const bool fresh = !std::holds_alternative<DepthDiff>(body);
  DepthDiff& diff = become<DepthDiff>(body);
  if (fresh) {  // take the vectors a previous depth event left behind
    SpareLevels& spare = spare_levels();
    diff.bids.swap(spare.bids);
    diff.asks.swap(spare.asks);
  }
  KEEL_RETURN_IF_ERROR(get_int(d, w, "U", diff.first_update_id));
  KEEL_RETURN_IF_ERROR(get_int(d, w, "u", diff.final_update_id));
  if (diff.first_update_id > diff.final_update_id) return bad(w, "U", "greater than u");
  diff.prev_final_update_id = -1;
  element pu;
  if (d.get("pu", pu)) {
    KEEL_RETURN_IF_ERROR(get_int(d, w, "pu", diff.prev_final_update_id));
    if (diff.prev_final_update_id < 0) return bad(w, "pu", "negative");
  }
  KEEL_RETURN_IF_ERROR(get_ms_as_ns(d, w, "E", diff.ts_exchange_ns));
  KEEL_RETURN_IF_ERROR(get_levels(d, w, "b", diff.bids));
  return get_levels(d, w, "a", diff.asks);
}

Status decode_book_ticker(const Fields& d, const Where& w, EventBody& body) {
  KEEL_RETURN_IF_ERROR(check_event_type(d, w, "bookTicker"));
  BookTicker t;
  KEEL_RETURN_IF_ERROR(get_int(d, w, "u", t.update_id));
  KEEL_RETURN_IF_ERROR(get_decimal(d, w, "b", t.bid_price_e8));
  KEEL_RETURN_IF_ERROR(get_decimal(d, w, "B", t.bid_qty_e8));
  KEEL_RETURN_IF_ERROR(get_decimal(d, w, "a", t.ask_price_e8));
  KEEL_RETURN_IF_ERROR(get_decimal(d, w, "A", t.ask_qty_e8));
  element e;
  if (d.get("E", e)) {  // USD-M only; spot bookTicker has no E
    KEEL_RETURN_IF_ERROR(get_ms_as_ns(d, w, "E", t.ts_exchange_ns));
  }
  become<BookTicker>(body) = t;
  return Status::Ok();
}

// `id_key` is "t" for @trade, "a" for @aggTrade.
Status decode_trade(const Fields& d, const Where& w, std::string_view type,
                    std::string_view id_key, EventBody& body) {
  KEEL_RETURN_IF_ERROR(check_event_type(d, w, type));
  Trade t;
  KEEL_RETURN_IF_ERROR(get_int(d, w, id_key, t.trade_id));
  KEEL_RETURN_IF_ERROR(get_decimal(d, w, "p", t.price_e8));
  KEEL_RETURN_IF_ERROR(get_decimal(d, w, "q", t.qty_e8));
  element m;
  KEEL_RETURN_IF_ERROR(get_field(d, w, "m", m));
  if (m.get_bool().get(t.buyer_is_maker) != simdjson::SUCCESS) return bad(w, "m", "not a bool");
  KEEL_RETURN_IF_ERROR(get_ms_as_ns(d, w, "T", t.ts_exchange_ns));
  become<Trade>(body) = t;
  return Status::Ok();
}

Status decode_snapshot(const object& o, int64_t ts_recv_ns, MarketEvent& out) {
  const Where w{""};
  DepthSnapshot snap;
  KEEL_RETURN_IF_ERROR(get_int(o, w, "lastUpdateId", snap.last_update_id));
  KEEL_RETURN_IF_ERROR(get_levels(o, w, "bids", snap.bids));
  KEEL_RETURN_IF_ERROR(get_levels(o, w, "asks", snap.asks));
  out.ts_recv_ns = ts_recv_ns;
  out.symbol.clear();
  become<DepthSnapshot>(out.body) = std::move(snap);
  return Status::Ok();
}

enum class StreamKind { kDepth, kBookTicker, kTrade, kAggTrade, kOther };

// "btcusdt@depth@100ms" -> kDepth; partial books ("@depth20") and klines are kOther.
StreamKind stream_kind(std::string_view stream) {
  const size_t at = stream.find('@');
  if (at == std::string_view::npos) return StreamKind::kOther;
  const std::string_view name = stream.substr(at + 1);
  if (name == "depth" || name.starts_with("depth@")) return StreamKind::kDepth;
  if (name == "bookTicker") return StreamKind::kBookTicker;
  if (name == "trade") return StreamKind::kTrade;
  if (name == "aggTrade") return StreamKind::kAggTrade;
  return StreamKind::kOther;
}

Status decode_body(StreamKind kind, const Fields& d, const Where& w, EventBody& body) {
  switch (kind) {
    case StreamKind::kDepth: return decode_diff(d, w, body);
    case StreamKind::kBookTicker: return decode_book_ticker(d, w, body);
    case StreamKind::kTrade: return decode_trade(d, w, "trade", "t", body);
    case StreamKind::kAggTrade: return decode_trade(d, w, "aggTrade", "a", body);
    case StreamKind::kOther: break;
  }
  return Status::NotFound("stream kind");  // unreachable: callers filter kOther
}

Status decode_stream(const object& o, std::string_view stream, int64_t ts_recv_ns,
                     MarketEvent& out) {
  const StreamKind kind = stream_kind(stream);
  if (kind == StreamKind::kOther) {
    return Status::NotFound("stream not handled: " + std::string(stream));
  }
  const Where w{"data."};
  element data_el;
  object data;
  if (o["data"].get(data_el) != simdjson::SUCCESS) return Status::InvalidArgument("data: missing");
  if (data_el.get_object().get(data) != simdjson::SUCCESS) {
    return Status::InvalidArgument("data: not an object");
  }
  const Fields fields(data);
  std::string_view symbol;
  KEEL_RETURN_IF_ERROR(get_string(fields, w, "s", symbol));
  KEEL_RETURN_IF_ERROR(decode_body(kind, fields, w, out.body));
  out.ts_recv_ns = ts_recv_ns;
  out.symbol.assign(symbol);  // reuses the string's capacity
  return Status::Ok();
}

// One parser per thread: it keeps its buffers across messages. `padded` holds a copy of the
// message with simdjson's required trailing padding.
struct ThreadParser {
  simdjson::dom::parser parser;
  std::string padded;
};

ThreadParser& thread_parser() {
  thread_local ThreadParser tp;
  return tp;
}

}  // namespace

Status decode_message_into(std::string_view json, int64_t ts_recv_ns, MarketEvent& out) {
  ThreadParser& tp = thread_parser();
  tp.padded.assign(json);
  tp.padded.append(simdjson::SIMDJSON_PADDING, '\0');
  element doc;
  const auto err = tp.parser.parse(tp.padded.data(), json.size(), false).get(doc);
  if (err != simdjson::SUCCESS) {
    return Status::InvalidArgument(std::string("json: ") + simdjson::error_message(err));
  }
  object o;
  if (doc.get_object().get(o) != simdjson::SUCCESS) {
    return Status::InvalidArgument("json: not an object");
  }
  element stream_el;
  if (o["stream"].get(stream_el) == simdjson::SUCCESS) {
    std::string_view stream;
    if (stream_el.get_string().get(stream) != simdjson::SUCCESS) {
      return Status::InvalidArgument("stream: not a string");
    }
    return decode_stream(o, stream, ts_recv_ns, out);
  }
  element id;
  if (o["lastUpdateId"].get(id) == simdjson::SUCCESS) return decode_snapshot(o, ts_recv_ns, out);
  return Status::InvalidArgument("stream: missing (neither a combined-stream message nor a depth "
                                 "snapshot)");
}

Result<MarketEvent> decode_message(std::string_view json, int64_t ts_recv_ns) {
  MarketEvent ev;
  KEEL_RETURN_IF_ERROR(decode_message_into(json, ts_recv_ns, ev));
  return ev;
}

Status decode_capture_line_into(std::string_view line, MarketEvent& out) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  size_t i = 0;
  int64_t ts = 0;
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  for (; i < line.size() && line[i] >= '0' && line[i] <= '9'; ++i) {
    const int digit = line[i] - '0';
    if (ts > (kMax - digit) / 10) return Status::InvalidArgument("recv_ns: out of range");
    ts = ts * 10 + digit;
  }
  if (i == 0 || i >= line.size() || line[i] != ' ') {
    return Status::InvalidArgument("recv_ns: expected '<recv_ns> <json>'");
  }
  return decode_message_into(line.substr(i + 1), ts, out);
}

Result<MarketEvent> decode_capture_line(std::string_view line) {
  MarketEvent ev;
  KEEL_RETURN_IF_ERROR(decode_capture_line_into(line, ev));
  return ev;
}

}  // namespace keel::market
