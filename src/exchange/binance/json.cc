// simdjson DOM helpers for the Binance decoders (json.h). Error codes only, no exceptions.
#include "json.h"

#include <limits>

#include "keel/core/fixed.h"

namespace keel::exchange::binance::json {
namespace {

constexpr int64_t kNsPerMs = 1'000'000;

struct ThreadParser {
  simdjson::dom::parser parser;
  std::string padded;  // the text plus simdjson's required padding
};

Status field(const Obj& at, std::string_view key, element& out) {
  if (at.o[key].get(out) != simdjson::SUCCESS) return bad(at, key, "missing");
  return Status::Ok();
}

}  // namespace

Result<element> parse(std::string_view text) {
  thread_local ThreadParser tp;
  tp.padded.assign(text);
  tp.padded.append(simdjson::SIMDJSON_PADDING, '\0');
  element doc;
  const auto err = tp.parser.parse(tp.padded.data(), text.size(), false).get(doc);
  if (err != simdjson::SUCCESS) {
    return Status::InvalidArgument(std::string("json: ") + simdjson::error_message(err));
  }
  return doc;
}

Status bad(const Obj& at, std::string_view key, std::string_view what) {
  std::string msg = at.path;
  msg += key;
  msg += ": ";
  msg += what;
  return Status::InvalidArgument(std::move(msg));
}

Status as_object(element e, std::string path, Obj& out) {
  if (e.get_object().get(out.o) != simdjson::SUCCESS) {
    std::string name = path.empty() ? std::string("json") : path.substr(0, path.size() - 1);
    return Status::InvalidArgument(name + ": not an object");
  }
  out.path = std::move(path);
  return Status::Ok();
}

bool has(const Obj& at, std::string_view key) {
  element e;
  return at.o[key].get(e) == simdjson::SUCCESS;
}

bool is_null(const Obj& at, std::string_view key) {
  element e;
  return at.o[key].get(e) == simdjson::SUCCESS && e.is_null();
}

Status child(const Obj& at, std::string_view key, Obj& out) {
  element e;
  KEEL_RETURN_IF_ERROR(field(at, key, e));
  if (e.get_object().get(out.o) != simdjson::SUCCESS) return bad(at, key, "not an object");
  out.path = at.path + std::string(key) + ".";
  return Status::Ok();
}

Status child_array(const Obj& at, std::string_view key, array& out) {
  element e;
  KEEL_RETURN_IF_ERROR(field(at, key, e));
  if (e.get_array().get(out) != simdjson::SUCCESS) return bad(at, key, "not an array");
  return Status::Ok();
}

Status element_object(element e, const Obj& at, std::string_view key, size_t i, Obj& out) {
  const std::string path = at.path + std::string(key) + "[" + std::to_string(i) + "].";
  return as_object(e, path, out);
}

Status str(const Obj& at, std::string_view key, std::string_view& out) {
  element e;
  KEEL_RETURN_IF_ERROR(field(at, key, e));
  if (e.get_string().get(out) != simdjson::SUCCESS) return bad(at, key, "not a string");
  return Status::Ok();
}

Status i64(const Obj& at, std::string_view key, int64_t& out) {
  element e;
  KEEL_RETURN_IF_ERROR(field(at, key, e));
  if (e.get_int64().get(out) != simdjson::SUCCESS) return bad(at, key, "not an int64");
  return Status::Ok();
}

Status boolean(const Obj& at, std::string_view key, bool& out) {
  element e;
  KEEL_RETURN_IF_ERROR(field(at, key, e));
  if (e.get_bool().get(out) != simdjson::SUCCESS) return bad(at, key, "not a bool");
  return Status::Ok();
}

Status e8(const Obj& at, std::string_view key, int64_t& out) {
  std::string_view text;
  KEEL_RETURN_IF_ERROR(str(at, key, text));
  Result<int64_t> v = parse_fixed(text, kScaleE8);
  if (!v.ok()) return v.status().With(at.path + std::string(key));
  out = *v;
  return Status::Ok();
}

namespace {

// -?[0-9]+(\.[0-9]+)?: the grammar parse_fixed accepts, whatever the value's size.
bool plain_decimal(std::string_view t) {
  size_t i = 0;
  if (i < t.size() && t[i] == '-') ++i;
  auto digits = [&] {
    const size_t start = i;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
    return i > start;
  };
  if (!digits()) return false;
  if (i == t.size()) return true;
  if (t[i] != '.') return false;
  ++i;
  return digits() && i == t.size();
}

}  // namespace

Status e8_if_fits(const Obj& at, std::string_view key, int64_t& out, bool& fits) {
  std::string_view text;
  KEEL_RETURN_IF_ERROR(str(at, key, text));
  Result<int64_t> v = parse_fixed(text, kScaleE8);
  if (v.ok()) {
    out = *v;
    fits = true;
    return Status::Ok();
  }
  if (!plain_decimal(text)) return v.status().With(at.path + std::string(key));
  out = 0;
  fits = false;
  return Status::Ok();
}

Status ticks(const Obj& at, std::string_view key, const Instrument& ins, int64_t& out) {
  int64_t v = 0;
  KEEL_RETURN_IF_ERROR(e8(at, key, v));
  Result<int64_t> t = ins.price_ticks_from_e8(v);
  if (!t.ok()) return t.status().With(at.path + std::string(key));
  out = *t;
  return Status::Ok();
}

Status lots(const Obj& at, std::string_view key, const Instrument& ins, int64_t& out) {
  int64_t v = 0;
  KEEL_RETURN_IF_ERROR(e8(at, key, v));
  Result<int64_t> l = ins.qty_lots_from_e8(v);
  if (!l.ok()) return l.status().With(at.path + std::string(key));
  out = *l;
  return Status::Ok();
}

Status ms_as_ns(const Obj& at, std::string_view key, int64_t& out_ns) {
  int64_t ms = 0;
  KEEL_RETURN_IF_ERROR(i64(at, key, ms));
  if (ms < 0 || ms > std::numeric_limits<int64_t>::max() / kNsPerMs) {
    return bad(at, key, "timestamp out of range: " + std::to_string(ms));
  }
  out_ns = ms * kNsPerMs;
  return Status::Ok();
}

Status opt_i64(const Obj& at, std::string_view key, int64_t& out) {
  return has(at, key) ? i64(at, key, out) : Status::Ok();
}

Status opt_ms_as_ns(const Obj& at, std::string_view key, int64_t& out_ns) {
  return has(at, key) ? ms_as_ns(at, key, out_ns) : Status::Ok();
}

}  // namespace keel::exchange::binance::json
