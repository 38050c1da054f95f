// tests/support/crash_tally.h: what a crash campaign counts per crash point (crash_campaign.cc
// against the embedded exchange, sim_campaign.cc against `keel sim`), printed as one table.
#pragma once

#include <map>
#include <sstream>
#include <string>

namespace keel::testsupport {

struct CrashTally {
  std::map<std::string, int> crashes;      // crash point ("random", a failpoint name) -> crashes
  std::map<std::string, int> not_reached;  // failpoint -> lives that ended before reaching it

  int total() const {
    int n = 0;
    for (const auto& [point, c] : crashes) n += c;
    return n;
  }
  int count(const std::string& point) const {
    auto it = crashes.find(point);
    return it == crashes.end() ? 0 : it->second;
  }

  // A Markdown table, one row per crash point (a failpoint never reached has a row with 0).
  std::string table() const {
    std::ostringstream o;
    o << "| crash point | crashes | failpoint not reached |\n|---|---:|---:|\n";
    for (const auto& [name, n] : crashes) {
      auto nr = not_reached.find(name);
      o << "| " << name << " | " << n << " | "
        << (nr == not_reached.end() ? "-" : std::to_string(nr->second)) << " |\n";
    }
    for (const auto& [name, n] : not_reached) {
      if (crashes.count(name) == 0) o << "| " << name << " | 0 | " << n << " |\n";
    }
    return o.str();
  }
};

}  // namespace keel::testsupport
