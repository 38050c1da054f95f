// src/app/app.h: the keel commands (internal to the executable).
#pragma once

#include <iosfwd>
#include <memory>
#include <string>

#include "keel/engine/config.h"
#include "keel/journal/journal.h"
#include "keel/model/state.h"

namespace keel::app {

// The config file, and where its data directory is (empty: the config's data_dir, resolved
// relative to the config file's folder, else <config folder>/var/<config stem>/).
struct Target {
  std::string config_path;
  std::string data_dir;
};

// Loads the config and applies the --data-dir override.
Result<engine::Config> load_target(const Target& target, bool check_data_files);
// The target's existing journal (<data_dir>/journal), opened read-only or for writing (keel run
// must then be stopped: the journal admits one writer). NotFound names the directory when no
// run has created it yet (src/app/inspect.cc).
Result<std::unique_ptr<journal::Journal>> open_target_journal(const Target& target,
                                                              bool read_only);

struct RunOptions {
  Target target;
  bool quiet = false;      // no progress line
  int64_t stop_after = 0;  // testing aid: stop (as if killed) after this many events; 0 = never
  int64_t duration_s = 0;  // live venue: stop after this many seconds; 0 = until SIGINT/SIGTERM
  bool cancel_on_exit = false;  // live venue: cancel keel's open orders when stopping
  bool dry_run = false;  // validate, then decide without sending (src/app/dry_run.h)
};

// Exit codes: 0 done (or nothing left to do), 1 bad input/data, 2 fail-stop (W4) or corruption.
int run_command(const RunOptions& opts);
// keel run with exchange.kind: binance (src/app/run_live.cc).
int run_live(const RunOptions& opts, const engine::Config& cfg);
// keel retire --config FILE --task ID: cancels the task's orders through the journal (W1),
// waits until the venue settled each, journals TaskRetired. Exit 0 retired (or already), 1 bad
// input or the venue did not settle every order in time (run it again), 2 fail-stop.
int retire_command(const Target& target, const std::string& task_id);
// The same on the Binance connector (src/app/run_live.cc).
int retire_live(const engine::Config& cfg, const std::string& task_id);
// keel declare --asset A --amount X --reason TEXT (keel/engine/operator.h). Exit 0 journaled,
// 1 bad input (or keel run holds the journal), 2 corruption or a failed write.
int declare_command(const Target& target, const std::string& asset, const std::string& amount,
                    const std::string& reason, const std::string& account);
// keel resume --task ID --reason TEXT (keel/engine/operator.h). Exit codes as declare.
int resume_command(const Target& target, const std::string& task, const std::string& reason);
// `all`: every slot in the text tables (by default the FREE slots holding nothing are counted,
// not listed).
int inspect_command(const Target& target, bool json, bool all = false);
int export_command(const Target& target, const std::string& format, const std::string& out_path);
int verify_command(const Target& target);
// Lists the registered strategies and their params. Exit 0.
int strategies_command();
// keel validate: loads the config and makes the pre-trade checks (validate_command.cc). Exit 0
// when every check passed, 1 when the config or a check failed (each named on stdout/stderr).
int validate_command(const std::string& config_path);

// The inspect JSON object of a folded state (schema in the README, "keel inspect").
std::string inspect_json(const model::State& state);
// Human tables of the same content.
void print_inspect_tables(const model::State& state, std::ostream& out, bool all = false);

}  // namespace keel::app
