// rest.h (private): the REST API of `keel sim` (reference/binance-spot.md §0-§6), transport-free.
//
// handle_rest() answers one HTTP request: routing, parameters, API key and signature checks
// (§1), request faults (faults.h), the endpoint, and the headers every answer carries
// (X-MBX-USED-WEIGHT-1M; X-MBX-ORDER-COUNT-10S/-1D on successful new orders; Retry-After on
// 429). Never throws.
//
// Endpoints (security: N none, K API key only, S signed):
//   GET  /api/v3/ping, /api/v3/time, /api/v3/exchangeInfo, /api/v3/depth,
//        /api/v3/ticker/bookTicker                                        N
//   GET  /api/v3/account, /api/v3/order, /api/v3/openOrders, /api/v3/myTrades,
//        /api/v3/allOrders                                                       S
//   POST /api/v3/order, /api/v3/order/cancelReplace; DELETE /api/v3/order,
//        /api/v3/openOrders; PUT /api/v3/order/amend/keepPriority               S
//   POST/PUT/DELETE /api/v3/userDataStream                                        K
//   GET  /sim/v1/truth?account=NAME (test-only ground truth)                      N
//   POST /sim/v1/pause, /sim/v1/resume, /sim/v1/deposit (test-only controls)      N
// Model (sim.h): orders are LIMIT_MAKER (GTC); exchangeInfo also lists LIMIT because ccxt checks
// it before sending postOnly as LIMIT_MAKER, but a LIMIT order is refused (-1014), as are
// MARKET/STOP/TAKE_PROFIT (-2010 "... orders are not supported for this symbol.").
// amend/keepPriority reduces an open order's quantity in place (amendAllowed=true; the client
// order id is kept). Order, trade and transact times are the sim's clock (the recording's exchange
// time); serverTime and the recvWindow check use the wall clock. Unknown paths: 404 -1020.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "keel/core/clock.h"
#include "late.h"
#include "listen_keys.h"
#include "venue.h"

namespace keel::simserver {

struct RestRequest {
  std::string method;  // "GET", "POST", "PUT", "DELETE", ...
  std::string target;  // path and query as received, e.g. "/api/v3/depth?symbol=BTCUSDT"
  bool has_api_key = false;
  std::string api_key;  // X-MBX-APIKEY
  std::string body;     // x-www-form-urlencoded (POST/PUT/DELETE)
};

struct RestReply {
  int status = 200;
  std::string body;  // JSON
  std::vector<std::pair<std::string, std::string>> headers;
};

// REQUEST_WEIGHT used in the current wall-clock minute (all clients: one loopback IP).
class WeightMeter {
 public:
  int64_t add(int64_t weight, int64_t wall_ms);

 private:
  std::mutex mu_;
  int64_t minute_ = -1;
  int64_t used_ = 0;
};

// The market replay as the test-only control endpoints see it (POST /sim/v1/pause, /resume).
class MarketControl {
 public:
  virtual ~MarketControl() = default;
  virtual void set_paused(bool paused) = 0;
  virtual bool paused() const = 0;
  virtual uint64_t position() const = 0;  // events applied so far
};

struct RestContext {
  Venue& venue;
  ListenKeys& listen_keys;
  WeightMeter& weight;
  const Clock& clock;
  MarketControl* market = nullptr;  // null: the control endpoints answer 503
  LateQueue* late = nullptr;        // null: a late request is answered but never executes
};

RestReply handle_rest(RestContext& ctx, const RestRequest& req);

}  // namespace keel::simserver
