// An account trading several symbols (issue 10 item 3): Binance numbers trades and orders per
// symbol, so every watermark is the symbol's, while R4 is one equation per asset of the account
// (model::AccountState, model::SymbolMarks).
#include <gtest/gtest.h>

#include "fixture_btcusdt.h"
#include "keel/core/ids.h"
#include "keel/model/snapshot.h"
#include "keel/model/state.h"

namespace keel::model {
namespace {

using journal::Source;

journal::TaskStarted ethusdt_task() {
  journal::TaskStarted ts = testing_fixture::btcusdt_grid_task();
  ts.symbol = "ETHUSDT";
  ts.base_asset = "ETH";
  ts.step_e8 = 10'000;  // 0.0001 ETH
  return ts;
}

class AccountSymbols : public ::testing::Test {
 protected:
  void SetUp() override {
    fold("b", testing_fixture::btcusdt_grid_task());
    fold("e", ethusdt_task());
  }
  void fold(const std::string& task, journal::Body body) {
    journal::Record r;
    r.seq = state_.last_seq + 1;
    r.task_id = task;
    r.body = std::move(body);
    apply(state_, r);
  }
  void wide(journal::Body body) { fold(journal::account_tag(journal::kDefaultAccount), std::move(body)); }
  // A buy of `task` at `price` ticks for `qty` lots, filled by trade `trade_id` of its symbol.
  void buy(const std::string& task, int64_t price, int64_t qty, int64_t trade_id) {
    const std::string cid = make_client_order_id("", task, state_.last_seq + 1);
    fold(task, journal::PlaceIntent{price, Side::kBuy, price, qty, cid, {}});
    fold(task, journal::OrderFilled{cid, trade_id, 0, Side::kBuy, price, qty, 0, "USDT", true,
                                    Source::kUserStream});
  }
  const AccountState& account() { return state_.account(journal::kDefaultAccount); }
  State state_;
};

constexpr int64_t kUsdt = 1000 * kOneE8;

TEST_F(AccountSymbols, TradeIdsAreCountedAgainstTheirOwnSymbolsBaseline) {
  // ETHUSDT's trade ids are far below BTCUSDT's: compared with BTCUSDT's baseline, every ETH
  // trade would look older than the baseline and drop out of R4.
  wide(journal::AccountBaseline{"BTCUSDT", 5'000'000, 1000, {{"BTC", 0}, {"ETH", 0}, {"USDT", kUsdt}}});
  wide(journal::AccountBaseline{"ETHUSDT", 700, 1000, {{"BTC", 0}, {"ETH", 0}, {"USDT", kUsdt}}});
  buy("b", 6183000, 100, 5'000'001);  // 0.001 BTC at 61830: 61.83 USDT
  buy("e", 300000, 1000, 701);        // 0.1 ETH at 3000: 300 USDT
  buy("e", 300000, 1000, 650);        // before ETHUSDT's baseline: in the baseline's balances
  EXPECT_EQ(account().expected_e8("BTC"), 100'000);
  EXPECT_EQ(account().expected_e8("ETH"), 10'000'000);
  EXPECT_EQ(account().expected_e8("USDT"), kUsdt - 6'183'000'000 - 30'000'000'000);
  EXPECT_EQ(account().marks("BTCUSDT").trade_watermark, 5'000'001);
  EXPECT_EQ(account().marks("ETHUSDT").trade_watermark, 701);
  EXPECT_EQ(account().main_symbol(), "BTCUSDT");
}

TEST_F(AccountSymbols, ASymbolJoiningTheBaselineKeepsTheAccountsBalancesAndCounts) {
  wide(journal::AccountBaseline{"BTCUSDT", 10, 1000, {{"BTC", 0}, {"USDT", kUsdt}}});
  buy("b", 6183000, 100, 11);
  wide(journal::BalanceChanged{"USDT", kOneE8, 2000, 2000, "balanceUpdate"});
  // ETHUSDT joins later with other balances (someone traded it meanwhile): its balances are
  // not taken, so R4 still explains the account from the first baseline and shows the gap.
  wide(journal::AccountBaseline{"ETHUSDT", 40, 3000, {{"ETH", 5 * kOneE8}, {"USDT", 1}}});
  EXPECT_TRUE(account().marks("ETHUSDT").baselined);
  EXPECT_EQ(account().marks("ETHUSDT").baseline_trade_id, 40);
  EXPECT_EQ(account().marks("ETHUSDT").scan_watermark, 40);
  EXPECT_EQ(account().baseline.symbol, "BTCUSDT");
  EXPECT_EQ(account().expected_e8("ETH"), 0);
  EXPECT_EQ(account().expected_e8("USDT"), kUsdt - 6'183'000'000 + kOneE8);
  EXPECT_EQ(account().expected_e8("BTC"), 100'000);
  buy("e", 300000, 1000, 41);
  EXPECT_EQ(account().expected_e8("ETH"), 10'000'000);
}

TEST_F(AccountSymbols, TheSameSymbolsBaselineAgainStartsTheAccountOver) {
  wide(journal::AccountBaseline{"BTCUSDT", 10, 1000, {{"BTC", 0}, {"USDT", kUsdt}}});
  wide(journal::AccountBaseline{"ETHUSDT", 40, 1000, {{"BTC", 0}, {"USDT", kUsdt}}});
  buy("b", 6183000, 100, 11);
  wide(journal::AccountBaseline{"BTCUSDT", 11, 5000, {{"BTC", 100'000}, {"USDT", 7}}});
  EXPECT_EQ(account().expected_e8("USDT"), 7);
  EXPECT_EQ(account().expected_e8("BTC"), 100'000);
  // ETHUSDT left the baseline with the old balances: its trades do not count until it joins.
  EXPECT_FALSE(account().marks("ETHUSDT").baselined);
  buy("e", 300000, 1000, 41);
  EXPECT_EQ(account().expected_e8("USDT"), 7);
}

TEST_F(AccountSymbols, ForeignFillsAndScansAreDeduplicatedPerSymbol) {
  wide(journal::AccountBaseline{"BTCUSDT", 10, 1000, {{"BTC", 0}, {"ETH", 0}, {"USDT", kUsdt}}});
  wide(journal::AccountBaseline{"ETHUSDT", 10, 1000, {{"BTC", 0}, {"ETH", 0}, {"USDT", kUsdt}}});
  // Trade 12 exists on both symbols: two different trades.
  wide(journal::ForeignFill{"BTCUSDT", "web_1", 12, 5, Side::kBuy, 6183000, 100, 0, "USDT"});
  wide(journal::ForeignFill{"ETHUSDT", "web_2", 12, 5, Side::kBuy, 300000, 1000, 0, "USDT"});
  wide(journal::ForeignFill{"ETHUSDT", "web_2", 12, 5, Side::kBuy, 300000, 1000, 0, "USDT"});  // again
  EXPECT_EQ(account().foreign_fills, 2u);
  EXPECT_EQ(account().expected_e8("BTC"), 100'000);
  EXPECT_EQ(account().expected_e8("ETH"), 10'000'000);
  wide(journal::TradesScanned{"ETHUSDT", 30});
  EXPECT_EQ(account().marks("ETHUSDT").scan_watermark, 30);
  EXPECT_EQ(account().marks("BTCUSDT").scan_watermark, 10);
}

TEST_F(AccountSymbols, OrderIdsArePerSymbol) {
  const std::string cid = make_client_order_id("", "e", state_.last_seq + 1);
  fold("e", journal::PlaceIntent{300000, Side::kBuy, 300000, 1000, cid, {}});
  fold("e", journal::OrderAccepted{cid, 99, Source::kResponse});
  EXPECT_EQ(account().marks("ETHUSDT").max_order_id, 99);
  EXPECT_EQ(account().marks("BTCUSDT").max_order_id, 0);
}

TEST_F(AccountSymbols, TheMarksSurviveASnapshot) {
  wide(journal::AccountBaseline{"BTCUSDT", 10, 1000, {{"BTC", 0}, {"USDT", kUsdt}}});
  wide(journal::AccountBaseline{"ETHUSDT", 40, 1000, {{"ETH", 0}, {"USDT", kUsdt}}});
  buy("e", 300000, 1000, 41);
  wide(journal::ForeignFill{"ETHUSDT", "web_2", 42, 5, Side::kBuy, 300000, 1000, 0, "USDT"});
  auto back = decode_state(encode_state(state_));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  const AccountState& a = back->account(journal::kDefaultAccount);
  ASSERT_EQ(a.symbols.size(), 2u);
  EXPECT_EQ(a.marks("ETHUSDT").trade_watermark, 42);
  EXPECT_EQ(a.marks("ETHUSDT").foreign_trade_ids.count(42), 1u);
  EXPECT_EQ(a.expected_e8("ETH"), account().expected_e8("ETH"));
  EXPECT_EQ(encode_state(*back), encode_state(state_));
}

}  // namespace
}  // namespace keel::model
