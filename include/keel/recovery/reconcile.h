// keel/recovery/reconcile.h: exchange evidence -> findings to journal (DESIGN.md R1-R4, W5).
//
// A reconciliation has two halves:
//  - gather_account(): all the I/O, once per account, for each symbol it trades. It asks the
//    venue for the balances (before and after the trade queries of all the account's symbols:
//    R4 uses them only when both agree), the account's trades on each symbol since the journal's
//    trade-id watermark of that symbol (bounded, paged: GET myTrades fromId; for a journal
//    with no baseline yet only the newest trade, GET myTrades limit=1, so an account with a long
//    history is never paged from fromId=1), the open orders, a query by origClientOrderId for
//    every order keel believes working or in flight that is not open (and every order whose
//    cancel the venue refused), the trades of every order whose executed quantity exceeds the
//    fills the journal holds (GET myTrades orderId), and -- when an order of this journal's own
//    epoch appears that the journal does not hold (a data directory restored from an older copy)
//    -- the account's orders after the newest one the journal knows (GET allOrders).
//  - judge(): a pure function of (folded state, evidence) that returns the findings to journal,
//    in the order they must be applied, and what is still open. It never mutates state: the
//    engine journals the findings and folds them through model::apply like any other record.
//
// Rules (each a test in recovery_reconcile_test / recovery_judge_test):
//  - R1: "order does not exist" (-2013) settles an in-flight place as never received only when
//    the request can no longer execute: the venue clock is past its journaled timestamp +
//    recvWindow + Options::evidence_margin_ms (Binance re-checks recvWindow just before the
//    matching engine, binance-spot.md §1). Until then the order stays in flight ("in doubt") and
//    Judgement::next_due_ms says when to ask again. A venue that executes requests in-process
//    and synchronously (the embedded sim) makes absence conclusive at once.
//    The same holds for a cancel answered unknown while its order is still open: it stays
//    pending (no second cancel is sent) until its own timestamp + recvWindow + margin.
//  - R3: a trade is journaled once (trade id), whichever source found it.
//  - No fill lost: an order (working or closed) whose venue executed quantity exceeds its
//    journaled fills has its trades fetched and the missing ones journaled; if they cannot be
//    found the task is not proven (a problem).
//  - W5: an order or trade of another epoch (another keel journal on the account) or without
//    keel's prefix is never acted on; its trades on keel's symbol are journaled as ForeignFill
//    for R4. One of this journal's own epochs that the journal does not hold is adopted
//    (OrderAdopted, its slot chosen by the task's strategy) after a renewal of the epoch
//    (Judgement::stale), so new ids never collide with the lost ones.
//  - R4 (r4_check, after the findings are folded): each asset of the tasks (base, quote, and any
//    commission asset) must equal baseline + this journal's fills + foreign fills + balance
//    changes. Several tasks sharing an asset share one account-level equation: a mismatch is the
//    account's, and halts every task that trades the asset.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "keel/core/status.h"
#include "keel/exchange/exchange.h"
#include "keel/journal/record.h"
#include "keel/model/state.h"

namespace keel::recovery {

struct Options {
  int64_t evidence_margin_ms = 1'000;  // R1 safety margin past timestamp + recvWindow
  bool absence_is_immediate = false;   // the venue executes requests synchronously (embedded)
  size_t max_trades = 10'000;          // trades read per reconciliation (pages of 1000)
  size_t max_orders_scan = 10'000;     // allOrders rows read per stale-journal scan
  // Read allOrders after the journal's newest known order even without a sign of a lost journal
  // tail (the engine's first reconciliation after a start): a data directory restored from an
  // older copy whose lost orders are all closed, without trades above the journal's scan, shows
  // no other trace, and its next client ids would be the lost ones again (W5).
  bool scan_orders = false;
};

// Everything one reconciliation learned from the venue about one symbol of one account.
struct Evidence {
  std::string account = journal::kDefaultAccount;  // config accounts[].id
  std::string symbol;
  int64_t venue_now_ms = 0;
  std::optional<exchange::Balances> balances_before, balances_after;
  int64_t balances_time_ms = 0;  // the venue clock right after balances_after was read
  std::vector<exchange::TradeReport> trades;  // ascending by trade id
  bool trades_more = false;        // the venue holds more trades: the next reconciliation goes on
  bool trades_latest_only = false;  // no baseline yet: `trades` is at most the newest trade
  std::vector<exchange::OrderReport> open;
  std::map<std::string, Result<exchange::OrderReport>> queried;  // by client order id
  std::map<std::string, std::vector<exchange::TradeReport>> order_trades;  // by client order id
  bool scanned_all_orders = false;
  std::vector<exchange::OrderReport> all_orders;  // after the journal's newest known order id
  std::vector<std::string> problems;  // evidence that could not be had (per order)

