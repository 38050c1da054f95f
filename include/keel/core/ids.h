// keel/core/ids.h: client order ids derived from the journal (DESIGN.md W5).
//
// Form: "k2<epoch>-<task>-<seq base36 lower case>", e.g. epoch "q7f3za", task "grid1", seq
// 1295 -> "k2q7f3za-grid1-zz". <epoch> is 6 characters [0-9a-z], drawn at random when the journal
// is created and journaled (JournalEpoch), so two journals on one account (another data
// directory, a restored backup, `rm -rf var/`) never share ids; <task> matches
// [A-Za-z0-9_]{1,16}; <seq> is the journal sequence number of the intent record that created
// the order (at most 10 base36 digits). The whole id matches Binance's [A-Za-z0-9_-]{1,36}
// (reference/binance-spot.md §4, newClientOrderId): 2 + 6 + 1 + 16 + 1 + 10 = 36.
// Legacy form (journals written before the epoch, format 1): "k1-<task>-<seq>", parsed with an
// empty epoch.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "keel/core/status.h"

namespace keel {

inline constexpr std::string_view kClientIdPrefix = "k2";        // + epoch + '-'
inline constexpr std::string_view kLegacyClientIdPrefix = "k1-";  // before the epoch
inline constexpr size_t kEpochChars = 6;
inline constexpr size_t kMaxClientIdChars = 36;

// OK iff `task` is a valid task id ([A-Za-z0-9_]{1,16}); the message names it otherwise.
Status validate_task_id(std::string_view task);
// OK iff `epoch` is kEpochChars characters of [0-9a-z].
Status validate_epoch(std::string_view epoch);

// A fresh random epoch (std::random_device): kEpochChars characters of [0-9a-z]. Called when a
// journal is created (the engine journals it; the fold never draws randomness, W3).
std::string new_epoch();

std::string to_base36(uint64_t value);
std::optional<uint64_t> from_base36(std::string_view text);

// REQUIRES: validate_epoch(epoch).ok() or epoch empty (the legacy form), validate_task_id(task)
// .ok(), and an id of at most 36 characters (intent_seq below 36^10) (asserts).
std::string make_client_order_id(std::string_view epoch, std::string_view task,
                                 uint64_t intent_seq);

struct ParsedClientOrderId {
  std::string epoch;  // "" for the legacy form
  std::string task;
  uint64_t intent_seq = 0;
};
// nullopt unless `id` has keel's form (either prefix, a valid epoch, task and base36 seq).
std::optional<ParsedClientOrderId> parse_client_order_id(std::string_view id);

}  // namespace keel
