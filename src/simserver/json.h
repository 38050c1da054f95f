// json.h (private): a minimal streaming JSON writer for the Binance response shapes.
//
// Contract: the caller nests begin/end correctly (asserted at take()); keys and string values
// are escaped (RFC 8259: quote, backslash, control characters); numbers are integers only
// (Binance sends decimals as strings, ids and times as integers). raw() inserts pre-rendered
// JSON verbatim (e.g. a recorded market payload).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace keel::simserver {

class JsonWriter {
 public:
  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view k);
  JsonWriter& str(std::string_view v);
  JsonWriter& num(int64_t v);
  JsonWriter& boolean(bool v);
  JsonWriter& null();
  JsonWriter& raw(std::string_view json);

  // Shorthands for one member of an object.
  JsonWriter& kv_str(std::string_view k, std::string_view v) { return key(k).str(v); }
  JsonWriter& kv_num(std::string_view k, int64_t v) { return key(k).num(v); }
  JsonWriter& kv_bool(std::string_view k, bool v) { return key(k).boolean(v); }

  // The document; REQUIRES every begin matched by its end.
  std::string take();

 private:
  void separate();
  std::string out_;
  std::vector<bool> first_;  // per open container: no element written yet
  bool after_key_ = false;
};

// Appends `v` as a quoted, escaped JSON string.
void append_json_string(std::string& out, std::string_view v);

}  // namespace keel::simserver
