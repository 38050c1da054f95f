// Issue 9: the engine against faults a real venue produces, on real data. Each test is named
// after one of the problems; each ends by comparing the journal with the exchange's
// truth (fills = the venue's trades of this journal's orders, working orders = open orders, R4
// exact) and folding the journal again from disk (E1: nothing a venue says aborts the fold).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <map>
#include <set>

#include "engine_faults_testutil.h"
#include "engine_testutil.h"
#include "keel/core/clock.h"
#include "keel/core/ids.h"
#include "keel/engine/engine.h"
#include "keel/exchange/forwarding.h"
#include "keel/exchange/sim.h"
#include "keel/market/capture.h"
#include "keel/model/snapshot.h"

namespace keel::engine {
namespace {

namespace fs = std::filesystem;
using exchange::ExecType;
using exchange::ExecutionReport;
using exchange::Outcome;
using testutil::set_grid;
using testutil::test_config;
using testutil::AccountHub;
using testutil::FaultyVenue;
using testutil::Keel;
using testutil::World;
using testutil::expect_matches_truth;
using testutil::max_cancels_of_one_order;
using testutil::of_journal;

// Problem 1: a place answered 503 -1007 that the venue executes 1.5 s later. The query in
// between answers "does not exist"; keel keeps the slot PENDING until the request could no
// longer execute, so the late order is tracked, never placed twice, never fatal.
TEST(VenueFaults, LateExecutionOfAPlaceAnsweredUnknownIsTrackedNotDuplicated) {
  World w;
  Keel& k = w.add("a");
  k.venue->late_every = 7;
  k.venue->late_ms = 1'500;
  w.run();
  w.settle();
  EXPECT_GT(k.venue->executed_late, 5);
  EXPECT_EQ(k.venue->expired, 0);
  EXPECT_GT(k.engine->stats().unknown_outcomes, 5u);
  EXPECT_EQ(k.engine->state().tasks.at("g1").late_executions, 0u);  // never given up early
  expect_matches_truth(w, k);
}

TEST(VenueFaults, LateExecutionThatExpiresIsSettledAsNeverReceivedAfterItsRecvWindow) {
  World w;
  Keel& k = w.add("a");
  k.venue->late_every = 7;
  k.venue->late_ms = 8'000;  // past timestamp + recvWindow (5 s): Binance drops the request
  w.run();
  w.settle();
  EXPECT_GT(k.venue->expired, 5);
  EXPECT_EQ(k.venue->executed_late, 0);
  EXPECT_GT(k.engine->state().tasks.at("g1").not_found, 5u);
  expect_matches_truth(w, k);
}

// E1: a venue that breaks the recvWindow rule and executes an order keel settled as never
// received. The late NEW and fills are evidence: the order is tracked again, its fills counted,
// and, if its slot placed again meanwhile, it is cancelled as a stray.
TEST(VenueFaults, LateExecutionAfterTheRecvWindowIsEvidenceNotACrash) {
  World w;
  Keel& k = w.add("a");
  k.venue->late_every = 5;
  k.venue->late_ms = 8'000;
  k.venue->break_recv_window = true;
  w.run();
  w.settle();
  EXPECT_GT(k.venue->executed_late, 5);
  EXPECT_GT(k.engine->state().tasks.at("g1").late_executions, 0u);
  expect_matches_truth(w, k);
}

// Problem 2: executionReports lost without any disconnect, partial fills and cancels among
// them. Every fill reaches the journal (the cancel's executedQty says what is owed).
TEST(VenueFaults, ALostFillOnAnOrderKeelThenCancelsIsJournaled) {
  World w;
  Keel& k = w.add("a");
  k.venue->drop_every = 2;
  w.run();
  w.settle();
  expect_matches_truth(w, k);
  EXPECT_LE(max_cancels_of_one_order(k), 3);
}

// Problem 3: every fill event lost: the grid cancels orders that had filled, the venue answers
// -2011, and keel never sends that cancel again; the query settles the order.
TEST(VenueFaults, ACancelRefusedWithUnknownOrderIsNeverSentAgain) {
  World w;
  Keel& k = w.add("a");
  k.venue->drop_trades = true;
  w.run();
  w.settle();
  const auto& t = k.engine->state().tasks.at("g1");
  EXPECT_GT(t.cancel_rejects, 0u);
  EXPECT_LE(max_cancels_of_one_order(k), 1);
  EXPECT_LE(t.intents_cancel, t.intents_place);
  expect_matches_truth(w, k);
}

TEST(VenueFaults, TheRequestBudgetBoundsEveryTasksIntentRate) {
  Config cfg = test_config();
  cfg.tasks[0].rate = {2, 4};
  World w;
  Keel& k = w.add("a", cfg);
  w.run();
  EXPECT_GT(k.engine->stats().throttled_decisions, 0u);
  // Intents per second of exchange time never exceed the budget (burst 4, then 2/s).
  std::vector<int64_t> at_ms;
  ASSERT_TRUE(k.journal->for_each(1, [&](const journal::Record& r) {
    if (std::holds_alternative<journal::PlaceIntent>(r.body) ||
        std::holds_alternative<journal::CancelIntent>(r.body)) {
      at_ms.push_back(r.ts_exchange_ns / 1'000'000);
    }
    return true;
  }).ok());
  ASSERT_GT(at_ms.size(), 20u);
  for (size_t i = 0; i < at_ms.size(); ++i) {
    size_t j = i;
    while (j < at_ms.size() && at_ms[j] < at_ms[i] + 10'000) ++j;
    EXPECT_LE(j - i, 4u + 2u * 10u) << "intents in the 10 s from " << at_ms[i];
  }
  w.settle();
  expect_matches_truth(w, k);
}

// Problem 4: two journals (two data directories) on one account. Each journal's ids carry its
// own epoch; neither touches the other's orders; each counts the other's trades as foreign
// fills, so R4 holds exactly for both.
TEST(VenueFaults, TwoJournalsOnOneAccountNeverTouchEachOthersOrders) {
  World w;
  Keel& a = w.add("a");
  Config other = test_config();
  set_grid(other.tasks[0], {700, 200, 5, 5, 20});  // another grid, same task id, same account
  Keel& b = w.add("b", other);
  ASSERT_NE(a.engine->state().epoch(), b.engine->state().epoch());
  w.run();
  w.settle();
  for (Keel* k : {&a, &b}) {
    SCOPED_TRACE(k->dir);
    expect_matches_truth(w, *k);
    EXPECT_GT(k->engine->state().account("default").foreign_fills, 0u);
    EXPECT_GT(k->engine->stats().foreign_events, 0u);
    for (const auto& [cid, n] : k->venue->cancels) EXPECT_TRUE(of_journal(*k, cid)) << cid;
  }
}

// Problem 5: Binance takes a BUY's commission in the base asset. The position is what the
// account holds; a sell never exceeds it (the venue would refuse: insufficient balance).
TEST(VenueFaults, CommissionInTheBaseAssetNeverSellsBaseTheTaskDoesNotHold) {
  World w(exchange::sim::CommissionMode::kBase);
  Keel& k = w.add("a");
  w.run();
  w.settle();
  const auto& t = k.engine->state().tasks.at("g1");
  EXPECT_GT(t.sells.fills, 5u);
  EXPECT_GT(t.commissions.at("BTC"), 0);
  EXPECT_EQ(t.rejects, 0u) << "a sell refused for insufficient balance";
  const auto truth = w.sim->truth();
  const auto& btc = truth.balances.at("BTC");
  EXPECT_EQ(t.position.base_e8, btc.free_e8 + btc.locked_e8);
  expect_matches_truth(w, k);
}

// Problem 6: an account holding an amount no int64 at 10^-8 can hold (an airdrop) starts.
TEST(VenueFaults, ALargeForeignBalanceDoesNotStopStartUp) {
  World w;
  Keel& k = w.add("a");
  k.venue->huge_foreign_balance = true;
  auto r = k.engine->recover();
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->problems.empty());
  EXPECT_TRUE(k.engine->mode("g1").quoting);
  w.run(5'000);
  w.settle();
  EXPECT_EQ(k.engine->state().account("default").baseline_e8.count("AIRDROP"), 0u);
  expect_matches_truth(w, k);
}

// Problem 7: a task removed or renamed in the config while its orders work. The start is
// refused, naming the task and its orders; `keel retire` cancels them through the journal and
// journals the retirement; the new config then starts.
TEST(VenueFaults, ATaskRemovedOrRenamedInTheConfigIsRefusedUntilRetired) {
  World w;
  Keel& k = w.add("a");
  w.run(8'000);
  size_t working = 0;
  for (const auto& [cid, o] : k.engine->state().tasks.at("g1").orders) working += o.working();
  ASSERT_GT(working, 0u);
  Config renamed = test_config();
  renamed.tasks[0].id = "g2";
  k.cfg = renamed;
  k.engine = std::make_unique<Engine>(k.cfg, *k.journal, *k.venue, SystemClock::instance());
  Status s = k.engine->load_and_start();
  ASSERT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_NE(s.message().find("task 'g1'"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find(std::to_string(working) + " working order"), std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("keel retire"), std::string::npos);
  // keel retire --task g1, with the new config.
  k.engine = std::make_unique<Engine>(k.cfg, *k.journal, *k.venue, SystemClock::instance());
  ASSERT_TRUE(k.engine->load_and_start({"g1"}).ok());
  s = k.engine->retire("g1", 5'000);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(k.engine->state().tasks.at("g1").retired);
  for (const auto& o : w.sim->truth().orders) {
    if (o.client_order_id.find("-g1-") != std::string::npos) {
      EXPECT_FALSE(exchange::is_open(o.status));
    }
  }
  // Every cancel was journaled before it left (W1): the journal names each one.
  size_t cancel_intents = 0;
  ASSERT_TRUE(k.journal->for_each(1, [&](const journal::Record& r) {
    cancel_intents += std::holds_alternative<journal::CancelIntent>(r.body) &&
                      std::get<journal::CancelIntent>(r.body).ctx.reason == "keel retire";
    return true;
  }).ok());
  EXPECT_GT(cancel_intents, 0u);
  // The renamed config starts now; the retired task may not come back under its old id.
  w.open(k);
  EXPECT_TRUE(k.engine->mode("g2").quoting);
  w.run(3'000);
  w.settle();
  expect_matches_truth(w, k);
  k.cfg = test_config();
  k.engine = std::make_unique<Engine>(k.cfg, *k.journal, *k.venue, SystemClock::instance());
  EXPECT_EQ(k.engine->load_and_start().code(), Code::kInvalidArgument);
  // keel retire of a task the journal never held, with a config that still names the retired
  // task: the answer names the task asked for, not the retired one.
  k.cfg.tasks.push_back(renamed.tasks[0]);
  k.engine = std::make_unique<Engine>(k.cfg, *k.journal, *k.venue, SystemClock::instance());
  ASSERT_TRUE(k.engine->load_and_start({"nope"}).ok());
  s = k.engine->retire("nope", 5'000);
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_NE(s.message().find("--task nope: the journal holds no such task"), std::string::npos)
      << s.message();
}

TEST(VenueFaults, AChangedTickOrStepAgainstTheJournalIsRefusedNamingTheField) {
  World w;
  Keel& k = w.add("a");
  Config changed = test_config();
  changed.instrument = *Instrument::make("BTCUSDT", "BTC", "USDT", "0.01", "0.0001", "5");
  k.engine = std::make_unique<Engine>(changed, *k.journal, *k.venue, SystemClock::instance());
  Status s = k.engine->load_and_start();
  ASSERT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_NE(s.message().find("instrument.step_size: 0.00001 -> 0.0001"), std::string::npos)
      << s.message();
}

// E1: an impossible fill (more than the order's quantity) is journaled as evidence and folded
// into a halt; the reason is journaled as its own TaskHalted record; the task stops quoting, the
// run goes on, and the journal folds again from disk.
TEST(VenueFaults, AnImpossibleFillHaltsTheTaskWithAJournaledReason) {
  World w;
  Keel& k = w.add("a");
  bool injected = false;
  k.venue->mangle = [&](std::vector<ExecutionReport>& batch) {
    for (ExecutionReport& er : batch) {
      if (injected || er.exec_type != ExecType::kTrade) continue;
      er.trade.qty_lots = er.order.qty_lots + 1;  // the venue "fills" more than was ordered
      injected = true;
    }
  };
  w.run(20'000);
  ASSERT_TRUE(injected);
  const auto& t = k.engine->state().tasks.at("g1");
  EXPECT_NE(t.halted.find("overfill"), std::string::npos);
  size_t halt_records = 0;
  ASSERT_TRUE(k.journal->for_each(1, [&](const journal::Record& r) {
    if (const auto* h = std::get_if<journal::TaskHalted>(&r.body)) {
      ++halt_records;
      EXPECT_NE(h->reason.find("overfill"), std::string::npos);
    }
    return true;
  }).ok());
  EXPECT_EQ(halt_records, 1u);
  ASSERT_TRUE(k.engine->recover().ok());
  EXPECT_FALSE(k.engine->mode("g1").quoting);
  model::State again;
  ASSERT_TRUE(k.journal->for_each(1, [&](const journal::Record& r) {
    model::apply(again, r);
    return true;
  }).ok());
  EXPECT_EQ(again.tasks.at("g1").halted, t.halted);
}

}  // namespace
}  // namespace keel::engine
