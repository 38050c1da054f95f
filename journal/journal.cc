// The write-ahead journal on RocksDB (contract in keel/journal/journal.h).
//
// Why RocksDB is used this plainly: every record is one Put under its big-endian seq, and one
// append() is one WriteBatch, so RocksDB's WAL makes a batch all-or-nothing; sync=true makes the
// WAL fdatasync before Write returns (W1). The WAL stays on and the default
// kPointInTimeRecovery mode lets RocksDB drop its own torn WAL tail after a crash. On top of
// that, each record carries its own CRC and the previous record's SHA-256, so a bad value that
// RocksDB hands back (a bug, a bit flip, a hand edit) is still caught, and open() decides
// between "torn tail" (the last record: end of journal) and "corruption" (anything else: stop).
#include "keel/journal/journal.h"

#include <fcntl.h>
#include <unistd.h>

#include <rocksdb/db.h>
#include <rocksdb/iterator.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <chrono>
#include <string_view>
#include <thread>

#include "keel/core/clock.h"
#include "keel/core/failpoint.h"
#include "keel/journal/codec.h"
#include "keel/journal/fault_fs.h"

namespace keel::journal {

namespace {

constexpr size_t kKeyBytes = 8;
constexpr size_t kScanReadaheadBytes = 2 << 20;  // one sequential pass over ~10^5 records

std::string key_of(uint64_t seq) {
  std::string key(kKeyBytes, '\0');
  for (size_t i = 0; i < kKeyBytes; ++i) {
    key[kKeyBytes - 1 - i] = static_cast<char>(static_cast<uint8_t>(seq >> (8 * i)));
  }
  return key;
}

// 0 when the key is not 8 bytes (seq 0 is never stored).
uint64_t seq_of_key(const rocksdb::Slice& key) {
  if (key.size() != kKeyBytes) return 0;
  uint64_t seq = 0;
  for (size_t i = 0; i < kKeyBytes; ++i) seq = (seq << 8) | static_cast<uint8_t>(key[i]);
  return seq;
}

std::string_view view(const rocksdb::Slice& s) { return {s.data(), s.size()}; }

std::string seq_text(uint64_t seq) { return "journal record seq " + std::to_string(seq) + ": "; }

// A failed RocksDB read: its own checksum failures are corruption, anything else is I/O.
Status read_error(const char* what, const rocksdb::Status& s) {
  std::string msg = std::string(what) + ": " + s.ToString();
  return s.IsCorruption() ? Status::Corruption(std::move(msg)) : Status::IOError(std::move(msg));
}

// How a failed RocksDB write is reported. A full disk is said in words, with the directory, so
// that the operator reading the fail-stop line knows what to free (ENOSPC from the Posix file
// system and FaultFs's budget are both RocksDB NoSpace; RocksDB also returns it again as the
// background error of the writes that follow).
std::string write_failure(const std::string& dir, const std::string& what,
                          const rocksdb::Status& s) {
  if (s.IsNoSpace()) {
    return "journal " + dir + ": disk full (no space left on device): " + what + " failed: " +
           s.ToString();
  }
  return what + " failed: " + s.ToString();
}

rocksdb::Options db_options(const Journal::Options& options, rocksdb::Env* env) {
  rocksdb::Options o;
  if (env != nullptr) o.env = env;
  o.create_if_missing = options.create_if_missing && !options.read_only;
  o.paranoid_checks = true;
  o.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  o.keep_log_file_num = 4;  // RocksDB's info LOG files, not the WAL
  o.max_total_wal_size = options.max_wal_bytes;  // see Options::max_wal_bytes
  return o;
}

// The pid of another process that holds the journal's RocksDB LOCK (a POSIX record lock that
// RocksDB's PosixEnv takes with F_SETLK), or 0 when none does. This process's own locks are
// not reported (F_GETLK), so an open in the writing process itself is never retried.
long writer_pid(const std::string& dir) {
  const int fd = ::open((dir + "/LOCK").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  struct flock f {};
  f.l_type = F_WRLCK;
  f.l_whence = SEEK_SET;
  const bool locked = ::fcntl(fd, F_GETLK, &f) == 0 && f.l_type != F_UNLCK;
  ::close(fd);
  return locked ? static_cast<long>(f.l_pid) : 0;
}

// A read-only pass (inspect, export, verify) may run beside the `keel run` that writes the
// journal. RocksDB's read-only open reads the MANIFEST, then the WAL files; a flush in between
// can leave it a view with a gap (a false "record missing") or a file already deleted. So
// while another process holds the journal's LOCK (at the start or the end of the pass), a
// pass whose result `failed` says so is run again on a fresh open, up to kReadAttempts times
// (back-off 10, 20, ... 100 ms; about 1.5 s in all), and the last failure is then annotated by
// `explain` with the writer's pid. On a journal nobody writes, the first answer stands.
constexpr int kReadAttempts = 20;

bool raced(const Status& s) {
  return s.code() == Code::kCorruption || s.code() == Code::kIOError;
}

template <class T, class Read, class Failed, class Explain>
Result<T> read_beside_writer(const std::string& dir, Read read, Failed failed, Explain explain) {
  for (int attempt = 1;; ++attempt) {
    const long writer_before = writer_pid(dir);  // a writer that exits mid-pass still raced it
    Result<T> r = read();
    if (!failed(r)) return r;
    const long writer_after = writer_pid(dir);
    const long writer = writer_after != 0 ? writer_after : writer_before;
    if (writer == 0) return r;
    if (attempt == kReadAttempts) {
      explain(r, "journal " + dir + " is being written by process " + std::to_string(writer) +
                     ", and " + std::to_string(kReadAttempts) +
                     " read-only passes in a row raced its writes");
      return r;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10 * std::min(attempt, 10)));
  }
}

constexpr const char* kSnapshotFamily = "snapshots";

// The DB and its snapshot column family handle (owned; released before the DB closes).
struct Db {
  std::unique_ptr<rocksdb::DB> db;
  rocksdb::ColumnFamilyHandle* snapshots = nullptr;  // null in a read-only open without one
  Db() = default;
  Db(Db&&) = default;
  Db& operator=(Db&&) = default;
  ~Db() {
    if (db && snapshots != nullptr) db->DestroyColumnFamilyHandle(snapshots);
  }
};

Result<Db> open_db(const std::string& dir, const Journal::Options& options, rocksdb::Env* env) {
  rocksdb::Options o = db_options(options, env);
  o.create_missing_column_families = !options.read_only;
  std::vector<std::string> names;
  if (!rocksdb::DB::ListColumnFamilies(o, dir, &names).ok()) names = {};
  bool has_snapshots = false;
  for (const auto& n : names) has_snapshots |= n == kSnapshotFamily;
  std::vector<rocksdb::ColumnFamilyDescriptor> families{
      {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions(o)}};
  if (has_snapshots || !options.read_only) {
    families.push_back({kSnapshotFamily, rocksdb::ColumnFamilyOptions(o)});
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  const rocksdb::Status s =
      options.read_only ? rocksdb::DB::OpenForReadOnly(o, dir, families, &handles, &raw)
                        : rocksdb::DB::Open(o, dir, families, &handles, &raw);
  if (!s.ok()) {
    if (s.IsNoSpace()) return Status::IOError(write_failure(dir, "journal open", s));
    if (const long writer = options.read_only ? 0 : writer_pid(dir); writer != 0) {
      return Status::IOError("journal " + dir + " is in use by process " +
                             std::to_string(writer) +
                             " (another keel run on the same journal?); only one writer may "
                             "hold it: " + s.ToString());
    }
    return Status::IOError("journal open " + dir + ": " + s.ToString());
  }
  KEEL_ASSERT(raw != nullptr);
  Db out;
  out.db.reset(raw);
  raw->DestroyColumnFamilyHandle(handles[0]);  // the default family: raw->DefaultColumnFamily()
  if (handles.size() > 1) out.snapshots = handles[1];
  return out;
}

// Snapshot value: record_hash (32 bytes) then the state bytes. The key is the record's seq.
std::optional<Snapshot> read_latest_snapshot(const Db& d) {
  if (d.snapshots == nullptr) return std::nullopt;
  std::unique_ptr<rocksdb::Iterator> it(d.db->NewIterator(rocksdb::ReadOptions(), d.snapshots));
  for (it->SeekToLast(); it->Valid(); it->Prev()) {
    const rocksdb::Slice v = it->value();
    const uint64_t seq = seq_of_key(it->key());
    if (seq == 0 || v.size() < 32) continue;  // damaged: an older one may serve
    Snapshot snap;
    snap.seq = seq;
    std::copy(v.data(), v.data() + 32, snap.record_hash.begin());
    snap.state.assign(v.data() + 32, v.size() - 32);
    return snap;
  }
  return std::nullopt;
}

// One stored entry checked against the expected seq and the previous record's hash.
struct EntryCheck {
  std::string problem;     // empty when the entry is good
  bool unreadable = false; // the value itself does not decode: a torn tail if it is the last
  Hash hash{};             // the entry's SHA-256 when good
};

EntryCheck check_entry(const rocksdb::Slice& key, const rocksdb::Slice& value,
                       uint64_t expected_seq, const Hash& prev_hash) {
  EntryCheck c;
  const uint64_t key_seq = seq_of_key(key);
  if (key.size() != kKeyBytes) {
    c.problem = "missing (found a key of " + std::to_string(key.size()) + " bytes)";
    return c;
  }
  if (key_seq != expected_seq) {
    c.problem = "missing (the next key holds seq " + std::to_string(key_seq) + ")";
    return c;
  }
  Result<Record> rec = decode(view(value));
  if (!rec.ok()) {
    c.problem = rec.status().message();
    c.unreadable = true;
    return c;
  }
  if (rec->seq != expected_seq) {
    c.problem = "envelope holds seq " + std::to_string(rec->seq);
    return c;
  }
  if (rec->prev_hash != prev_hash) {
    c.problem = "prev_hash does not match the hash of the record before it (hash chain broken)";
    return c;
  }
  c.hash = hash_bytes(view(value));
  return c;
}

struct ScanResult {
  VerifyReport report;
  Hash last_hash{};
};

// One sequential pass from `first_seq` (whose predecessor hashes to `prev`): CRC/decode, seq
// contiguity, the hash chain. Record-level findings go to out->report; only a RocksDB read
// failure is an error. Records before first_seq count as verified by the caller.
Status scan_journal(rocksdb::DB* db, uint64_t first_seq, const Hash& first_prev,
                    ScanResult* out) {
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  ro.readahead_size = kScanReadaheadBytes;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro));
  VerifyReport& rep = out->report;
  Hash prev = first_prev;
  uint64_t expected = first_seq;
  rep.records = first_seq - 1;
  rep.last_seq = first_seq - 1;
  it->Seek(key_of(first_seq));
  while (it->Valid()) {
    EntryCheck c = check_entry(it->key(), it->value(), expected, prev);
    if (!c.problem.empty()) {
      it->Next();
      const bool is_last = !it->Valid() && it->status().ok();
      if (is_last && c.unreadable) {
        rep.torn_tail = true;
        rep.problem = "torn tail: " + seq_text(expected) + c.problem;
      } else {
        rep.first_bad_seq = expected;
        rep.problem = seq_text(expected) + c.problem;
      }
      break;
    }
    prev = c.hash;
    rep.records += 1;
    rep.last_seq = expected;
    expected += 1;
    it->Next();
  }
  if (!it->status().ok()) return read_error("journal scan", it->status());
  out->last_hash = prev;
  return Status::Ok();
}

Status delete_torn_tail(rocksdb::DB* db, const std::string& dir, uint64_t seq) {
  rocksdb::WriteOptions wo;
  wo.sync = true;
  const rocksdb::Status s = db->Delete(wo, key_of(seq));
  if (!s.ok()) {
    return Status::IOError(write_failure(dir, seq_text(seq) + "deleting the torn tail", s));
  }
  return Status::Ok();
}

// The snapshot is usable when record snap.seq exists and hashes to snap.record_hash.
bool snapshot_usable(rocksdb::DB* db, const Snapshot& snap) {
  std::string value;
  if (!db->Get(rocksdb::ReadOptions(), key_of(snap.seq), &value).ok()) return false;
  Result<Record> rec = decode(value);
  return rec.ok() && rec->seq == snap.seq && hash_bytes(value) == snap.record_hash;
}

}  // namespace

