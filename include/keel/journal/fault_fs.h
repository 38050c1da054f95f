// keel/journal/fault_fs.h: power loss and a full disk under the journal's RocksDB (issue 4).
//
// FaultFs wraps RocksDB's default FileSystem (the public rocksdb::FileSystemWrapper API) and is
// handed to the journal's DB through Journal::Options::fault_fs or, in a real process, through
// the environment (from_env()). It injects two storage faults the engine must survive:
//
// POWER LOSS. For every file the DB opens for writing through it (NewWritableFile,
// ReopenWritableFile, ReuseWritableFile), FaultFs tracks the byte length last made durable.
// The durability model is deliberately conservative:
//  - only a successful Sync() or Fsync() makes data durable: the file's length at that moment
//    (stat(2) of its current path, taken under the mutex, so no write can interleave) becomes
//    its durable length;
//  - Append, PositionedAppend, Flush, RangeSync (sync_file_range starts write-back, it does not
//    wait for it nor flush the drive's cache) and Close add nothing durable: a file closed
//    without a sync keeps the durable length of its last sync;
//  - a file created (NewWritableFile, ReuseWritableFile) starts with durable length 0, so one
//    that is never synced loses everything; a reopened file that was not tracked before keeps
//    its present length as durable (it predates this FaultFs);
//  - Truncate(n) (of the open file or by path) lowers the durable length to at most n;
//  - RenameFile moves the tracking to the new path (CURRENT, OPTIONS and IDENTITY are written
//    under a temporary name and renamed) and drops whatever was tracked at the target path
//    (that file is gone); DeleteFile stops tracking the path.
// A power cut (power_cut(), power_cut_now(), a failpoint kill or SIGUSR2 in KEEL_POWER_LOSS
// mode) takes the mutex of every registered FaultFs and holds it until the process is dead,
// truncates every tracked file to its durable length, then SIGKILLs the process. Every
// operation of the wrapper that changes a file or a name takes that mutex, so no write
// through the DB lands after the truncation.
//
// FULL DISK. With a byte budget N (Options::disk_full_after_bytes, KEEL_DISK_FULL_AFTER_BYTES),
// an Append or PositionedAppend of n bytes that would take the total appended through this
// FaultFs past N writes nothing and fails with rocksdb::IOStatus::NoSpace (as ENOSPC, marked
// retryable as RocksDB's own Posix file system marks ENOSPC); from then on every Append fails
// the same way (the disk stays full until set_disk_full_after_bytes()). The total counts every
// file of the DB (WAL, MANIFEST, SST, CURRENT, OPTIONS, IDENTITY), from the first byte the DB
// writes, including at open.
// Journal turns the failure into its sticky fail-stop (W4) and says "disk full (no space left
// on device)" with the journal's directory.
//
// Limitations (stated, not modelled):
//  - Directory entries are not modelled: a created, renamed or deleted name is durable at
//    once (a real power loss may also lose a create or a rename whose directory was not
//    fsynced, or resurrect a deleted file). A never-synced file survives as an empty file.
//  - Only files opened for writing through this FaultFs in this process are tracked; files
//    that existed before are treated as durable. The DB's info LOG (NewLogger) and files
//    opened with NewRandomRWFile or made by LinkFile are not tracked (the journal's DB uses
//    none of them for data).
//  - The page cache is not modelled beyond "unsynced bytes are lost": a real power loss may
//    also keep some of them, or tear a page; truncating at the last sync is the worst case
//    RocksDB's WAL must survive (kPointInTimeRecovery), torn pages are the torn-tail tests'.
// Thread-safe.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "keel/core/status.h"

namespace rocksdb {
class Env;
class FileSystem;
}  // namespace rocksdb

namespace keel::journal {

class FaultFs {
 public:
  static constexpr uint64_t kUnlimited = std::numeric_limits<uint64_t>::max();

  struct Options {
    // Register for power cuts: power_cut_now(), failpoint kills and SIGUSR2 truncate this
    // FaultFs's files. Durable lengths are tracked either way.
    bool power_loss = false;
    // Total bytes that may be appended through this FaultFs (all files) before the disk is
    // full; kUnlimited: never full. 0: the very first Append fails (the DB cannot be created).
    uint64_t disk_full_after_bytes = kUnlimited;
  };

