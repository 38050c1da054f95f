// bench/durable.h: systems that make one intent durable, for the durable-latency section.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "keel/core/status.h"

namespace keel::bench {

// One way of making an intent durable. start() prepares `writers` writer slots (connections,
// statements); commit(w) is called by writer w's own thread only, and returns once the intent
// is durable (its system's fsync/fdatasync done). Different writers run concurrently.
class DurableSystem {
 public:
  virtual ~DurableSystem() = default;
  virtual std::string name() const = 0;
  virtual std::string how() const = 0;  // one line: what a commit is, for the table's notes
  virtual Status start(int writers) = 0;
  virtual Status commit(int writer) = 0;
  virtual void stop() {}
  virtual std::string summary() const { return ""; }  // after stop(): e.g. group sizes
};

// The encoded bytes of a realistic PlaceIntent (the grid's, as the engine journals it).
std::string sample_intent_bytes();

// Systems. `dir` is a fresh directory for each; all on the same filesystem.
std::unique_ptr<DurableSystem> make_raw_fdatasync(const std::string& dir);
std::unique_ptr<DurableSystem> make_raw_overwrite(const std::string& dir);      // preallocated file
std::unique_ptr<DurableSystem> make_keel_journal(const std::string& dir);       // 1 writer
std::unique_ptr<DurableSystem> make_keel_group_commit(const std::string& dir);  // N writers
std::unique_ptr<DurableSystem> make_sqlite(const std::string& dir);

// PostgreSQL: a private server (initdb + pg_ctl) under `dir`, stopped when the object dies,
// and by a watchdog process if this process dies first.
std::unique_ptr<DurableSystem> make_postgres(const std::string& dir, const std::string& pg_bin);

// The newest /usr/lib/postgresql/<v>/bin holding initdb and pg_ctl, or "".
std::string find_pg_bin();

}  // namespace keel::bench
