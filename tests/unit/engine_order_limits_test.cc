// An account's order-count limits (Binance's ORDERS, keel/risk/risk.h "Request budgets"): the
// config keys and their errors, and an engine whose two tasks share one account's limit on the
// real BTCUSDT recording.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>

#include "keel/core/clock.h"
#include "keel/engine/config.h"
#include "keel/engine/engine.h"
#include "keel/exchange/sim.h"
#include "keel/market/capture.h"
#include "keel/model/snapshot.h"

namespace keel::engine {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const std::string kSpot = std::string(KEEL_SHARED_DIR) + "/data/binance/spot/";

constexpr const char* kInstrument =
    "instrument: {symbol: BTCUSDT, base_asset: BTC, quote_asset: USDT, tick_size: \"0.01\","
    " step_size: \"0.00001\", min_notional: \"5\"}\n";

const std::string kGrid =
    "    strategy: grid\n    params: {price_interval: \"5\", order_quantity: \"0.002\"}\n";

// `exchange_extra` under exchange: (kind: sim); `accounts` a whole accounts: block or "".
std::string config(const std::string& exchange_extra, const std::string& accounts) {
  std::string y = std::string(kInstrument) + "exchange:\n  kind: sim\n  data: [a.gz]\n" +
                  exchange_extra;
  if (accounts.empty()) {
    y += "  balances: {BTC: \"0\", USDT: \"10000\"}\ntasks:\n  - id: g1\n" + kGrid;
  } else {
    y += accounts + "tasks:\n  - id: g1\n    account: alpha\n" + kGrid;
  }
  return y;
}

const std::string kTwoAccounts =
    "accounts:\n"
    "  - {id: alpha, balances: {USDT: \"10000\"}}\n"
    "  - {id: beta, balances: {USDT: \"10000\"}, max_orders_per_10s: 7}\n";

Result<Config> parse(const std::string& yaml) { return parse_config(yaml, "x.yaml", "config"); }

std::string error_of(const std::string& yaml) {
  auto r = parse(yaml);
  if (r.ok()) {
    ADD_FAILURE() << "accepted:\n" << yaml;
    return {};
  }
  return r.status().message();
}

TEST(OrderLimitsConfig, DefaultsAreBinancesAndTheExchangesAreEveryAccountsDefault) {
  auto plain = parse(config("", ""));
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  ASSERT_EQ(plain->accounts.size(), 1u);
  EXPECT_EQ(plain->accounts[0].orders.max_orders_per_10s, 50);
  EXPECT_EQ(plain->accounts[0].orders.max_orders_per_day, 160'000);
  // Without accounts:, exchange:'s keys are the one account's.
  auto one = parse(config("  max_orders_per_10s: 20\n  max_orders_per_day: 1000\n", ""));
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  EXPECT_EQ(one->accounts[0].orders.max_orders_per_10s, 20);
  EXPECT_EQ(one->accounts[0].orders.max_orders_per_day, 1000);
  // With accounts:, exchange:'s are the default; an account may give its own.
  auto two = parse(config("  max_orders_per_10s: 20\n", kTwoAccounts));
  ASSERT_TRUE(two.ok()) << two.status().ToString();
  EXPECT_EQ(two->accounts[0].orders.max_orders_per_10s, 20);
  EXPECT_EQ(two->accounts[1].orders.max_orders_per_10s, 7);
  EXPECT_EQ(two->accounts[1].orders.max_orders_per_day, 160'000);
  // kind: binance takes them too.
  auto live = parse(std::string(kInstrument) +
                    "exchange:\n  kind: binance\n  rest_url: http://127.0.0.1:1\n"
                    "  ws_url: ws://127.0.0.1:1\n  ws_api_url: ws://127.0.0.1:1/ws-api/v3\n"
                    "  max_orders_per_10s: 100\ntasks:\n  - id: g1\n" + kGrid);
  ASSERT_TRUE(live.ok()) << live.status().ToString();
  EXPECT_EQ(live->accounts[0].orders.max_orders_per_10s, 100);
}

TEST(OrderLimitsConfig, ErrorsNameTheKey) {
  EXPECT_THAT(error_of(config("  max_orders_per_10s: 0\n", "")),
              HasSubstr("x.yaml: exchange.max_orders_per_10s: '0' is not a positive integer"));
  EXPECT_THAT(error_of(config("  max_orders_per_10s: 10001\n", "")),
              HasSubstr("exchange.max_orders_per_10s: '10001' is above the limit 10000"));
  EXPECT_THAT(error_of(config("  max_orders_per_day: many\n", "")),
              HasSubstr("exchange.max_orders_per_day: 'many' is not a positive integer"));
  EXPECT_THAT(error_of(config("  max_orders_per_day: 10\n", "")),
              HasSubstr("exchange.max_orders_per_day: 10 is below max_orders_per_10s (50)"));
  std::string bad_account = kTwoAccounts;
  bad_account.replace(bad_account.find("max_orders_per_10s: 7"), 21, "max_orders_per_10s: -3");
  EXPECT_THAT(error_of(config("", bad_account)),
              HasSubstr("accounts[1].max_orders_per_10s: '-3' is not a positive integer"));
  std::string typo = kTwoAccounts;
  typo.replace(typo.find("max_orders_per_10s: 7"), 21, "max_order_per_10s: 7");
  EXPECT_THAT(error_of(config("", typo)),
              HasSubstr("accounts[1].max_order_per_10s: unknown key (did you mean "
                        "max_orders_per_10s?)"));
  EXPECT_THAT(error_of(config("", "") + "    max_orders_per_10s: 5\n"),
              HasSubstr("tasks[0].max_orders_per_10s: unknown key here (max_orders_per_10s "
                        "belongs under exchange:"));
}

// Two tasks (a grid and a top-of-book maker, both on BTCUSDT) share account alpha, limited to 5
// new orders per 10 s; the top-of-book task alone asks for far more (it amends by cancelReplace
// at every change of the best price).
struct SharedAccountRun {
  std::string root;
  Config cfg;
  std::unique_ptr<exchange::sim::SimExchange> sim;
  std::unique_ptr<journal::Journal> journal;
  std::unique_ptr<Engine> engine;

  SharedAccountRun() {
    char tmpl[] = "/tmp/keel-order-limits-XXXXXX";
    root = mkdtemp(tmpl);
    const std::string yaml = std::string(kInstrument) + "exchange:\n  kind: sim\n  data: [\"" +
                             kSpot + "btcusdt_20240808.gz\"]\n  maker_fee: \"0.0001\"\n"
                             "accounts:\n  - {id: alpha, balances: {BTC: \"0\", USDT: \"10000\"},"
                             " max_orders_per_10s: 5}\n"
                             "tasks:\n  - id: grid1\n    account: alpha\n" + kGrid +
                             "    max_intents_per_second: 1000\n    intent_burst: 1000\n"
                             "  - id: tob1\n    account: alpha\n    strategy: top_of_book\n"
                             "    params: {qty: \"0.002\", maker_fee: \"0.0001\", max_exposure: "
                             "\"500\", min_usd_balance: \"1000\"}\n"
                             "    max_intents_per_second: 1000\n    intent_burst: 1000\n";
    auto c = parse_config(yaml, "limits.yaml", root);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    cfg = std::move(*c);
    sim = std::move(*exchange::sim::SimExchange::open(sim_options(cfg, 0, root + "/sim")));
    journal = std::move(*journal::Journal::open(root + "/journal", {}));
    engine = std::make_unique<Engine>(cfg, *journal, *sim, SystemClock::instance());
  }
  ~SharedAccountRun() { fs::remove_all(root); }

  void to_the_end() {
    ASSERT_TRUE(engine->load_and_start().ok());
    ASSERT_TRUE(engine->recover().ok());
    ASSERT_TRUE(engine->decide_all().ok());
    auto reader = std::move(*market::CaptureReader::open(cfg.sim.data));
    market::MarketEvent ev;
    while (reader->next(ev).code() != Code::kEndOfData) {
      ASSERT_TRUE(sim->on_market(ev).ok());
      ASSERT_TRUE(engine->on_market(ev).ok());
      if (engine->reconcile_due(sim->venue_time_ms())) {
        ASSERT_TRUE(engine->recover().ok());
      }
    }
    ASSERT_TRUE(engine->finish_recording(0).ok());
  }
};

TEST(OrderLimitsEngine, TwoTasksOnOneAccountNeverExceedItsLimitInAnyTenSeconds) {
  SharedAccountRun r;
  r.to_the_end();
  // Every new order the journal holds (places and cancelReplace amends), by request timestamp.
  std::vector<int64_t> stamps_ms;
  std::map<std::string, uint64_t> orders_of;
  uint64_t cancels = 0;
  ASSERT_TRUE(r.journal->for_each(1, [&](const journal::Record& rec) {
    if (const auto* p = std::get_if<journal::PlaceIntent>(&rec.body)) {
      stamps_ms.push_back(p->timing.timestamp_ms);
      ++orders_of[rec.task_id];
    } else if (const auto* a = std::get_if<journal::AmendIntent>(&rec.body)) {
      if (!a->keep_priority) {
        stamps_ms.push_back(a->timing.timestamp_ms);
        ++orders_of[rec.task_id];
      }
    } else if (std::holds_alternative<journal::CancelIntent>(rec.body)) {
      ++cancels;
    }
    return true;
  }).ok());
  std::sort(stamps_ms.begin(), stamps_ms.end());
  size_t most = 0;  // the most in any window (t - 10 s, t]
  std::deque<int64_t> window;
  for (int64_t t : stamps_ms) {
    window.push_back(t);
    while (window.front() <= t - 10'000) window.pop_front();
    most = std::max(most, window.size());
  }
  EXPECT_EQ(most, 5u);  // the limit, reached and never passed
  EXPECT_GT(r.engine->stats().order_limited_by_account.at(0), 0u);  // it did bind
  EXPECT_GT(cancels, 0u);  // cancels went on regardless
  // Each task still traded: orders of its own, and fills.
  for (const char* id : {"grid1", "tob1"}) {
    const model::TaskState& t = r.engine->state().tasks.at(id);
    EXPECT_GT(orders_of[id], 10u) << id;
    EXPECT_GT(t.buys.fills + t.sells.fills, 0u) << id;
    EXPECT_TRUE(t.halted.empty()) << id << ": " << t.halted;
  }
  // The fold from disk (what a restart judges from) is the live state.
  auto folded = model::fold_journal(*r.journal);
  ASSERT_TRUE(folded.ok());
  EXPECT_EQ(model::encode_state(*folded), model::encode_state(r.engine->state()));
}

}  // namespace
}  // namespace keel::engine
