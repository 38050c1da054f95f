// Issue 10 item 3: many tasks, accounts and symbols in one engine and one journal, on the real
// BTCUSDT and ETHUSDT recordings merged by receive time. Each account has its own simulated
// exchange (its own orders, trades and balances); each test ends by comparing every account's
// journal with its exchange's truth (fills, working orders, R4 exact) and folding the journal
// again from disk.
#include <gtest/gtest.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <map>
#include <memory>
#include <set>

#include "keel/core/clock.h"
#include "keel/engine/config.h"
#include "keel/engine/engine.h"
#include "keel/exchange/forwarding.h"
#include "keel/exchange/sim.h"
#include "keel/market/capture.h"
#include "keel/model/snapshot.h"
#include "keel/recovery/reconcile.h"

namespace keel::engine {
namespace {

namespace fs = std::filesystem;

const std::string kSpot = std::string(KEEL_SHARED_DIR) + "/data/binance/spot/";

// An account's connection that can go down: every request unknown, every query an I/O error
// (a venue unreachable from this account's session), its user stream silent.
class DownVenue final : public exchange::ForwardingExchange {
 public:
  using ForwardingExchange::ForwardingExchange;
  bool down = false;
  exchange::PlaceResult place(const exchange::OrderRequest& r) override {
    if (down) return {exchange::Outcome::kUnknown, {}, {0, 0, "connection refused"}};
    return ForwardingExchange::place(r);
  }
  Result<std::vector<exchange::OrderReport>> open_orders(const std::string& s) override {
    if (down) return Status::IOError("connection refused");
    return ForwardingExchange::open_orders(s);
  }
  Result<exchange::TradePage> trades_from(const std::string& s, int64_t from, size_t n) override {
    if (down) return Status::IOError("connection refused");
    return ForwardingExchange::trades_from(s, from, n);
  }
  Result<std::optional<exchange::TradeReport>> latest_trade(const std::string& s) override {
    if (down) return Status::IOError("connection refused");
    return ForwardingExchange::latest_trade(s);
  }
  Result<exchange::Balances> balances() override {
    if (down) return Status::IOError("connection refused");
    return ForwardingExchange::balances();
  }
  void poll_user_events(std::vector<exchange::ExecutionReport>& out) override {
    if (!down) ForwardingExchange::poll_user_events(out);
  }
};

// A network-like connection to one simulated account: every call serialised by the lock the
// market replay also takes (as the Binance connector serialises its calls), not in-process (so
// the engine sends its requests from the account's session thread), and places that can be
// held at a gate, as behind a stalled connection.
class NetVenue final : public exchange::ForwardingExchange {
 public:
  NetVenue(exchange::Exchange& inner, std::mutex& mu) : ForwardingExchange(inner), mu_(mu) {}
  bool in_process() const override { return false; }
  void hold(bool on) {
    {
      std::lock_guard<std::mutex> g(gate_mu_);
      held_ = on;
    }
    gate_cv_.notify_all();
  }
  int waiting() const {
    std::lock_guard<std::mutex> g(gate_mu_);
    return waiting_;
  }
  exchange::PlaceResult place(const exchange::OrderRequest& r) override {
    {
      std::unique_lock<std::mutex> g(gate_mu_);
      ++waiting_;
      gate_cv_.wait(g, [this] { return !held_; });
      --waiting_;
    }
    std::lock_guard<std::mutex> l(mu_);
    return ForwardingExchange::place(r);
  }
  exchange::CancelResult cancel(const std::string& s, const std::string& c,
                                exchange::RequestStamp st) override {
    std::lock_guard<std::mutex> l(mu_);
    return ForwardingExchange::cancel(s, c, st);
  }
  exchange::ReplaceResult cancel_replace(const std::string& c,
                                         const exchange::OrderRequest& r) override {
    std::lock_guard<std::mutex> l(mu_);
    return ForwardingExchange::cancel_replace(c, r);
  }
  exchange::AmendResult amend_keep_priority(const std::string& s, const std::string& c,
                                            int64_t q, exchange::RequestStamp st) override {
    std::lock_guard<std::mutex> l(mu_);
    return ForwardingExchange::amend_keep_priority(s, c, q, st);
  }
  Result<exchange::OrderReport> query_order(const std::string& s, const std::string& c) override {
    std::lock_guard<std::mutex> l(mu_);
    return ForwardingExchange::query_order(s, c);
  }
  Result<std::vector<exchange::OrderReport>> open_orders(const std::string& s) override {
    std::lock_guard<std::mutex> l(mu_);
    return ForwardingExchange::open_orders(s);
  }
  Result<exchange::TradePage> trades_from(const std::string& s, int64_t from, size_t n) override {
    std::lock_guard<std::mutex> l(mu_);
    return ForwardingExchange::trades_from(s, from, n);
  }
  Result<std::optional<exchange::TradeReport>> latest_trade(const std::string& s) override {
    std::lock_guard<std::mutex> l(mu_);
    return ForwardingExchange::latest_trade(s);
  }
  Result<std::vector<exchange::OrderReport>> orders_from(const std::string& s, int64_t from,
                                                         size_t n) override {
    std::lock_guard<std::mutex> l(mu_);
    return ForwardingExchange::orders_from(s, from, n);
  }
  Result<std::vector<exchange::TradeReport>> order_trades(const std::string& s, int64_t id) override {
    std::lock_guard<std::mutex> l(mu_);
    return ForwardingExchange::order_trades(s, id);
  }
  Result<exchange::Balances> balances() override {
    std::lock_guard<std::mutex> l(mu_);
    return ForwardingExchange::balances();
  }
  void poll_user_events(std::vector<exchange::ExecutionReport>& out) override {
    std::lock_guard<std::mutex> l(mu_);
    ForwardingExchange::poll_user_events(out);
  }
  void poll_balance_updates(std::vector<exchange::BalanceUpdate>& out) override {
    std::lock_guard<std::mutex> l(mu_);
    ForwardingExchange::poll_balance_updates(out);
  }
  int64_t venue_time_ms() const override {
    std::lock_guard<std::mutex> l(mu_);
    return ForwardingExchange::venue_time_ms();
  }

