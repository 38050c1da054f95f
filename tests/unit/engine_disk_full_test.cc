// The engine on a full disk (W4): the first journal write that finds no space stops every
// new intent for good, the failure names the disk and the journal's path, the cancel-all
// leaves no working order on the (simulated) exchange, and the journal the next process
// opens is intact up to the last record written before the disk filled.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "keel/core/clock.h"
#include "keel/engine/engine.h"
#include "engine_testutil.h"
#include "keel/exchange/forwarding.h"
#include "keel/exchange/sim.h"
#include "keel/journal/fault_fs.h"
#include "keel/market/capture.h"

namespace keel::engine {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

using testutil::test_config;

// Counts the requests that change exchange state; `forbid` makes any of them a failure.
class RequestGate final : public exchange::ForwardingExchange {
 public:
  explicit RequestGate(exchange::Exchange& inner) : ForwardingExchange(inner) {}
  exchange::PlaceResult place(const exchange::OrderRequest& req) override {
    check();
    return inner_.place(req);
  }
  exchange::CancelResult cancel(const std::string& s, const std::string& cid,
                                exchange::RequestStamp stamp = {}) override {
    if (!emergency) check();
    ++cancels;
    return inner_.cancel(s, cid, stamp);
  }
  exchange::ReplaceResult cancel_replace(const std::string& c,
                                         const exchange::OrderRequest& r) override {
    check();
    return inner_.cancel_replace(c, r);
  }
  bool forbid = false;     // W4: no intent's request may leave
  bool emergency = false;  // the fail-stop cancel-all
  size_t cancels = 0;

 private:
  void check() { EXPECT_FALSE(forbid) << "a request left after the journal failed"; }
};

TEST(EngineDiskFull, AFullDiskStopsIntentsForGoodAndCancelAllClearsTheBook) {
  char tmpl[] = "/tmp/keel-engine-disk-full-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string root = tmpl, jdir = root + "/journal";
  const Config cfg = test_config();
  auto ffs = journal::FaultFs::create({});
  uint64_t seq_before = 0;
  {
    journal::Journal::Options jo;
    jo.fault_fs = ffs;
    auto j = journal::Journal::open(jdir, jo);
    ASSERT_TRUE(j.ok()) << j.status().ToString();
    exchange::sim::SimOptions so{cfg.instrument, cfg.sim.maker_fee_rate_e8, cfg.sim.balances,
                                 root + "/sim"};
    auto sim = exchange::sim::SimExchange::open(so);
    ASSERT_TRUE(sim.ok());
    auto reader = market::CaptureReader::open(cfg.sim.data);
    ASSERT_TRUE(reader.ok());
    RequestGate gate(**sim);
    Engine eng(cfg, **j, gate, SystemClock::instance());
    ASSERT_TRUE(eng.load_and_start().ok());
    ASSERT_TRUE(eng.recover().ok());
    ASSERT_TRUE(eng.decide_all().ok());
    market::MarketEvent ev;
    auto step = [&]() -> Status {
      KEEL_RETURN_IF_ERROR((*reader)->next(ev));
      KEEL_RETURN_IF_ERROR((*sim)->on_market(ev));
      return eng.on_market(ev);
    };
    for (int i = 0; i < 3000; ++i) ASSERT_TRUE(step().ok());
    auto open = (*sim)->open_orders("BTCUSDT");
    ASSERT_TRUE(open.ok());
    ASSERT_FALSE(open->empty()) << "the grid should have working orders by now";

    // The disk fills up: the next journal write gets ENOSPC.
    seq_before = (*j)->last_seq();
    ffs->set_disk_full_after_bytes(ffs->appended_bytes());
    gate.forbid = true;
    Status s;
    for (int i = 0; i < 20000 && s.ok(); ++i) s = step();
    ASSERT_EQ(s.code(), Code::kFailStop) << s.ToString();
    EXPECT_THAT(s.message(), HasSubstr("no space left on device"));
    EXPECT_THAT(s.message(), HasSubstr(jdir));
    EXPECT_TRUE(ffs->disk_full());
    EXPECT_EQ((*j)->last_seq(), seq_before);
    // For good: space coming back changes nothing in this process.
    ffs->set_disk_full_after_bytes(journal::FaultFs::kUnlimited);
    for (int i = 0; i < 200; ++i) EXPECT_EQ(step().code(), Code::kFailStop);
    EXPECT_EQ((*j)->last_seq(), seq_before);
    // The fail-stop cancel-all: no journal needed, every working order of ours goes.
    auto working = (*sim)->open_orders("BTCUSDT");
    ASSERT_TRUE(working.ok());
    ASSERT_FALSE(working->empty());
    gate.forbid = false;
    gate.emergency = true;
    gate.cancels = 0;
    const size_t n = eng.emergency_cancel_all();
    EXPECT_EQ(n, working->size());
    EXPECT_EQ(gate.cancels, working->size());
    auto after = (*sim)->open_orders("BTCUSDT");
    ASSERT_TRUE(after.ok());
    EXPECT_TRUE(after->empty());
  }
  // The next process: everything journaled before the disk filled, chain intact.
  auto v = journal::Journal::verify(jdir);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->first_bad_seq, 0u) << v->problem;
  EXPECT_EQ(v->last_seq, seq_before);
  fs::remove_all(root);
}

}  // namespace
}  // namespace keel::engine
