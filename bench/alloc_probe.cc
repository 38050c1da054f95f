// keel_alloc_probe: heap allocations per event on keel's replay path (run by `keel bench`).
//
// Replaces the global operator new/delete with versions that count, on the calling thread only,
// while counting is switched on. Replays a config exactly as `keel run` does (journal, embedded
// simulated exchange, engine; intents synced as configured) in a fresh --dir, skips the first
// --warmup fraction of the recording, then counts per stage and prints key=value lines:
//   events warmup_events decisions allocs_per_event bytes_per_event reader_allocs_per_event
//   sim_allocs_per_event engine_allocs_per_event engine_allocs_per_decision
//   engine_allocs_per_quiet_event
// Exit 0, or 1 with a message on stderr.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#include "keel/engine/config.h"
#include "keel/market/capture.h"
#include "pipeline.h"

namespace {

thread_local bool t_counting = false;
thread_local uint64_t t_allocs = 0;
thread_local uint64_t t_bytes = 0;

void* counted(std::size_t n, std::size_t align) {
  if (t_counting) {
    ++t_allocs;
    t_bytes += n;
  }
  if (n == 0) n = 1;
  void* p = align <= alignof(std::max_align_t)
                ? std::malloc(n)
                : std::aligned_alloc(align, (n + align - 1) / align * align);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

}  // namespace

void* operator new(std::size_t n) { return counted(n, 0); }
void* operator new[](std::size_t n) { return counted(n, 0); }
void* operator new(std::size_t n, std::align_val_t a) {
  return counted(n, static_cast<std::size_t>(a));
}
void* operator new[](std::size_t n, std::align_val_t a) {
  return counted(n, static_cast<std::size_t>(a));
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return counted(n, 0);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return counted(n, 0);
  } catch (...) {
    return nullptr;
  }
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

namespace {

struct Counts {
  uint64_t events = 0, warmup = 0, decisions = 0, decision_engine = 0, quiet_engine = 0;
  uint64_t reader = 0, sim = 0, engine = 0, bytes = 0;
};

// Allocations made by fn() on this thread.
template <class Fn>
uint64_t count(Fn&& fn) {
  const uint64_t before = t_allocs;
  fn();
  return t_allocs - before;
}

int fail(const keel::Status& s) {
  std::fprintf(stderr, "keel_alloc_probe: %s\n", s.ToString().c_str());
  return 1;
}

void print(const Counts& c) {
  auto per = [](uint64_t n, uint64_t d) {
    return d == 0 ? 0.0 : static_cast<double>(n) / static_cast<double>(d);
  };
  const uint64_t quiet = c.events - c.decisions;
  std::printf("events=%llu warmup_events=%llu decisions=%llu\n", (unsigned long long)c.events,
              (unsigned long long)c.warmup, (unsigned long long)c.decisions);
  std::printf("allocs_per_event=%.3f bytes_per_event=%.0f\n",
              per(c.reader + c.sim + c.engine, c.events), per(c.bytes, c.events));
  std::printf(
      "reader_allocs_per_event=%.3f sim_allocs_per_event=%.3f engine_allocs_per_event=%.3f\n",
      per(c.reader, c.events), per(c.sim, c.events), per(c.engine, c.events));
  std::printf("engine_allocs_per_decision=%.2f engine_allocs_per_quiet_event=%.3f\n",
              per(c.decision_engine, c.decisions), per(c.quiet_engine, quiet));
}

}  // namespace

int main(int argc, char** argv) {
  std::string config, dir;
  double warmup = 0.1;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--config") == 0)
      config = argv[i + 1];
    else if (std::strcmp(argv[i], "--dir") == 0)
      dir = argv[i + 1];
    else if (std::strcmp(argv[i], "--warmup") == 0)
      warmup = std::atof(argv[i + 1]);
  }
  if (config.empty() || dir.empty()) {
    std::fprintf(stderr, "usage: keel_alloc_probe --config FILE --dir FRESH_DIR [--warmup 0.1]\n");
    return 1;
  }
  auto cfg = keel::engine::load_config(config);
  if (!cfg.ok()) return fail(cfg.status());
  keel::bench::Pipeline p;
  if (auto s = p.open_stores(*cfg, dir); !s.ok()) return fail(s);
  if (auto s = p.start(); !s.ok()) return fail(s);
  auto reader = keel::market::CaptureReader::open(cfg->sim.data);
  if (!reader.ok()) return fail(reader.status());
  Counts c;
  keel::market::MarketEvent ev;
  keel::Status s;
  for (;;) {
    const bool steady = (*reader)->progress() >= warmup;
    t_counting = steady;
    const uint64_t bytes0 = t_bytes;
    const uint64_t r = count([&] { s = (*reader)->next(ev); });
    if (s.code() == keel::Code::kEndOfData) break;
    if (!s.ok()) return fail(s);
    const uint64_t m = count([&] { s = p.sim().on_market(ev); });
    if (!s.ok()) return fail(s);
    const uint64_t decisions0 = p.engine().stats().decisions;
    const uint64_t e = count([&] { s = p.engine().on_market(ev); });
    if (!s.ok()) return fail(s);
    t_counting = false;
    if (!steady) {
      ++c.warmup;
      continue;
    }
    const bool decided = p.engine().stats().decisions != decisions0;
    ++c.events;
    c.decisions += decided ? 1 : 0;
    (decided ? c.decision_engine : c.quiet_engine) += e;
    c.reader += r;
    c.sim += m;
    c.engine += e;
    c.bytes += t_bytes - bytes0;
  }
  t_counting = false;
  print(c);
  return 0;
}
