// The sim over the real BTCUSDT recording: determinism, restart equivalence, and fills that
// the recorded trades justify.
#include <gtest/gtest.h>


#include "exchange_sim_testutil.h"

namespace keel::exchange::sim {
namespace {

using namespace testutil;  // NOLINT(google-build-using-namespace)

TEST(SimReplay, TwoSimsFedTheSameRecordingAndOrdersAgree) {
  ASSERT_GT(recording().size(), 40'000u);
  TempDir a_dir("detA"), b_dir("detB");
  auto a = open_sim(options(a_dir.path()));
  auto b = open_sim(options(b_dir.path()));
  Script sa, sb;
  run(*a, sa, 0, recording().size());
  run(*b, sb, 0, recording().size());
  const SimTruth ta = a->truth();
  EXPECT_EQ(dump(ta), dump(b->truth()));
  EXPECT_EQ(ta.position, recording().size());
  EXPECT_EQ(a->now_ns(), b->now_ns());
  EXPECT_GT(ta.trades.size(), 0u);
  EXPECT_GT(sa.accepted, 100u);
}

TEST(SimReplay, RestartMidwayMatchesAnUninterruptedRun) {
  TempDir a_dir("midA"), b_dir("midB");
  auto a = open_sim(options(a_dir.path()));
  Script sa;
  run(*a, sa, 0, recording().size());

  auto b = open_sim(options(b_dir.path()));
  Script sb;
  const size_t cuts[] = {7, 9'000, 23'456};
  size_t at = 0;
  for (size_t cut : cuts) {
    run(*b, sb, at, cut);
    at = cut;
    b.reset();
    b = open_sim(options(b_dir.path()));
    sb = Script();
    warm(*b, sb);
  }
  run(*b, sb, at, recording().size());
  EXPECT_EQ(dump(b->truth()), dump(a->truth()));
  EXPECT_EQ(b->now_ns(), a->now_ns());
}

// Each TRADE report must be justified by the recorded trade just consumed: the hitting side
// matches, the price is the order's level or beyond it, fills at the level never exceed the
// printed quantity, the time is the trade's. Balances must then add up.
TEST(SimReplay, FillsAreConsistentWithTheRecordedTrades) {
  const Instrument ins = btcusdt();
  TempDir dir("real");
  auto sim = open_sim(options(dir.path()));
  Script script(997);
  const auto& ev = recording();
  size_t at_level = 0, through = 0;
  int64_t base_delta_e8 = 0, quote_delta_e8 = 0;
  for (size_t i = 0; i < ev.size(); ++i) {
    script.observe(ev[i]);
    ASSERT_TRUE(sim->on_market(ev[i]).ok());
    std::vector<ExecutionReport> out;
    sim->poll_user_events(out);
    const auto* t = std::get_if<market::Trade>(&ev[i].body);
    int64_t at_level_e8 = 0;
    for (const ExecutionReport& er : out) {
      if (er.exec_type != ExecType::kTrade) continue;
      ASSERT_NE(t, nullptr) << "a fill without a recorded trade at event " << i;
      const TradeReport& f = er.trade;
      const int64_t px = ins.price_e8(f.price_ticks);
      EXPECT_EQ(f.side == Side::kBuy, t->buyer_is_maker);
      EXPECT_EQ(f.ts_exchange_ns, t->ts_exchange_ns);
      EXPECT_EQ(f.price_ticks, er.order.price_ticks);
      EXPECT_EQ(f.commission_e8, fee_e8(ins.notional_e8(f.price_ticks, f.qty_lots), 100'000));
      if (t->price_e8 == px) {
        ++at_level;
        at_level_e8 += ins.qty_e8(f.qty_lots);
      } else {
        ++through;
        EXPECT_TRUE(f.side == Side::kBuy ? t->price_e8 < px : t->price_e8 > px);
      }
      const int64_t notional = ins.notional_e8(f.price_ticks, f.qty_lots);
      if (f.side == Side::kBuy) {
        base_delta_e8 += ins.qty_e8(f.qty_lots);
        quote_delta_e8 -= notional + f.commission_e8;
      } else {
        base_delta_e8 -= ins.qty_e8(f.qty_lots);
        quote_delta_e8 += notional - f.commission_e8;
      }
    }
    if (t != nullptr) {
      EXPECT_LE(at_level_e8, t->qty_e8);
    }
    script.act(*sim, i);
  }
  std::printf("fills: %zu at the level, %zu through; orders accepted %llu rejected %llu\n",
              at_level, through, static_cast<unsigned long long>(script.accepted),
              static_cast<unsigned long long>(script.rejected));
  EXPECT_GT(at_level + through, 0u);
  EXPECT_GT(at_level, 0u);
  // Cancel what is left: nothing stays locked and every change is explained by the fills.
  auto open = sim->open_orders("BTCUSDT");
  ASSERT_TRUE(open.ok());
  const std::vector<OrderReport> left = open.value();
  for (const auto& o : left) {
    ASSERT_EQ(sim->cancel("BTCUSDT", o.client_order_id).outcome, Outcome::kAccepted);
  }
  const Balances b = *sim->balances();
  EXPECT_EQ(b.at("BTC").locked_e8, 0);
  EXPECT_EQ(b.at("USDT").locked_e8, 0);
  EXPECT_EQ(b.at("BTC").free_e8, e8("1") + base_delta_e8);
  EXPECT_EQ(b.at("USDT").free_e8, e8("100000") + quote_delta_e8);
}

}  // namespace
}  // namespace keel::exchange::sim