 private:
  std::mutex& mu_;
  mutable std::mutex gate_mu_;
  std::condition_variable gate_cv_;
  bool held_ = false;
  int waiting_ = 0;
};

// A config of two accounts: alpha and beta, each task's account and symbol given.
std::string config_yaml(const std::string& beta_symbol) {
  return R"(
instruments:
  - {symbol: BTCUSDT, base_asset: BTC, quote_asset: USDT, tick_size: "0.01", step_size: "0.00001", min_notional: "5"}
  - {symbol: ETHUSDT, base_asset: ETH, quote_asset: USDT, tick_size: "0.01", step_size: "0.0001", min_notional: "5"}
exchange:
  kind: sim
  data: [")" + kSpot + R"(btcusdt_20240808.gz", ")" + kSpot + R"(ethusdt_20240808.gz"]
  maker_fee: "0.0001"
accounts:
  - {id: alpha, balances: {BTC: "0", ETH: "0", USDT: "10000"}}
  - {id: beta, maker_fee: "0.0002", balances: {BTC: "0", ETH: "0", USDT: "8000"}}
tasks:
  - id: gridbtc
    account: alpha
    symbol: BTCUSDT
    strategy: grid
    params: {price_interval: "5", order_quantity: "0.002", max_open_orders: 20}
    max_intents_per_second: 1000
    intent_burst: 1000
  - id: tob
    account: alpha
    symbol: BTCUSDT
    strategy: top_of_book
    params: {qty: "0.002", maker_fee: "0.0001", max_exposure: "500", min_usd_balance: "1000"}
    max_intents_per_second: 1000
    intent_burst: 1000
  - id: gridb
    account: beta
    symbol: )" + beta_symbol + R"(
    strategy: grid
    params: {price_interval: ")" + (beta_symbol == "ETHUSDT" ? "0.25" : "5") +
         R"(", order_quantity: ")" + (beta_symbol == "ETHUSDT" ? "0.02" : "0.002") + R"(", max_open_orders: 20}
    max_intents_per_second: 1000
    intent_burst: 1000
)";
}

// The embedded run loop (src/app/run.cc) over every account's exchange.
struct Multi {
  std::string root;
  Config cfg;
  std::mutex replay_mu;  // taken by the replay and by NetVenue's calls
  std::vector<std::unique_ptr<exchange::sim::SimExchange>> sims;
  std::vector<std::unique_ptr<DownVenue>> venues;
  std::vector<std::unique_ptr<NetVenue>> nets;  // with `network`: over each DownVenue
  std::unique_ptr<journal::Journal> journal;
  std::unique_ptr<Engine> engine;
  std::unique_ptr<market::CaptureReader> reader;

