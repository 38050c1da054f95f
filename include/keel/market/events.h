// keel/market/events.h: decoded Binance market-data events, at the wire's 10^-8 scale.
//
// Prices and quantities are *_e8 (value * 10^8, exact); an instrument turns them into ticks and
// lots. Timestamps: ts_recv_ns is the local receive time of the capture (file order is receive
// order); ts_exchange_ns is Binance's E/T in ns (0 where the stream has none, e.g. spot
// bookTicker). Sources: reference/binance-spot.md §7, data/README.md.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace keel::market {

struct Level {
  int64_t price_e8 = 0;
  int64_t qty_e8 = 0;  // absolute quantity at the level; 0 removes the level (diffs)
};

// depthUpdate (spot: U, u; USD-M futures also pu).
struct DepthDiff {
  int64_t first_update_id = 0;       // U
  int64_t final_update_id = 0;       // u
  int64_t prev_final_update_id = -1; // pu (futures); -1 when absent (spot)
  int64_t ts_exchange_ns = 0;        // E
  std::vector<Level> bids;
  std::vector<Level> asks;
};

// REST /api/v3/depth or /fapi/v1/depth snapshot.
struct DepthSnapshot {
  int64_t last_update_id = 0;
  std::vector<Level> bids;  // best first
  std::vector<Level> asks;  // best first
};

struct BookTicker {
  int64_t update_id = 0;  // u
  int64_t bid_price_e8 = 0, bid_qty_e8 = 0;
  int64_t ask_price_e8 = 0, ask_qty_e8 = 0;
  int64_t ts_exchange_ns = 0;  // E on futures; 0 on spot
};

struct Trade {
  int64_t trade_id = 0;  // t (spot @trade); a (aggTrade id) where only aggTrade exists
  int64_t price_e8 = 0;
  int64_t qty_e8 = 0;
  bool buyer_is_maker = false;  // m: true -> the seller was the aggressor (hits bids)
  int64_t ts_exchange_ns = 0;   // T
};

using EventBody = std::variant<DepthDiff, DepthSnapshot, BookTicker, Trade>;

struct MarketEvent {
  int64_t ts_recv_ns = 0;
  // Upper case, "BTCUSDT". Empty for a REST snapshot line as decoded (the line names no
  // symbol); CaptureReader fills in its file's symbol (capture.h).
  std::string symbol;
  EventBody body;
};

}  // namespace keel::market
