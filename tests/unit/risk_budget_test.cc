// The request budgets of keel/risk/risk.h ("Request budgets"): an account's new-order count
// (Binance's ORDERS: 50 per 10 SECOND, 160000 per 1 DAY, binance-spot.md §2) shared by its
// tasks, and a task's intent rate, both judged from the folded journal by risk::admit.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "fixture_btcusdt.h"
#include "keel/core/clock.h"
#include "keel/core/ids.h"
#include "keel/journal/journal.h"
#include "keel/model/snapshot.h"
#include "keel/risk/risk.h"

namespace keel::risk {
namespace {

using strategy::IntentSpec;

// 2024-08-08 23:54:15 UTC (the recording's first second), in ms; a UTC day ends 345 s later.
constexpr int64_t kT0Ms = 1'723'161'255'000;
constexpr int64_t kMidnightMs = 1'723'161'600'000;  // 2024-08-09 00:00:00 UTC

class BudgetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    start("a", "alpha");
    start("b", "alpha");
    start("c", "beta");
  }
  void start(const std::string& task, const std::string& account) {
    journal::TaskStarted t = testing_fixture::btcusdt_grid_task();
    t.account = account;
    fold(task, t);
  }
  void fold(const std::string& task, journal::Body body) {
    journal::Record r;
    r.seq = state_.last_seq + 1;
    r.task_id = task;
    r.ts_exchange_ns = ms_to_ns(kT0Ms);
    r.body = std::move(body);
    records_.push_back(r);
    model::apply(state_, r);
  }
  // A place of `task` whose request was stamped at `at_ms` (venue clock), at a fresh level.
  std::string place(const std::string& task, int64_t at_ms) {
    const std::string cid = make_client_order_id("", task, state_.last_seq + 1);
    const int64_t price = 6'100'000 + static_cast<int64_t>(state_.last_seq);
    fold(task, journal::PlaceIntent{price, Side::kBuy, price, 200, cid, {price, price + 1, 0, "t"},
                                    {at_ms, 5'000}});
    return cid;
  }
  static IntentSpec spec_place(int64_t price) {
    IntentSpec s;
    s.kind = IntentSpec::Kind::kPlace;
    s.slot_key = s.price_ticks = price;
    s.side = Side::kBuy;
    s.qty_lots = 200;
    return s;
  }
  static IntentSpec spec_cancel(const std::string& cid) {
    IntentSpec s;
    s.kind = IntentSpec::Kind::kCancel;
    s.client_order_id = cid;
    return s;
  }
  static IntentSpec spec_amend(const std::string& cid, int64_t price, int64_t qty) {
    IntentSpec s = spec_place(price);
    s.kind = IntentSpec::Kind::kAmend;
    s.client_order_id = cid;
    s.qty_lots = qty;
    return s;
  }
  const model::TaskState& task(const std::string& id) const { return state_.tasks.at(id); }

  model::State state_;
  std::vector<journal::Record> records_;
  IntentRate wide_{1'000, 1'000};  // a task budget that never binds
};

TEST_F(BudgetTest, TwoTasksOfOneAccountShareItsLimitInOnePass) {
  for (int i = 0; i < 3; ++i) place("a", kT0Ms + i);
  place("c", kT0Ms);  // another account's: not alpha's
  const OrderLimits limits{5, 160'000};
  AccountOrders alpha = account_orders(state_, "alpha", ms_to_ns(kT0Ms + 100));
  EXPECT_EQ(alpha.in_window, 3);
  EXPECT_EQ(alpha.in_day, 3);
  // The pass: task a asks for one more place (fits: 4 of 5), then b for three (one fits).
  std::vector<IntentSpec> a{spec_place(6'000'001)};
  Admission adm = admit(a, task("a"), wide_, limits, false, alpha);
  EXPECT_EQ(a.size(), 1u);
  EXPECT_EQ(adm.held, 0u);
  EXPECT_EQ(alpha.in_window, 4);
  std::vector<IntentSpec> b{spec_place(6'000'010), spec_place(6'000'011), spec_place(6'000'012)};
  adm = admit(b, task("b"), wide_, limits, false, alpha);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].price_ticks, 6'000'010);  // the first of its places, in order
  EXPECT_EQ(adm.held, 2u);
  EXPECT_FALSE(adm.throttled);
  EXPECT_EQ(alpha.in_window, 5);
  // Beta's own count is untouched by alpha's.
  EXPECT_EQ(account_orders(state_, "beta", ms_to_ns(kT0Ms + 100)).in_window, 1);
}

TEST_F(BudgetTest, CancelsAndKeepPriorityAmendsAlwaysPassACancelReplaceCounts) {
  std::string open;
  for (int i = 0; i < 5; ++i) open = place("a", kT0Ms + i);
  fold("a", journal::OrderAccepted{open, 77, journal::Source::kResponse});
  const model::Order& o = *task("a").find_order(open);
  AccountOrders alpha = account_orders(state_, "alpha", ms_to_ns(kT0Ms + 10));
  ASSERT_EQ(alpha.in_window, 5);  // at the limit
  const IntentSpec keep = spec_amend(open, o.price_ticks, 100);        // smaller, same price
  const IntentSpec replace = spec_amend(open, o.price_ticks + 1, 200);  // a new price
  EXPECT_FALSE(counts_as_order(spec_cancel(open), task("a"), true));
  EXPECT_FALSE(counts_as_order(keep, task("a"), true));
  EXPECT_TRUE(counts_as_order(keep, task("a"), false));  // no amend on the venue: cancelReplace
  EXPECT_TRUE(counts_as_order(replace, task("a"), true));
  std::vector<IntentSpec> specs{spec_place(6'000'001), spec_cancel(open), replace, keep,
                                spec_cancel("other")};
  const Admission adm = admit(specs, task("a"), wide_, {5, 160'000}, true, alpha);
  EXPECT_EQ(adm.held, 2u);
  ASSERT_EQ(specs.size(), 3u);
  EXPECT_EQ(specs[0].kind, IntentSpec::Kind::kCancel);
  EXPECT_EQ(specs[1].kind, IntentSpec::Kind::kAmend);
  EXPECT_EQ(specs[1].qty_lots, 100);
  EXPECT_EQ(specs[2].client_order_id, "other");
  EXPECT_EQ(alpha.in_window, 5);
}

TEST_F(BudgetTest, TheWindowIsTheLastTenSecondsOfTheVenueClock) {
  place("a", kT0Ms);
  place("b", kT0Ms + 4'000);
  place("a", kT0Ms + 9'999);
  EXPECT_EQ(account_orders(state_, "alpha", ms_to_ns(kT0Ms + 9'999)).in_window, 3);
  // (now - 10 s, now]: the first leaves exactly 10 s after it was stamped.
  EXPECT_EQ(account_orders(state_, "alpha", ms_to_ns(kT0Ms + 10'000)).in_window, 2);
  EXPECT_EQ(account_orders(state_, "alpha", ms_to_ns(kT0Ms + 14'000)).in_window, 1);
  EXPECT_EQ(account_orders(state_, "alpha", ms_to_ns(kT0Ms + 20'000)).in_window, 0);
  // The fold keeps only the window's entries (bounded memory); the day still counts them all.
  place("a", kT0Ms + 30'000);
  EXPECT_EQ(task("a").order_times_ns.size(), 1u);
  EXPECT_EQ(task("a").orders_in_day, 3u);
}

TEST_F(BudgetTest, TheDayCounterResetsAtUtcMidnightAndBindsItsLimit) {
  for (int i = 0; i < 4; ++i) place(i % 2 == 0 ? "a" : "b", kMidnightMs - 60'000 + i * 11'000);
  const OrderLimits limits{50, 4};
  AccountOrders before = account_orders(state_, "alpha", ms_to_ns(kMidnightMs - 1));
  EXPECT_EQ(before.in_day, 4);
  std::vector<IntentSpec> specs{spec_place(6'000'001)};
  EXPECT_EQ(admit(specs, task("a"), wide_, limits, false, before).held, 1u);
  EXPECT_TRUE(specs.empty());
  // A new UTC day: the count starts again.
  AccountOrders after = account_orders(state_, "alpha", ms_to_ns(kMidnightMs));
  EXPECT_EQ(after.in_day, 0);
  specs = {spec_place(6'000'001)};
  EXPECT_EQ(admit(specs, task("a"), wide_, limits, false, after).held, 0u);
  EXPECT_EQ(specs.size(), 1u);
  place("a", kMidnightMs + 5);
  EXPECT_EQ(task("a").order_day, kMidnightMs / 86'400'000);
  EXPECT_EQ(task("a").orders_in_day, 1u);
  // A request stamped before midnight after one stamped after it (a clock stepped back) counts
  // in the window, not today.
  place("a", kMidnightMs - 2);
  EXPECT_EQ(task("a").orders_in_day, 1u);
  EXPECT_EQ(account_orders(state_, "alpha", ms_to_ns(kMidnightMs + 10)).in_window, 2);
}

TEST_F(BudgetTest, TheTaskBudgetCutsTheRestOfTheDecisionAsBefore) {
  // {2 per second, burst 4}: 4 intents in any 2 s window. Three were stamped in the last 2 s.
  for (int i = 0; i < 3; ++i) place("a", kT0Ms + 500 * i);
  const std::string cid = task("a").orders.begin()->first;
  AccountOrders alpha = account_orders(state_, "alpha", ms_to_ns(kT0Ms + 1'500));
  std::vector<IntentSpec> specs{spec_cancel(cid), spec_place(6'000'001), spec_cancel("x")};
  const Admission adm = admit(specs, task("a"), {2, 4}, {50, 160'000}, false, alpha);
  EXPECT_TRUE(adm.throttled);
  EXPECT_EQ(adm.held, 0u);
  ASSERT_EQ(specs.size(), 1u);  // the first intent only, whatever its kind
  EXPECT_EQ(specs[0].kind, IntentSpec::Kind::kCancel);
  EXPECT_EQ(alpha.in_window, 3);  // the place cut by the task budget is not counted
}

// A restart folds the same journal again (from record 1, or from a snapshot and the tail): the
// account's figures, and so what the budgets admit, are the same.
TEST_F(BudgetTest, ARestartJudgesAsTheLiveRunDid) {
  for (int i = 0; i < 40; ++i) place(i % 3 == 0 ? "b" : "a", kT0Ms + 400 * i);
  const size_t half = records_.size() / 2;
  model::State from_scratch, from_snapshot;
  for (const journal::Record& r : records_) model::apply(from_scratch, r);
  for (size_t i = 0; i < half; ++i) model::apply(from_snapshot, records_[i]);
  auto decoded = model::decode_state(model::encode_state(from_snapshot));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  from_snapshot = std::move(*decoded);
  for (size_t i = half; i < records_.size(); ++i) model::apply(from_snapshot, records_[i]);
  const OrderLimits limits{30, 160'000};
  for (const model::State* s : {&state_, &from_scratch, &from_snapshot}) {
    for (int64_t now_ms : {kT0Ms + 15'000, kT0Ms + 15'599, kT0Ms + 16'000}) {
      AccountOrders alpha = account_orders(*s, "alpha", ms_to_ns(now_ms));
      const AccountOrders live = account_orders(state_, "alpha", ms_to_ns(now_ms));
      EXPECT_EQ(alpha.in_window, live.in_window) << now_ms;
      EXPECT_EQ(alpha.in_day, live.in_day) << now_ms;
      std::vector<IntentSpec> specs;
      for (int k = 0; k < 8; ++k) specs.push_back(spec_place(6'000'000 + k));
      const Admission adm = admit(specs, s->tasks.at("a"), wide_, limits, false, alpha);
      const size_t room = static_cast<size_t>(std::clamp<int64_t>(30 - live.in_window, 0, 8));
      EXPECT_EQ(specs.size(), room) << now_ms;
      EXPECT_EQ(adm.held, 8 - specs.size());
    }
  }
  EXPECT_EQ(model::encode_state(from_snapshot), model::encode_state(state_));
}

// The order log is in the snapshot from version 8 on. A snapshot of an older version (a journal
// written before) is ignored and the journal folded from record 1 (snapshots are a cache): the
// figures are the same as the live fold's.
TEST_F(BudgetTest, AnOlderSnapshotIsIgnoredAndTheJournalFoldedFromRecordOne) {
  for (int i = 0; i < 12; ++i) place(i % 2 == 0 ? "a" : "b", kT0Ms + 700 * i);
  char tmpl[] = "/tmp/keel-budget-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  {
    auto j = journal::Journal::open(dir + "/journal", {});
    ASSERT_TRUE(j.ok()) << j.status().ToString();
    std::vector<journal::Record> recs = records_;
    ASSERT_TRUE((*j)->append(recs, true).ok());
    std::string old = model::encode_state(state_);
    old[4] = 7;  // the version byte; the CRC covers the payload only
    ASSERT_TRUE((*j)->write_snapshot(old).ok());
  }
  auto j = journal::Journal::open(dir + "/journal", {});
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  ASSERT_TRUE((*j)->snapshot().has_value());
  EXPECT_FALSE(model::decode_state((*j)->snapshot()->state).ok());
  bool from_snapshot = true;
  auto folded = model::fold_journal(**j, &from_snapshot);
  ASSERT_TRUE(folded.ok()) << folded.status().ToString();
  EXPECT_FALSE(from_snapshot);
  const int64_t now = ms_to_ns(kT0Ms + 700 * 11);
  EXPECT_EQ(account_orders(*folded, "alpha", now).in_window, 12);
  EXPECT_EQ(account_orders(*folded, "alpha", now).in_window,
            account_orders(state_, "alpha", now).in_window);
  EXPECT_EQ(model::encode_state(*folded), model::encode_state(state_));
  j->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace keel::risk
