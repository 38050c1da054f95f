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

// One JSON object (no trailing newline). `hash` is this record's own SHA-256.
std::string record_to_json(const Record& rec, const Hash& hash);

// Writes the whole journal in `dir` (opened read-only) to `out`. Errors from opening/reading.
Status export_journal(const std::string& dir, ExportFormat format, std::ostream& out,
                      uint64_t* rows_written);

}  // namespace keel::journal