  bool balances_consistent() const;
};

// The I/O half for every symbol an account trades, in one reading of its balances: the
// balances are read once before all the symbols' trade scans and once after (Binance's
// balances are the account's, its trade ids the symbol's), then each symbol's orders. One
// Evidence per symbol, in the order of `symbols`, each carrying the same balances.
// `venue` is the connection of `account`; the tasks concerned are those on (account, symbol).
// Errors: the venue could not be asked at all (open orders or trades of any symbol failed):
// the whole account is unread; per-order failures become Evidence::problems.
Result<std::vector<Evidence>> gather_account(const model::State& state,
                                             const std::string& account,
                                             const std::vector<std::string>& symbols,
                                             exchange::Exchange& venue, const Options& opts);
// gather_account for one symbol.
Result<Evidence> gather(const model::State& state, const std::string& account,
                        const std::string& symbol, exchange::Exchange& venue,
                        const Options& opts);

struct TaskReport {
  size_t fills_recovered = 0;    // OrderFilled findings (missed fills)
  size_t accepted = 0;           // in-flight places the venue holds
  size_t not_found = 0;          // in-flight places the venue never received (conclusive)
  size_t in_doubt = 0;           // in-flight places not found yet, and pending cancels of open
                                 // orders, still able to execute (R1)
  size_t canceled = 0;           // orders the venue no longer works
  size_t cancels_not_effective = 0;  // pending or refused cancels whose order is still open
  size_t adopted = 0;            // orders of this journal's epoch it did not hold
  std::vector<std::string> problems;  // unresolvable now: the task must not quote
};

struct Finding {
  std::string task_id;  // journal::account_tag(account) for the account's journal-wide bodies
  journal::Body body;
};

struct Judgement {
  std::vector<Finding> findings;  // in journal order
  std::map<std::string, TaskReport> tasks;  // by task id (every task on the symbol)
  size_t trades_seen = 0;
  size_t foreign_fills = 0;
  bool stale = false;  // an order of this journal's epoch it did not hold: renew the epoch
  std::string stale_reason;
  int64_t next_due_ms = 0;  // > 0: an in-doubt place becomes conclusive then (venue clock)
};

// Chooses the slot of an adopted order: (task, side, price_ticks) -> slot key.
using AdoptSlot = std::function<int64_t(const model::TaskState&, Side, int64_t)>;

// The pure half: the findings `ev` proves about every task on (ev.account, ev.symbol). Pure.
Judgement judge(const model::State& state, const Evidence& ev, const Options& opts,
                const AdoptSlot& adopt_slot);

// The AccountBaseline records (R4) one reading of an account allows, one per symbol that has
// no baseline yet (model::AccountState says how the fold reads the first and the joining
// ones): all of the account's symbols' evidences (gather_account), which must agree on the
// balances and have every trade scan complete; none otherwise. Pure.
std::vector<journal::AccountBaseline> baselines_from(const model::State& state,
                                                     const std::vector<Evidence>& evs);
// baselines_from for an account that trades one symbol.
std::optional<journal::AccountBaseline> baseline_from(const model::State& state,
                                                      const Evidence& ev);

struct R4Mismatch {
  std::string asset;
  int64_t expected_e8 = 0;  // baseline + fills + foreign fills + balance changes
  int64_t observed_e8 = 0;  // the venue's free + locked
  std::string account = journal::kDefaultAccount;  // whose balances (Evidence::account)
  // "R4: USDT on the exchange is 9990.1 but the journal explains 9990.2 (...: keel declare
  // --asset USDT --amount -0.1 --reason TEXT)"; the advice names --account ID for any account
  // but the default one (keel declare's default), so that following it declares on the
  // account whose R4 failed.
  std::string text() const;
};

// R4 on a state that has folded the findings of `evs` (one reading of an account,
// gather_account: pass every symbol the account trades, since the quote asset is shared):
// every asset of the account's tasks on those symbols (base, quote, commission assets). Empty
// when it holds, or when it cannot be judged (no baseline, a symbol not in it yet, inconsistent
// balances, a trade scan incomplete). Pure.
std::vector<R4Mismatch> r4_check(const model::State& state, const std::vector<Evidence>& evs);
// r4_check for an account that trades one symbol.
std::vector<R4Mismatch> r4_check(const model::State& state, const Evidence& ev);

}  // namespace keel::recovery
