// keel/risk/risk.h: the risk layer between a strategy's decision and the journal (DESIGN.md
// "A risk layer (pure, between decide and the journal) bounds exposure, open orders, position,
// balance and request rate, and journals every Safe / Caution / Halt transition").
//
// Pure: every figure comes from the folded state (model/state.h), so a replay or a restart
// judges exactly as the live run did. The request rate stays in the engine's budget
// (engine/config.h IntentRate), counted over the journaled request timestamps.
//
// Exposure is counted at worst case (R1): every working buy -- in flight (its outcome unknown)
// or open -- as if its remaining quantity filled.
//   base        = position + remaining quantity of the working buys            (base, 10^-8)
//   notional    = position at the mark's mid (at its cost before any mark)
//                 + remaining notional of the working buys at their prices     (quote, 10^-8)
//   open orders = the task's working orders (strays included)
//   quote free  = the account's quote balance as the journal explains it (R4's expected balance,
//                 known once the baseline is journaled) - remaining notional of the working buys
// The guard (journal::GuardState):
//   HALT     base > max_position, or notional > max_notional, or open orders > max_open_orders,
//            or quote free < min_quote_balance;
//   CAUTION  otherwise, when any figure is at caution_percent of its limit or beyond (for the
//            balance: quote free < min_quote_balance * 100 / caution_percent); once CAUTION or
//            HALT, the guard returns to SAFE only below caution_percent - kReleasePoints, and
//            not before it has held its state kMinDwellNs of exchange time (a figure that moves
//            with every order placed or cancelled -- a grid level more or less -- would flap it);
//   SAFE     otherwise. A limit of 0 is no limit.
// What passes (filter): cancels always; a place only while its order keeps every figure within
// its limit (the figures after it as if it filled: a sell adds an open order only); in HALT no
// buy, and the task's open buys are cancelled (sells, which reduce the position, are kept).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "keel/journal/record.h"
#include "keel/model/state.h"
#include "keel/strategy/strategy.h"

namespace keel::risk {

// tasks[i].risk in the config (0: no limit).
struct Limits {
  int64_t max_position_e8 = 0;       // base, 10^-8
  int64_t max_notional_e8 = 0;       // quote, 10^-8
  int64_t min_quote_balance_e8 = 0;  // quote, 10^-8
  int64_t max_open_orders = 0;       // orders
  int64_t caution_percent = 80;      // 1..100
  bool any() const {
    return max_position_e8 > 0 || max_notional_e8 > 0 || min_quote_balance_e8 > 0 ||
           max_open_orders > 0;
  }
};

struct Exposure {
  int64_t base_e8 = 0;
  int64_t notional_e8 = 0;
  int64_t open_orders = 0;
  bool quote_known = false;  // the account's R4 baseline is journaled
  int64_t quote_free_e8 = 0;
};

// The task's exposure (file comment). Pure.
Exposure exposure_of(const model::TaskState& task, const model::AccountState& account);

struct Verdict {
  journal::GuardState state = journal::GuardState::kSafe;
  std::string reason;  // the first limit reached, with its figures ("" when SAFE)
};

// The hysteresis of CAUTION (file comment): in points of caution_percent, and in exchange time.
inline constexpr int64_t kReleasePoints = 10;
inline constexpr int64_t kMinDwellNs = 10'000'000'000;

// The guard's present, for the hysteresis: its state, since when (exchange ns; 0: it never
// changed) and the exchange time now (ns).
struct GuardNow {
  journal::GuardState state = journal::GuardState::kSafe;
  int64_t since_ns = 0;
  int64_t now_ns = 0;
};

// The guard for `e` under `limits` given the guard's present (file comment); amounts in
// `reason` are formatted with the task's instrument (no reason when `with_reason` is false:
// the state alone, no allocation). Pure.
Verdict assess(const Exposure& e, const Limits& limits, const Instrument& instrument,
               const GuardNow& current, bool with_reason = true);

// Keeps the intents of `specs` that pass under `guard` (file comment), in order, and appends
// in HALT the cancels of the task's open buys not already being cancelled. Returns how many
// places were dropped. Pure.
size_t filter(std::vector<strategy::IntentSpec>& specs, const model::TaskState& task,
              const Exposure& e, const Limits& limits, journal::GuardState guard);

}  // namespace keel::risk