  // One tracked file, for tests and diagnostics.
  struct TrackedFile {
    std::string path;        // current path (follows RenameFile)
    uint64_t size_bytes;     // bytes written through the open file (its end), or its size
    uint64_t durable_bytes;  // length at the last successful Sync/Fsync; 0 when never synced
  };

  // A FaultFs over rocksdb::FileSystem::Default(). With options.power_loss it is registered
  // for power cuts (until destroyed) and the failpoint crash hook is installed.
  static std::shared_ptr<FaultFs> create(Options options);

  // The options the environment asks for:
  //   KEEL_POWER_LOSS: unset, "" or "0": off; "1": power_loss = true.
  //   KEEL_DISK_FULL_AFTER_BYTES: unset or "": kUnlimited; else a decimal byte count
  //     (0 .. 2^64-2) that becomes disk_full_after_bytes.
  // Errors: kInvalidArgument naming the variable for any other value.
  static Result<Options> options_from_env();

  // The process-wide FaultFs the environment asks for, created on the first call and shared
  // by every later one (so the byte budget and the durable lengths span every journal the
  // process opens); nullptr when neither variable asks for anything. Journal::open uses it
  // when Journal::Options::fault_fs is null. Errors: those of options_from_env().
  static Result<std::shared_ptr<FaultFs>> from_env();

  ~FaultFs();
  FaultFs(const FaultFs&) = delete;
  FaultFs& operator=(const FaultFs&) = delete;

  // The Env to put in rocksdb::Options::env (Env::Default()'s threads and clock, this file
  // system). Valid while this FaultFs lives; the DB must be closed before it is destroyed.
  rocksdb::Env* env() const;
  std::shared_ptr<rocksdb::FileSystem> file_system() const;

  // Bytes appended successfully through this FaultFs so far (all files).
  uint64_t appended_bytes() const;
  // Replaces the budget (a total, as Options::disk_full_after_bytes) and clears the full
  // state, as if space were freed: appends that fit the new budget succeed again (tests use
  // it to fill the disk at a chosen moment, and to check that the journal stays failed).
  void set_disk_full_after_bytes(uint64_t total_bytes);
  // True once an append was refused for want of space.
  bool disk_full() const;

  // Every tracked file, sorted by path.
  std::vector<TrackedFile> tracked_files() const;

  // Truncates every tracked file to its durable length (as a power cut does) but neither
  // kills the process nor keeps the mutex: for in-process tests of the model. Returns the
  // number of files that were shortened. Files that no longer exist are skipped.
  size_t truncate_to_durable_for_testing();

  // Simulates a power loss now: the power cut of every registered FaultFs (see
  // power_cut_now()), this one included even when it was created without power_loss.
  [[noreturn]] void power_cut();

  struct Impl;  // the RocksDB FileSystem wrapper (fault_fs.cc)

 private:
  explicit FaultFs(Options options);
  std::shared_ptr<Impl> impl_;
  std::unique_ptr<rocksdb::Env> env_;
  bool registered_ = false;
};

// Power cut for the whole process: takes the mutex of every registered FaultFs (and keeps
// them), truncates their tracked files to their durable lengths, writes one line to stderr
// ("keel: power cut: ..."), then kill(getpid(), SIGKILL). Never returns. With nothing
// registered it is a plain SIGKILL.
[[noreturn]] void power_cut_now();

// KEEL_POWER_LOSS=1 only (otherwise a no-op): blocks SIGUSR2 in the calling thread and starts
// a thread that waits for it with sigwait(); a SIGUSR2 is then "the power is cut now":
// power_cut_now(). Also installs the failpoint crash hook, so that a failpoint kill truncates
// first. Threads inherit the signal mask of their creator, so call it at the very top of
// main(), before any thread exists (a thread started earlier would take the default action of
// SIGUSR2: death without truncation). Idempotent. Errors are fatal (printed, _Exit(1)): a
// campaign that asked for power cuts must not silently run without them.
void install_power_cut_signal();

}  // namespace keel::journal
