// keel's replay pipeline for the bench (bench/pipeline.h).
#include "pipeline.h"

#include <filesystem>

#include "bench_util.h"
#include "keel/core/clock.h"

namespace keel::bench {

namespace fs = std::filesystem;

Status Pipeline::open_stores(const engine::Config& cfg, const std::string& dir) {
  cfg_ = cfg;
  KEEL_RETURN_IF_ERROR(make_dirs(dir));
  auto j = journal::Journal::open((fs::path(dir) / "journal").string(), {});
  if (!j.ok()) return j.status().With("journal");
  journal_ = std::move(*j);
  exchange::sim::SimOptions so;
  so.instrument = cfg_.instrument;
  so.maker_fee_rate_e8 = cfg_.sim.maker_fee_rate_e8;
  so.initial_balances = cfg_.sim.balances;
  so.state_dir = (fs::path(dir) / "sim").string();
  auto sim = exchange::sim::SimExchange::open(so);
  if (!sim.ok()) return sim.status().With("simulated exchange");
  sim_ = std::move(*sim);
  return Status::Ok();
}

Status Pipeline::start(exchange::Exchange* venue) {
  exchange::Exchange& v = venue != nullptr ? *venue : static_cast<exchange::Exchange&>(*sim_);
  engine_ = std::make_unique<engine::Engine>(cfg_, *journal_, v, SystemClock::instance());
  KEEL_RETURN_IF_ERROR(engine_->load_and_start());
  auto rec = engine_->recover();
  if (!rec.ok()) return rec.status();
  if (!rec->problems.empty()) return Status::Corruption("recovery: " + rec->problems.front());
  return engine_->decide_all();
}

Status Pipeline::step(const market::MarketEvent& ev) {
  KEEL_RETURN_IF_ERROR(sim_->on_market(ev));
  return engine_->on_market(ev);
}

Status Pipeline::finish() {
  KEEL_RETURN_IF_ERROR(sim_->mark_recording_ended());
  return engine_->finish_recording(sim_->position());
}

namespace {

std::string config_yaml(const std::string& file, const char* instrument, const char* params,
                        const char* balances) {
  return std::string("instrument: ") + instrument +
         "\nexchange:\n  kind: sim\n  speed: max\n  data: [\"" + file +
         "\"]\n  maker_fee: \"0.0001\"\n  balances: " + balances +
         "\ntasks:\n  - id: grid1\n    strategy: grid\n    params: " + params + "\n";
}

}  // namespace

std::vector<Recording> recordings(const std::string& dir) {
  const char* kBtcSpot =
      "{symbol: BTCUSDT, base_asset: BTC, quote_asset: USDT, tick_size: \"0.01\", "
      "step_size: \"0.00001\", min_notional: \"5\"}";
  const char* kEthSpot =
      "{symbol: ETHUSDT, base_asset: ETH, quote_asset: USDT, tick_size: \"0.01\", "
      "step_size: \"0.0001\", min_notional: \"5\"}";
  const char* kBtcUsdm =  // USD-M futures filters; the sim trades it as a spot pair
      "{symbol: BTCUSDT, base_asset: BTC, quote_asset: USDT, tick_size: \"0.1\", "
      "step_size: \"0.001\", min_notional: \"100\"}";
  // Levels 0.8-0.9 bp apart (5 USDT at 61.8k; 0.25 USDT at 2.68k), ~125 USDT per level.
  const char* kBtcGrid =
      "{price_interval: \"5\", order_quantity: \"0.002\", buy_window_size: 5, "
      "sell_window_size: 5, max_open_orders: 20}";
  const char* kEthGrid =
      "{price_interval: \"0.25\", order_quantity: \"0.05\", buy_window_size: 5, "
      "sell_window_size: 5, max_open_orders: 20}";
  const char* kBal = "{BTC: \"0\", ETH: \"0\", USDT: \"10000\"}";
  const std::string spot = (fs::path(dir) / "spot").string();
  const std::string usdm = (fs::path(dir) / "usdm").string();
  std::vector<Recording> out;
  for (const char* day : {"btcusdt_20240808", "btcusdt_20240809"}) {
    const std::string f = spot + "/" + day + ".gz";
    out.push_back({std::string("spot ") + day, f, config_yaml(f, kBtcSpot, kBtcGrid, kBal)});
  }
  const std::string eth = spot + "/ethusdt_20240808.gz";
  out.push_back({"spot ethusdt_20240808", eth, config_yaml(eth, kEthSpot, kEthGrid, kBal)});
  const std::string fut = usdm + "/btcusdt_20240808.gz";
  out.push_back({"usdm btcusdt_20240808", fut, config_yaml(fut, kBtcUsdm, kBtcGrid, kBal)});
  return out;
}

Result<engine::Config> recording_config(const Recording& rec, bool sync_intents) {
  auto cfg = engine::parse_config(rec.yaml, "bench config for " + rec.name, "/");
  if (!cfg.ok()) return cfg.status();
  cfg->path = "(bench) " + rec.name;
  cfg->sync_intents = sync_intents;
  return cfg;
}

}  // namespace keel::bench
