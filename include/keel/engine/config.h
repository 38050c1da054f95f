// keel/engine/config.h: the run configuration (YAML), validated with errors that name the file
// and the field ("config/x.yaml: tasks[0].params.price_interval: '10.x' is not a decimal").
//
// Shape (config/paper-btcusdt-grid.yaml is the reference example):
//   data_dir: DIR                      # optional; relative to the config file's folder; default
//                                      # <config file's folder>/var/<config file stem>/
//   snapshot_every_records: 1000       # optional; a state snapshot every N journal records
//   instrument: {symbol, base_asset, quote_asset, tick_size, step_size, min_notional}
//   exchange:
//     kind: sim                        # the embedded simulated exchange
//     speed: max                       # "max" (lock-step, deterministic) or a multiplier > 0
//     data: [FILE, ...]                # recorded captures, relative to the config file's folder
//     maker_fee: "0.001"               # fraction of notional (0.001 = 10 bps)
//     balances: {ASSET: "amount"}      # the simulated account's starting balances
//     commission_asset: quote          # quote | base | ASSET:PRICE (SimConfig)
//   # or, for the Binance Spot API (production, testnet, or `keel sim` on loopback):
//   exchange: {kind: binance, rest_url, ws_url, ws_api_url, api_key_env, api_secret_env,
//              reconcile_every_ms, recv_window_ms, evidence_margin_ms}
//   tasks:
//     - {id: grid1, strategy: grid, params: {price_interval, order_quantity,
//        buy_window_size, sell_window_size, max_open_orders},
//        max_intents_per_second, intent_burst}
// Every key is checked: an unknown one is an error naming it and the nearest known key
// ("tasks[0].params.maker_fees: unknown key (did you mean maker_fee?)").
#pragma once

#include <string>
#include <vector>

#include "keel/core/instrument.h"
#include "keel/core/status.h"
#include "keel/exchange/exchange.h"
#include "keel/exchange/sim.h"
#include "keel/strategy/grid.h"

namespace keel::engine {

// A task's request budget (issue 9 "no request storms"), enforced before the journal: a token
// bucket on exchange time of `intent_burst` intents (places and cancels) refilled at
// `max_intents_per_second`. Intents beyond it wait for a later decision (the strategy decides
// again); the run reports how many were throttled. Keys: tasks[].max_intents_per_second,
// tasks[].intent_burst (outside params: they are not strategy parameters).
struct IntentRate {
  int64_t per_second = 5;  // Binance's ORDERS limit is 50 per 10 s per account (binance-spot.md §2)
  int64_t burst = 20;
};

struct TaskConfig {
  std::string id;
  std::string strategy;      // "grid"
  strategy::GridParams grid;
  std::string params_text;   // canonical "key=value;..." of the params, journaled for audit
  IntentRate rate;
};

struct SimConfig {
  std::string speed = "max";
  double speed_multiplier = 0;      // 0 for max
  std::vector<std::string> data;    // absolute or cwd-relative paths, resolved
  int64_t maker_fee_rate_e8 = 100'000;
  // exchange.commission_asset: "quote" (default), "base" (Binance's default: a BUY pays in base,
  // a SELL in quote) or "ASSET:PRICE" (e.g. "BNB:600": every commission in BNB at 600 quote
  // per BNB). See exchange/sim.h CommissionMode.
  exchange::sim::CommissionMode commission_mode = exchange::sim::CommissionMode::kQuote;
  std::string commission_asset;
  int64_t commission_asset_price_e8 = 0;
  exchange::Balances balances;
};

// exchange.kind: binance -- the real Binance Spot API, or anything speaking it (`keel sim`).
// Secrets are never in the file: api_key_env / api_secret_env name environment variables.
struct BinanceVenueConfig {
  std::string rest_url;    // "https://api.binance.com", "http://127.0.0.1:PORT"
  std::string ws_url;      // market streams base: "wss://stream.binance.com:9443"
  std::string ws_api_url;  // "wss://ws-api.binance.com:443/ws-api/v3"
  std::string api_key_env = "KEEL_API_KEY";
  std::string api_secret_env = "KEEL_API_SECRET";
  int64_t reconcile_every_ms = 5'000;  // periodic evidence queries for unresolved intents (R1)
  // recvWindow of every signed request (binance-spot.md §1: default 5000, max 60000), journaled
  // with each intent (RequestStamp).
  int64_t recv_window_ms = 5'000;
  // R1: "the order does not exist" settles an in-doubt place as never received only once the
  // venue clock is past timestamp + recvWindow + this margin (covers the error of the measured
  // server-time offset).
  int64_t evidence_margin_ms = 1'000;
};

struct Config {
  std::string path;       // the file it came from
  uint64_t snapshot_every_records = 1'000;  // journal snapshot cadence (0: never)
  std::string data_dir;   // resolved
  Instrument instrument;
  std::string exchange_kind = "sim";  // "sim" (embedded) | "binance"
  SimConfig sim;
  BinanceVenueConfig binance;
  std::vector<TaskConfig> tasks;
  // W1 needs true (the default; no config file can change it). Only `keel bench` sets false,
  // to measure replay throughput and the non-I/O part of tick-to-request without the sync.
  bool sync_intents = true;
};

// Loads and validates `path`. Errors: kNotFound (the file, or a data file when
// `check_data_files`), kInvalidArgument naming the field. Commands that only read the journal
// (inspect, export, verify) pass check_data_files = false.
Result<Config> load_config(const std::string& path, bool check_data_files = true);

// Parses YAML text (no file checks for data files); `origin` names the source in messages.
Result<Config> parse_config(const std::string& yaml_text, const std::string& origin,
                            const std::string& base_dir);

}  // namespace keel::engine