  explicit Multi(const std::string& beta_symbol, bool network = false) {
    char tmpl[] = "/tmp/keel-multi-XXXXXX";
    root = mkdtemp(tmpl);
    auto c = parse_config(config_yaml(beta_symbol), "multi.yaml", root);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    cfg = std::move(*c);
    std::vector<exchange::Exchange*> ptrs;
    for (size_t i = 0; i < cfg.accounts.size(); ++i) {
      sims.push_back(std::move(*exchange::sim::SimExchange::open(
          sim_options(cfg, i, root + "/sim-" + cfg.accounts[i].id))));
      venues.push_back(std::make_unique<DownVenue>(*sims.back()));
      ptrs.push_back(venues.back().get());
      if (network) {
        nets.push_back(std::make_unique<NetVenue>(*venues.back(), replay_mu));
        ptrs.back() = nets.back().get();
      }
    }
    journal = std::move(*journal::Journal::open(root + "/journal", {}));
    engine = std::make_unique<Engine>(cfg, *journal, ptrs, SystemClock::instance());
    reader = std::move(*market::CaptureReader::open(cfg.sim.data));
  }
  ~Multi() { fs::remove_all(root); }

  void start() {
    ASSERT_TRUE(engine->load_and_start().ok());
    ASSERT_TRUE(engine->recover().ok());
    ASSERT_TRUE(engine->decide_all().ok());
  }
  // Up to `limit` events (0: all); false at the end of the recording.
  bool run(uint64_t limit = 0) {
    market::MarketEvent ev;
    for (uint64_t n = 0; limit == 0 || n < limit; ++n) {
      if (reader->next(ev).code() == Code::kEndOfData) return false;
      {
        std::lock_guard<std::mutex> l(replay_mu);
        for (auto& s : sims) {
          EXPECT_TRUE(s->on_market(ev).ok());
        }
      }
      EXPECT_TRUE(engine->on_market(ev).ok());
      if (engine->reconcile_due(sims.front()->venue_time_ms())) {
        EXPECT_TRUE(engine->recover().ok());
      }
    }
    return true;
  }
  const model::TaskState& task(const std::string& id) const { return engine->state().tasks.at(id); }
  uint64_t intents(const std::string& id) const {
    const model::TaskState& t = task(id);
    return t.intents_place + t.intents_cancel + t.intents_amend;
  }

