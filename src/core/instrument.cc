#include "keel/core/instrument.h"

namespace keel {

const char* side_name(Side side) { return side == Side::kBuy ? "BUY" : "SELL"; }

Result<Side> parse_side(std::string_view text) {
  if (text == "BUY") return Side::kBuy;
  if (text == "SELL") return Side::kSell;
  return Status::InvalidArgument("side '" + std::string(text) + "' is neither BUY nor SELL");
}

namespace {
Result<int64_t> parse_positive_e8(std::string_view text, const char* field) {
  auto v = parse_fixed(text, kScaleE8);
  if (!v.ok()) return v.status().With(field);
  if (*v <= 0) return Status::InvalidArgument(std::string(field) + " must be positive");
  return v;
}
}  // namespace

Result<Instrument> Instrument::make(std::string symbol, std::string base, std::string quote,
                                    std::string_view tick_size, std::string_view step_size,
                                    std::string_view min_notional) {
  Instrument ins;
  if (symbol.empty()) return Status::InvalidArgument("symbol is empty");
  if (base.empty()) return Status::InvalidArgument("base_asset is empty");
  if (quote.empty()) return Status::InvalidArgument("quote_asset is empty");
  ins.symbol = std::move(symbol);
  ins.base_asset = std::move(base);
  ins.quote_asset = std::move(quote);
  auto tick = parse_positive_e8(tick_size, "tick_size");
  if (!tick.ok()) return tick.status();
  auto step = parse_positive_e8(step_size, "step_size");
  if (!step.ok()) return step.status();
  auto notional = parse_fixed(min_notional, kScaleE8);
  if (!notional.ok()) return notional.status().With("min_notional");
  if (*notional < 0) return Status::InvalidArgument("min_notional must not be negative");
  ins.tick_e8 = *tick;
  ins.step_e8 = *step;
  ins.min_notional_e8 = *notional;
  return ins;
}

Result<int64_t> Instrument::price_ticks_from_e8(int64_t price_e8) const {
  KEEL_ASSERT(tick_e8 > 0);
  if (price_e8 % tick_e8 != 0) {
    return Status::InvalidArgument("price " + format_fixed_trim(price_e8, kScaleE8) +
                                   " is not a multiple of tick size " +
                                   format_fixed_trim(tick_e8, kScaleE8));
  }
  return price_e8 / tick_e8;
}

Result<int64_t> Instrument::qty_lots_from_e8(int64_t qty_e8) const {
  KEEL_ASSERT(step_e8 > 0);
  if (qty_e8 % step_e8 != 0) {
    return Status::InvalidArgument("quantity " + format_fixed_trim(qty_e8, kScaleE8) +
                                   " is not a multiple of step size " +
                                   format_fixed_trim(step_e8, kScaleE8));
  }
  return qty_e8 / step_e8;
}

Result<int64_t> Instrument::parse_price_ticks(std::string_view text) const {
  auto e8 = parse_fixed(text, kScaleE8);
  if (!e8.ok()) return e8.status().With("price");
  return price_ticks_from_e8(*e8);
}

Result<int64_t> Instrument::parse_qty_lots(std::string_view text) const {
  auto e8 = parse_fixed(text, kScaleE8);
  if (!e8.ok()) return e8.status().With("quantity");
  return qty_lots_from_e8(*e8);
}

std::string Instrument::format_price(int64_t price_ticks) const {
  return format_fixed(price_e8(price_ticks), kScaleE8, kScaleE8);
}

std::string Instrument::format_qty(int64_t qty_lots) const {
  return format_fixed(qty_e8(qty_lots), kScaleE8, kScaleE8);
}

int64_t Instrument::notional_e8(int64_t price_ticks, int64_t qty_lots) const {
  const __int128 p = static_cast<__int128>(price_ticks) * tick_e8;
  const __int128 q = static_cast<__int128>(qty_lots) * step_e8;
  return div_round_half_even(p * q, kOneE8);
}

int64_t fee_e8(int64_t amount_e8, int64_t fee_rate_e8) {
  KEEL_ASSERT(fee_rate_e8 >= 0);
  return div_ceil(static_cast<__int128>(amount_e8) * fee_rate_e8, kOneE8);
}

}  // namespace keel
