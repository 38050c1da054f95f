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
#include "keel/model/state.h"

namespace keel::strategy {

// The market as the engine last saw it. All prices in the task's ticks; 0 = unknown.
struct MarketView {
  int64_t best_bid_ticks = 0;
  int64_t best_ask_ticks = 0;
  int64_t last_trade_ticks = 0;
  int64_t ts_exchange_ns = 0;  // exchange time of the latest event (the virtual clock)
  bool ready() const { return best_bid_ticks > 0 && best_ask_ticks > 0 && last_trade_ticks > 0; }
};

// One intent a strategy wants journaled and sent.
struct IntentSpec {
  enum class Kind : unsigned char { kPlace, kCancel };
  Kind kind = Kind::kPlace;
  int64_t slot_key = 0;
  Side side = Side::kBuy;         // kPlace
  int64_t price_ticks = 0;        // kPlace
  int64_t qty_lots = 0;           // kPlace
  std::string client_order_id;    // kCancel: the order to cancel
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
// intents, with the folded state's version (State::last_seq: every journaled record advances
// it, so any change of the task's slots, orders or halt changes it); still_quiet() is true only
// when decide, a pure function of the view, the task state and the params, would return
// nothing again for this view and that same version. forget() after a decide that returned
// intents. One memo per task; a cache, never an input of decide.
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
};

}  // namespace keel::strategy
