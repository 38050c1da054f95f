// Journals written in older record formats keep their meaning while the model changes:
// tests/fixtures/journal-format2/ (issue 9) holds a crash campaign's journal (11 epochs, adopted
// orders, commissions in two assets, a declared deposit), tests/fixtures/journal-format4/ (issue
// 10) a tiered ladder's paper run (amends, guard changes); each with that keel's `keel inspect
// --json`, and one record of every type with that keel's bytes and JSON (each fixture's README
// says how they were made). Today's keel decodes each record to the same JSON and re-encodes it
// byte for byte, folds the journal to the state that keel showed, and continues its hash chain.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>

#include "format_fixture_testutil.h"
#include "keel/journal/codec.h"
#include "keel/journal/export.h"
#include "keel/journal/journal.h"
#include "keel/model/snapshot.h"

namespace keel::engine {
namespace {

namespace fs = std::filesystem;

// One fixture: its folder under tests/fixtures, its format, what its files hold.
struct Fixture {
  const char* name;
  uint8_t format;
  size_t record_types;   // in records.txt: every type that format had, once
  size_t records;        // in journal/
  size_t journal_types;  // record types in journal/
  std::string dir() const { return std::string(KEEL_SOURCE_DIR) + "/tests/fixtures/" + name; }
};

const Fixture kFixtures[] = {{"journal-format2", 2, 20, 1524, 14},
                             {"journal-format4", 4, 23, 757, 11}};

class FormatFixture : public ::testing::TestWithParam<Fixture> {};

std::string from_hex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

TEST_P(FormatFixture, EveryTypeDecodesToWhatItMeantAndReencodesByteForByte) {
  const Fixture& fx = GetParam();
  std::ifstream in(fx.dir() + "/records.txt");
  ASSERT_TRUE(in) << fx.dir() << "/records.txt";
  std::set<journal::RecordType> types;
  for (std::string line; std::getline(in, line);) {
    const size_t tab = line.find('\t');
    ASSERT_NE(tab, std::string::npos);
    const std::string bytes = from_hex(line.substr(0, tab));
    Result<journal::Record> r = journal::decode(bytes);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    SCOPED_TRACE(journal::record_type_name(r->type()));
    EXPECT_EQ(r->format, fx.format);
    types.insert(r->type());
    EXPECT_EQ(journal::record_to_json(*r, journal::Hash{}), line.substr(tab + 1));
    EXPECT_EQ(journal::encode(*r), bytes);
  }
  EXPECT_EQ(types.size(), fx.record_types);
}

TEST_P(FormatFixture, ItsJournalFoldsToTheStateItsKeelShowed) {
  const Fixture& fx = GetParam();
  const std::string dir = testutil::copy_fixture(fx.name);
  auto j = testutil::open_read_only(dir + "/journal");
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  size_t of_format = 0, records = 0;
  std::set<journal::RecordType> types;
  ASSERT_TRUE((*j)->for_each(1, [&](const journal::Record& r) {
    ++records;
    of_format += r.format == fx.format;
    types.insert(r.type());
    return true;
  }).ok());
  EXPECT_EQ(records, fx.records);
  EXPECT_EQ(of_format, records);
  EXPECT_EQ(types.size(), fx.journal_types);
  auto st = model::fold_journal(**j);
  ASSERT_TRUE(st.ok()) << st.status().ToString();

  const YAML::Node before = YAML::LoadFile(fx.dir() + "/inspect-before.json");
  const YAML::Node task = before["tasks"][0];
  const model::TaskState& t = st->tasks.at(task["id"].as<std::string>());
  testutil::expect_task_as_inspected(t, task);
  EXPECT_EQ(task["strays"].size(), t.strays().size());
  EXPECT_EQ(task["position_cost"].as<std::string>(), testutil::e8_text(t.position.cost_e8));
  EXPECT_EQ(task["realized_pnl"].as<std::string>(), testutil::e8_text(t.realized_pnl_e8));
  ASSERT_EQ(task["commissions"].size(), t.commissions.size());
  for (const auto& [asset, e8] : t.commissions) {
    EXPECT_EQ(task["commissions"][asset].as<std::string>(), testutil::e8_text(e8)) << asset;
  }
  EXPECT_EQ(task["adopted"].as<uint64_t>(), t.adopted);
  EXPECT_EQ(task["late_executions"].as<uint64_t>(), t.late_executions);
  EXPECT_EQ(task["retired"].as<bool>(), t.retired);

  const YAML::Node a = before["account"];
  // A journal written before accounts: every journal-wide record is the default account's.
  ASSERT_EQ(st->accounts.size(), 1u);
  const model::AccountState& acc = st->account(journal::kDefaultAccount);
  ASSERT_EQ(a["epochs"].size(), st->epochs.size());
  for (size_t i = 0; i < st->epochs.size(); ++i) {
    EXPECT_EQ(a["epochs"][i].as<std::string>(), st->epochs[i]);
  }
  // Every mark is the task's symbol's (the journal's one symbol).
  ASSERT_EQ(acc.main_symbol(), task["symbol"].as<std::string>());
  const model::SymbolMarks& marks = acc.marks(acc.main_symbol());
  EXPECT_TRUE(marks.baselined);
  EXPECT_EQ(a["trade_watermark"].as<int64_t>(), marks.trade_watermark);
  EXPECT_EQ(a["scan_watermark"].as<int64_t>(), marks.scan_watermark);
  EXPECT_EQ(a["balance_changes"].as<uint64_t>(), acc.balance_changes);
  ASSERT_EQ(a["expected_balances"].size(), acc.baseline_e8.size());
  for (const auto& [asset, e8] : acc.baseline_e8) {
    EXPECT_EQ(a["expected_balances"][asset].as<std::string>(),
              testutil::e8_text(acc.expected_e8(asset)))
        << asset;
  }
  j->reset();

  // Today's keel continues the chain: a record it appends verifies with the old ones.
  {
    auto w = journal::Journal::open(dir + "/journal", {});
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    std::vector<journal::Record> recs(1);
    recs[0].seq = (*w)->next_seq();
    recs[0].task_id = journal::kJournalTaskId;
    recs[0].body = journal::TradesScanned{"BTCUSDT", marks.scan_watermark + 1};
    ASSERT_TRUE((*w)->append(recs, /*sync=*/true).ok());
  }
  auto v = journal::Journal::verify(dir + "/journal");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->records, fx.records + 1);
  EXPECT_EQ(v->first_bad_seq, 0u) << v->problem;
  fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Formats, FormatFixture, ::testing::ValuesIn(kFixtures),
                         [](const ::testing::TestParamInfo<Fixture>& i) {
                           return "format" + std::to_string(i.param.format);
                         });

}  // namespace
}  // namespace keel::engine
