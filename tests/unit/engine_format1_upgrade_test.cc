// A data directory written by keel before issue 9 (journal record format 1, client order ids
// without an epoch, per-slot positions) still opens: its journal folds to the slots and fills
// the older keel showed, and keel runs on from it to the end of the recording. The fixture,
// tests/fixtures/journal-format1/, is that older keel's `keel run --config
// config/paper-btcusdt-grid.yaml --stop-after 30000` (commit adbe476), with its `keel inspect
// --json` as inspect-before.json.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>

#include "keel/core/clock.h"
#include "keel/engine/config.h"
#include "keel/engine/engine.h"
#include "keel/exchange/sim.h"
#include "keel/market/capture.h"
#include "keel/model/snapshot.h"
#include "format_fixture_testutil.h"

namespace keel::engine {
namespace {

namespace fs = std::filesystem;
using testutil::copy_fixture;

const std::string kFixture = std::string(KEEL_SOURCE_DIR) + "/tests/fixtures/journal-format1";

TEST(FormatOneJournal, AJournalWrittenBeforeIssue9FoldsToTheSlotsAndFillsItShowed) {
  const std::string dir = copy_fixture("journal-format1");
  auto j = testutil::open_read_only(dir + "/journal");
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  size_t format1 = 0, records = 0;
  ASSERT_TRUE((*j)->for_each(1, [&](const journal::Record& r) {
    ++records;
    format1 += r.format == 1;
    return true;
  }).ok());
  EXPECT_EQ(format1, records);
  auto st = model::fold_journal(**j);
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  const YAML::Node before = YAML::LoadFile(kFixture + "/inspect-before.json");
  const YAML::Node task = before["tasks"][0];
  testutil::expect_task_as_inspected(st->tasks.at(task["id"].as<std::string>()), task);
  // Realised PnL is now at the task's average cost (it was per slot): not compared.
  EXPECT_TRUE(st->epochs.empty());
  fs::remove_all(dir);
}

TEST(FormatOneJournal, KeelRunsOnFromADataDirectoryWrittenBeforeIssue9) {
  const std::string dir = copy_fixture("journal-format1");
  auto cfg = load_config(std::string(KEEL_SOURCE_DIR) + "/config/paper-btcusdt-grid.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  {
    auto j = journal::Journal::open(dir + "/journal", {});
    ASSERT_TRUE(j.ok()) << j.status().ToString();
    exchange::sim::SimOptions so{cfg->instrument, cfg->sim.maker_fee_rate_e8, cfg->sim.balances,
                                 dir + "/sim"};
    auto sim = exchange::sim::SimExchange::open(so);
    ASSERT_TRUE(sim.ok()) << sim.status().ToString();
    auto reader = market::CaptureReader::open(cfg->sim.data);
    ASSERT_TRUE(reader.ok());
    Engine eng(*cfg, **j, **sim, SystemClock::instance());
    ASSERT_TRUE(eng.load_and_start().ok());
    market::MarketEvent ev;
    for (uint64_t n = 0; n < (*sim)->position(); ++n) {
      ASSERT_TRUE((*reader)->next(ev).ok());
      ASSERT_TRUE((*sim)->warm_up(ev).ok());
      eng.observe(ev);
    }
    auto r = eng.recover();
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->problems.empty()) << r->problems.front();
    EXPECT_TRUE(eng.mode("grid1").quoting) << eng.mode("grid1").reason;
    ASSERT_TRUE(eng.decide_all().ok());
    while ((*reader)->next(ev).ok()) {
      ASSERT_TRUE((*sim)->on_market(ev).ok());
      ASSERT_TRUE(eng.on_market(ev).ok());
    }
    const model::State& st = eng.state();
    ASSERT_EQ(st.epochs.size(), 1u);  // the first start gave the journal an epoch
    const model::TaskState& t = st.tasks.at("grid1");
    EXPECT_TRUE(t.halted.empty()) << t.halted;
    size_t legacy_ids = 0, epoch_ids = 0;
    for (const auto& [cid, o] : t.orders) {
      legacy_ids += cid.rfind("k1-grid1-", 0) == 0;
      epoch_ids += cid.rfind("k2" + st.epoch() + "-grid1-", 0) == 0;
    }
    EXPECT_GT(epoch_ids, 100u);
    EXPECT_EQ(legacy_ids + epoch_ids, t.orders.size());
    // R4 holds over the rest of the run: the exchange's balances are what the journal explains.
    ASSERT_TRUE(st.account("default").has_baseline);
    auto truth = (*sim)->truth();
    for (const auto& [asset, b] : truth.balances) {
      EXPECT_EQ(b.free_e8 + b.locked_e8, st.account("default").expected_e8(asset)) << asset;
    }
  }
  auto v = journal::Journal::verify(dir + "/journal");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->first_bad_seq, 0u) << v->problem;  // one hash chain over both formats
  fs::remove_all(dir);
}

}  // namespace
}  // namespace keel::engine
