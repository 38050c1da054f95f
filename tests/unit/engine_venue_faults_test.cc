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
using testutil::test_config;

// One account's user-data events, fanned out to every engine trading on it (each venue session
// receives every event of the account, as on Binance).
class AccountHub {
 public:
  explicit AccountHub(exchange::sim::SimExchange& sim) : sim_(sim) {}
  size_t subscribe() {
    queues_.emplace_back();
    return queues_.size() - 1;
  }
  void drain(size_t who, std::vector<ExecutionReport>& out) {
    std::vector<ExecutionReport> fresh;
    sim_.poll_user_events(fresh);
    for (auto& q : queues_) q.insert(q.end(), fresh.begin(), fresh.end());
    out.insert(out.end(), queues_[who].begin(), queues_[who].end());
    queues_[who].clear();
  }

 private:
  exchange::sim::SimExchange& sim_;
  std::vector<std::vector<ExecutionReport>> queues_;
};

// The embedded exchange as a network venue misbehaves.
class FaultyVenue final : public exchange::ForwardingExchange {
 public:
  FaultyVenue(exchange::sim::SimExchange& sim, AccountHub& hub)
      : ForwardingExchange(sim), sim_(sim), hub_(hub), id_(hub.subscribe()) {}

  // Every `late_every`-th place is answered 503 -1007 and executed `late_ms` of exchange time
  // later -- only while the venue clock is within its timestamp + recvWindow (as Binance
  // re-checks it before the matching engine), unless `break_recv_window`.
  int late_every = 0;
  int64_t late_ms = 1'500;
  bool break_recv_window = false;
  // executionReports lost: every TRADE (`drop_trades`), or one event in `drop_every`.
  bool drop_trades = false;
  int drop_every = 0;
  bool huge_foreign_balance = false;
  // Rewrites each delivered batch (impossible venue messages).
  std::function<void(std::vector<ExecutionReport>&)> mangle;
  int64_t clock_offset_ms = 0;  // moves the venue clock past the recording's end

  std::map<std::string, int> cancels;  // per client order id
  int executed_late = 0, expired = 0;

  bool answers_synchronously() const override { return late_every == 0; }
  int64_t venue_time_ms() const override { return sim_.venue_time_ms() + clock_offset_ms; }

  exchange::PlaceResult place(const exchange::OrderRequest& req) override {
    if (late_every > 0 && ++places_ % late_every == 0) {
      late_.push_back({req, venue_time_ms() + late_ms});
      exchange::PlaceResult r;
      r.outcome = Outcome::kUnknown;
      r.error = {503, -1007, "Timeout waiting for response from backend server. Send status "
                             "unknown; execution status unknown."};
      return r;
    }
    return inner_.place(req);
  }
  exchange::CancelResult cancel(const std::string& s, const std::string& cid,
                                exchange::RequestStamp stamp = {}) override {
    ++cancels[cid];
    return inner_.cancel(s, cid, stamp);
  }
  Result<exchange::Balances> balances() override {
    auto b = inner_.balances();
    if (b.ok() && huge_foreign_balance) (*b)["AIRDROP"] = {0, 0, false};
    return b;
  }
  void poll_user_events(std::vector<ExecutionReport>& out) override {
    std::vector<ExecutionReport> got;
    hub_.drain(id_, got);
    for (ExecutionReport& er : got) {
      const bool drop = (drop_trades && er.exec_type == ExecType::kTrade) ||
                        (drop_every > 0 && ++events_ % drop_every == 0);
      if (!drop) out.push_back(std::move(er));
    }
    if (mangle) mangle(out);
  }
  // After each market event: the late requests whose time came.
  void tick() {
    const int64_t now = venue_time_ms();
    for (auto it = late_.begin(); it != late_.end();) {
      if (it->due_ms > now) {
        ++it;
        continue;
      }
      const auto& st = it->req.stamp;
      if (break_recv_window || now <= st.timestamp_ms + st.recv_window_ms) {
        if (inner_.place(it->req).outcome == Outcome::kAccepted) ++executed_late;
      } else {
        ++expired;
      }
      it = late_.erase(it);
    }
  }
  size_t late_pending() const { return late_.size(); }

 private:
  struct Late {
    exchange::OrderRequest req;
    int64_t due_ms;
  };
  exchange::sim::SimExchange& sim_;
  AccountHub& hub_;
  size_t id_;
  std::vector<Late> late_;
  int places_ = 0, events_ = 0;
};

std::string temp_dir() {
  char tmpl[] = "/tmp/keel-venue-faults-XXXXXX";
  return mkdtemp(tmpl);
}

// One engine (its own data directory and journal) on the shared account.
struct Keel {
  Config cfg;
  std::string dir;
  std::unique_ptr<journal::Journal> journal;
  std::unique_ptr<FaultyVenue> venue;
  std::unique_ptr<Engine> engine;
};

struct World {
  std::string root = temp_dir();
  std::unique_ptr<exchange::sim::SimExchange> sim;
  std::unique_ptr<AccountHub> hub;
  std::unique_ptr<market::CaptureReader> reader;
  std::vector<std::unique_ptr<Keel>> keels;

  explicit World(exchange::sim::CommissionMode commission = exchange::sim::CommissionMode::kQuote) {
    const Config c = test_config();
    exchange::sim::SimOptions so{c.instrument, c.sim.maker_fee_rate_e8, c.sim.balances,
                                 root + "/sim"};
    so.initial_balances["BTC"].free_e8 = 0;
    so.commission_mode = commission;
    sim = std::move(*exchange::sim::SimExchange::open(so));
    hub = std::make_unique<AccountHub>(*sim);
    reader = std::move(*market::CaptureReader::open(c.sim.data));
  }
  ~World() { fs::remove_all(root); }

