// Fault SPEC parsing and the deterministic decision streams (faults.h).
#include "keel/simserver/faults.h"

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace keel::simserver {
namespace {

constexpr int64_t kMaxLateMs = 600'000;

Result<double> parse_probability(std::string_view v) {
  const std::string s(v);
  char* end = nullptr;
  const double p = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size() || !(p >= 0.0 && p <= 1.0)) {
    return Status::InvalidArgument("'" + s + "' is not a probability in [0,1]");
  }
  return p;
}

Result<int64_t> parse_count(std::string_view v) {
  int64_t n = 0;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (v.empty() || ec != std::errc() || ptr != v.data() + v.size() || n < 0 || n > 86'400'000) {
    return Status::InvalidArgument("'" + std::string(v) + "' is not a whole number 0..86400000");
  }
  return n;
}

// "60s", "500ms" or "60" (seconds) -> milliseconds.
Result<int64_t> parse_duration_ms(std::string_view v) {
  int64_t scale = 1000;
  if (v.size() > 2 && v.substr(v.size() - 2) == "ms") {
    scale = 1;
    v.remove_suffix(2);
  } else if (v.size() > 1 && v.back() == 's') {
    v.remove_suffix(1);
  }
  auto n = parse_count(v);
  if (!n.ok()) return n.status();
  return *n * scale;
}

Status set_item(FaultSpec& f, std::string_view key, std::string_view value) {
  struct Prob {
    const char* name;
    double FaultSpec::*field;
  };
  static const Prob kProbs[] = {{"reject", &FaultSpec::reject},
                                {"unknown_placed", &FaultSpec::unknown_placed},
                                {"unknown_not_placed", &FaultSpec::unknown_not_placed},
                                {"rate_limit", &FaultSpec::rate_limit},
                                {"drop", &FaultSpec::drop},
                                {"dup", &FaultSpec::dup},
                                {"reorder", &FaultSpec::reorder}};
  for (const Prob& p : kProbs) {
    if (key != p.name) continue;
    auto v = parse_probability(value);
    if (!v.ok()) return v.status();
    f.*p.field = *v;
    return Status::Ok();
  }
  if (key == "disconnect_every") {
    auto v = parse_duration_ms(value);
    if (!v.ok()) return v.status();
    f.disconnect_every_ms = *v;
    return Status::Ok();
  }
  if (key == "late") {  // P:MS
    const size_t colon = value.find(':');
    if (colon == std::string_view::npos) return Status::InvalidArgument("expected late=P:MS");
    auto p = parse_probability(value.substr(0, colon));
    if (!p.ok()) return p.status();
    auto ms = parse_count(value.substr(colon + 1));
    if (!ms.ok()) return ms.status();
    if (*ms > kMaxLateMs) {
      return Status::InvalidArgument("'" + std::string(value.substr(colon + 1)) +
                                     "' ms: a late request waits at most 600000 ms");
    }
    f.late = *p;
    f.late_ms = *ms;
    return Status::Ok();
  }
  if (key == "latency_ms") {
    auto v = parse_count(value);
    if (!v.ok()) return v.status();
    f.latency_ms = *v;
    return Status::Ok();
  }
  return Status::InvalidArgument("unknown key '" + std::string(key) + "'");
}

std::string fmt_prob(double p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", p);
  return buf;
}

}  // namespace

const char* const kFaultSpecHelp =
    "Faults: comma-separated key=value (deterministic with --seed):\n"
    "  reject=P              POST order refused: 400 -2010 \"Market is closed.\"\n"
    "  unknown_placed=P      state-changing request executed, answered 500/-1006 or 503/-1007\n"
    "  unknown_not_placed=P  same answer, request NOT executed\n"
    "  late=P:MS             POST/DELETE order, cancelReplace: 503/-1007 now, executed MS ms\n"
    "                        later (even with no client) unless past timestamp+recvWindow\n"
    "  rate_limit=P          any /api/v3 request: 429 -1003 with Retry-After: 1\n"
    "  drop=P dup=P reorder=P  user-data events dropped / sent twice / sent after the next\n"
    "  disconnect_every=D    close each WebSocket D after it opened (60s, 500ms, 60)\n"
    "  latency_ms=N          N ms before each REST request is processed\n"
    "P in [0,1]; reject+unknown_*+late<=1; drop+dup+reorder<=1.\n"
    "Example: reject=0.05,unknown_placed=0.01,unknown_not_placed=0.01,late=0.01:2000,"
    "rate_limit=0.01,drop=0.01,dup=0.01,reorder=0.01,disconnect_every=60s,latency_ms=5";

