// Attacks on many tasks, accounts and symbols in one engine and one journal (issue 10 item 3),
// on the real BTCUSDT and ETHUSDT recordings merged by receive time. The rig below is the
// embedded run loop of src/app/run.cc: one simulated exchange per account (its own state on
// disk), each behind a misbehaving network venue (engine_faults_testutil.h FaultyVenue) and a
// kill switch; a crash drops the engine, the journal, every exchange object (and with them the
// user-data streams in flight) and opens everything again from disk, re-reading the recording
// up to the exchanges' position as run.cc's catch_up does (an exchange an event behind consumes
// it then). Each attack is named after its fault; each ends by comparing every account's
// journal with its own exchange's truth (fills, working orders, R4 exact) and the journal
// folded from disk with the live state.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include "engine_faults_testutil.h"
#include "keel/core/clock.h"
#include "keel/core/fixed.h"
#include "keel/core/ids.h"
#include "keel/engine/config.h"
#include "keel/engine/engine.h"
#include "keel/engine/operator.h"
#include "keel/exchange/forwarding.h"
#include "keel/exchange/sim.h"
#include "keel/journal/journal.h"
#include "keel/market/capture.h"
#include "keel/model/snapshot.h"

namespace keel::engine {
namespace {

namespace fs = std::filesystem;
using testutil::AccountHub;
using testutil::FaultyVenue;

const std::string kSpot = std::string(KEEL_SHARED_DIR) + "/data/binance/spot/";

// The process dies here (thrown by a venue call: the engine's stack unwinds, nothing after the
// throw is journaled, and the rig drops every object as a kill -9 would).
struct Killed {};

// An account's outermost connection: kills the process at its n-th request, before the request
// leaves (`kill_before`) or after the venue executed it, before its answer is journaled
// (`kill_after`). Counts from 1 per life of the process; 0: never.
class KillSwitch final : public exchange::ForwardingExchange {
 public:
  using ForwardingExchange::ForwardingExchange;
  int kill_before = 0, kill_after = 0, requests = 0;
  std::vector<std::string> cids;  // the client order ids of every request sent through it
  exchange::VenueError refuse_cancels;  // code != 0: every cancel is refused with it

  exchange::PlaceResult place(const exchange::OrderRequest& r) override {
    cids.push_back(r.client_order_id);
    before();
    auto out = inner_.place(r);
    after();
    return out;
  }
  exchange::CancelResult cancel(const std::string& s, const std::string& cid,
                                exchange::RequestStamp stamp = {}) override {
    cids.push_back(cid);
    before();
    if (refuse_cancels.code != 0) {
      exchange::CancelResult r;
      r.outcome = exchange::Outcome::kRejected;
      r.error = refuse_cancels;
      return r;
    }
    auto out = inner_.cancel(s, cid, stamp);
    after();
    return out;
  }
  exchange::ReplaceResult cancel_replace(const std::string& cid,
                                         const exchange::OrderRequest& r) override {
    cids.push_back(cid);
    cids.push_back(r.client_order_id);
    before();
    auto out = inner_.cancel_replace(cid, r);
    after();
    return out;
  }
  exchange::AmendResult amend_keep_priority(const std::string& s, const std::string& cid,
                                            int64_t qty, exchange::RequestStamp stamp) override {
    cids.push_back(cid);
    before();
    auto out = inner_.amend_keep_priority(s, cid, qty, stamp);
    after();
    return out;
  }

 private:
  void before() {
    ++requests;
    if (requests == kill_before) throw Killed{};
  }
  void after() {
    if (requests == kill_after) throw Killed{};
  }
};

// Two accounts (alpha, beta) or, with accounts_yaml empty, the default one. Tasks: gridbtc on
// alpha's BTCUSDT, tob on alpha's `tob_symbol`, gridb on beta's `beta_symbol`.
struct Layout {
  std::string accounts_yaml = R"(
accounts:
  - {id: alpha, balances: {BTC: "0", ETH: "0", USDT: "10000"}}
  - {id: beta, maker_fee: "0.0002", balances: {BTC: "0", ETH: "0", USDT: "8000"}}
)";
  std::string beta_symbol = "ETHUSDT";
  std::string tob_symbol = "BTCUSDT";  // ETHUSDT: alpha trades two symbols
  std::string alpha_account = "alpha", beta_account = "beta";
  bool with_beta = true, with_alpha = true;
  uint64_t snapshot_every = 1000;
};

std::string grid_task(const std::string& id, const std::string& account, const std::string& symbol) {
  const bool eth = symbol == "ETHUSDT";
  return "  - id: " + id + "\n" + (account.empty() ? "" : "    account: " + account + "\n") +
         "    symbol: " + symbol + R"(
    strategy: grid
    params: {price_interval: ")" + (eth ? "0.25" : "5") + R"(", order_quantity: ")" +
         (eth ? "0.02" : "0.002") + R"(", max_open_orders: 20}
    max_intents_per_second: 1000
    intent_burst: 1000
)";
}

std::string config_yaml(const Layout& s) {
  std::string y = "snapshot_every_records: " + std::to_string(s.snapshot_every) + R"(
instruments:
  - {symbol: BTCUSDT, base_asset: BTC, quote_asset: USDT, tick_size: "0.01", step_size: "0.00001", min_notional: "5"}
  - {symbol: ETHUSDT, base_asset: ETH, quote_asset: USDT, tick_size: "0.01", step_size: "0.0001", min_notional: "5"}
exchange:
  kind: sim
  data: [")" + kSpot + R"(btcusdt_20240808.gz", ")" + kSpot + R"(ethusdt_20240808.gz"]
  maker_fee: "0.0001"
)" + (s.accounts_yaml.empty() ? "  balances: {BTC: \"0\", ETH: \"0\", USDT: \"10000\"}\n" : s.accounts_yaml) +
             "tasks:\n";
  if (s.with_alpha) {
    y += grid_task("gridbtc", s.alpha_account, "BTCUSDT");
    y += "  - id: tob\n" + (s.alpha_account.empty() ? "" : "    account: " + s.alpha_account + "\n") +
         "    symbol: " + s.tob_symbol + R"(
    strategy: top_of_book
    params: {qty: ")" + (s.tob_symbol == "ETHUSDT" ? "0.04" : "0.002") +
         R"(", maker_fee: "0.0001", max_exposure: "500", min_usd_balance: "1000"}
    max_intents_per_second: 1000
    intent_burst: 1000
)";
  }
  if (s.with_beta) y += grid_task("gridb", s.beta_account, s.beta_symbol);
  return y;
}

Result<Config> make_config(const Layout& s, const std::string& dir) {
  return parse_config(config_yaml(s), dir + "/multi.yaml", dir);
}

