// keel/strategy/top_of_book.h: the fee-aware top-of-book maker of seed 000
// (../shared/seeds/000_6ace662a8bd19b79.txt): one post-only GTC buy below the best ask, paired
// with a sell of the same size, paused by an exposure cap and a minimum quote balance.
//
// Units: prices in ticks, quantities in lots, amounts (quote, base) at 10^-8 (e8), fractions of
// price at 10^-8 (0.001 = 100'000). No double anywhere: every formula is an integer rational,
// rounded as stated (floor a buy, ceil a sell: never cross our own edge).
//
// The seed's steps, run in this order on every decide (the engine decides on every trigger the
// seed names: a book update, an order event, a balance change):
//  Step 1 "Fetch": best_bid, best_ask (view), maker_fee (param), asset_balance = the task's
//    position (TaskState::position.base_e8), usd_balance = the account's free quote
//    (view.balances.quote_free_e8()), exposure_value = asset_balance * best_bid.
//  Step 2 "Exposure & Balance Checks": exposure_value >= max_exposure or usd_balance <
//    min_usd_balance -> pause: cancel every open buy of the task, ensure a sell for all held
//    base at or above best_ask, stop.
//  Step 3 "Buy Order Management": count the task's open buys (every working buy in
//    TaskState::orders without a pending cancel: the buy slot's order, adopted and stray ones;
//    one in flight or whose cancel was refused counts, R1; one being cancelled -- by a cancel or
//    the cancel half of an amend in progress -- does not, as it cannot stay on the book).
//    >1: cancel all open buys, stop. 0: sell first, then the buy at the required price.
//    1: amend it (IntentSpec::kAmend) when its price differs from the required price.
//  Order events: a filled buy is no longer open, so the next decide is the "0 open buys" case;
//    a sell fill, a cancel or an expiry changes nothing but the state the full flow reads.
//  Maintenance rules on every place/amend: profitability guard, post-only safety, no duplicate
//    at one price, balance monitoring; every intent's reason names the rule and the numbers.
//
// Formulas (r = required spread = 2 * maker_fee + 0.0001, a fraction of price; README of the
// seeds: the seed's "best_ask - (2*maker_fee + 0.0001)" is a fraction, as its own guard shows):
//   buy price  = best_bid                                  when maker_fee == 0
//              = floor(best_ask * (1 - r))                 when maker_fee > 0
//   spread     = (sell - buy) / sell, the buy measured against the pair's sell (best_ask)
//   sell price = max(best_ask, ceil(avg_cost / (1 - r)))   avg_cost = position cost / base
//
// Readings of the seed for Binance Spot (a trader's expectation; each one is tested):
//  * Spot cannot go short: "Place SELL ORDER first: price = best_ask, quantity = qty" sells
//    only base the task holds and is not already selling (TaskState::sellable_e8): whole lots of
//    min(qty, sellable); with less than one lot it skips the sell, and the buy's reason says so.
//  * One sell slot (key 2, "ask") holds one sell. When it already holds an open sell and new
//    base is held (a second buy filled before the first sell), the sell is amended to cover
//    both (remaining + the new lots), at the price rule above: the seed's second sell of qty at
//    best_ask merged into the one order a slot can carry.
//  * A sell is never below the position's average cost plus the round trip of fees and the
//    buffer (the sell price rule): the seed's pause step says "at best_ask + spread if needed for
//    profitability"; applied to every sell, so its profitability guard never has to skip a sell.
//  * Pause "ensure sells for all held": the sell slot's order covers every whole lot held
//    (placed, or amended to remaining + sellable); dust below one lot or below the minimum
//    notional is held until it adds up.
//  * Post-only safety keeps the seed's stricter rule: a buy <= best_bid, a sell >= best_ask
//    (LIMIT_MAKER itself only rejects a buy >= best_ask or a sell <= best_bid). A buy or amend
//    that fails it, or the profitability guard, is skipped this trigger (seed: "skip/retry next
//    trigger"): no intent, so nothing is journaled for it (the engine journals intents only).
//  * maker_fee == 0 prices the buy at best_bid; the profitability guard (spread >= 0.0001)
//    still applies, so on a one-tick book (BTCUSDT) such a buy is skipped.
//  * Balance monitoring ("on resume, place only if qty fits"): a pure strategy cannot tell a
//    resume from any other trigger, so every new buy must fit: (asset_balance + qty) * best_bid
//    <= max_exposure and usd_balance - qty * buy price >= min_usd_balance. Amends move a buy
//    that already fits and are not held back by it.
//  * Balances not known (no account baseline journaled yet): usd_balance cannot be shown to be
//    >= min_usd_balance, so the task pauses (cancel buys, ensure sells) unless min_usd_balance
//    is 0.
//  * "Buy fills: jump to Step 3": the fill makes the buy no longer open; Step 2's checks still
//    run first (skipping them would let a fill push the position past max_exposure unpaused).
//    A partial fill leaves the buy open: it is the "exactly 1 open buy" case.
//  * The amend replaces the buy with its remaining quantity (qty_lots - filled_lots) at the new
//    price, so one pair never buys more than qty. A remainder too small to stand alone (below
//    the minimum quantity or notional) is cancelled instead: the next trigger places a new pair.
//  * An amend or cancel targets only an open order with no pending or refused cancel; an order
//    in flight is left alone (R1). A lone buy that is not the buy slot's current order (a stray:
//    the engine cancels strays) is not amended.
//  * No duplicates: before a place or amend at price P, every other cancellable order of the
//    task at P is cancelled.
//  * A slot whose place was rejected waits until its retry_after_ns; intents are ordered
//    cancels, then amends, then places (the sell before the buy); at most one sell and one buy
//    are placed or amended per decide.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "keel/model/state.h"
#include "keel/strategy/registry.h"
#include "keel/strategy/strategy.h"

