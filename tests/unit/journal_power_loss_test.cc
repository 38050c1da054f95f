// keel_journal under a simulated power loss (keel/journal/fault_fs.h): a power cut keeps every
// synced record and loses every record appended after the last sync; a plain kill -9 does
// not (the page cache survives it); failpoint kills and SIGUSR2 are power cuts when
// KEEL_POWER_LOSS=1; the journal reopens with an intact chain and appending continues.
//
// The crashing side runs in a child process: this binary re-executed (fork + execve) with
// --gtest_filter=PowerLossChild.DISABLED_Main --gtest_also_run_disabled_tests and the scenario in its environment, so the child is a
// fresh process (RocksDB's thread pools and locks are not inherited half-way through a fork).
// It reports progress as lines on a pipe; the parent reopens the journal after the child died.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <rocksdb/file_system.h>
#include <string>
#include <thread>
#include <vector>

#include "journal_testutil.h"
#include "keel/core/ids.h"
#include "keel/journal/fault_fs.h"
#include "keel/journal/journal.h"

extern char** environ;

namespace keel::journal {
namespace {

namespace fs = std::filesystem;

// One append of `n` records numbered from next_seq(), as the engine makes one decision's.
Status AppendBatch(Journal& j, int n, bool sync) {
  return testutil::AppendBatch(j, n, sync, "power loss test");
}

uint64_t SizeOf(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : ~0ull;
}

// ---- the child ---------------------------------------------------------------------------

void Report(const std::string& line) {
  const char* fd = std::getenv("KEEL_PL_FD");
  if (fd == nullptr) return;
  const std::string l = line + "\n";
  (void)!write(std::atoi(fd), l.data(), l.size());
}

constexpr int kSyncedBatches = 3, kSyncedBatch = 4;      // seq 1..12, synced
constexpr int kUnsyncedBatches = 2, kUnsyncedBatch = 3;  // seq 13..18, not synced
constexpr uint64_t kLastSynced = kSyncedBatches * kSyncedBatch;
constexpr uint64_t kLastWritten = kLastSynced + kUnsyncedBatches * kUnsyncedBatch;

// "cut" (FaultFs::power_cut()) and "plain" (kill -9): 12 synced records, 6 unsynced, die.
void ChildFixedThenDie(const std::string& dir, bool cut) {
  std::shared_ptr<FaultFs> ffs = cut ? FaultFs::create({.power_loss = true}) : nullptr;
  Journal::Options o;
  o.fault_fs = ffs;
  auto j = Journal::open(dir, o);
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  for (int i = 0; i < kSyncedBatches; ++i) ASSERT_TRUE(AppendBatch(**j, kSyncedBatch, true).ok());
  for (int i = 0; i < kUnsyncedBatches; ++i) {
    ASSERT_TRUE(AppendBatch(**j, kUnsyncedBatch, false).ok());
  }
  ASSERT_EQ((*j)->last_seq(), kLastWritten);
  if (cut) {
    // The WAL holds more than its last sync made durable: the cut has something to drop.
    bool wal_ahead = false;
    for (const auto& f : ffs->tracked_files()) {
      wal_ahead |= f.path.ends_with(".log") && f.size_bytes > f.durable_bytes;
    }
    ASSERT_TRUE(wal_ahead);
    Report("ready");
    ffs->power_cut();
  }
  Report("ready");
  kill(getpid(), SIGKILL);
}

// "failpoint": KEEL_FAILPOINT (journal.append.after_write:2) kills during the unsynced appends.
void ChildFailpoint(const std::string& dir) {
  auto j = Journal::open(dir, {});  // KEEL_POWER_LOSS from the environment, or not
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  for (int i = 0; i < kSyncedBatches; ++i) ASSERT_TRUE(AppendBatch(**j, kSyncedBatch, true).ok());
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(AppendBatch(**j, kUnsyncedBatch, false).ok());
  FAIL() << "the failpoint did not fire";
}

// "sigusr2": a loop of {2 records synced, 3 records not, a pause of KEEL_PL_PAUSE_US}, reporting
// "S <seq>" after each synced append returned and "U <seq>" after each unsynced one (the pause
// widens the window in which unsynced records are pending, as an engine idles between
// events). KEEL_PL_ITERS > 0: stop after that many rounds, report "ready" and wait for the
// signal; 0: loop until the signal.
void ChildSigusr2(const std::string& dir) {
  install_power_cut_signal();  // first, before RocksDB starts its threads
  auto j = Journal::open(dir, {});
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  Report("B " + std::to_string((*j)->last_seq()));
  const long iters = std::atol(std::getenv("KEEL_PL_ITERS"));
  const char* pause = std::getenv("KEEL_PL_PAUSE_US");
  const auto pause_us = std::chrono::microseconds(pause == nullptr ? 0 : std::atol(pause));
  for (long i = 0; iters == 0 ? i < 2'000'000 : i < iters; ++i) {
    ASSERT_TRUE(AppendBatch(**j, 2, true).ok());
    Report("S " + std::to_string((*j)->last_seq()));
    ASSERT_TRUE(AppendBatch(**j, 3, false).ok());
    Report("U " + std::to_string((*j)->last_seq()));
    if (pause_us.count() > 0) std::this_thread::sleep_for(pause_us);
  }
  Report("ready");
  for (int i = 0; i < 600; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  FAIL() << "no power cut came";
}

TEST(PowerLossChild, DISABLED_Main) {  // DISABLED_: only the child runs it, by name
  const char* scenario = std::getenv("KEEL_PL_CHILD");
  if (scenario == nullptr) GTEST_SKIP() << "runs only as the child of the power-loss tests";
  const std::string dir = std::getenv("KEEL_PL_DIR");
  const std::string s = scenario;
  if (s == "cut" || s == "plain") {
    ChildFixedThenDie(dir, s == "cut");
  } else if (s == "failpoint") {
    ChildFailpoint(dir);
  } else if (s == "sigusr2") {
    ChildSigusr2(dir);
  } else {
    FAIL() << "unknown scenario " << s;
  }
}

// ---- the parent ---------------------------------------------------------------------------

class ChildProcess {
 public:
  // Runs this binary's PowerLossChild.Main with `env` added to a copy of ours (without any
  // KEEL_POWER_LOSS / KEEL_FAILPOINT / KEEL_DISK_FULL_AFTER_BYTES / KEEL_PL_* of our own).
  explicit ChildProcess(const std::vector<std::string>& env) {
    int p[2];
    if (pipe(p) != 0) std::abort();
    std::vector<std::string> vars;
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string_view v(*e);
      if (v.starts_with("KEEL_POWER_LOSS=") || v.starts_with("KEEL_FAILPOINT=") ||
          v.starts_with("KEEL_DISK_FULL_AFTER_BYTES=") || v.starts_with("KEEL_PL_")) {
        continue;
      }
      vars.emplace_back(v);
    }
    vars.insert(vars.end(), env.begin(), env.end());
    vars.push_back("KEEL_PL_FD=" + std::to_string(p[1]));
    std::vector<char*> envp;
    for (auto& v : vars) envp.push_back(v.data());
    envp.push_back(nullptr);
    std::string arg0 = "journal_power_loss_test",
                arg1 = "--gtest_filter=PowerLossChild.DISABLED_Main",
                arg2 = "--gtest_also_run_disabled_tests";
    char* argv[] = {arg0.data(), arg1.data(), arg2.data(), nullptr};
    pid_ = fork();
    if (pid_ == 0) {
      close(p[0]);
      execve("/proc/self/exe", argv, envp.data());
      _exit(127);
    }
    close(p[1]);
    fd_ = p[0];
  }
  ~ChildProcess() {
    if (pid_ > 0 && !reaped_) {
      kill(pid_, SIGKILL);
      (void)wait();
    }
    if (fd_ >= 0) close(fd_);
  }

  // The next line the child reported; false at EOF (the child is gone) or after `timeout_ms`.
  bool next_line(std::string* line, int timeout_ms = 60'000) {
    for (;;) {
      const size_t nl = buf_.find('\n');
      if (nl != std::string::npos) {
        *line = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        return true;
      }
      pollfd pfd{fd_, POLLIN, 0};
      if (poll(&pfd, 1, timeout_ms) <= 0) return false;
      char chunk[4096];
      const ssize_t n = read(fd_, chunk, sizeof chunk);
      if (n <= 0) return false;
      buf_.append(chunk, static_cast<size_t>(n));
    }
  }
  // Reads until a line equal to `want`; false if the child ended or went quiet first.
  bool wait_for(const std::string& want) {
    std::string line;
    while (next_line(&line)) {
      if (line == want) return true;
    }
    return false;
  }
  void signal(int sig) { kill(pid_, sig); }
  // waitpid's status.
  int wait() {
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    reaped_ = true;
    return status;
  }

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
  bool reaped_ = false;
  std::string buf_;
};

std::string Describe(int status) {
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  if (WIFEXITED(status)) return "exited with " + std::to_string(WEXITSTATUS(status));
  return "status " + std::to_string(status);
}

class PowerLossTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/keel_power_loss_test_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    dir_ = root_ + "/journal";
  }
  void TearDown() override { fs::remove_all(root_); }

