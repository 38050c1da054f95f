// keel/exchange/sim.h: the simulated exchange (matching engine over recorded market data).
//
// Plays the venue for one account and one or more instruments (SimOptions.instruments; several
// accounts are several SimExchanges fed the same recording):
//  - LIMIT_MAKER only (post-only, GTC). A BUY at price >= best ask, or a SELL at price <= best
//    bid, is rejected: 400, -2010 "Order would immediately match and take." (binance-spot.md §8).
//  - Filters: PRICE_FILTER (tick), LOT_SIZE (step, minQty), NOTIONAL (minNotional):
//    400, -1013 "Filter failure: <NAME>". Insufficient balance: 400, -2010
//    "Account has insufficient balance for requested action.". Duplicate open client id: 400,
//    -2010 "Duplicate order sent.". Unknown order on cancel: 400, -2011 "Unknown order sent.";
//    on query: 400, -2013 "Order does not exist.".
//  - Queue-position model (hftbacktest's risk-averse queue model): an order joins the back of its
//    price level: queue_ahead = the book's quantity at that price when it is placed. A trade at
//    the order's price on the order's side (a BUY rests on bids: trades with buyer_is_maker=true)
//    consumes queue_ahead first, then fills the order; a depth update that shrinks the level
//    below queue_ahead clips queue_ahead to the new quantity; a trade *through* the price
//    (below a BUY, above a SELL) fills the order's whole remaining quantity at the order's price.
//    Fills are maker fills at the order's limit price.
//  - Fees: maker fee rate applied to the fill's notional; the asset that pays it is
//    SimOptions.commission_mode (CommissionMode below). kQuote (the default) charges every
//    commission in the QUOTE asset, rounded up (instrument.h): simpler than Binance, which
//    charges a BUY's commission in the base asset unless paid in BNB (kBase, kOther).
//  - Balances: a BUY locks its notional of quote (plus its maker fee in kQuote, below), a SELL
//    locks its quantity of base; fills and cancels release locks. Trade ids and order ids are
//    the exchange's own counters from 1, per symbol (below).
//  - Persistence: every state change (an order placed, filled, canceled; a balance; a
//    queue_ahead; the trades, deposits and counters) is written to the sim's own RocksDB
//    directory in one WriteBatch per change, with the replay position and clock, before the call returns; so is
//    the position of a request answered without a change (a rejection). A market event that
//    changes nothing else (most of them) writes no batch: its position and clock go to the
//    position cell, a record in a file mapped into memory (a few stores, no system call;
//    details in sim_store.h), so a process killed at any instant restarts with the exchange exactly as
//    it left it, position included. User-data events in flight are not persisted (as a real
//    venue's stream is not).
//    Why the cell is an optimisation, not a requirement: when it is unusable (a kill in the
//    middle of its stores, the file lost), the sim reopens at the position of its last
//    RocksDB write instead and re-consumes the events after it. Those events changed nothing
//    but the position and the clock then, and no request was answered after them (an answered
//    request writes the position), so replayed from the same stored state over the same
//    market view (warm_up rebuilds it) they change nothing again: replay is deterministic. The
//    engine re-reads the recording up to position(), reconciles, decides once (decide_all),
//    then sees the re-consumed events again; it journaled nothing in between that the venue
//    saw (every request it sent was answered, so persisted), only intents that never left,
//    which reconciliation resolves as never received. Deciding again over those instants gives
//    the decisions of an uninterrupted run (see Engine::decide_all; deciding twice on one
//    instant is a no-op).
//  - Determinism: no clock, no randomness; time is the recording's exchange time. The same
//    events and requests in the same order give the same results.
//  - Several instruments (issue 10 item 3): one market view (book, BBO), one queue model and
//    one set of orders per symbol; one account, so the balances are shared across symbols (a
//    BTCUSDT BUY and an ETHUSDT BUY lock the same USDT). Every call answers per symbol as
//    Binance does: -1121 "Invalid symbol." for a symbol not served; order ids and trade ids
//    count from 1 per symbol (Binance's orderId and trade id are per symbol, so order 1 of
//    BTCUSDT and order 1 of ETHUSDT are different orders); client order ids are unique among
//    the open orders of one symbol; queries, openOrders, allOrders and myTrades list one
//    symbol. A market event belongs to the instrument of its symbol; an event without a
//    symbol (a REST snapshot not read through market::CaptureReader, which names it) belongs
//    to the sole instrument when there is one, to none otherwise. An event of a symbol not
//    served counts towards position() and changes nothing (the clock included). The virtual
//    clock is the largest exchange time of any served symbol's events.
//    Stored state: the served symbols (checked on reopen: every stored symbol must still be
//    served; symbols added since are recorded; kInvalidArgument otherwise), orders and trades
//    under one account-wide sequence (sim_codec.h), so a state written by a single-instrument
//    sim opens unchanged (it is a state of one symbol).
//
// Model details (stated once, here):
//  - BBO for the post-only check: spot bookTicker `u` and depth `u` count the same update
//    sequence, so the sim uses whichever of the last bookTicker and the synced depth book has the
//    larger update id (in practice the real-time bookTicker). Our own resting orders count too:
//    a BUY at or above our own open SELL is rejected like one crossing the market's ask.
//  - Level quantity (queue_ahead at placement, clipping afterwards): a price better than the
//    fresher bookTicker's best holds 0, its best price holds the ticker's quantity, deeper prices
//    the depth book's. When neither source knows the level (book unsynced, price off the ticker)
//    queue_ahead starts at 0 and is not clipped. Clipping only ever lowers queue_ahead.
//  - Trades fill only orders on the side they hit (buyer_is_maker=true -> BUYs), including trades
//    through the price (hftbacktest's rule). Our orders at one price share a trade's quantity in
//    order-id order, so one trade never fills more than it printed at that price; a trade through
//    the price fills every such order's whole remainder. Prices are compared at 10^-8, so an
//    off-tick recorded price only matches as "through" or not at all.
//  - Balances: in kQuote a BUY locks its notional PLUS its maximum maker fee (fee_e8 of the
//    notional) in quote, so a fill can always pay its fee; what is left is released on fill-out
//    or cancel. Insufficient balance therefore means free < notional + fee for a BUY, free base <
//    qty for a SELL. Rounding each fill's fee up can exceed the locked fee by 10^-8 per extra
//    fill, taken from free quote. In kBase and kOther a BUY locks only its notional (its fee is
//    taken from what the fill receives, or from the commission asset's free balance), as
//    Binance does. Per-fill notionals are rounded half-to-even, so the fills of one order can
//    cost 10^-8 more than its lock: taken from free quote. Check order: symbol (-1121), client
//    id (-1100), PRICE_FILTER, LOT_SIZE, NOTIONAL (-1013), duplicate open id, balance,
//    post-only (-2010).
//  - Commission per fill (TradeReport.commission_e8 / commission_asset, the executionReport's
//    n / N, myTrades' commission / commissionAsset, all the same numbers):
//      kQuote  fee_e8(notional) in quote (BUY: paid with the notional from the lock; SELL:
//              deducted from the proceeds);
//      kBase   BUY: fee_e8(qty_e8) = ceil(qty x rate) in base, deducted from the base received;
//              SELL: fee_e8(notional) in quote, deducted from the proceeds;
//      kOther  ceil(notional x rate / commission_asset_price) at 10^-8 in commission_asset, taken
//              from its FREE balance; when that balance is short (or the asset absent), the
//              fill pays as kBase instead (in the asset it receives: base for a BUY, quote for
//              a SELL), as Binance does when the BNB balance cannot pay. Decided per fill, on
//              the free balance at that instant.
//    The mode is an option, not state: a state written in one mode reopens in another; past
//    trades keep their commission, orders keep the lock they were placed with (a fee the lock
//    does not cover comes from free quote), new fills pay as the current mode says.
//  - Deposits (deposit(), test-only like SimTruth): a signed change of one asset's free balance,
//    persisted with its record, queued as a BalanceUpdate (poll_balance_updates) and listed in
//    SimTruth.deposits. A withdrawal beyond the free balance is refused.
//  - Filter maxima (any symbol): price and quantity at most 10^9 units, notional at most 10^10
//    quote; beyond them PRICE_FILTER / LOT_SIZE / NOTIONAL as for the minima.
//  - Not thread-safe: one caller at a time (the embedded runner, or a server's strand).
//  - An empty client_order_id gets "sim-<order id>" (Binance generates one when none is sent).
//  - amend_keep_priority (order.amend.keepPriority): an open order's quantity is reduced to
//    new_qty_lots, its place in the queue, price, order id and client id kept; the funds its
//    removed quantity locked are released; an executionReport REPLACED follows. Refused like
//    Binance: -2013 for an order not open, -2038 for an increase or no change, -1013 for a
//    quantity not above the executed one. (The sim does not count MAX_NUM_ORDER_AMENDS.)
//  - cancel_replace: when the cancel fails, cancel_outcome and place_outcome are kRejected (the
//    place is NOT_ATTEMPTED) and error is the cancel's own error (400, -2011 "Unknown order
//    sent."), i.e. Binance's data.cancelResponse; when only the place fails, error is the
//    place's code and msg (data.newOrderResponse) with http_status 409 (Binance's -2021 partial
//    failure). Both halves are one WriteBatch.
//  - Errors of the Result-returning calls carry Binance's error body as the Status message, e.g.
//    kNotFound {"code":-2013,"msg":"Order does not exist."}, kRejected {"code":-1121,...} for
//    a symbol not served. query_order by client id returns the symbol's newest order with that
//    id.
//    trades_from returns every trade from the id on (no 1000-row page limit).
//  - Durability: WriteOptions::sync=false: the RocksDB WAL is written before each call returns
//    (the position cell is in the page cache as soon as it is stored), so the state survives
//    kill -9 of the process (not a power loss of the machine).
//  - A state write that fails stops the sim for good: place/cancel return kUnknown (500, -1006),
//    everything else kIOError.
//  - executionReports and balance updates wait in bounded queues (10^6 each; the oldest are
//    dropped beyond it).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "keel/core/instrument.h"
#include "keel/core/status.h"
#include "keel/exchange/exchange.h"
#include "keel/market/events.h"

