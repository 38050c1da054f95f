// The audit trail: journal records as JSON lines or CSV (contract in keel/journal/export.h).
//
// Why one field list feeds both formats: a record is first flattened into (name, value) pairs,
// and JSON and CSV are two renderings of the same pairs, so the formats cannot drift apart.
// The CSV header is a fixed column list (the union of every field name); a field missing from
// it is a bug and asserts. Money is formatted with keel/core/fixed.h integer arithmetic only.
#include "keel/journal/export.h"

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string_view>
#include <vector>

#include "keel/core/fixed.h"
#include "keel/journal/codec.h"
#include "keel/journal/journal.h"

namespace keel::journal {

namespace {

// Every field any record can produce, in CSV column order.
constexpr std::array<std::string_view, 66> kColumns = {
    "seq", "format", "type", "task", "ts_local_ns", "ts_exchange_ns", "prev_hash", "hash",
    // TaskStarted
    "strategy", "symbol", "base_asset", "quote_asset", "tick_e8", "tick_size", "step_e8",
    "step_size", "min_notional_e8", "min_notional", "params_yaml", "venue_start_ms",
    // orders and evidence
    "slot_key", "side", "client_order_id", "orig_client_order_id", "order_id", "trade_id",
    "price_ticks", "price", "qty_lots", "qty", "commission_e8", "commission", "commission_asset",
    "is_maker", "executed_lots", "executed_qty", "code", "msg", "source", "events", "open",
    // request timing (intents, format 2)
    "timestamp_ms", "recv_window_ms",
    // journal-wide records
    "epoch", "last_trade_id", "venue_time_ms", "balances", "asset", "delta_e8", "delta",
    "event_time_ms", "clear_time_ms", "r4_only",
    // GuardChanged (format 3); AmendIntent (format 4)
    "guard", "keep_priority",
    // DecisionContext; TaskHalted, TaskRetired, JournalEpoch
    "best_bid_ticks", "best_bid", "best_ask_ticks", "best_ask", "last_trade_ticks", "last_trade",
    "reason",
    // TaskStarted (format 5)
    "account"};

struct Field {
  enum class Kind { kNumber, kString, kBool, kNull };
  std::string_view name;  // one of kColumns (static storage)
  Kind kind;
  std::string text;  // the number's digits, the raw string, "true"/"false"
};

// Builds the flat field list of one record.
class Fields {
 public:
  explicit Fields(const Instrument* instrument) : inst_(instrument) {}

  void num(std::string_view name, int64_t v) { add(name, Field::Kind::kNumber, std::to_string(v)); }
  void unum(std::string_view name, uint64_t v) {
    add(name, Field::Kind::kNumber, std::to_string(v));
  }
  void str(std::string_view name, std::string_view v) {
    add(name, Field::Kind::kString, std::string(v));
  }
  void boolean(std::string_view name, bool v) {
    add(name, Field::Kind::kBool, v ? "true" : "false");
  }
  // An amount at 10^-8: the integer and its exact decimal.
  void e8(std::string_view int_name, std::string_view dec_name, int64_t v) {
    num(int_name, v);
    str(dec_name, format_fixed_trim(v, kScaleE8));
  }
  // An integer count of `unit_e8` (ticks or lots): the integer, and the decimal when the
  // instrument is known (null if the product overflows, which no real instrument reaches).
  void scaled(std::string_view int_name, std::string_view dec_name, int64_t v, bool is_price) {
    num(int_name, v);
    if (inst_ == nullptr) return;
    const __int128 e8 = static_cast<__int128>(v) * (is_price ? inst_->tick_e8 : inst_->step_e8);
    if (e8 > INT64_MAX || e8 < INT64_MIN) {
      add(dec_name, Field::Kind::kNull, "");
      return;
    }
    str(dec_name, format_fixed_trim(static_cast<int64_t>(e8), kScaleE8));
  }
  void price(std::string_view i, std::string_view d, int64_t v) { scaled(i, d, v, true); }
  void qty(std::string_view i, std::string_view d, int64_t v) { scaled(i, d, v, false); }

  const std::vector<Field>& list() const { return list_; }

