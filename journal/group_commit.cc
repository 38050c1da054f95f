// Group commit over one Journal (contract in keel/journal/group_commit.h).
//
// Why the leader is a caller and not a dedicated thread: the writer that finds the queue empty
// commits at once, so a single writer pays no thread hand-off; under contention the writers that
// arrive while a sync is in flight pile up behind it and go out together in the next sync, which
// is where the throughput comes from (one fdatasync amortised over the group).
#include "keel/journal/group_commit.h"

#include <utility>

namespace keel::journal {

GroupCommitJournal::GroupCommitJournal(Journal& journal) : GroupCommitJournal(journal, Options{}) {}

GroupCommitJournal::GroupCommitJournal(Journal& journal, Options options)
    : journal_(journal), options_(options) {}

GroupCommitStats GroupCommitJournal::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

Status GroupCommitJournal::append(std::vector<Record>& records, const NumberFn& number) {
  if (records.empty()) return Status::Ok();
  Writer w;
  w.records = &records;
  w.number = &number;
  std::unique_lock<std::mutex> lock(mu_);
  queue_.push_back(&w);
  while (!w.done && &w != queue_.front()) w.cv.wait(lock);
  if (w.done) return w.status;  // a leader committed us

  // We lead: the group stays at the head of the queue while we commit, so later arrivals wait.
  std::vector<Writer*> group;
  const size_t n_records = take_group(group);
  lock.unlock();
  commit_group(group);  // sets every member's status
  lock.lock();
  for (Writer* g : group) {
    KEEL_ASSERT(queue_.front() == g);
    queue_.pop_front();
    if (g == &w) continue;
    g->done = true;
    g->cv.notify_one();
  }
  stats_.appends += group.size();
  stats_.groups += 1;
  stats_.records += n_records;
  if (group.size() > stats_.max_group) stats_.max_group = group.size();
  if (!queue_.empty()) queue_.front()->cv.notify_one();  // the next leader
  return w.status;
}

size_t GroupCommitJournal::take_group(std::vector<Writer*>& group) const {
  size_t n = 0;
  for (Writer* w : queue_) {
    // The leader always goes, even alone over the limit; others only while the batch fits.
    if (!group.empty() && n + w->records->size() > options_.max_group_records) break;
    group.push_back(w);
    n += w->records->size();
  }
  return n;
}

void GroupCommitJournal::commit_group(const std::vector<Writer*>& group) {
  if (group.size() == 1) {
    group.front()->status = commit_one(*group.front());
    return;
  }
  const Status s = commit_batch(group);
  if (s.code() != Code::kInvalidArgument) {
    for (Writer* w : group) w->status = s;
    return;
  }
  // Nothing was written (an oversized record): give each writer its own verdict. After a
  // fail-stop the journal refuses the rest, so they get kFailStop too.
  for (Writer* w : group) w->status = commit_one(*w);
}

Status GroupCommitJournal::commit_one(Writer& w) {
  const uint64_t first = journal_.next_seq();
  uint64_t seq = first;
  for (Record& r : *w.records) r.seq = seq++;
  if (*w.number) (*w.number)(*w.records, first);
  return journal_.append(*w.records, /*sync=*/true);
}

Status GroupCommitJournal::commit_batch(const std::vector<Writer*>& group) {
  batch_.clear();
  uint64_t seq = journal_.next_seq();
  for (Writer* w : group) {
    const uint64_t first = seq;
    for (Record& r : *w->records) r.seq = seq++;
    if (*w->number) (*w->number)(*w->records, first);
    for (Record& r : *w->records) batch_.push_back(std::move(r));
  }
  const Status s = journal_.append(batch_, /*sync=*/true);
  size_t i = 0;  // hand every record back, filled in (or untouched on error)
  for (Writer* w : group) {
    for (Record& r : *w->records) r = std::move(batch_[i++]);
  }
  batch_.clear();
  return s;
}

}  // namespace keel::journal
