// The raw-file, keel and SQLite durable systems (bench/durable.h).
#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>

#include "bench_util.h"
#include "durable.h"
#include "keel/core/ids.h"
#include "keel/journal/codec.h"
#include "keel/journal/group_commit.h"
#include "keel/journal/journal.h"

namespace keel::bench {

namespace {

// The grid's place intent as the engine builds it (engine_act.cc), seq filled in by the caller.
journal::Record place_intent(const std::string& task, uint64_t seq) {
  journal::Record r;
  r.seq = seq;
  r.task_id = task;
  r.ts_exchange_ns = 1'723'161'600'000'000'000;
  journal::PlaceIntent p;
  p.slot_key = 6'180'000;
  p.side = Side::kBuy;
  p.price_ticks = 6'180'000;
  p.qty_lots = 200;
  p.client_order_id = make_client_order_id("", task, seq);
  p.ctx = {6'180'412, 6'180'413, 6'180'412, "grid buy level 6180000 in window"};
  r.body = std::move(p);
  return r;
}

std::string task_name(int writer) { return "grid" + std::to_string(writer + 1); }

// ---- the physical limit: append a record-sized buffer to a file, fdatasync ----------------

class RawFdatasync final : public DurableSystem {
 public:
  explicit RawFdatasync(std::string dir) : dir_(std::move(dir)), bytes_(sample_intent_bytes()) {}
  ~RawFdatasync() override { stop(); }
  std::string name() const override { return "raw write+fdatasync"; }
  std::string how() const override {
    return fmt(
        "write(2) of %zu bytes (one encoded PlaceIntent) appended to one file, then "
        "fdatasync(2); N writers share the file with no batching",
        bytes_.size());
  }
  Status start(int) override {
    if (fd_ >= 0) return Status::Ok();
    KEEL_RETURN_IF_ERROR(make_dirs(dir_));
    const std::string path = dir_ + "/raw.log";
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd_ < 0) return Status::IOError(path + ": " + std::strerror(errno));
    return Status::Ok();
  }
  Status commit(int) override {
    if (::write(fd_, bytes_.data(), bytes_.size()) != static_cast<ssize_t>(bytes_.size())) {
      return Status::IOError(std::string("write: ") + std::strerror(errno));
    }
    if (::fdatasync(fd_) != 0)
      return Status::IOError(std::string("fdatasync: ") + std::strerror(errno));
    return Status::Ok();
  }
  void stop() override {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  std::string dir_;
  std::string bytes_;
  int fd_ = -1;
};

// ---- the floor of a preallocated log: overwrite in place, fdatasync ------------------------

class RawOverwrite final : public DurableSystem {
 public:
  explicit RawOverwrite(std::string dir) : dir_(std::move(dir)), bytes_(sample_intent_bytes()) {}
  ~RawOverwrite() override { stop(); }
  std::string name() const override { return "raw overwrite+fdatasync"; }
  std::string how() const override {
    return fmt(
        "pwrite(2) of %zu bytes at the next offset of a preallocated, already synced "
        "%zu MiB file (no size change: no metadata to commit), then fdatasync(2): the "
        "floor a recycled or preallocated log (SQLite's WAL, PostgreSQL's segments) "
        "reaches; for reference, the ratios stay to the append row",
        bytes_.size(), kFileBytes >> 20);
  }
  Status start(int) override {
    if (fd_ >= 0) return Status::Ok();
    KEEL_RETURN_IF_ERROR(make_dirs(dir_));
    const std::string path = dir_ + "/prealloc.log";
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) return Status::IOError(path + ": " + std::strerror(errno));
    const std::string zeros(1 << 20, '\0');
    for (size_t off = 0; off < kFileBytes; off += zeros.size()) {
      if (::write(fd_, zeros.data(), zeros.size()) != static_cast<ssize_t>(zeros.size())) {
        return Status::IOError(path + ": preallocating: " + std::strerror(errno));
      }
    }
    if (::fsync(fd_) != 0) return Status::IOError(path + ": fsync: " + std::strerror(errno));
    return Status::Ok();
  }
  Status commit(int) override {
    const uint64_t slot = next_.fetch_add(1, std::memory_order_relaxed);
    const off_t off = static_cast<off_t>((slot * bytes_.size()) % (kFileBytes - bytes_.size()));
    if (::pwrite(fd_, bytes_.data(), bytes_.size(), off) != static_cast<ssize_t>(bytes_.size())) {
      return Status::IOError(std::string("pwrite: ") + std::strerror(errno));
    }
    if (::fdatasync(fd_) != 0) {
      return Status::IOError(std::string("fdatasync: ") + std::strerror(errno));
    }
    return Status::Ok();
  }
  void stop() override {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  static constexpr size_t kFileBytes = 16u << 20;
  std::string dir_;
  std::string bytes_;
  int fd_ = -1;
  std::atomic<uint64_t> next_{0};
};

// ---- keel: Journal::append(records, sync=true), single writer -----------------------------

class KeelJournal final : public DurableSystem {
 public:
  explicit KeelJournal(std::string dir) : dir_(std::move(dir)) {}
  std::string name() const override { return "keel Journal::append"; }
  std::string how() const override {
    return "keel::journal::Journal::append({PlaceIntent}, sync=true): encode, CRC, SHA-256 "
           "chain, one RocksDB WriteBatch with WriteOptions::sync (WAL fdatasync); the "
           "journal is single-writer, so this system runs 1 writer only";
  }
  Status start(int writers) override {
    if (writers != 1) return Status::InvalidArgument("Journal is single-writer");
    if (journal_) return Status::Ok();
    auto j = journal::Journal::open(dir_, {});
    if (!j.ok()) return j.status();
    journal_ = std::move(*j);
    return Status::Ok();
  }
  Status commit(int) override {
    recs_.clear();
    recs_.push_back(place_intent("grid1", journal_->next_seq()));
    return journal_->append(recs_, /*sync=*/true);
  }

