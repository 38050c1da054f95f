// Shared by engine_venue_faults_test and engine_attack_test: the embedded exchange behind a
// decorator that misbehaves as a network venue does (late executions, lost, duplicated and
// reordered events, a lost stream after a crash), several engines on one account, and the
// comparison of a journal with the exchange's truth that the crash campaigns make.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "engine_testutil.h"
#include "keel/core/clock.h"
#include "keel/core/ids.h"
#include "keel/engine/engine.h"
#include "keel/exchange/forwarding.h"
#include "keel/exchange/sim.h"
#include "keel/market/capture.h"
#include "keel/model/snapshot.h"

namespace keel::engine::testutil {

// One account's user-data events, fanned out to every engine trading on it (each venue session
// receives every event of the account, as on Binance): executionReports and balanceUpdates.
class AccountHub {
 public:
  explicit AccountHub(exchange::sim::SimExchange& sim) : sim_(sim) {}
  size_t subscribe() {
    queues_.emplace_back();
    balance_queues_.emplace_back();
    return queues_.size() - 1;
  }
  void drain(size_t who, std::vector<exchange::ExecutionReport>& out) {
    pull();
    out.insert(out.end(), queues_[who].begin(), queues_[who].end());
    queues_[who].clear();
  }
  void drain_balances(size_t who, std::vector<exchange::BalanceUpdate>& out) {
    pull();
    out.insert(out.end(), balance_queues_[who].begin(), balance_queues_[who].end());
    balance_queues_[who].clear();
  }
  // The session died with its process: what was in flight to it is gone.
  void lose(size_t who) {
    pull();
    queues_[who].clear();
    balance_queues_[who].clear();
  }

 private:
  void pull() {
    std::vector<exchange::ExecutionReport> fresh;
    sim_.poll_user_events(fresh);
    for (auto& q : queues_) q.insert(q.end(), fresh.begin(), fresh.end());
    std::vector<exchange::BalanceUpdate> updates;
    sim_.poll_balance_updates(updates);
    for (auto& q : balance_queues_) q.insert(q.end(), updates.begin(), updates.end());
  }
  exchange::sim::SimExchange& sim_;
  std::vector<std::vector<exchange::ExecutionReport>> queues_;
  std::vector<std::vector<exchange::BalanceUpdate>> balance_queues_;
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
  // Every `late_cancel_every`-th cancel is answered 503 -1007 and executed `late_ms` later.
  int late_cancel_every = 0;
  // Every `late_amend_every`-th cancelReplace is answered 503 -1007 (both halves unknown) and
  // executed `late_ms` later.
  int late_amend_every = 0;
  // Every `late_keep_every`-th keepPriority amend is answered 503 -1007 and executed `late_ms`
  // later.
  int late_keep_every = 0;
  // executionReports lost: every TRADE (`drop_trades`), or one event in `drop_every`, or the
  // TRADEs of orders that executed late (`drop_late_fills`).
  bool drop_trades = false;
  int drop_every = 0;
  bool drop_late_fills = false;
  // executionReports duplicated (one in `duplicate_every` is delivered twice), delivered in
  // reverse order within a batch (`reverse_batches`), or delivered again long after (one in
  // `replay_every` is kept and re-delivered `replay_after` batches later: a stale event).
  int duplicate_every = 0;
  bool reverse_batches = false;
  int replay_every = 0;
  int replay_after = 50;
  // balanceUpdate events lost, or held back (delivered when `hold_balance_updates` is cleared).
  bool drop_balance_updates = false;
  bool hold_balance_updates = false;
  bool huge_foreign_balance = false;
  // Rewrites each delivered batch (impossible venue messages).
  std::function<void(std::vector<exchange::ExecutionReport>&)> mangle;
  int64_t clock_offset_ms = 0;  // moves the venue clock past the recording's end

  std::map<std::string, int> cancels;  // per client order id
  std::set<std::string> late_cids;     // places executed late
  int executed_late = 0, expired = 0, cancels_late = 0, dropped = 0, amends = 0, amends_late = 0;
  int keeps = 0, keeps_late = 0;

  bool answers_synchronously() const override {
    return late_every == 0 && late_cancel_every == 0 && late_amend_every == 0 &&
           late_keep_every == 0;
  }
  int64_t venue_time_ms() const override { return sim_.venue_time_ms() + clock_offset_ms; }