namespace keel::strategy {

struct TopOfBookParams {
  int64_t qty_lots = 0;            // qty: every buy's and its paired sell's quantity, lots, > 0
  int64_t maker_fee_e8 = 0;        // maker_fee: fraction at 1e-8 (0.001 -> 100'000), >= 0
  int64_t max_exposure_e8 = 0;     // max_exposure: quote value of the held base, 1e-8, > 0
  int64_t min_usd_balance_e8 = 0;  // min_usd_balance: free quote required, 1e-8, >= 0
};

// The slots of a top_of_book task (labels "bid" and "ask").
inline constexpr int64_t kTobBuySlot = 1;
inline constexpr int64_t kTobSellSlot = 2;
// The seed's buffer above the round trip of fees: 0.01% = 0.0001, as a fraction at 1e-8.
inline constexpr int64_t kTobBufferE8 = 10'000;

// r = 2 * maker_fee + 0.0001, a fraction of price at 1e-8 (seed: "2x fee + 0.01%").
int64_t tob_required_spread_e8(const TopOfBookParams& p);

// The required buy price, ticks: best_bid when maker_fee == 0, else floor(best_ask * (1 - r)).
// REQUIRES best_bid_ticks > 0, best_ask_ticks > 0. 0 when r >= 1 (no price qualifies).
int64_t tob_buy_price_ticks(int64_t best_bid_ticks, int64_t best_ask_ticks,
                            const TopOfBookParams& p);

// The profitability guard: (sell - buy) / sell >= r, exact. Prices in ticks.
bool tob_spread_ok(int64_t sell_ticks, int64_t buy_ticks, int64_t required_e8);

// The lowest sell price that leaves the position's average cost plus r: ceil(avg_cost / (1 - r))
// in ticks, avg_cost = position.cost_e8 / position.base_e8 (quote per base). 0 when nothing is
// held.
int64_t tob_sell_floor_ticks(const model::TaskState& task, int64_t required_e8);

// Appends this instant's intents to `out` (see the file comment). `out` may already hold the
// engine's stray cancels: an order cancelled there is not cancelled twice. Pure.
void decide_top_of_book(const MarketView& view, const model::TaskState& task,
                        const TopOfBookParams& params, std::vector<IntentSpec>& out);

// A buy belongs to the buy slot, a sell to the sell slot, whatever its price. Pure.
int64_t tob_adopt_slot_key(Side side, int64_t price_ticks);

// "bid", "ask"; any other key as its number.
std::string tob_slot_label(int64_t slot_key, const Instrument& instrument);

// decide_top_of_book reads the view only as ready(), best_bid_ticks, best_ask_ticks, balances
// (a function of the folded state: every journaled record advances State::last_seq) and
// ts_exchange_ns as `ts >= slot.retry_after_ns`. The memo is quiet for an equal (ready, bid,
// ask), an equal state seq and a ts before the next retry time of a slot.
class TopOfBookMemo final : public DecisionMemo {
 public:
  bool still_quiet(const MarketView& view, uint64_t state_seq) const override;
  void quiet(const MarketView& view, const model::TaskState& task, uint64_t state_seq) override;
  void forget() override { valid_ = false; }

 private:
  bool valid_ = false;
  bool ready_ = false;
  int64_t bid_ = 0, ask_ = 0;
  uint64_t state_seq_ = 0;
  int64_t ts_from_ns_ = 0, ts_until_ns_ = 0;
};

// The strategy bound to `params` (reads_balances() is true). REQUIRES params valid (asserts).
std::shared_ptr<const Strategy> make_top_of_book(const TopOfBookParams& params);

// The registry entry (name "top_of_book", seed 000): params qty (base, a multiple of
// step_size), maker_fee (fraction), max_exposure and min_usd_balance (quote amounts).
StrategyInfo top_of_book_info();

}  // namespace keel::strategy
