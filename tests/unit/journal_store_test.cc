// keel_journal store: W1 (sync before return), W4 (fail-stop), torn tail = end of journal,
// corruption in the middle stops open, the hash chain, and the export of the audit trail.
#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>
#include <signal.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "keel/core/ids.h"
#include "keel/journal/codec.h"
#include "keel/journal/export.h"
#include "keel/journal/journal.h"

namespace keel::journal {
namespace {

std::string KeyOf(uint64_t seq) {
  std::string key(8, '\0');
  for (int i = 0; i < 8; ++i) key[7 - i] = static_cast<char>((seq >> (8 * i)) & 0xFF);
  return key;
}

constexpr int64_t kTickE8 = 1'000'000;  // 0.01
constexpr int64_t kStepE8 = 1'000;      // 0.00001

Body SampleBody(uint64_t seq, const std::string& task) {
  switch (seq % 4) {
    case 0: return OrderAccepted{make_client_order_id("", task, seq - 1), int64_t(seq) * 10,
                                 Source::kResponse};
    case 1: {
      PlaceIntent p;
      p.slot_key = 6183000;
      p.side = Side::kBuy;
      p.price_ticks = 6183763;
      p.qty_lots = 100;
      p.client_order_id = make_client_order_id("", task, seq);
      p.ctx.reason = "grid buy";
      return p;
    }
    case 2: return OrderFilled{make_client_order_id("", task, seq - 1), int64_t(seq), 77, Side::kBuy,
                               6183763, 100, 61838, "USDT", true, Source::kUserStream};
    default: return OrderCanceled{make_client_order_id("", task, seq - 2), 0, Source::kResponse};
  }
}

Record Rec(uint64_t seq, Body body, std::string task = "t1") {
  Record r;
  r.seq = seq;
  r.task_id = std::move(task);
  r.ts_exchange_ns = static_cast<int64_t>(seq) * 1000;
  r.body = std::move(body);
  return r;
}

class JournalStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/keel_journal_test_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    dir_ = root_ + "/journal";
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  std::unique_ptr<Journal> Open(bool read_only = false) {
    Journal::Options o;
    o.read_only = read_only;
    Result<std::unique_ptr<Journal>> j = Journal::open(dir_, o);
    EXPECT_TRUE(j.ok()) << j.status().ToString();
    if (!j.ok()) return nullptr;
    return std::move(j).value();
  }

  // Appends records next_seq().. one per call (or `batch` per call), like the engine does.
  void Append(Journal& j, int count, bool sync = false, int batch = 1) {
    for (int done = 0; done < count;) {
      std::vector<Record> recs;
      for (int k = 0; k < batch && done < count; ++k, ++done) {
        const uint64_t seq = j.next_seq() + recs.size();
        recs.push_back(Rec(seq, SampleBody(seq, "t1")));
      }
      ASSERT_TRUE(j.append(recs, sync).ok());
    }
  }