namespace keel::exchange::sim {

// Which asset pays a fill's maker commission (`keel sim --commission-asset`, config
// exchange.commission_asset). The commission's value is always maker_fee_rate x notional.
//   kQuote  every commission in the quote asset (the default; what the sim always did);
//   kBase   Binance's default without BNB: in the asset the fill receives -- a BUY pays in the
//           base asset (qty x rate, rounded up at 10^-8), a SELL in the quote asset;
//   kOther  every commission in `commission_asset` (e.g. BNB), the quote value converted at
//           `commission_asset_price_e8` quote per unit, rounded up at 10^-8.
enum class CommissionMode : unsigned char { kQuote = 0, kBase = 1, kOther = 2 };

struct SimOptions {
  // The instruments served. `instrument` alone is the one-instrument case (what every
  // single-symbol caller sets); `instruments` lists any number, in order (exchangeInfo's
  // order). When both are set, `instrument` must equal instruments[0]. open() fills in both:
  // options() has instruments = the list and instrument = its first.
  Instrument instrument;
  int64_t maker_fee_rate_e8 = 100'000;  // 0.001 = 10 bps (Binance VIP0 spot maker)
  Balances initial_balances;            // used only when the state directory is new
  std::string state_dir;                // RocksDB directory of the sim's state
  std::string account = "default";
  CommissionMode commission_mode = CommissionMode::kQuote;
  std::string commission_asset;           // kOther only, e.g. "BNB"
  int64_t commission_asset_price_e8 = 0;  // kOther only: quote per unit of commission_asset, > 0
  std::vector<Instrument> instruments;    // see `instrument`; symbols distinct, no ','
};

// Parses the commission setting of `keel sim --commission-asset` and of the config's
// exchange.commission_asset: "quote" -> kQuote, "base" -> kBase, "ASSET:PRICE" -> kOther with
// ASSET ([A-Z0-9]{1,20}, e.g. "BNB") and PRICE (a decimal > 0 with at most 8 fraction digits:
// quote per unit of ASSET, e.g. "BNB:600"). Sets the three commission fields of `out` (asset
// and price cleared unless kOther). Errors: kInvalidArgument naming the text.
// (SimExchange::open also refuses an ASSET equal to any instrument's base or quote: use
// "base" / "quote" for those.)
Status parse_commission_asset(std::string_view text, SimOptions& out);

// Ground truth for tests and inspection.
struct SimTruth {
  std::vector<OrderReport> orders;  // every order ever accepted, in order (every symbol)
  std::vector<TradeReport> trades;  // every trade, in order (every symbol)
  std::vector<BalanceUpdate> deposits;  // every deposit/withdrawal (deposit()), in order
  Balances balances;
  uint64_t position = 0;            // market events consumed
};

class SimExchange final : public Exchange {
 public:
  // Opens or creates the state in options.state_dir. Errors: kIOError, kCorruption;
  // kInvalidArgument for bad options (an instrument unset or listed twice, `instrument` besides
  // `instruments` but not its first, fee rate, kOther without an asset, with a base or quote
  // asset, or with a price <= 0) and for a state of another account or holding a symbol not
  // served.
  static Result<std::unique_ptr<SimExchange>> open(SimOptions options);
  ~SimExchange() override;

