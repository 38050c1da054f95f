#include "keel/core/ids.h"

#include <time.h>

#include <random>

#include "keel/core/clock.h"

namespace keel {

Status validate_task_id(std::string_view task) {
  if (task.empty() || task.size() > 16) {
    return Status::InvalidArgument("task id '" + std::string(task) + "' must be 1-16 characters");
  }
  for (char c : task) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_';
    if (!ok) {
      return Status::InvalidArgument("task id '" + std::string(task) +
                                     "' may hold only letters, digits and '_'");
    }
  }
  return Status::Ok();
}

std::string to_base36(uint64_t value) {
  static constexpr char kDigits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string out;
  do {
    out.insert(out.begin(), kDigits[value % 36]);
    value /= 36;
  } while (value > 0);
  return out;
}

std::optional<uint64_t> from_base36(std::string_view text) {
  if (text.empty() || text.size() > 13) return std::nullopt;
  unsigned __int128 v = 0;
  for (char c : text) {
    int d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'z') d = c - 'a' + 10;
    else return std::nullopt;
    v = v * 36 + d;
    if (v > UINT64_MAX) return std::nullopt;
  }
  return static_cast<uint64_t>(v);
}

Status validate_epoch(std::string_view epoch) {
  bool ok = epoch.size() == kEpochChars;
  for (char c : epoch) ok = ok && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'));
  if (!ok) {
    return Status::InvalidArgument("journal epoch '" + std::string(epoch) + "' must be " +
                                   std::to_string(kEpochChars) + " characters of [0-9a-z]");
  }
  return Status::Ok();
}

std::string new_epoch() {
  static constexpr char kDigits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::random_device rd;
  std::string out;
  for (size_t i = 0; i < kEpochChars; ++i) out.push_back(kDigits[rd() % 36]);
  return out;
}

std::string make_client_order_id(std::string_view epoch, std::string_view task,
                                 uint64_t intent_seq) {
  KEEL_ASSERT(validate_task_id(task).ok());
  std::string id;
  if (epoch.empty()) {
    id = kLegacyClientIdPrefix;
  } else {
    KEEL_ASSERT(validate_epoch(epoch).ok());
    id = kClientIdPrefix;
    id += epoch;
    id += '-';
  }
  id += task;
  id += '-';
  id += to_base36(intent_seq);
  KEEL_ASSERT(id.size() <= kMaxClientIdChars);
  return id;
}

std::optional<ParsedClientOrderId> parse_client_order_id(std::string_view id) {
  if (id.size() > kMaxClientIdChars) return std::nullopt;
  ParsedClientOrderId out;
  if (id.substr(0, kLegacyClientIdPrefix.size()) == kLegacyClientIdPrefix) {
    id.remove_prefix(kLegacyClientIdPrefix.size());
  } else if (id.substr(0, kClientIdPrefix.size()) == kClientIdPrefix) {
    id.remove_prefix(kClientIdPrefix.size());
    const std::string_view epoch = id.substr(0, kEpochChars);
    if (!validate_epoch(epoch).ok() || id.size() <= kEpochChars || id[kEpochChars] != '-') {
      return std::nullopt;
    }
    out.epoch = std::string(epoch);
    id.remove_prefix(kEpochChars + 1);
  } else {
    return std::nullopt;
  }
  const size_t dash = id.rfind('-');
  if (dash == std::string_view::npos) return std::nullopt;
  out.task = std::string(id.substr(0, dash));
  if (!validate_task_id(out.task).ok()) return std::nullopt;
  auto seq = from_base36(id.substr(dash + 1));
  if (!seq) return std::nullopt;
  out.intent_seq = *seq;
  return out;
}

int64_t SystemClock::realtime_ns() const {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

int64_t SystemClock::monotonic_ns() const {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

const SystemClock& SystemClock::instance() {
  static const SystemClock clock;
  return clock;
}

}  // namespace keel
