#include "keel/core/failpoint.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace keel {

namespace {

struct Armed {
  std::string name;
  long hit = 0;
};

std::atomic<CrashHook> g_crash_hook{nullptr};

constexpr size_t kMaxArmed = 16;
Armed g_armed[kMaxArmed];
std::atomic<long> g_seen[kMaxArmed];  // hits so far (request sessions hit from their threads)
size_t g_armed_count = 0;

// Parses KEEL_FAILPOINT once, before main (static initialisation of g_failpoints_armed).
bool arm_from_env() {
  const char* spec = std::getenv("KEEL_FAILPOINT");
  if (spec == nullptr || *spec == '\0') return false;
  std::string s(spec);
  size_t start = 0;
  while (start < s.size() && g_armed_count < kMaxArmed) {
    size_t end = s.find(',', start);
    if (end == std::string::npos) end = s.size();
    const std::string item = s.substr(start, end - start);
    const size_t colon = item.rfind(':');
    Armed a;
    a.name = item.substr(0, colon);
    a.hit = colon == std::string::npos ? 1 : std::atol(item.c_str() + colon + 1);
    bool known = false;
    for (std::string_view f : kFailpoints) known |= f == a.name;
    if (!known || a.hit <= 0) {
      std::fprintf(stderr, "keel: KEEL_FAILPOINT: '%s' is not name:N with a known name\n",
                   item.c_str());
      std::_Exit(1);
    }
    g_armed[g_armed_count++] = a;
    start = end + 1;
  }
  return g_armed_count > 0;
}

}  // namespace

void set_crash_hook(CrashHook hook) { g_crash_hook.store(hook, std::memory_order_release); }

namespace detail {

bool g_failpoints_armed = arm_from_env();

void failpoint_hit(std::string_view name) {
  for (size_t i = 0; i < g_armed_count; ++i) {
    Armed& a = g_armed[i];
    if (a.name != name || g_seen[i].fetch_add(1) + 1 != a.hit) continue;
    char msg[160];
    const int n = std::snprintf(msg, sizeof msg, "keel: failpoint %s hit %ld: SIGKILL\n",
                                a.name.c_str(), a.hit);
    if (n > 0) (void)!write(2, msg, static_cast<size_t>(n));
    if (CrashHook hook = g_crash_hook.load(std::memory_order_acquire)) hook();
    kill(getpid(), SIGKILL);
    std::_Exit(137);  // not reached
  }
}

}  // namespace detail
}  // namespace keel
