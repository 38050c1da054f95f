// keel_journal on a full disk (keel/journal/fault_fs.h): an append that finds no space fails
// with kFailStop naming "no space left on device" and the journal's directory, the journal
// stays failed even when space comes back (W4), nothing after the failure is in it, and the
// next process finds every record appended before it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "journal_testutil.h"
#include "keel/core/ids.h"
#include "keel/journal/fault_fs.h"
#include "keel/journal/journal.h"

namespace keel::journal {
namespace {

using ::testing::HasSubstr;

// One append of `n` records numbered from next_seq(), as the engine makes one decision's.
Status AppendBatch(Journal& j, int n, bool sync) {
  return testutil::AppendBatch(j, n, sync, "disk full test");
}

class DiskFullTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/keel_disk_full_test_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    dir_ = root_ + "/journal";
  }
  void TearDown() override {
    unsetenv("KEEL_DISK_FULL_AFTER_BYTES");
    std::filesystem::remove_all(root_);
  }

  std::unique_ptr<Journal> Open(const std::string& dir, std::shared_ptr<FaultFs> ffs) {
    Journal::Options o;
    o.fault_fs = std::move(ffs);
    auto j = Journal::open(dir, o);
    EXPECT_TRUE(j.ok()) << j.status().ToString();
    return j.ok() ? std::move(j).value() : nullptr;
  }

  // The next process: a plain file system; the chain verifies and appending continues.
  void ExpectIntactAfterRestart(uint64_t last_seq) {
    Result<VerifyReport> v = Journal::verify(dir_);
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    EXPECT_EQ(v->first_bad_seq, 0u) << v->problem;
    EXPECT_EQ(v->last_seq, last_seq);
    auto j = Open(dir_, nullptr);
    ASSERT_NE(j, nullptr);
    EXPECT_EQ(j->last_seq(), last_seq);
    EXPECT_TRUE(AppendBatch(*j, 2, true).ok());
  }

  void ExpectDiskFull(const Status& s) {
    EXPECT_EQ(s.code(), Code::kFailStop) << s.ToString();
    EXPECT_THAT(s.message(), HasSubstr("no space left on device"));
    EXPECT_THAT(s.message(), HasSubstr("disk full"));
    EXPECT_THAT(s.message(), HasSubstr(dir_));  // names the journal's path
  }

  std::string root_, dir_;
};

TEST_F(DiskFullTest, SyncedAppendFailsWithNoSpaceAndTheJournalStaysFailed) {
  auto ffs = FaultFs::create({});
  auto j = Open(dir_, ffs);
  ASSERT_NE(j, nullptr);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(AppendBatch(*j, 2, true).ok());
  const uint64_t last = j->last_seq();
  ffs->set_disk_full_after_bytes(ffs->appended_bytes());  // the disk is full from now on
  const Status s = AppendBatch(*j, 2, true);
  ExpectDiskFull(s);
  EXPECT_TRUE(ffs->disk_full());
  EXPECT_EQ(j->last_seq(), last);
  // Space comes back (or RocksDB recovers its background error): the journal does not (W4).
  ffs->set_disk_full_after_bytes(FaultFs::kUnlimited);
  const Status again = AppendBatch(*j, 1, true);
  ExpectDiskFull(again);
  EXPECT_EQ(again.message(), s.message());  // the original cause, every time
  ExpectDiskFull(AppendBatch(*j, 1, false));
  ExpectDiskFull(j->write_snapshot("state"));
  EXPECT_EQ(j->last_seq(), last);
  j.reset();
  ExpectIntactAfterRestart(last);
}

TEST_F(DiskFullTest, AnUnsyncedAppendThatFindsNoSpaceFailsTooAndSnapshotsFailStop) {
  auto ffs = FaultFs::create({});
  auto j = Open(dir_, ffs);
  ASSERT_NE(j, nullptr);
  ASSERT_TRUE(AppendBatch(*j, 3, true).ok());
  ASSERT_TRUE(AppendBatch(*j, 3, false).ok());
  const uint64_t last = j->last_seq();
  ffs->set_disk_full_after_bytes(ffs->appended_bytes() + 10);  // less than one record
  ExpectDiskFull(j->write_snapshot("a snapshot that does not fit"));
  ExpectDiskFull(AppendBatch(*j, 1, true));
  j.reset();
  ExpectIntactAfterRestart(last);
}

TEST_F(DiskFullTest, OpeningOnAFullDiskSaysSo) {
  auto j = Journal::open(dir_, {.fault_fs = FaultFs::create({.disk_full_after_bytes = 0})});
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.status().code(), Code::kIOError);
  EXPECT_THAT(j.status().message(), HasSubstr("disk full (no space left on device)"));
  EXPECT_THAT(j.status().message(), HasSubstr(dir_));
}

// KEEL_DISK_FULL_AFTER_BYTES: the process-wide budget Journal::open takes from the environment.
TEST_F(DiskFullTest, TheEnvironmentBudgetFillsTheDisk) {
  // What opening a journal costs, measured on a probe journal.
  auto probe = FaultFs::create({});
  ASSERT_NE(Open(root_ + "/probe", probe), nullptr);
  const uint64_t open_bytes = probe->appended_bytes();
  ASSERT_GT(open_bytes, 0u);
  setenv("KEEL_DISK_FULL_AFTER_BYTES", std::to_string(open_bytes + 4096).c_str(), 1);
  auto j = Journal::open(dir_, {});
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  Status s;
  int appends = 0;
  while (appends < 1000 && (s = AppendBatch(**j, 1, true)).ok()) ++appends;
  ExpectDiskFull(s);
  EXPECT_GT(appends, 3);   // it held a few records ...
  EXPECT_LT(appends, 100);  // ... and not many more than 4 KiB of them
  const uint64_t last = (*j)->last_seq();
  EXPECT_EQ(last, static_cast<uint64_t>(appends));
  j->reset();
  unsetenv("KEEL_DISK_FULL_AFTER_BYTES");
  ExpectIntactAfterRestart(last);
}

}  // namespace
}  // namespace keel::journal
