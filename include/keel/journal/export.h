// keel/journal/export.h: the audit trail (keel export).
//
// One row per record in sequence order, every field: envelope (seq, type, task, ts_local_ns,
// ts_exchange_ns, prev_hash hex, hash hex) and every body field, prices and quantities as exact
// decimal strings (the instrument comes from the task's TaskStarted record), never floats.
#pragma once

#include <ostream>
#include <string>

#include "keel/core/status.h"
#include "keel/journal/record.h"

namespace keel::journal {

enum class ExportFormat { kJsonl, kCsv };

// Field names (the same in JSON and as CSV columns): the envelope as seq, type (the name,
// "PlaceIntent"), task, ts_local_ns, ts_exchange_ns, prev_hash, hash (64 hex digits); then each
// body field under its schema name, integers as JSON numbers (price_ticks, qty_lots, *_e8, ...),
// side "BUY"/"SELL", source "user_stream"/..., is_maker true/false; DecisionContext fields are
// flattened (best_bid_ticks, ..., reason). Money also appears as an exact decimal string under the
// name without its unit: tick_size/step_size/min_notional/commission (from *_e8, always), and
// price/qty/executed_qty/best_bid/best_ask/last_trade only when the instrument is known.
// Strings are JSON-escaped; a byte that is not part of valid UTF-8 is escaped as U+00XX.

// One JSON object (no trailing newline). `hash` is this record's own SHA-256. Without an
// instrument, prices and quantities appear only as integers (price_ticks, qty_lots).
std::string record_to_json(const Record& rec, const Hash& hash);

// As above; with `instrument` (may be null) prices and quantities also appear as exact decimal
// strings ("price": "61837.63", "qty": "0.001").
std::string record_to_json(const Record& rec, const Hash& hash, const Instrument* instrument);

// Writes the whole journal in `dir` (opened read-only) to `out`. Errors from opening/reading
// (kIOError also when `out` fails). The instrument of each task is taken from its TaskStarted.
// kJsonl: one record_to_json object per line ('\n'). kCsv: RFC 4180, CRLF line ends, a fixed
// header naming the union of all fields above, empty cells where a field does not apply; cells
// holding a comma, quote, CR or LF are quoted with quotes doubled. `rows_written` (may be null)
// counts records written, header excluded.
Status export_journal(const std::string& dir, ExportFormat format, std::ostream& out,
                      uint64_t* rows_written);

}  // namespace keel::journal