// What `keel inspect --json` shows of a state, without what a crash may change (client order
// ids, epochs, record counts, how far the trade history was read): the crash campaigns'
// comparison.
// `account`: only that account's tasks and records ("": all).
std::string signature(const model::State& st, const std::string& account = "") {
  std::ostringstream o;
  for (const auto& [id, t] : st.tasks) {
    if (!account.empty() && t.config.account != account) continue;
    o << "task " << id << " " << t.config.account << " " << t.instrument.symbol << " pos "
      << t.position.base_e8 << "/" << t.position.cost_e8 << " pnl " << t.realized_pnl_e8
      << " fees " << t.fees_e8 << " buys " << t.buys.fills << "/" << t.buys.qty_lots << "/"
      << t.buys.notional_e8 << " sells " << t.sells.fills << "/" << t.sells.qty_lots << "/"
      << t.sells.notional_e8 << " mark " << t.mark_bid_ticks << "/" << t.mark_ask_ticks
      << " late " << t.late_executions << " adopted " << t.adopted << " unresolved "
      << t.unresolved() << " guard " << static_cast<int>(t.guard) << "/" << t.guard_changes
      << " halted {" << t.halted << "}\n";
    for (const auto& [asset, fee] : t.commissions) o << "  fee " << asset << " " << fee << "\n";
    for (const auto& [key, slot] : t.slots) {
      o << "  slot " << key << " " << model::slot_state_name(t.slot_state(slot)) << " claim "
        << slot.claim_e8;
      const model::Order* c = t.current_order(slot);
      if (c != nullptr && c->working()) {
        o << " " << side_name(c->side) << " " << c->price_ticks << "x" << c->qty_lots << " f"
          << c->filled_lots;
      }
      o << "\n";
    }
    for (const model::Order* s : t.strays()) {
      o << "  stray " << side_name(s->side) << " " << s->price_ticks << "x" << s->qty_lots << "\n";
    }
    o << "  trades";
    for (int64_t id : t.trade_ids) o << " " << id;
    o << "\n";
  }
  for (const auto& [id, a] : st.accounts) {
    if (!account.empty() && id != account) continue;
    o << "account " << id << " baseline " << a.has_baseline;
    for (const auto& [symbol, m] : a.symbols) {
      o << " " << symbol << " trades " << m.trade_watermark << " scanned " << m.scan_watermark;
    }
    o << " foreign " << a.foreign_fills << " changes " << a.balance_changes;
    for (const auto& [asset, e8] : a.baseline_e8) o << " " << asset << "=" << a.expected_e8(asset);
    o << "\n";
  }
  o << "ended " << st.recording_ended << "\n";
  return o.str();
}

// One account's exchange as run.cc opens it, behind a FaultyVenue and a KillSwitch.
struct AccountRig {
  std::unique_ptr<exchange::sim::SimExchange> sim;
  std::unique_ptr<AccountHub> hub;
  std::unique_ptr<FaultyVenue> faulty;
  std::unique_ptr<KillSwitch> venue;
};

struct Rig {
  std::string root;
  Config cfg;
  std::vector<AccountRig> accts;
  std::unique_ptr<journal::Journal> journal;
  std::unique_ptr<Engine> engine;
  std::unique_ptr<market::CaptureReader> reader;
  // Applied to each account's FaultyVenue at every (re)open: (account index, venue).
  std::function<void(size_t, FaultyVenue&)> faults;
  // Serve every account from the exchange of account 0 (two accounts on one API key).
  bool one_key = false;
  int restarts = 0;
  uint64_t events = 0;  // events handled by on_market in every life

  explicit Rig(const Layout& s) {
    char tmpl[] = "/dev/shm/keel-multi-attack-XXXXXX";  // no fsync cost: the kills are in-process
    root = mkdtemp(tmpl);
    auto c = make_config(s, root);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    if (c.ok()) cfg = std::move(*c);
  }
  ~Rig() {
    kill();
    fs::remove_all(root);
  }

  // run.cc sim_dir: "sim" for the default account, "sim-<id>" for any other.
  std::string sim_dir(const std::string& account) const {
    return root + "/" + (account == journal::kDefaultAccount ? "sim" : "sim-" + account);
  }
  // Every account's exchange serves every instrument (run.cc's serves its account's tasks' only).
  bool serve_all = false;
  Status open_exchanges() {
    for (size_t i = 0; i < cfg.accounts.size(); ++i) {
      const AccountConfig& a = cfg.accounts[i];
      AccountRig r;
      if (!one_key || i == 0) {
        exchange::sim::SimOptions so = sim_options(cfg, i, sim_dir(a.id));  // as run.cc
        if (one_key || serve_all) {
          so.instruments = cfg.instruments;
          so.instrument = cfg.instruments.front();
        }
        auto sim = exchange::sim::SimExchange::open(so);
        if (!sim.ok()) return sim.status().With("simulated exchange state of account " + a.id);
        r.sim = std::move(*sim);
        r.hub = std::make_unique<AccountHub>(*r.sim);
      }
      AccountRig& owner = one_key && i > 0 ? accts.front() : r;
      r.faulty = std::make_unique<FaultyVenue>(*owner.sim, *owner.hub);
      r.venue = std::make_unique<KillSwitch>(*r.faulty);
      if (faults) faults(i, *r.faulty);
      accts.push_back(std::move(r));
    }
    return Status::Ok();
  }
  std::vector<exchange::sim::SimExchange*> sims() {
    std::vector<exchange::sim::SimExchange*> out;
    for (auto& a : accts) {
      if (a.sim) out.push_back(a.sim.get());
    }
    return out;
  }
  // The process starts: load_and_start, catch_up, recover, decide_all (run.cc run_once).
  Status start() {
    KEEL_RETURN_IF_ERROR(open_exchanges());
    auto j = journal::Journal::open(root + "/journal", {});
    if (!j.ok()) return j.status();
    journal = std::move(*j);
    std::vector<exchange::Exchange*> ptrs;
    for (auto& a : accts) ptrs.push_back(a.venue.get());
    engine = std::make_unique<Engine>(cfg, *journal, ptrs, SystemClock::instance());
    KEEL_RETURN_IF_ERROR(engine->load_and_start());
    auto r = market::CaptureReader::open(cfg.sim.data);
    if (!r.ok()) return r.status();
    reader = std::move(*r);
    KEEL_RETURN_IF_ERROR(catch_up());
    try {
      auto rec = engine->recover();
      if (!rec.ok()) return rec.status();
      return engine->decide_all();
    } catch (const Killed&) {
      return restart();
    }
  }
  Status catch_up() {
    uint64_t target = 0;
    std::vector<uint64_t> warm;
    for (auto* s : sims()) {
      warm.push_back(s->position());
      target = std::max(target, warm.back());
    }
    market::MarketEvent ev;
    for (uint64_t i = 0; i < target; ++i) {
      KEEL_RETURN_IF_ERROR(reader->next(ev));
      size_t k = 0;
      for (auto* s : sims()) {
        KEEL_RETURN_IF_ERROR(i < warm[k] ? s->warm_up(ev) : s->on_market(ev));
        ++k;
      }
      engine->observe(ev);
    }
    return Status::Ok();
  }
  // kill -9: nothing more is journaled or sent; the user-data streams in flight are lost.
  void kill() {
    engine.reset();
    journal.reset();
    reader.reset();
    accts.clear();
  }
  Status restart() {
    kill();
    ++restarts;
    return start();
  }
  // The process stops; it starts again on the config `s` describes (same data directory).
  Status restart_with(const Layout& s) {
    kill();
    auto c = make_config(s, root);
    if (!c.ok()) return c.status();
    cfg = std::move(*c);
    return start();
  }
  // The engine's own check of a config against the journal (load_and_start), every account's
  // venue a fresh exchange in a scratch directory (nothing of the data directory but the
  // journal is opened or written). The process must be stopped.
  Status load_only(const Layout& s) {
    auto c = make_config(s, root);
    if (!c.ok()) return c.status();
    const std::string scratch = root + "/scratch";
    fs::create_directories(scratch);
    std::vector<std::unique_ptr<exchange::sim::SimExchange>> fresh;
    std::vector<exchange::Exchange*> ptrs;
    for (const AccountConfig& a : c->accounts) {
      exchange::sim::SimOptions so;
      so.instruments = c->instruments;
      so.initial_balances = a.sim.balances;
      so.state_dir = scratch + "/" + a.id;
      auto sim = exchange::sim::SimExchange::open(so);
      if (!sim.ok()) return sim.status();
      fresh.push_back(std::move(*sim));
      ptrs.push_back(fresh.back().get());
    }
    auto j = journal::Journal::open(root + "/journal", {});
    if (!j.ok()) return j.status();
    Engine eng(*c, **j, ptrs, SystemClock::instance());
    Status st = eng.load_and_start();
    fs::remove_all(scratch);
    return st;
  }
  uint64_t journal_records() {
    auto j = journal::Journal::open(root + "/journal", {});
    return j.ok() ? (*j)->next_seq() - 1 : 0;
  }
  // One market event as run.cc's loop handles it. `kill_after_sims` = k >= 0: the process dies
  // once the first k accounts' exchanges consumed the event (k = the number of accounts: the
  // exchanges did, the engine not: run.exchange.after_event). False at the end.
  bool step(int kill_after_sims = -1) {
    market::MarketEvent ev;
    Status s = reader->next(ev);
    if (s.code() == Code::kEndOfData) return false;
    EXPECT_TRUE(s.ok()) << s.ToString();
    int k = 0;
    for (auto* sim : sims()) {
      if (k++ == kill_after_sims) return restarted();
      EXPECT_TRUE(sim->on_market(ev).ok());
    }
    if (kill_after_sims == k) return restarted();
    for (auto& a : accts) a.faulty->tick();
    try {
      ++events;
      Status e = engine->on_market(ev);
      EXPECT_TRUE(e.ok()) << e.ToString();
      if (engine->reconcile_due(accts.front().venue->venue_time_ms())) {
        auto r = engine->recover();
        EXPECT_TRUE(r.ok()) << r.status().ToString();
      }
    } catch (const Killed&) {
      return restarted();
    }
    return true;
  }
  bool restarted() {
    Status s = restart();
    EXPECT_TRUE(s.ok()) << s.ToString();
    return s.ok();
  }
  // Up to `n` events (0: to the end); false at the end.
  bool run(uint64_t n = 0) {
    for (uint64_t i = 0; n == 0 || i < n; ++i) {
      if (!step()) return false;
    }
    return true;
  }
  // The recording's end as run.cc handles it, then time passes (every recvWindow runs out),
  // the venues answer at once, and everything is reconciled.
  void finish() {
    for (auto* s : sims()) ASSERT_TRUE(s->mark_recording_ended().ok());
    uint64_t pos = 0;
    for (auto* s : sims()) pos = std::max(pos, s->position());
    ASSERT_TRUE(engine->finish_recording(pos).ok());
    for (auto& a : accts) {
      a.faulty->clock_offset_ms = 60'000;
      a.faulty->tick();
      a.faulty->late_every = a.faulty->late_cancel_every = a.faulty->late_amend_every = 0;
      a.faulty->late_keep_every = 0;
    }
    for (int round = 0; round < 3; ++round) {
      ASSERT_TRUE(engine->recover().ok());
      ASSERT_TRUE(engine->decide_all().ok());
    }
  }
  const model::TaskState& task(const std::string& id) const { return engine->state().tasks.at(id); }
  uint64_t intents(const std::string& id) const {
    const model::TaskState& t = task(id);
    return t.intents_place + t.intents_cancel + t.intents_amend;
  }
  exchange::sim::SimExchange& sim_of(size_t account) {
    return one_key ? *accts.front().sim : *accts[account].sim;
  }

