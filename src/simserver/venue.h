// venue.h (private): the accounts, the replayed market view and the user-data fan-out of
// `keel sim`, independent of any transport.
//
// Symbols: the venue serves every instrument of VenueOptions.instruments to every account (one
// SimExchange per account serving them all, sim.h "Several instruments"), with one market view
// and one set of streams per symbol; order ids are per symbol (Binance's), so the order
// indexes are keyed by (symbol, order id).
// Concurrency: one mutex (lock()) guards everything mutable: every SimExchange (not
// thread-safe, sim.h), the market views, the order indexes and the event faults. Request
// handlers and the replay thread take it for the whole of one operation, so user-data events
// are published in the order they happened. Immutable after open (no lock): the instruments,
// the account configs and the key/name lookups.
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
#include <string_view>
#include <utility>
#include <vector>

#include "keel/exchange/sim.h"
#include "keel/market/order_book.h"
#include "keel/simserver/accounts.h"
#include "keel/simserver/faults.h"

namespace keel::simserver {

struct VenueOptions {
  std::vector<Instrument> instruments;  // at least one; distinct symbols
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

// One symbol's market as replayed so far: the depth book (diff-synced) and the last
// bookTicker.
struct MarketView {
  market::OrderBook book;
  market::BookTicker ticker;
  bool ticker_seen = false;
  // Best bid/ask (price, qty at 10^-8): from the fresher of the ticker and the book (sim.h).
  market::BookTicker bbo() const;
};

// An order of an account: Binance numbers orders per symbol.
using OrderKey = std::pair<std::string, int64_t>;  // (symbol, order id)

struct VenueAccount {
  VenueAccount(AccountConfig c, std::unique_ptr<exchange::sim::SimExchange> s, EventFaults f)
      : cfg(std::move(c)), sim(std::move(s)), event_faults(f) {}
  AccountConfig cfg;
  std::unique_ptr<exchange::sim::SimExchange> sim;
  std::map<OrderKey, std::string> client_of;  // order -> client order id (every order)
  // order -> creation time (ms). Orders created before this process started: their last
  // update time (the sim does not persist a creation time).
  std::map<OrderKey, int64_t> created_ms;
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
  // Every served instrument, in the options' order (exchangeInfo's order).
  const std::vector<Instrument>& instruments() const { return opts_.instruments; }
  // The instrument of `symbol`; nullptr when it is not served.
  const Instrument* instrument(std::string_view symbol) const;
  int64_t maker_fee_rate_e8() const { return opts_.maker_fee_rate_e8; }
  size_t account_count() const { return accounts_.size(); }
  const AccountConfig& config(size_t i) const { return accounts_[i]->cfg; }
  std::optional<size_t> find_by_key(std::string_view api_key) const;
  std::optional<size_t> find_by_name(std::string_view name) const;
  RequestFaults& request_faults() { return request_faults_; }

  std::unique_lock<std::mutex> lock() { return std::unique_lock<std::mutex>(mu_); }

  // --- REQUIRE lock() held ---------------------------------------------------------------------
  VenueAccount& account(size_t i) { return *accounts_[i]; }
  // The market view of a served symbol (`instrument(symbol)` not null).
  const MarketView& market(std::string_view symbol) const;
  int64_t now_ms(size_t i) const;
  // Publishes the account's new balanceUpdates and executionReports (a CANCELED one carries
  // cancel_client_id as its c), then one outboundAccountPosition of the assets they may have
  // changed (base and quote of each order's symbol; the commission asset too after a TRADE in
  // kOther; the asset of each balanceUpdate), each through the event faults.
  void drain(size_t i, const std::string& cancel_client_id = {});
  // POST /sim/v1/deposit: SimExchange::deposit on account i, then drain(i) (a balanceUpdate
  // and an outboundAccountPosition of the asset). Errors: SimExchange::deposit's.
  Result<exchange::BalanceUpdate> deposit(size_t i, const std::string& asset, int64_t delta_e8);
  const VenueOptions& options() const { return opts_; }
  // The order of `symbol` with this id (nullopt: never seen, or a symbol not served) and its
  // creation time.
  std::optional<exchange::OrderReport> order_by_id(size_t i, const std::string& symbol,
                                                   int64_t order_id);
  int64_t created_ms(size_t i, const exchange::OrderReport& o) const;
  // Records a successful new order (wall ms) and returns the counts of the last 10 s and day.
  std::pair<int64_t, int64_t> count_order(size_t i, int64_t wall_ms);

  // --- replay (take the lock themselves) --------------------------------------------------------
  // The recording position to resume live replay from: the largest account position.
  uint64_t resume_position();
  // Event `index` (0-based) of the recording before live replay: accounts already past it
  // warm up (sim.h), the others consume it; nothing is published.
  Status catch_up(const market::MarketEvent& ev, uint64_t index);
  // The next live event: every account consumes it; its stream message (on its symbol's
  // streams, when the symbol is served) and the accounts' events are published.
  Status on_live(const market::MarketEvent& ev);
  // The recording ended: persisted in every account.
  Status end_recording();
  bool recording_ended();

 private:
  explicit Venue(VenueOptions opts);
  // The market view an event belongs to: its symbol's; a symbol-less event (a REST snapshot
  // not read through market::CaptureReader) the sole symbol's, if only one is served.
  MarketView* market_of(const market::MarketEvent& ev);
  void apply_market(const market::MarketEvent& ev);
  void publish_market_event(const market::MarketEvent& ev);
  void emit_user(size_t i, std::shared_ptr<const std::string> event);
  void index_orders(VenueAccount& a);

  VenueOptions opts_;
  RequestFaults request_faults_;
  std::mutex mu_;
  std::vector<std::unique_ptr<VenueAccount>> accounts_;
  std::vector<MarketView> markets_;  // one per instrument, same order
  Publisher* publisher_ = nullptr;
  std::vector<std::string> stream_prefixes_;  // "btcusdt@", one per instrument
};

}  // namespace keel::simserver
