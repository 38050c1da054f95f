// `keel sim` (sim_command.h): options -> simserver::ServerOptions, run until a signal.
#include "sim_command.h"

#include <CLI/CLI.hpp>
#include <pthread.h>
#include <signal.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>

#include "keel/core/fixed.h"
#include "keel/exchange/sim.h"
#include "keel/simserver/server.h"

namespace keel::app {
namespace {

constexpr const char* kSimHelp =
    "Serve the simulated exchange over the Binance Spot protocol on 127.0.0.1: REST /api/v3,\n"
    "market streams (/stream?streams=btcusdt@depth@100ms/btcusdt@bookTicker/btcusdt@trade,\n"
    "/ws/<stream>), the WebSocket API (/ws-api/v3) and legacy listenKey streams (/ws/<key>).\n"
    "The recording (--data files, merged by receive time) replays on its own clock (receive\n"
    "times / --speed) whether or not a client is connected; at its end the market stops and\n"
    "the server keeps serving. Several --symbol serve several symbols to every account (e.g.\n"
    "--symbol BTCUSDT --symbol ETHUSDT:0.01:0.0001:5 with the two recordings). Restart with the\n"
    "same --state to resume where the market was. Without --accounts, one account 'default'\n"
    "(API key keel-sim-key, secret keel-sim-secret, 10000 USDT and 1 BTC). Test-only ground\n"
    "truth: GET /sim/v1/truth?account=NAME; POST /sim/v1/pause and /sim/v1/resume stop and\n"
    "restart the market replay (the crash campaign uses them); POST /sim/v1/deposit?account=\n"
    "NAME&asset=ASSET&amount=DECIMAL deposits (or, negative, withdraws) with a balanceUpdate\n"
    "event. Stop with Ctrl-C or SIGTERM.\n"
    "Prints 'listening on 127.0.0.1:<port>' on stdout once serving.\n"
    "Exit: 0 stopped by a signal, 1 bad options or data, 2 corrupt state.";

Status parse_listen(const std::string& listen, std::string& host, uint16_t& port) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return Status::InvalidArgument("--listen: expected HOST:PORT");
  host = listen.substr(0, colon);
  unsigned value = 0;
  const char* b = listen.data() + colon + 1;
  const char* e = listen.data() + listen.size();
  auto [p, ec] = std::from_chars(b, e, value);
  if (b == e || ec != std::errc() || p != e || value > 65535) {
    return Status::InvalidArgument("--listen: '" + listen.substr(colon + 1) + "' is not a port");
  }
  port = static_cast<uint16_t>(value);
  return Status::Ok();
}

Status parse_speed(const std::string& text, double& speed) {
  if (text == "max") {
    return Status::InvalidArgument(
        "--speed max is not meaningful for a server (the market runs on its own clock); give a "
        "multiplier such as 1, 20 or 100");
  }
  char* end = nullptr;
  speed = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !(speed > 0) || speed > 1e6) {
    return Status::InvalidArgument("--speed: '" + text + "' is not a multiplier in (0, 1e6]");
  }
  return Status::Ok();
}

Status build_options(const SimCommandOptions& o, simserver::ServerOptions& out) {
  KEEL_RETURN_IF_ERROR(parse_listen(o.listen, out.host, out.port));
  KEEL_RETURN_IF_ERROR(parse_speed(o.speed, out.speed));
  out.data_files = o.data;
  out.state_dir = o.state;
  out.latency_ms = o.latency_ms;
  out.seed = o.seed;
  out.threads = o.threads;
  auto faults = simserver::parse_fault_spec(o.faults);
  if (!faults.ok()) return faults.status();  // "faults: '<item>': ..."
  out.faults = *faults;
  out.instruments.clear();
  for (const std::string& spec : o.symbol) {
    auto ins = simserver::instrument_from_spec(spec, o.tick_size, o.step_size, o.min_notional);
    if (!ins.ok()) return ins.status().With("--symbol/--tick-size/--step-size/--min-notional");
    out.instruments.push_back(std::move(*ins));
  }
  if (out.instruments.empty()) return Status::InvalidArgument("--symbol: none given");
  auto fee = parse_fixed(o.maker_fee, kScaleE8);
  if (!fee.ok() || *fee < 0 || *fee >= kOneE8) {
    return Status::InvalidArgument("--maker-fee: '" + o.maker_fee + "' is not a rate in [0, 1)");
  }
  out.maker_fee_rate_e8 = *fee;
  exchange::sim::SimOptions commission;
  if (Status c = exchange::sim::parse_commission_asset(o.commission_asset, commission);
      !c.ok()) {
    return c.With("--commission-asset");
  }
  out.commission_mode = commission.commission_mode;
  out.commission_asset = commission.commission_asset;
  out.commission_asset_price_e8 = commission.commission_asset_price_e8;
  if (!o.accounts.empty()) {
    auto accounts = simserver::load_accounts(o.accounts);
    if (!accounts.ok()) return accounts.status().With("--accounts");
    out.accounts = std::move(*accounts);
  } else {
    out.accounts = {simserver::default_account()};
  }
  return Status::Ok();
}

