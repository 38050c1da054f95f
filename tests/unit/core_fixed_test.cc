#include <gtest/gtest.h>

#include <set>

#include "keel/core/fixed.h"
#include "keel/core/ids.h"
#include "keel/core/instrument.h"

namespace keel {
namespace {

TEST(Fixed, ParsesBinanceDecimalsExactly) {
  EXPECT_EQ(*parse_fixed("61837.63000000", 8), 6183763000000);
  EXPECT_EQ(*parse_fixed("61837.63000000", 2), 6183763);
  EXPECT_EQ(*parse_fixed("0.00100000", 5), 100);
  EXPECT_EQ(*parse_fixed("-0.5", 1), -5);
  EXPECT_EQ(*parse_fixed("10", 3), 10000);
}

TEST(Fixed, RejectsWhatIsNotExact) {
  EXPECT_FALSE(parse_fixed("61837.635", 2).ok());  // a nonzero digit beyond the scale
  EXPECT_FALSE(parse_fixed("", 2).ok());
  EXPECT_FALSE(parse_fixed("1.2.3", 2).ok());
  EXPECT_FALSE(parse_fixed("1e5", 2).ok());
  EXPECT_FALSE(parse_fixed("+1", 2).ok());
  EXPECT_FALSE(parse_fixed("1.", 2).ok());
  EXPECT_FALSE(parse_fixed("99999999999999999999", 0).ok());
  auto bad = parse_fixed("12x", 2);
  EXPECT_NE(bad.status().message().find("12x"), std::string::npos);
}

TEST(Fixed, RoundTripsEveryPriceOfTheRecording) {
  // Round trip of string -> mantissa -> string on a spread of values and scales.
  const char* values[] = {"61837.63000000", "0.00000001", "2679.01000000", "0.00000000",
                          "100000.00000000", "1.54698000"};
  for (const char* v : values) {
    auto m = parse_fixed(v, 8);
    ASSERT_TRUE(m.ok()) << v;
    EXPECT_EQ(format_fixed(*m, 8, 8), v);
  }
  EXPECT_EQ(format_fixed(6183763, 2, 8), "61837.63000000");
  EXPECT_EQ(format_fixed(-5, 1, 1), "-0.5");
  EXPECT_EQ(format_fixed_trim(6183763000000, 8), "61837.63");
  EXPECT_EQ(format_fixed_trim(100000, 8), "0.001");
  EXPECT_EQ(format_fixed_trim(1000000000, 8), "10");
}

TEST(Fixed, RoundingIsAsStated) {
  EXPECT_EQ(div_floor(-7, 2), -4);
  EXPECT_EQ(div_ceil(7, 2), 4);
  EXPECT_EQ(div_ceil(-7, 2), -3);
  EXPECT_EQ(div_round_half_even(5, 2), 2);
  EXPECT_EQ(div_round_half_even(7, 2), 4);
  EXPECT_EQ(div_round_half_even(-5, 2), -2);
}

TEST(Instrument, TicksLotsNotionalAndFee) {
  auto ins = Instrument::make("BTCUSDT", "BTC", "USDT", "0.01", "0.00001", "5");
  ASSERT_TRUE(ins.ok());
  EXPECT_EQ(*ins->parse_price_ticks("61837.63000000"), 6183763);
  EXPECT_EQ(*ins->parse_qty_lots("0.00100000"), 100);
  EXPECT_FALSE(ins->parse_price_ticks("61837.635").ok());
  EXPECT_EQ(ins->format_price(6183763), "61837.63000000");
  // 61837.63 * 0.001 = 61.83763 USDT exactly.
  EXPECT_EQ(ins->notional_e8(6183763, 100), 6183763000);
  // 10 bps of 61.83763 = 0.06183763 exactly; 10 bps of 0.00000001 rounds up to 0.00000001.
  EXPECT_EQ(fee_e8(6183763000, 100000), 6183763);
  EXPECT_EQ(fee_e8(1, 100000), 1);
  auto bad = Instrument::make("BTCUSDT", "BTC", "USDT", "0", "0.00001", "5");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("tick_size"), std::string::npos);
}

TEST(ClientOrderId, DerivedFromJournalAndParsesBack) {
  EXPECT_EQ(make_client_order_id("q7f3za", "grid1", 1295), "k2q7f3za-grid1-zz");
  auto p = parse_client_order_id("k2q7f3za-grid1-zz");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->epoch, "q7f3za");
  EXPECT_EQ(p->task, "grid1");
  EXPECT_EQ(p->intent_seq, 1295u);
  EXPECT_FALSE(parse_client_order_id("x-TKT5PX2F0123").has_value());
  EXPECT_FALSE(parse_client_order_id("k2q7f3za-grid1-ZZ").has_value());
  EXPECT_FALSE(parse_client_order_id("k2Q7F3ZA-grid1-zz").has_value());  // epoch: [0-9a-z]
  EXPECT_FALSE(parse_client_order_id("k2q7f3z-grid1-zz").has_value());   // epoch: 6 characters
  EXPECT_FALSE(validate_task_id("has-dash").ok());
  // The longest id: a 16-character task and a 10-digit base36 seq fill Binance's 36.
  const std::string longest = make_client_order_id("zzzzzz", "abcdefghijklmnop", 3656158440062975);
  EXPECT_EQ(longest.size(), 36u);
  EXPECT_EQ(parse_client_order_id(longest)->intent_seq, 3656158440062975u);
}

TEST(ClientOrderId, LegacyFormWithoutEpochStillParses) {
  EXPECT_EQ(make_client_order_id("", "grid1", 1295), "k1-grid1-zz");
  auto p = parse_client_order_id("k1-grid1-zz");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->epoch, "");
  EXPECT_EQ(p->task, "grid1");
  EXPECT_EQ(p->intent_seq, 1295u);
}

TEST(ClientOrderId, EpochsAreRandomAndValid) {
  std::set<std::string> seen;
  for (int i = 0; i < 64; ++i) {
    const std::string e = new_epoch();
    EXPECT_TRUE(validate_epoch(e).ok()) << e;
    seen.insert(e);
  }
  EXPECT_GT(seen.size(), 60u);  // 36^6 values: a repeat in 64 draws is ~1e-6 likely
}

}  // namespace
}  // namespace keel
