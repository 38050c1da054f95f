// src/app/sim_command.h: `keel sim`, the simulated exchange served over the Binance Spot
// protocol on 127.0.0.1 (include/keel/simserver/server.h). Registered by main.cc like every
// other command.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace keel::app {

struct SimCommandOptions {
  std::string listen = "127.0.0.1:0";  // HOST:PORT, loopback only; port 0: any free port
  std::vector<std::string> data;       // the recording, merged by receive time
  std::string speed = "1";             // replay speed multiplier
  std::string state;                   // state directory (one sub-directory per account)
  std::string accounts;                // YAML accounts file ("" = the default account)
  int64_t latency_ms = 0;
  std::string faults;                  // fault SPEC (keel/simserver/faults.h)
  uint64_t seed = 1;
  // --symbol SPEC, repeatable: "SYMBOL" (filters from the three options below) or
  // "SYMBOL:TICK:STEP:MIN_NOTIONAL" (simserver::instrument_from_spec).
  std::vector<std::string> symbol = {"BTCUSDT"};
  std::string tick_size = "0.01";
  std::string step_size = "0.00001";
  std::string min_notional = "5";
  std::string maker_fee = "0.001";
  std::string commission_asset = "quote";  // quote | base | ASSET:PRICE (exchange/sim.h)
  int threads = 2;
};

// Adds the `sim` subcommand (options bound to `opts`) and returns it.
CLI::App* add_sim_command(CLI::App& app, SimCommandOptions& opts);

// Runs the server until SIGINT or SIGTERM. Prints "listening on 127.0.0.1:<port>" on stdout
// (then the accounts) once it serves. Exit: 0 stopped by a signal, 1 bad options or inputs
// (the message names the option or file), 2 the state is corrupt.
int sim_command(const SimCommandOptions& opts);

}  // namespace keel::app
