// Private simdjson helpers of the Binance decoders (decode_*.cc). Every error names the field by
// its JSON path: an Obj carries the path of the object it wraps ("", "data.", "balances[1].").
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "keel/core/instrument.h"
#include "keel/core/status.h"

namespace keel::exchange::binance::json {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

// Parses `text` with this thread's parser. The element stays valid until the next parse() on the
// same thread, so a decoder parses once and walks the DOM with the helpers below.
Result<element> parse(std::string_view text);

struct Obj {
  object o;
  std::string path;  // prefix of this object's fields, "" at the root
};

Status bad(const Obj& at, std::string_view key, std::string_view what);

// The root (or any element) as an object; `path` names it in errors.
Status as_object(element e, std::string path, Obj& out);
bool has(const Obj& at, std::string_view key);
// True when the field exists and is JSON null.
bool is_null(const Obj& at, std::string_view key);

Status child(const Obj& at, std::string_view key, Obj& out);          // nested object
Status child_array(const Obj& at, std::string_view key, array& out);  // nested array
// Element i of array `key` as an object, with path "<prefix><key>[i].".
Status element_object(element e, const Obj& at, std::string_view key, size_t i, Obj& out);

Status str(const Obj& at, std::string_view key, std::string_view& out);
Status i64(const Obj& at, std::string_view key, int64_t& out);
Status boolean(const Obj& at, std::string_view key, bool& out);
// A decimal string at 10^-8 ("0.00100000" -> 100000), exact.
Status e8(const Obj& at, std::string_view key, int64_t& out);
// As e8, except that a well-formed plain decimal (-?[0-9]+(.[0-9]+)?) that does not fit int64 at
// 10^-8 (beyond +-92233720368.54775807, or a nonzero digit after the 8th decimal) is not an
// error: `fits` becomes false and `out` 0. Anything else that e8 refuses still fails.
Status e8_if_fits(const Obj& at, std::string_view key, int64_t& out, bool& fits);
// A decimal string as the instrument's ticks / lots, exact multiples only.
Status ticks(const Obj& at, std::string_view key, const Instrument& ins, int64_t& out);
Status lots(const Obj& at, std::string_view key, const Instrument& ins, int64_t& out);
// A Binance ms timestamp as ns; rejects negative and overflowing values.
Status ms_as_ns(const Obj& at, std::string_view key, int64_t& out_ns);
// Optional variants: leave `out` unchanged when the field is absent.
Status opt_i64(const Obj& at, std::string_view key, int64_t& out);
Status opt_ms_as_ns(const Obj& at, std::string_view key, int64_t& out_ns);

}  // namespace keel::exchange::binance::json
