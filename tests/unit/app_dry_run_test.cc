// keel run --dry-run (issue 10, seed 003): validate, then decide without sending. The stand-in
// venue answers every request itself (nothing reaches the exchange behind it), and a dry run of
// the tiered paper config prints its decisions and leaves the config's data directory untouched.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "app.h"
#include "dry_run.h"
#include "keel/exchange/sim.h"

namespace keel::app {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

TEST(DryRun, TheStandInAnswersEveryRequestAndNothingReachesTheExchange) {
  char tmpl[] = "/tmp/keel-dry-venue-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  const Instrument ins = *Instrument::make("BTCUSDT", "BTC", "USDT", "0.01", "0.00001", "5");
  exchange::sim::SimOptions so{ins, 10'000, {{"USDT", {10'000 * kOneE8, 0}}}, dir + "/sim"};
  auto sim = exchange::sim::SimExchange::open(so);
  ASSERT_TRUE(sim.ok()) << sim.status().ToString();
  DryRunVenue v(**sim);
  const exchange::OrderRequest a{"BTCUSDT", Side::kBuy, 6'180'000, 200, "a", {}};
  ASSERT_EQ(v.place(a).outcome, exchange::Outcome::kAccepted);
  EXPECT_EQ(v.place(a).outcome, exchange::Outcome::kRejected);  // a duplicate open id
  EXPECT_EQ(v.open_orders("BTCUSDT")->size(), 1u);
  const exchange::ReplaceResult r =
      v.cancel_replace("a", {"BTCUSDT", Side::kBuy, 6'180'100, 200, "b", {}});
  EXPECT_EQ(r.cancel_outcome, exchange::Outcome::kAccepted);
  EXPECT_EQ(r.place_outcome, exchange::Outcome::kAccepted);
  EXPECT_EQ(v.amend_keep_priority("BTCUSDT", "b", 100).order.qty_lots, 100);
  EXPECT_EQ(v.amend_keep_priority("BTCUSDT", "b", 300).outcome, exchange::Outcome::kRejected);
  EXPECT_EQ(v.query_order("BTCUSDT", "a")->status, exchange::OrderStatus::kCanceled);
  EXPECT_EQ(v.cancel("BTCUSDT", "a").error.code, -2011);
  EXPECT_EQ(v.query_order("BTCUSDT", "zz").status().code(), Code::kNotFound);
  ASSERT_EQ(v.open_orders("BTCUSDT")->size(), 1u);
  EXPECT_EQ(v.open_orders("BTCUSDT")->front().client_order_id, "b");
  EXPECT_TRUE(v.trades_from("BTCUSDT", 1, 100)->trades.empty());
  // The exchange behind it saw nothing: no order, its balances untouched.
  EXPECT_TRUE((*sim)->truth().orders.empty());
  EXPECT_EQ((*v.balances())["USDT"].free_e8, 10'000 * kOneE8);
  fs::remove_all(dir);
}

TEST(DryRun, ATieredDryRunPrintsItsDecisionsAndLeavesTheDataDirectoryAlone) {
  char tmpl[] = "/tmp/keel-dry-run-test-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  RunOptions o;
  o.target.config_path = std::string(KEEL_SOURCE_DIR) + "/config/paper-btcusdt-tiered.yaml";
  o.target.data_dir = dir + "/data";  // a dry run never writes here
  o.quiet = true;
  o.dry_run = true;
  ::testing::internal::CaptureStdout();
  const int rc = run_command(o);
  const std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("every check passed"));  // keel validate's checks came first
  EXPECT_THAT(out, HasSubstr("tiered1 L1-bid place BUY 0.00100000 @ "));
  EXPECT_THAT(out, HasSubstr("requote L1-bid: drift"));
  EXPECT_THAT(out, HasSubstr("none sent"));
  EXPECT_THAT(out, HasSubstr("fills                buy 0"));
  EXPECT_FALSE(fs::exists(dir + "/data"));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace keel::app
