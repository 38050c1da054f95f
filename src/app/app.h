// src/app/app.h: the keel commands (internal to the executable).
#pragma once

#include <iosfwd>
#include <string>

#include "keel/model/state.h"

namespace keel::app {

struct RunOptions {
  std::string config_path;
  bool quiet = false;      // no progress line
  int64_t stop_after = 0;  // testing aid: stop (as if killed) after this many events; 0 = never
};

// Exit codes: 0 done (or nothing left to do), 1 bad input/data, 2 fail-stop (W4) or corruption.
int run_command(const RunOptions& opts);
int inspect_command(const std::string& config_path, bool json);
int export_command(const std::string& config_path, const std::string& format,
                   const std::string& out_path);
int verify_command(const std::string& config_path);

// The inspect JSON object of a folded state (schema in the README, "keel inspect").
std::string inspect_json(const model::State& state);
// Human tables of the same content.
void print_inspect_tables(const model::State& state, std::ostream& out);

}  // namespace keel::app