  std::vector<Record> ReadAll(const Journal& j, uint64_t from = 1) {
    std::vector<Record> out;
    Status s = j.for_each(from, [&](const Record& r) {
      out.push_back(r);
      return true;
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }

  // Raw RocksDB access, with the journal closed: a crash or a disk went wrong here.
  std::unique_ptr<rocksdb::DB> Raw() {
    rocksdb::DB* db = nullptr;
    rocksdb::Options o;
    std::vector<std::string> names;
    EXPECT_TRUE(rocksdb::DB::ListColumnFamilies(o, dir_, &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    for (const auto& n : names) families.push_back({n, rocksdb::ColumnFamilyOptions(o)});
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    EXPECT_TRUE(rocksdb::DB::Open(o, dir_, families, &handles, &db).ok());
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h);  // records live in "default"
    return std::unique_ptr<rocksdb::DB>(db);
  }
  std::string RawGet(uint64_t seq) {
    std::string v;
    EXPECT_TRUE(Raw()->Get(rocksdb::ReadOptions(), KeyOf(seq), &v).ok());
    return v;
  }
  void RawPut(uint64_t seq, const std::string& value) {
    rocksdb::WriteOptions wo;
    wo.sync = true;
    ASSERT_TRUE(Raw()->Put(wo, KeyOf(seq), value).ok());
  }
  void RawDelete(uint64_t seq) {
    ASSERT_TRUE(Raw()->Delete(rocksdb::WriteOptions(), KeyOf(seq)).ok());
  }

  // Rewrites record `seq` with a changed body and a freshly computed CRC (prev_hash kept): only
  // the next record's prev_hash can tell.
  void AlterRecord(uint64_t seq) {
    Result<Record> rec = decode(RawGet(seq));
    ASSERT_TRUE(rec.ok());
    std::visit(
        [](auto& b) {
          if constexpr (requires { b.price_ticks; }) {
            b.price_ticks += 1;
          } else if constexpr (requires { b.client_order_id; }) {
            b.client_order_id += "x";
          }
        },
        rec->body);
    const std::string altered = encode(*rec);
    ASSERT_NE(altered, RawGet(seq));
    ASSERT_TRUE(decode(altered).ok()) << "its CRC is valid";
    RawPut(seq, altered);
  }

  std::string root_, dir_;
};

TEST_F(JournalStoreTest, EmptyJournal) {
  auto j = Open();
  ASSERT_TRUE(j);
  EXPECT_EQ(j->last_seq(), 0u);
  EXPECT_EQ(j->next_seq(), 1u);
  EXPECT_EQ(j->last_hash(), Hash{});
  EXPECT_TRUE(ReadAll(*j).empty());
  j.reset();
  Result<VerifyReport> v = Journal::verify(dir_);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->records, 0u);
  EXPECT_EQ(v->first_bad_seq, 0u);
}

TEST_F(JournalStoreTest, MissingDirectoryWithoutCreateIsIOError) {
  Journal::Options o;
  o.create_if_missing = false;
  Result<std::unique_ptr<Journal>> j = Journal::open(dir_, o);
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.status().code(), Code::kIOError);
  o.read_only = true;
  EXPECT_EQ(Journal::open(dir_, o).status().code(), Code::kIOError);
  EXPECT_EQ(Journal::verify(dir_).status().code(), Code::kIOError);
}

TEST_F(JournalStoreTest, AppendsChainAndReadBackInOrder) {
  auto j = Open();
  Append(*j, 4);
  Append(*j, 9, /*sync=*/false, /*batch=*/3);
  EXPECT_EQ(j->last_seq(), 13u);
  const std::vector<Record> all = ReadAll(*j);
  ASSERT_EQ(all.size(), 13u);
  Hash prev{};
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].seq, i + 1);
    EXPECT_EQ(all[i].prev_hash, prev) << "seq " << i + 1;
    EXPECT_GT(all[i].ts_local_ns, 0) << "filled from CLOCK_REALTIME";
    prev = hash_bytes(encode(all[i]));
  }
  EXPECT_EQ(j->last_hash(), prev);
  EXPECT_EQ(ReadAll(*j, 11).size(), 3u);
  EXPECT_EQ(ReadAll(*j, 14).size(), 0u);
  int seen = 0;
  ASSERT_TRUE(j->for_each(2, [&](const Record&) { return ++seen < 3; }).ok());
  EXPECT_EQ(seen, 3);
  EXPECT_EQ(j->stats().appends, 7u);
  EXPECT_EQ(j->stats().records, 13u);
  EXPECT_EQ(j->stats().syncs, 0u);
}

