// Shared by the journal fault tests (power loss, full disk): small PlaceIntent records and one
// batch append as the engine makes one decision's.
#pragma once

#include <string>
#include <vector>

#include "keel/core/ids.h"
#include "keel/journal/journal.h"

namespace keel::journal::testutil {

// A PlaceIntent of task "t1" numbered `seq` (price 6183000 + seq ticks, 100 lots).
inline Record Rec(uint64_t seq, const std::string& reason) {
  Record r;
  r.seq = seq;
  r.task_id = "t1";
  r.ts_exchange_ns = static_cast<int64_t>(seq) * 1000;
  PlaceIntent p;
  p.slot_key = 6183000;
  p.price_ticks = 6183000 + static_cast<int64_t>(seq);
  p.qty_lots = 100;
  p.client_order_id = make_client_order_id("", "t1", seq);
  p.ctx.reason = reason;
  r.body = std::move(p);
  return r;
}

// One append of `n` records numbered from next_seq(), synced or not.
inline Status AppendBatch(Journal& j, int n, bool sync, const std::string& reason) {
  std::vector<Record> recs;
  for (int k = 0; k < n; ++k) recs.push_back(Rec(j.next_seq() + k, reason));
  return j.append(recs, sync);
}

}  // namespace keel::journal::testutil