  std::vector<std::string> ChildEnv(const std::string& scenario, const std::string& dir) {
    return {"KEEL_PL_CHILD=" + scenario, "KEEL_PL_DIR=" + dir};
  }

  // Reopens the journal as the next process would: plain file system, full check.
  // Returns its last_seq; checks the chain, every record's content, and that appending
  // continues durably after it.
  uint64_t ReopenAndCheck(const std::string& dir) {
    Result<VerifyReport> v = Journal::verify(dir);
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    if (!v.ok()) return 0;
    EXPECT_EQ(v->first_bad_seq, 0u) << v->problem;
    EXPECT_FALSE(v->torn_tail) << v->problem;
    auto j = Journal::open(dir, {});
    EXPECT_TRUE(j.ok()) << j.status().ToString();
    if (!j.ok()) return 0;
    const uint64_t last = (*j)->last_seq();
    EXPECT_EQ(last, v->last_seq);
    uint64_t seen = 0;
    EXPECT_TRUE((*j)->for_each(1, [&](const Record& r) {
      ++seen;
      const auto* p = std::get_if<PlaceIntent>(&r.body);
      EXPECT_TRUE(p != nullptr && p->price_ticks == 6183000 + static_cast<int64_t>(r.seq) &&
                  p->client_order_id == make_client_order_id("", "t1", r.seq))
          << "record " << r.seq << " is not the one appended";
      return true;
    }).ok());
    EXPECT_EQ(seen, last);
    // Appending continues after the cut, durably.
    EXPECT_TRUE(AppendBatch(**j, 2, true).ok());
    j->reset();  // close the DB
    auto again = Journal::open(dir, {});
    EXPECT_TRUE(again.ok());
    if (again.ok()) {
      EXPECT_EQ((*again)->last_seq(), last + 2);
    }
    return last;
  }

