// keel/recovery/reconcile.h: exchange evidence -> findings to journal (DESIGN.md R1-R3).
//
// The reconciler never mutates state: it reads a task's folded state, asks the exchange, and
// returns findings as journal bodies in the order they must be journaled and applied. The
// engine journals them and folds them through model::apply like any other record.
// Evidence used (R2): trades since the last known trade id (GET myTrades fromId), the open
// orders (GET openOrders), and a query by origClientOrderId for every order we believe live or
// in flight that is not open; when an order's executedQty exceeds the fills the journal holds
// (a lost event below the trade-id watermark), that order's trades (GET myTrades orderId). A
// question the evidence cannot settle is a `problem`: the task
// stays in reconcile-only mode (no quoting) and the problem says why.
#pragma once

#include <string>
#include <vector>

#include "keel/core/status.h"
#include "keel/exchange/exchange.h"
#include "keel/journal/record.h"
#include "keel/model/state.h"

namespace keel::recovery {

struct Report {
  size_t trades_seen = 0;        // trades returned by the exchange since the watermark
  size_t fills_recovered = 0;    // OrderFilled findings (missed fills)
  size_t accepted = 0;           // in-flight places the venue holds
  size_t not_found = 0;          // in-flight places the venue never received
  size_t canceled = 0;           // orders the venue no longer works
  size_t cancels_not_effective = 0;  // pending cancels whose order is still open
  size_t queries = 0;            // GET order calls made
  size_t order_trade_queries = 0;  // myTrades?orderId= calls (executedQty above the journal's)
  std::vector<std::string> problems;  // unresolvable: the task must not quote
};

// Findings for `task`, in journal order. Errors: the exchange could not be asked at all
// (transport); per-order query failures become problems instead.
Result<std::vector<journal::Body>> reconcile_task(const model::TaskState& task,
                                                  exchange::Exchange& venue, Report& report);

}  // namespace keel::recovery
