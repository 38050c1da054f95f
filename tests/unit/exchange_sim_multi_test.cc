// The sim with several instruments on one account (sim.h "Several instruments"): per-symbol
// books, orders, ids and matching over shared balances; the merged BTCUSDT + ETHUSDT recording
// with reopens mid-stream; a state written by the single-instrument sim (tests/fixtures/
// sim-state-v1) opening and continuing exactly.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "exchange_sim_testutil.h"

namespace keel::exchange::sim {
namespace {

using namespace testutil;  // NOLINT(google-build-using-namespace)

constexpr int64_t kT0 = 1'723'161'253'000'000'000;

Instrument ethusdt() {
  return *Instrument::make("ETHUSDT", "ETH", "USDT", "0.01", "0.0001", "5");
}

SimOptions two(const std::string& dir, const char* usdt = "100000") {
  SimOptions o = options(dir, usdt, "1");
  o.instrument = Instrument{};
  o.instruments = {btcusdt(), ethusdt()};
  o.initial_balances["ETH"].free_e8 = e8("10");
  return o;
}

OrderRequest order_on(const Instrument& ins, Side side, const char* price, const char* qty,
                      std::string id) {
  OrderRequest r;
  r.symbol = ins.symbol;
  r.side = side;
  r.price_ticks = *ins.parse_price_ticks(price);
  r.qty_lots = *ins.parse_qty_lots(qty);
  r.client_order_id = std::move(id);
  return r;
}

market::MarketEvent on(const char* symbol, market::MarketEvent ev) {
  ev.symbol = symbol;
  return ev;
}

// ---- options and ownership ---------------------------------------------------------------

TEST(SimMulti, OptionsNameEachInstrumentOnce) {
  TempDir dir("multi_opts");
  SimOptions o = two(dir.path());
  o.instruments.push_back(btcusdt());
  EXPECT_EQ(SimExchange::open(o).status().code(), Code::kInvalidArgument);  // listed twice
  o = two(dir.path());
  o.instrument = ethusdt();  // besides instruments, but not their first
  EXPECT_EQ(SimExchange::open(o).status().code(), Code::kInvalidArgument);
  o = two(dir.path());
  ASSERT_TRUE(parse_commission_asset("ETH:2680", o).ok());  // ETHUSDT's base
  EXPECT_EQ(SimExchange::open(o).status().code(), Code::kInvalidArgument);
  o = two(dir.path());
  o.instrument = btcusdt();  // equal to instruments[0]: fine
  auto sim = open_sim(o);
  ASSERT_NE(sim, nullptr);
  ASSERT_EQ(sim->options().instruments.size(), 2u);
  EXPECT_EQ(sim->options().instrument.symbol, "BTCUSDT");
  const Balances b = *sim->balances();
  EXPECT_EQ(b.count("BTC") + b.count("ETH") + b.count("USDT"), 3u);
}

TEST(SimMulti, OneInstrumentOptionsFillInTheList) {
  TempDir dir("multi_one");
  auto sim = open_sim(options(dir.path()));
  ASSERT_EQ(sim->options().instruments.size(), 1u);
  EXPECT_EQ(sim->options().instruments[0].symbol, "BTCUSDT");
}

TEST(SimMulti, StoredSymbolsMustStayServedAndAddedOnesAreKept) {
  TempDir dir("multi_owner");
  {
    auto sim = open_sim(options(dir.path()));  // BTCUSDT only
    ASSERT_EQ(sim->place(order(Side::kBuy, "61000.00", "0.001", "a")).outcome,
              Outcome::kAccepted);
  }
  SimOptions eth_only = options(dir.path());
  eth_only.instrument = ethusdt();
  EXPECT_EQ(SimExchange::open(eth_only).status().code(), Code::kInvalidArgument);
  {
    SimOptions both = two(dir.path());
    std::swap(both.instruments[0], both.instruments[1]);  // the order does not matter
    auto sim = open_sim(both);
    ASSERT_NE(sim, nullptr);
    EXPECT_EQ((*sim->balances())["ETH"].free_e8, 0);  // listed; initial balances ignored
    EXPECT_EQ(sim->query_order("BTCUSDT", "a")->order_id, 1);
    auto p = sim->place(order_on(ethusdt(), Side::kSell, "2700.00", "0.01", "a"));
    EXPECT_EQ(p.outcome, Outcome::kRejected);  // no ETH yet
    EXPECT_EQ(p.error.code, -2010);
  }
  // ETHUSDT is part of the state now: a BTCUSDT-only sim may not open it.
  EXPECT_EQ(SimExchange::open(options(dir.path())).status().code(), Code::kInvalidArgument);
  EXPECT_NE(open_sim(two(dir.path())), nullptr);
}

// ---- requests per symbol, balances per account -------------------------------------------

class SimMultiTest : public ::testing::Test {
 protected:
  void SetUp() override { sim_ = open_sim(two(dir_.path(), "1000")); }
  void feed(const market::MarketEvent& ev) { ASSERT_TRUE(sim_->on_market(ev).ok()); }
  AssetBalance bal(const std::string& asset) { return (*sim_->balances())[asset]; }
  // BTC bids 61800.00 / asks 61800.01; ETH bids 2683.80 / asks 2683.81.
  void books() {
    feed(on("BTCUSDT", snapshot(100, {{"61800.00", "0.5"}}, {{"61800.01", "0.4"}})));
    feed(on("ETHUSDT", snapshot(200, {{"2683.80", "3"}}, {{"2683.81", "2"}})));
  }
  TempDir dir_{"multi"};
  std::unique_ptr<SimExchange> sim_;
};

TEST_F(SimMultiTest, BuysOfBothSymbolsLockTheSameQuote) {
  books();
  // 0.005 BTC @ 61000 = 305 USDT (+0.305 fee); 0.2 ETH @ 2600 = 520 USDT (+0.52 fee).
  ASSERT_EQ(sim_->place(order(Side::kBuy, "61000.00", "0.005", "b1")).outcome,
            Outcome::kAccepted);
  ASSERT_EQ(sim_->place(order_on(ethusdt(), Side::kBuy, "2600.00", "0.2", "e1")).outcome,
            Outcome::kAccepted);
  EXPECT_EQ(bal("USDT").locked_e8, e8("305.305") + e8("520.52"));
  EXPECT_EQ(bal("USDT").free_e8, e8("1000") - e8("825.825"));
  // 174.175 USDT left: an ETH BUY of 0.07 @ 2600 (182 + fee) is short of it.
  auto p = sim_->place(order_on(ethusdt(), Side::kBuy, "2600.00", "0.07", "e2"));
  EXPECT_EQ(p.error.code, -2010);
  EXPECT_EQ(p.error.msg, "Account has insufficient balance for requested action.");
  // Freed by the BTC cancel, the ETH BUY fits.
  ASSERT_EQ(sim_->cancel("BTCUSDT", "b1").outcome, Outcome::kAccepted);
  EXPECT_EQ(sim_->place(order_on(ethusdt(), Side::kBuy, "2600.00", "0.07", "e2")).outcome,
            Outcome::kAccepted);
  EXPECT_EQ(bal("USDT").locked_e8, e8("520.52") + e8("182.182"));
  // SELLs lock their own base asset.
  ASSERT_EQ(sim_->place(order_on(ethusdt(), Side::kSell, "2700.00", "0.5", "e3")).outcome,
            Outcome::kAccepted);
  ASSERT_EQ(sim_->place(order(Side::kSell, "62000.00", "0.1", "b2")).outcome,
            Outcome::kAccepted);
  EXPECT_EQ(bal("ETH").locked_e8, e8("0.5"));
  EXPECT_EQ(bal("BTC").locked_e8, e8("0.1"));
}

TEST_F(SimMultiTest, IdsAndClientIdsArePerSymbol) {
  books();
  ASSERT_EQ(sim_->place(order(Side::kBuy, "61000.00", "0.001", "x")).outcome,
            Outcome::kAccepted);
  auto e = sim_->place(order_on(ethusdt(), Side::kBuy, "2600.00", "0.01", "x"));
  ASSERT_EQ(e.outcome, Outcome::kAccepted);  // the same client id on another symbol
  EXPECT_EQ(e.order.order_id, 1);            // Binance's orderId counts per symbol
  EXPECT_EQ(sim_->place(order_on(ethusdt(), Side::kBuy, "2601.00", "0.01", "x")).error.msg,
            "Duplicate order sent.");
  auto e2 = sim_->place(order_on(ethusdt(), Side::kBuy, "2601.00", "0.01", ""));
  EXPECT_EQ(e2.order.order_id, 2);
  EXPECT_EQ(e2.order.client_order_id, "sim-2");
  EXPECT_EQ(sim_->query_order("ETHUSDT", "x")->price_ticks, 260000);
  EXPECT_EQ(sim_->query_order("BTCUSDT", "x")->price_ticks, 6100000);
  ASSERT_EQ(sim_->cancel("BTCUSDT", "x").outcome, Outcome::kAccepted);
  EXPECT_EQ(sim_->query_order("ETHUSDT", "x")->status, OrderStatus::kNew);
  EXPECT_EQ(sim_->open_orders("BTCUSDT")->size(), 0u);
  EXPECT_EQ(sim_->open_orders("ETHUSDT")->size(), 2u);
  auto from2 = sim_->orders_from("ETHUSDT", 2, 10);
  ASSERT_EQ(from2->size(), 1u);
  EXPECT_EQ((*from2)[0].client_order_id, "sim-2");
  EXPECT_EQ(sim_->orders_from("BTCUSDT", 1, 10)->size(), 1u);
  EXPECT_EQ(sim_->amend_keep_priority("ETHUSDT", "x", 50).outcome, Outcome::kAccepted);
  EXPECT_EQ(sim_->amend_keep_priority("BTCUSDT", "x", 50).error.code, -2013);  // canceled
}

TEST_F(SimMultiTest, ASymbolNotServedIsInvalid) {
  const std::string x = "XRPUSDT";
  EXPECT_EQ(sim_->place(order_on(*Instrument::make(x, "XRP", "USDT", "0.0001", "1", "5"),
                                 Side::kBuy, "0.5", "20", "a"))
                .error.code,
            -1121);
  EXPECT_EQ(sim_->cancel(x, "a").error.code, -1121);
  EXPECT_EQ(sim_->amend_keep_priority(x, "a", 1).error.code, -1121);
  for (Status s : {sim_->query_order(x, "a").status(), sim_->open_orders(x).status(),
                   sim_->trades_from(x, 1, 10).status(), sim_->latest_trade(x).status(),
                   sim_->orders_from(x, 1, 10).status(), sim_->order_trades(x, 1).status()}) {
    EXPECT_EQ(s.code(), Code::kRejected);
    EXPECT_EQ(s.message(), "{\"code\":-1121,\"msg\":\"Invalid symbol.\"}");
  }
}

TEST_F(SimMultiTest, PostOnlyAndMatchingStayWithinTheSymbol) {
  books();
  // Post-only against each symbol's own book.
  EXPECT_EQ(sim_->place(order_on(ethusdt(), Side::kBuy, "2683.81", "0.01", "e0")).error.code,
            -2010);
  ASSERT_EQ(sim_->place(order(Side::kBuy, "61800.00", "0.001", "b")).outcome,
            Outcome::kAccepted);
  ASSERT_EQ(sim_->place(order_on(ethusdt(), Side::kBuy, "2683.80", "0.01", "e")).outcome,
            Outcome::kAccepted);
  // Our own BTC BUY at 61800 does not make an ETH SELL at 2683.81 cross.
  ASSERT_EQ(sim_->place(order_on(ethusdt(), Side::kSell, "2683.81", "0.01", "es")).outcome,
            Outcome::kAccepted);
  // An ETH trade far below the BTC BUY's price does not touch it; it fills the ETH BUY.
  feed(on("ETHUSDT", trade(1, "2683.00", "1", true, kT0 + 1)));
  EXPECT_EQ(sim_->query_order("BTCUSDT", "b")->executed_lots, 0);
  EXPECT_EQ(sim_->query_order("ETHUSDT", "e")->status, OrderStatus::kFilled);
  // A BTC trade through the BTC BUY fills it: the first trade of BTCUSDT is trade id 1 too.
  feed(on("BTCUSDT", trade(2, "61799.00", "1", true, kT0 + 2)));
  auto btc = sim_->trades_from("BTCUSDT", 1, 10);
  auto eth = sim_->trades_from("ETHUSDT", 1, 10);
  ASSERT_EQ(btc->trades.size(), 1u);
  ASSERT_EQ(eth->trades.size(), 1u);
  EXPECT_EQ(btc->trades[0].trade_id, 1);
  EXPECT_EQ(eth->trades[0].trade_id, 1);
  EXPECT_EQ(btc->trades[0].client_order_id, "b");
  EXPECT_EQ(eth->trades[0].client_order_id, "e");
  EXPECT_EQ(sim_->latest_trade("ETHUSDT")->value().client_order_id, "e");
  EXPECT_EQ(sim_->order_trades("ETHUSDT", 1)->size(), 1u);  // ETH order 1 is "e"
  EXPECT_EQ(sim_->order_trades("BTCUSDT", 1)->size(), 1u);  // BTC order 1 is "b"
  EXPECT_EQ(sim_->truth().trades.size(), 2u);
  // Fills move the account's balances: 0.01 ETH and 0.001 BTC bought with shared USDT.
  EXPECT_EQ(bal("ETH").free_e8, e8("10"));  // 10 - 0.01 locked by "es" + 0.01 bought
  EXPECT_EQ(bal("BTC").free_e8, e8("1.001"));
}

TEST_F(SimMultiTest, EventsOfOtherSymbolsOnlyCount) {
  ASSERT_EQ(sim_->place(order(Side::kBuy, "61000.00", "0.001", "b")).outcome,
            Outcome::kAccepted);
  feed(on("XRPUSDT", trade(1, "0.5", "1000", true, kT0)));
  EXPECT_EQ(sim_->position(), 1u);
  EXPECT_EQ(sim_->now_ns(), 0);  // the clock is the served symbols'
  // A snapshot without a symbol belongs to no book when several are served: the BUY far
  // above it still finds no known ask to cross.
  feed(snapshot(100, {{"50000.00", "1"}}, {{"50000.01", "1"}}));
  EXPECT_EQ(sim_->position(), 2u);
  EXPECT_EQ(sim_->place(order(Side::kBuy, "60000.00", "0.001", "c")).outcome,
            Outcome::kAccepted);
  feed(on("ETHUSDT", trade(2, "2683.00", "1", true, kT0 + 5)));
  EXPECT_EQ(sim_->now_ns(), kT0 + 5);
  EXPECT_EQ(sim_->truth().trades.size(), 0u);
}

// ---- the merged recording --------------------------------------------------------------------

// BTCUSDT 2024-08-08 and ETHUSDT 2024-08-08 merged by receive time (read once per binary).
const std::vector<market::MarketEvent>& merged() {
  static const std::vector<market::MarketEvent> events = [] {
    const std::string spot = std::string(KEEL_SHARED_DIR) + "/data/binance/spot/";
    std::vector<market::MarketEvent> out;
    auto reader =
        market::CaptureReader::open({spot + "btcusdt_20240808.gz", spot + "ethusdt_20240808.gz"});
    EXPECT_TRUE(reader.ok()) << reader.status().ToString();
    if (!reader.ok()) return out;
    market::MarketEvent ev;
    while ((*reader)->next(ev).ok()) out.push_back(ev);
    return out;
  }();
  return events;
}

// Quotes both symbols: every `every` events it cancels each symbol's open orders and places
// BUYs at bid - k and SELLs at ask + k ticks (k = 0, 1, 3) from that symbol's last bookTicker.
class TwoSymbolScript {
 public:
  void observe(const market::MarketEvent& ev) {
    const auto* t = std::get_if<market::BookTicker>(&ev.body);
    if (t == nullptr) return;
    Quote& q = quotes_[ev.symbol];
    q.bid_ticks = t->bid_price_e8 / 1'000'000;  // tick 0.01 for both
    q.ask_ticks = t->ask_price_e8 / 1'000'000;
  }
  void act(SimExchange& sim, uint64_t index) {
    if (index % kEvery != kEvery - 1) return;
    for (const auto& [symbol, q] : quotes_) {
      auto open = sim.open_orders(symbol);
      ASSERT_TRUE(open.ok());
      for (const auto& o : *open) sim.cancel(symbol, o.client_order_id);
      for (int64_t k : {0, 1, 3}) {
        const std::string tag = std::to_string(index) + "-" + std::to_string(k);
        place(sim, symbol, Side::kBuy, q.bid_ticks - k, "b" + tag);
        place(sim, symbol, Side::kSell, q.ask_ticks + k, "s" + tag);
      }
    }
  }

