// Test fixture shared by the fold and strategy tests: the TaskStarted record of a BTCUSDT grid
// task (tick 0.01, step 0.00001, minimum notional 5 USDT).
#pragma once

#include "keel/core/fixed.h"
#include "keel/journal/record.h"

namespace keel::testing_fixture {

inline journal::TaskStarted btcusdt_grid_task() {
  journal::TaskStarted ts;
  ts.strategy = "grid";
  ts.symbol = "BTCUSDT";
  ts.base_asset = "BTC";
  ts.quote_asset = "USDT";
  ts.tick_e8 = 1'000'000;
  ts.step_e8 = 1'000;
  ts.min_notional_e8 = 5 * kOneE8;
  return ts;
}

}  // namespace keel::testing_fixture
