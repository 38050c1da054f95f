// keel/simserver/faults.h: deterministic fault injection for `keel sim --faults SPEC --seed N`.
//
// SPEC grammar: a comma-separated list of key=value, no spaces:
//   reject=P              new orders (POST /api/v3/order) refused without effect:
//                         400 {"code":-2010,"msg":"Market is closed."} (errors.md, -2010 messages)
//   unknown_placed=P      a state-changing request (POST/DELETE order, cancelReplace, DELETE
//                         openOrders) takes effect, but the answer is a 5xx of unknown outcome
//   unknown_not_placed=P  the same 5xx answer, and the request has no effect
//                         5xx form (binance-spot.md §0), chosen by a separate draw, 50/50:
//                         500 {"code":-1006,"msg":"An unexpected response was received from the
//                         message bus. Execution status unknown."} or 503 {"code":-1007,"msg":
//                         "Timeout waiting for response from backend server. Send status unknown;
//                         execution status unknown."}
//   late=P:MS             a state-changing request (POST /api/v3/order, DELETE /api/v3/order,
//                         POST /api/v3/order/cancelReplace) is answered at once 503
//                         {"code":-1007,"msg":"Timeout waiting for response from backend
//                         server. Send status unknown; execution status unknown."} and
//                         executed MS milliseconds later (wall clock, 0..600000), whether or not
//                         a client is still connected -- unless the wall clock is then past the
//                         request's timestamp + recvWindow (default 5000): Binance re-checks
//                         recvWindow just before the matching engine, so such a request expires
//                         and never executes. Until it executes the venue has not seen it
//                         (GET /api/v3/order: -2013; openOrders: absent). Its user-data events
//                         then flow as any order's (through drop/dup/reorder). A pending late
//                         request lives in process memory: stopping `keel sim` drops it
//                         (it never executes, as if it had expired). DELETE /api/v3/openOrders
//                         drawn for it is executed at once, unfaulted.
//   rate_limit=P          any /api/v3 request answered 429 with Retry-After: 1 and -1003
//                         "Too much request weight used; current limit is 6000 request weight per
//                         1 MINUTE. Please use WebSocket Streams for live updates to avoid polling
//                         the API." (no effect)
//   drop=P | dup=P | reorder=P   each user-data event (executionReport, outboundAccountPosition)
//                         of an account is dropped, delivered twice, or held back and delivered
//                         after the account's next event (or at its next quiet step)
//   disconnect_every=D    every WebSocket connection is closed (going away) D after it opened;
//                         D is "60s", "500ms" or a number of seconds
//   latency_ms=N          N ms added before every REST request is processed (adds to --latency-ms)
// P is a probability in [0,1]; reject + unknown_placed + unknown_not_placed + late <= 1 and
// drop + dup + reorder <= 1. drop/dup/reorder act on the event stream alone: they need no
// disconnect (a dropped event is simply never sent; the order's state, myTrades and the truth
// still hold its change). Example: reject=0.05,unknown_placed=0.01,late=0.01:2000,drop=0.01,
// disconnect_every=60s.
// Determinism: every decision comes from splitmix64 streams seeded by --seed: one stream for
// requests (one draw per /api/v3 request whose parameters parse, for rate_limit, before the API
// key is checked; then two per state-changing request that passes its parameter checks, drawn
// whatever the probabilities: the first picks none/reject/unknown_placed/unknown_not_placed/
// late by cumulative probability in that order, the second the 5xx form; a late request draws
// nothing more, at receipt or at execution), one per account for its user-data events (one
// draw per event, whenever it is emitted, a late request's included). The same seed and the
// same sequence of requests and events give the same faults; adding late=... to a spec leaves
// the other decisions of the same seed unchanged.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "keel/core/status.h"

namespace keel::simserver {

struct FaultSpec {
  double reject = 0;
  double unknown_placed = 0;
  double unknown_not_placed = 0;
  double rate_limit = 0;
  double drop = 0;
  double dup = 0;
  double reorder = 0;
  double late = 0;
  int64_t late_ms = 0;              // delay of a late request's execution (wall ms)
  int64_t disconnect_every_ms = 0;  // 0: never
  int64_t latency_ms = 0;
};

// Parses SPEC (grammar above); "" gives no faults. Errors (kInvalidArgument) name the item:
// "faults: 'rejec=0.1': unknown key 'rejec'".
Result<FaultSpec> parse_fault_spec(std::string_view spec);
// Canonical text of a spec (the keys that are set), "none" when nothing is set.
std::string describe_faults(const FaultSpec& spec);
// The grammar in a few lines, for --help.
extern const char* const kFaultSpecHelp;

// splitmix64 (Steele, Lea, Flood 2014): tiny, fast, good enough for fault decisions.
class FaultRng {
 public:
  explicit FaultRng(uint64_t seed) : state_(seed) {}
  uint64_t next();
  double uniform();  // [0, 1), 53 bits
 private:
  uint64_t state_;
};

// A seed for a named stream: seed mixed with the FNV-1a hash of `stream`.
uint64_t stream_seed(uint64_t seed, std::string_view stream);

enum class OrderFault : unsigned char {
  kNone,
  kReject,
  kUnknownExecuted,
  kUnknownNotExecuted,
  kLate,  // answered 503/-1007 now, executed FaultSpec::late_ms later (if still in recvWindow)
};

// Request-side decisions, thread-safe (one mutex); deterministic in call order.
class RequestFaults {
 public:
  RequestFaults(const FaultSpec& spec, uint64_t seed);
  // One draw: answer this /api/v3 request with 429?
  bool draw_rate_limit();
  // Two draws: the fault of a state-changing request. `can_reject` false (cancels) turns a
  // reject into kNone; `can_delay` false (DELETE openOrders) turns kLate into kNone.
  // `as_timeout` receives the 5xx form: true -> 503/-1007, false -> 500/-1006 (a late request
  // is always answered 503/-1007).
  OrderFault draw_order(bool can_reject, bool& as_timeout, bool can_delay = true);
  int64_t late_ms() const { return spec_.late_ms; }

 private:
  FaultSpec spec_;
  std::mutex mu_;
  FaultRng rng_;
};

enum class EventFault : unsigned char { kDeliver, kDrop, kDuplicate, kReorder };

// One account's user-data event decisions (not thread-safe: used under the venue's lock).
class EventFaults {
 public:
  EventFaults(const FaultSpec& spec, uint64_t seed) : spec_(spec), rng_(seed) {}
  EventFault draw();

 private:
  FaultSpec spec_;
  FaultRng rng_;
};

}  // namespace keel::simserver
