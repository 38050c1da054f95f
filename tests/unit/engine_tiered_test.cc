// The tiered ladder (seed 003) in the engine on the recorded BTCUSDT data, under seed 003's
// market guards in the shared risk layer (keel/risk/risk.h): it quotes both sides, fills, stays
// within its position limit, never has a post-only place rejected, places no bid while the
// journaled guard is HALT and no L1 bid while it is CAUTION; the journal folds to the live
// state, and the uptime meter reads it.
#include <gtest/gtest.h>

#include <filesystem>

#include "engine_testutil.h"
#include "keel/core/clock.h"
#include "keel/engine/engine.h"
#include "keel/exchange/sim.h"
#include "keel/market/capture.h"
#include "keel/model/snapshot.h"
#include "keel/risk/risk.h"
#include "keel/strategy/tiered.h"

namespace keel::engine {
namespace {

using journal::GuardState;

TEST(EngineTiered, TheLadderUnderTheMarketGuardsOnTheRecording) {
  char tmpl[] = "/tmp/keel-tiered-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  Config cfg = testutil::test_config();
  cfg.sim.data = {testutil::kData, std::string(KEEL_SHARED_DIR) +
                                       "/data/binance/spot/btcusdt_20240809.gz"};  // 11 minutes
  TaskConfig& t = cfg.tasks[0];
  t.id = "t1";
  t.strategy = "tiered";
  strategy::TieredParams p;
  p.level = strategy::RiskLevel::kAggressive;
  p.tiers = 3;
  p.base_qty_lots = 100;  // 0.001 BTC
  p.requote_bps_e2 = 250;  // 1 bp trails the mid too closely for this recording to fill it
  p.amend = true;
  t.impl = strategy::make_tiered(p);
  t.params_text = "test tiered";
  risk::Limits& l = t.risk;
  l.max_position_e8 = 400'000;        // 0.004 BTC: the three bids and one filled
  l.max_price_jump_bps_e2 = 500;      // 5 bps in a second
  l.max_spread_bps_e2 = 500;          // 5 bps
  l.min_depth_e8 = 2 * kOneE8;        // 2 BTC within 10 bps, each side
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
  while ((*reader)->next(ev).ok()) {
    ASSERT_TRUE((*sim)->on_market(ev).ok());
    ASSERT_TRUE(eng.on_market(ev).ok());
    ASSERT_LE(eng.state().tasks.at("t1").position.base_e8, l.max_position_e8);
  }
  const model::TaskState& live = eng.state().tasks.at("t1");
  EXPECT_GT(live.buys.fills, 0u);
  EXPECT_GT(live.sells.fills, 0u);
  EXPECT_EQ(live.rejects, 0u);  // no post-only reject: keel's prices never crossed the book
  EXPECT_TRUE(live.halted.empty()) << live.halted;
  EXPECT_GT(live.guard_time_ns[static_cast<size_t>(GuardState::kHalt)], 0);
  EXPECT_GT(live.guard_time_ns[static_cast<size_t>(GuardState::kCaution)], 0);

  // Replay the journal: every place was decided under the guard the fold held at that moment.
  auto folded = model::fold_journal(**j);
  ASSERT_TRUE(folded.ok());
  model::State s;
  strategy::UptimeMeter meter;
  size_t bids = 0, asks = 0, halts = 0;
  ASSERT_TRUE((*j)->for_each(1, [&](const journal::Record& rec) {
                 auto it = s.tasks.find("t1");
                 const auto* place = std::get_if<journal::PlaceIntent>(&rec.body);
                 if (place != nullptr && it != s.tasks.end()) {
                   const GuardState g = it->second.guard;
                   (place->side == Side::kBuy ? bids : asks) += 1;
                   EXPECT_FALSE(place->side == Side::kBuy && g == GuardState::kHalt) << rec.seq;
                   EXPECT_FALSE(place->slot_key == 11 && g == GuardState::kCaution) << rec.seq;
                 }
                 if (const auto* gc = std::get_if<journal::GuardChanged>(&rec.body)) {
                   halts += gc->state == GuardState::kHalt ? 1 : 0;
                 }
                 model::apply(s, rec);
                 if (rec.task_id == "t1") meter.step(s.tasks.at("t1"), rec.ts_exchange_ns);
                 return true;
               }).ok());
  EXPECT_GT(bids, 0u);
  EXPECT_GT(asks, 0u);
  EXPECT_GT(halts, 0u);
  EXPECT_EQ(s.tasks.at("t1").guard_changes, live.guard_changes);
  EXPECT_EQ(folded->tasks.at("t1").position.base_e8, live.position.base_e8);
  EXPECT_GT(meter.quoted_ns(), 0);
  EXPECT_LT(meter.quoted_ns(), meter.observed_ns());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace keel::engine
