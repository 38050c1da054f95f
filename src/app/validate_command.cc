// keel validate: the config as keel run would load it (every key, type and range), then
// pre-trade checks against the instrument and, with the embedded exchange, its recorded data
// and balances: is the data on the instrument's tick and step, does every order a fresh task
// would open clear the minimum notional and quantity, do the tasks' buys fit the quote balance;
// with a live venue, can the credentials be read (engine/credentials.h).
// Nothing is written and no exchange is contacted.
#include <cstdio>
#include <map>
#include <string>
#include <variant>

#include "app.h"
#include "keel/core/fixed.h"
#include "keel/engine/config.h"
#include "keel/engine/credentials.h"
#include "keel/market/capture.h"

namespace keel::app {

namespace {

// Events of the recording read for the tick/step check and the reference price.
constexpr uint64_t kDataEventsChecked = 20'000;

struct Checks {
  int failed = 0;
  void line(bool ok, const std::string& what) {
    std::printf("  %-4s %s\n", ok ? "ok" : "FAIL", what.c_str());
    failed += ok ? 0 : 1;
  }
};

// Reads the first events of the recording: every price (depth levels, the book ticker, trades)
// on tick_size, and trade quantities on step_size; returns the first trade's price (ticks; 0
// when none was read). Book quantities are not checked: a level sums resting orders, and orders
// placed under an older, finer step_size (BTCUSDT's was 0.000001 until 2023) still rest and
// trade. So quantities fail only when most trades are off step: then step_size is too coarse.
int64_t check_data(const engine::Config& cfg, const Instrument& ins, Checks& checks) {
  auto reader = market::CaptureReader::open(cfg.sim.data);
  if (!reader.ok()) {
    checks.line(false, "exchange.data: " + reader.status().message());
    return 0;
  }
  market::MarketEvent ev;
  uint64_t prices = 0, off_tick = 0, trades = 0, off_step = 0;
  std::string first_off_price;
  int64_t first_trade_ticks = 0;
  auto price = [&](int64_t e8) {
    ++prices;
    if (e8 % ins.tick_e8 != 0 && off_tick++ == 0) first_off_price = format_fixed_trim(e8, kScaleE8);
  };
  uint64_t n = 0;
  for (; n < kDataEventsChecked; ++n) {
    Status s = (*reader)->next(ev);
    if (s.code() == Code::kEndOfData) break;
    if (!s.ok()) {
      checks.line(false, "exchange.data: " + s.message());
      return 0;
    }
    if (ev.symbol != ins.symbol && !ev.symbol.empty()) continue;
    if (const auto* d = std::get_if<market::DepthDiff>(&ev.body)) {
      for (const auto& l : d->bids) price(l.price_e8);
      for (const auto& l : d->asks) price(l.price_e8);
    } else if (const auto* b = std::get_if<market::BookTicker>(&ev.body)) {
      price(b->bid_price_e8);
      price(b->ask_price_e8);
    } else if (const auto* t = std::get_if<market::Trade>(&ev.body)) {
      price(t->price_e8);
      ++trades;
      off_step += t->qty_e8 % ins.step_e8 != 0;
      if (first_trade_ticks == 0 && t->price_e8 % ins.tick_e8 == 0) {
        first_trade_ticks = t->price_e8 / ins.tick_e8;
      }
    }
  }
  const std::string events = "the first " + std::to_string(n) + " events of exchange.data (" +
                             ins.symbol + ")";
  checks.line(prices > 0 && off_tick == 0,
              events + ": " + std::to_string(prices) + " prices, " + std::to_string(off_tick) +
                  " off tick_size " + format_fixed_trim(ins.tick_e8, kScaleE8) +
                  (off_tick > 0 ? " (the first: " + first_off_price + ")" : std::string()));
  checks.line(trades > 0 && 2 * off_step <= trades,
              events + ": " + std::to_string(trades) + " trades, " + std::to_string(off_step) +
                  " with a quantity off step_size " + format_fixed_trim(ins.step_e8, kScaleE8) +
                  (off_step > 0 ? " (orders of an older, finer step still trade; most must not)"
                                : std::string()));
  checks.line(first_trade_ticks > 0,
              first_trade_ticks > 0
                  ? "reference price: the recording's first trade, " + ins.format_price(first_trade_ticks)
                  : "reference price: no trade of " + ins.symbol + " among the first events");
  return first_trade_ticks;
}

}  // namespace

int validate_command(const std::string& config_path) {
  auto cfg = engine::load_config(config_path);
  if (!cfg.ok()) {
    std::fprintf(stderr, "keel: %s\n", cfg.status().message().c_str());
    return 1;
  }
  std::printf("%s: the config loads (%zu task%s, %zu account%s, exchange %s)\n", config_path.c_str(),
              cfg->tasks.size(), cfg->tasks.size() == 1 ? "" : "s", cfg->accounts.size(),
              cfg->accounts.size() == 1 ? "" : "s", cfg->exchange_kind.c_str());
  for (const Instrument& ins : cfg->instruments) {
    std::printf("instrument %s: tick_size %s, step_size %s, min_notional %s %s\n",
                ins.symbol.c_str(), format_fixed_trim(ins.tick_e8, kScaleE8).c_str(),
                format_fixed_trim(ins.step_e8, kScaleE8).c_str(),
                format_fixed_trim(ins.min_notional_e8, kScaleE8).c_str(), ins.quote_asset.c_str());
  }
  Checks checks;
  if (cfg->exchange_kind != "sim") {
    // The credentials as keel run reads them: present, and a file only its owner may read
    // (engine/credentials.h). Their values are never printed.
    for (const engine::AccountConfig& a : cfg->accounts) {
      const engine::CredentialSource& source = a.credentials;
      auto creds = engine::load_credentials(source);
      checks.line(creds.ok(), creds.ok() ? "account " + a.id + ": credentials from " +
                                               engine::describe(source) + ": an API key and a secret"
                                         : creds.status().message());
    }
    std::printf("pre-trade checks need the market price and the balances: with exchange.kind "
                "%s they are made by keel run at start-up\n",
                cfg->exchange_kind.c_str());
    return checks.failed == 0 ? 0 : 1;
  }
  std::vector<int64_t> refs;  // by instrument
  for (const Instrument& ins : cfg->instruments) refs.push_back(check_data(*cfg, ins, checks));
  // account index -> quote asset -> what its tasks' opening buys lock
  std::map<size_t, std::map<std::string, int64_t>> needed;
  for (const engine::TaskConfig& t : cfg->tasks) {
    const Instrument& ins = cfg->instruments[t.instrument_index];
    const int64_t ref = refs[t.instrument_index];
    const engine::AccountConfig& account = cfg->accounts[t.account_index];
    std::printf("task %s (%s %s, account %s: %s)\n", t.id.c_str(), t.strategy.c_str(),
                ins.symbol.c_str(), account.id.c_str(), t.params_text.c_str());
    if (ref <= 0) continue;
    const std::vector<strategy::OrderSketch> orders = t.impl->opening_orders(ref);
    int64_t lowest = INT64_MAX, buy_notional = 0;
    bool qty_ok = true;
    for (const strategy::OrderSketch& o : orders) {
      const int64_t notional = ins.notional_e8(o.price_ticks, o.qty_lots);
      lowest = std::min(lowest, notional);
      qty_ok = qty_ok && o.qty_lots >= ins.min_qty_lots;
      if (o.side == Side::kBuy) {
        buy_notional += notional + fee_e8(notional, account.sim.maker_fee_rate_e8);
      }
    }
    checks.line(!orders.empty(), std::to_string(orders.size()) + " orders a fresh task opens at " +
                                     ins.format_price(ref));
    if (orders.empty()) continue;
    checks.line(lowest >= ins.min_notional_e8,
                "every order's notional is at least min_notional " +
                    format_fixed_trim(ins.min_notional_e8, kScaleE8) + " " + ins.quote_asset +
                    " (the smallest: " + format_fixed_trim(lowest, kScaleE8) + ")");
    checks.line(qty_ok, "every order's quantity is at least the minimum quantity");
    needed[t.account_index][ins.quote_asset] += buy_notional;
    std::printf("       its buys lock %s %s (fees included)\n",
                format_fixed_trim(buy_notional, kScaleE8).c_str(), ins.quote_asset.c_str());
  }
  for (const auto& [index, assets] : needed) {
    const engine::AccountConfig& a = cfg->accounts[index];
    const std::string field = cfg->accounts.size() == 1 && a.id == journal::kDefaultAccount
                                  ? "exchange.balances."
                                  : "accounts[" + std::to_string(index) + "].balances.";
    for (const auto& [asset, need] : assets) {
      auto it = a.sim.balances.find(asset);
      const int64_t have = it == a.sim.balances.end() ? 0 : it->second.free_e8;
      checks.line(need <= have, field + asset + " " + format_fixed_trim(have, kScaleE8) +
                                    " covers its tasks' opening buys (" +
                                    format_fixed_trim(need, kScaleE8) + ")");
    }
  }
  if (checks.failed > 0) {
    std::printf("%d check%s failed\n", checks.failed, checks.failed == 1 ? "" : "s");
    return 1;
  }
  std::printf("every check passed\n");
  return 0;
}

}  // namespace keel::app
