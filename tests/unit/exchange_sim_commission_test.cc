// The sim's commission modes (sim.h "Commission per fill": quote, base, ASSET:PRICE with the
// fallback to the received asset), checked exactly on small sequences and over the real
// BTCUSDT recording (every fill's commission recomputed independently, balances conserved,
// executionReports equal to the trade history, persistence), and deposits (persisted, queued
// as balance updates, refused beyond the free balance).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "exchange_sim_testutil.h"

namespace keel::exchange::sim {
namespace {

using namespace testutil;  // NOLINT(google-build-using-namespace)

constexpr int64_t kT0 = 1'723'161'253'000'000'000;
constexpr int64_t kRate = 100'000;  // 0.001

SimOptions with_mode(SimOptions o, const char* setting) {
  EXPECT_TRUE(parse_commission_asset(setting, o).ok()) << setting;
  return o;
}

AssetBalance bal(SimExchange& sim, const std::string& asset) {
  auto b = sim.balances();
  EXPECT_TRUE(b.ok());
  auto it = b->find(asset);
  return it == b->end() ? AssetBalance{} : it->second;
}

TEST(SimCommission, ParsesTheSetting) {
  SimOptions o;
  ASSERT_TRUE(parse_commission_asset("quote", o).ok());
  EXPECT_EQ(o.commission_mode, CommissionMode::kQuote);
  ASSERT_TRUE(parse_commission_asset("base", o).ok());
  EXPECT_EQ(o.commission_mode, CommissionMode::kBase);
  EXPECT_TRUE(o.commission_asset.empty());
  ASSERT_TRUE(parse_commission_asset("BNB:600.5", o).ok());
  EXPECT_EQ(o.commission_mode, CommissionMode::kOther);
  EXPECT_EQ(o.commission_asset, "BNB");
  EXPECT_EQ(o.commission_asset_price_e8, e8("600.5"));
  for (const char* bad : {"", "Quote", "BNB", "BNB:", "BNB:0", "BNB:-1", "bnb:600", ":600",
                          "BNB:1.000000001", "B-NB:5"}) {
    EXPECT_FALSE(parse_commission_asset(bad, o).ok()) << bad;
  }
}

TEST(SimCommission, OpenRefusesAnUnusableCommissionAsset) {
  TempDir dir("badasset");
  for (const char* setting : {"USDT:1", "BTC:60000"}) {
    auto r = SimExchange::open(with_mode(options(dir.path()), setting));
    ASSERT_FALSE(r.ok()) << setting;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  }
  SimOptions o = options(dir.path());
  o.commission_mode = CommissionMode::kOther;  // no asset, no price
  EXPECT_FALSE(SimExchange::open(o).ok());
}

// A BUY and a SELL that both fill through their price (one trade each).
void buy_and_sell(SimExchange& sim) {
  ASSERT_TRUE(sim.on_market(ticker(1, "61800.00", "1", "61800.02", "1")).ok());
  ASSERT_EQ(sim.place(order(Side::kBuy, "61800.00", "0.01", "b")).outcome, Outcome::kAccepted);
  ASSERT_EQ(sim.place(order(Side::kSell, "61800.01", "0.01", "s")).outcome, Outcome::kAccepted);
  ASSERT_TRUE(sim.on_market(trade(1, "61799.00", "1", true, kT0)).ok());
  ASSERT_TRUE(sim.on_market(trade(2, "61801.00", "1", false, kT0 + 1)).ok());
}

TEST(SimCommission, QuoteModeIsTheDefault) {
  TempDir dir("quote");
  auto sim = open_sim(options(dir.path()));
  buy_and_sell(*sim);
  const auto trades = sim->truth().trades;
  ASSERT_EQ(trades.size(), 2u);
  EXPECT_EQ(trades[0].commission_asset, "USDT");
  EXPECT_EQ(trades[0].commission_e8, e8("0.618"));
  EXPECT_EQ(trades[1].commission_asset, "USDT");
  EXPECT_EQ(trades[1].commission_e8, e8("0.6180001"));
  EXPECT_EQ(bal(*sim, "BTC").free_e8, e8("1"));
  EXPECT_EQ(bal(*sim, "USDT").free_e8, e8("100000") - e8("618") - e8("0.618") +
                                           e8("618.0001") - e8("0.6180001"));
}

TEST(SimCommission, BaseModeChargesABuyInBaseAndLocksOnlyTheNotional) {
  TempDir dir("base");
  auto sim = open_sim(with_mode(options(dir.path()), "base"));
  ASSERT_TRUE(sim->on_market(ticker(1, "61800.00", "1", "61800.02", "1")).ok());
  ASSERT_EQ(sim->place(order(Side::kBuy, "61800.00", "0.01", "b")).outcome, Outcome::kAccepted);
  EXPECT_EQ(bal(*sim, "USDT").locked_e8, e8("618")) << "no fee locked in base mode";
  ASSERT_EQ(sim->place(order(Side::kSell, "61800.01", "0.01", "s")).outcome, Outcome::kAccepted);
  std::vector<ExecutionReport> drained;
  sim->poll_user_events(drained);
  ASSERT_TRUE(sim->on_market(trade(1, "61799.00", "1", true, kT0)).ok());
  ASSERT_TRUE(sim->on_market(trade(2, "61801.00", "1", false, kT0 + 1)).ok());
  const auto trades = sim->truth().trades;
  ASSERT_EQ(trades.size(), 2u);
  EXPECT_EQ(trades[0].side, Side::kBuy);
  EXPECT_EQ(trades[0].commission_asset, "BTC");
  EXPECT_EQ(trades[0].commission_e8, e8("0.00001"));  // 0.01 x 0.001
  EXPECT_EQ(trades[1].commission_asset, "USDT");
  EXPECT_EQ(trades[1].commission_e8, e8("0.6180001"));
  std::vector<ExecutionReport> ev;
  sim->poll_user_events(ev);
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].trade.commission_asset, "BTC");
  EXPECT_EQ(ev[0].trade.commission_e8, e8("0.00001"));
  EXPECT_EQ(ev[1].trade.commission_asset, "USDT");
  // BTC: +0.01 bought less its fee, -0.01 sold. USDT: -618 paid, +618.0001 less the fee.
  EXPECT_EQ(bal(*sim, "BTC").free_e8, e8("1") - e8("0.00001"));
  EXPECT_EQ(bal(*sim, "BTC").locked_e8, 0);
  EXPECT_EQ(bal(*sim, "USDT").free_e8, e8("100000") - e8("618") + e8("618.0001") - e8("0.6180001"));
  EXPECT_EQ(bal(*sim, "USDT").locked_e8, 0);
}

