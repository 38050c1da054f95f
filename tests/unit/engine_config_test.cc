// The YAML config (issue 9 item 9): every key checked, errors that name the file and the field,
// the new keys (commission_asset, recv_window_ms, evidence_margin_ms, the intent rate), reserved
// task ids, and the data directory resolved against the config file's folder.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "keel/engine/config.h"

namespace keel::engine {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr const char* kOrigin = "config/x.yaml";

constexpr const char* kInstrument =
    "instrument: {symbol: BTCUSDT, base_asset: BTC, quote_asset: USDT, tick_size: \"0.01\","
    " step_size: \"0.00001\", min_notional: \"5\"}\n";

std::string sim_exchange(const std::string& extra = "") {
  return "exchange:\n  kind: sim\n  data: [a.gz]\n  maker_fee: \"0.0001\"\n"
         "  balances: {BTC: \"0\", USDT: \"10000\"}\n" + extra;
}

std::string binance_exchange(const std::string& extra = "") {
  return "exchange:\n  kind: binance\n  rest_url: http://127.0.0.1:1\n  ws_url: ws://127.0.0.1:1\n"
         "  ws_api_url: ws://127.0.0.1:1/ws-api/v3\n" + extra;
}

// One grid task; `task_extra` lines sit beside params (4 spaces), `params_extra` inside.
std::string tasks(const std::string& task_extra = "", const std::string& params_extra = "",
                  const std::string& id = "grid1") {
  return "tasks:\n  - id: " + id + "\n    strategy: grid\n" + task_extra +
         "    params:\n      price_interval: \"5\"\n      order_quantity: \"0.002\"\n" +
         params_extra;
}

Result<Config> parse(const std::string& yaml) { return parse_config(yaml, kOrigin, "config"); }

// The error text of a config that must be refused.
std::string error_of(const std::string& yaml) {
  auto r = parse(yaml);
  if (r.ok()) {
    ADD_FAILURE() << "accepted:\n" << yaml;
    return {};
  }
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  return r.status().message();
}

TEST(Config, MinimalSimAndBinanceParseWithDefaults) {
  auto sim = parse(std::string(kInstrument) + sim_exchange() + tasks());
  ASSERT_TRUE(sim.ok()) << sim.status().ToString();
  EXPECT_EQ(sim->exchange_kind, "sim");
  EXPECT_EQ(sim->sim.data, std::vector<std::string>{"config/a.gz"});
  EXPECT_EQ(sim->sim.commission_mode, exchange::sim::CommissionMode::kQuote);
  EXPECT_EQ(sim->snapshot_every_records, 1000u);
  EXPECT_TRUE(sim->data_dir.empty());  // load_config applies the default
  ASSERT_EQ(sim->tasks.size(), 1u);
  EXPECT_EQ(sim->tasks[0].rate.per_second, IntentRate{}.per_second);
  EXPECT_EQ(sim->tasks[0].rate.burst, IntentRate{}.burst);

  auto bin = parse(std::string(kInstrument) + binance_exchange() + tasks());
  ASSERT_TRUE(bin.ok()) << bin.status().ToString();
  EXPECT_EQ(bin->binance.recv_window_ms, 5000);
  EXPECT_EQ(bin->binance.evidence_margin_ms, 1000);
  EXPECT_EQ(bin->binance.reconcile_every_ms, 5000);
  EXPECT_EQ(bin->binance.credentials.api_key_env, "KEEL_API_KEY");
}

// ---- Unknown keys ----------------------------------------------------------------------

// Issue 9, problem 8: `maker_fees:` used to run with the default fee, silently.
TEST(ConfigUnknownKeys, ATypoInAConfigKeyIsAnErrorNamingTheNearestKey) {
  EXPECT_EQ(error_of(std::string(kInstrument) + sim_exchange() +
                     tasks("", "      maker_fees: \"0.001\"\n")),
            "config/x.yaml: tasks[0].params.maker_fees: unknown key (did you mean maker_fee? "
            "maker_fee belongs under exchange: with kind: sim)");
}

TEST(ConfigUnknownKeys, ExactKeyElsewhereNamesWhereItBelongs) {
  EXPECT_THAT(error_of(std::string(kInstrument) + sim_exchange() +
                       tasks("", "      maker_fee: \"0.001\"\n")),
              HasSubstr("config/x.yaml: tasks[0].params.maker_fee: unknown key here (maker_fee "
                        "belongs under exchange:"));
  // A grid parameter beside params, and a task limit inside params.
  EXPECT_EQ(error_of(std::string(kInstrument) + sim_exchange() +
                     tasks("    max_open_orders: 3\n")),
            "config/x.yaml: tasks[0].max_open_orders: unknown key here (max_open_orders belongs "
            "under tasks[i].params: of strategy: grid)");
  EXPECT_EQ(error_of(std::string(kInstrument) + sim_exchange() +
                     tasks("", "      intent_burst: 3\n")),
            "config/x.yaml: tasks[0].params.intent_burst: unknown key here (intent_burst belongs "
            "under tasks[i]: next to params:)");
  // An instrument key at the top level.
  EXPECT_THAT(error_of("symbol: BTCUSDT\n" + std::string(kInstrument) + sim_exchange() + tasks()),
              HasSubstr("config/x.yaml: symbol: unknown key here (symbol belongs under "
                        "instrument:)"));
}

TEST(ConfigUnknownKeys, NearLocalKeyIsSuggested) {
  EXPECT_EQ(error_of(std::string(kInstrument) + sim_exchange() +
                     tasks("", "      price_intervall: \"5\"\n")),
            "config/x.yaml: tasks[0].params.price_intervall: unknown key (did you mean "
            "price_interval?)");
  // A transposition counts as one edit.
  EXPECT_EQ(error_of("instrument: {symbol: BTCUSDT, bsae_asset: BTC, quote_asset: USDT}\n" +
                     sim_exchange() + tasks()),
            "config/x.yaml: instrument.bsae_asset: unknown key (did you mean base_asset?)");
  EXPECT_EQ(error_of(std::string(kInstrument) + "snapshot_every_record: 5\n" + sim_exchange() +
                     tasks()),
            "config/x.yaml: snapshot_every_record: unknown key (did you mean "
            "snapshot_every_records?)");
  EXPECT_EQ(error_of(std::string(kInstrument) + sim_exchange("  sped: max\n") + tasks()),
            "config/x.yaml: exchange.sped: unknown key (did you mean speed?)");
  EXPECT_EQ(error_of(std::string(kInstrument) + sim_exchange() +
                     tasks("    max_intent_per_second: 3\n")),
            "config/x.yaml: tasks[0].max_intent_per_second: unknown key (did you mean "
            "max_intents_per_second?)");
  // A misspelt kind is named rather than reported as a missing kind.
  EXPECT_EQ(error_of(std::string(kInstrument) + "exchange: {kinds: sim}\n" + tasks()),
            "config/x.yaml: exchange.kinds: unknown key (did you mean kind?)");
}

TEST(ConfigUnknownKeys, FarKeyListsTheKnownKeys) {
  EXPECT_EQ(error_of(std::string(kInstrument) + sim_exchange() +
                     tasks("", "      stop_loss: \"100\"\n")),
            "config/x.yaml: tasks[0].params.stop_loss: unknown key (known keys here: "
            "price_interval, order_quantity, buy_window_size, sell_window_size, "
            "max_open_orders, dynamic_interval, volatility_scale, baseline_atr, atr_period_s, "
            "atr_periods, interval_step, inventory_skew_factor, inventory_target, "
            "risk_atr_ratio, max_consecutive_losses, breaker_cooldown_s, fee_rate, "
            "stale_order_s, account_check)");
  EXPECT_EQ(error_of(std::string(kInstrument) + sim_exchange() + tasks() + "colour: blue\n"),
            "config/x.yaml: colour: unknown key (known keys here: data_dir, "
            "snapshot_every_records, instrument, instruments, exchange, accounts, tasks)");
  EXPECT_THAT(error_of(std::string(kInstrument) + sim_exchange() +
                       tasks("    leverage: 3\n")),
              HasSubstr("tasks[0].leverage: unknown key (known keys here: id, account, symbol, strategy, params, "
                        "max_intents_per_second, intent_burst, risk)"));
}

TEST(ConfigUnknownKeys, KeyOfTheOtherExchangeKind) {
  EXPECT_EQ(error_of(std::string(kInstrument) + binance_exchange("  maker_fee: \"0.001\"\n") +
                     tasks()),
            "config/x.yaml: exchange.maker_fee: unknown key for kind: binance (maker_fee belongs "
            "to kind: sim)");
  EXPECT_EQ(error_of(std::string(kInstrument) + binance_exchange("  commission_asset: base\n") +
                     tasks()),
            "config/x.yaml: exchange.commission_asset: unknown key for kind: binance "
            "(commission_asset belongs to kind: sim)");
  EXPECT_EQ(error_of(std::string(kInstrument) + sim_exchange("  recv_window_ms: 5000\n") +
                     tasks()),
            "config/x.yaml: exchange.recv_window_ms: unknown key for kind: sim (recv_window_ms "
            "belongs to kind: binance)");
  // Near a key of the other kind only.
  EXPECT_THAT(error_of(std::string(kInstrument) + sim_exchange("  rest_ur: http://x\n") + tasks()),
              HasSubstr("exchange.rest_ur: unknown key (did you mean rest_url? rest_url belongs "
                        "under exchange: with kind: binance)"));
}

TEST(ConfigUnknownKeys, EveryTaskIsChecked) {
  const std::string two = std::string(kInstrument) + sim_exchange() + tasks() +
                          "  - id: grid2\n    strategy: grid\n    params: {price_interval: \"5\","
                          " order_quantity: \"0.002\", sell_windw_size: 3}\n";
  EXPECT_EQ(error_of(two),
            "config/x.yaml: tasks[1].params.sell_windw_size: unknown key (did you mean "
            "sell_window_size?)");
}

TEST(ConfigUnknownKeys, NonScalarKeyIsAnErrorNotAnException) {
  EXPECT_THAT(error_of(std::string(kInstrument) + sim_exchange() + tasks() + "? [a, b]\n: 1\n"),
              HasSubstr("config/x.yaml: (a key): a key must be a plain name"));
}

// ---- New keys --------------------------------------------------------------------------

TEST(ConfigCommission, Modes) {
  auto mode = [](const std::string& value) {
    return parse(std::string(kInstrument) + sim_exchange("  commission_asset: " + value + "\n") +
                 tasks());
  };
  auto q = mode("quote");
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(q->sim.commission_mode, exchange::sim::CommissionMode::kQuote);
  auto b = mode("base");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->sim.commission_mode, exchange::sim::CommissionMode::kBase);
  auto bnb = mode("BNB:600");
  ASSERT_TRUE(bnb.ok()) << bnb.status().ToString();
  EXPECT_EQ(bnb->sim.commission_mode, exchange::sim::CommissionMode::kOther);
  EXPECT_EQ(bnb->sim.commission_asset, "BNB");
  EXPECT_EQ(bnb->sim.commission_asset_price_e8, 600 * kOneE8);
  auto frac = mode("\"BNB:612.5\"");
  ASSERT_TRUE(frac.ok()) << frac.status().ToString();
  EXPECT_EQ(frac->sim.commission_asset_price_e8, 61'250'000'000);
  auto digits = mode("1000SATS:0.00001");
  ASSERT_TRUE(digits.ok()) << digits.status().ToString();
  EXPECT_EQ(digits->sim.commission_asset_price_e8, 1000);

  for (const char* bad : {"BNB", "bnb:600", "BNB:0", "BNB:-1", "BNB:x", "\"BNB:\"", "\":600\"",
                          "BNB:0.000000001", "Quote", "USDT:1", "[BNB, 600]"}) {
    auto r = mode(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_THAT(r.status().message(), HasSubstr("config/x.yaml: exchange.commission_asset: "))
        << bad;
  }
  EXPECT_THAT(mode("USDT:1").status().message(), HasSubstr("write commission_asset: quote"));
}

TEST(ConfigBinance, RecvWindowAndEvidenceMargin) {
  auto with = [](const std::string& lines) {
    return parse(std::string(kInstrument) + binance_exchange(lines) + tasks());
  };
  auto r = with("  recv_window_ms: 60000\n  evidence_margin_ms: 0\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->binance.recv_window_ms, 60000);
  EXPECT_EQ(r->binance.evidence_margin_ms, 0);
  r = with("  recv_window_ms: 1\n  evidence_margin_ms: 60000\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->binance.recv_window_ms, 1);
  EXPECT_EQ(r->binance.evidence_margin_ms, 60000);

  for (const char* bad : {"0", "60001", "-5", "5.5", "abc", "[1]"}) {
    auto e = with(std::string("  recv_window_ms: ") + bad + "\n");
    ASSERT_FALSE(e.ok()) << bad;
    EXPECT_THAT(e.status().message(), HasSubstr("config/x.yaml: exchange.recv_window_ms: ")) << bad;
  }
  EXPECT_THAT(with("  recv_window_ms: 60001\n").status().message(),
              HasSubstr("not an integer in [1, 60000]"));
  for (const char* bad : {"-1", "60001", "1e3", "{}"}) {
    auto e = with(std::string("  evidence_margin_ms: ") + bad + "\n");
    ASSERT_FALSE(e.ok()) << bad;
    EXPECT_THAT(e.status().message(), HasSubstr("config/x.yaml: exchange.evidence_margin_ms: "))
        << bad;
  }
}

// Issue 10 item 3: under kind binance an account may trade several symbols (one connection
// serves them all: exchange/binance/binance.h); account_instruments lists them in the order of
// `instruments:`, whatever the tasks' order.
TEST(ConfigBinance, AnAccountTradesSeveralSymbols) {
  const std::string yaml =
      "instruments:\n"
      "  - {symbol: BTCUSDT, base_asset: BTC, quote_asset: USDT, tick_size: \"0.01\","
      " step_size: \"0.00001\", min_notional: \"5\"}\n"
      "  - {symbol: ETHUSDT, base_asset: ETH, quote_asset: USDT, tick_size: \"0.01\","
      " step_size: \"0.0001\", min_notional: \"5\"}\n" +
      binance_exchange() +
      "tasks:\n"
      "  - {id: tob1, symbol: ETHUSDT, strategy: top_of_book, params: {qty: \"0.04\","
      " maker_fee: \"0.0001\", max_exposure: \"500\", min_usd_balance: \"1000\"}}\n"
      "  - {id: grid1, symbol: BTCUSDT, strategy: grid, params: {price_interval: \"5\","
      " order_quantity: \"0.002\"}}\n";
  auto cfg = parse(yaml);
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  ASSERT_EQ(cfg->accounts.size(), 1u);
  ASSERT_EQ(cfg->tasks.size(), 2u);
  EXPECT_EQ(cfg->tasks[0].account, cfg->tasks[1].account);
  const std::vector<Instrument> ins = account_instruments(*cfg, 0);
  ASSERT_EQ(ins.size(), 2u);
  EXPECT_EQ(ins[0].symbol, "BTCUSDT");
  EXPECT_EQ(ins[1].symbol, "ETHUSDT");
  EXPECT_EQ(ins[1].step_e8, 10'000);
  EXPECT_EQ(account_instrument(*cfg, 0).symbol, "ETHUSDT");  // the first task's
}

TEST(ConfigTasks, IntentRateIsParsedAndNotPartOfParamsText) {
  auto plain = parse(std::string(kInstrument) + sim_exchange() + tasks());
  auto rated = parse(std::string(kInstrument) + sim_exchange() +
                     tasks("    max_intents_per_second: 2\n    intent_burst: 7\n"));
  ASSERT_TRUE(plain.ok() && rated.ok()) << rated.status().ToString();
  EXPECT_EQ(rated->tasks[0].rate.per_second, 2);
  EXPECT_EQ(rated->tasks[0].rate.burst, 7);
  // Operational limits: changing them keeps the journaled params.
  EXPECT_EQ(rated->tasks[0].params_text, plain->tasks[0].params_text);
  EXPECT_EQ(plain->tasks[0].params_text,
            "price_interval=5;order_quantity=0.002;buy_window_size=5;sell_window_size=5;"
            "max_open_orders=64");

  for (const char* key : {"max_intents_per_second", "intent_burst"}) {
    for (const char* bad : {"0", "-1", "1.5", "many", "[1]"}) {
      auto e = parse(std::string(kInstrument) + sim_exchange() +
                     tasks(std::string("    ") + key + ": " + bad + "\n"));
      ASSERT_FALSE(e.ok()) << key << " " << bad;
      EXPECT_THAT(e.status().message(), HasSubstr(std::string("config/x.yaml: tasks[0].") + key +
                                                  ": "))
          << bad;
    }
  }
}

TEST(ConfigTasks, ReservedAndInvalidIds) {
  EXPECT_EQ(error_of(std::string(kInstrument) + sim_exchange() + tasks("", "", "_journal")),
            "config/x.yaml: tasks[0].id: '_journal' starts with '_' (reserved for journal-wide "
            "records)");
  EXPECT_THAT(error_of(std::string(kInstrument) + sim_exchange() + tasks("", "", "a-b")),
              HasSubstr("config/x.yaml: tasks[0].id: "));
  auto ok = parse(std::string(kInstrument) + sim_exchange() + tasks("", "", "grid_1"));
  EXPECT_TRUE(ok.ok()) << ok.status().ToString();
}

// Strategies come from the registry (keel/strategy/registry.h): an unknown name lists the known
// ones; a strategy's params are read against its schema, defaults included in the journaled
// params text, which is what the grid journaled before the registry (so its tasks still match).
TEST(ConfigStrategies, TheRegistryNamesTheStrategyAndParsesItsParams) {
  const std::string unknown =
      std::string(kInstrument) + sim_exchange() +
      "tasks:\n  - {id: g, strategy: gird, params: {price_interval: \"5\"}}\n";
  EXPECT_THAT(error_of(unknown),
              HasSubstr("config/x.yaml: tasks[0].strategy: 'gird' is not known (known: "
                        "avellaneda_stoikov, grid, mode_flip, tiered, top_of_book)"));
  auto ok = parse(std::string(kInstrument) + sim_exchange() + tasks("", "      sell_window_size: 7\n"));
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  const TaskConfig& t = ok->tasks.at(0);
  ASSERT_NE(t.impl, nullptr);
  EXPECT_STREQ(t.impl->name(), "grid");
  EXPECT_EQ(t.params_text,
            "price_interval=5;order_quantity=0.002;buy_window_size=5;sell_window_size=7;"
            "max_open_orders=64");
  // A required param missing says what it is.
  EXPECT_THAT(error_of(std::string(kInstrument) + sim_exchange() +
                       "tasks:\n  - {id: g, strategy: grid, params: {price_interval: \"5\"}}\n"),
              HasSubstr("config/x.yaml: tasks[0].params.order_quantity: missing (quantity of each "
                        "buy, base units"));
  // Ranges come from the schema.
  EXPECT_THAT(error_of(std::string(kInstrument) + sim_exchange() +
                       tasks("", "      buy_window_size: 0\n")),
              HasSubstr("config/x.yaml: tasks[0].params.buy_window_size: '0' is not a positive "
                        "integer"));
  EXPECT_THAT(error_of(std::string(kInstrument) + sim_exchange() +
                       tasks("", "      max_open_orders: 1000001\n")),
              HasSubstr("config/x.yaml: tasks[0].params.max_open_orders: '1000001' is above the "
                        "limit 1000000"));
}

// tasks[i].risk: every limit optional, amounts as decimals, errors naming the key.
TEST(ConfigRisk, LimitsParseAndBadOnesNameTheirKey) {
  auto ok = parse(std::string(kInstrument) + sim_exchange() +
                  tasks("    risk: {max_position: \"0.006\", min_quote_balance: \"500\", "
                        "max_open_orders: 8, caution_percent: 90}\n"));
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  const risk::Limits& l = ok->tasks.at(0).risk;
  EXPECT_EQ(l.max_position_e8, 600'000);
  EXPECT_EQ(l.min_quote_balance_e8, 500 * kOneE8);
  EXPECT_EQ(l.max_notional_e8, 0);
  EXPECT_EQ(l.max_open_orders, 8);
  EXPECT_EQ(l.caution_percent, 90);
  EXPECT_FALSE(parse(std::string(kInstrument) + sim_exchange() + tasks())->tasks.at(0).risk.any());
  EXPECT_THAT(error_of(std::string(kInstrument) + sim_exchange() +
                       tasks("    risk: {max_position: \"-1\"}\n")),
              HasSubstr("config/x.yaml: tasks[0].risk.max_position: '-1' must be positive"));
  EXPECT_THAT(error_of(std::string(kInstrument) + sim_exchange() +
                       tasks("    risk: {caution_percent: 0}\n")),
              HasSubstr("config/x.yaml: tasks[0].risk.caution_percent: '0' is not an integer in "
                        "[1, 100]"));
  EXPECT_THAT(error_of(std::string(kInstrument) + sim_exchange() +
                       tasks("    risk: {max_postion: \"1\"}\n")),
              HasSubstr("config/x.yaml: tasks[0].risk.max_postion: unknown key (did you mean "
                        "max_position?)"));
}

// tasks[i].risk's market guards (seed 003): bps with two decimals, depth in base, fills as an
// integer; the band only with min_depth; errors name the key.
TEST(ConfigRisk, MarketGuardsParseAndBadOnesNameTheirKey) {
  auto ok = parse(std::string(kInstrument) + sim_exchange() +
                  tasks("    risk: {max_price_jump_bps: 5, max_spread_bps: \"2.5\", "
                        "min_depth: \"1.5\", depth_band_bps: 5, max_fills_per_minute: 12}\n"));
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  const risk::Limits& l = ok->tasks.at(0).risk;
  EXPECT_EQ(l.max_price_jump_bps_e2, 500);
  EXPECT_EQ(l.max_spread_bps_e2, 250);
  EXPECT_EQ(l.min_depth_e8, 150'000'000);
  EXPECT_EQ(l.depth_band_bps_e2, 500);
  EXPECT_EQ(l.max_fills_per_minute, 12);
  EXPECT_TRUE(l.any() && l.watches_market());
  auto depth = parse(std::string(kInstrument) + sim_exchange() +
                     tasks("    risk: {min_depth: \"2\"}\n"));
  ASSERT_TRUE(depth.ok());
  EXPECT_EQ(depth->tasks.at(0).risk.depth_band_bps_e2, 1'000);  // 10 bps unless given
  EXPECT_THAT(error_of(std::string(kInstrument) + sim_exchange() +
                       tasks("    risk: {max_spread_bps: \"2.555\"}\n")),
              HasSubstr("config/x.yaml: tasks[0].risk.max_spread_bps: '2.555' is not a number of "
                        "bps in (0, 10000] with at most two decimals"));
  EXPECT_THAT(error_of(std::string(kInstrument) + sim_exchange() +
                       tasks("    risk: {max_price_jump_bps: 0}\n")),
              HasSubstr("tasks[0].risk.max_price_jump_bps: '0' is not a number of bps"));
  EXPECT_THAT(error_of(std::string(kInstrument) + sim_exchange() +
                       tasks("    risk: {depth_band_bps: 5}\n")),
              HasSubstr("tasks[0].risk.depth_band_bps: is the band of min_depth: set min_depth "
                        "too"));
  EXPECT_THAT(error_of(std::string(kInstrument) + sim_exchange() +
                       tasks("    risk: {max_fills_per_minute: -3}\n")),
              HasSubstr("tasks[0].risk.max_fills_per_minute: '-3' is not a positive integer"));
  EXPECT_THAT(error_of(std::string(kInstrument) + sim_exchange() +
                       tasks("    risk: {min_dept: \"1\"}\n")),
              HasSubstr("tasks[0].risk.min_dept: unknown key (did you mean min_depth?)"));
}

// A tiered task (seed 003): its params' defaults in the journaled text, and bad values named.
TEST(ConfigTiered, ParamsDefaultsAndErrors) {
  auto tiered = [](const std::string& params) {
    return std::string(kInstrument) + sim_exchange() +
           "tasks:\n  - id: t1\n    strategy: tiered\n    params:\n      base_qty: \"0.001\"\n" +
           params;
  };
  auto ok = parse(tiered(""));
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->tasks.at(0).params_text,
            "risk_level=conservative;tiers=1;base_qty=0.001;cooldown_ms=5000;requote_bps=1;"
            "requote_by=amend");
  auto three = parse(tiered("      risk_level: aggressive\n      tiers: 3\n      requote_by: cancel\n"));
  ASSERT_TRUE(three.ok()) << three.status().ToString();
  EXPECT_EQ(three->tasks.at(0).impl->opening_orders(6183764).size(), 3u);
  EXPECT_THAT(error_of(tiered("      tiers: 4\n")),
              HasSubstr("config/x.yaml: tasks[0].params.tiers: '4' is above the limit 3"));
  EXPECT_THAT(error_of(tiered("      risk_level: bold\n")),
              HasSubstr("tasks[0].params.risk_level: 'bold' is not one of "
                        "conservative,moderate,aggressive"));
  EXPECT_THAT(error_of(tiered("      requote_bps: \"3\"\n")),
              HasSubstr("tasks[0].params.requote_bps: "));
  EXPECT_THAT(error_of(tiered("      requote_bps: \"1.005\"\n")),
              HasSubstr("tasks[0].params.requote_bps: at most two decimals (0.01 bps)"));
  EXPECT_THAT(error_of(std::string(kInstrument) + sim_exchange() +
                       "tasks:\n  - id: t1\n    strategy: tiered\n    params: {tiers: 2}\n"),
              HasSubstr("tasks[0].params.base_qty: "));
}

TEST(ConfigValues, MalformedValuesNameTheField) {
  EXPECT_THAT(error_of(std::string(kInstrument) + sim_exchange() +
                       "tasks:\n  - {id: g, strategy: grid, params: {price_interval: \"5.x\", "
                       "order_quantity: \"0.002\"}}\n"),
              HasSubstr("config/x.yaml: tasks[0].params.price_interval: '5.x' is not a decimal"));
  EXPECT_THAT(error_of(std::string(kInstrument) +
                       "exchange:\n  kind: sim\n  data: [a.gz]\n  balances: {usdt: \"1\"}\n" +
                       tasks()),
              HasSubstr("config/x.yaml: exchange.balances.usdt: 'usdt' is not an asset name"));
  EXPECT_THAT(error_of(std::string(kInstrument) +
                       "exchange:\n  kind: sim\n  data: [[a.gz]]\n  balances: {USDT: \"1\"}\n" +
                       tasks()),
              HasSubstr("config/x.yaml: exchange.data[0]: "));
  EXPECT_THAT(error_of(std::string(kInstrument) + sim_exchange("  speed: [1]\n") + tasks()),
              HasSubstr("config/x.yaml: exchange.speed: "));
  EXPECT_THAT(error_of(std::string(kInstrument) + sim_exchange() + tasks() +
                       "snapshot_every_records: -1\n"),
              HasSubstr("config/x.yaml: snapshot_every_records: '-1' is not an integer >= 0"));
  EXPECT_THAT(error_of(std::string(kInstrument) + sim_exchange() + tasks() + "data_dir: [a]\n"),
              HasSubstr("config/x.yaml: data_dir: "));
  EXPECT_THAT(error_of(std::string(kInstrument) + binance_exchange("  api_key_env: \"\"\n") +
                       tasks()),
              HasSubstr("config/x.yaml: exchange.api_key_env: must not be empty"));
  EXPECT_THAT(error_of(std::string(kInstrument) + sim_exchange() + "tasks: [grid1]\n"),
              HasSubstr("config/x.yaml: tasks[0]: must be a map"));
}

TEST(ConfigValues, DuplicateKeysAreRefused) {
  // yaml-cpp keeps both and answers with the first: a silent wrong value.
  EXPECT_EQ(error_of(std::string(kInstrument) + sim_exchange() +
                     tasks("", "      price_interval: \"10\"\n")),
            "config/x.yaml: tasks[0].params.price_interval: given twice");
  EXPECT_EQ(error_of(std::string(kInstrument) + sim_exchange("  maker_fee: \"0.001\"\n") + tasks()),
            "config/x.yaml: exchange.maker_fee: given twice");
  EXPECT_EQ(error_of(std::string(kInstrument) +
                     "exchange:\n  kind: sim\n  data: [a.gz]\n  balances: {USDT: \"1\", USDT: \"2\"}\n" +
                     tasks()),
            "config/x.yaml: exchange.balances.USDT: given twice");
  EXPECT_EQ(error_of(std::string(kInstrument) + sim_exchange() + tasks() + "tasks: []\n"),
            "config/x.yaml: tasks: given twice");
}

// ---- The data directory ----------------------------------------------------------------

TEST(ConfigDataDir, RelativeToTheConfigFolder) {
  auto rel = parse_config(std::string(kInstrument) + sim_exchange() + tasks() +
                              "data_dir: ../var/NAME\n",
                          kOrigin, "config");
  ASSERT_TRUE(rel.ok()) << rel.status().ToString();
  EXPECT_EQ(rel->data_dir, "var/NAME");
  auto deep = parse_config(std::string(kInstrument) + sim_exchange() + tasks() +
                               "data_dir: state\n",
                           kOrigin, "/srv/keel/config");
  ASSERT_TRUE(deep.ok());
  EXPECT_EQ(deep->data_dir, "/srv/keel/config/state");
  auto abs = parse_config(std::string(kInstrument) + sim_exchange() + tasks() +
                              "data_dir: /data/keel/run1\n",
                          kOrigin, "config");
  ASSERT_TRUE(abs.ok());
  EXPECT_EQ(abs->data_dir, "/data/keel/run1");
}

class ConfigFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    old_cwd_ = fs::current_path();
    root_ = fs::temp_directory_path() /
            ("keel-config-test-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "proj" / "conf");
    fs::create_directories(root_ / "elsewhere");
    root_ = fs::canonical(root_);  // getcwd() reports the canonical path
  }
  void TearDown() override {
    fs::current_path(old_cwd_);
    fs::remove_all(root_);
  }
  void write(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }

  // data_dir as a path from the current directory, made absolute for comparison.
  static fs::path absolute_dir(const Config& c) {
    return fs::absolute(c.data_dir).lexically_normal();
  }

  fs::path old_cwd_;
  fs::path root_;
};

TEST_F(ConfigFiles, SameDataDirFromAnyWorkingDirectory) {
  const fs::path cfg = root_ / "proj" / "conf" / "grid-a.yaml";
  write(cfg, std::string(kInstrument) + sim_exchange() + tasks() + "data_dir: ../var/grid-a\n");

  fs::current_path(root_ / "proj");
  auto from_proj = load_config("conf/grid-a.yaml", false);  // relative config path
  ASSERT_TRUE(from_proj.ok()) << from_proj.status().ToString();
  const fs::path a = absolute_dir(*from_proj);
  const fs::path data_a = fs::absolute(from_proj->sim.data[0]).lexically_normal();

  fs::current_path(root_ / "elsewhere");
  auto from_elsewhere = load_config(cfg.string(), false);  // absolute config path
  ASSERT_TRUE(from_elsewhere.ok()) << from_elsewhere.status().ToString();
  const fs::path b = absolute_dir(*from_elsewhere);

  EXPECT_EQ(a, root_ / "proj" / "var" / "grid-a");
  EXPECT_EQ(b, a);
  EXPECT_EQ(data_a, root_ / "proj" / "conf" / "a.gz");
  EXPECT_EQ(fs::absolute(from_elsewhere->sim.data[0]).lexically_normal(), data_a);

  // A third: relative, from the config's own folder (the path has no folder part).
  fs::current_path(root_ / "proj" / "conf");
  auto from_conf = load_config("grid-a.yaml", false);
  ASSERT_TRUE(from_conf.ok()) << from_conf.status().ToString();
  EXPECT_EQ(absolute_dir(*from_conf), a);
}

TEST_F(ConfigFiles, DefaultIsVarStemBesideTheConfig) {
  const fs::path cfg = root_ / "proj" / "conf" / "grid-b.yaml";
  write(cfg, std::string(kInstrument) + sim_exchange() + tasks());
  fs::current_path(root_ / "proj");
  auto rel = load_config("conf/grid-b.yaml", false);
  ASSERT_TRUE(rel.ok()) << rel.status().ToString();
  EXPECT_EQ(rel->data_dir, "conf/var/grid-b");
  fs::current_path(root_ / "elsewhere");
  auto abs = load_config(cfg.string(), false);
  ASSERT_TRUE(abs.ok()) << abs.status().ToString();
  EXPECT_EQ(fs::path(abs->data_dir), root_ / "proj" / "conf" / "var" / "grid-b");
  EXPECT_EQ(absolute_dir(*abs), fs::path(root_ / "proj" / rel->data_dir).lexically_normal());
}

TEST_F(ConfigFiles, ErrorsNameTheFileAsGiven) {
  write(root_ / "proj" / "conf" / "bad.yaml",
        std::string(kInstrument) + sim_exchange() + tasks("", "      maker_fees: 1\n"));
  fs::current_path(root_ / "proj");
  auto r = load_config("conf/bad.yaml", false);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(),
              HasSubstr("conf/bad.yaml: tasks[0].params.maker_fees: unknown key (did you mean "
                        "maker_fee?"));
  auto missing = load_config("conf/none.yaml", false);
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
}

// The shipped examples parse, and keep writing to var/<stem>/ at the repository root.
TEST(ConfigExamples, ShippedConfigsLoadAndWriteToRepoVar) {
  const fs::path src = fs::path(KEEL_SOURCE_DIR).lexically_normal();
  for (const char* stem : {"paper-btcusdt-grid", "loopback-btcusdt-grid", "testnet-btcusdt-grid"}) {
    const fs::path file = src / "config" / (std::string(stem) + ".yaml");
    auto cfg = load_config(file.string(), false);
    ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
    EXPECT_EQ(fs::path(cfg->data_dir), src / "var" / stem) << stem;
    ASSERT_FALSE(cfg->tasks.empty());
  }
  auto paper = load_config((src / "config" / "paper-btcusdt-grid.yaml").string(), false);
  ASSERT_TRUE(paper.ok());
  EXPECT_EQ(paper->tasks[0].params_text,
            "price_interval=5;order_quantity=0.002;buy_window_size=5;sell_window_size=5;"
            "max_open_orders=20");
}

}  // namespace
}  // namespace keel::engine
