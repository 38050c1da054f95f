// keel/engine/config.h: the run configuration (YAML), validated with errors that name the file
// and the field ("config/x.yaml: tasks[0].params.price_interval: '10.x' is not a decimal").
//
// Every key (config/paper-btcusdt-grid.yaml is the reference example). Decimals are quoted
// strings ("0.01"), parsed exactly at 1e-8; integers are plain. Paths in the file are relative
// to the config file's folder; a --data-dir on the command line is relative to the current
// directory.
//   data_dir: DIR                optional; default <config file's folder>/var/<config file stem>
//                                (the shipped examples say ../var/<stem>: var/<stem> at the repo root)
//   snapshot_every_records: N    optional, >= 0; a state snapshot every N journal records
//                                (default 1000; 0: never)
//   instrument:                  all required; Binance exchangeInfo filters
//     symbol, base_asset, quote_asset          e.g. BTCUSDT, BTC, USDT
//     tick_size, step_size, min_notional       decimals: PRICE_FILTER.tickSize,
//                                              LOT_SIZE.stepSize, NOTIONAL.minNotional (quote)
//   instruments: [ {symbol: ..., ...}, ... ]   instead of instrument: several symbols (unique)
//   accounts:                    optional; without it one account ("default") with the
//                                exchange's balances / key variables
//     - id: alpha                required; [A-Za-z0-9]{1,15}, unique
//       balances, maker_fee, commission_asset   kind: sim; balances required (not under
//                                exchange: then), the others default to the exchange's
//       api_key_env, api_secret_env   kind: binance; default KEEL_API_KEY_<id>,
//       or credentials_file      KEEL_API_SECRET_<id>; never shared by two accounts
//       max_orders_per_10s, max_orders_per_day   either kind: the account's new-order limits
//                                (default exchange:'s: see below)
//   exchange:                    kind: sim (the embedded simulated exchange):
//     kind: sim
//     speed: max                 "max" (lock-step, deterministic; default) or a multiplier > 0
//     data: [FILE, ...]          required; recorded captures
//     maker_fee: "0.001"         fraction of notional, [0, 1) (default 0.001 = 10 bps)
//     balances: {ASSET: "amount"}  required; starting balances (ASSET upper-case, amount >= 0)
//     commission_asset: quote    quote (default) | base (Binance's default: a BUY pays in base,
//                                a SELL in quote) | ASSET:PRICE ("BNB:600": every commission in
//                                BNB at 600 quote per BNB; PRICE > 0; ASSET not the quote asset)
//   exchange:                    or kind: binance (production, testnet, `keel sim` on loopback):
//     kind: binance
//     rest_url                   required; http:// or https://
//     ws_url, ws_api_url         required; ws:// or wss://
//     api_key_env, api_secret_env  names of environment variables holding the key and the
//                                secret (default KEEL_API_KEY, KEEL_API_SECRET)
//     credentials_file: FILE     or a YAML file with api_key: and api_secret:, readable by its
//                                owner only (mode 0600 or 0400); not together with the two
//                                above. Rules and errors: keel/engine/credentials.h
//     reconcile_every_ms         ms, > 0 (default 5000): evidence queries for unresolved intents
//     recv_window_ms             ms, 1..60000 (default 5000; Binance's max is 60000)
//     evidence_margin_ms         ms, 0..60000 (default 1000)
//   exchange.max_orders_per_10s  either kind: new orders (places and cancelReplace amends) per
//   exchange.max_orders_per_day  account in any 10 s / per UTC day, 1..10000 (default 50) /
//                                1..1000000000 (default 160000): Binance's ORDERS limits
//                                (keel/risk/risk.h "Request budgets"); the one account's
//                                without accounts:, else each account's default
//   tasks:                       required, a non-empty list
//     - id: grid1                required; [A-Za-z0-9_]{1,16}, unique, not starting with '_'
//                                (reserved for journal-wide records)
//       account: alpha           required when there are several accounts
//       symbol: BTCUSDT          required when there are several instruments; an account
//                                may trade several symbols (one R4 equation per asset
//                                across them; under kind: binance one connection serves
//                                them all)
//       strategy: grid           required; a registered strategy (`keel strategies`)
//       params:                  journaled (params_text): a journal refuses other params
//         price_interval         required; decimal, a positive multiple of tick_size (quote)
//         order_quantity         required; decimal, a positive multiple of step_size (base)
//         buy_window_size        levels below the center, 1..100000 (default 5)
//         sell_window_size       levels above the center, 1..100000 (default 5)
//         max_open_orders        working + in-flight orders, 1..1000000 (default 64)
//       max_intents_per_second   intents (places + cancels) per second, 1..1000000 (default 5)
//       intent_burst             intents in a window of burst/per_second s, 1..1024 (default 20)
//                                (these two are operational limits, beside params and not in
//                                params_text: changing them does not change the task)
// Every key is checked: an unknown one is an error naming it and the nearest known key valid
// there ("tasks[0].params.price_intervall: unknown key (did you mean price_interval?)"), or
// where it belongs ("tasks[0].params.maker_fees: unknown key (did you mean maker_fee?
// maker_fee belongs under exchange: with kind: sim)"), or else the keys known there.
#pragma once

