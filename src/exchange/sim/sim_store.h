// sim_store.h (private): the sim's RocksDB directory.
//
// Durability: each write() is one WriteBatch with WriteOptions::sync = false. RocksDB appends the
// batch to its write-ahead log with write(2) before returning, so the change survives the
// process being killed at any instant (kill -9, abort, OOM): on reopen the WAL is replayed.
// It does not survive a machine crash or power loss (that would need sync = true); the sim
// plays a remote venue, whose state a real crash of *our* machine does not lose either, so the
// crash tests that matter (process death) are covered at a few µs per write.
//
// The replay position between state changes (sim.h "Persistence"): write() runs only for a
// real state change (or an answered request), so most market events change nothing but the
// position and the clock. Those two go to the position cell instead: a 40-byte record at the
// start of a small file in the state directory (kPositionCellFile), mapped MAP_SHARED. A store
// into a shared file mapping is in the kernel's page cache as soon as the CPU makes it, so it
// survives the process being killed exactly as a WAL write(2) without sync does (and, like
// it, not a power loss). mark_position() is a few stores: no system call, no allocation.
// The cell names the meta record it extends (base_position: the position that write() last
// stored) and carries a checksum. load() uses it only when both match; otherwise (a kill in
// the middle of the stores, a missing or foreign file) the meta's own position stands, which is
// also correct, only older: see sim.h for why re-consuming those events is harmless.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "keel/core/status.h"
#include "sim/sim_state.h"

namespace rocksdb {
class DB;
class WriteBatch;
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
  // yet. When the position cell extends the stored meta record, s.position and s.now_ns are
  // the cell's (the events consumed after the last write changed nothing else).
  // Errors: kIOError, kCorruption (a record that does not decode, a trade or deposit id gap).
  Result<bool> load(SimState& s);

  // Writes the meta record and everything `d` names from `s`, in one WriteBatch, then points
  // the position cell at it. Errors: kIOError.
  Status write(const SimState& s, const Dirty& d);

  // Records s.position and s.now_ns in the position cell: the events since the last write()
  // changed nothing else. No system call, no allocation.
  void mark_position(const SimState& s);

  // The position the last write() stored in the meta record (or load() read from it).
  uint64_t meta_position() const { return meta_position_; }

  // Name of the position cell's file inside the state directory (RocksDB ignores it).
  static constexpr const char* kPositionCellFile = "KEEL_SIM_POSITION";

 private:
  struct Cell;
  SimStore(std::unique_ptr<rocksdb::DB> db, std::string dir);
  Status open_cell();
  Status load_orders(SimState& s);
  Status load_trades(SimState& s);
  Status load_deposits(SimState& s);
  void store_cell(uint64_t base, uint64_t position, int64_t now_ns);
  std::unique_ptr<rocksdb::DB> db_;
  std::string dir_;
  uint64_t meta_position_ = 0;
  int cell_fd_ = -1;
  Cell* cell_ = nullptr;  // mapped, kCellBytes
  // Reused by write(): their capacity survives, so a write allocates only inside RocksDB.
  std::unique_ptr<rocksdb::WriteBatch> batch_;
  std::string value_;
};

}  // namespace keel::exchange::sim