TEST(SimCommission, BaseModeRoundsAFractionOfTheSmallestUnitUp) {
  TempDir dir("baseround");
  auto sim = open_sim(with_mode(options(dir.path()), "base"));
  ASSERT_TRUE(sim->on_market(ticker(1, "61800.00", "1", "61800.02", "1")).ok());
  // 0.00123 BTC x 0.001 = 0.00000123 exactly; then, at rate 0.00075, a fill of 0.00001 BTC:
  // 0.0000000075, rounded up to 0.00000001.
  ASSERT_EQ(sim->place(order(Side::kBuy, "61800.00", "0.00123", "a")).outcome, Outcome::kAccepted);
  ASSERT_TRUE(sim->on_market(trade(1, "61799.00", "1", true, kT0)).ok());
  SimOptions o = with_mode(options(dir.path()), "base");
  o.maker_fee_rate_e8 = 75'000;  // 0.00075: 0.00001 x 0.00075 = 0.0000000075 -> 0.00000001
  sim.reset();
  sim = open_sim(o);
  for (size_t i = 0; i < 2; ++i) {
    ASSERT_TRUE(sim->warm_up(i == 0 ? ticker(1, "61800.00", "1", "61800.02", "1")
                                    : trade(1, "61799.00", "1", true, kT0))
                    .ok());
  }
  ASSERT_EQ(sim->place(order(Side::kBuy, "61799.00", "0.0001", "p")).outcome, Outcome::kAccepted);
  ASSERT_TRUE(sim->on_market(trade(2, "61799.00", "0.00001", true, kT0 + 1)).ok());
  const auto t = sim->truth().trades;
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0].commission_e8, e8("0.00000123"));
  EXPECT_EQ(t[1].qty_lots, 1);
  EXPECT_EQ(t[1].commission_asset, "BTC");
  EXPECT_EQ(t[1].commission_e8, 1) << "0.0000000075 rounds up to 10^-8";
}

