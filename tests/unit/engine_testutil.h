// Shared by the engine_*_test.cc files: the engine config they run on real data.
#pragma once

#include <string>

#include "keel/engine/config.h"
#include "keel/strategy/grid.h"

namespace keel::engine::testutil {

inline const std::string kData =
    std::string(KEEL_SHARED_DIR) + "/data/binance/spot/btcusdt_20240808.gz";

// Binds task `t` to a grid with these params (its params_text stays what the test set).
inline void set_grid(TaskConfig& t, const strategy::GridParams& p) { t.impl = strategy::make_grid(p); }

// One grid task (5 USDT levels, 0.002 BTC, windows 5/5, at most 20 open orders) on BTCUSDT
// against the embedded simulated exchange (1 bp maker fee, 10000 USDT) over kData.
inline Config test_config() {
  Config c;
  c.path = "test";
  c.instrument = *Instrument::make("BTCUSDT", "BTC", "USDT", "0.01", "0.00001", "5");
  c.sim.data = {kData};
  c.sim.maker_fee_rate_e8 = 10'000;
  c.sim.balances["USDT"].free_e8 = 10'000 * kOneE8;
  TaskConfig t;
  t.id = "g1";
  t.strategy = "grid";
  set_grid(t, {500, 200, 5, 5, 20});  // 5 USDT, 0.002 BTC
  t.params_text = "test grid";
  t.rate = {1'000, 1'000};  // the request budget never binds here (engine_venue_faults_test's
                            // budget test sets its own)
  c.tasks.push_back(t);
  return c;
}

}  // namespace keel::engine::testutil