TEST_F(JournalStoreTest, AppendFillsPrevHashAndKeepsAGivenLocalTime) {
  auto j = Open();
  std::vector<Record> recs = {Rec(1, SampleBody(1, "t1")), Rec(2, SampleBody(2, "t1"))};
  recs[1].ts_local_ns = 123;
  ASSERT_TRUE(j->append(recs, true).ok());
  EXPECT_EQ(recs[0].prev_hash, Hash{});
  EXPECT_EQ(recs[1].prev_hash, hash_bytes(encode(recs[0])));
  EXPECT_EQ(j->last_hash(), hash_bytes(encode(recs[1])));
  EXPECT_EQ(ReadAll(*j)[1].ts_local_ns, 123);
  std::vector<Record> none;
  EXPECT_TRUE(j->append(none, true).ok());
  EXPECT_EQ(j->stats().syncs, 1u);
}

TEST_F(JournalStoreTest, W1SyncAppendIsOneSyncedBatchThatSurvivesReopen) {
  auto j = Open();
  std::vector<Record> decision;
  for (uint64_t seq = 1; seq <= 3; ++seq) decision.push_back(Rec(seq, SampleBody(seq, "t1")));
  ASSERT_TRUE(j->append(decision, /*sync=*/true).ok());
  EXPECT_EQ(j->stats().syncs, 1u) << "one decision, one sync";
  EXPECT_EQ(j->stats().appends, 1u);
  EXPECT_EQ(j->stats().records, 3u);
  Append(*j, 2, /*sync=*/false);
  EXPECT_EQ(j->stats().syncs, 1u);
  Append(*j, 1, /*sync=*/true);
  EXPECT_EQ(j->stats().syncs, 2u);
  const Hash last = j->last_hash();
  const std::vector<Record> before = ReadAll(*j);
  j.reset();

  j = Open();
  EXPECT_EQ(j->last_seq(), 6u);
  EXPECT_EQ(j->last_hash(), last);
  EXPECT_FALSE(j->open_report().torn_tail);
  const std::vector<Record> after = ReadAll(*j);
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < after.size(); ++i) EXPECT_EQ(encode(after[i]), encode(before[i]));
  Append(*j, 4);
  j.reset();
  Result<VerifyReport> v = Journal::verify(dir_);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->records, 10u);
  EXPECT_EQ(v->last_seq, 10u);
  EXPECT_EQ(v->first_bad_seq, 0u) << v->problem;
}

TEST_F(JournalStoreTest, W4FailedWriteIsFailStopForever) {
  auto j = Open();
  Append(*j, 3, true);
  j->inject_write_failure_for_testing();
  std::vector<Record> recs = {Rec(4, SampleBody(4, "t1"))};
  Status s = j->append(recs, true);
  ASSERT_EQ(s.code(), Code::kFailStop);
  EXPECT_NE(s.message().find("injected"), std::string::npos) << s.message();
  for (int i = 0; i < 3; ++i) {
    std::vector<Record> again = {Rec(4, SampleBody(4, "t1"))};
    Status s2 = j->append(again, i % 2 == 0);
    EXPECT_EQ(s2.code(), Code::kFailStop);
    EXPECT_EQ(s2.message(), s.message()) << "the first error's text, sticky";
  }
  EXPECT_EQ(j->last_seq(), 3u);
  EXPECT_EQ(j->stats().appends, 3u) << "failed appends are not counted";
  j.reset();
  j = Open();
  EXPECT_EQ(j->last_seq(), 3u);
}

TEST_F(JournalStoreTest, OversizedRecordIsRejectedAndTheJournalStaysUsable) {
  auto j = Open();
  Append(*j, 2);
  TaskStarted big;
  big.params_yaml.assign(kMaxRecordBytes, 'y');
  std::vector<Record> recs = {Rec(3, big)};
  EXPECT_EQ(j->append(recs, true).code(), Code::kInvalidArgument);
  EXPECT_EQ(j->last_seq(), 2u);
  Append(*j, 1, true);
  EXPECT_EQ(j->last_seq(), 3u);
}