 private:
  std::string dir_;
  std::unique_ptr<journal::Journal> journal_;
  std::vector<journal::Record> recs_;
};

// ---- keel: GroupCommitJournal, one task per writer thread, one journal --------------------

class KeelGroupCommit final : public DurableSystem {
 public:
  explicit KeelGroupCommit(std::string dir) : dir_(std::move(dir)) {}
  std::string name() const override { return "keel group commit"; }
  std::string how() const override {
    return "keel::journal::GroupCommitJournal::append: writer w is task gridw; the writer at "
           "the head of the queue commits every queued intent in one WriteBatch + one sync; "
           "client order ids derived from the assigned seq (W5)";
  }
  Status start(int writers) override {
    if (!journal_) {
      auto j = journal::Journal::open(dir_, {});
      if (!j.ok()) return j.status();
      journal_ = std::move(*j);
      gc_ = std::make_unique<journal::GroupCommitJournal>(*journal_);
    }
    recs_.resize(static_cast<size_t>(writers));
    return Status::Ok();
  }
  Status commit(int w) override {
    std::vector<journal::Record>& recs = recs_[static_cast<size_t>(w)];
    recs.clear();
    recs.push_back(place_intent(task_name(w), 0));
    return gc_->append(recs, [](std::vector<journal::Record>& rs, uint64_t first) {
      auto& p = std::get<journal::PlaceIntent>(rs.front().body);
      p.client_order_id = make_client_order_id("", rs.front().task_id, first);
    });
  }
  void stop() override {
    if (!gc_) return;
    const journal::GroupCommitStats s = gc_->stats();
    summary_ =
        fmt("%llu appends in %llu syncs (largest group %llu)",
            static_cast<unsigned long long>(s.appends), static_cast<unsigned long long>(s.groups),
            static_cast<unsigned long long>(s.max_group));
  }
  std::string summary() const override { return summary_; }

