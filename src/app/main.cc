// keel: crash-durable market making. Command-line entry point.
#include <CLI/CLI.hpp>

#include <iostream>

#include "app.h"
#include "bench_command.h"
#include "keel/journal/fault_fs.h"
#include "sim_command.h"

namespace {

constexpr const char* kAbout =
    "keel: a crash-durable market-making engine.\n"
    "Every intent (place, amend, cancel) is journaled to RocksDB with a sync before its request\n"
    "leaves; every exchange outcome is journaled before state changes; on start the journal is\n"
    "replayed and reconciled with the exchange, so a kill -9 at any instant loses nothing.\n\n"
    "Start with:  keel run --config config/paper-btcusdt-grid.yaml";

constexpr const char* kDataDirHelp =
    "Data directory (journal/, sim/); overrides the config's data_dir";

// --config and --data-dir of a command that reads or writes a task's data directory.
void add_target(CLI::App* cmd, keel::app::Target& target) {
  cmd->add_option("--config", target.config_path, "YAML config naming the data directory")
      ->required()->check(CLI::ExistingFile);
  cmd->add_option("--data-dir", target.data_dir, kDataDirHelp);
}

}  // namespace

int main(int argc, char** argv) {
  keel::journal::install_power_cut_signal();  // KEEL_POWER_LOSS=1 only; before any thread
  CLI::App app{kAbout, "keel"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show the help of every command");

  keel::app::RunOptions run_opts;
  auto* run = app.add_subcommand(
      "run",
      "Run the tasks of a config (the main job). With the embedded simulated exchange it\n"
      "replays the config's recorded market data, showing progress, then prints a summary.\n"
      "Run it again after any interruption: it resumes from where the exchange is. Run it\n"
      "after the recording ended: it says so and exits 0.\n"
      "Exit: 0 done, 1 bad config/data, 2 fail-stop (journal sync failed) or corruption.");
  run->add_option("--config", run_opts.target.config_path,
                  "YAML config, e.g. config/paper-btcusdt-grid.yaml")
      ->required()->check(CLI::ExistingFile);
  run->add_option("--data-dir", run_opts.target.data_dir, kDataDirHelp);
  run->add_flag("--quiet", run_opts.quiet, "No progress line");
  run->add_option("--duration", run_opts.duration_s,
                  "Live venue (exchange.kind: binance): stop after N seconds (default: until "
                  "Ctrl-C)");
  run->add_flag("--cancel-on-exit", run_opts.cancel_on_exit,
                "Live venue: cancel keel's open orders when stopping (default: leave them; the "
                "next start reconciles them)");
  run->add_flag("--dry-run", run_opts.dry_run,
                "Validate (as keel validate), then run and decide without sending anything that\n"
                "changes the venue: places, cancels and amends are answered by a stand-in whose\n"
                "orders rest and never fill; every decided intent is printed with its reason.\n"
                "The journal goes to a temporary directory (--data-dir is ignored), removed at\n"
                "the end.");
  run->add_option("--stop-after", run_opts.stop_after,
                  "Stop after N market events of this run, as an interruption would (testing)");

  keel::app::Target inspect_t;
  bool inspect_json = false;
  auto* inspect = app.add_subcommand(
      "inspect",
      "Fold the journal (no exchange needed) and show every task's slots, inventory, fills,\n"
      "realised PnL, unrealised PnL (at the mid of the last decision's book) and fees.\n"
      "--json prints one JSON object:\n"
      "{\"tasks\":[{\"id\",\"symbol\",\"slots\":[{\"price\",\"side\",\"state\",\"client_order_id\","
      "\"qty\",\"filled_qty\"}],\"strays\":[...],\n \"inventory\",\"inventory_low\",\"inventory_high\",\"position_cost\",\"mark_price\","
      "\"unrealized_pnl\",\"fills\","
      "\"realized_pnl\",\"spread_capture\",\"inventory_pnl\",\"fees\",\"commissions\",\"unresolved\",\"retired\",\"halted\",\"guard\",\n"
      " \"guard_reason\",\"guard_changes\"}],\n"
      " \"account\":{\"epochs\",\"baseline\",\"trade_watermark\",\"scan_watermark\",\"symbols\":\n"
      "  {SYMBOL:{\"baseline\",\"trade_watermark\",\"scan_watermark\",\"max_order_id\"}},"
      "\"foreign_fills\",\"expected_balances\"},\"accounts\":{ID:{...}},\"journal\":{\"records\",\"last_seq\"}}");
  add_target(inspect, inspect_t);
  inspect->add_flag("--json", inspect_json, "One JSON object instead of tables");
  bool inspect_all = false;
  inspect->add_flag("--all", inspect_all,
                    "Every slot in the tables (default: the slots with an order working or a "
                    "position held; --json always lists every slot)");

  keel::app::Target export_t;
  std::string export_format = "jsonl", export_out;
  auto* exp = app.add_subcommand(
      "export",
      "Write the audit trail: one row per journal record, every field, in sequence order,\n"
      "with each record's hash and its predecessor's (a tamper-evident chain).");
  add_target(exp, export_t);
  exp->add_option("--format", export_format, "jsonl or csv")
      ->check(CLI::IsMember({"jsonl", "csv"}))->capture_default_str();
  exp->add_option("--out", export_out, "Output file")->required();

  keel::app::Target verify_t;
  auto* verify = app.add_subcommand(
      "verify",
      "Check the journal's hash chain and record checksums. Exit 0 if intact, else 1 naming\n"
      "the first bad sequence number.");
  add_target(verify, verify_t);

  keel::app::Target retire_t;
  std::string retire_task;
  auto* retire = app.add_subcommand(
      "retire",
      "Take a task out of service: cancel every working order of the task (each cancel\n"
      "journaled before it is sent), wait until the exchange has settled each one, then journal\n"
      "the retirement. Afterwards the task may be removed from the config (keel run refuses a\n"
      "config that drops a task with working orders). The config names the data directory and\n"
      "the exchange; the task need not be in it any more.\n"
      "Exit: 0 retired, 1 bad input or orders not settled yet (run it again), 2 fail-stop.");
  add_target(retire, retire_t);
  retire->add_option("--task", retire_task, "The task id to retire")->required();

  keel::app::Target declare_t;
  std::string declare_asset, declare_amount, declare_reason;
  std::string declare_account = keel::journal::kDefaultAccount;
  auto* declare = app.add_subcommand(
      "declare",
      "Declare a balance change no event told keel of: a deposit, withdrawal or transfer made\n"
      "while keel was stopped. R4 halts a task when the exchange's balance differs from what\n"
      "the journal explains, naming the asset and the amount; if such a change explains it,\n"
      "declare it (journaled with the reason), and the tasks it halted resume at the next start.\n"
      "Run it with keel run stopped.\n"
      "Exit: 0 journaled, 1 bad input, 2 corruption or a failed write.");
  add_target(declare, declare_t);
  declare->add_option("--asset", declare_asset, "The asset, e.g. USDT")->required();
  declare->add_option("--amount", declare_amount,
                      "The change, a decimal: positive for a deposit, negative for a withdrawal")
      ->required();
  declare->add_option("--reason", declare_reason, "What it was, for the audit trail")->required();
  declare->add_option("--account", declare_account,
                      "The account it happened on (accounts[].id; R4 is per account)")
      ->capture_default_str();

  keel::app::Target resume_t;
  std::string resume_task, resume_reason;
  auto* resume = app.add_subcommand(
      "resume",
      "Lift a task's halt after you have investigated its reason (keel inspect shows it): the\n"
      "task quotes again at the next start. Journaled with your reason. Run it with keel run\n"
      "stopped. Exit: 0 journaled, 1 bad input (no such task, not halted), 2 corruption.");
  add_target(resume, resume_t);
  resume->add_option("--task", resume_task, "The task id")->required();
  resume->add_option("--reason", resume_reason, "Why it may quote again")->required();

  auto* strategies = app.add_subcommand(
      "strategies",
      "List the strategies a task may name (tasks[].strategy) with the params each takes\n"
      "under tasks[].params: meaning, unit, range and default.");

  std::string validate_config;
  auto* validate = app.add_subcommand(
      "validate",
      "Check a config without running it: every key, type and range as keel run loads it\n"
      "(an error names the file and the field), then pre-trade checks with the embedded\n"
      "exchange: the recorded data lies on the instrument's tick_size and step_size, every\n"
      "order a fresh task would open clears min_notional at the recording's first trade, and\n"
      "exchange.balances covers the tasks' opening buys. Writes nothing, contacts no exchange.\n"
      "Exit: 0 every check passed, 1 the config or a check failed.");
  validate->add_option("--config", validate_config, "YAML config")
      ->required()->check(CLI::ExistingFile);

  keel::app::BenchOptions bench_opts;
  auto* bench = keel::app::add_bench_command(app, bench_opts);

  keel::app::SimCommandOptions sim_opts;
  auto* sim = keel::app::add_sim_command(app, sim_opts);

  CLI11_PARSE(app, argc, argv);
  if (*run) return keel::app::run_command(run_opts);
  if (*inspect) return keel::app::inspect_command(inspect_t, inspect_json, inspect_all);
  if (*exp) return keel::app::export_command(export_t, export_format, export_out);
  if (*verify) return keel::app::verify_command(verify_t);
  if (*retire) return keel::app::retire_command(retire_t, retire_task);
  if (*declare) {
    return keel::app::declare_command(declare_t, declare_asset, declare_amount, declare_reason,
                                      declare_account);
  }
  if (*resume) return keel::app::resume_command(resume_t, resume_task, resume_reason);
  if (*strategies) return keel::app::strategies_command();
  if (*validate) return keel::app::validate_command(validate_config);
  if (*bench) return keel::app::bench_command(bench_opts);
  if (*sim) return keel::app::sim_command(sim_opts);
  return 1;
}