  exchange::PlaceResult place(const exchange::OrderRequest& req) override {
    if (late_every > 0 && ++places_ % late_every == 0) {
      late_.push_back({req, {}, venue_time_ms() + late_ms});
      exchange::PlaceResult r;
      r.outcome = exchange::Outcome::kUnknown;
      r.error = unknown_error();
      return r;
    }
    return inner_.place(req);
  }
  exchange::CancelResult cancel(const std::string& s, const std::string& cid,
                                exchange::RequestStamp stamp = {}) override {
    ++cancels[cid];
    if (late_cancel_every > 0 && ++cancel_calls_ % late_cancel_every == 0) {
      Late l;
      l.cancel_cid = cid;
      l.req.symbol = s;
      l.req.stamp = stamp;
      l.due_ms = venue_time_ms() + late_ms;
      late_.push_back(l);
      exchange::CancelResult r;
      r.outcome = exchange::Outcome::kUnknown;
      r.error = unknown_error();
      return r;
    }
    return inner_.cancel(s, cid, stamp);
  }
  exchange::ReplaceResult cancel_replace(const std::string& cancel_cid,
                                         const exchange::OrderRequest& req) override {
    ++cancels[cancel_cid];
    if (late_amend_every > 0 && ++amends % late_amend_every == 0) {
      late_.push_back({req, cancel_cid, venue_time_ms() + late_ms, /*amend=*/true});
      exchange::ReplaceResult r;
      r.cancel_outcome = r.place_outcome = exchange::Outcome::kUnknown;
      r.error = unknown_error();
      return r;
    }
    return inner_.cancel_replace(cancel_cid, req);
  }
  exchange::AmendResult amend_keep_priority(const std::string& s, const std::string& cid,
                                            int64_t qty, exchange::RequestStamp stamp) override {
    if (late_keep_every > 0 && ++keeps % late_keep_every == 0) {
      Late l;
      l.cancel_cid = cid;
      l.req.symbol = s;
      l.req.qty_lots = qty;
      l.req.stamp = stamp;
      l.due_ms = venue_time_ms() + late_ms;
      l.keep = true;
      late_.push_back(l);
      exchange::AmendResult r;
      r.error = unknown_error();
      return r;
    }
    return inner_.amend_keep_priority(s, cid, qty, stamp);
  }
  Result<exchange::Balances> balances() override {
    auto b = inner_.balances();
    if (b.ok() && huge_foreign_balance) (*b)["AIRDROP"] = {0, 0, false};
    return b;
  }
  void poll_user_events(std::vector<exchange::ExecutionReport>& out) override {
    std::vector<exchange::ExecutionReport> got;
    hub_.drain(id_, got);
    std::vector<exchange::ExecutionReport> batch;
    for (exchange::ExecutionReport& er : got) {
      const bool trade = er.exec_type == exchange::ExecType::kTrade;
      const bool drop = (drop_trades && trade) || (drop_every > 0 && ++events_ % drop_every == 0) ||
                        (drop_late_fills && trade && late_cids.count(er.trade.client_order_id));
      if (drop) {
        ++dropped;
        continue;
      }
      if (duplicate_every > 0 && ++dup_n_ % duplicate_every == 0) batch.push_back(er);
      if (replay_every > 0 && ++replay_n_ % replay_every == 0) {
        replays_.push_back({er, batches_ + replay_after});
      }
      batch.push_back(std::move(er));
    }
    ++batches_;
    for (auto it = replays_.begin(); it != replays_.end();) {
      if (it->at_batch > batches_) {
        ++it;
        continue;
      }
      batch.push_back(it->er);
      it = replays_.erase(it);
    }
    if (reverse_batches) std::reverse(batch.begin(), batch.end());
    if (mangle) mangle(batch);
    out.insert(out.end(), batch.begin(), batch.end());
  }
  void poll_balance_updates(std::vector<exchange::BalanceUpdate>& out) override {
    std::vector<exchange::BalanceUpdate> got;
    hub_.drain_balances(id_, got);
    if (drop_balance_updates) return;
    held_balances_.insert(held_balances_.end(), got.begin(), got.end());
    if (hold_balance_updates) return;
    out.insert(out.end(), held_balances_.begin(), held_balances_.end());
    held_balances_.clear();
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
        if (it->keep) {
          if (inner_.amend_keep_priority(it->req.symbol, it->cancel_cid, it->req.qty_lots, st)
                  .outcome == exchange::Outcome::kAccepted) {
            ++keeps_late;
          }
        } else if (it->amend) {
          const exchange::ReplaceResult r = inner_.cancel_replace(it->cancel_cid, it->req);
          if (r.place_outcome == exchange::Outcome::kAccepted) {
            ++amends_late;
            late_cids.insert(it->req.client_order_id);
          }
        } else if (!it->cancel_cid.empty()) {
          if (inner_.cancel(it->req.symbol, it->cancel_cid, st).outcome ==
              exchange::Outcome::kAccepted) {
            ++cancels_late;
          }
        } else if (inner_.place(it->req).outcome == exchange::Outcome::kAccepted) {
          ++executed_late;
          late_cids.insert(it->req.client_order_id);
        }
      } else {
        ++expired;
      }
      it = late_.erase(it);
    }
  }
  size_t late_pending() const { return late_.size(); }
  // The process died: the user-data events in flight to it are lost with it.
  void lose_stream() {
    hub_.lose(id_);
    replays_.clear();
  }

 private:
  static exchange::VenueError unknown_error() {
    return {503, -1007, "Timeout waiting for response from backend server. Send status "
                        "unknown; execution status unknown."};
  }
  struct Late {
    exchange::OrderRequest req;
    std::string cancel_cid;  // non-empty: a late cancel (or the original of a late amend)
    int64_t due_ms = 0;
    bool amend = false;      // a late cancelReplace of cancel_cid by req
    bool keep = false;       // a late keepPriority amend of cancel_cid to req.qty_lots
  };
  struct Replay {
    exchange::ExecutionReport er;
    int at_batch = 0;
  };
  exchange::sim::SimExchange& sim_;
  AccountHub& hub_;
  size_t id_;
  std::vector<Late> late_;
  std::vector<Replay> replays_;
  std::vector<exchange::BalanceUpdate> held_balances_;
  int places_ = 0, events_ = 0, cancel_calls_ = 0, dup_n_ = 0, replay_n_ = 0, batches_ = 0;
};