TEST_F(JournalStoreTest, NonContiguousSeqAsserts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");  // RocksDB runs background threads
  auto j = Open();
  Append(*j, 2);
  std::vector<Record> recs = {Rec(4, SampleBody(4, "t1"))};
  // The threadsafe death-test child re-runs SetUp and never reaches TearDown, so it removes its
  // own temp dir first; the assert fires before append touches the store.
  EXPECT_DEATH(
      {
        std::filesystem::remove_all(root_);
        (void)j->append(recs, false);
      },
      "seq not contiguous");
}

TEST_F(JournalStoreTest, TornLastRecordIsEndOfJournal) {
  auto j = Open();
  Append(*j, 5, true);
  const Hash hash4 = hash_bytes(encode(ReadAll(*j)[3]));
  j.reset();
  const std::string whole = RawGet(5);
  RawPut(5, whole.substr(0, whole.size() / 2));  // a write cut short

  Result<VerifyReport> v = Journal::verify(dir_);
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->torn_tail);
  EXPECT_EQ(v->first_bad_seq, 0u);
  EXPECT_EQ(v->last_seq, 4u);
  EXPECT_NE(v->problem.find("torn tail: journal record seq 5"), std::string::npos) << v->problem;

  j = Open(/*read_only=*/true);  // skips the torn tail, repairs nothing
  EXPECT_EQ(j->last_seq(), 4u);
  EXPECT_EQ(ReadAll(*j).size(), 4u);
  j.reset();
  EXPECT_EQ(RawGet(5), whole.substr(0, whole.size() / 2));

  j = Open();
  EXPECT_TRUE(j->open_report().torn_tail);
  EXPECT_EQ(j->last_seq(), 4u);
  EXPECT_EQ(j->last_hash(), hash4);
  Append(*j, 2, true);
  const std::vector<Record> all = ReadAll(*j);
  ASSERT_EQ(all.size(), 6u);
  EXPECT_EQ(all[4].seq, 5u);
  EXPECT_EQ(all[4].prev_hash, hash4) << "the chain continues after record 4";
  j.reset();
  v = Journal::verify(dir_);
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->torn_tail);
  EXPECT_EQ(v->records, 6u);
  EXPECT_EQ(v->first_bad_seq, 0u) << v->problem;
}

TEST_F(JournalStoreTest, EmptyValueAtTheEndIsATornTail) {
  auto j = Open();
  Append(*j, 3);
  j.reset();
  RawPut(4, "");
  j = Open();
  EXPECT_TRUE(j->open_report().torn_tail);
  EXPECT_EQ(j->last_seq(), 3u);
  Append(*j, 1);
  EXPECT_EQ(j->last_seq(), 4u);
}

TEST_F(JournalStoreTest, CorruptMiddleRecordFailsOpenAndVerifyNamesIt) {
  auto j = Open();
  Append(*j, 10, true);
  j.reset();
  std::string v4 = RawGet(4);
  v4[v4.size() / 2] ^= 0x10;
  RawPut(4, v4);

  Result<std::unique_ptr<Journal>> opened = Journal::open(dir_, Journal::Options{});
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), Code::kCorruption);
  EXPECT_EQ(opened.status().message(), "journal record seq 4: crc mismatch");
  Journal::Options ro;
  ro.read_only = true;
  EXPECT_EQ(Journal::open(dir_, ro).status().code(), Code::kCorruption);

  Result<VerifyReport> v = Journal::verify(dir_);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->first_bad_seq, 4u);
  EXPECT_EQ(v->records, 3u);
  EXPECT_FALSE(v->torn_tail);
  EXPECT_EQ(v->problem, "journal record seq 4: crc mismatch");
  EXPECT_EQ(RawGet(4), v4) << "verify repairs nothing";
}

TEST_F(JournalStoreTest, CorruptSecondToLastIsNotATornTail) {
  auto j = Open();
  Append(*j, 5);
  j.reset();
  RawPut(4, "garbage");
  Result<VerifyReport> v = Journal::verify(dir_);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->first_bad_seq, 4u);
  EXPECT_FALSE(v->torn_tail);
}

