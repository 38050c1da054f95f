// keel validate (issue 10 item 6): the pre-trade checks on the recorded BTCUSDT data. Each
// config below differs from a passing one in the one thing a check must catch.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "app.h"

namespace keel::app {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct Outcome {
  int rc = -1;
  std::string out;
};

// Writes a config for BTCUSDT on the recorded data with these instrument, param and balance
// values, and runs keel validate on it.
Outcome validate(const std::string& tick, const std::string& qty, const std::string& usdt,
                 const std::string& interval = "5") {
  char tmpl[] = "/tmp/keel-validate-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  const std::string path = dir + "/c.yaml";
  const std::string data = std::string(KEEL_SHARED_DIR) + "/data/binance/spot/btcusdt_20240808.gz";
  std::ofstream(path) << "instrument: {symbol: BTCUSDT, base_asset: BTC, quote_asset: USDT, "
                         "tick_size: \"" << tick << "\", step_size: \"0.00001\", min_notional: \"5\"}\n"
                      << "exchange:\n  kind: sim\n  data: [" << data << "]\n"
                      << "  maker_fee: \"0.0001\"\n  balances: {BTC: \"0\", USDT: \"" << usdt << "\"}\n"
                      << "tasks:\n  - id: g\n    strategy: grid\n    params: {price_interval: \""
                      << interval << "\", order_quantity: \"" << qty << "\"}\n";
  Outcome o;
  ::testing::internal::CaptureStdout();
  o.rc = validate_command(path);
  o.out = ::testing::internal::GetCapturedStdout();
  std::filesystem::remove_all(dir);
  return o;
}

TEST(Validate, TheDefaultGridOnTheRecordingPassesEveryCheck) {
  const Outcome o = validate("0.01", "0.002", "10000");
  EXPECT_EQ(o.rc, 0) << o.out;
  EXPECT_THAT(o.out, HasSubstr("reference price: the recording's first trade, 61837.63"));
  // Five buys of 0.002 at 61835, 61830, ..., 61815 (center 61840), each plus its 1 bp fee.
  EXPECT_THAT(o.out, HasSubstr("its buys lock 618.311825 USDT"));
  EXPECT_THAT(o.out, Not(HasSubstr("FAIL")));
}

TEST(Validate, ATickSizeTheDataIsNotOnFails) {
  const Outcome o = validate("0.1", "0.002", "10000", "5");
  EXPECT_EQ(o.rc, 1);
  EXPECT_THAT(o.out, HasSubstr("FAIL the first 20000 events of exchange.data"));
  EXPECT_THAT(o.out, HasSubstr("off tick_size 0.1 (the first: "));
}

TEST(Validate, AnOrderBelowTheMinimumNotionalFails) {
  const Outcome o = validate("0.01", "0.00005", "10000");  // 0.00005 BTC * 61.8k = 3.09 USDT
  EXPECT_EQ(o.rc, 1);
  EXPECT_THAT(o.out, HasSubstr("FAIL every order's notional is at least min_notional 5 USDT "
                               "(the smallest: 3.09"));
}

TEST(Validate, ABalanceShortOfTheOpeningBuysFails) {
  const Outcome o = validate("0.01", "0.002", "600");
  EXPECT_EQ(o.rc, 1);
  EXPECT_THAT(o.out, HasSubstr("FAIL exchange.balances.USDT 600 covers its tasks' opening buys "
                               "(618.311825)"));
}

TEST(Validate, AConfigErrorIsReportedAsKeelRunWouldAndFails) {
  char tmpl[] = "/tmp/keel-validate-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  std::ofstream(dir + "/c.yaml") << "instrument: {symbol: BTCUSDT}\n";
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(validate_command(dir + "/c.yaml"), 1);
  EXPECT_THAT(::testing::internal::GetCapturedStderr(), HasSubstr("c.yaml: instrument."));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace keel::app
