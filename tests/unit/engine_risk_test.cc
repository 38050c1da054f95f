// The risk layer in the engine on the recorded BTCUSDT data (keel/risk/risk.h): the default
// grid under max_position 0.006 BTC (three of its 0.002 BTC levels) never holds more, counting
// every working buy as filled; its guard changes are journaled and fold to the live state.
#include <gtest/gtest.h>

#include <filesystem>

#include "engine_testutil.h"
#include "keel/core/clock.h"
#include "keel/engine/engine.h"
#include "keel/exchange/sim.h"
#include "keel/market/capture.h"
#include "keel/model/snapshot.h"
#include "keel/risk/risk.h"

namespace keel::engine {
namespace {

TEST(EngineRisk, AGridUnderMaxPositionNeverExceedsItAndJournalsItsGuard) {
  char tmpl[] = "/tmp/keel-risk-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  Config cfg = testutil::test_config();
  risk::Limits& limits = cfg.tasks[0].risk;
  limits.max_position_e8 = 600'000;  // 0.006 BTC
  auto j = journal::Journal::open(dir + "/journal", {});
  ASSERT_TRUE(j.ok());
  exchange::sim::SimOptions so{cfg.instrument, cfg.sim.maker_fee_rate_e8, cfg.sim.balances,
                               dir + "/sim"};
  auto sim = exchange::sim::SimExchange::open(so);
  ASSERT_TRUE(sim.ok());
  auto reader = market::CaptureReader::open(cfg.sim.data);
  ASSERT_TRUE(reader.ok());
  Engine eng(cfg, **j, **sim, SystemClock::instance());
  ASSERT_TRUE(eng.load_and_start().ok());
  ASSERT_TRUE(eng.recover().ok());
  ASSERT_TRUE(eng.decide_all().ok());
  market::MarketEvent ev;
  int64_t max_base = 0;
  std::set<journal::GuardState> seen;
  while ((*reader)->next(ev).ok()) {
    ASSERT_TRUE((*sim)->on_market(ev).ok());
    ASSERT_TRUE(eng.on_market(ev).ok());
    const model::TaskState& t = eng.state().tasks.at("g1");
    const risk::Exposure e = risk::exposure_of(t, eng.state().account("default"));
    max_base = std::max(max_base, e.base_e8);
    ASSERT_LE(e.base_e8, limits.max_position_e8) << "after event " << (*sim)->position();
    seen.insert(t.guard);
  }
  const model::TaskState& t = eng.state().tasks.at("g1");
  EXPECT_EQ(max_base, limits.max_position_e8);  // the limit binds: three levels at once
  EXPECT_GT(eng.stats().risk_dropped, 0u);
  EXPECT_GT(t.buys.fills, 0u);
  EXPECT_GT(t.sells.fills, 0u);
  EXPECT_TRUE(seen.count(journal::GuardState::kSafe) && seen.count(journal::GuardState::kCaution));
  EXPECT_EQ(seen.count(journal::GuardState::kHalt), 0u);  // never beyond: nothing crossed it
  EXPECT_GT(t.guard_changes, 1u);
  // The journal holds every change: its fold is the live state.
  auto folded = model::fold_journal(**j);
  ASSERT_TRUE(folded.ok());
  const model::TaskState& f = folded->tasks.at("g1");
  EXPECT_EQ(f.guard, t.guard);
  EXPECT_EQ(f.guard_changes, t.guard_changes);
  EXPECT_EQ(f.guard_time_ns, t.guard_time_ns);
  EXPECT_GT(f.guard_time_ns[0] + f.guard_time_ns[1], 0);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace keel::engine
