// Binance market-data decoders (decode.h). simdjson DOM, error codes only (no exceptions).
//
// Why DOM and not On-Demand: fields arrive in any order across spot/USD-M and the DOM lets every
// error name its field without caring about order; a depth line is at most a few hundred KB.
// Decimals go through keel::parse_fixed at 10^-8, never through double.
#include "keel/market/decode.h"

#include <simdjson.h>

#include <cstdint>
#include <limits>
#include <string>

#include "keel/core/fixed.h"

namespace keel::market {
namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

constexpr int64_t kNsPerMs = 1'000'000;

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

Status get_int(const object& o, const Where& w, std::string_view key, int64_t& out) {
  element e;
  KEEL_RETURN_IF_ERROR(get_field(o, w, key, e));
  if (e.get_int64().get(out) != simdjson::SUCCESS) return bad(w, key, "not an int64");
  return Status::Ok();
}

// A Binance ms timestamp (E, T) in ns. Rejects negative and overflowing values.
Status get_ms_as_ns(const object& o, const Where& w, std::string_view key, int64_t& out_ns) {
  int64_t ms = 0;
  KEEL_RETURN_IF_ERROR(get_int(o, w, key, ms));
  if (ms < 0 || ms > std::numeric_limits<int64_t>::max() / kNsPerMs) {
    return bad(w, key, "timestamp out of range: " + std::to_string(ms));
  }
  out_ns = ms * kNsPerMs;
  return Status::Ok();
}

Status get_string(const object& o, const Where& w, std::string_view key, std::string_view& out) {
  element e;
  KEEL_RETURN_IF_ERROR(get_field(o, w, key, e));
  if (e.get_string().get(out) != simdjson::SUCCESS) return bad(w, key, "not a string");
  return Status::Ok();
}

// A decimal string at 10^-8: "61837.63000000" -> 6183763000000.
Status get_decimal(const object& o, const Where& w, std::string_view key, int64_t& out) {
  element e;
  KEEL_RETURN_IF_ERROR(get_field(o, w, key, e));
  std::string_view text;
  if (e.get_string().get(text) != simdjson::SUCCESS) return bad(w, key, "not a string");
  Result<int64_t> v = parse_fixed(text, kScaleE8);
  if (!v.ok()) return v.status().With(w.path(key));
  out = *v;
  return Status::Ok();
}

// Optional field `e`: when present it must equal `expected` (guards a mislabelled stream).
Status check_event_type(const object& o, const Where& w, std::string_view expected) {
  element e;
  if (o["e"].get(e) != simdjson::SUCCESS) return Status::Ok();
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
  Result<int64_t> v = parse_fixed(text, kScaleE8);
  if (!v.ok()) return v.status().With(level_path(w, key, i, j));
  if (*v < 0) return Status::InvalidArgument(level_path(w, key, i, j) + ": negative");
  out = *v;
  return Status::Ok();
}

// [["price","qty"], ...] -> levels, in wire order.
Status get_levels(const object& o, const Where& w, std::string_view key, std::vector<Level>& out) {
  element e;
  KEEL_RETURN_IF_ERROR(get_field(o, w, key, e));
  array levels;
  if (e.get_array().get(levels) != simdjson::SUCCESS) return bad(w, key, "not an array");
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

Result<EventBody> decode_diff(const object& d, const Where& w) {
  KEEL_RETURN_IF_ERROR(check_event_type(d, w, "depthUpdate"));
  DepthDiff diff;
  KEEL_RETURN_IF_ERROR(get_int(d, w, "U", diff.first_update_id));
  KEEL_RETURN_IF_ERROR(get_int(d, w, "u", diff.final_update_id));
  if (diff.first_update_id > diff.final_update_id) return bad(w, "U", "greater than u");
  element pu;
  if (d["pu"].get(pu) == simdjson::SUCCESS) {
    KEEL_RETURN_IF_ERROR(get_int(d, w, "pu", diff.prev_final_update_id));
    if (diff.prev_final_update_id < 0) return bad(w, "pu", "negative");
  }
  KEEL_RETURN_IF_ERROR(get_ms_as_ns(d, w, "E", diff.ts_exchange_ns));
  KEEL_RETURN_IF_ERROR(get_levels(d, w, "b", diff.bids));
  KEEL_RETURN_IF_ERROR(get_levels(d, w, "a", diff.asks));
  return EventBody(std::move(diff));
}

Result<EventBody> decode_book_ticker(const object& d, const Where& w) {
  KEEL_RETURN_IF_ERROR(check_event_type(d, w, "bookTicker"));
  BookTicker t;
  KEEL_RETURN_IF_ERROR(get_int(d, w, "u", t.update_id));
  KEEL_RETURN_IF_ERROR(get_decimal(d, w, "b", t.bid_price_e8));
  KEEL_RETURN_IF_ERROR(get_decimal(d, w, "B", t.bid_qty_e8));
  KEEL_RETURN_IF_ERROR(get_decimal(d, w, "a", t.ask_price_e8));
  KEEL_RETURN_IF_ERROR(get_decimal(d, w, "A", t.ask_qty_e8));
  element e;
  if (d["E"].get(e) == simdjson::SUCCESS) {  // USD-M only; spot bookTicker has no E
    KEEL_RETURN_IF_ERROR(get_ms_as_ns(d, w, "E", t.ts_exchange_ns));
  }
  return EventBody(t);
}

// `id_key` is "t" for @trade, "a" for @aggTrade.
Result<EventBody> decode_trade(const object& d, const Where& w, std::string_view type,
                               std::string_view id_key) {
  KEEL_RETURN_IF_ERROR(check_event_type(d, w, type));
  Trade t;
  KEEL_RETURN_IF_ERROR(get_int(d, w, id_key, t.trade_id));
  KEEL_RETURN_IF_ERROR(get_decimal(d, w, "p", t.price_e8));
  KEEL_RETURN_IF_ERROR(get_decimal(d, w, "q", t.qty_e8));
  element m;
  KEEL_RETURN_IF_ERROR(get_field(d, w, "m", m));
  if (m.get_bool().get(t.buyer_is_maker) != simdjson::SUCCESS) return bad(w, "m", "not a bool");
  KEEL_RETURN_IF_ERROR(get_ms_as_ns(d, w, "T", t.ts_exchange_ns));
  return EventBody(t);
}

Result<MarketEvent> decode_snapshot(const object& o, int64_t ts_recv_ns) {
  const Where w{""};
  DepthSnapshot snap;
  KEEL_RETURN_IF_ERROR(get_int(o, w, "lastUpdateId", snap.last_update_id));
  KEEL_RETURN_IF_ERROR(get_levels(o, w, "bids", snap.bids));
  KEEL_RETURN_IF_ERROR(get_levels(o, w, "asks", snap.asks));
  MarketEvent ev;
  ev.ts_recv_ns = ts_recv_ns;
  ev.body = std::move(snap);
  return ev;
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

Result<EventBody> decode_body(StreamKind kind, const object& d, const Where& w) {
  switch (kind) {
    case StreamKind::kDepth: return decode_diff(d, w);
    case StreamKind::kBookTicker: return decode_book_ticker(d, w);
    case StreamKind::kTrade: return decode_trade(d, w, "trade", "t");
    case StreamKind::kAggTrade: return decode_trade(d, w, "aggTrade", "a");
    case StreamKind::kOther: break;
  }
  return Status::NotFound("stream kind");  // unreachable: callers filter kOther
}

Result<MarketEvent> decode_stream(const object& o, std::string_view stream, int64_t ts_recv_ns) {
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
  std::string_view symbol;
  KEEL_RETURN_IF_ERROR(get_string(data, w, "s", symbol));
  Result<EventBody> body = decode_body(kind, data, w);
  if (!body.ok()) return body.status();
  MarketEvent ev;
  ev.ts_recv_ns = ts_recv_ns;
  ev.symbol.assign(symbol);
  ev.body = std::move(body).value();
  return ev;
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

Result<MarketEvent> decode_message(std::string_view json, int64_t ts_recv_ns) {
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
    return decode_stream(o, stream, ts_recv_ns);
  }
  element id;
  if (o["lastUpdateId"].get(id) == simdjson::SUCCESS) return decode_snapshot(o, ts_recv_ns);
  return Status::InvalidArgument("stream: missing (neither a combined-stream message nor a depth "
                                 "snapshot)");
}

Result<MarketEvent> decode_capture_line(std::string_view line) {
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
  return decode_message(line.substr(i + 1), ts);
}

}  // namespace keel::market
