// Helpers shared by the exchange_sim_*_test.cc files: BTCUSDT, temp state dirs, synthetic
// market events, and a canonical dump of SimTruth for equality checks.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "keel/core/fixed.h"
#include "keel/core/instrument.h"
#include "keel/exchange/sim.h"
#include "keel/market/events.h"

namespace keel::exchange::sim::testutil {

inline int64_t e8(const char* text) { return *parse_fixed(text, kScaleE8); }

inline Instrument btcusdt() {
  return *Instrument::make("BTCUSDT", "BTC", "USDT", "0.01", "0.00001", "5");
}

// A fresh directory under the system temp dir, removed at scope exit.
class TempDir {
 public:
  explicit TempDir(const std::string& tag) {
    static int counter = 0;
    path_ = (std::filesystem::temp_directory_path() /
             ("keel_sim_" + tag + "_" + std::to_string(::getpid()) + "_" +
              std::to_string(counter++)))
                .string();
    std::filesystem::remove_all(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline SimOptions options(const std::string& dir, const char* usdt = "100000",
                          const char* btc = "1") {
  SimOptions o;
  o.instrument = btcusdt();
  o.state_dir = dir;
  o.initial_balances["USDT"].free_e8 = e8(usdt);
  o.initial_balances["BTC"].free_e8 = e8(btc);
  return o;
}

inline std::unique_ptr<SimExchange> open_sim(const SimOptions& o) {
  auto r = SimExchange::open(o);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(r).value() : nullptr;
}

inline market::MarketEvent ticker(int64_t u, const char* bid, const char* bid_qty,
                                  const char* ask, const char* ask_qty) {
  market::BookTicker t;
  t.update_id = u;
  t.bid_price_e8 = e8(bid);
  t.bid_qty_e8 = e8(bid_qty);
  t.ask_price_e8 = e8(ask);
  t.ask_qty_e8 = e8(ask_qty);
  return {0, "BTCUSDT", t};
}

using Levels = std::vector<std::pair<const char*, const char*>>;
inline std::vector<market::Level> levels(const Levels& in) {
  std::vector<market::Level> out;
  for (const auto& [p, q] : in) out.push_back({e8(p), e8(q)});
  return out;
}

inline market::MarketEvent snapshot(int64_t last_update_id, const Levels& bids,
                                    const Levels& asks) {
  market::DepthSnapshot s;
  s.last_update_id = last_update_id;
  s.bids = levels(bids);
  s.asks = levels(asks);
  return {0, "", s};
}

inline market::MarketEvent diff(int64_t first, int64_t last, int64_t ts_ns, const Levels& bids,
                                const Levels& asks) {
  market::DepthDiff d;
  d.first_update_id = first;
  d.final_update_id = last;
  d.ts_exchange_ns = ts_ns;
  d.bids = levels(bids);
  d.asks = levels(asks);
  return {0, "BTCUSDT", d};
}

inline market::MarketEvent trade(int64_t id, const char* price, const char* qty,
                                 bool buyer_is_maker, int64_t ts_ns) {
  market::Trade t;
  t.trade_id = id;
  t.price_e8 = e8(price);
  t.qty_e8 = e8(qty);
  t.buyer_is_maker = buyer_is_maker;
  t.ts_exchange_ns = ts_ns;
  return {0, "BTCUSDT", t};
}

inline OrderRequest order(Side side, const char* price, const char* qty, std::string id) {
  const Instrument ins = btcusdt();
  OrderRequest r;
  r.symbol = "BTCUSDT";
  r.side = side;
  r.price_ticks = *ins.parse_price_ticks(price);
  r.qty_lots = *ins.parse_qty_lots(qty);
  r.client_order_id = std::move(id);
  return r;
}

inline std::string dump(const OrderReport& o) {
  std::ostringstream s;
  s << o.symbol << " #" << o.order_id << " " << o.client_order_id << " " << side_name(o.side)
    << " " << o.price_ticks << "x" << o.qty_lots << " exec=" << o.executed_lots << " "
    << order_status_name(o.status) << " t=" << o.ts_update_ns;
  return s.str();
}

inline std::string dump(const TradeReport& t) {
  std::ostringstream s;
  s << t.symbol << " T" << t.trade_id << " #" << t.order_id << " " << t.client_order_id << " "
    << side_name(t.side) << " " << t.price_ticks << "x" << t.qty_lots << " fee="
    << t.commission_e8 << t.commission_asset << " maker=" << t.is_maker
    << " t=" << t.ts_exchange_ns;
  return s.str();
}

inline std::string dump(const Balances& b) {
  std::ostringstream s;
  for (const auto& [a, v] : b) s << a << " free=" << v.free_e8 << " locked=" << v.locked_e8 << "\n";
  return s.str();
}

inline std::string dump(const SimTruth& t) {
  std::ostringstream s;
  for (const auto& o : t.orders) s << dump(o) << "\n";
  for (const auto& x : t.trades) s << dump(x) << "\n";
  s << dump(t.balances) << "position=" << t.position << "\n";
  return s.str();
}

}  // namespace keel::exchange::sim::testutil
