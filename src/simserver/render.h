// render.h (private): the Binance JSON shapes `keel sim` sends (reference/binance-spot.md).
//
// Decimals are 8-decimal strings ("61837.63000000"), ids and times JSON integers, times in ms.
// Every order is a LIMIT_MAKER (timeInForce GTC) and every fill a maker fill at the order's price
// (sim.h), so cummulativeQuoteQty = price * executedQty rounded half-to-even (instrument.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "json.h"
#include "keel/core/instrument.h"
#include "keel/exchange/exchange.h"
#include "keel/market/events.h"
#include "keel/simserver/params.h"

namespace keel::simserver {

std::string e8_string(int64_t v);  // format_fixed(v, 8, 8)
int64_t ns_to_ms(int64_t ns);

// {"code":..,"msg":".."}
std::string error_body(const ApiError& e);
void write_error(JsonWriter& w, const ApiError& e);

// GET /api/v3/order, openOrders element (§5).
void write_order(JsonWriter& w, const Instrument& ins, const exchange::OrderReport& o,
                 int64_t created_ms);

enum class RespType : unsigned char { kAck, kResult, kFull };
// POST /api/v3/order response (§4): ACK, RESULT or FULL (fills: always [] for a maker order).
void write_new_order(JsonWriter& w, const Instrument& ins, const exchange::OrderReport& o,
                     RespType type, int64_t transact_ms);
// DELETE /api/v3/order response (§4): clientOrderId is the cancel's id, origClientOrderId the
// order's.
// PUT /api/v3/order/amend/keepPriority's body (binance-spot.md §4): amendedOrder with `qty`
// and `cumulativeQuoteQty` (one m), as Binance names them there.
void write_amend(JsonWriter& w, const Instrument& ins, const exchange::OrderReport& o,
                 int64_t transact_ms);
void write_cancel(JsonWriter& w, const Instrument& ins, const exchange::OrderReport& o,
                  std::string_view cancel_client_id, int64_t transact_ms);
// GET /api/v3/myTrades element (§5).
void write_trade(JsonWriter& w, const Instrument& ins, const exchange::TradeReport& t);

// executionReport (§6), unwrapped. `cancel_client_id` is c of a CANCELED event (C is then the
// order's own id); execution ids are derived from persisted ids so they stay unique across
// restarts: NEW 3*orderId, CANCELED/EXPIRED/other 3*orderId+1, TRADE 3*tradeId+2.
struct ExecContext {
  int64_t event_ms = 0;
  int64_t created_ms = 0;
  std::string cancel_client_id;
};
std::string render_execution_report(const Instrument& ins, const exchange::ExecutionReport& r,
                                    const ExecContext& ctx);
// outboundAccountPosition (§6) listing `assets` in that order (an asset absent from `b` as 0).
std::string render_account_position(const std::vector<std::string>& assets,
                                    const exchange::Balances& b, int64_t event_ms);
// balanceUpdate (§6): {"e":"balanceUpdate","E":event_ms,"a":ASSET,"d":"DELTA","T":clear ms},
// DELTA signed with 8 decimals ("-5.00000000" for a withdrawal).
std::string render_balance_update(const exchange::BalanceUpdate& u, int64_t event_ms);

// Market stream payloads (§7) re-encoded from the decoded recording (same fields and values;
// decimals at 8 places). trade: E is the recorded T (the decoder keeps only T).
std::string render_depth_update(const market::DepthDiff& d, std::string_view symbol);
std::string render_book_ticker(const market::BookTicker& t, std::string_view symbol);
std::string render_trade_event(const market::Trade& t, std::string_view symbol);

}  // namespace keel::simserver