// The built-in account's secret is public (--help says it); an --accounts file's secrets are
// not repeated (a planted secret must appear in no output: issue 10 item 3).
void print_accounts(const simserver::ServerOptions& o, const std::string& accounts_file) {
  for (const auto& a : o.accounts) {
    const std::string secret = accounts_file.empty() ? a.secret : "in " + accounts_file;
    std::printf("account %s: api key %s, secret %s, initial balances", a.name.c_str(),
                a.api_key.c_str(), secret.c_str());
    for (const auto& [asset, bal] : a.balances) {
      std::printf(" %s %s", format_fixed_trim(bal.free_e8, kScaleE8).c_str(), asset.c_str());
    }
    std::printf("\n");
  }
  std::fflush(stdout);
}

}  // namespace

CLI::App* add_sim_command(CLI::App& app, SimCommandOptions& opts) {
  auto* sim = app.add_subcommand("sim", kSimHelp);
  sim->add_option("--listen", opts.listen, "HOST:PORT, loopback only; port 0 picks a free port")
      ->capture_default_str();
  sim->add_option("--data", opts.data,
                  "Recorded market data files (gz captures), merged by receive time")
      ->required()->check(CLI::ExistingFile);
  sim->add_option("--speed", opts.speed, "Replay speed multiplier (1 = real time, 20, 100, ...)")
      ->capture_default_str();
  sim->add_option("--state", opts.state, "State directory (one sub-directory per account)")
      ->required();
  sim->add_option("--accounts", opts.accounts,
                  "YAML: accounts: [{name, api_key, secret, balances: {ASSET: amount}}]")
      ->check(CLI::ExistingFile);
  sim->add_option("--latency-ms", opts.latency_ms, "Latency added before each REST request")
      ->check(CLI::Range(0, 60'000));
  sim->add_option("--faults", opts.faults, simserver::kFaultSpecHelp);
  sim->add_option("--seed", opts.seed, "Seed of the fault decisions")->capture_default_str();
  sim->add_option("--symbol", opts.symbol,
                  "Instrument served, repeatable: SYMBOL (quote USDT/USDC/FDUSD/BTC/ETH; its\n"
                  "filters from --tick-size/--step-size/--min-notional) or\n"
                  "SYMBOL:TICK:STEP:MIN_NOTIONAL (its own, e.g. ETHUSDT:0.01:0.0001:5)")
      ->capture_default_str();
  sim->add_option("--tick-size", opts.tick_size, "PRICE_FILTER tickSize of a bare SYMBOL")
      ->capture_default_str();
  sim->add_option("--step-size", opts.step_size, "LOT_SIZE stepSize of a bare SYMBOL")
      ->capture_default_str();
  sim->add_option("--min-notional", opts.min_notional, "NOTIONAL minNotional of a bare SYMBOL")
      ->capture_default_str();
  sim->add_option("--maker-fee", opts.maker_fee, "Maker fee rate")->capture_default_str();
  sim->add_option("--commission-asset", opts.commission_asset,
                  "Who pays maker commissions: quote (every fill, in quote), base (Binance's\n"
                  "default: a BUY pays in base, a SELL in quote; a BUY locks only its notional)\n"
                  "or ASSET:PRICE (e.g. BNB:600: every fill in ASSET valued at PRICE quote per\n"
                  "unit, rounded up at 1e-8; a fill the ASSET's free balance cannot pay is\n"
                  "charged in the asset it receives)")
      ->capture_default_str();
  sim->add_option("--threads", opts.threads, "Server threads")->check(CLI::Range(1, 16))
      ->capture_default_str();
  return sim;
}

int sim_command(const SimCommandOptions& opts) {
  simserver::ServerOptions so;
  if (Status s = build_options(opts, so); !s.ok()) {
    std::fprintf(stderr, "keel sim: %s\n", s.ToString().c_str());
    return 1;
  }
  // SIGINT/SIGTERM are blocked in every thread (the server's inherit the mask) and taken by
  // sigwait below, so shutdown runs on this thread, in order.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::string symbols;
  for (const Instrument& ins : so.instruments) symbols += (symbols.empty() ? "" : " ") + ins.symbol;
  std::fprintf(stderr,
               "keel sim: %s, speed %s, faults %s, seed %llu, commission %s; catching up...\n",
               symbols.c_str(), opts.speed.c_str(),
               simserver::describe_faults(so.faults).c_str(),
               static_cast<unsigned long long>(so.seed), opts.commission_asset.c_str());
  auto server = simserver::SimServer::start(so);
  if (!server.ok()) {
    std::fprintf(stderr, "keel sim: %s\n", server.status().ToString().c_str());
    return server.status().code() == Code::kCorruption ? 2 : 1;
  }
  std::printf("listening on %s:%u\n", so.host == "localhost" ? "127.0.0.1" : so.host.c_str(),
              static_cast<unsigned>((*server)->port()));
  print_accounts(so, opts.accounts);
  int sig = 0;
  sigwait(&signals, &sig);
  std::fprintf(stderr, "keel sim: signal %d: stopping (market at event %llu)\n", sig,
               static_cast<unsigned long long>((*server)->market_position()));
  (*server)->stop();
  return 0;
}

}  // namespace keel::app