 private:
  static constexpr uint64_t kEvery = 1000;
  struct Quote {
    int64_t bid_ticks = 0, ask_ticks = 0;
  };
  static void place(SimExchange& sim, const std::string& symbol, Side side, int64_t px,
                    std::string id) {
    OrderRequest r;
    r.symbol = symbol;
    r.side = side;
    r.price_ticks = px;
    r.qty_lots = symbol == "BTCUSDT" ? 200 : 500;  // 0.002 BTC, 0.05 ETH: ~124 / ~134 USDT
    r.client_order_id = std::move(id);
    sim.place(r);
  }
  std::map<std::string, Quote> quotes_;
};

void run_merged(SimExchange& sim, TwoSymbolScript& s, size_t from, size_t to) {
  const auto& ev = merged();
  for (size_t i = from; i < to && i < ev.size(); ++i) {
    s.observe(ev[i]);
    ASSERT_TRUE(sim.on_market(ev[i]).ok());
    s.act(sim, i);
  }
}

// Free + locked of each asset equals the initial balance moved by every fill (kQuote: every
// commission in USDT), summed over both symbols.
void expect_conservation(const SimTruth& t) {
  std::map<std::string, int64_t> expect{{"BTC", e8("1")}, {"ETH", e8("10")},
                                        {"USDT", e8("100000")}};
  for (const TradeReport& tr : t.trades) {
    const Instrument ins = tr.symbol == "BTCUSDT" ? btcusdt() : ethusdt();
    const int64_t notional = ins.notional_e8(tr.price_ticks, tr.qty_lots);
    const int64_t sign = tr.side == Side::kBuy ? 1 : -1;
    expect[ins.base_asset] += sign * ins.qty_e8(tr.qty_lots);
    expect["USDT"] -= sign * notional + tr.commission_e8;
    EXPECT_EQ(tr.commission_asset, "USDT");
  }
  for (const auto& [asset, total] : expect) {
    const AssetBalance& b = t.balances.at(asset);
    EXPECT_EQ(b.free_e8 + b.locked_e8, total) << asset;
  }
}

TEST(SimMultiReplay, BothSymbolsQuoteAndFillOverSharedBalances) {
  TempDir dir("multi_replay");
  auto sim = open_sim(two(dir.path()));
  TwoSymbolScript script;
  run_merged(*sim, script, 0, merged().size());
  const SimTruth t = sim->truth();
  EXPECT_EQ(t.position, 41249u + 33618u);
  std::map<std::string, int64_t> orders, trades;  // per symbol: ids must count 1, 2, 3...
  for (const OrderReport& o : t.orders) EXPECT_EQ(o.order_id, ++orders[o.symbol]) << o.symbol;
  for (const TradeReport& tr : t.trades) EXPECT_EQ(tr.trade_id, ++trades[tr.symbol]) << tr.symbol;
  EXPECT_GT(orders["BTCUSDT"], 100);
  EXPECT_GT(orders["ETHUSDT"], 100);
  EXPECT_GT(trades["BTCUSDT"], 10);
  EXPECT_GT(trades["ETHUSDT"], 10);
  expect_conservation(t);
  auto page = sim->trades_from("ETHUSDT", 1, SIZE_MAX);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(static_cast<int64_t>(page->trades.size()), trades["ETHUSDT"]);
  for (const TradeReport& tr : page->trades) EXPECT_EQ(tr.symbol, "ETHUSDT");
}

TEST(SimMultiReplay, ReopenAfterWritesMidStreamMatchesAnUninterruptedRun) {
  const size_t n = merged().size();
  TempDir twin_dir("multi_twin");
  auto twin = open_sim(two(twin_dir.path()));
  TwoSymbolScript twin_script;
  TempDir dir("multi_cut");
  auto sim = open_sim(two(dir.path()));
  TwoSymbolScript script;
  size_t at = 0;
  for (size_t cut : {size_t{1}, size_t{4000}, size_t{20'000}, size_t{20'001}, size_t{55'555}}) {
    SCOPED_TRACE("reopen at " + std::to_string(cut));
    run_merged(*twin, twin_script, at, cut);
    run_merged(*sim, script, at, cut);
    at = cut;
    sim.reset();  // close, then reopen with other initial balances (ignored)
    sim = open_sim(two(dir.path(), "1"));
    ASSERT_EQ(sim->position(), cut);
    ASSERT_EQ(dump(sim->truth()), dump(twin->truth()));
    script = TwoSymbolScript();
    for (size_t i = 0; i < cut; ++i) {
      script.observe(merged()[i]);
      ASSERT_TRUE(sim->warm_up(merged()[i]).ok());
    }
  }
  run_merged(*twin, twin_script, at, n);
  run_merged(*sim, script, at, n);
  EXPECT_EQ(dump(sim->truth()), dump(twin->truth()));
  EXPECT_EQ(sim->now_ns(), twin->now_ns());
  EXPECT_GT(sim->truth().trades.size(), 20u);
}

// ---- a state written by the single-instrument sim --------------------------------------------

// tests/fixtures/sim-state-v1/sim copied to a fresh directory (README.md there).
std::string copy_v1_state() {
  std::string tmpl = "/tmp/keel-sim-state-v1-XXXXXX";
  const std::string dir = mkdtemp(tmpl.data());
  std::filesystem::copy(std::string(KEEL_SOURCE_DIR) + "/tests/fixtures/sim-state-v1/sim", dir,
                        std::filesystem::copy_options::recursive);
  return dir;
}

TEST(SimMultiFixture, AStateOfTheSingleInstrumentSimOpensAndContinuesExactly) {
  constexpr size_t kCut = 12'345;  // what the fixture consumed (README.md)
  const std::string dir = copy_v1_state();
  TempDir twin_dir("v1twin");
  auto twin = open_sim(options(twin_dir.path()));
  Script twin_script;  // every 1500 events, as the fixture's writer
  run(*twin, twin_script, 0, kCut);
  ASSERT_TRUE(twin->deposit("BNB", e8("2.5")).ok());
  {
    auto sim = open_sim(options(dir));
    ASSERT_NE(sim, nullptr);
    ASSERT_EQ(sim->position(), kCut);
    const SimTruth t = sim->truth();
    EXPECT_EQ(t.orders.size(), 48u);
    EXPECT_EQ(t.trades.size(), 47u);
    ASSERT_EQ(t.deposits.size(), 1u);
    EXPECT_EQ(t.deposits[0].delta_e8, e8("2.5"));
    EXPECT_EQ(dump(t), dump(twin->truth()));
    Script script;
    warm(*sim, script);
    run(*sim, script, kCut, recording().size());
    run(*twin, twin_script, kCut, recording().size());
    EXPECT_EQ(dump(sim->truth()), dump(twin->truth()));
  }
  // The same old state takes a second instrument: BTCUSDT keeps its ids, ETHUSDT starts at 1.
  SimOptions both = two(dir);
  auto sim = open_sim(both);
  ASSERT_NE(sim, nullptr);
  SimTruth t = sim->truth();
  ASSERT_EQ(t.balances.count("ETH"), 1u);  // listed from now on, empty
  EXPECT_EQ(t.balances["ETH"].free_e8 + t.balances["ETH"].locked_e8, 0);
  t.balances.erase("ETH");
  EXPECT_EQ(dump(t), dump(twin->truth()));
  const int64_t btc_orders = static_cast<int64_t>(twin->truth().orders.size());
  EXPECT_EQ(sim->orders_from("BTCUSDT", btc_orders, 10)->size(), 1u);
  EXPECT_EQ(sim->orders_from("ETHUSDT", 1, 10)->size(), 0u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace keel::exchange::sim