  std::string root_, dir_;
};

TEST_F(PowerLossTest, PowerCutKeepsSyncedRecordsAndDropsEveryLaterOne) {
  ChildProcess child(ChildEnv("cut", dir_));
  ASSERT_TRUE(child.wait_for("ready"));
  const int status = child.wait();
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << Describe(status);
  // Exactly the synced prefix: the 6 unsynced records were in the WAL (the child checked)
  // and the cut removed them.
  EXPECT_EQ(ReopenAndCheck(dir_), kLastSynced);
}

TEST_F(PowerLossTest, PlainKillKeepsUnsyncedRecordsInThePageCache) {
  ChildProcess child(ChildEnv("plain", dir_));
  ASSERT_TRUE(child.wait_for("ready"));
  const int status = child.wait();
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << Describe(status);
  // A process crash is not a power loss: what reached the kernel survives.
  EXPECT_EQ(ReopenAndCheck(dir_), kLastWritten);
}

TEST_F(PowerLossTest, FailpointKillIsAPowerCutInPowerLossMode) {
  const std::string fp = "KEEL_FAILPOINT=journal.append.after_write:2";
  for (const bool power_loss : {true, false}) {
    SCOPED_TRACE(power_loss ? "KEEL_POWER_LOSS=1" : "KEEL_POWER_LOSS=0");
    const std::string dir = root_ + (power_loss ? "/cut" : "/kill");
    std::vector<std::string> env = ChildEnv("failpoint", dir);
    env.push_back(fp);
    env.push_back(power_loss ? "KEEL_POWER_LOSS=1" : "KEEL_POWER_LOSS=0");
    ChildProcess child(env);
    const int status = child.wait();
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << Describe(status);
    // Killed after the 2nd unsynced append returned: 12 synced records, 6 written unsynced.
    EXPECT_EQ(ReopenAndCheck(dir), power_loss ? kLastSynced : kLastWritten);
  }
}

