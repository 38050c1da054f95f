// The report: machine description, terminal tables and RESULTS.md (bench/bench.h).
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <fstream>
#include <sstream>
#include <thread>

#include "bench.h"
#include "bench_util.h"

namespace keel::bench {

namespace {

std::string first_line_with(const std::string& path, const std::string& key) {
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(key, 0) == 0) {
      const size_t colon = line.find(':');
      return colon == std::string::npos ? line : line.substr(colon + 2);
    }
  }
  return "?";
}

const char* verdict_name(Verdict v) {
  switch (v) {
    case Verdict::kMet:
      return "MET";
    case Verdict::kNotMet:
      return "NOT MET";
    case Verdict::kNotMeasured:
      return "not measured";
  }
  return "?";
}

std::vector<size_t> widths(const Table& t) {
  std::vector<size_t> w(t.header.size(), 0);
  for (size_t i = 0; i < t.header.size(); ++i) w[i] = t.header[i].size();
  for (const auto& row : t.rows) {
    for (size_t i = 0; i < row.size() && i < w.size(); ++i) w[i] = std::max(w[i], row[i].size());
  }
  return w;
}

void text_row(std::ostringstream& out, const std::vector<std::string>& cells,
              const std::vector<size_t>& w) {
  out << " ";
  for (size_t i = 0; i < w.size(); ++i) {
    const std::string c = i < cells.size() ? cells[i] : "";
    out << " " << c << std::string(w[i] - std::min(w[i], c.size()), ' ') << " ";
  }
  out << "\n";
}

std::string md_escape(const std::string& s) {
  std::string out;
  for (char c : s) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

}  // namespace

bool Plan::wants(const std::string& section) const {
  return std::find(sections.begin(), sections.end(), section) != sections.end();
}

Result<engine::Config> load_default_config(const Plan& plan) {
  return engine::load_config(plan.config_path);
}

std::vector<std::string> describe_machine(const Plan& plan) {
  utsname u{};
  uname(&u);
  double load[3] = {0, 0, 0};
  getloadavg(load, 3);
  char when[64];
  const std::time_t now = std::time(nullptr);
  std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", std::gmtime(&now));
  return {
      fmt("run: %s, `keel bench%s`", when, plan.quick ? " --quick" : ""),
      fmt("machine: %s, %u CPUs online (shared with other builds), kernel %s %s",
          first_line_with("/proc/cpuinfo", "model name").c_str(),
          std::thread::hardware_concurrency(), u.sysname, u.release),
      fmt("load average at start: %.2f %.2f %.2f", load[0], load[1], load[2]),
      fmt("scratch directory: %s (journals, SQLite, PostgreSQL: one filesystem)",
          plan.work_dir.c_str()),
  };
}

std::string render_text(const Report& r) {
  std::ostringstream out;
  out << "\nkeel bench results\n";
  for (const std::string& c : r.context) out << "  " << c << "\n";
  for (const Table& t : r.tables) {
    out << "\n" << t.title << "\n";
    const auto w = widths(t);
    text_row(out, t.header, w);
    for (const auto& row : t.rows) text_row(out, row, w);
    for (const std::string& n : t.notes) out << "  * " << n << "\n";
  }
  out << "\nTargets (issue 5; issue 10's tasks row)\n";
  for (const Check& c : r.checks) {
    out << "  " << fmt("%-13s", verdict_name(c.verdict)) << c.target << ": " << c.measured << "\n";
  }
  for (const std::string& e : r.errors) out << "  ERROR " << e << "\n";
  out << fmt("\nbench took %.1f s\n", r.seconds);
  return out.str();
}

std::string render_markdown(const Report& r, const Plan& plan) {
  std::ostringstream out;
  out << "# keel bench results\n\n"
      << "Written by `keel bench" << (plan.quick ? " --quick" : "")
      << "` (src/app/bench_command.cc, bench/); do not edit by hand, run it again. What each "
         "figure covers, the profile and the optimisation proposals: bench/README.md.\n\n";
  for (const std::string& c : r.context) out << "- " << md_escape(c) << "\n";
  out << fmt("- duration: %.1f s\n", r.seconds);
  out << "\n## Targets (issue 5; issue 10's tasks row)\n\n| verdict | target | measured |\n|---|---|---|\n";
  for (const Check& c : r.checks) {
    out << "| " << verdict_name(c.verdict) << " | " << md_escape(c.target) << " | "
        << md_escape(c.measured) << " |\n";
  }
  for (const Table& t : r.tables) {
    out << "\n## " << md_escape(t.title) << "\n\n|";
    for (const std::string& h : t.header) out << " " << md_escape(h) << " |";
    out << "\n|";
    for (size_t i = 0; i < t.header.size(); ++i) out << (i == 0 ? "---|" : "---:|");
    out << "\n";
    for (const auto& row : t.rows) {
      out << "|";
      for (size_t i = 0; i < t.header.size(); ++i) {
        out << " " << md_escape(i < row.size() ? row[i] : "") << " |";
      }
      out << "\n";
    }
    if (!t.notes.empty()) out << "\n";
    for (const std::string& n : t.notes) out << "- " << md_escape(n) << "\n";
  }
  if (!r.errors.empty()) {
    out << "\n## Errors\n\n";
    for (const std::string& e : r.errors) out << "- " << md_escape(e) << "\n";
  }
  return out.str();
}

}  // namespace keel::bench