 private:
  void add(std::string_view name, Field::Kind kind, std::string text) {
    list_.push_back(Field{name, kind, std::move(text)});
  }
  const Instrument* inst_;
  std::vector<Field> list_;
};

void add_timing(Fields& f, const RequestTiming& t) {
  f.num("timestamp_ms", t.timestamp_ms);
  f.num("recv_window_ms", t.recv_window_ms);
}

void add_ctx(Fields& f, const DecisionContext& c) {
  f.price("best_bid_ticks", "best_bid", c.best_bid_ticks);
  f.price("best_ask_ticks", "best_ask", c.best_ask_ticks);
  f.price("last_trade_ticks", "last_trade", c.last_trade_ticks);
  f.str("reason", c.reason);
}

struct BodyFields {
  Fields& f;
  uint8_t format;  // the record's: a field a later format added is shown only from it on
  void operator()(const TaskStarted& b) const {
    f.str("strategy", b.strategy);
    f.str("symbol", b.symbol);
    f.str("base_asset", b.base_asset);
    f.str("quote_asset", b.quote_asset);
    f.e8("tick_e8", "tick_size", b.tick_e8);
    f.e8("step_e8", "step_size", b.step_e8);
    f.e8("min_notional_e8", "min_notional", b.min_notional_e8);
    f.str("params_yaml", b.params_yaml);
    f.num("venue_start_ms", b.venue_start_ms);
    if (format >= 5) f.str("account", b.account);
  }
  void operator()(const PlaceIntent& b) const {
    f.num("slot_key", b.slot_key);
    f.str("side", side_name(b.side));
    f.price("price_ticks", "price", b.price_ticks);
    f.qty("qty_lots", "qty", b.qty_lots);
    f.str("client_order_id", b.client_order_id);
    add_timing(f, b.timing);
    add_ctx(f, b.ctx);
  }
  void operator()(const CancelIntent& b) const {
    f.num("slot_key", b.slot_key);
    f.str("client_order_id", b.client_order_id);
    add_timing(f, b.timing);
    add_ctx(f, b.ctx);
  }
  void operator()(const AmendIntent& b) const {
    f.num("slot_key", b.slot_key);
    f.str("orig_client_order_id", b.orig_client_order_id);
    f.str("client_order_id", b.client_order_id);
    if (format >= 4) f.str("side", side_name(b.side));  // format 4's fields
    f.price("price_ticks", "price", b.price_ticks);
    f.qty("qty_lots", "qty", b.qty_lots);
    if (format >= 4) add_timing(f, b.timing);
    if (format >= 4) f.boolean("keep_priority", b.keep_priority);
    add_ctx(f, b.ctx);
  }
  void operator()(const OrderAccepted& b) const {
    f.str("client_order_id", b.client_order_id);
    f.num("order_id", b.order_id);
    f.str("source", source_name(b.source));
  }
  void operator()(const OrderRejected& b) const {
    f.str("client_order_id", b.client_order_id);
    f.num("code", b.code);
    f.str("msg", b.msg);
    f.str("source", source_name(b.source));
  }
  void operator()(const OrderFilled& b) const {
    f.str("client_order_id", b.client_order_id);
    f.num("trade_id", b.trade_id);
    f.num("order_id", b.order_id);
    f.str("side", side_name(b.side));
    f.price("price_ticks", "price", b.price_ticks);
    f.qty("qty_lots", "qty", b.qty_lots);
    f.e8("commission_e8", "commission", b.commission_e8);
    f.str("commission_asset", b.commission_asset);
    f.boolean("is_maker", b.is_maker);
    f.str("source", source_name(b.source));
  }
  void operator()(const OrderCanceled& b) const {
    f.str("client_order_id", b.client_order_id);
    f.qty("executed_lots", "executed_qty", b.executed_lots);
    f.str("source", source_name(b.source));
  }
  void operator()(const OrderNotFound& b) const {
    f.str("client_order_id", b.client_order_id);
    f.str("source", source_name(b.source));
  }
  void operator()(const CancelRejected& b) const {
    f.str("client_order_id", b.client_order_id);
    f.num("code", b.code);
    f.str("msg", b.msg);
  }
  void operator()(const RecordingEnded& b) const { f.unum("events", b.events); }
  void operator()(const TaskHalted& b) const { f.str("reason", b.reason); }
  void operator()(const TaskRetired& b) const { f.str("reason", b.reason); }
  void operator()(const OrderAdopted& b) const {
    f.num("slot_key", b.slot_key);
    f.str("client_order_id", b.client_order_id);
    f.num("order_id", b.order_id);
    f.str("side", side_name(b.side));
    f.price("price_ticks", "price", b.price_ticks);
    f.qty("qty_lots", "qty", b.qty_lots);
    f.boolean("open", b.open);
    f.qty("executed_lots", "executed_qty", b.executed_lots);
    f.str("source", source_name(b.source));
  }
  void operator()(const JournalEpoch& b) const {
    f.str("epoch", b.epoch);
    f.str("reason", b.reason);
  }
  void operator()(const AccountBaseline& b) const {
    f.str("symbol", b.symbol);
    f.num("last_trade_id", b.last_trade_id);
    f.num("venue_time_ms", b.venue_time_ms);
    std::string text;  // "BTC:1;USDT:10000" (free + locked, exact decimals)
    for (const AssetAmount& a : b.balances) {
      text += (text.empty() ? "" : ";") + a.asset + ":" + format_fixed_trim(a.amount_e8, kScaleE8);
    }
    f.str("balances", text);
  }
  void operator()(const BalanceChanged& b) const {
    f.str("asset", b.asset);
    f.e8("delta_e8", "delta", b.delta_e8);
    f.num("event_time_ms", b.event_time_ms);
    f.num("clear_time_ms", b.clear_time_ms);
    f.str("source", b.source);
  }
  void operator()(const ForeignFill& b) const {
    f.str("symbol", b.symbol);
    f.str("client_order_id", b.client_order_id);
    f.num("trade_id", b.trade_id);
    f.num("order_id", b.order_id);
    f.str("side", side_name(b.side));
    f.price("price_ticks", "price", b.price_ticks);
    f.qty("qty_lots", "qty", b.qty_lots);
    f.e8("commission_e8", "commission", b.commission_e8);
    f.str("commission_asset", b.commission_asset);
  }
  void operator()(const TaskResumed& b) const {
    f.str("reason", b.reason);
    f.boolean("r4_only", b.r4_only);
  }
  void operator()(const TradesScanned& b) const {
    f.str("symbol", b.symbol);
    f.num("last_trade_id", b.through_trade_id);
  }
  void operator()(const GuardChanged& b) const {
    f.str("guard", guard_state_name(b.state));
    f.str("reason", b.reason);
  }
  void operator()(const OrderAmended& b) const {
    f.str("client_order_id", b.client_order_id);
    f.qty("qty_lots", "qty", b.qty_lots);
    f.str("source", source_name(b.source));
  }
  void operator()(const AmendRejected& b) const {
    f.str("client_order_id", b.client_order_id);
    f.num("code", b.code);
    f.str("msg", b.msg);
  }
};

Fields fields_of(const Record& rec, const Hash& hash, const Instrument* instrument) {
  Fields f(instrument);
  f.unum("seq", rec.seq);
  f.num("format", rec.format);
  f.str("type", record_type_name(rec.type()));
  f.str("task", rec.task_id);
  f.num("ts_local_ns", rec.ts_local_ns);
  f.num("ts_exchange_ns", rec.ts_exchange_ns);
  f.str("prev_hash", hash_hex(rec.prev_hash));
  f.str("hash", hash_hex(hash));
  std::visit(BodyFields{f, rec.format}, rec.body);
  return f;
}

// Length of the valid UTF-8 sequence starting at s[i], or 0 if there is none (RFC 3629:
// no overlongs, no surrogates, nothing above U+10FFFF).
size_t utf8_len(std::string_view s, size_t i) {
  const auto at = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  const uint8_t c = at(i);
  size_t n = 0;
  uint8_t lo = 0x80, hi = 0xBF;  // range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (at(i + 1) < lo || at(i + 1) > hi) return 0;
  for (size_t k = 2; k < n; ++k) {
    if (at(i + k) < 0x80 || at(i + k) > 0xBF) return 0;
  }
  return n;
}

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (size_t i = 0; i < s.size();) {
    const uint8_t c = static_cast<uint8_t>(s[i]);
    if (c >= 0x80) {
      const size_t n = utf8_len(s, i);
      if (n > 0) {
        out.append(s.substr(i, n));
        i += n;
        continue;
      }
    }
    i += 1;
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c >= 0x80) {  // control characters and stray non-UTF-8 bytes
      out += "\\u00";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0x0F]);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  out.push_back('"');
}