TEST_F(PowerLossTest, Sigusr2CutsThePowerAfterTheLastSync) {
  std::vector<std::string> env = ChildEnv("sigusr2", dir_);
  env.push_back("KEEL_POWER_LOSS=1");
  env.push_back("KEEL_PL_ITERS=5");
  ChildProcess child(env);
  ASSERT_TRUE(child.wait_for("ready"));
  child.signal(SIGUSR2);
  const int status = child.wait();
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << Describe(status);
  // 5 rounds of {2 synced, 3 unsynced}: 25 written, the last sync covered seq 22.
  EXPECT_EQ(ReopenAndCheck(dir_), 22u);
}

// SIGUSR2 at random instants while the child appends, several times on the same journal:
// every record whose synced append returned survives, nothing after the last sync does (the
// journal always ends on a synced batch), and the chain stays intact. It goes on until at
// least one cut found unsynced records to drop (at least kMinRounds rounds, at most
// kMaxRounds), so the test cannot pass on cuts that all happened to land right after a sync.
TEST_F(PowerLossTest, Sigusr2AtRandomInstantsLosesNoAcknowledgedRecord) {
  const uint64_t seed = static_cast<uint64_t>(
      std::chrono::steady_clock::now().time_since_epoch().count());
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  constexpr int kMinRounds = 4, kMaxRounds = 24;
  int drops = 0;
  for (int round = 0; round < kMaxRounds && (round < kMinRounds || drops == 0); ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    std::vector<std::string> env = ChildEnv("sigusr2", dir_);
    env.push_back("KEEL_POWER_LOSS=1");
    env.push_back("KEEL_PL_ITERS=0");
    env.push_back("KEEL_PL_PAUSE_US=1000");
    ChildProcess child(env);
    std::string line;
    ASSERT_TRUE(child.next_line(&line) && line.starts_with("B ")) << line;
    const uint64_t base = std::stoull(line.substr(2));
    // Let it run for a few synced rounds, then cut at a random instant.
    const int rounds_first = 3 + static_cast<int>(rng() % 20);
    uint64_t acked = 0, written = 0;  // the last synced / any append that returned
    auto note = [&](const std::string& l) {
      if (l.starts_with("S ")) acked = std::stoull(l.substr(2));
      if (l.starts_with("S ") || l.starts_with("U ")) written = std::stoull(l.substr(2));
    };
    for (int seen = 0; seen < rounds_first;) {
      ASSERT_TRUE(child.next_line(&line)) << "the child stopped early";
      note(line);
      seen += line.starts_with("S ") ? 1 : 0;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 3000));
    child.signal(SIGUSR2);
    while (child.next_line(&line)) note(line);
    const int status = child.wait();
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << Describe(status);
    const uint64_t last = ReopenAndCheck(dir_);
    EXPECT_GE(last, acked) << "a record whose synced append returned was lost (W1)";
    // Batches since `base` are {2 synced, 3 unsynced}: a cut leaves a synced batch's end.
    EXPECT_EQ((last - base) % 5, 2u) << "records after the last sync survived the power cut";
    if (last < written) ++drops;  // appended and returned, unsynced: gone with the power
  }
  EXPECT_GT(drops, 0) << "no cut landed while unsynced records were pending";
}