  // Every account's journal against its exchange: every trade is one journaled fill of a task
  // of that account, every open order a working one, R4 exact; the fold from disk equals the
  // live state.
  void expect_each_account_matches_its_exchange() {
    ASSERT_TRUE(engine->recover().ok());
    const model::State& st = engine->state();
    for (size_t i = 0; i < cfg.accounts.size(); ++i) {
      const std::string& id = cfg.accounts[i].id;
      std::unique_lock<std::mutex> l(replay_mu);
      const exchange::sim::SimTruth truth = sims[i]->truth();
      l.unlock();
      std::set<int64_t> journaled;
      size_t working = 0;
      for (const auto& [tid, t] : st.tasks) {
        if (t.config.account != id) continue;
        for (int64_t trade : t.trade_ids) journaled.insert(trade);
        for (const auto& [cid, o] : t.orders) working += o.working() ? 1 : 0;
        EXPECT_TRUE(t.halted.empty()) << tid << ": " << t.halted;
      }
      std::set<int64_t> traded;
      for (const auto& tr : truth.trades) traded.insert(tr.trade_id);
      EXPECT_EQ(journaled, traded) << "account " << id;
      size_t open = 0;
      for (const auto& o : truth.orders) open += exchange::is_open(o.status) ? 1 : 0;
      EXPECT_EQ(working, open) << "account " << id;
      const model::AccountState& a = st.account(id);
      ASSERT_TRUE(a.has_baseline) << id;
      for (const auto& [asset, b] : truth.balances) {
        EXPECT_EQ(a.expected_e8(asset), b.free_e8 + b.locked_e8) << "account " << id << " " << asset;
      }
    }
    auto folded = model::fold_journal(*journal);
    ASSERT_TRUE(folded.ok());
    EXPECT_EQ(model::encode_state(*folded), model::encode_state(st));
  }
};

TEST(MultiAccount, ThreeTasksOnTwoAccountsAndTwoSymbolsEachEndAsItsExchangesTruth) {
  Multi m("ETHUSDT");
  m.start();
  m.run();
  // Every task traded on its own market.
  for (const char* id : {"gridbtc", "tob", "gridb"}) {
    EXPECT_GT(m.task(id).buys.fills, 0u) << id;
  }
  EXPECT_EQ(m.task("gridb").instrument.symbol, "ETHUSDT");
  EXPECT_EQ(m.task("gridb").config.account, "beta");
  // The account-wide records of each account carry its tag; nothing is the default account's.
  std::map<std::string, int> baselines;
  ASSERT_TRUE(m.journal->for_each(1, [&](const journal::Record& r) {
    if (std::holds_alternative<journal::AccountBaseline>(r.body)) ++baselines[r.task_id];
    return true;
  }).ok());
  EXPECT_EQ(baselines, (std::map<std::string, int>{{"_alpha", 1}, {"_beta", 1}}));
  EXPECT_EQ(m.engine->state().accounts.count(journal::kDefaultAccount), 0u);
  // Beta's fills were charged its own fee (2 bp), alpha's 1 bp.
  const model::TaskState& b = m.task("gridb");
  EXPECT_EQ(b.fees_e8, [&] {
    int64_t f = 0;
    for (const auto& tr : m.sims[1]->truth().trades) f += tr.commission_e8;
    return f;
  }());
  m.expect_each_account_matches_its_exchange();
}

TEST(MultiAccount, AnAccountThatCannotBeReachedStopsOnlyItsOwnTasks) {
  Multi m("ETHUSDT");
  m.venues[1]->down = true;  // beta's connection is down from the start
  m.start();
  EXPECT_TRUE(m.engine->mode("gridbtc").quoting);
  EXPECT_TRUE(m.engine->mode("tob").quoting);
  EXPECT_FALSE(m.engine->mode("gridb").quoting);
  EXPECT_NE(m.engine->mode("gridb").reason.find("reconciliation failed"), std::string::npos)
      << m.engine->mode("gridb").reason;
  ASSERT_TRUE(m.run(30'000));
  EXPECT_GT(m.intents("gridbtc"), 0u);
  EXPECT_GT(m.task("gridbtc").buys.fills + m.task("tob").buys.fills, 0u);
  EXPECT_EQ(m.intents("gridb"), 0u);  // nothing journaled for an account that cannot be asked
  EXPECT_FALSE(m.engine->mode("gridb").quoting);
  // Beta comes back: the next reconciliation (owed every 5 s while a problem lasts) lets it
  // quote, and both accounts end as their exchanges.
  m.venues[1]->down = false;
  m.run();
  EXPECT_TRUE(m.engine->mode("gridb").quoting) << m.engine->mode("gridb").reason;
  EXPECT_GT(m.intents("gridb"), 0u);
  m.expect_each_account_matches_its_exchange();
}

// Requests to a network venue leave on one session thread per account: an account whose
// connection stalls keeps its own requests in flight (PENDING, R1) while the loop goes on and
// the other account's requests are answered and journaled; once it answers, its answers are
// journaled and both accounts end as their exchanges.
TEST(MultiAccount, AStalledAccountDelaysOnlyItsOwnRequests) {
  Multi m("ETHUSDT", /*network=*/true);
  m.start();
  ASSERT_TRUE(m.run(2'000));
  m.nets[0]->hold(true);  // alpha's places stop at the gate
  const uint64_t alpha_before = m.task("gridbtc").intents_place + m.task("tob").intents_place;
  const uint64_t beta_before = m.task("gridb").intents_place;
  ASSERT_TRUE(m.run(20'000));
  // The loop went on: beta placed and its places were answered (none left in flight for long).
  EXPECT_GT(m.task("gridb").intents_place, beta_before);
  size_t beta_acked = 0;
  for (const auto& [cid, o] : m.task("gridb").orders) beta_acked += o.order_id != 0 ? 1 : 0;
  EXPECT_GT(beta_acked, 0u);
  // Alpha's places wait at the gate, journaled and in flight.
  EXPECT_GT(m.task("gridbtc").intents_place + m.task("tob").intents_place, alpha_before);
  EXPECT_GE(m.nets[0]->waiting(), 1);
  size_t in_flight = 0;
  for (const char* id : {"gridbtc", "tob"}) {
    for (const auto& [cid, o] : m.task(id).orders) {
      in_flight += o.phase == model::OrderPhase::kInFlight ? 1 : 0;
    }
  }
  EXPECT_GE(in_flight, 1u);
  m.nets[0]->hold(false);
  m.run();
  m.expect_each_account_matches_its_exchange();
  EXPECT_GT(m.task("gridbtc").buys.fills, 0u);
}

TEST(MultiAccount, TwoAccountsOnOneSymbolNeverTakeEachOthersOrdersOrFills) {
  Multi m("BTCUSDT");  // beta's grid trades BTCUSDT like alpha's, on its own account
  m.start();
  // Reconciled every 10000 events while both accounts have orders working: each account's
  // evidence must settle only its own tasks' orders (an order of beta's is not "gone" because
  // alpha's open orders lack it).
  while (m.run(10'000)) {
    // Alpha's evidence judges alpha's tasks only, though beta's grid works orders on the same
    // symbol that alpha's open orders do not list.
    auto ev = recovery::gather(m.engine->state(), "alpha", "BTCUSDT", *m.venues[0], {});
    ASSERT_TRUE(ev.ok());
    const recovery::Judgement j = recovery::judge(m.engine->state(), *ev, {},
                                                  [](const model::TaskState&, Side, int64_t p) { return p; });
    EXPECT_EQ(j.tasks.count("gridb"), 0u);
    for (const recovery::Finding& f : j.findings) EXPECT_NE(f.task_id, "gridb");
    EXPECT_TRUE(ev->queried.empty());  // nothing of beta's asked of alpha's connection
    ASSERT_TRUE(m.engine->recover().ok());
  }
  EXPECT_GE(m.engine->stats().reconciliations, 5u);
  const auto& stats = m.engine->stats();
  EXPECT_EQ(stats.foreign_events, 0u);
  for (const auto& [id, t] : m.engine->state().tasks) {
    EXPECT_EQ(t.adopted, 0u) << id;
    EXPECT_EQ(t.ignored_evidence, 0u) << id;
    EXPECT_EQ(t.not_found, 0u) << id;
    EXPECT_EQ(t.late_executions, 0u) << id;
  }
  for (const auto& [id, a] : m.engine->state().accounts) EXPECT_EQ(a.foreign_fills, 0u) << id;
  // The same grid on the same market with the same fee... but beta's balances and fee differ;
  // both traded.
  EXPECT_GT(m.task("gridbtc").buys.fills, 0u);
  EXPECT_GT(m.task("gridb").buys.fills, 0u);
  m.expect_each_account_matches_its_exchange();
}

}  // namespace
}  // namespace keel::engine