TEST(SimCommission, OtherAssetPaysWhileItsFreeBalanceLastsThenTheReceivedAsset) {
  TempDir dir("bnb");
  SimOptions o = with_mode(options(dir.path()), "BNB:500");
  o.initial_balances["BNB"].free_e8 = e8("0.002");
  auto sim = open_sim(o);
  ASSERT_TRUE(sim->on_market(ticker(1, "61800.00", "1", "61800.02", "1")).ok());
  ASSERT_EQ(sim->place(order(Side::kBuy, "61800.00", "0.01", "b1")).outcome, Outcome::kAccepted);
  EXPECT_EQ(bal(*sim, "USDT").locked_e8, e8("618")) << "no fee locked when another asset pays";
  ASSERT_TRUE(sim->on_market(trade(1, "61799.00", "1", true, kT0)).ok());
  // 618 x 0.001 = 0.618 USDT = 0.001236 BNB at 500.
  auto t = sim->truth().trades;
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].commission_asset, "BNB");
  EXPECT_EQ(t[0].commission_e8, e8("0.001236"));
  EXPECT_EQ(bal(*sim, "BNB").free_e8, e8("0.000764"));
  EXPECT_EQ(bal(*sim, "BTC").free_e8, e8("1.01")) << "the whole quantity received";
  // The second BUY's 0.001236 BNB exceeds the 0.000764 left: charged in BTC (the received
  // asset); a SELL short of BNB pays in USDT.
  ASSERT_EQ(sim->place(order(Side::kBuy, "61800.00", "0.01", "b2")).outcome, Outcome::kAccepted);
  ASSERT_EQ(sim->place(order(Side::kSell, "61800.01", "0.01", "s1")).outcome, Outcome::kAccepted);
  ASSERT_TRUE(sim->on_market(trade(2, "61799.00", "1", true, kT0 + 1)).ok());
  ASSERT_TRUE(sim->on_market(trade(3, "61801.00", "1", false, kT0 + 2)).ok());
  t = sim->truth().trades;
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[1].commission_asset, "BTC");
  EXPECT_EQ(t[1].commission_e8, e8("0.00001"));
  EXPECT_EQ(t[2].commission_asset, "USDT");
  EXPECT_EQ(t[2].commission_e8, e8("0.6180001"));
  EXPECT_EQ(bal(*sim, "BNB").free_e8, e8("0.000764")) << "BNB untouched by the fallbacks";
  // Rounding up at 10^-8: 0.00009 BTC at 61800 = 5.562 USDT, fee 0.005562 USDT = 0.000011124
  // BNB -> 0.00001113 (a deposit makes BNB sufficient again).
  ASSERT_TRUE(sim->deposit("BNB", e8("1")).ok());
  ASSERT_EQ(sim->place(order(Side::kBuy, "61800.00", "0.00009", "b3")).outcome,
            Outcome::kAccepted);
  ASSERT_TRUE(sim->on_market(trade(4, "61799.00", "1", true, kT0 + 3)).ok());
  t = sim->truth().trades;
  ASSERT_EQ(t.size(), 4u);
  EXPECT_EQ(t[3].commission_asset, "BNB");
  EXPECT_EQ(t[3].commission_e8, e8("0.00001113"));
}