  // Market replay. position() is the number of events consumed since the state was created
  // (after a reopen: the persisted position, see "Persistence"; callers re-read exactly that
  // many events through warm_up); on_market consumes the next one: updates the sim's book and
  // BBO, matches resting orders, queues executionReports, persists, and advances position by
  // one.
  // Events of a symbol not served count towards position but change nothing else.
  // Errors: kInvalidArgument while warm_up is incomplete; kIOError when the state write failed.
  uint64_t position() const;
  Status on_market(const market::MarketEvent& ev);

  // Rebuilds the market view (depth book, bookTicker BBO) after a reopen: no matching, no
  // persistence, no clock change (those are in the stored state).
  // REQUIRES: called for exactly the first position() events of the recording, in order, right
  // after open and before any on_market. A fresh state (position() == 0) needs no warm-up.
  // Errors: kInvalidArgument when called more than position() times.
  Status warm_up(const market::MarketEvent& ev);
  // Exchange time of the last consumed event (ns): the sim's virtual clock.
  int64_t now_ns() const;

  // Marks the recording as fully consumed (persisted) / asks whether it was.
  Status mark_recording_ended();
  bool recording_ended() const;

  // Exchange interface (see exchange.h).
  PlaceResult place(const OrderRequest& req) override;
  CancelResult cancel(const std::string& symbol, const std::string& client_order_id,
                      RequestStamp stamp = {}) override;
  ReplaceResult cancel_replace(const std::string& cancel_client_order_id,
                               const OrderRequest& replacement) override;
  // Every symbol: amend of a symbol not served is refused by amend_keep_priority itself (-1121).
  bool amend_allowed(const std::string& symbol) const override {
    (void)symbol;
    return true;
  }
  AmendResult amend_keep_priority(const std::string& symbol, const std::string& client_order_id,
                                  int64_t new_qty_lots, RequestStamp stamp = {}) override;
  Result<OrderReport> query_order(const std::string& symbol,
                                  const std::string& client_order_id) override;
  Result<std::vector<OrderReport>> open_orders(const std::string& symbol) override;
  Result<TradePage> trades_from(const std::string& symbol, int64_t from_trade_id,
                                size_t max_trades) override;
  Result<std::optional<TradeReport>> latest_trade(const std::string& symbol) override;
  Result<std::vector<OrderReport>> orders_from(const std::string& symbol, int64_t from_order_id,
                                               size_t max_orders) override;
  int64_t venue_time_ms() const override;  // now_ns() / 10^6
  bool answers_synchronously() const override { return true; }  // in-process, no late execution
  bool in_process() const override { return true; }
  Result<std::vector<TradeReport>> order_trades(const std::string& symbol,
                                                int64_t order_id) override;
  Result<Balances> balances() override;
  void poll_user_events(std::vector<ExecutionReport>& out) override;
  // The deposits and withdrawals made since the last call (deposit()), in order.
  void poll_balance_updates(std::vector<BalanceUpdate>& out) override;

  // Test-only (like `keel sim`'s POST /sim/v1/deposit): adds delta_e8 (10^-8, signed: < 0 is a
  // withdrawal) to `asset`'s FREE balance, at the sim's clock (event and clear time = now_ns()
  // in ms). The change and its record are persisted in one batch before the call returns; the
  // BalanceUpdate is queued for poll_balance_updates and returned.
  // Errors: kInvalidArgument (asset not [A-Z0-9]{1,20}; delta 0), kRejected with the body
  // {"code":-2010,"msg":"Account has insufficient balance for requested action."} when a
  // withdrawal exceeds the free balance (nothing changes), kIOError (the write failed: the sim
  // stops, as for any write).
  Result<BalanceUpdate> deposit(const std::string& asset, int64_t delta_e8);

  // The options it was opened with (the commission mode among them).
  const SimOptions& options() const;

  SimTruth truth() const;

 private:
  struct Impl;
  explicit SimExchange(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace keel::exchange::sim
