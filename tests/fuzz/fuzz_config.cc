// libFuzzer: the YAML config loader never crashes and never throws; an error names the source
// ("fuzz.yaml: FIELD: ..."), and an accepted config holds only values its checks allow (the
// ranges of config.h), for every registered strategy. Seeds: config/*.yaml (tests/fuzz/run.sh).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "keel/core/ids.h"
#include "keel/engine/config.h"
#include "keel/strategy/grid.h"
#include "keel/strategy/registry.h"

namespace {

void require(bool ok) {
  if (!ok) std::abort();
}

void check_accepted(const keel::engine::Config& c) {
  using keel::exchange::sim::CommissionMode;
  require(c.exchange_kind == "sim" || c.exchange_kind == "binance");
  require(!c.tasks.empty());
  for (size_t i = 0; i < c.tasks.size(); ++i) {
    const keel::engine::TaskConfig& t = c.tasks[i];
    require(keel::validate_task_id(t.id).ok() && t.id[0] != '_');
    for (size_t j = 0; j < i; ++j) require(c.tasks[j].id != t.id);
    require(keel::strategy::find_strategy(t.strategy) != nullptr && t.impl != nullptr &&
            t.strategy == t.impl->name());
    // A grid's bound params are within their schema's ranges (the other strategies' make()
    // check their own relations; their tests cover them).
    if (const keel::strategy::GridParams* g = keel::strategy::grid_params(*t.impl)) {
      require(t.strategy == "grid");
      require(g->interval_ticks > 0 && g->order_qty_lots > 0);
      require(g->buy_window >= 1 && g->sell_window >= 1 && g->max_open_orders >= 1);
    } else {
      require(t.strategy != "grid");
    }
    require(t.rate.per_second >= 1 && t.rate.burst >= 1);
    // The operational limits never reach the journaled params.
    require(t.params_text.find("intent") == std::string::npos);
  }
  // Every account's order-count limits are within the keys' ranges (risk/risk.h).
  for (const keel::engine::AccountConfig& a : c.accounts) {
    require(a.orders.max_orders_per_10s >= 1 &&
            a.orders.max_orders_per_10s <= keel::risk::kMaxOrdersPer10sLimit);
    require(a.orders.max_orders_per_day >= a.orders.max_orders_per_10s &&
            a.orders.max_orders_per_day <= keel::risk::kMaxOrdersPerDayLimit);
  }
  if (c.exchange_kind == "binance") {
    require(c.binance.recv_window_ms >= 1 && c.binance.recv_window_ms <= 60'000);
    require(c.binance.evidence_margin_ms >= 0 && c.binance.evidence_margin_ms <= 60'000);
    require(c.binance.reconcile_every_ms > 0);
    const keel::engine::CredentialSource& creds = c.binance.credentials;
    require(!creds.file.empty() || (!creds.api_key_env.empty() && !creds.api_secret_env.empty()));
  } else {
    require(!c.sim.data.empty());
    require(c.sim.maker_fee_rate_e8 >= 0 && c.sim.maker_fee_rate_e8 < keel::kOneE8);
    if (c.sim.commission_mode == CommissionMode::kOther) {
      require(!c.sim.commission_asset.empty() && c.sim.commission_asset_price_e8 > 0);
      require(c.sim.commission_asset != c.instrument.quote_asset);
    } else {
      require(c.sim.commission_asset.empty() && c.sim.commission_asset_price_e8 == 0);
    }
    for (const auto& [asset, amount] : c.sim.balances) {
      require(!asset.empty() && amount.free_e8 >= 0);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto cfg = keel::engine::parse_config(text, "fuzz.yaml", "/nonexistent");
  if (cfg.ok()) {
    check_accepted(cfg.value());
  } else {
    require(cfg.status().code() == keel::Code::kInvalidArgument);
    require(cfg.status().message().rfind("fuzz.yaml: ", 0) == 0);
  }
  return 0;
}