  Keel& add(const std::string& name, Config cfg = test_config()) {
    auto k = std::make_unique<Keel>();
    k->cfg = std::move(cfg);
    k->dir = root + "/" + name;
    fs::create_directories(k->dir);
    open(*k);
    keels.push_back(std::move(k));
    return *keels.back();
  }
  void open(Keel& k) {
    k.engine.reset();
    k.journal.reset();  // the journal's lock is released before it opens again
    k.journal = std::move(*journal::Journal::open(k.dir + "/journal", {}));
    if (!k.venue) k.venue = std::make_unique<FaultyVenue>(*sim, *hub);
    k.engine = std::make_unique<Engine>(k.cfg, *k.journal, *k.venue, SystemClock::instance());
    Status s = k.engine->load_and_start();
    ASSERT_TRUE(s.ok()) << s.ToString();
    ASSERT_TRUE(k.engine->recover().ok());
    ASSERT_TRUE(k.engine->decide_all().ok());
  }
  // The embedded run loop (src/app/run.cc) for every engine: up to `limit` events (0: all).
  void run(uint64_t limit = 0) {
    market::MarketEvent ev;
    for (uint64_t n = 0; limit == 0 || n < limit; ++n) {
      if (reader->next(ev).code() == Code::kEndOfData) return;
      ASSERT_TRUE(sim->on_market(ev).ok());
      for (auto& k : keels) k->venue->tick();
      for (auto& k : keels) {
        ASSERT_TRUE(k->engine->on_market(ev).ok());
        if (k->engine->reconcile_due(k->venue->venue_time_ms())) {
          ASSERT_TRUE(k->engine->recover().ok());
        }
      }
    }
  }
  // After the last event: time passes (every recvWindow runs out), everything is reconciled.
  void settle() {
    for (auto& k : keels) {
      k->venue->clock_offset_ms = 60'000;
      k->venue->tick();
    }
    for (int round = 0; round < 3; ++round) {
      for (auto& k : keels) {
        auto r = k->engine->recover();
        ASSERT_TRUE(r.ok());
        ASSERT_TRUE(k->engine->decide_all().ok());  // strays cancelled
      }
    }
  }
};

std::set<std::string> epochs_of(const Keel& k) {
  const auto& e = k.engine->state().account.epochs;
  return {e.begin(), e.end()};
}

bool of_journal(const Keel& k, const std::string& cid) {
  auto p = parse_client_order_id(cid);
  return p && epochs_of(k).count(p->epoch) != 0;
}

// The comparison the crash campaigns make, for one journal: see the file comment.
void expect_matches_truth(const World& w, const Keel& k) {
  const exchange::sim::SimTruth truth = w.sim->truth();
  const model::State& st = k.engine->state();
  std::map<int64_t, std::string> cid_of;
  std::set<std::string> open;
  for (const auto& o : truth.orders) {
    cid_of[o.order_id] = o.client_order_id;
    if (of_journal(k, o.client_order_id) && exchange::is_open(o.status)) open.insert(o.client_order_id);
  }
  std::set<int64_t> venue_trades;
  for (const auto& t : truth.trades) {
    if (of_journal(k, cid_of[t.order_id])) venue_trades.insert(t.trade_id);
  }
  std::set<int64_t> journal_trades;
  size_t fill_records = 0;
  ASSERT_TRUE(k.journal->for_each(1, [&](const journal::Record& r) {
    if (const auto* f = std::get_if<journal::OrderFilled>(&r.body)) {
      journal_trades.insert(f->trade_id);
      ++fill_records;
    }
    return true;
  }).ok());
  EXPECT_EQ(journal_trades, venue_trades) << "fills lost or unknown to the venue";
  EXPECT_EQ(fill_records, journal_trades.size()) << "a trade journaled twice";
  std::set<std::string> working;
  size_t pending = 0;
  for (const auto& [id, t] : st.tasks) {
    EXPECT_TRUE(t.halted.empty()) << id << ": " << t.halted;
    for (const auto& [cid, o] : t.orders) {
      if (o.working()) working.insert(cid);
      pending += o.phase == model::OrderPhase::kInFlight;
    }
  }
  EXPECT_EQ(working, open) << "the journal's working orders are not the venue's open orders";
  EXPECT_EQ(pending, 0u);
  // R4: the venue's balances are what the journal explains, exactly.
  ASSERT_TRUE(st.account.has_baseline);
  for (const auto& [asset, bal] : truth.balances) {
    EXPECT_EQ(bal.free_e8 + bal.locked_e8, st.account.expected_e8(asset)) << "R4 " << asset;
  }
  // E1: the journal folds again from disk to the same state.
  model::State again;
  ASSERT_TRUE(k.journal->for_each(1, [&](const journal::Record& r) {
    model::apply(again, r);
    return true;
  }).ok());
  EXPECT_EQ(model::encode_state(again), model::encode_state(st));
}

int max_cancels_of_one_order(const Keel& k) {
  int most = 0;
  for (const auto& [cid, n] : k.venue->cancels) most = std::max(most, n);
  return most;
}

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
  other.tasks[0].grid.interval_ticks = 700;  // another grid, same task id, same account
  Keel& b = w.add("b", other);
  ASSERT_NE(a.engine->state().account.epoch(), b.engine->state().account.epoch());
  w.run();
  w.settle();
  for (Keel* k : {&a, &b}) {
    SCOPED_TRACE(k->dir);
    expect_matches_truth(w, *k);
    EXPECT_GT(k->engine->state().account.foreign_fills, 0u);
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
  EXPECT_EQ(k.engine->state().account.baseline_e8.count("AIRDROP"), 0u);
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