Result<FaultSpec> parse_fault_spec(std::string_view spec) {
  FaultSpec f;
  while (!spec.empty()) {
    const size_t comma = spec.find(',');
    const std::string_view item = spec.substr(0, comma);
    spec = comma == std::string_view::npos ? std::string_view() : spec.substr(comma + 1);
    const size_t eq = item.find('=');
    Status s = eq == std::string_view::npos
                   ? Status::InvalidArgument("expected key=value")
                   : set_item(f, item.substr(0, eq), item.substr(eq + 1));
    if (!s.ok()) return s.With("faults: '" + std::string(item) + "'");
  }
  if (f.reject + f.unknown_placed + f.unknown_not_placed + f.late > 1.0) {
    return Status::InvalidArgument(
        "faults: reject + unknown_placed + unknown_not_placed + late > 1");
  }
  if (f.drop + f.dup + f.reorder > 1.0) {
    return Status::InvalidArgument("faults: drop + dup + reorder > 1");
  }
  return f;
}

std::string describe_faults(const FaultSpec& f) {
  std::vector<std::string> items;
  auto prob = [&](const char* k, double v) {
    if (v > 0) items.push_back(std::string(k) + "=" + fmt_prob(v));
  };
  prob("reject", f.reject);
  prob("unknown_placed", f.unknown_placed);
  prob("unknown_not_placed", f.unknown_not_placed);
  if (f.late > 0) items.push_back("late=" + fmt_prob(f.late) + ":" + std::to_string(f.late_ms));
  prob("rate_limit", f.rate_limit);
  prob("drop", f.drop);
  prob("dup", f.dup);
  prob("reorder", f.reorder);
  if (f.disconnect_every_ms > 0) {
    items.push_back("disconnect_every=" + std::to_string(f.disconnect_every_ms) + "ms");
  }
  if (f.latency_ms > 0) items.push_back("latency_ms=" + std::to_string(f.latency_ms));
  if (items.empty()) return "none";
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ",") + i;
  return out;
}

uint64_t FaultRng::next() {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

double FaultRng::uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

uint64_t stream_seed(uint64_t seed, std::string_view stream) {
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a 64
  for (char c : stream) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return seed ^ h;
}

RequestFaults::RequestFaults(const FaultSpec& spec, uint64_t seed)
    : spec_(spec), rng_(stream_seed(seed, "requests")) {}

bool RequestFaults::draw_rate_limit() {
  std::lock_guard<std::mutex> lock(mu_);
  return rng_.uniform() < spec_.rate_limit;
}

OrderFault RequestFaults::draw_order(bool can_reject, bool& as_timeout, bool can_delay) {
  std::lock_guard<std::mutex> lock(mu_);
  const double u = rng_.uniform();
  as_timeout = rng_.uniform() < 0.5;
  double edge = spec_.reject;
  if (u < edge) return can_reject ? OrderFault::kReject : OrderFault::kNone;
  edge += spec_.unknown_placed;
  if (u < edge) return OrderFault::kUnknownExecuted;
  edge += spec_.unknown_not_placed;
  if (u < edge) return OrderFault::kUnknownNotExecuted;
  edge += spec_.late;
  if (u < edge) return can_delay ? OrderFault::kLate : OrderFault::kNone;
  return OrderFault::kNone;
}

EventFault EventFaults::draw() {
  const double u = rng_.uniform();
  double edge = spec_.drop;
  if (u < edge) return EventFault::kDrop;
  edge += spec_.dup;
  if (u < edge) return EventFault::kDuplicate;
  edge += spec_.reorder;
  if (u < edge) return EventFault::kReorder;
  return EventFault::kDeliver;
}

}  // namespace keel::simserver
