// session.h (private to keel_engine): one account's request session, a worker thread that sends
// the requests of journaled intents (W1: the intents are durable before they are handed over)
// in the order given, and hands each answer back to the engine thread as an event, which the
// engine journals before it changes state (W2). Used for venues that answer over a network
// (Exchange::in_process() false): a slow or stalled account then delays only its own
// requests, never the engine's loop or another account's (issue 10 item 3). The embedded
// simulated exchange answers in-process and is called directly (lock-step determinism).
// Thread-safe: submit/poll/idle from the engine thread, the worker calls the venue (the Binance
// connector serialises concurrent calls with its own lock: binance.h "Threads").
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "keel/exchange/exchange.h"
#include "keel/journal/record.h"

namespace keel::engine {

// The venue's answer to the request one intent describes.
using VenueAnswer = std::variant<exchange::PlaceResult, exchange::CancelResult,
                                 exchange::AmendResult, exchange::ReplaceResult>;

struct Answer {
  journal::Record intent;  // the journaled PlaceIntent, CancelIntent or AmendIntent
  VenueAnswer result;
};

// Sends the request `intent` describes on `venue` (symbol: its task's), with the timestamp and
// recvWindow journaled in it (R1), between the failpoints engine.request.before_send and
// engine.request.after_response. REQUIRES: intent holds a Place, Cancel or AmendIntent.
VenueAnswer send_request(exchange::Exchange& venue, const std::string& symbol,
                         const journal::Record& intent);

class Session {
 public:
  explicit Session(exchange::Exchange& venue);
  ~Session();  // sends what was submitted, then stops
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void submit(const std::string& symbol, const journal::Record& intent);
  // Moves the answers received since the last call into `out` (appends), in sending order.
  void poll(std::vector<Answer>& out);
  // Waits until every submitted request is answered, at most `timeout_ms`; true when idle.
  bool wait_idle(int64_t timeout_ms);
  // Requests submitted whose answers have not been polled yet.
  size_t outstanding() const;
  // Drops every request not sent yet (W4: after a failed journal write nothing more leaves but
  // cancels; the dropped intents are journaled, so the next start settles them as unsent, R1).
  void abandon();

 private:
  void run();

  exchange::Exchange& venue_;
  mutable std::mutex mu_;
  std::condition_variable work_cv_, idle_cv_;
  std::deque<std::pair<std::string, journal::Record>> queue_;  // (symbol, intent)
  std::vector<Answer> done_;
  size_t sending_ = 0;
  bool stop_ = false;
  std::thread worker_;
};

}  // namespace keel::engine
