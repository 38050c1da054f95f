// keel/market/decode.h: decoders for recorded and live Binance market data. No sockets.
//
// Sources: reference/binance-spot.md §3 (REST depth), §7 (streams); data/README.md (captures).
#pragma once

#include <string_view>

#include "keel/core/status.h"
#include "keel/market/events.h"

namespace keel::market {

// One combined-stream message {"stream":"btcusdt@depth@100ms","data":{...}} or a bare REST depth
// snapshot {"lastUpdateId":..,"bids":..,"asks":..}. Streams understood: depthUpdate (spot and
// USD-M, with pu), bookTicker (spot: no e/E), trade, aggTrade. Other streams (kline...) give
// kNotFound ("stream not handled: <name>") so callers can skip them.
// Errors: kInvalidArgument naming the field at fault ("data.b[3][0]: '...' is not a decimal").
// `ts_recv_ns` is copied into the event.
Result<MarketEvent> decode_message(std::string_view json, int64_t ts_recv_ns);

// One line of an hftbacktest capture: "<recv_ns> <json>" (data/README.md, binance/).
Result<MarketEvent> decode_capture_line(std::string_view line);

// As decode_message / decode_capture_line, into `out`, reusing its memory: a depth event's
// level vectors keep their capacity (also across events of other kinds, through a per-thread
// spare), and the symbol string its buffer, so decoding in steady state allocates nothing.
// Every field of `out` is set on success. On an error (any code, kNotFound included) `out` is
// left in a valid but unspecified state: do not use its contents.
Status decode_message_into(std::string_view json, int64_t ts_recv_ns, MarketEvent& out);
Status decode_capture_line_into(std::string_view line, MarketEvent& out);

}  // namespace keel::market
