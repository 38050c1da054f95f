// keel/strategy/tiered.h: the tiered bilateral maker of seed 003 ("StandX Market Making
// Strategy Bot", ../shared/seeds/003_5247d7369bc845e0.txt), on Binance Spot.
//
// Quotes (seed "Strategy Details" 1-6, "Risk Levels", "Tier Management"): post-only bids and
// asks at 1-3 tiers, each tier a band of distance from the mid in bps.
//   mid          (best bid + best ask) / 2 of the view. The seed watches a perpetual's mark
//                price; spot has none, so the mid of the book is the mark*.
//   bands        the seed gives two tables: risk levels (conservative 5-10 bps, moderate 3-8,
//                aggressive 0-5) and tiers (L1 0-5, L2 5-10, L3 10-20). Read together*: the
//                risk level is where the ladder starts -- L1's band -- and the tier table is the
//                ladder's shape -- bands of 5, 5 and 10 bps, each starting where the one inside
//                it ends. The tier table is thus the aggressive ladder, and the others are the
//                same ladder moved out by the level's inner edge (tier_band):
//                              L1         L2          L3
//                  conservative 5-10 bps   10-15 bps   15-25 bps
//                  moderate     3-8        8-13        13-23
//                  aggressive   0-5        5-10        10-20
//   price        each quote sits at its band's centre (conservative L1: 7.5 bps from the mid),
//                bid = floor(mid * (1 - c)), ask = ceil(mid * (1 + c)) in ticks (never inside
//                our own edge); post-only: a bid is at most best ask - 1 tick, an ask at least
//                best bid + 1 tick (a guard only: every band centre is at least 2.5 bps out).
//   size         every tier quotes base_qty* (the seed sizes by base_qty and a tier count only).
//   drift        (seed 4) a resting quote whose price is more than requote_bps (default 1 bps)
//                of the mid away from its tier's price now is requoted: "cancels and replaces"
//                in one request (requote_by: amend, the default: IntentSpec kAmend, Binance's
//                cancelReplace), or cancelled and placed anew once the cancel is confirmed
//                (requote_by: cancel). A remainder the venue would refuse is cancelled, never
//                amended. requote_bps is at most 2.5 bps, half the narrowest band, so a quote
//                never leaves its band unrequoted.
//   partial fill (seed 5) a tier quotes in rounds: a round is base_qty; every fill of the tier
//                since its last full fill comes off it, so the quote that replaces a partly
//                filled one carries only the remainder*. The partial fill itself does not move a
//                quote that is still within requote_bps of its price: it keeps its queue place.
//                A remainder the venue would refuse (below the minimum quantity or notional) is
//                dropped, and the tier starts a new round of base_qty*.
//   full fill    (seed 6) a tier-side whose order filled completely places nothing for
//                cooldown_ms after that fill (Slot::last_full_fill_ns, exchange time); the other
//                tiers and the other side go on*.
//   spot         asks offer only what the task holds and is not already selling
//                (TaskState::sellable_e8), L1 first: a fresh task quotes bids only, and its
//                asks appear as its bids fill*. Nothing is ever sold short. An outer ask that
//                holds lots an inner ask could quote now (the inner one was cooling down when
//                they came) is cancelled, and the lots go inward at the next decision*: the asks
//                are a function of the position, not of the order fills and cooldowns came in.
// Guard (journal::GuardState, risk/risk.h; seed "States"), as the task's journaled guard says:
//   SAFE     the whole ladder;
//   CAUTION  the L1 bid is withdrawn (cancelled, not placed): the quote nearest the mid on the
//            side that adds exposure is the one a dislocated market takes first*; the asks and
//            the outer bids go on. A one-tier ladder thus quotes asks only in CAUTION*;
//   HALT     every bid is withdrawn and none placed; the asks go on, requoted as usual: on spot
//            they only sell inventory, which reduces exposure (issue 10: "a halted task cancels
//            its buys ... and keeps what reduces exposure"), and pulling them would leave a
//            position-limit halt with no way back*.
// Discipline (every strategy): nothing while the view is not ready, the book is crossed or the
// task is halted; a slot whose order is in flight or has a cancel pending or refused is left
// alone (R1); a slot waits until retry_after_ns after a reject; at most 2 x tiers orders (an
// amended order and its replacement both count until the venue settles the amend);
// cancels first, then places. Slot keys: tier n bid = 10n + 1, ask = 10n + 2 ("L1-bid", ...);
// an order adopted from the venue goes to L1 of its side (the drift rule then moves it).
// Choices of this reading are marked * (README section: /work/notes/readme-tiered.md).
//
// Uptime (seed "Uptime Tracking"): the task is quoting while it has an open bid and an open ask,
// each within 10 bps of the mid; the seed's target is 30 minutes of that per hour.
// quoting_bilateral judges one folded TaskState; UptimeMeter sums the exchange time between
// journal records during which it held, per UTC hour. No market data is journaled, so the mid
// is the mark of the task's newest journaled decision (TaskState::mark_*): a tiered task
// requotes whenever the mid drifts requote_bps from its quotes, so between two of its decisions
// the mark is within requote_bps of the true mid.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "keel/model/state.h"
#include "keel/strategy/registry.h"
#include "keel/strategy/strategy.h"
#include "keel/strategy/uptime.h"