#include <string>
#include <vector>

#include "keel/core/instrument.h"
#include "keel/core/status.h"
#include "keel/engine/credentials.h"
#include "keel/exchange/exchange.h"
#include "keel/exchange/sim.h"
#include "keel/risk/risk.h"
#include "keel/strategy/strategy.h"

namespace keel::engine {

// A task's request budget (issue 9 "no request storms"), enforced before the journal by the
// risk layer (keel/risk/risk.h "Request budgets", risk::admit): at most `burst` intents in any
// window of burst / per_second seconds of the venue's clock, counted over the journaled request
// timestamps. Keys tasks[].max_intents_per_second, tasks[].intent_burst.
using IntentRate = risk::IntentRate;

struct TaskConfig {
  std::string id;
  std::string account;        // tasks[i].account: an accounts[].id (kDefaultAccount without accounts:)
  std::string symbol;         // tasks[i].symbol: an instruments[].symbol
  size_t account_index = 0;   // into Config::accounts
  size_t instrument_index = 0;  // into Config::instruments
  std::string strategy;      // the registry name (keel/strategy/registry.h), e.g. "grid"
  // The strategy bound to this task's validated params (never null in a loaded config).
  std::shared_ptr<const strategy::Strategy> impl;
  std::string params_text;   // canonical "key=value;..." of the params (registry.h params_text),
                             // journaled in TaskStarted: a change of it is a new task
  IntentRate rate;           // not in params_text: an operational limit, not a parameter
  // tasks[i].risk (keel/risk/risk.h): max_position (base), max_notional, min_quote_balance
  // (quote), max_open_orders, caution_percent (default 80). Operational, like `rate`: not
  // journaled with the params, so changing them is not refused.
  risk::Limits risk;
};

// What one account of the embedded simulated exchange is given: its maker fee, who pays its
// commissions and its starting balances.
struct SimAccountTerms {
  int64_t maker_fee_rate_e8 = 100'000;
  // exchange.commission_asset: "quote" (default), "base" (Binance's default: a BUY pays in base,
  // a SELL in quote) or "ASSET:PRICE" (e.g. "BNB:600": every commission in BNB at 600 quote
  // per BNB). See exchange/sim.h CommissionMode.
  exchange::sim::CommissionMode commission_mode = exchange::sim::CommissionMode::kQuote;
  std::string commission_asset;
  int64_t commission_asset_price_e8 = 0;
  exchange::Balances balances;
};

// exchange: with kind: sim. Its terms are those of the one account of a config without
// accounts:, and the defaults of accounts[i] (which must give their own balances).
struct SimConfig : SimAccountTerms {
  std::string speed = "max";
  double speed_multiplier = 0;      // 0 for max
  std::vector<std::string> data;    // resolved as Config::data_dir; merged by receive time
};

// accounts[i]: one account on the config's venue. Its tasks' orders, fills and balances are its
// own: R4 holds per account; journal-wide records carry journal::account_tag(id).
struct AccountConfig {
  std::string id;        // [A-Za-z0-9]{1,15}; journal::kDefaultAccount without accounts:
  SimAccountTerms sim;   // kind: sim
  // kind: binance: where its API key and secret come from (keel/engine/credentials.h):
  // api_key_env / api_secret_env (default KEEL_API_KEY_<id> / KEEL_API_SECRET_<id>) or
  // credentials_file; the one account of a config without accounts: uses exchange:'s. No two
  // accounts share a key variable or a file.
  CredentialSource credentials;
  // accounts[i].max_orders_per_10s / max_orders_per_day (keel/risk/risk.h "Request budgets"),
  // defaulting to exchange:'s; the one account of a config without accounts: uses exchange:'s.
  risk::OrderLimits orders;
};

// exchange.kind: binance -- the real Binance Spot API, or anything speaking it (`keel sim`).
// Secrets are never in the config: `credentials` names two environment variables or a
// credentials file (keel/engine/credentials.h), read by keel run when it connects.
struct BinanceVenueConfig {
  std::string rest_url;    // "https://api.binance.com", "http://127.0.0.1:PORT"
  std::string ws_url;      // market streams base: "wss://stream.binance.com:9443"
  std::string ws_api_url;  // "wss://ws-api.binance.com:443/ws-api/v3"
  CredentialSource credentials;  // api_key_env / api_secret_env, or credentials_file
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
  // Resolved: absolute when written so, else joined to the config file's folder as the config
  // path names it (so relative to the current directory only when the config path is).
  std::string data_dir;
  std::vector<Instrument> instruments;  // instrument: (one) or instruments: (symbols unique)
  Instrument instrument;                // instruments.front()
  std::string exchange_kind = "sim";  // "sim" (embedded) | "binance"
  SimConfig sim;
  BinanceVenueConfig binance;
  // exchange.max_orders_per_10s / max_orders_per_day: the venue's new-order limits per account
  // (Binance's ORDERS), every account's unless it gives its own.
  risk::OrderLimits order_limits;
  std::vector<AccountConfig> accounts;  // never empty in a loaded config
  std::vector<TaskConfig> tasks;
  // W1 needs true (the default; no config file can change it). Only `keel bench` sets false,
  // to measure replay throughput and the non-I/O part of tick-to-request without the sync.
  bool sync_intents = true;
};

// The instrument of cfg.accounts[a]'s first task, else the config's first.
const Instrument& account_instrument(const Config& cfg, size_t a);

// Every instrument cfg.accounts[a]'s tasks trade, in the config's instruments order (the
// order of `instruments:`, not of the tasks); an account without tasks: {account_instrument}.
std::vector<Instrument> account_instruments(const Config& cfg, size_t a);

// The embedded exchange's options for cfg.accounts[a] (kind: sim): the instruments its tasks
// trade (SimOptions::instruments when several), maker fee, commission terms and starting
// balances, its state in `state_dir`.
exchange::sim::SimOptions sim_options(const Config& cfg, size_t a, std::string state_dir);

// Loads and validates `path`. Errors: kNotFound (the file, or a data file when
// `check_data_files`), kInvalidArgument naming the field. Commands that only read the journal
// (inspect, export, verify) pass check_data_files = false.
Result<Config> load_config(const std::string& path, bool check_data_files = true);

// Parses YAML text (no file checks for data files); `origin` names the source in messages.
Result<Config> parse_config(const std::string& yaml_text, const std::string& origin,
                            const std::string& base_dir);

}  // namespace keel::engine