  // Every account's journal against its own exchange: its tasks' fills are its trades (each
  // once), their working orders its open orders, nothing in flight, R4 exact; the journal
  // folded from disk is the live state. `halted`: the tasks expected halted (their R4 is not
  // checked).
  void expect_each_account_is_its_exchange(const std::set<std::string>& halted = {}) {
    const model::State& st = engine->state();
    for (size_t i = 0; i < cfg.accounts.size(); ++i) {
      const std::string& id = cfg.accounts[i].id;
      SCOPED_TRACE("account " + id);
      const exchange::sim::SimTruth truth = sim_of(i).truth();
      std::set<int64_t> journaled;
      size_t working = 0, pending = 0;
      bool any_halted = false;
      for (const auto& [tid, t] : st.tasks) {
        if (t.config.account != id) continue;
        for (int64_t trade : t.trade_ids) journaled.insert(trade);
        for (const auto& [cid, o] : t.orders) {
          working += o.working() ? 1 : 0;
          pending += o.phase == model::OrderPhase::kInFlight ? 1 : 0;
        }
        EXPECT_EQ(t.halted.empty(), halted.count(tid) == 0) << tid << ": " << t.halted;
        any_halted = any_halted || !t.halted.empty();
      }
      std::set<int64_t> traded;
      for (const auto& tr : truth.trades) traded.insert(tr.trade_id);
      EXPECT_EQ(journaled, traded);
      size_t open = 0;
      for (const auto& o : truth.orders) open += exchange::is_open(o.status) ? 1 : 0;
      EXPECT_EQ(working, open);
      EXPECT_EQ(pending, 0u);
      const model::AccountState& a = st.account(id);
      ASSERT_TRUE(a.has_baseline);
      if (any_halted) continue;
      for (const auto& [asset, b] : truth.balances) {
        EXPECT_EQ(a.expected_e8(asset), b.free_e8 + b.locked_e8) << "R4 " << asset;
      }
    }
    auto folded = model::fold_journal(*journal);
    ASSERT_TRUE(folded.ok());
    EXPECT_EQ(model::encode_state(*folded), model::encode_state(st));
  }
};

// The uninterrupted run of a setup, to compare with (`account`: that account's part only).
std::string uninterrupted(const Layout& s, const std::string& account = "") {
  Rig rig(s);
  EXPECT_TRUE(rig.start().ok());
  rig.run();
  rig.finish();
  rig.expect_each_account_is_its_exchange();
  return signature(rig.engine->state(), account);
}

// ---- crashes ----------------------------------------------------------------------------------