TEST_F(JournalStoreTest, HashChainCatchesAnAlteredRecordWithAValidCrc) {
  auto j = Open();
  Append(*j, 10, true);
  j.reset();
  AlterRecord(6);
  Result<std::unique_ptr<Journal>> opened = Journal::open(dir_, Journal::Options{});
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), Code::kCorruption);
  EXPECT_NE(opened.status().message().find("journal record seq 7: prev_hash"), std::string::npos)
      << opened.status().message();
  Result<VerifyReport> v = Journal::verify(dir_);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->first_bad_seq, 7u);
}

TEST_F(JournalStoreTest, HashChainCatchesAlteringTheRecordBeforeTheLast) {
  auto j = Open();
  Append(*j, 10, true);
  j.reset();
  AlterRecord(9);
  Result<VerifyReport> v = Journal::verify(dir_);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->first_bad_seq, 10u) << "a readable last record with a broken chain is corruption";
  EXPECT_FALSE(v->torn_tail);
  EXPECT_FALSE(Journal::open(dir_, Journal::Options{}).ok());
}

TEST_F(JournalStoreTest, MissingRecordIsCorruption) {
  auto j = Open();
  Append(*j, 8);
  j.reset();
  RawDelete(5);
  Result<std::unique_ptr<Journal>> opened = Journal::open(dir_, Journal::Options{});
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.status().message().find("journal record seq 5: missing"), std::string::npos)
      << opened.status().message();
}

// ---------------------------------------------------------------------------------------------
// Export.

// RFC 4180 reader for the test: rows of cells.
std::vector<std::vector<std::string>> ParseCsv(const std::string& text) {
  std::vector<std::vector<std::string>> rows(1, std::vector<std::string>(1));
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    std::string& cell = rows.back().back();
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        cell += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cell += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      rows.back().emplace_back();
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      ++i;
      rows.emplace_back(1);
    } else {
      cell += c;
    }
  }
  if (rows.back().size() == 1 && rows.back()[0].empty()) rows.pop_back();
  return rows;
}

class JournalExportTest : public JournalStoreTest {
 protected:
  // t1: TaskStarted (BTCUSDT 0.01 / 0.00001), a place, a fill; t2: no TaskStarted.
  void WriteSample() {
    auto j = Open();
    TaskStarted ts{"grid", "BTCUSDT", "BTC", "USDT", kTickE8, kStepE8, 500'000'000,
                   "name: \"a, b\"\nlevels: 3\n"};
    std::vector<Record> recs = {Rec(1, ts), Rec(2, SampleBody(1, "t1")),
                                Rec(3, SampleBody(2, "t1")), Rec(4, SampleBody(1, "t2"), "t2"),
                                Rec(5, RecordingEnded{12345})};
    ASSERT_TRUE(j->append(recs, true).ok());
  }
};

TEST_F(JournalExportTest, JsonlOneRowPerRecordWithExactDecimals) {
  WriteSample();
  std::ostringstream out;
  uint64_t rows = 0;
  ASSERT_TRUE(export_journal(dir_, ExportFormat::kJsonl, out, &rows).ok());
  EXPECT_EQ(rows, 5u);
  std::vector<std::string> lines;
  std::istringstream in(out.str());
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 5u);
  for (size_t i = 0; i < lines.size(); ++i) {
    EXPECT_EQ(lines[i].rfind("{\"seq\":" + std::to_string(i + 1) + ",", 0), 0u) << lines[i];
    const std::string hash = "\"hash\":\"" + hash_hex(hash_bytes(RawGet(i + 1))) + "\"";
    EXPECT_NE(lines[i].find(hash), std::string::npos) << "the stored bytes' hash";
  }
  EXPECT_NE(lines[0].find("\"tick_size\":\"0.01\",\"step_e8\":1000,\"step_size\":\"0.00001\""),
            std::string::npos);
  EXPECT_NE(lines[1].find("\"price_ticks\":6183763,\"price\":\"61837.63\""), std::string::npos);
  EXPECT_NE(lines[1].find("\"qty_lots\":100,\"qty\":\"0.001\""), std::string::npos);
  EXPECT_NE(lines[2].find("\"commission_e8\":61838,\"commission\":\"0.00061838\""),
            std::string::npos);
  EXPECT_NE(lines[3].find("\"price_ticks\":6183763,"), std::string::npos);
  EXPECT_EQ(lines[3].find("\"price\":"), std::string::npos) << "t2 has no TaskStarted";
  EXPECT_NE(lines[4].find("\"type\":\"RecordingEnded\""), std::string::npos);
}

