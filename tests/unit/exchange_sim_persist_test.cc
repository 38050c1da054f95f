// The sim's persistence: close and reopen, a real kill -9, warm-up rules, state ownership.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exchange_sim_testutil.h"

namespace keel::exchange::sim {
namespace {

using namespace testutil;  // NOLINT(google-build-using-namespace)

constexpr int64_t kT0 = 1'723'161'253'000'000'000;

// A small market: book, an order whose queue is clipped before the break, fills after it.
std::vector<market::MarketEvent> synthetic() {
  return {
      snapshot(100, {{"61800.00", "0.5"}, {"61799.99", "1"}}, {{"61800.01", "0.4"}}),
      diff(101, 101, kT0 + 1, {{"61800.00", "0.3"}}, {}),     // clips q's queue to 0.3
      trade(1, "61800.00", "0.31", true, kT0 + 2),              // 0.01 fills q
      diff(102, 102, kT0 + 3, {{"61800.00", "0.2"}}, {}),      // (queue already 0)
      ticker(103, "61800.00", "0.2", "61800.01", "0.4"),
      trade(2, "61800.00", "0.02", true, kT0 + 4),              // 0.02 more for q
      trade(3, "61800.02", "0.01", false, kT0 + 5),             // through s
      trade(4, "61799.00", "1", true, kT0 + 6),                 // through q: the rest
  };
}

// Places q (BUY 0.1 @ 61800.00) after event 0 and s (SELL 0.05 @ 61800.01) after event 1.
void act(SimExchange& sim, size_t i) {
  if (i == 0) {
    ASSERT_EQ(sim.place(order(Side::kBuy, "61800.00", "0.1", "q")).outcome, Outcome::kAccepted);
  }
  if (i == 1) {
    ASSERT_EQ(sim.place(order(Side::kSell, "61800.01", "0.05", "s")).outcome,
              Outcome::kAccepted);
  }
}

TEST(SimPersist, CloseAndReopenAtEveryPointMatchesAnUninterruptedRun) {
  const auto events = synthetic();
  TempDir twin_dir("twin");
  auto twin = open_sim(options(twin_dir.path()));
  std::vector<std::string> truth_after;  // twin's truth after each event
  for (size_t i = 0; i < events.size(); ++i) {
    ASSERT_TRUE(twin->on_market(events[i]).ok());
    act(*twin, i);
    truth_after.push_back(dump(twin->truth()));
  }
  ASSERT_EQ(twin->truth().trades.size(), 4u);

  for (size_t cut = 1; cut < events.size(); ++cut) {
    SCOPED_TRACE("cut after event " + std::to_string(cut));
    TempDir dir("cut");
    auto sim = open_sim(options(dir.path()));
    for (size_t i = 0; i < cut; ++i) {
      ASSERT_TRUE(sim->on_market(events[i]).ok());
      act(*sim, i);
    }
    sim.reset();  // close
    sim = open_sim(options(dir.path(), "1", "0"));  // initial balances ignored on reopen
    ASSERT_EQ(sim->position(), cut);
    EXPECT_EQ(dump(sim->truth()), truth_after[cut - 1]);
    for (size_t i = 0; i < cut; ++i) ASSERT_TRUE(sim->warm_up(events[i]).ok());
    for (size_t i = cut; i < events.size(); ++i) {
      ASSERT_TRUE(sim->on_market(events[i]).ok());
      act(*sim, i);
      EXPECT_EQ(dump(sim->truth()), truth_after[i]);
    }
    EXPECT_EQ(sim->now_ns(), twin->now_ns());
  }
}

TEST(SimPersist, ReopenRestoresQueriesAndFlags) {
  TempDir dir("flags");
  auto sim = open_sim(options(dir.path()));
  ASSERT_EQ(sim->place(order(Side::kBuy, "61000.00", "0.01", "a")).outcome, Outcome::kAccepted);
  ASSERT_EQ(sim->place(order(Side::kSell, "62000.00", "0.01", "b")).outcome, Outcome::kAccepted);
  ASSERT_EQ(sim->cancel("BTCUSDT", "a").outcome, Outcome::kAccepted);
  ASSERT_TRUE(sim->mark_recording_ended().ok());
  const std::string before = dump(sim->truth());
  const std::string bal_before = dump(*sim->balances());
  sim.reset();
  sim = open_sim(options(dir.path()));
  EXPECT_EQ(dump(sim->truth()), before);
  EXPECT_EQ(dump(*sim->balances()), bal_before);
  EXPECT_TRUE(sim->recording_ended());
  EXPECT_EQ(sim->query_order("BTCUSDT", "a")->status, OrderStatus::kCanceled);
  ASSERT_EQ(sim->open_orders("BTCUSDT")->size(), 1u);
  EXPECT_EQ(sim->cancel("BTCUSDT", "a").error.code, -2011);
  // Counters continue: the next order is #3; b is still a duplicate while open.
  EXPECT_EQ(sim->place(order(Side::kSell, "62000.00", "0.01", "b")).error.code, -2010);
  EXPECT_EQ(sim->place(order(Side::kBuy, "61000.00", "0.01", "a")).order.order_id, 3);
  std::vector<ExecutionReport> ev;
  sim->poll_user_events(ev);
  EXPECT_EQ(ev.size(), 1u);  // in-flight events are not persisted, new ones flow
}

TEST(SimPersist, WarmUpMustCoverExactlyThePosition) {
  const auto events = synthetic();
  TempDir dir("warm");
  auto sim = open_sim(options(dir.path()));
  EXPECT_FALSE(sim->warm_up(events[0]).ok());  // fresh state: nothing to warm
  for (size_t i = 0; i < 3; ++i) ASSERT_TRUE(sim->on_market(events[i]).ok());
  sim.reset();
  sim = open_sim(options(dir.path()));
  ASSERT_TRUE(sim->warm_up(events[0]).ok());
  Status s = sim->on_market(events[3]);
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  ASSERT_TRUE(sim->warm_up(events[1]).ok());
  ASSERT_TRUE(sim->warm_up(events[2]).ok());
  EXPECT_EQ(sim->warm_up(events[3]).code(), Code::kInvalidArgument);
  EXPECT_TRUE(sim->on_market(events[3]).ok());
  EXPECT_EQ(sim->position(), 4u);
}

TEST(SimPersist, StateBelongsToItsSymbolAndAccount) {
  TempDir dir("owner");
  { auto sim = open_sim(options(dir.path())); }
  SimOptions o = options(dir.path());
  o.account = "other";
  EXPECT_EQ(SimExchange::open(o).status().code(), Code::kInvalidArgument);
  o = options(dir.path());
  o.instrument = *Instrument::make("ETHUSDT", "ETH", "USDT", "0.01", "0.0001", "5");
  EXPECT_EQ(SimExchange::open(o).status().code(), Code::kInvalidArgument);
  o = options("");
  EXPECT_FALSE(SimExchange::open(o).ok());
}

// A real kill -9 in the middle of the recording: the child quotes over the first `kCut` events
// and kills itself without closing anything; the reopened state must equal an uninterrupted
// twin's at that point, and both must stay equal to the end of the file.
TEST(SimPersist, SurvivesKillNine) {
  constexpr size_t kCut = 12'345;
  ASSERT_GT(recording().size(), kCut);  // read before fork: the child only replays
  TempDir dir("kill");
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto r = SimExchange::open(options(dir.path()));
    if (!r.ok()) ::_exit(2);
    auto sim = std::move(r).value();
    Script script;
    run(*sim, script, 0, kCut);
    if (::testing::Test::HasFailure() || sim->position() != kCut) ::_exit(3);
    ::raise(SIGKILL);
    ::_exit(4);  // unreachable
  }
  int wstatus = 0;
  ASSERT_EQ(::waitpid(pid, &wstatus, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(wstatus)) << "child exit " << WEXITSTATUS(wstatus);
  ASSERT_EQ(WTERMSIG(wstatus), SIGKILL);

  TempDir twin_dir("killtwin");
  auto twin = open_sim(options(twin_dir.path()));
  Script twin_script;
  run(*twin, twin_script, 0, kCut);

  auto sim = open_sim(options(dir.path()));
  ASSERT_EQ(sim->position(), kCut);
  EXPECT_EQ(dump(sim->truth()), dump(twin->truth()));
  Script script;
  warm(*sim, script);
  run(*sim, script, kCut, recording().size());
  run(*twin, twin_script, kCut, recording().size());
  EXPECT_EQ(dump(sim->truth()), dump(twin->truth()));
  EXPECT_GT(sim->truth().trades.size(), 0u);
}

}  // namespace
}  // namespace keel::exchange::sim