 private:
  std::string dir_;
  std::unique_ptr<journal::Journal> journal_;
  std::unique_ptr<journal::GroupCommitJournal> gc_;
  std::vector<std::vector<journal::Record>> recs_;  // per writer
  std::string summary_;
};

// ---- SQLite: WAL, synchronous=FULL, one INSERT per intent in its own transaction ----------

class Sqlite final : public DurableSystem {
 public:
  explicit Sqlite(std::string dir) : dir_(std::move(dir)), bytes_(sample_intent_bytes()) {}
  ~Sqlite() override { stop(); }
  std::string name() const override { return "SQLite WAL sync=FULL"; }
  std::string how() const override {
    return fmt(
        "SQLite %s, journal_mode=WAL, synchronous=FULL: one autocommit INSERT "
        "(task, %zu-byte blob) per intent; one connection per writer, busy_timeout 10 s",
        sqlite3_libversion(), bytes_.size());
  }
  Status start(int writers) override;
  Status commit(int w) override;
  void stop() override {
    for (Conn& c : conns_) {
      if (c.ins != nullptr) sqlite3_finalize(c.ins);
      if (c.db != nullptr) sqlite3_close(c.db);
    }
    conns_.clear();
  }

 private:
  struct Conn {
    sqlite3* db = nullptr;
    sqlite3_stmt* ins = nullptr;
  };
  Status open_conn(Conn& c);
  Status exec(sqlite3* db, const char* sql);
  std::string dir_;
  std::string bytes_;
  std::vector<Conn> conns_;
};

Status Sqlite::exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = std::string("sqlite: ") + sql + ": " + (err != nullptr ? err : "?");
    sqlite3_free(err);
    return Status::IOError(msg);
  }
  return Status::Ok();
}

Status Sqlite::open_conn(Conn& c) {
  const std::string path = dir_ + "/intents.db";
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path.c_str(), &c.db, flags, nullptr) != SQLITE_OK) {
    return Status::IOError("sqlite open " + path + ": " + sqlite3_errmsg(c.db));
  }
  sqlite3_busy_timeout(c.db, 10'000);
  KEEL_RETURN_IF_ERROR(exec(c.db, "PRAGMA journal_mode=WAL"));
  KEEL_RETURN_IF_ERROR(exec(c.db, "PRAGMA synchronous=FULL"));
  KEEL_RETURN_IF_ERROR(
      exec(c.db,
           "CREATE TABLE IF NOT EXISTS intents(seq INTEGER PRIMARY KEY, task TEXT NOT NULL, "
           "body BLOB NOT NULL)"));
  const char* sql = "INSERT INTO intents(task, body) VALUES(?1, ?2)";
  if (sqlite3_prepare_v2(c.db, sql, -1, &c.ins, nullptr) != SQLITE_OK) {
    return Status::IOError(std::string("sqlite prepare: ") + sqlite3_errmsg(c.db));
  }
  return Status::Ok();
}

Status Sqlite::start(int writers) {
  KEEL_RETURN_IF_ERROR(make_dirs(dir_));
  while (conns_.size() < static_cast<size_t>(writers)) {
    conns_.emplace_back();
    KEEL_RETURN_IF_ERROR(open_conn(conns_.back()));
  }
  return Status::Ok();
}

Status Sqlite::commit(int w) {
  Conn& c = conns_[static_cast<size_t>(w)];
  const std::string task = task_name(w);
  sqlite3_bind_text(c.ins, 1, task.c_str(), static_cast<int>(task.size()), SQLITE_TRANSIENT);
  sqlite3_bind_blob(c.ins, 2, bytes_.data(), static_cast<int>(bytes_.size()), SQLITE_STATIC);
  const int rc = sqlite3_step(c.ins);
  sqlite3_reset(c.ins);
  if (rc != SQLITE_DONE)
    return Status::IOError(std::string("sqlite insert: ") + sqlite3_errstr(rc));
  return Status::Ok();
}

}  // namespace

std::string sample_intent_bytes() { return journal::encode(place_intent("grid1", 4242)); }

std::unique_ptr<DurableSystem> make_raw_fdatasync(const std::string& dir) {
  return std::make_unique<RawFdatasync>(dir);
}
std::unique_ptr<DurableSystem> make_raw_overwrite(const std::string& dir) {
  return std::make_unique<RawOverwrite>(dir);
}
std::unique_ptr<DurableSystem> make_keel_journal(const std::string& dir) {
  return std::make_unique<KeelJournal>(dir);
}
std::unique_ptr<DurableSystem> make_keel_group_commit(const std::string& dir) {
  return std::make_unique<KeelGroupCommit>(dir);
}
std::unique_ptr<DurableSystem> make_sqlite(const std::string& dir) {
  return std::make_unique<Sqlite>(dir);
}

}  // namespace keel::bench