std::string render_json(const Fields& fields) {
  std::string out = "{";
  bool first = true;
  for (const Field& f : fields.list()) {
    if (!first) out.push_back(',');
    first = false;
    append_json_string(out, f.name);
    out.push_back(':');
    switch (f.kind) {
      case Field::Kind::kString: append_json_string(out, f.text); break;
      case Field::Kind::kNull: out += "null"; break;
      case Field::Kind::kNumber:
      case Field::Kind::kBool: out += f.text; break;
    }
  }
  out.push_back('}');
  return out;
}

void append_csv_cell(std::string& out, std::string_view cell) {
  if (cell.find_first_of(",\"\r\n") == std::string_view::npos) {
    out.append(cell);
    return;
  }
  out.push_back('"');
  for (char c : cell) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

size_t column_index(std::string_view name) {
  for (size_t i = 0; i < kColumns.size(); ++i) {
    if (kColumns[i] == name) return i;
  }
  KEEL_ASSERT_MSG(false, "export field missing from the CSV columns");
  return 0;
}

std::string render_csv_row(const Fields& fields) {
  std::array<const std::string*, kColumns.size()> cells{};
  for (const Field& f : fields.list()) {
    const size_t i = column_index(f.name);
    KEEL_ASSERT_MSG(cells[i] == nullptr, "export field emitted twice");
    cells[i] = &f.text;
  }
  std::string out;
  for (size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) out.push_back(',');
    if (cells[i] != nullptr) append_csv_cell(out, *cells[i]);
  }
  out += "\r\n";
  return out;
}

