// bench/pipeline.h: keel's replay pipeline wired as `keel run` wires it (journal + embedded
// simulated exchange + engine), for the bench sections and keel_alloc_probe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "keel/core/status.h"
#include "keel/engine/config.h"
#include "keel/engine/engine.h"
#include "keel/exchange/sim.h"
#include "keel/journal/journal.h"
#include "keel/market/events.h"

namespace keel::bench {

// One engine over a fresh data directory. Not movable: the engine keeps references to cfg,
// journal and the venue.
class Pipeline {
 public:
  Pipeline() = default;
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // Opens journal/ and sim/ under `dir` (fresh), builds the engine over `venue` (a decorator
  // of sim(); nullptr: the sim itself), and starts it as `keel run` does: load_and_start,
  // recover, decide_all. REQUIRES: `venue`, when given, wraps the sim returned by sim() --
  // hence the two-step form: open_stores first, then start.
  Status open_stores(const engine::Config& cfg, const std::string& dir);
  Status start(exchange::Exchange* venue = nullptr);

  // One recorded event: the venue consumes it first (matching), then the engine (as keel run).
  Status step(const market::MarketEvent& ev);
  // Drains the last fills and journals RecordingEnded.
  Status finish();

  const engine::Config& config() const { return cfg_; }
  journal::Journal& journal() { return *journal_; }
  exchange::sim::SimExchange& sim() { return *sim_; }
  engine::Engine& engine() { return *engine_; }

 private:
  engine::Config cfg_;
  std::unique_ptr<journal::Journal> journal_;
  std::unique_ptr<exchange::sim::SimExchange> sim_;
  std::unique_ptr<engine::Engine> engine_;
};

// A recording of ../shared/data/binance and the grid that suits its instrument.
struct Recording {
  std::string name;  // "spot btcusdt_20240808"
  std::string file;  // absolute path of the .gz
  std::string yaml;  // a complete keel config for it (data: the file)
};
// The four recordings the issue names, with their instruments' filters and a grid of about
// 0.8 bp spacing and ~125 USDT per level (the default config's shape).
std::vector<Recording> recordings(const std::string& recordings_dir);

// Parses a Recording's config (sync_intents as given).
Result<engine::Config> recording_config(const Recording& rec, bool sync_intents);

}  // namespace keel::bench