TEST(SimCommission, TheModeComesFromOptionsNotFromState) {
  TempDir dir("switch");
  auto sim = open_sim(options(dir.path()));  // a state written in quote mode
  // Best bid 61799.99: a BUY at 61800.00 improves it, so nothing queues ahead of it.
  ASSERT_TRUE(sim->on_market(ticker(1, "61799.99", "1", "61800.02", "1")).ok());
  ASSERT_EQ(sim->place(order(Side::kBuy, "61800.00", "0.01", "old")).outcome, Outcome::kAccepted);
  EXPECT_EQ(bal(*sim, "USDT").locked_e8, e8("618.618")) << "quote mode locks the fee too";
  ASSERT_TRUE(sim->on_market(trade(1, "61800.00", "0.005", true, kT0)).ok());  // 0.005 of 0.01
  ASSERT_EQ(sim->truth().trades.size(), 1u);
  const std::string before = dump(sim->truth());
  sim.reset();

  sim = open_sim(with_mode(options(dir.path()), "base"));
  EXPECT_EQ(dump(sim->truth()), before) << "the state reopens unchanged in another mode";
  for (const auto& ev : {ticker(1, "61799.99", "1", "61800.02", "1"),
                         trade(1, "61800.00", "0.005", true, kT0)}) {
    ASSERT_TRUE(sim->warm_up(ev).ok());
  }
  ASSERT_TRUE(sim->on_market(trade(2, "61799.00", "1", true, kT0 + 1)).ok());  // the rest
  const auto t = sim->truth().trades;
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0].commission_asset, "USDT") << "a past trade keeps its commission";
  EXPECT_EQ(t[0].commission_e8, e8("0.309"));
  EXPECT_EQ(t[1].commission_asset, "BTC");
  EXPECT_EQ(t[1].commission_e8, e8("0.000005"));
  // The order's lock (placed in quote mode) paid both notionals and the first fee; the unused
  // rest of the locked fee went back to free quote.
  EXPECT_EQ(bal(*sim, "USDT").locked_e8, 0);
  EXPECT_EQ(bal(*sim, "USDT").free_e8, e8("100000") - e8("618") - e8("0.309"));
  EXPECT_EQ(bal(*sim, "BTC").free_e8, e8("1.01") - e8("0.000005"));
}

