// Helpers shared by the exchange_sim_*_test.cc files: BTCUSDT, temp state dirs, synthetic
// market events, and a canonical dump of SimTruth for equality checks.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "keel/core/fixed.h"
#include "keel/core/instrument.h"
#include "keel/exchange/sim.h"
#include "keel/market/capture.h"
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

// --- The real recording and a scripted market maker over it -----------------------------------

namespace keel::exchange::sim::testutil {

inline std::string recording_path() {
  return std::string(KEEL_SHARED_DIR) + "/data/binance/spot/btcusdt_20240808.gz";
}

// Every event of the BTCUSDT 2024-08-08 recording (read once per test binary).
inline const std::vector<market::MarketEvent>& recording() {
  static const std::vector<market::MarketEvent> events = [] {
    std::vector<market::MarketEvent> out;
    auto reader = market::CaptureReader::open({recording_path()});
    EXPECT_TRUE(reader.ok()) << reader.status().ToString();
    if (!reader.ok()) return out;
    market::MarketEvent ev;
    Status s;
    while ((s = (*reader)->next(ev)).ok()) out.push_back(ev);
    EXPECT_EQ(s.code(), Code::kEndOfData) << s.ToString();
    return out;
  }();
  return events;
}

// A deterministic quoting script: every `every` events it cancels its open orders and quotes
// BUYs at bid - k ticks and SELLs at ask + k ticks (k = 0, 1, 3) from the last bookTicker.
// Its own state is only the BBO seen, so after a reopen observe() over the warm-up events
// restores it.
class Script {
 public:
  explicit Script(uint64_t every = 1500) : every_(every) {}

  void observe(const market::MarketEvent& ev) {
    if (const auto* t = std::get_if<market::BookTicker>(&ev.body)) {
      bid_ticks_ = t->bid_price_e8 / btcusdt().tick_e8;
      ask_ticks_ = t->ask_price_e8 / btcusdt().tick_e8;
    }
  }

  // Called after the sim consumed event number `index` (0-based).
  void act(SimExchange& sim, uint64_t index) {
    if (index % every_ != every_ - 1 || bid_ticks_ == 0) return;
    auto open = sim.open_orders("BTCUSDT");
    ASSERT_TRUE(open.ok());
    for (const auto& o : *open) sim.cancel("BTCUSDT", o.client_order_id);
    for (int64_t k : {0, 1, 3}) {
      const std::string tag = std::to_string(index) + "-" + std::to_string(k);
      place(sim, Side::kBuy, bid_ticks_ - k, "b" + tag);
      place(sim, Side::kSell, ask_ticks_ + k, "s" + tag);
    }
  }

  uint64_t accepted = 0, rejected = 0;

 private:
  void place(SimExchange& sim, Side side, int64_t price_ticks, std::string id) {
    OrderRequest r;
    r.symbol = "BTCUSDT";
    r.side = side;
    r.price_ticks = price_ticks;
    r.qty_lots = 200;  // 0.002 BTC, about 124 USDT
    r.client_order_id = std::move(id);
    const PlaceResult p = sim.place(r);
    (p.outcome == Outcome::kAccepted ? accepted : rejected)++;
  }
  uint64_t every_;
  int64_t bid_ticks_ = 0, ask_ticks_ = 0;
};

// Feeds events [from, to) of the recording to `sim`, letting `script` act after each.
inline void run(SimExchange& sim, Script& script, size_t from, size_t to) {
  const auto& ev = recording();
  for (size_t i = from; i < to && i < ev.size(); ++i) {
    script.observe(ev[i]);
    ASSERT_TRUE(sim.on_market(ev[i]).ok());
    script.act(sim, i);
  }
}

// After a reopen: re-feeds the first position() events to the sim's warm-up and the script.
inline void warm(SimExchange& sim, Script& script) {
  const auto& ev = recording();
  for (size_t i = 0; i < sim.position(); ++i) {
    script.observe(ev[i]);
    ASSERT_TRUE(sim.warm_up(ev[i]).ok());
  }
}

}  // namespace keel::exchange::sim::testutil