TEST_F(JournalExportTest, CsvHasAFixedHeaderAndQuotesPerRfc4180) {
  WriteSample();
  std::ostringstream out;
  uint64_t rows = 0;
  ASSERT_TRUE(export_journal(dir_, ExportFormat::kCsv, out, &rows).ok());
  EXPECT_EQ(rows, 5u);
  const auto table = ParseCsv(out.str());
  ASSERT_EQ(table.size(), 6u);
  const std::vector<std::string>& header = table[0];
  for (const auto& row : table) ASSERT_EQ(row.size(), header.size());
  auto col = [&](const std::string& name) {
    const auto it = std::find(header.begin(), header.end(), name);
    EXPECT_NE(it, header.end()) << name;
    return static_cast<size_t>(it - header.begin());
  };
  for (size_t i = 1; i < table.size(); ++i) EXPECT_EQ(table[i][col("seq")], std::to_string(i));
  EXPECT_EQ(table[1][col("params_yaml")], "name: \"a, b\"\nlevels: 3\n");
  EXPECT_EQ(table[1][col("min_notional")], "5");
  EXPECT_EQ(table[2][col("price")], "61837.63");
  EXPECT_EQ(table[2][col("qty")], "0.001");
  EXPECT_EQ(table[2][col("side")], "BUY");
  EXPECT_EQ(table[2][col("trade_id")], "") << "not a field of PlaceIntent";
  EXPECT_EQ(table[3][col("is_maker")], "true");
  EXPECT_EQ(table[3][col("commission")], "0.00061838");
  EXPECT_EQ(table[4][col("price")], "");
  EXPECT_EQ(table[4][col("price_ticks")], "6183763");
  EXPECT_EQ(table[5][col("events")], "12345");
  EXPECT_EQ(table[5][col("hash")], hash_hex(hash_bytes(RawGet(5))));
}

