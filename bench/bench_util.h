// bench/bench_util.h: timing, percentiles, formatting, child processes and scratch files for the
// bench.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "keel/core/status.h"

namespace keel::bench {

// CLOCK_MONOTONIC in ns (the vDSO: ~20 ns a call, no system call).
int64_t now_ns();
// CPU time of the calling thread / of the whole process (user + system), ns.
int64_t thread_cpu_ns();
int64_t process_cpu_ns();

struct Summary {
  size_t n = 0;
  int64_t p50 = 0, p99 = 0, p999 = 0, max = 0;
  double mean = 0;
};
// Nearest-rank percentiles of `v` (sorted in place).
Summary summarize(std::vector<int64_t>& v);

// "0.214 ms", "13.2 us", "850 ns": three significant figures in the best unit.
std::string fmt_ns(double ns);
std::string fmt_rate(double per_s);  // "1,234,567/s" style without the unit: "1234567"
std::string fmt_ratio(double x);     // "1.07x"
std::string fmt(const char* format, ...) __attribute__((format(printf, 1, 2)));

// One progress line on stderr: "keel bench: [section] text".
void progress(const char* section, const char* format, ...) __attribute__((format(printf, 2, 3)));

// Runs argv (argv[0] a path) with stdout+stderr appended to `log_path` ("" = inherit), waits.
// Returns the exit status (0..255), 128+signal when killed, or an error when it cannot start.
// `usage` (optional) receives the child's rusage (ru_maxrss: peak RSS in KiB).
struct ChildUsage {
  int64_t max_rss_kib = 0;
  int64_t cpu_ns = 0;
};
Result<int> run_child(const std::vector<std::string>& argv, const std::string& log_path,
                      ChildUsage* usage = nullptr);
// As run_child, but captures stdout into `out` (stderr to `log_path`).
Result<int> run_child_capture(const std::vector<std::string>& argv, const std::string& log_path,
                              std::string& out, ChildUsage* usage = nullptr);

Status make_dirs(const std::string& dir);
void remove_tree(const std::string& dir);
std::string read_file(const std::string& path);  // "" when missing
Status write_file(const std::string& path, const std::string& text);
std::string tail_lines(const std::string& text, size_t n);  // the last n lines, for errors
uint64_t dir_bytes(const std::string& dir);                 // sum of regular file sizes

// All lines of gzip captures, in file order (empty lines dropped): the raw strings a feed
// handler would receive, for timing from a line's arrival.
Result<std::vector<std::string>> read_capture_lines(const std::vector<std::string>& files);

}  // namespace keel::bench