TEST(SimDeposit, PersistedQueuedAndRefusedBeyondTheFreeBalance) {
  TempDir dir("deposit");
  auto sim = open_sim(options(dir.path(), "100", "1"));
  ASSERT_TRUE(sim->on_market(ticker(1, "61800.00", "1", "61800.02", "1")).ok());
  ASSERT_TRUE(sim->on_market(trade(1, "61000.00", "0.1", true, kT0)).ok());  // the clock: kT0
  auto d = sim->deposit("USDT", e8("250.5"));
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->asset, "USDT");
  EXPECT_EQ(d->delta_e8, e8("250.5"));
  EXPECT_EQ(d->event_time_ms, kT0 / 1'000'000);
  EXPECT_EQ(d->clear_time_ms, kT0 / 1'000'000);
  ASSERT_TRUE(sim->deposit("BNB", e8("3")).ok()) << "a new asset";
  ASSERT_EQ(sim->place(order(Side::kSell, "62000.00", "0.5", "s")).outcome, Outcome::kAccepted);
  // Withdrawals: only from the free balance (0.5 BTC is locked by the SELL).
  auto refused = sim->deposit("BTC", -e8("0.50000001"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Code::kRejected);
  EXPECT_EQ(refused.status().message(),
            R"({"code":-2010,"msg":"Account has insufficient balance for requested action."})");
  EXPECT_FALSE(sim->deposit("DOGE", -1).ok()) << "nothing to withdraw";
  ASSERT_TRUE(sim->deposit("BTC", -e8("0.5")).ok());
  EXPECT_EQ(sim->deposit("usdt", 1).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(sim->deposit("USDT", 0).status().code(), Code::kInvalidArgument);
  std::vector<BalanceUpdate> updates;
  sim->poll_balance_updates(updates);
  ASSERT_EQ(updates.size(), 3u);
  EXPECT_EQ(updates[1].asset, "BNB");
  EXPECT_EQ(updates[2].delta_e8, -e8("0.5"));
  updates.clear();
  sim->poll_balance_updates(updates);
  EXPECT_TRUE(updates.empty()) << "moved out once";
  const SimTruth t = sim->truth();
  ASSERT_EQ(t.deposits.size(), 3u);
  EXPECT_EQ(t.balances.at("USDT").free_e8, e8("350.5"));
  EXPECT_EQ(t.balances.at("BNB").free_e8, e8("3"));
  EXPECT_EQ(t.balances.at("BTC").free_e8, 0);
  EXPECT_EQ(t.balances.at("BTC").locked_e8, e8("0.5"));
  const std::string before = dump(t);
  sim.reset();
  sim = open_sim(options(dir.path()));
  const SimTruth again = sim->truth();
  EXPECT_EQ(dump(again), before);
  ASSERT_EQ(again.deposits.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(again.deposits[i].asset, t.deposits[i].asset);
    EXPECT_EQ(again.deposits[i].delta_e8, t.deposits[i].delta_e8);
    EXPECT_EQ(again.deposits[i].event_time_ms, t.deposits[i].event_time_ms);
  }
  updates.clear();
  sim->poll_balance_updates(updates);
  EXPECT_TRUE(updates.empty()) << "events in flight are not persisted";
}

// --- Over the real recording -------------------------------------------------------------------

// Replays the whole recording with the quoting script in one commission mode and checks every
// fill: its commission by the mode's rule (computed here from the balances before the fill),
// the executionReport equal to the trade history, and at the end (everything canceled) every
// asset's balance equal to its start plus the fills' effects.
struct ModeRun {
  std::map<std::string, size_t> fees_by_asset;  // fills per commission asset
  SimTruth truth;
};

ModeRun run_mode(const std::string& dir, const char* setting, const char* bnb) {
  const Instrument ins = btcusdt();
  SimOptions o = with_mode(options(dir), setting);
  if (bnb != nullptr) o.initial_balances["BNB"].free_e8 = e8(bnb);
  auto sim = open_sim(o);
  ModeRun out;
  if (!sim) return out;
  Script script(311);
  std::map<std::string, int64_t> expect;  // asset -> free + locked, as the fills say
  const Balances start = *sim->balances();
  for (const auto& [asset, b] : start) expect[asset] = b.free_e8 + b.locked_e8;
  const auto& ev = recording();
  size_t seen_trades = 0;
  for (size_t i = 0; i < ev.size(); ++i) {
    script.observe(ev[i]);
    const int64_t bnb_before = bal(*sim, "BNB").free_e8;
    EXPECT_TRUE(sim->on_market(ev[i]).ok());
    std::vector<ExecutionReport> reports;
    sim->poll_user_events(reports);
    const bool any_fill = std::any_of(reports.begin(), reports.end(), [](const auto& r) {
      return r.exec_type == ExecType::kTrade;
    });
    const std::vector<TradeReport> trades = any_fill ? sim->truth().trades
                                                     : std::vector<TradeReport>();
    int64_t bnb = bnb_before;
    for (const ExecutionReport& r : reports) {
      if (r.exec_type != ExecType::kTrade) continue;
      const TradeReport& f = r.trade;
      EXPECT_EQ(dump(f), dump(trades.at(static_cast<size_t>(f.trade_id - 1))))
          << "the executionReport's n/N are the trade history's";
      ++seen_trades;
      const int64_t notional = ins.notional_e8(f.price_ticks, f.qty_lots);
      const int64_t qty = ins.qty_e8(f.qty_lots);
      std::string asset = "USDT";
      int64_t fee = fee_e8(notional, kRate);
      if (o.commission_mode == CommissionMode::kOther) {
        const int64_t in_bnb = div_ceil(static_cast<__int128>(notional) * kRate,
                                        o.commission_asset_price_e8);
        if (in_bnb <= bnb) {
          asset = "BNB";
          fee = in_bnb;
          bnb -= in_bnb;
        }
      }
      if (asset != "BNB" && f.side == Side::kBuy && o.commission_mode != CommissionMode::kQuote) {
        asset = "BTC";
        fee = fee_e8(qty, kRate);
      }
      EXPECT_EQ(f.commission_asset, asset) << dump(f);
      EXPECT_EQ(f.commission_e8, fee) << dump(f);
      ++out.fees_by_asset[asset];
      const int64_t sign = f.side == Side::kBuy ? 1 : -1;
      expect["BTC"] += sign * qty;
      expect["USDT"] -= sign * notional;
      expect[asset] -= fee;
    }
    script.act(*sim, i);
  }
  auto open = sim->open_orders("BTCUSDT");
  EXPECT_TRUE(open.ok());
  for (const auto& ord : *open) {
    EXPECT_EQ(sim->cancel("BTCUSDT", ord.client_order_id).outcome, Outcome::kAccepted);
  }
  out.truth = sim->truth();
  EXPECT_EQ(out.truth.trades.size(), seen_trades) << "a report for every trade";
  for (const auto& [asset, b] : out.truth.balances) {
    EXPECT_EQ(b.locked_e8, 0) << asset;
    EXPECT_EQ(b.free_e8, expect[asset]) << asset << " is not explained by the fills";
  }
  EXPECT_GT(script.accepted, 300u);
  // Persisted: the state reopens to the same truth.
  const std::string before = dump(out.truth);
  sim.reset();
  sim = open_sim(o);
  EXPECT_EQ(dump(sim->truth()), before);
  return out;
}

TEST(SimCommissionReplay, QuoteModeOverTheRecording) {
  TempDir dir("rq");
  const ModeRun r = run_mode(dir.path(), "quote", nullptr);
  EXPECT_GT(r.fees_by_asset.at("USDT"), 100u);
  EXPECT_EQ(r.fees_by_asset.size(), 1u);
}

TEST(SimCommissionReplay, BaseModeOverTheRecording) {
  TempDir dir("rb");
  const ModeRun r = run_mode(dir.path(), "base", nullptr);
  EXPECT_GT(r.fees_by_asset.at("BTC"), 50u) << "BUY fills";
  EXPECT_GT(r.fees_by_asset.at("USDT"), 50u) << "SELL fills";
  for (const auto& t : r.truth.trades) {
    EXPECT_EQ(t.commission_asset, t.side == Side::kBuy ? "BTC" : "USDT");
  }
}

TEST(SimCommissionReplay, OtherAssetModeOverTheRecordingRunsOutOfBnb) {
  TempDir dir("ro");
  // 0.02 BNB at 500 pays about 10 USDT of commission: some fills, then the fallbacks.
  const ModeRun r = run_mode(dir.path(), "BNB:500", "0.02");
  EXPECT_GT(r.fees_by_asset.at("BNB"), 10u);
  EXPECT_GT(r.fees_by_asset.at("BTC"), 10u) << "BUYs short of BNB";
  EXPECT_GT(r.fees_by_asset.at("USDT"), 10u) << "SELLs short of BNB";
  EXPECT_LT(r.truth.balances.at("BNB").free_e8, e8("0.0013")) << "BNB spent until short";
}

}  // namespace
}  // namespace keel::exchange::sim