// Kills at many points of the loop, among them between the two accounts' exchanges consuming
// one event (alpha's consumed it, beta's not: catch_up lets beta's consume it at the restart),
// and in the middle of a pass whose one batch holds both accounts' intents (alpha's requests
// sent, beta's journaled but never sent, or sent and executed with the answer lost). Snapshots
// every 97 records, so restarts also load account state from snapshots. The journal must fold
// to the state of an uninterrupted run.
void kills_attack(const std::string& beta_symbol, const std::string& tob_symbol = "BTCUSDT") {
  Layout s;
  s.beta_symbol = beta_symbol;
  s.tob_symbol = tob_symbol;
  s.snapshot_every = 97;
  const std::string expected = uninterrupted(s);

  Rig rig(s);
  ASSERT_TRUE(rig.start().ok());
  int between = 0, after_all = 0, mid_pass = 0;
  for (uint64_t i = 1; rig.step(); ++i) {
    if (i % 9'000 == 0) {
      // alpha's exchange consumed the event, beta's not (or, every other time, both did and
      // the engine not).
      const bool split = (i / 9'000) % 2 == 1;
      rig.step(split ? 1 : 2);
      ++(split ? between : after_all);
    }
    if (i % 13'000 == 0) {
      // beta dies at its next request: a pass with alpha's requests sent first (task order)
      // and beta's journaled, not sent; every other time after beta's venue executed it.
      if ((i / 13'000) % 2 == 1) {
        rig.accts[1].venue->kill_before = rig.accts[1].venue->requests + 1;
      } else {
        rig.accts[1].venue->kill_after = rig.accts[1].venue->requests + 1;
      }
      ++mid_pass;
    }
  }
  rig.finish();
  EXPECT_GE(between, 3);
  EXPECT_GE(after_all, 3);
  EXPECT_EQ(rig.restarts, between + after_all + mid_pass);  // every mid-pass kill fired
  rig.expect_each_account_is_its_exchange();
  EXPECT_EQ(signature(rig.engine->state()), expected);
}

TEST(MultiAttack, KillsBetweenTheAccountsExchangesAndMidPassFoldToTheUninterruptedRun) {
  kills_attack("ETHUSDT");
}

// The same with both accounts on BTCUSDT (two exchanges of one symbol, one an event ahead).
TEST(MultiAttack, KillsBetweenTwoAccountsOnOneSymbolFoldToTheUninterruptedRun) {
  kills_attack("BTCUSDT");
}

// Alpha trades BTCUSDT and ETHUSDT (one R4 equation per asset over both; trade and order ids
// per symbol), beta BTCUSDT: kills between the accounts' exchanges and mid-pass, snapshots
// every 97 records (the per-symbol marks go through them).
TEST(MultiAttack, KillsWithOneAccountOnTwoSymbolsFoldToTheUninterruptedRun) {
  kills_attack("BTCUSDT", "ETHUSDT");
}

// ---- faults on one account ---------------------------------------------------------------------

// Alpha, on two symbols, misbehaves: late executions with their fills' reports lost and a lost
// stream, on both symbols. Each symbol's missing fills are found in its own trade history (ids
// per symbol), R4 holds over the account's BTC, ETH and USDT, nothing halts, beta is untouched.
TEST(MultiAttack, LateExecutionsAndLostStreamOnAnAccountTradingTwoSymbols) {
  Layout s;
  s.tob_symbol = "ETHUSDT";
  s.beta_symbol = "BTCUSDT";
  const std::string beta_alone = uninterrupted(s, "beta");

  Rig rig(s);
  rig.faults = [](size_t account, FaultyVenue& v) {
    if (account != 0) return;
    v.late_every = 3;
    v.drop_late_fills = true;
    v.late_cancel_every = 4;
    v.drop_every = 7;
  };
  ASSERT_TRUE(rig.start().ok());
  for (uint64_t i = 1; rig.step(); ++i) {
    if (i % 5'000 == 0) rig.accts[0].faulty->lose_stream();
  }
  EXPECT_GT(rig.accts[0].faulty->executed_late, 3);
  EXPECT_GT(rig.accts[0].faulty->dropped, 10);
  rig.finish();
  EXPECT_GT(rig.task("tob").buys.fills, 0u);
  EXPECT_GT(rig.task("gridbtc").buys.fills, 0u);
  const model::AccountState& alpha = rig.engine->state().account("alpha");
  EXPECT_TRUE(alpha.marks("BTCUSDT").baselined);
  EXPECT_TRUE(alpha.marks("ETHUSDT").baselined);
  rig.expect_each_account_is_its_exchange();
  for (const auto& [id, t] : rig.engine->state().tasks) EXPECT_TRUE(t.halted.empty()) << id;
  EXPECT_EQ(signature(rig.engine->state(), "beta"), beta_alone);
}

// Beta's connection misbehaves as a network venue does: one place in 3 answered 503 -1007 and
// executed 1.5 s later (its fills' executionReports lost), one cancel in 4 the same, one event
// in 7 of its user stream lost, and its stream lost outright every 5000 events (before the
// cancels that follow). Alpha's is healthy. Each account must end as its own exchange, R4
// exact for both, beta's faults resolved by evidence (R1) and never by a halt; alpha must
// quote throughout and trade exactly as it does when beta is healthy (nothing of beta's
// reaches alpha's tasks).
TEST(MultiAttack, LateExecutionsDroppedFillsAndLostStreamOnBetaOnly) {
  Layout s;
  const std::string alpha_alone = uninterrupted(s, "alpha");

  Rig rig(s);
  rig.faults = [](size_t account, FaultyVenue& v) {
    if (account != 1) return;
    v.late_every = 3;
    v.drop_late_fills = true;
    v.late_cancel_every = 4;
    v.drop_every = 7;
  };
  ASSERT_TRUE(rig.start().ok());
  size_t alpha_not_quoting = 0;
  for (uint64_t i = 1; rig.step(); ++i) {
    if (i % 5'000 == 0) rig.accts[1].faulty->lose_stream();
    alpha_not_quoting += !rig.engine->mode("gridbtc").quoting + !rig.engine->mode("tob").quoting;
  }
  const FaultyVenue& beta = *rig.accts[1].faulty;
  EXPECT_GT(beta.executed_late, 3);
  EXPECT_GT(beta.cancels_late, 3);
  EXPECT_GT(beta.dropped, 20);
  EXPECT_GT(rig.engine->stats().unknown_outcomes, 10u);
  // R1: every late place executed within its recvWindow, so none was given up as never
  // received before it did (a late execution would reopen it).
  EXPECT_EQ(rig.task("gridb").late_executions, 0u);
  EXPECT_EQ(rig.accts[0].faulty->executed_late + rig.accts[0].faulty->dropped, 0);
  rig.finish();
  EXPECT_EQ(alpha_not_quoting, 0u);
  rig.expect_each_account_is_its_exchange();
  EXPECT_EQ(signature(rig.engine->state(), "alpha"), alpha_alone);
}

// A data directory restored from an older copy (a backup) while both accounts' exchanges went
// on: each account holds orders and trades of this journal's epoch that the journal lost. Each
// account's reconciliation adopts its own (never the other's), the epoch is renewed so new ids
// never collide with the lost ones, and both accounts end as their exchanges with R4 exact.
TEST(MultiAttack, AJournalRestoredFromAnOlderCopyAdoptsEachAccountsOwnOrders) {
  Layout s;
  Rig rig(s);
  ASSERT_TRUE(rig.start().ok());
  ASSERT_TRUE(rig.run(15'000));
  rig.kill();
  const std::string backup = rig.root + "/backup";
  fs::copy(rig.root + "/journal", backup, fs::copy_options::recursive);
  ASSERT_TRUE(rig.start().ok());
  const size_t epochs = rig.engine->state().epochs.size();
  ASSERT_TRUE(rig.run(15'000));
  rig.kill();
  fs::remove_all(rig.root + "/journal");
  fs::copy(backup, rig.root + "/journal", fs::copy_options::recursive);
  ASSERT_TRUE(rig.start().ok());
  EXPECT_GT(rig.engine->state().epochs.size(), epochs);
  for (const char* id : {"gridbtc", "tob", "gridb"}) {
    EXPECT_TRUE(rig.engine->mode(id).quoting) << id << ": " << rig.engine->mode(id).reason;
  }
  EXPECT_GT(rig.task("gridbtc").adopted + rig.task("tob").adopted, 0u);
  EXPECT_GT(rig.task("gridb").adopted, 0u);
  rig.run();
  rig.finish();
  rig.expect_each_account_is_its_exchange();
}

// W4 with two accounts: the journal's sync fails in the middle of the run. Nothing more is
// journaled or placed on either account; the emergency cancel-all reaches every account's open
// orders, each on its own connection, and leaves both exchanges with none.
TEST(MultiAttack, AFailedSyncStopsBothAccountsAndCancelsEachAccountsOrders) {
  Layout s;
  Rig rig(s);
  ASSERT_TRUE(rig.start().ok());
  ASSERT_TRUE(rig.run(20'000));
  for (size_t k = 0; k < 2; ++k) {
    auto open = rig.sim_of(k).open_orders(rig.cfg.instruments[k].symbol);
    ASSERT_TRUE(open.ok());
    ASSERT_FALSE(open->empty()) << rig.cfg.accounts[k].id;
  }
  const uint64_t seq = rig.journal->last_seq();
  std::vector<size_t> sent;
  for (auto& a : rig.accts) sent.push_back(a.venue->cids.size());
  rig.journal->inject_write_failure_for_testing();
  market::MarketEvent ev;
  Status st;
  for (int i = 0; i < 2'000 && st.ok(); ++i) {
    ASSERT_TRUE(rig.reader->next(ev).ok());
    for (auto* sim : rig.sims()) ASSERT_TRUE(sim->on_market(ev).ok());
    st = rig.engine->on_market(ev);
  }
  EXPECT_EQ(st.code(), Code::kFailStop);
  EXPECT_EQ(rig.engine->decide_all().code(), Code::kFailStop);  // for good
  EXPECT_EQ(rig.journal->last_seq(), seq);
  for (size_t k = 0; k < 2; ++k) EXPECT_EQ(rig.accts[k].venue->cids.size(), sent[k]);
  EXPECT_GT(rig.engine->emergency_cancel_all(), 0u);
  for (size_t k = 0; k < 2; ++k) {
    SCOPED_TRACE(rig.cfg.accounts[k].id);
    auto open = rig.sim_of(k).open_orders(rig.cfg.instruments[k].symbol);
    ASSERT_TRUE(open.ok());
    EXPECT_TRUE(open->empty());
    EXPECT_GT(rig.accts[k].venue->cids.size(), sent[k]);
    for (size_t i = sent[k]; i < rig.accts[k].venue->cids.size(); ++i) {
      auto p = parse_client_order_id(rig.accts[k].venue->cids[i]);
      ASSERT_TRUE(p.has_value());
      EXPECT_EQ(rig.task(p->task).config.account, rig.cfg.accounts[k].id);
    }
  }
  EXPECT_EQ(rig.journal->last_seq(), seq);
}

// ---- R4 per account ------------------------------------------------------------------------------

// What an R4 halt tells the operator to run: the arguments of its `keel declare ...` (the
// account is the CLI's default when the message names none).
struct Declare {
  std::string asset, amount, account = journal::kDefaultAccount;
};
Declare declare_advice(const std::string& halted) {
  Declare d;
  const size_t at = halted.find("keel declare ");
  if (at == std::string::npos) return d;
  std::istringstream in(halted.substr(at + 13, halted.find(')', at) - at - 13));
  for (std::string flag, value; in >> flag >> value;) {
    if (flag == "--asset") d.asset = value;
    if (flag == "--amount") d.amount = value;
    if (flag == "--account") d.account = value;
  }
  return d;
}

// Beta's account receives a deposit of 100 USDT whose balanceUpdate never arrives. R4 is per
// account: only beta's task halts (two consistent checks 10 s of venue time apart); the other
// account's tasks share the asset (USDT) but not the account and go on quoting. The operator
// then runs exactly the `keel declare` the halt's reason advises: it must journal the change
// on beta (tagged _beta) and resume beta's task only, and the next start must quote on, both
// accounts ending as their exchanges with R4 exact. `other` is the other account's id: alpha,
// or default (a journal whose default account's records carry the tag "_").
void deposit_attack(const std::string& other) {
  Layout s;
  s.alpha_account = other;
  s.accounts_yaml = R"(
accounts:
  - {id: )" + other + R"(, balances: {BTC: "0", ETH: "0", USDT: "10000"}}
  - {id: beta, maker_fee: "0.0002", balances: {BTC: "0", ETH: "0", USDT: "8000"}}
)";
  Rig rig(s);
  ASSERT_TRUE(rig.start().ok());
  ASSERT_TRUE(rig.run(20'000));
  rig.accts[1].faulty->drop_balance_updates = true;
  ASSERT_TRUE(rig.sim_of(1).deposit("USDT", 100 * kOneE8).ok());
  const uint64_t other_before = rig.intents("gridbtc") + rig.intents("tob");
  uint64_t other_at_halt = 0;
  for (uint64_t i = 1; i <= 20'000 && rig.step(); ++i) {
    if (i % 1'000 == 0) {
      ASSERT_TRUE(rig.engine->recover().ok());
    }
    if (other_at_halt == 0 && !rig.task("gridb").halted.empty()) {
      other_at_halt = rig.intents("gridbtc") + rig.intents("tob");
    }
  }
  ASSERT_NE(other_at_halt, 0u) << "beta's task never halted";
  const std::string halted = rig.task("gridb").halted;
  EXPECT_NE(halted.find("R4: USDT on the exchange is"), std::string::npos) << halted;
  EXPECT_NE(halted.find("+100 unexplained"), std::string::npos) << halted;
  EXPECT_FALSE(rig.engine->mode("gridb").quoting);
  for (const char* id : {"gridbtc", "tob"}) {
    EXPECT_TRUE(rig.task(id).halted.empty()) << id << ": " << rig.task(id).halted;
    EXPECT_TRUE(rig.engine->mode(id).quoting) << id;
  }
  EXPECT_GT(rig.intents("gridbtc") + rig.intents("tob"), other_at_halt);
  EXPECT_GT(other_at_halt, other_before);

  // keel run stops; the operator runs what the halt advises.
  const Declare advice = declare_advice(halted);
  ASSERT_EQ(advice.asset, "USDT") << halted;
  auto amount = parse_fixed(advice.amount, kScaleE8);
  ASSERT_TRUE(amount.ok()) << halted;
  EXPECT_EQ(*amount, 100 * kOneE8);
  const int64_t now_ms = rig.sim_of(1).venue_time_ms();
  rig.kill();
  {
    auto j = journal::Journal::open(rig.root + "/journal", {});
    ASSERT_TRUE(j.ok());
    std::string done;
    const uint64_t first = (*j)->next_seq();
    // An account no task of the journal trades (a typo, or keel declare's default account on a
    // journal without one) is refused naming the journal's accounts.
    for (const std::string& wrong : {std::string("gamma"), std::string(journal::kDefaultAccount)}) {
      if (wrong == other) continue;
      Status st = declare_balance_change(**j, "USDT", *amount, "deposit", now_ms, &done, wrong);
      EXPECT_EQ(st.code(), Code::kInvalidArgument);
      EXPECT_NE(st.message().find("account '" + wrong + "': no task of this journal trades on it "
                                  "(its accounts: " + std::min(other, std::string("beta")) + ", " +
                                  std::max(other, std::string("beta")) + ")"),
                std::string::npos)
          << st.ToString();
    }
    ASSERT_EQ((*j)->next_seq(), first);
    Status st = declare_balance_change(**j, advice.asset, *amount, "deposit", now_ms, &done,
                                       advice.account);
    ASSERT_TRUE(st.ok()) << st.ToString() << "\nthe halt said: " << halted;
    EXPECT_NE(done.find("task gridb resumed"), std::string::npos) << done;
    EXPECT_EQ(done.find("gridbtc"), std::string::npos) << done;
    std::vector<std::string> tags;
    ASSERT_TRUE((*j)->for_each(first, [&](const journal::Record& r) {
      if (std::holds_alternative<journal::BalanceChanged>(r.body)) tags.push_back(r.task_id);
      return true;
    }).ok());
    EXPECT_EQ(tags, std::vector<std::string>{"_beta"});
  }
  ASSERT_TRUE(rig.start().ok());
  EXPECT_TRUE(rig.engine->mode("gridb").quoting) << rig.engine->mode("gridb").reason;
  const uint64_t beta_resumed = rig.intents("gridb");
  rig.run();
  rig.finish();
  EXPECT_GT(rig.intents("gridb"), beta_resumed);
  rig.expect_each_account_is_its_exchange();
  EXPECT_EQ(rig.engine->state().account("beta").balance_changes, 1u);
  EXPECT_EQ(rig.engine->state().account(other).balance_changes, 0u);
}

TEST(MultiAttack, DepositOnBetaWithItsBalanceUpdateLostHaltsOnlyBeta) { deposit_attack("alpha"); }

TEST(MultiAttack, DepositOnBetaWithItsBalanceUpdateLostBesideTheDefaultAccount) {
  deposit_attack(journal::kDefaultAccount);
}

// ---- two accounts on one API key ---------------------------------------------------------------

// Two accounts configured with the same API key (config refuses the same variable name, not
// the same value; or two keys of one exchange account): both connections reach one account,
// whose user stream carries both accounts' orders and whose balances both share. Neither
// account's R4 can ever hold. keel must never act on one account's order through the other's
// connection, journal every fill once, and stop both accounts' tasks with a reason that names
// the cause as soon as the evidence shows it (the first executionReport of the other account's
// order on a connection), not quote on until an R4 mismatch advises declaring the other
// account's trades as a deposit.
void one_key_attack(const std::string& beta_symbol) {
  Layout s;
  s.beta_symbol = beta_symbol;
  Rig rig(s);
  rig.one_key = true;
  ASSERT_TRUE(rig.start().ok());
  std::map<std::string, uint64_t> halted_at;
  size_t problems = 0;
  for (uint64_t i = 1; rig.step(); ++i) {
    if (i % 5'000 == 0) {
      auto r = rig.engine->recover();
      ASSERT_TRUE(r.ok());
      // Reconciliation names the cause too (on one symbol each account lists the other's).
      for (const std::string& p : r->problems) {
        EXPECT_NE(p.find("the two are one exchange account"), std::string::npos) << p;
        ++problems;
      }
    }
    for (const char* id : {"gridbtc", "tob", "gridb"}) {
      if (!rig.task(id).halted.empty() && halted_at.count(id) == 0) halted_at[id] = i;
    }
  }
  rig.finish();
  EXPECT_EQ(problems > 0, beta_symbol == "BTCUSDT");
  const model::State& st = rig.engine->state();
  for (const char* id : {"gridbtc", "tob", "gridb"}) {
    SCOPED_TRACE(id);
    const std::string& halted = rig.task(id).halted;
    // The cause first (R4 mismatches, true as they are, may follow).
    EXPECT_EQ(halted.rfind("accounts alpha and beta are one exchange account: the user stream of ", 0),
              0u)
        << halted;
    ASSERT_EQ(halted_at.count(id), 1u);
    EXPECT_LT(halted_at[id], 1'000u);
    EXPECT_FALSE(rig.engine->mode(id).quoting);
  }
  // Every trade of the one exchange account journaled once, by the task whose order it is.
  std::multiset<int64_t> journaled;
  for (const auto& [id, t] : st.tasks) journaled.insert(t.trade_ids.begin(), t.trade_ids.end());
  std::multiset<int64_t> traded;  // ids per symbol: BTCUSDT's and ETHUSDT's both count from 1
  for (const auto& tr : rig.sim_of(0).truth().trades) traded.insert(tr.trade_id);
  EXPECT_EQ(journaled, traded);
  for (const auto& [id, t] : st.tasks) EXPECT_EQ(t.unresolved(), 0u) << id;
  // Each connection only ever carried requests for its own account's orders.
  EXPECT_FALSE(rig.accts[0].venue->cids.empty() && rig.accts[1].venue->cids.empty());
  for (size_t k = 0; k < rig.accts.size(); ++k) {
    for (const std::string& cid : rig.accts[k].venue->cids) {
      auto p = parse_client_order_id(cid);
      ASSERT_TRUE(p.has_value()) << cid;
      EXPECT_EQ(rig.task(p->task).config.account, rig.cfg.accounts[k].id) << cid;
    }
  }
  auto folded = model::fold_journal(*rig.journal);
  ASSERT_TRUE(folded.ok());
  EXPECT_EQ(model::encode_state(*folded), model::encode_state(st));
}

TEST(MultiAttack, TwoAccountsOnOneApiKeyTradingTwoSymbols) { one_key_attack("ETHUSDT"); }

TEST(MultiAttack, TwoAccountsOnOneApiKeyTradingOneSymbol) { one_key_attack("BTCUSDT"); }

// ---- the config changed between restarts ---------------------------------------------------------

// A task moved to another account, or to another symbol, between two runs of one journal: the
// start is refused naming the task and the field, journals nothing, and the old config starts
// again as before.
TEST(MultiAttack, ATaskMovedToAnotherAccountOrSymbolIsRefusedNamingTheField) {
  Layout s;
  Rig rig(s);
  ASSERT_TRUE(rig.start().ok());
  ASSERT_TRUE(rig.run(15'000));
  rig.kill();
  const uint64_t records = rig.journal_records();

  // gridb from beta to a new account gamma, same symbol. (keel run itself stops earlier, at
  // beta's exchange: an account without tasks is given the config's first symbol, and its
  // state trades ETHUSDT.)
  Layout moved = s;
  moved.beta_account = "gamma";
  moved.accounts_yaml += "  - {id: gamma, balances: {ETH: \"0\", USDT: \"8000\"}}\n";
  Status st = rig.restart_with(moved);
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  rig.kill();
  st = rig.load_only(moved);
  EXPECT_EQ(st.code(), Code::kInvalidArgument) << st.ToString();
  EXPECT_NE(st.message().find("task 'gridb': account: beta -> gamma"), std::string::npos)
      << st.ToString();
  EXPECT_EQ(rig.journal_records(), records);

  // beta's gridb from ETHUSDT to BTCUSDT: refused by keel run's exchange of beta (its state
  // trades ETHUSDT), and by the engine.
  Layout resymboled = s;
  resymboled.beta_symbol = "BTCUSDT";
  st = rig.restart_with(resymboled);
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_NE(st.message().find("account beta: sim: state in"), std::string::npos)
      << st.ToString();
  rig.kill();
  st = rig.load_only(resymboled);
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_NE(st.message().find("task 'gridb': instrument.symbol: ETHUSDT -> BTCUSDT"),
            std::string::npos)
      << st.ToString();
  EXPECT_EQ(rig.journal_records(), records);

  // alpha and beta exchange their ids: every task moves.
  Layout swapped = s;
  swapped.accounts_yaml = R"(
accounts:
  - {id: beta, balances: {BTC: "0", ETH: "0", USDT: "10000"}}
  - {id: alpha, maker_fee: "0.0002", balances: {BTC: "0", ETH: "0", USDT: "8000"}}
)";
  swapped.alpha_account = "beta";
  swapped.beta_account = "alpha";
  st = rig.load_only(swapped);
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_NE(st.message().find("account: alpha -> beta"), std::string::npos) << st.ToString();
  EXPECT_EQ(rig.journal_records(), records);

  ASSERT_TRUE(rig.restart_with(s).ok());
  rig.run();
  rig.finish();
  rig.expect_each_account_is_its_exchange();
}

// A journal written by a config without accounts: (its tasks on the default account, its
// journal-wide records tagged "_", its exchange state in sim/). The operator adds accounts:
// to trade a second account. Naming the existing account anything but `default` moves its
// tasks: refused, naming the field. Naming it `default` keeps everything: its tasks, its R4
// records (still "_"), its exchange (sim/); beta's task starts beside it with records of its
// own (_beta), and both end as their exchanges.
TEST(MultiAttack, AccountsAddedToAJournalWrittenWithoutThem) {
  Layout s;
  s.accounts_yaml = "";
  s.alpha_account = "";
  s.with_beta = false;
  Rig rig(s);
  ASSERT_TRUE(rig.start().ok());
  ASSERT_TRUE(rig.run(25'000));
  EXPECT_TRUE(fs::exists(rig.root + "/sim"));
  rig.kill();
  const uint64_t records = rig.journal_records();

  Layout renamed;  // the default account given an id of its own
  renamed.alpha_account = "alpha";
  Status st = rig.restart_with(renamed);
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_NE(st.message().find("task 'gridbtc': account: default -> alpha"), std::string::npos)
      << st.ToString();
  rig.kill();
  EXPECT_EQ(rig.journal_records(), records);

  Layout added;
  added.alpha_account = journal::kDefaultAccount;
  added.accounts_yaml = R"(
accounts:
  - {id: default, balances: {BTC: "0", ETH: "0", USDT: "10000"}}
  - {id: beta, maker_fee: "0.0002", balances: {BTC: "0", ETH: "0", USDT: "8000"}}
)";
  ASSERT_TRUE(rig.restart_with(added).ok());
  EXPECT_TRUE(rig.engine->mode("gridbtc").quoting) << rig.engine->mode("gridbtc").reason;
  rig.run();
  rig.finish();
  EXPECT_GT(rig.task("gridb").buys.fills, 0u);
  rig.expect_each_account_is_its_exchange();
  std::map<std::string, int> baselines;
  ASSERT_TRUE(rig.journal->for_each(1, [&](const journal::Record& r) {
    if (std::holds_alternative<journal::AccountBaseline>(r.body)) ++baselines[r.task_id];
    return true;
  }).ok());
  EXPECT_EQ(baselines, (std::map<std::string, int>{{"_", 1}, {"_beta", 1}}));
  EXPECT_FALSE(fs::exists(rig.root + "/sim-default"));
}

// ---- keel retire ---------------------------------------------------------------------------------

size_t working_orders(const model::TaskState& t) {
  size_t n = 0;
  for (const auto& [cid, o] : t.orders) n += o.working() ? 1 : 0;
  return n;
}

// keel retire of a task whose account has left the config: the engine has no connection for
// it. Its cancels must never leave on another account's connection (the order is not that
// account's, and that venue's refusal would not settle it); the retire is refused naming the
// account, journaling nothing. (A kill switch ends a request storm after 50 requests.)
// A symbol added to an account that already trades: alpha runs BTCUSDT alone, then a restart
// adds a grid on alpha's ETHUSDT. ETHUSDT joins alpha's R4 baseline from its newest trade
// (its balances are not retaken: the account's equation goes on from the first baseline), and
// the account ends as its exchange with R4 exact over BTC, ETH and USDT.
TEST(MultiAttack, ASymbolAddedToAnAccountJoinsItsBaseline) {
  Layout s;
  s.accounts_yaml = R"(
accounts:
  - {id: alpha, balances: {BTC: "0", ETH: "0", USDT: "10000"}}
)";
  s.with_beta = false;
  Rig rig(s);
  ASSERT_TRUE(rig.start().ok());
  ASSERT_TRUE(rig.run(25'000));
  rig.kill();

  Layout added = s;
  added.with_beta = true;
  added.beta_account = "alpha";
  added.beta_symbol = "ETHUSDT";
  ASSERT_TRUE(rig.restart_with(added).ok());
  EXPECT_TRUE(rig.engine->mode("gridb").quoting) << rig.engine->mode("gridb").reason;
  rig.run();
  rig.finish();
  EXPECT_GT(rig.task("gridb").buys.fills, 0u);
  rig.expect_each_account_is_its_exchange();
  std::vector<std::string> baselines;
  ASSERT_TRUE(rig.journal->for_each(1, [&](const journal::Record& r) {
    if (const auto* b = std::get_if<journal::AccountBaseline>(&r.body)) {
      baselines.push_back(r.task_id + " " + b->symbol);
    }
    return true;
  }).ok());
  EXPECT_EQ(baselines, (std::vector<std::string>{"_alpha BTCUSDT", "_alpha ETHUSDT"}));
  const model::AccountState& a = rig.engine->state().account("alpha");
  EXPECT_EQ(a.baseline.symbol, "BTCUSDT");
  for (const auto& [id, t] : rig.engine->state().tasks) EXPECT_TRUE(t.halted.empty()) << id;
}

TEST(MultiAttack, RetireOfATaskWhoseAccountLeftTheConfig) {
  Layout s;
  Rig rig(s);
  ASSERT_TRUE(rig.start().ok());
  ASSERT_TRUE(rig.run(20'000));
  ASSERT_GT(working_orders(rig.task("gridb")), 0u);
  rig.kill();
  const uint64_t records = rig.journal_records();

  Layout without = s;  // beta and its task removed
  without.with_beta = false;
  without.accounts_yaml = R"(
accounts:
  - {id: alpha, balances: {BTC: "0", ETH: "0", USDT: "10000"}}
)";
  auto c = make_config(without, rig.root);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  rig.cfg = std::move(*c);
  ASSERT_TRUE(rig.open_exchanges().ok());
  auto j = journal::Journal::open(rig.root + "/journal", {});
  ASSERT_TRUE(j.ok());
  rig.journal = std::move(*j);
  rig.accts[0].venue->kill_before = 50;
  Engine eng(rig.cfg, *rig.journal, {rig.accts[0].venue.get()}, SystemClock::instance());
  ASSERT_TRUE(eng.load_and_start({"gridb"}).ok());
  try {
    Status st = eng.retire("gridb", 500);
    EXPECT_EQ(st.code(), Code::kInvalidArgument);
    EXPECT_NE(st.message().find("account beta"), std::string::npos) << st.ToString();
  } catch (const Killed&) {
    ADD_FAILURE() << "a request storm: 50 requests on alpha's connection";
  }
  for (const std::string& cid : rig.accts[0].venue->cids) {
    EXPECT_EQ(cid.find("-gridb-"), std::string::npos) << cid << " sent on alpha's connection";
  }
  EXPECT_EQ(rig.journal->next_seq() - 1, records) << "nothing journaled";
}

// keel retire while the venue refuses every cancel with an answer that is not -2011 (here
// -1003, too many requests; any refusal that leaves the order open): each working order is
// asked once per retire, and the retire gives up at its deadline naming the orders left, as
// it does while cancels are in doubt. Never a request storm. Then the venue accepts cancels
// again and a second retire closes every order.
TEST(MultiAttack, RetireWhileTheVenueRefusesCancelsAsksOnceAndGivesUp) {
  Layout s;
  Rig rig(s);
  ASSERT_TRUE(rig.start().ok());
  ASSERT_TRUE(rig.run(20'000));
  const size_t working = working_orders(rig.task("gridbtc"));
  ASSERT_GT(working, 0u);
  KillSwitch& alpha = *rig.accts[0].venue;
  alpha.refuse_cancels = {429, -1003, "Too many requests; current limit is 50 orders per 10 SECOND."};
  const size_t sent = alpha.cids.size();
  alpha.kill_before = alpha.requests + 10 * static_cast<int>(working);
  try {
    Status st = rig.engine->retire("gridbtc", 1'000);
    EXPECT_EQ(st.code(), Code::kRejected) << st.ToString();
    EXPECT_NE(st.message().find("run keel retire again later"), std::string::npos) << st.ToString();
  } catch (const Killed&) {
    ADD_FAILURE() << "a request storm: " << alpha.cids.size() - sent << " requests for "
                  << working << " orders";
    return;
  }
  EXPECT_EQ(alpha.cids.size() - sent, working);  // one cancel per order
  alpha.refuse_cancels = {};
  alpha.kill_before = 0;
  ASSERT_TRUE(rig.engine->retire("gridbtc", 5'000).ok());
  EXPECT_TRUE(rig.task("gridbtc").retired);
  EXPECT_EQ(working_orders(rig.task("gridbtc")), 0u);
}

// ---- fold robustness (E1) ------------------------------------------------------------------------

// Journal-wide records no keel of today writes, appended to a running journal: an account no
// task trades (_ghost: baseline, balance change, foreign fill, scan), the default account's tag
// in a journal without it, a foreign fill tagged alpha on beta's symbol (and with beta's trade
// ids), one of beta's with impossible amounts, a balance change of an asset alpha's tasks do not
// hold, a journal-wide body carrying a task's id instead of a tag. The journal folds (from disk
// and from a snapshot alike); the engine starts over it; alpha's and beta's tasks quote on and
// end as their exchanges with R4 exact; the stray accounts are folded apart.
TEST(MultiAttack, JournalWideRecordsOfAccountsNoTaskTradesFoldApart) {
  Layout s;
  s.snapshot_every = 5;  // the next start loads the crafted records from a snapshot too
  Rig rig(s);
  ASSERT_TRUE(rig.start().ok());
  ASSERT_TRUE(rig.run(20'000));
  rig.kill();
  {
    auto j = journal::Journal::open(rig.root + "/journal", {});
    ASSERT_TRUE(j.ok());
    const int64_t t_ms = 1'723'161'600'000;  // 2024-08-09, after every baseline
    std::vector<journal::Record> recs;
    auto add = [&](const std::string& tag, journal::Body b) {
      journal::Record r;
      r.task_id = tag;
      r.body = std::move(b);
      recs.push_back(std::move(r));
    };
    add("_ghost", journal::AccountBaseline{"XRPUSDT", 7, t_ms, {{"XRP", 5 * kOneE8}, {"USDT", 1}}});
    add("_ghost", journal::BalanceChanged{"XRP", -kOneE8, t_ms + 1, t_ms + 1, "balanceUpdate"});
    add("_ghost", journal::ForeignFill{"XRPUSDT", "manual-1", 8, 3, Side::kBuy, 50, 10, 1, "USDT"});
    add("_ghost", journal::TradesScanned{"XRPUSDT", 8});
    add("_", journal::ForeignFill{"BTCUSDT", "manual-2", 9, 4, Side::kSell, 6'100'000, 1, 1, "USDT"});
    add("_alpha", journal::ForeignFill{"ETHUSDT", "manual-3", 1, 1, Side::kBuy, 268'000, 100, 5, "USDT"});
    add("_beta", journal::ForeignFill{"ETHUSDT", "manual-4", 999'999, 7, Side::kSell, 0, -5, -1, "ETH"});
    add("_alpha", journal::BalanceChanged{"DOGE", 3 * kOneE8, t_ms, t_ms, "balanceUpdate"});
    add("gridbtc", journal::TradesScanned{"BTCUSDT", 1});
    for (journal::Record& r : recs) r.seq = (*j)->next_seq() + (&r - recs.data());
    ASSERT_TRUE((*j)->append(recs, /*sync=*/true).ok());
    auto folded = model::fold_journal(**j);
    ASSERT_TRUE(folded.ok());
    const model::State& st = *folded;
    EXPECT_TRUE(st.account("ghost").has_baseline);
    EXPECT_EQ(st.account("ghost").foreign_fills, 1u);
    EXPECT_EQ(st.account(journal::kDefaultAccount).foreign_fills, 1u);
    EXPECT_EQ(st.account("alpha").foreign_fills, 1u);  // counted, not priced: no ETHUSDT task
    EXPECT_TRUE(st.account("alpha").foreign_delta_e8.empty());
    EXPECT_TRUE(st.account("beta").foreign_delta_e8.empty());  // impossible amounts: not priced
    EXPECT_EQ(st.accounts.count("ridbtc"), 1u);  // "gridbtc" read as a tag: apart, harmless
    for (const auto& [id, t] : st.tasks) EXPECT_TRUE(t.halted.empty()) << id << ": " << t.halted;
  }
  ASSERT_TRUE(rig.start().ok());
  EXPECT_TRUE(rig.engine->loaded_from_snapshot());
  for (const char* id : {"gridbtc", "tob", "gridb"}) {
    EXPECT_TRUE(rig.engine->mode(id).quoting) << id << ": " << rig.engine->mode(id).reason;
  }
  rig.run();
  rig.finish();
  rig.expect_each_account_is_its_exchange();
}

// ---- the previous journal format ----------------------------------------------------------------

// tests/fixtures/journal-format4 (a tiered ladder's paper run written before accounts: its
// TaskStarted records have no account, its journal-wide records carry "_") opened by
// config/paper-btcusdt-tiered.yaml as shipped (no accounts:), with accounts: [{id: default}],
// with a second account beta trading ETHUSDT beside it, and with its account renamed. The first
// three start (the task is the default account's, nothing journaled for it; beta's task starts
// with a format-5 TaskStarted naming beta) and fold to the fixture's state; the rename is
// refused naming the field.
TEST(MultiAttack, TheFormat4JournalOpenedWithAndWithoutAccounts) {
  const std::string cfg_path = std::string(KEEL_SOURCE_DIR) + "/config/paper-btcusdt-tiered.yaml";
  const std::string fixture = std::string(KEEL_SOURCE_DIR) + "/tests/fixtures/journal-format4";
  char tmpl[] = "/dev/shm/keel-multi-attack-fmt4-XXXXXX";
  const std::string root = mkdtemp(tmpl);
  struct Variant {
    const char* name;
    std::function<void(YAML::Node&)> edit;
    std::string refused;  // "" : starts
  };
  const YAML::Node eth = YAML::Load(
      R"({symbol: ETHUSDT, base_asset: ETH, quote_asset: USDT, tick_size: "0.01", step_size: "0.0001", min_notional: "5"})");
  auto accounts = [](YAML::Node& c, const std::vector<std::string>& ids) {
    for (const std::string& id : ids) {
      YAML::Node a;
      a["id"] = id;
      a["balances"] = YAML::Clone(c["exchange"]["balances"]);
      c["accounts"].push_back(a);
    }
    c["exchange"].remove("balances");
  };
  const std::vector<Variant> variants = {
      {"as shipped", [](YAML::Node&) {}, ""},
      {"accounts: [default]", [&](YAML::Node& c) { accounts(c, {"default"}); }, ""},
      {"accounts: [default, beta] and a task on beta",
       [&](YAML::Node& c) {
         accounts(c, {"default", "beta"});
         YAML::Node ins;
         ins.push_back(YAML::Clone(c["instrument"]));
         ins.push_back(YAML::Clone(eth));
         c.remove("instrument");
         c["instruments"] = ins;
         c["tasks"][0]["account"] = "default";
         c["tasks"][0]["symbol"] = "BTCUSDT";
         YAML::Node t = YAML::Load(R"({id: ethgrid, account: beta, symbol: ETHUSDT, strategy: grid,
             params: {price_interval: "0.25", order_quantity: "0.02"}})");
         c["tasks"].push_back(t);
       },
       ""},
      {"accounts: [alpha]", [&](YAML::Node& c) { accounts(c, {"alpha"}); },
       "task 'tiered1': account: default -> alpha"},
  };
  for (const Variant& v : variants) {
    SCOPED_TRACE(v.name);
    const std::string dir = root + "/" + std::to_string(&v - variants.data());
    fs::create_directories(dir);
    fs::copy(fixture + "/journal", dir + "/journal", fs::copy_options::recursive);
    YAML::Node c = YAML::LoadFile(cfg_path);
    v.edit(c);
    YAML::Emitter out;
    out << c;
    auto cfg = parse_config(out.c_str(), cfg_path, fs::path(cfg_path).parent_path().string());
    ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
    std::vector<std::unique_ptr<exchange::sim::SimExchange>> sims;
    std::vector<exchange::Exchange*> venues;
    for (const AccountConfig& a : cfg->accounts) {
      exchange::sim::SimOptions so;
      so.instruments = cfg->instruments;
      so.initial_balances = a.sim.balances;
      so.state_dir = dir + "/sim-" + a.id;
      auto sim = exchange::sim::SimExchange::open(so);
      ASSERT_TRUE(sim.ok()) << sim.status().ToString();
      sims.push_back(std::move(*sim));
      venues.push_back(sims.back().get());
    }
    auto j = journal::Journal::open(dir + "/journal", {});
    ASSERT_TRUE(j.ok());
    const uint64_t records = (*j)->next_seq() - 1;
    auto before = model::fold_journal(**j);
    ASSERT_TRUE(before.ok());
    ASSERT_EQ(before->tasks.count("tiered1"), 1u);
    EXPECT_EQ(before->tasks.at("tiered1").config.account, journal::kDefaultAccount);
    Engine eng(*cfg, **j, venues, SystemClock::instance());
    Status st = eng.load_and_start();
    if (!v.refused.empty()) {
      EXPECT_EQ(st.code(), Code::kInvalidArgument);
      EXPECT_NE(st.message().find(v.refused), std::string::npos) << st.ToString();
      EXPECT_EQ((*j)->next_seq() - 1, records);
      continue;
    }
    ASSERT_TRUE(st.ok()) << st.ToString();
    const bool beta = cfg->accounts.size() == 2;
    EXPECT_EQ((*j)->next_seq() - 1, records + (beta ? 1 : 0));
    auto after = model::fold_journal(**j);
    ASSERT_TRUE(after.ok());
    EXPECT_EQ(model::encode_state(*after), model::encode_state(eng.state()));
    // The default account's task and records are what the fixture's keel left.
    model::State old_part = *after;
    old_part.tasks.erase("ethgrid");
    old_part.records = before->records;
    old_part.last_seq = before->last_seq;
    EXPECT_EQ(model::encode_state(old_part), model::encode_state(*before));
    if (beta) {
      const model::TaskState& t = after->tasks.at("ethgrid");
      EXPECT_EQ(t.config.account, "beta");
      EXPECT_EQ(t.instrument.symbol, "ETHUSDT");
      ASSERT_TRUE((*j)->for_each(records + 1, [](const journal::Record& r) {
        EXPECT_EQ(r.format, journal::kFormatVersion);
        return true;
      }).ok());
    }
  }
  fs::remove_all(root);
}

}  // namespace
}  // namespace keel::engine
