// keel/journal/group_commit.h: a thread-safe, durable append over one Journal (group commit).
//
// Journal is single-writer: one append() is one WriteBatch and, with sync, one fdatasync.
// When several tasks (threads) share one journal, GroupCommitJournal lets them append
// concurrently without paying one sync each (LevelDB's writer queue, DBImpl::Write):
//  - writers queue in arrival order; the writer at the head becomes the leader, takes the
//    records of every writer queued behind it (up to Options::max_group_records), numbers them,
//    and makes ONE Journal::append(all, sync=true): one WriteBatch, one sync;
//  - then it wakes the writers it committed; the next queued writer leads the next group.
// No extra thread: an idle journal costs one uncontended mutex round trip per append.
//
// Contracts:
//  - W1: append() returns ok only after a synced write that holds all of its records.
//  - Records of one append() get contiguous seqs, in order, never interleaved with another
//    writer's. `number` (optional) is called by the committing thread with the records and their
//    first seq, after seq is assigned and before encoding, so that client order ids can be
//    derived from the seq (W5). It may be called more than once (see below); the last call wins.
//  - W4: a failed write fails every writer of its group (kFailStop) and, because the Journal's
//    fail-stop is sticky, every later append.
//  - A group whose batch is refused as oversized (kInvalidArgument: nothing was written) is
//    retried writer by writer, so only the writer with the oversized record gets the error.
//  - While a GroupCommitJournal exists, nothing else may call the Journal's append; reading
//    (for_each, last_seq) concurrently with appends is the caller's race to avoid.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <vector>

#include "keel/core/status.h"
#include "keel/journal/journal.h"

namespace keel::journal {

struct GroupCommitStats {
  uint64_t appends = 0;    // append() calls committed (ok or not)
  uint64_t groups = 0;     // Journal::append calls made (= syncs)
  uint64_t records = 0;    // records committed
  uint64_t max_group = 0;  // most appends in one group
};

class GroupCommitJournal {
 public:
  using NumberFn = std::function<void(std::vector<Record>& records, uint64_t first_seq)>;
  struct Options {
    size_t max_group_records = 4096;  // a limit on everything: records per WriteBatch
  };

  // `journal` must outlive this object and must not be appended to by anyone else meanwhile.
  explicit GroupCommitJournal(Journal& journal);
  GroupCommitJournal(Journal& journal, Options options);
  GroupCommitJournal(const GroupCommitJournal&) = delete;
  GroupCommitJournal& operator=(const GroupCommitJournal&) = delete;

  // Thread-safe. Durably appends `records` (seq, prev_hash and ts_local_ns are filled in, as by
  // Journal::append) and returns when they are synced or failed. An empty vector is a no-op.
  // Errors: those of Journal::append (kFailStop, kInvalidArgument).
  Status append(std::vector<Record>& records, const NumberFn& number = nullptr);

  GroupCommitStats stats() const;

 private:
  struct Writer {
    std::vector<Record>* records = nullptr;
    const NumberFn* number = nullptr;
    Status status;
    bool done = false;
    std::condition_variable cv;
  };

  size_t take_group(std::vector<Writer*>& group) const;  // REQUIRES mu_ held; returns records
  void commit_group(const std::vector<Writer*>& group);  // unlocked, as the leader; sets status
  Status commit_one(Writer& w);
  Status commit_batch(const std::vector<Writer*>& group);

  Journal& journal_;
  const Options options_;
  mutable std::mutex mu_;
  std::deque<Writer*> queue_;  // guarded by mu_; front() is the leader while it commits
  GroupCommitStats stats_;     // guarded by mu_
  std::vector<Record> batch_;  // the leader's scratch; only the leader touches it
};

}  // namespace keel::journal
