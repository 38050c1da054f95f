// keel/strategy/strategy.h: what every strategy sees and returns (DESIGN.md "Strategies are
// pure"): decide(const MarketView&, const TaskState&, const Params&) -> intents. No sockets,
// clocks or journal; the same inputs always give the same intents. The engine knows strategies
// only through this interface; keel/strategy/registry.h names them and parses their params.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "keel/core/instrument.h"
#include "keel/market/bars.h"
#include "keel/market/order_book.h"
#include "keel/model/state.h"

namespace keel::strategy {

// The account's balances of the task's two assets as the journal knows them (R4's expected
// balance: the baseline plus every journaled fill, commission and balance change), 10^-8.
// `locked`: what keel's own working orders of every task on the account hold (buys: remaining
// quantity x price in quote; sells: remaining quantity in base); free = total - locked (never
// below zero). known = false before the account baseline (a fresh journal before its first
// reconciliation): then every amount is 0.
struct Balances {
  bool known = false;
  int64_t base_total_e8 = 0, quote_total_e8 = 0;
  int64_t base_locked_e8 = 0, quote_locked_e8 = 0;
  int64_t base_free_e8() const { return base_total_e8 > base_locked_e8 ? base_total_e8 - base_locked_e8 : 0; }
  int64_t quote_free_e8() const { return quote_total_e8 > quote_locked_e8 ? quote_total_e8 - quote_locked_e8 : 0; }
};

// The market as the engine last saw it. All prices in the task's ticks; 0 = unknown.
// book and bars are the engine's (valid for the duration of one decide call only; null in a
// view built without them, e.g. a unit test that needs neither): the local depth book, synced
// from the REST snapshot and the diff stream (market/order_book.h; book->synced() may be false
// after a gap), and the one-second mid bars (market/bars.h). balances are filled only for a
// strategy whose reads_balances() is true.
struct MarketView {
  int64_t best_bid_ticks = 0;
  int64_t best_ask_ticks = 0;
  int64_t last_trade_ticks = 0;
  int64_t ts_exchange_ns = 0;  // exchange time of the latest event (the virtual clock)
  int64_t ts_book_ns = 0;      // exchange time of the latest best bid/ask change (staleness)
  const market::OrderBook* book = nullptr;
  const market::MidBars* bars = nullptr;
  Balances balances;
  bool ready() const { return best_bid_ticks > 0 && best_ask_ticks > 0 && last_trade_ticks > 0; }
};

// One intent a strategy wants journaled and sent.
//  kPlace   a new post-only order of `side`, `price_ticks`, `qty_lots` in slot `slot_key`;
//  kCancel  cancel `client_order_id`;
//  kAmend   replace the open order `client_order_id` (of slot `slot_key`, same side) by one at
//           `price_ticks` / `qty_lots`: one request (binance-spot.md §4: cancelReplace, or
//           order.amend.keepPriority for a quantity decrease at the same price), journaled as
//           one AmendIntent; the replacement becomes the slot's current order. Only an open
//           order without a pending cancel or amend may be amended.
struct IntentSpec {
  enum class Kind : unsigned char { kPlace, kCancel, kAmend };
  Kind kind = Kind::kPlace;
  int64_t slot_key = 0;
  Side side = Side::kBuy;         // kPlace, kAmend
  int64_t price_ticks = 0;        // kPlace, kAmend
  int64_t qty_lots = 0;           // kPlace, kAmend
  std::string client_order_id;    // kCancel, kAmend: the order to cancel or replace
  std::string reason;             // audit text, journaled with the intent
};

// One order of a pre-trade check (keel validate): side, price in ticks, quantity in lots.
struct OrderSketch {
  Side side = Side::kBuy;
  int64_t price_ticks = 0;
  int64_t qty_lots = 0;
};

// Lets the engine skip a strategy's decide when it is certain to return nothing again (most
// market events change nothing a strategy reads). quiet() records a decide that returned no
// intents, with a version of the task state: the engine passes the seq of the newest record
// folded into that task (only its own records change its slots, orders or halt), or
// State::last_seq (every record advances it) when decide also reads the account's balances or
// a risk verdict does; any change of what decide reads besides the view changes it.
// still_quiet() is true only when decide, a pure function of the view, the task state and the
// params, would return nothing again for this view and that same version. forget() after a
// decide that returned intents. One memo per task; a cache, never an input of decide.
class DecisionMemo {
 public:
  virtual ~DecisionMemo() = default;
  virtual bool still_quiet(const MarketView& view, uint64_t state_seq) const = 0;
  virtual void quiet(const MarketView& view, const model::TaskState& task, uint64_t state_seq) = 0;
  virtual void forget() = 0;
};

// One task's strategy with its validated params. Immutable: one instance may serve any number
// of threads and engines.
class Strategy {
 public:
  virtual ~Strategy() = default;

  // The registry name ("grid"), journaled in TaskStarted.
  virtual const char* name() const = 0;

  // Appends this instant's intents to `out` (cancels first, then places), each with the slot
  // key it concerns and a reason for the audit trail. Nothing when the view is not ready or the
  // task is halted. Pure: same (view, task, params) -> same intents.
  virtual void decide(const MarketView& view, const model::TaskState& task,
                      std::vector<IntentSpec>& out) const = 0;

  // The slot an order of this task found on the venue but not in the journal belongs to
  // (OrderAdopted, model/state.h), from its side and price (ticks). Pure.
  virtual int64_t adopt_slot_key(Side side, int64_t price_ticks) const = 0;

  // The orders a fresh task (no position, no order yet) would have working at once at most
  // while the market trades at `price_ticks`: what pre-trade checks (keel validate) hold
  // against the minimum notional and the balances. Pure.
  virtual std::vector<OrderSketch> opening_orders(int64_t price_ticks) const = 0;

  // A memo for one task, or nullptr when the strategy cannot tell that its decision is
  // unchanged (the engine then calls decide on every event).
  virtual std::unique_ptr<DecisionMemo> new_memo() const { return nullptr; }

  // True when decide reads view.balances (the engine computes them only then).
  virtual bool reads_balances() const { return false; }
};

}  // namespace keel::strategy
