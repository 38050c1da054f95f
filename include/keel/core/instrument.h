// keel/core/instrument.h: an instrument's money rules (Binance exchangeInfo filters).
//
// Units (DESIGN.md "integer fixed-point for money"):
//  - price_ticks: price / tickSize (PRICE_FILTER.tickSize), an int64.
//  - qty_lots:    quantity / stepSize (LOT_SIZE.stepSize), an int64.
//  - *_e8:        an amount of an asset at scale 10^-8 (Binance's 8-decimal wire precision).
// Rounding, stated once here and used everywhere:
//  - notional_e8 = price * qty rounded half-to-even to 10^-8 of the quote asset (exact when
//    tickSize and stepSize have at most 8 fraction digits between them, as BTCUSDT's 0.01*0.00001);
//  - fee_e8 = notional_e8 * fee_rate rounded UP (a fee is never understated).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "keel/core/fixed.h"
#include "keel/core/status.h"

namespace keel {

enum class Side : unsigned char { kBuy = 0, kSell = 1 };
const char* side_name(Side side);  // "BUY" | "SELL" (Binance spelling)
Result<Side> parse_side(std::string_view text);

struct Instrument {
  std::string symbol;       // "BTCUSDT" (Binance spelling, upper case)
  std::string base_asset;   // "BTC"
  std::string quote_asset;  // "USDT"
  int64_t tick_e8 = 0;          // PRICE_FILTER.tickSize at 10^-8, > 0
  int64_t step_e8 = 0;          // LOT_SIZE.stepSize at 10^-8, > 0
  int64_t min_qty_lots = 1;     // LOT_SIZE.minQty in lots
  int64_t min_notional_e8 = 0;  // NOTIONAL.minNotional in quote at 10^-8

  // Builds an instrument from exchangeInfo-style strings. Errors name the field at fault
  // ("tick_size", "step_size", "min_notional") and reject a non-positive size or one with more
  // than 8 fraction digits.
  static Result<Instrument> make(std::string symbol, std::string base, std::string quote,
                                 std::string_view tick_size, std::string_view step_size,
                                 std::string_view min_notional);

  // Price string <-> ticks. Error if the price is not a multiple of tickSize
  // ("Filter failure: PRICE_FILTER" in Binance's words) or not a decimal.
  Result<int64_t> parse_price_ticks(std::string_view text) const;
  Result<int64_t> parse_qty_lots(std::string_view text) const;
  // e8 -> ticks/lots; error unless an exact multiple.
  Result<int64_t> price_ticks_from_e8(int64_t price_e8) const;
  Result<int64_t> qty_lots_from_e8(int64_t qty_e8) const;
  int64_t price_e8(int64_t price_ticks) const { return price_ticks * tick_e8; }
  int64_t qty_e8(int64_t qty_lots) const { return qty_lots * step_e8; }
  // Binance wire form with 8 fraction digits: "61837.63000000".
  std::string format_price(int64_t price_ticks) const;
  std::string format_qty(int64_t qty_lots) const;

  // price * qty in quote asset at 10^-8, rounded half-to-even (see header comment).
  int64_t notional_e8(int64_t price_ticks, int64_t qty_lots) const;
};

// Fee in the fee asset at 10^-8 for an amount at 10^-8 and a rate at 10^-8
// (Binance commissionRates.maker "0.00100000" == 100000, i.e. 10 bps); rounded up.
int64_t fee_e8(int64_t amount_e8, int64_t fee_rate_e8);

}  // namespace keel