inline std::string temp_dir() {
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
  ~World() { std::filesystem::remove_all(root); }

  Keel& add(const std::string& name, Config cfg = test_config()) {
    auto k = std::make_unique<Keel>();
    k->cfg = std::move(cfg);
    k->dir = root + "/" + name;
    std::filesystem::create_directories(k->dir);
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
  // The process stops: its engine, its journal (the lock released), its user-data stream.
  static void stop(Keel& k) {
    k.engine.reset();
    k.journal.reset();
    k.venue->lose_stream();
  }
  // With the process stopped: its data directory copied to `to` (a backup), or replaced by the
  // copy at `from` (a restore).
  static void back_up(const Keel& k, const std::string& to) {
    std::filesystem::remove_all(to);
    std::filesystem::copy(k.dir, to, std::filesystem::copy_options::recursive);
  }
  static void restore(Keel& k, const std::string& from) {
    std::filesystem::remove_all(k.dir);
    std::filesystem::copy(from, k.dir, std::filesystem::copy_options::recursive);
  }
  // The process dies (its user-data stream with it) and starts again from its data directory.
  void crash_and_restart(Keel& k) {
    k.venue->lose_stream();
    open(k);
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
  // After the last event: time passes (every recvWindow runs out), every late request has
  // executed or expired, the venue answers at once from now on (a decision below must not
  // leave a request in doubt behind), everything is reconciled.
  void settle() {
    for (auto& k : keels) {
      k->venue->clock_offset_ms = 60'000;
      k->venue->tick();
      k->venue->late_every = 0;
      k->venue->late_cancel_every = 0;
      k->venue->late_amend_every = 0;
      k->venue->late_keep_every = 0;
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

inline std::set<std::string> epochs_of(const Keel& k) {
  const auto& e = k.engine->state().epochs;
  return {e.begin(), e.end()};
}

inline bool of_journal(const Keel& k, const std::string& cid) {
  auto p = parse_client_order_id(cid);
  return p && epochs_of(k).count(p->epoch) != 0;
}

// The comparison the crash campaigns make, for one journal: its fills are the venue's trades
// of its epochs' orders (each journaled once), its working orders are the venue's open orders,
// nothing is in flight, no task halted, R4 exact, and the journal folds again from disk to the
// same state (E1).
inline void expect_matches_truth(const World& w, const Keel& k, bool expect_no_halt = true) {
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
    if (expect_no_halt) {
      EXPECT_TRUE(t.halted.empty()) << id << ": " << t.halted;
    }
    for (const auto& [cid, o] : t.orders) {
      if (o.working()) working.insert(cid);
      pending += o.phase == model::OrderPhase::kInFlight;
    }
  }
  EXPECT_EQ(working, open) << "the journal's working orders are not the venue's open orders";
  EXPECT_EQ(pending, 0u);
  // R4: the venue's balances are what the journal explains, exactly (a test that expects a
  // halt expects R4 to fail: it checks the halt's reason itself).
  ASSERT_TRUE(st.account("default").has_baseline);
  for (const auto& [asset, bal] : truth.balances) {
    if (!expect_no_halt) break;
    EXPECT_EQ(bal.free_e8 + bal.locked_e8, st.account("default").expected_e8(asset)) << "R4 " << asset;
  }
  // E1: the journal folds again from disk to the same state.
  model::State again;
  ASSERT_TRUE(k.journal->for_each(1, [&](const journal::Record& r) {
    model::apply(again, r);
    return true;
  }).ok());
  EXPECT_EQ(model::encode_state(again), model::encode_state(st));
}

inline int max_cancels_of_one_order(const Keel& k) {
  int most = 0;
  for (const auto& [cid, n] : k.venue->cancels) most = std::max(most, n);
  return most;
}

}  // namespace keel::engine::testutil
