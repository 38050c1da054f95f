// keel/journal/journal.h: the write-ahead journal on RocksDB.
//
// Keys: 8-byte big-endian seq (so RocksDB's order is sequence order). Values: codec.h records.
// Invariants:
//  - W1: append(..., sync=true) returns only after RocksDB's WriteOptions::sync write of one
//    WriteBatch holding all the given records (one decision: one sync).
//  - W4: the first failed write makes the journal fail-stop: every later append returns
//    kFailStop with the original error. There is no way back in this process. A write that
//    failed for want of space (RocksDB's NoSpace: ENOSPC, or FaultFs's byte budget, also when
//    RocksDB reports it later as its background error) says so: the message reads
//    "journal <dir>: disk full (no space left on device): ...".
//  - Storage faults for tests and crash campaigns (keel/journal/fault_fs.h): the DB's files go
//    through a FaultFs when Options::fault_fs is set, or when KEEL_POWER_LOSS=1 or
//    KEEL_DISK_FULL_AFTER_BYTES=N is in the environment (FaultFs::from_env()).
//  - Open scans every record: the hash chain and CRCs are checked; a bad *last* record is a torn
//    tail (end of journal: it is deleted and appending continues after the previous record);
//    a bad record anywhere else is kCorruption naming its seq, and open fails.
// Thread-compatible: one writer; callers serialise.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "keel/core/status.h"
#include "keel/journal/record.h"

namespace keel::journal {

class FaultFs;

struct JournalStats {
  uint64_t appends = 0;        // append() calls that succeeded
  uint64_t records = 0;        // records appended by this process
  uint64_t syncs = 0;          // appends with sync=true
};

// A snapshot of the folded state through record `seq` (the state's own bytes are opaque here:
// keel/model/snapshot.h encodes them). Kept in a column family of its own; not synced, since a
// lost snapshot only costs replay time.
struct Snapshot {
  uint64_t seq = 0;
  Hash record_hash{};  // SHA-256 of record `seq`: the chain continues from it
  std::string state;
};

struct VerifyReport {
  uint64_t records = 0;
  uint64_t last_seq = 0;
  bool torn_tail = false;      // the last record was unreadable (reported, not an error)
  uint64_t first_bad_seq = 0;  // 0 when intact
  // What was wrong with first_bad_seq ("journal record seq 42: crc mismatch"); when only the
  // tail is torn, first_bad_seq stays 0 and this describes the torn record ("torn tail: ...").
  std::string problem;
};

class Journal {
 public:
  struct Options {
    bool create_if_missing = true;
    bool read_only = false;  // inspect/export/verify: never writes, never repairs a torn tail
    // Open verifies every record from seq 1, not only the tail after the newest usable
    // snapshot (export: every row is known whole before the first is written).
    bool scan_from_start = false;
    // The file system the DB uses (tests: power loss, full disk). Null: FaultFs::from_env()
    // decides (none unless KEEL_POWER_LOSS / KEEL_DISK_FULL_AFTER_BYTES ask for one). The
    // journal keeps it alive while open.
    std::shared_ptr<FaultFs> fault_fs;
    // Bytes of write-ahead log kept before RocksDB flushes the column family that holds the
    // oldest one (rocksdb max_total_wal_size). The snapshots family is written rarely; without
    // this cap its memtable would pin every WAL file since its first write: the log would grow
    // without bound over weeks and every open would replay all of it. 4 MiB (about 20,000
    // records) keeps a restart of a 10^7-record journal with snapshots under 100 ms (keel bench
    // recovery: 64 MiB 635 ms, 16 MiB 241 ms, 4 MiB 80 ms); the price is a memtable flush per
    // 4 MiB written, in the background.
    uint64_t max_wal_bytes = 4ull << 20;
  };

  // Opens (or creates) the journal in directory `dir`. Errors: kIOError (RocksDB open; on a
  // full disk the message says "disk full (no space left on device)"; when another process
  // holds the journal for writing, the message names its pid), kCorruption (a bad
  // record that is not the last; message names the seq; or a RocksDB checksum failure while
  // scanning), kInvalidArgument (a malformed KEEL_POWER_LOSS / KEEL_DISK_FULL_AFTER_BYTES).
  // A read_only open beside another process that writes the journal sees a consistent prefix:
  // a view that raced the writer's flushes is opened again (up to 20 times, about 1.5 s in
  // all; the final error then names the writer's pid). verify() does the same.
  static Result<std::unique_ptr<Journal>> open(const std::string& dir, Options options);
  ~Journal();

  uint64_t last_seq() const;   // 0 for an empty journal
  uint64_t next_seq() const { return last_seq() + 1; }
  const Hash& last_hash() const;

  // Appends records whose seq are next_seq(), next_seq()+1, ... (asserts), filling prev_hash
  // (and ts_local_ns when 0), in one WriteBatch; sync=true makes it durable before returning.
  // An empty vector is a no-op. REQUIRES: not opened read_only (asserts).
  // Errors: kFailStop (this or an earlier write failed; sticky, W4; a full disk is named as
  // such, see above); kInvalidArgument when a record encodes to more than kMaxRecordBytes
  // (nothing written, the journal stays usable).
  Status append(std::vector<Record>& records, bool sync);

  // Calls fn for every record with seq >= from_seq in order; fn returns false to stop.
  // Errors: kCorruption naming the seq.
  Status for_each(uint64_t from_seq, const std::function<bool(const Record&)>& fn) const;

  // Stores a snapshot of the state folded through last_seq() (REQUIRES last_seq() > 0); keeps
  // the newest kSnapshotsKept. Not synced. Errors: kFailStop: the journal is failed, or this
  // write failed, which fails the journal as a failed append does (the DB shares one WAL; a
  // full disk is named as such).
  static constexpr size_t kSnapshotsKept = 2;
  Status write_snapshot(const std::string& state_bytes);
  // The snapshot open() started from, if any.
  const std::optional<Snapshot>& snapshot() const;

  // Full check of checksums and the hash chain without repairing anything.
  static Result<VerifyReport> verify(const std::string& dir);

  const JournalStats& stats() const;

  // What open() found: records, last_seq, and whether a torn tail was dropped (not read_only:
  // deleted from the store; read_only: skipped). For the caller to log.
  const VerifyReport& open_report() const;

  // The directory open() was given.
  const std::string& dir() const;

  // Test seam: make the next write fail as a sync failure would (W4 tests).
  void inject_write_failure_for_testing();

 private:
  struct Impl;
  explicit Journal(std::unique_ptr<Impl> impl);
  static Result<std::unique_ptr<Journal>> open_once(const std::string& dir, const Options& options);
  std::unique_ptr<Impl> impl_;
};

}  // namespace keel::journal