std::string csv_header() {
  std::string out;
  for (size_t i = 0; i < kColumns.size(); ++i) {
    if (i > 0) out.push_back(',');
    out.append(kColumns[i]);
  }
  out += "\r\n";
  return out;
}

// The instrument a TaskStarted describes; nullopt when its sizes are unusable.
std::optional<Instrument> instrument_of(const TaskStarted& t) {
  if (t.tick_e8 <= 0 || t.step_e8 <= 0) return std::nullopt;
  Instrument inst;
  inst.symbol = t.symbol;
  inst.base_asset = t.base_asset;
  inst.quote_asset = t.quote_asset;
  inst.tick_e8 = t.tick_e8;
  inst.step_e8 = t.step_e8;
  inst.min_notional_e8 = t.min_notional_e8;
  return inst;
}

}  // namespace

std::string record_to_json(const Record& rec, const Hash& hash) {
  return record_to_json(rec, hash, nullptr);
}

std::string record_to_json(const Record& rec, const Hash& hash, const Instrument* instrument) {
  return render_json(fields_of(rec, hash, instrument));
}

Status export_journal(const std::string& dir, ExportFormat format, std::ostream& out,
                      uint64_t* rows_written) {
  if (rows_written != nullptr) *rows_written = 0;
  Journal::Options options;
  options.create_if_missing = false;
  options.read_only = true;
  options.scan_from_start = true;  // a gap in a view that raced a writer is found (and retried)
                                   // before any row is written
  Result<std::unique_ptr<Journal>> journal = Journal::open(dir, options);
  if (!journal.ok()) return journal.status();
  const bool csv = format == ExportFormat::kCsv;
  if (csv) out << csv_header();
  std::map<std::string, Instrument> instruments;  // by task id, from TaskStarted
  std::map<std::string, Instrument> by_symbol;    // for journal-wide ForeignFill records
  uint64_t rows = 0;
  const Status s = (*journal)->for_each(1, [&](const Record& rec) {
    if (const auto* ts = std::get_if<TaskStarted>(&rec.body)) {
      std::optional<Instrument> inst = instrument_of(*ts);
      if (inst) {
        by_symbol[inst->symbol] = *inst;
        instruments[rec.task_id] = std::move(*inst);
      } else {
        instruments.erase(rec.task_id);
      }
    }
    const Instrument* inst = nullptr;
    if (const auto* ff = std::get_if<ForeignFill>(&rec.body)) {
      const auto it = by_symbol.find(ff->symbol);
      if (it != by_symbol.end()) inst = &it->second;
    } else if (const auto it = instruments.find(rec.task_id); it != instruments.end()) {
      inst = &it->second;
    }
    // Decoding is canonical, so re-encoding gives back the stored bytes and their hash.
    const Fields fields = fields_of(rec, hash_bytes(encode(rec)), inst);
    if (csv) {
      out << render_csv_row(fields);
    } else {
      out << render_json(fields) << '\n';
    }
    rows += 1;
    if (rows_written != nullptr) *rows_written = rows;
    return out.good();
  });
  if (!s.ok()) return s;
  if (!out.good()) return Status::IOError("export: writing the output failed");
  return Status::Ok();
}

}  // namespace keel::journal