TEST_F(JournalExportTest, ExportOfACorruptJournalFails) {
  WriteSample();
  RawPut(2, "bad");
  std::ostringstream out;
  Status s = export_journal(dir_, ExportFormat::kJsonl, out, nullptr);
  EXPECT_EQ(s.code(), Code::kCorruption);
  EXPECT_NE(s.message().find("seq 2"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// Measurements (printed, not asserted).

int64_t NowNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// A snapshot written early must not pin the write-ahead log: past max_wal_bytes RocksDB
// flushes the column family holding the oldest log, so the logs stay bounded and an open does
// not replay everything since the snapshot.
TEST_F(JournalStoreTest, ASnapshotDoesNotPinTheWriteAheadLog) {
  auto wal_bytes = [&] {
    uint64_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir_)) {
      if (e.path().extension() == ".log") n += e.file_size();
    }
    return n;
  };
  for (uint64_t cap : {uint64_t{0}, uint64_t{1} << 20}) {  // 0: RocksDB's default (no cap)
    std::filesystem::remove_all(dir_);
    Journal::Options o;
    o.max_wal_bytes = cap;
    auto j = std::move(*Journal::open(dir_, o));
    Append(*j, 10, /*sync=*/false);
    ASSERT_TRUE(j->write_snapshot(std::string(1000, 's')).ok());
    Append(*j, 80'000, /*sync=*/false, /*batch=*/100);  // about 11 MiB of WAL
    // The cap asks for a flush; the flush and the deletion of the logs it frees run on
    // RocksDB's background threads, which a loaded machine may not have scheduled yet, and
    // RocksDB checks the cap only on a write (one that came while an earlier flush was still
    // running asks for nothing). So the capped case waits (up to 30 s) for the log to come
    // back under the bound, writing one record per poll as a running journal would; the
    // uncapped case has nothing to wait for.
    uint64_t wal = wal_bytes();
    for (int i = 0; cap != 0 && wal >= (uint64_t{4} << 20) && i < 300; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      Append(*j, 1, /*sync=*/false);
      wal = wal_bytes();
    }
    std::printf("max_wal_bytes %llu: %llu bytes of WAL after 80k records\n",
                static_cast<unsigned long long>(cap), static_cast<unsigned long long>(wal));
    if (cap == 0) EXPECT_GT(wal, uint64_t{8} << 20) << "the snapshot pins every log";
    else EXPECT_LT(wal, uint64_t{4} << 20);
    j.reset();
    j = Open();
    EXPECT_EQ(j->last_seq(), 80'010u);
  }
}

// inspect/export/verify open the journal read-only while `keel run` may be writing it. A
// writer in another process appends 2,000 batches of 100 records (about 100k records/s, a
// hundred times keel's rate) with a 512 KiB WAL cap, so flushes and WAL deletions happen all the
// time. Every read-only open, verify and export made meanwhile must succeed and see an intact
// prefix that only grows: a view that raced a flush is retried, never reported as a gap.
TEST_F(JournalStoreTest, ReadOnlyOpensBesideAWriterInAnotherProcessSeeAGrowingPrefix) {
  constexpr int kBatches = 2000;
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  const pid_t writer = fork();
  ASSERT_GE(writer, 0);
  if (writer == 0) {
    Journal::Options wo;
    wo.max_wal_bytes = 512 << 10;
    auto j = Journal::open(dir_, wo);
    if (!j.ok()) _exit(3);
    for (int n = 1; n <= kBatches; ++n) {
      std::vector<Record> recs;
      for (int k = 0; k < 100; ++k) {
        const uint64_t seq = (*j)->next_seq() + static_cast<uint64_t>(k);
        recs.push_back(Rec(seq, SampleBody(seq, "t1")));
      }
      if (!(*j)->append(recs, /*sync=*/false).ok()) _exit(4);
      if (n % 50 == 0 && !(*j)->write_snapshot(std::string(1000, 's')).ok()) _exit(5);
      if (n == 20 && write(ready[1], "r", 1) != 1) _exit(6);
      usleep(1000);
    }
    _exit(0);
  }
  close(ready[1]);
  char c = 0;
  ASSERT_EQ(read(ready[0], &c, 1), 1) << "the writer did not start";
  close(ready[0]);
  uint64_t last = 0;
  int passes = 0, exports = 0, status = 0;
  while (waitpid(writer, &status, WNOHANG) == 0) {
    Journal::Options o;
    o.read_only = true;
    auto j = Journal::open(dir_, o);
    ASSERT_TRUE(j.ok()) << "open " << passes << ": " << j.status().ToString();
    EXPECT_GE((*j)->last_seq(), last);
    EXPECT_EQ((*j)->last_seq() % 100, 0u) << "a batch is all or nothing";
    last = (*j)->last_seq();
    auto v = Journal::verify(dir_);
    ASSERT_TRUE(v.ok()) << "verify " << passes << ": " << v.status().ToString();
    EXPECT_EQ(v->first_bad_seq, 0u) << "verify " << passes << ": " << v->problem;
    EXPECT_GE(v->last_seq, last);
    if (passes++ % 4 == 0) {
      std::ostringstream rows;
      uint64_t n = 0;
      const Status e = export_journal(dir_, ExportFormat::kJsonl, rows, &n);
      ASSERT_TRUE(e.ok()) << "export " << passes << ": " << e.ToString();
      EXPECT_GE(n, last);
      EXPECT_EQ(n % 100, 0u);
      ++exports;
    }
  }
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "writer status " << status;
  EXPECT_GE(passes, 1);
  std::printf("%d read-only opens and verifies, %d exports beside the writer; the last saw %llu "
              "of %d records\n",
              passes, exports, static_cast<unsigned long long>(last), kBatches * 100);
}

// Two writers on one journal would break W1-W5: RocksDB's LOCK refuses the second, and the
// error names the process that holds it.
TEST_F(JournalStoreTest, ASecondWriterIsRefusedAndTheHolderIsNamed) {
  int ready[2], done[2];
  ASSERT_EQ(pipe(ready), 0);
  ASSERT_EQ(pipe(done), 0);
  const pid_t holder = fork();
  ASSERT_GE(holder, 0);
  if (holder == 0) {
    auto j = Journal::open(dir_, Journal::Options{});
    if (!j.ok() || write(ready[1], "r", 1) != 1) _exit(3);
    char c = 0;
    _exit(read(done[0], &c, 1) == 1 ? 0 : 4);  // holds the journal until told
  }
  char c = 0;
  ASSERT_EQ(read(ready[0], &c, 1), 1) << "the holder did not open the journal";
  auto second = Journal::open(dir_, Journal::Options{});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Code::kIOError);
  EXPECT_NE(second.status().message().find("in use by process " + std::to_string(holder)),
            std::string::npos)
      << second.status().ToString();
  Journal::Options ro;
  ro.read_only = true;
  EXPECT_TRUE(Journal::open(dir_, ro).ok()) << "a reader may open it meanwhile";
  ASSERT_EQ(write(done[1], "d", 1), 1);
  int status = 0;
  waitpid(holder, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_TRUE(Journal::open(dir_, Journal::Options{}).ok()) << "free once the holder is gone";
}

TEST_F(JournalStoreTest, MeasureSyncAppendLatency) {
  auto j = Open();
  constexpr int kAppends = 300;
  std::vector<int64_t> us;
  for (int i = 0; i < kAppends; ++i) {
    std::vector<Record> recs = {Rec(j->next_seq(), SampleBody(j->next_seq(), "t1"))};
    const int64_t t0 = NowNs();
    ASSERT_TRUE(j->append(recs, /*sync=*/true).ok());
    us.push_back((NowNs() - t0) / 1000);
  }
  std::sort(us.begin(), us.end());
  EXPECT_EQ(j->stats().syncs, uint64_t{kAppends});
  std::printf("append(1 record, sync=true) x%d: p50 %lld us, p99 %lld us, max %lld us\n",
              kAppends, static_cast<long long>(us[kAppends / 2]),
              static_cast<long long>(us[kAppends * 99 / 100]),
              static_cast<long long>(us.back()));
}

TEST_F(JournalStoreTest, MeasureOpenOf100kRecords) {
  auto j = Open();
  Append(*j, 100'000, /*sync=*/false, /*batch=*/1000);
  j.reset();
  const int64_t t0 = NowNs();
  j = Open();
  const int64_t open_ms = (NowNs() - t0) / 1'000'000;
  EXPECT_EQ(j->last_seq(), 100'000u);
  const int64_t t1 = NowNs();
  uint64_t n = 0;
  ASSERT_TRUE(j->for_each(1, [&](const Record&) { return ++n > 0; }).ok());
  const int64_t replay_ms = (NowNs() - t1) / 1'000'000;
  EXPECT_EQ(n, 100'000u);
  std::printf("open (full verify) of 100000 records: %lld ms; for_each replay: %lld ms\n",
              static_cast<long long>(open_ms), static_cast<long long>(replay_ms));
}

}  // namespace
}  // namespace keel::journal
