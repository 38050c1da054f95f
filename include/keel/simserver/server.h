// keel/simserver/server.h: `keel sim`, the simulated exchange served over the Binance Spot
// protocol on 127.0.0.1 (reference/binance-spot.md; DESIGN.md "Exchanges").
//
// One port serves, by path:
//  - REST (HTTP/1.1, keep-alive): /api/v3/... (the endpoints of src/simserver/rest.h) and the
//    test-only endpoints (not Binance's; no key, no signature, no weight):
//      GET  /sim/v1/truth?account=NAME   the account's ground truth: {"account","symbol",
//           "position","recordingEnded","nowMs","commissionAsset":"quote|base|ASSET:PRICE",
//           "orders":[..],"trades":[..] (myTrades shape),"balances":[{asset,free,locked}],
//           "deposits":[{"asset","amount","time"}],"cancelRequests":{"<origClientOrderId>":N},
//           "late":{"pending","executed","expired"}}. cancelRequests counts every DELETE
//           /api/v3/order and every cancelReplace cancel received for the account, accepted or
//           refused (rest_internal.h count_cancel_request); like "late" it is process memory,
//           reset by a restart (not persisted). Unknown account: 404 -1100.
//      POST /sim/v1/pause, /sim/v1/resume   stop / restart the market replay.
//      POST /sim/v1/deposit?account=NAME&asset=ASSET&amount=DECIMAL   a deposit (amount > 0)
//           or withdrawal (< 0, refused 400 -2010 "Account has insufficient balance for
//           requested action." beyond the free balance) of ASSET ([A-Z0-9]{1,20}), persisted
//           (SimExchange::deposit); emits {"e":"balanceUpdate","E":ms,"a":ASSET,"d":"DELTA",
//           "T":ms} then an outboundAccountPosition of ASSET, through the event faults.
//           Answer: {"account","asset","amount","free","locked","time"} (time: the sim's
//           clock, ms). Errors: -1102 missing asset/amount, -1100 malformed, -1130 amount 0,
//           404 -1100 unknown account.
//  - WebSocket market streams (§7): /stream?streams=a/b/c (combined: {"stream":..,"data":..}),
//    /ws/<stream> (raw payloads), plus SUBSCRIBE / UNSUBSCRIBE / LIST_SUBSCRIPTIONS on either.
//    Streams: <symbol>@depth@100ms (= <symbol>@depth), <symbol>@bookTicker, <symbol>@trade for
//    every served symbol, the recording's messages of that symbol as replayed.
//  - WebSocket API (§6): /ws-api/v3 with ping, time, userDataStream.subscribe.signature,
//    userDataStream.unsubscribe, session.subscriptions; events wrapped as
//    {"subscriptionId":N,"event":{..}}.
//  - Legacy user data: /ws/<listenKey> (from POST /api/v3/userDataStream), unwrapped events.
// The server pings every WebSocket every ws_ping_interval and closes one silent for 60 s;
// it answers client pings with pongs.
// Accounts: one SimExchange per account, state in <state_dir>/<account>/ (sim.h), all fed the
// same replayed market. A restart with the same state resumes where the market was.
// Symbols: every account trades every served instrument (sim.h "Several instruments": one
// book per symbol, balances shared, Binance's per-symbol order and trade ids). exchangeInfo
// lists them all (in the options' order), each with its own PRICE_FILTER / LOT_SIZE /
// NOTIONAL; depth, bookTicker and every order and account endpoint answer per symbol, -1121
// for a symbol not served; openOrders without a symbol lists every symbol's. The recording's
// files may hold several symbols: they are merged by receive time (market/capture.h); events
// of a symbol not served are consumed (they count in the position) and published nowhere.
// The truth carries "symbol" (the first served symbol) and "symbols" (all), and a "symbol" in
// each order.
// Limits: 512 connections, 1 MiB request bodies, 8 KiB headers, 30 s to send a request
// (idle keep-alive included), 64 KiB WebSocket messages, 10000 queued outbound messages per
// WebSocket (a slower reader is disconnected, as Binance does).
// Threads: `threads` Asio threads (a strand per connection) plus the replay thread. No
// exception escapes a handler.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "keel/core/instrument.h"
#include "keel/core/status.h"
#include "keel/exchange/sim.h"
#include "keel/simserver/accounts.h"
#include "keel/simserver/faults.h"

namespace keel::simserver {

struct ServerOptions {
  std::string host = "127.0.0.1";  // a loopback address only
  uint16_t port = 0;               // 0: any free port (see SimServer::port())
  std::vector<std::string> data_files;  // the recording (market/capture.h), merged by receive time
  double speed = 1.0;                   // replay speed multiplier, > 0
  std::string state_dir;
  std::vector<AccountConfig> accounts;  // empty: {default_account()}
  // The served instruments: `instrument` alone is the one-symbol case (empty symbol and no
  // `instruments`: BTCUSDT 0.01 / 0.00001 / 5); `instruments` lists several, in exchangeInfo's
  // order (`instrument`, if set too, must equal its first). Symbols must be distinct.
  Instrument instrument;
  int64_t maker_fee_rate_e8 = 100'000;  // 0.001
  // Who pays commissions, every account alike (exchange/sim.h CommissionMode; parse
  // `--commission-asset quote|base|ASSET:PRICE` with exchange::sim::parse_commission_asset).
  exchange::sim::CommissionMode commission_mode = exchange::sim::CommissionMode::kQuote;
  std::string commission_asset;           // kOther: e.g. "BNB"
  int64_t commission_asset_price_e8 = 0;  // kOther: quote per unit, > 0
  int64_t latency_ms = 0;               // added before every REST request is processed
  FaultSpec faults;
  uint64_t seed = 1;
  int threads = 2;
  std::chrono::milliseconds ws_ping_interval{20'000};
  std::function<void(const std::string&)> log;  // human log lines; default: stderr
  std::vector<Instrument> instruments;  // see `instrument`
};

// The default instrument: BTCUSDT, tick 0.01, step 0.00001, min notional 5.
Instrument default_instrument();
// An instrument from a symbol with a USDT/USDC/FDUSD/BTC/ETH quote; base = the rest.
Result<Instrument> instrument_from_symbol(const std::string& symbol, std::string_view tick,
                                          std::string_view step, std::string_view min_notional);
// An instrument from `keel sim --symbol SPEC`: "SYMBOL" (its filters are the given defaults,
// i.e. --tick-size / --step-size / --min-notional) or "SYMBOL:TICK:STEP:MIN_NOTIONAL" (its own,
// e.g. "ETHUSDT:0.01:0.0001:5"). Errors: kInvalidArgument naming the spec and the field
// (Instrument::make's, instrument_from_symbol's), or a spec of 2 or 3 parts.
Result<Instrument> instrument_from_spec(std::string_view spec, std::string_view default_tick,
                                        std::string_view default_step,
                                        std::string_view default_min_notional);

class SimServer {
 public:
  // Opens every account's state, re-reads the recording to the state's position, binds, and
  // starts serving and replaying. Errors: kInvalidArgument (options, a non-loopback host, state
  // of another recording), kIOError (bind, state), kNotFound (data file).
  static Result<std::unique_ptr<SimServer>> start(ServerOptions options);
  ~SimServer();  // stop()

  uint16_t port() const;
  // Stops the replay, closes every connection, joins the threads. Idempotent.
  void stop();
  bool market_ended() const;    // the replay reached the end of the recording
  uint64_t market_position() const;  // recording events consumed

  struct Impl;

 private:
  explicit SimServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace keel::simserver