struct Journal::Impl {
  std::shared_ptr<FaultFs> fault_fs;  // null unless injecting faults; outlives `store`
  std::string dir;
  Db store;
  rocksdb::DB* db = nullptr;  // store.db.get()
  std::optional<Snapshot> snapshot;
  Options options;
  uint64_t last_seq = 0;
  Hash last_hash{};
  JournalStats stats;
  VerifyReport open_report;
  Status fail_stop;  // ok until the first failed write; then returned forever (W4)
  bool inject_failure = false;
};

Journal::Journal(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Journal::~Journal() = default;

namespace {

// The FaultFs the DB must use: the caller's, else the environment's (usually none).
Result<std::shared_ptr<FaultFs>> fault_fs_for(const Journal::Options& options) {
  if (options.fault_fs) return options.fault_fs;
  return FaultFs::from_env();
}

}  // namespace

Result<std::unique_ptr<Journal>> Journal::open(const std::string& dir, Options options) {
  if (!options.read_only) return open_once(dir, options);
  return read_beside_writer<std::unique_ptr<Journal>>(
      dir, [&] { return open_once(dir, options); },
      [](const Result<std::unique_ptr<Journal>>& j) { return raced(j.status()); },
      [](Result<std::unique_ptr<Journal>>& j, const std::string& why) {
        j = j.status().With(why);
      });
}

Result<std::unique_ptr<Journal>> Journal::open_once(const std::string& dir,
                                                    const Options& options) {
  Result<std::shared_ptr<FaultFs>> fault_fs = fault_fs_for(options);
  if (!fault_fs.ok()) return fault_fs.status();
  Result<Db> store = open_db(dir, options, *fault_fs ? (*fault_fs)->env() : nullptr);
  if (!store.ok()) return store.status();
  rocksdb::DB* db = store->db.get();
  std::optional<Snapshot> snap = read_latest_snapshot(*store);
  if (snap && !snapshot_usable(db, *snap)) snap.reset();  // fold from the start instead
  ScanResult scan;
  KEEL_RETURN_IF_ERROR(snap && !options.scan_from_start
                           ? scan_journal(db, snap->seq + 1, snap->record_hash, &scan)
                           : scan_journal(db, 1, Hash{}, &scan));
  if (scan.report.first_bad_seq != 0) return Status::Corruption(scan.report.problem);
  if (scan.report.torn_tail && !options.read_only) {
    // The last record never completed: it is not part of the journal. Remove it so the next
    // append reuses its seq and chains from the record before it.
    KEEL_RETURN_IF_ERROR(delete_torn_tail(db, dir, scan.report.last_seq + 1));
  }
  auto impl = std::make_unique<Impl>();
  impl->fault_fs = std::move(*fault_fs);
  impl->dir = dir;
  impl->store = std::move(*store);
  impl->db = db;
  impl->snapshot = std::move(snap);
  impl->options = options;
  impl->last_seq = scan.report.last_seq;
  impl->last_hash = scan.last_hash;
  impl->open_report = std::move(scan.report);
  return std::unique_ptr<Journal>(new Journal(std::move(impl)));
}

uint64_t Journal::last_seq() const { return impl_->last_seq; }
const Hash& Journal::last_hash() const { return impl_->last_hash; }
const JournalStats& Journal::stats() const { return impl_->stats; }
const VerifyReport& Journal::open_report() const { return impl_->open_report; }
const std::string& Journal::dir() const { return impl_->dir; }
void Journal::inject_write_failure_for_testing() { impl_->inject_failure = true; }

Status Journal::append(std::vector<Record>& records, bool sync) {
  Impl& m = *impl_;
  KEEL_ASSERT_MSG(!m.options.read_only, "append on a read-only journal");
  if (!m.fail_stop.ok()) return m.fail_stop;
  if (records.empty()) return Status::Ok();
  rocksdb::WriteBatch batch;
  Hash prev = m.last_hash;
  for (size_t i = 0; i < records.size(); ++i) {
    Record& rec = records[i];
    KEEL_ASSERT_MSG(rec.seq == m.last_seq + 1 + i, "journal append: seq not contiguous");
    rec.prev_hash = prev;
    if (rec.ts_local_ns == 0) rec.ts_local_ns = SystemClock::instance().realtime_ns();
    Result<std::string> bytes = try_encode(rec);
    if (!bytes.ok()) return bytes.status();  // nothing written: the journal stays healthy
    prev = hash_bytes(*bytes);
    batch.Put(key_of(rec.seq), *bytes);
  }
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  failpoint("journal.append.before");
  const rocksdb::Status s = m.inject_failure
                                ? rocksdb::Status::IOError("injected write failure (test)")
                                : m.db->Write(wo, &batch);
  if (!s.ok()) {
    // W4: never retry-and-continue. Whether the batch reached the disk is unknown, so no
    // further record may be chained after it in this process.
    m.fail_stop = Status::FailStop(write_failure(m.dir, "journal write", s));
    return m.fail_stop;
  }
  m.last_seq += records.size();
  m.last_hash = prev;
  m.stats.appends += 1;
  m.stats.records += records.size();
  if (sync) m.stats.syncs += 1;
  failpoint(sync ? "journal.append.after_sync" : "journal.append.after_write");
  return Status::Ok();
}

Status Journal::for_each(uint64_t from_seq,
                         const std::function<bool(const Record&)>& fn) const {
  const Impl& m = *impl_;
  uint64_t expected = from_seq == 0 ? 1 : from_seq;
  if (expected > m.last_seq) return Status::Ok();
  const std::string upper = key_of(m.last_seq + 1);  // never reads a skipped torn tail
  const rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  ro.readahead_size = kScanReadaheadBytes;
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(m.db->NewIterator(ro));
  for (it->Seek(key_of(expected)); it->Valid(); it->Next(), ++expected) {
    if (seq_of_key(it->key()) != expected) {
      return Status::Corruption(seq_text(expected) + "missing");
    }
    Result<Record> rec = decode(view(it->value()));
    if (!rec.ok()) return Status::Corruption(seq_text(expected) + rec.status().message());
    if (rec->seq != expected) {
      return Status::Corruption(seq_text(expected) + "envelope holds seq " +
                                std::to_string(rec->seq));
    }
    if (!fn(*rec)) return Status::Ok();
  }
  if (!it->status().ok()) return read_error("journal read", it->status());
  if (expected <= m.last_seq) return Status::Corruption(seq_text(expected) + "missing");
  return Status::Ok();
}

Result<VerifyReport> Journal::verify(const std::string& dir) {
  Options options;
  options.create_if_missing = false;
  options.read_only = true;
  Result<std::shared_ptr<FaultFs>> fault_fs = fault_fs_for(options);
  if (!fault_fs.ok()) return fault_fs.status();
  auto pass = [&]() -> Result<VerifyReport> {
    Result<Db> store = open_db(dir, options, *fault_fs ? (*fault_fs)->env() : nullptr);
    if (!store.ok()) return store.status();
    ScanResult scan;
    KEEL_RETURN_IF_ERROR(scan_journal(store->db.get(), 1, Hash{}, &scan));
    return std::move(scan.report);
  };
  return read_beside_writer<VerifyReport>(
      dir, pass,
      [](const Result<VerifyReport>& r) {
        return !r.ok() ? raced(r.status()) : r->first_bad_seq != 0;
      },
      [](Result<VerifyReport>& r, const std::string& why) {
        if (!r.ok()) r = r.status().With(why);
        else r->problem += " (" + why + ")";
      });
}

const std::optional<Snapshot>& Journal::snapshot() const { return impl_->snapshot; }

Status Journal::write_snapshot(const std::string& state_bytes) {
  Impl& m = *impl_;
  KEEL_ASSERT_MSG(!m.options.read_only, "snapshot on a read-only journal");
  KEEL_ASSERT(m.last_seq > 0);
  KEEL_ASSERT(m.store.snapshots != nullptr);
  if (!m.fail_stop.ok()) return m.fail_stop;
  std::string value(reinterpret_cast<const char*>(m.last_hash.data()), m.last_hash.size());
  value += state_bytes;
  rocksdb::WriteBatch batch;
  batch.Put(m.store.snapshots, key_of(m.last_seq), value);
  // Drop all but the newest kSnapshotsKept (this one included).
  std::unique_ptr<rocksdb::Iterator> it(m.db->NewIterator(rocksdb::ReadOptions(), m.store.snapshots));
  size_t kept = 1;
  for (it->SeekToLast(); it->Valid(); it->Prev()) {
    if (seq_of_key(it->key()) == m.last_seq) continue;
    if (kept < kSnapshotsKept) {
      ++kept;
      continue;
    }
    batch.Delete(m.store.snapshots, it->key());
  }
  const rocksdb::Status s = m.db->Write(rocksdb::WriteOptions(), &batch);
  if (!s.ok()) {
    // The snapshot shares the WAL with the records: after a failed write RocksDB refuses
    // further writes anyway, and W4 treats any failed write as the end of this process's
    // journal.
    m.fail_stop = Status::FailStop(write_failure(m.dir, "journal snapshot write", s));
    return m.fail_stop;
  }
  m.snapshot = Snapshot{m.last_seq, m.last_hash, {}};
  return Status::Ok();
}

}  // namespace keel::journal