// ---- the durability model, in process (no kill) ------------------------------------------

class FaultFsModelTest : public PowerLossTest {
 protected:
  std::unique_ptr<rocksdb::FSWritableFile> Create(const std::string& name) {
    std::unique_ptr<rocksdb::FSWritableFile> f;
    EXPECT_TRUE(ffs_->file_system()->NewWritableFile(root_ + "/" + name, {}, &f, nullptr).ok());
    return f;
  }
  static void Put(rocksdb::FSWritableFile& f, const std::string& bytes) {
    ASSERT_TRUE(f.Append(bytes, {}, nullptr).ok());
  }
  std::string Read(const std::string& name) {
    std::ifstream in(root_ + "/" + name, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  std::shared_ptr<FaultFs> ffs_ = FaultFs::create({});
};

TEST_F(FaultFsModelTest, OnlySyncAndFsyncMakeBytesDurable) {
  const rocksdb::IOOptions io;
  auto a = Create("a");  // synced, then more bytes, flushed, range-synced and closed
  Put(*a, "0123456789");
  ASSERT_TRUE(a->Sync(io, nullptr).ok());
  Put(*a, "abcde");
  ASSERT_TRUE(a->Flush(io, nullptr).ok());
  ASSERT_TRUE(a->RangeSync(0, 15, io, nullptr).ok());
  ASSERT_TRUE(a->Close(io, nullptr).ok());
  auto b = Create("b");  // never synced
  Put(*b, "xyz");
  ASSERT_TRUE(b->Close(io, nullptr).ok());
  auto c = Create("c");  // fsynced
  Put(*c, "fsync");
  ASSERT_TRUE(c->Fsync(io, nullptr).ok());
  Put(*c, "!");
  ASSERT_TRUE(c->Close(io, nullptr).ok());
  const auto tracked = ffs_->tracked_files();
  ASSERT_EQ(tracked.size(), 3u);
  EXPECT_EQ(tracked[0].size_bytes, 15u);
  EXPECT_EQ(tracked[0].durable_bytes, 10u);
  EXPECT_EQ(tracked[1].durable_bytes, 0u);
  EXPECT_EQ(tracked[2].durable_bytes, 5u);
  EXPECT_EQ(ffs_->appended_bytes(), 15u + 3u + 6u);
  EXPECT_EQ(ffs_->truncate_to_durable_for_testing(), 3u);
  EXPECT_EQ(Read("a"), "0123456789");
  EXPECT_EQ(Read("b"), "");
  EXPECT_EQ(Read("c"), "fsync");
}

TEST_F(FaultFsModelTest, RenameMovesTheTrackingAndReplacesTheTargets) {
  const rocksdb::IOOptions io;
  auto cur = Create("CURRENT");  // an old, never-synced CURRENT ...
  Put(*cur, "old and unsynced");
  ASSERT_TRUE(cur->Close(io, nullptr).ok());
  auto tmp = Create("000007.dbtmp");  // ... replaced by a synced temporary, as RocksDB does
  Put(*tmp, "MANIFEST-000007\n");
  ASSERT_TRUE(tmp->Sync(io, nullptr).ok());
  Put(*tmp, "unsynced");
  ASSERT_TRUE(tmp->Close(io, nullptr).ok());
  ASSERT_TRUE(ffs_->file_system()
                  ->RenameFile(root_ + "/000007.dbtmp", root_ + "/CURRENT", io, nullptr)
                  .ok());
  const auto tracked = ffs_->tracked_files();
  ASSERT_EQ(tracked.size(), 1u);
  EXPECT_EQ(tracked[0].path, root_ + "/CURRENT");
  EXPECT_EQ(tracked[0].durable_bytes, 16u);
  // Cut by its new name, to the synced length of the renamed file (the old CURRENT's
  // tracking, durable 0, is gone with it).
  EXPECT_EQ(ffs_->truncate_to_durable_for_testing(), 1u);
  EXPECT_EQ(Read("CURRENT"), "MANIFEST-000007\n");
  EXPECT_FALSE(fs::exists(root_ + "/000007.dbtmp"));
}

TEST_F(FaultFsModelTest, DeletedFilesAreNoLongerCut) {
  const rocksdb::IOOptions io;
  auto f = Create("x.log");
  Put(*f, "unsynced");
  ASSERT_TRUE(f->Close(io, nullptr).ok());
  ASSERT_TRUE(ffs_->file_system()->DeleteFile(root_ + "/x.log", io, nullptr).ok());
  std::ofstream(root_ + "/x.log") << "someone else's";  // a new file, not written through us
  EXPECT_EQ(ffs_->truncate_to_durable_for_testing(), 0u);
  EXPECT_EQ(Read("x.log"), "someone else's");
}

TEST_F(FaultFsModelTest, TheJournalWalIsDurableExactlyAtSyncedAppends) {
  Journal::Options o;
  o.fault_fs = ffs_;
  auto j = Journal::open(dir_, o);
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  auto wal = [&] {
    for (const auto& f : ffs_->tracked_files()) {
      if (f.path.ends_with(".log")) return f;
    }
    return FaultFs::TrackedFile{"", 0, 0};
  };
  ASSERT_TRUE(AppendBatch(**j, 3, true).ok());
  EXPECT_GT(wal().durable_bytes, 0u);
  EXPECT_EQ(wal().size_bytes, wal().durable_bytes);
  EXPECT_EQ(SizeOf(wal().path), wal().durable_bytes);
  const uint64_t synced = wal().durable_bytes;
  ASSERT_TRUE(AppendBatch(**j, 3, false).ok());
  EXPECT_GT(wal().size_bytes, synced);
  EXPECT_EQ(wal().durable_bytes, synced);
  ASSERT_TRUE(AppendBatch(**j, 1, true).ok());  // a sync covers the unsynced bytes before it
  EXPECT_EQ(wal().durable_bytes, wal().size_bytes);
  EXPECT_GT(wal().durable_bytes, synced);
}

TEST(FaultFsEnv, ParsesTheEnvironment) {
  struct Restore {
    ~Restore() {
      unsetenv("KEEL_POWER_LOSS");
      unsetenv("KEEL_DISK_FULL_AFTER_BYTES");
    }
  } restore;
  unsetenv("KEEL_POWER_LOSS");
  unsetenv("KEEL_DISK_FULL_AFTER_BYTES");
  auto o = FaultFs::options_from_env();
  ASSERT_TRUE(o.ok());
  EXPECT_FALSE(o->power_loss);
  EXPECT_EQ(o->disk_full_after_bytes, FaultFs::kUnlimited);
  auto none = FaultFs::from_env();
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, nullptr);
  setenv("KEEL_POWER_LOSS", "1", 1);
  setenv("KEEL_DISK_FULL_AFTER_BYTES", "4096", 1);
  o = FaultFs::options_from_env();
  ASSERT_TRUE(o.ok());
  EXPECT_TRUE(o->power_loss);
  EXPECT_EQ(o->disk_full_after_bytes, 4096u);
  setenv("KEEL_POWER_LOSS", "yes", 1);
  EXPECT_THAT(FaultFs::options_from_env().status().message(),
              ::testing::HasSubstr("KEEL_POWER_LOSS"));
  setenv("KEEL_POWER_LOSS", "0", 1);
  setenv("KEEL_DISK_FULL_AFTER_BYTES", "4k", 1);
  // Refused before anything is created.
  auto bad = Journal::open("/tmp/keel_power_loss_env_test_never_created", {});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), ::testing::HasSubstr("KEEL_DISK_FULL_AFTER_BYTES"));
}

}  // namespace
}  // namespace keel::journal