namespace keel::strategy {

enum class RiskLevel : unsigned char { kConservative = 0, kModerate = 1, kAggressive = 2 };

// A tier's band of distance from the mid, bps at 10^-2 (1 bp = 100).
struct TierBand {
  int64_t inner_bps_e2 = 0;
  int64_t outer_bps_e2 = 0;
  int64_t center_bps_e2() const { return (inner_bps_e2 + outer_bps_e2) / 2; }
};

// The band of tier 1..3 at `level` (file comment's table). REQUIRES 1 <= tier <= 3.
TierBand tier_band(RiskLevel level, int tier);

struct TieredParams {
  RiskLevel level = RiskLevel::kConservative;
  int tiers = 1;                           // 1..3
  int64_t base_qty_lots = 0;               // each tier's round, lots, > 0
  int64_t cooldown_ns = 5'000'000'000;     // after a full fill, exchange ns, >= 0
  int64_t requote_bps_e2 = 100;            // drift that requotes, bps at 10^-2, in [1, 250]
  bool amend = true;                       // requote by kAmend (false: cancel, then place)
};

// Slot keys and labels: tier n (1..3) bid = 10n + 1, ask = 10n + 2.
int64_t tier_slot_key(int tier, Side side);
// The tier and side of a tier slot key; false for any other key.
bool tier_of_slot_key(int64_t key, int& tier, Side& side);
// "L1-bid", "L3-ask"; another key as its number.
std::string tiered_slot_label(int64_t key, const Instrument& instrument);

// The price of a quote `offset_bps_e2` from the mid (bid_ticks + ask_ticks) / 2: a bid floors
// mid * (1 - offset), an ask ceils mid * (1 + offset), in ticks. REQUIRES bid, ask > 0.
int64_t tier_price_ticks(int64_t bid_ticks, int64_t ask_ticks, int64_t offset_bps_e2, Side side);

// |price - target| / mid in bps at 10^-2, rounded up (the reasons' figure); mid2_ticks = best
// bid + best ask. REQUIRES mid2_ticks > 0.
int64_t drift_bps_e2(int64_t price_ticks, int64_t target_ticks, int64_t mid2_ticks);
// |price - target| / mid > requote_bps, exactly (seed 4: "when price moves >1 bps").
bool drifted(int64_t price_ticks, int64_t target_ticks, int64_t mid2_ticks,
             int64_t requote_bps_e2);

// The lots the tier-side slot `key` has left of its round (file comment, "partial fill"):
// base_qty minus the fills of the slot's orders placed after its newest completely filled
// order (0 at least). Reads the orders the fold retains (model/state.h kClosedOrdersRetained).
int64_t round_left_lots(const model::TaskState& task, int64_t key, int64_t base_qty_lots);

// Appends this instant's intents (cancels and amends first, then places; each group in tier
// order, bid before ask). REQUIRES params valid (asserts).
void decide_tiered(const MarketView& view, const model::TaskState& task,
                   const TieredParams& params, std::vector<IntentSpec>& out);

std::shared_ptr<const Strategy> make_tiered(const TieredParams& params);

// The registry entry: name "tiered", seed 003; params risk_level, tiers, base_qty,
// cooldown_ms, requote_bps, requote_by.
StrategyInfo tiered_info();

}  // namespace keel::strategy
