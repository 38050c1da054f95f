// sim_store.h (private): the sim's RocksDB directory.
//
// Durability: each write() is one WriteBatch with WriteOptions::sync = false. RocksDB appends the
// batch to its write-ahead log with write(2) before returning, so the change survives the
// process being killed at any instant (kill -9, abort, OOM): on reopen the WAL is replayed.
// It does not survive a machine crash or power loss (that would need sync = true); the sim
// plays a remote venue, whose state a real crash of *our* machine does not lose either, so the
// crash tests that matter (process death) are covered at a few µs per write.
#pragma once

#include <memory>
#include <string>

#include "keel/core/status.h"
#include "sim/sim_state.h"

namespace rocksdb {
class DB;
}

namespace keel::exchange::sim {

class SimStore {
 public:
  // Opens (creating if missing) the RocksDB directory `dir`. Errors: kIOError naming the dir.
  static Result<std::unique_ptr<SimStore>> open(const std::string& dir);
  ~SimStore();
  SimStore(const SimStore&) = delete;
  SimStore& operator=(const SimStore&) = delete;

  // Loads the whole state. Returns false (state untouched) when the directory holds no state
  // yet. Errors: kIOError, kCorruption (a record that does not decode, a trade id gap).
  Result<bool> load(SimState& s);

  // Writes the meta record and everything `d` names from `s`, in one WriteBatch.
  // Errors: kIOError.
  Status write(const SimState& s, const Dirty& d);

 private:
  SimStore(std::unique_ptr<rocksdb::DB> db, std::string dir);
  Status load_orders(SimState& s);
  Status load_trades(SimState& s);
  std::unique_ptr<rocksdb::DB> db_;
  std::string dir_;
};

}  // namespace keel::exchange::sim
