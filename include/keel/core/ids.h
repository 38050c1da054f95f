// keel/core/ids.h: client order ids derived from the journal (DESIGN.md W5).
//
// Form: "k1-<task>-<seq base36 lower case>", e.g. task "grid1", seq 1295 -> "k1-grid1-zz".
// <task> matches [A-Za-z0-9_]{1,16}; the whole id matches Binance's [A-Za-z0-9_-]{1,36}
// (reference/binance-spot.md §4, newClientOrderId). seq is the journal sequence number of the
// intent record that created the order, so the id is unique forever and maps to one record.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "keel/core/status.h"

namespace keel {

inline constexpr std::string_view kClientIdPrefix = "k1-";

// OK iff `task` is a valid task id ([A-Za-z0-9_]{1,16}); the message names it otherwise.
Status validate_task_id(std::string_view task);

std::string to_base36(uint64_t value);
std::optional<uint64_t> from_base36(std::string_view text);

// REQUIRES: validate_task_id(task).ok().
std::string make_client_order_id(std::string_view task, uint64_t intent_seq);

struct ParsedClientOrderId {
  std::string task;
  uint64_t intent_seq = 0;
};
// nullopt unless `id` has keel's form (prefix, a valid task, a base36 seq).
std::optional<ParsedClientOrderId> parse_client_order_id(std::string_view id);

}  // namespace keel
