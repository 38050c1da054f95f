// venue.h (private): the accounts, the replayed market view and the user-data fan-out of
// `keel sim`, independent of any transport.
//
// Concurrency: one mutex (lock()) guards everything mutable: every SimExchange (not
// thread-safe, sim.h), the market view, the order indexes and the event faults. Request handlers
// and the replay thread take it for the whole of one operation, so user-data events are
// published in the order they happened. Immutable after open (no lock): the instrument, the
// account configs and the key/name lookups.
// Clocks: order, trade and event times are each account's SimExchange clock (the recording's
// exchange time, sim.h); the wall clock is only for recvWindow checks and serverTime.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "keel/exchange/sim.h"
#include "keel/market/order_book.h"
#include "keel/simserver/accounts.h"
#include "keel/simserver/faults.h"

namespace keel::simserver {

struct VenueOptions {
  Instrument instrument;
  int64_t maker_fee_rate_e8 = 100'000;
  std::string state_dir;  // one SimExchange state per account in <state_dir>/<name>/
  std::vector<AccountConfig> accounts;
  FaultSpec faults;
  uint64_t seed = 1;
  // Who pays commissions (sim.h CommissionMode), the same for every account.
  exchange::sim::CommissionMode commission_mode = exchange::sim::CommissionMode::kQuote;
  std::string commission_asset;
  int64_t commission_asset_price_e8 = 0;
};

// Where market stream messages and user-data events go (the WebSocket hub). Called with the
// venue's lock held; implementations must not call back into the venue.
class Publisher {
 public:
  virtual ~Publisher() = default;
  // `stream`: the canonical stream name, e.g. "btcusdt@depth@100ms"; `payload`: its data JSON.
  virtual void publish_market(const std::string& stream,
                              const std::shared_ptr<const std::string>& payload) = 0;
  // `event`: an unwrapped user-data event of account `account`.
  virtual void publish_user(size_t account, const std::shared_ptr<const std::string>& event) = 0;
};

// The market as replayed so far: the depth book (diff-synced) and the last bookTicker.
struct MarketView {
  market::OrderBook book;
  market::BookTicker ticker;
  bool ticker_seen = false;
  uint64_t events = 0;  // recording events consumed
  bool ended = false;   // the recording was replayed to its end
  // Best bid/ask (price, qty at 10^-8): from the fresher of the ticker and the book (sim.h).
  market::BookTicker bbo() const;
};

struct VenueAccount {
  VenueAccount(AccountConfig c, std::unique_ptr<exchange::sim::SimExchange> s, EventFaults f)
      : cfg(std::move(c)), sim(std::move(s)), event_faults(f) {}
  AccountConfig cfg;
  std::unique_ptr<exchange::sim::SimExchange> sim;
  std::map<int64_t, std::string> client_of;  // order id -> client order id (every order)
  // order id -> creation time (ms). Orders created before this process started: their last
  // update time (the sim does not persist a creation time).
  std::map<int64_t, int64_t> created_ms;
  EventFaults event_faults;
  std::shared_ptr<const std::string> held;  // an event held back by a reorder fault
  std::deque<int64_t> order_wall_ms;        // successful new orders of the last day (wall ms)
  uint64_t cancel_seq = 0;                  // for generated cancel client ids
  // Cancel requests received (DELETE /api/v3/order, the cancel of cancelReplace), accepted or
  // refused, by the origClientOrderId they name (see count_cancel_request in rest_internal.h).
  // Process memory only: a restart starts from zero. One entry per order id named.
  std::map<std::string, int64_t> cancel_requests;
  // late=P:MS requests (faults.h) of this account: waiting, executed, expired unexecuted.
  int64_t late_pending = 0;
  int64_t late_executed = 0;
  int64_t late_expired = 0;
};

class Venue {
 public:
  // Opens (or creates) every account's state. Errors name the account.
  static Result<std::unique_ptr<Venue>> open(const VenueOptions& opts);

  void set_publisher(Publisher* p);  // before serving; nullptr: publish nowhere
  const Instrument& instrument() const { return opts_.instrument; }
  int64_t maker_fee_rate_e8() const { return opts_.maker_fee_rate_e8; }
  size_t account_count() const { return accounts_.size(); }
  const AccountConfig& config(size_t i) const { return accounts_[i]->cfg; }
  std::optional<size_t> find_by_key(std::string_view api_key) const;
  std::optional<size_t> find_by_name(std::string_view name) const;
  RequestFaults& request_faults() { return request_faults_; }

  std::unique_lock<std::mutex> lock() { return std::unique_lock<std::mutex>(mu_); }

  // --- REQUIRE lock() held ---------------------------------------------------------------------
  VenueAccount& account(size_t i) { return *accounts_[i]; }
  const MarketView& market() const { return market_; }
  int64_t now_ms(size_t i) const;
  // Publishes the account's new balanceUpdates and executionReports (a CANCELED one carries
  // cancel_client_id as its c), then one outboundAccountPosition of the assets they may have
  // changed (base and quote for orders; the commission asset too after a TRADE in kOther;
  // the asset of each balanceUpdate), each through the event faults.
  void drain(size_t i, const std::string& cancel_client_id = {});
  // POST /sim/v1/deposit: SimExchange::deposit on account i, then drain(i) (a balanceUpdate
  // and an outboundAccountPosition of the asset). Errors: SimExchange::deposit's.
  Result<exchange::BalanceUpdate> deposit(size_t i, const std::string& asset, int64_t delta_e8);
  const VenueOptions& options() const { return opts_; }
  // The order with this id (nullopt: never seen) and its creation time.
  std::optional<exchange::OrderReport> order_by_id(size_t i, int64_t order_id);
  int64_t created_ms(size_t i, const exchange::OrderReport& o) const;
  // Records a successful new order (wall ms) and returns the counts of the last 10 s and day.
  std::pair<int64_t, int64_t> count_order(size_t i, int64_t wall_ms);

  // --- replay (take the lock themselves) --------------------------------------------------------
  // The recording position to resume live replay from: the largest account position.
  uint64_t resume_position();
  // Event `index` (0-based) of the recording before live replay: accounts already past it
  // warm up (sim.h), the others consume it; nothing is published.
  Status catch_up(const market::MarketEvent& ev, uint64_t index);
  // The next live event: every account consumes it; its stream message and the accounts' events
  // are published.
  Status on_live(const market::MarketEvent& ev);
  // The recording ended: persisted in every account.
  Status end_recording();
  bool recording_ended();

 private:
  explicit Venue(VenueOptions opts);
  void apply_market(const market::MarketEvent& ev);
  void publish_market_event(const market::MarketEvent& ev);
  void emit_user(size_t i, std::shared_ptr<const std::string> event);
  void index_orders(VenueAccount& a);

  VenueOptions opts_;
  RequestFaults request_faults_;
  std::mutex mu_;
  std::vector<std::unique_ptr<VenueAccount>> accounts_;
  MarketView market_;
  Publisher* publisher_ = nullptr;
  std::string stream_prefix_;  // "btcusdt@"
};

}  // namespace keel::simserver
