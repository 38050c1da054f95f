// Shared by journal_codec_test and the format fixtures: one record of every body type, with
// fields away from their defaults (tests/fixtures/journal-format*/records.txt hold what a keel
// of that format encoded them as).
#pragma once

#include <string>
#include <vector>

#include "keel/journal/record.h"

namespace keel::journal::testutil {

inline DecisionContext Ctx(std::string reason) {
  DecisionContext c;
  c.best_bid_ticks = 6183700;
  c.best_ask_ticks = 6183800;
  c.last_trade_ticks = 6183750;
  c.reason = std::move(reason);
  return c;
}

inline Record Rec(uint64_t seq, Body body) {
  Record r;
  r.seq = seq;
  r.task_id = "grid_1";
  r.ts_local_ns = 1'700'000'000'123'456'789;
  r.ts_exchange_ns = -42;  // signed fields keep their sign
  for (size_t i = 0; i < r.prev_hash.size(); ++i) r.prev_hash[i] = static_cast<uint8_t>(i * 7);
  r.body = std::move(body);
  return r;
}

// One record of every body type, fields away from their defaults, in Body order.
inline std::vector<Record> Samples() {
  std::vector<Record> out;
  out.push_back(Rec(1, TaskStarted{"grid", "BTCUSDT", "BTC", "USDT", 1'000'000, 1'000, 500'000'000,
                                   "levels: 10\nstep: \"0.5%\"\n"}));
  out.push_back(Rec(2, PlaceIntent{6183000, Side::kSell, 6183763, 100, "k1-grid_1-2",
                                   Ctx("grid sell level 6183000"), {1'723'161'600'123, 5'000}}));
  out.push_back(Rec(3, CancelIntent{6183000, "k1-grid_1-2", Ctx("out of window"),
                                    {1'723'161'600'456, 60'000}}));
  out.push_back(Rec(4, AmendIntent{6183000, "k1-grid_1-2", "k1-grid_1-4", 6183900, 250,
                                   Ctx(""), Side::kSell, {1'723'161'600'789, 4'000}}));
  out.push_back(Rec(5, OrderAccepted{"k1-grid_1-4", 9'876'543'210, Source::kOpenOrders}));
  out.push_back(Rec(6, OrderRejected{"k1-grid_1-4", -2010, "Order would immediately match.",
                                     Source::kResponse}));
  out.push_back(Rec(7, OrderFilled{"k1-grid_1-4", 555, 9'876'543'210, Side::kBuy, 6183900, 250,
                                   -1234, "BNB", false, Source::kTradeHistory}));
  out.push_back(Rec(8, OrderCanceled{"k1-grid_1-4", 125, Source::kUserStream}));
  out.push_back(Rec(9, OrderNotFound{"k1-grid_1-4", Source::kQueryOrder}));
  out.push_back(Rec(10, CancelRejected{"k1-grid_1-4", -2011, "Unknown order sent."}));
  out.push_back(Rec(11, RecordingEnded{18'446'744'073'709'551'615ULL}));
  out.push_back(Rec(12, TaskHalted{"R4: USDT on the exchange is 1 but the journal explains 2"}));
  out.push_back(Rec(13, TaskRetired{"keel retire: every order closed"}));
  out.push_back(Rec(14, OrderAdopted{6182500, "k2q7f3za-grid_1-e", 77, Side::kSell, 6183000, 40,
                                     false, 15, Source::kAllOrders}));
  out.push_back(Rec(15, JournalEpoch{"q7f3za", "journal created"}));
  out.push_back(Rec(16, AccountBaseline{"BTCUSDT", 123'456, 1'723'161'600'000,
                                        {{"BTC", 100'000'000}, {"USDT", 1'000'000'000'000}}}));
  out.push_back(Rec(17, BalanceChanged{"USDT", -2'500'000'000, 1'723'161'600'001,
                                       1'723'161'600'002, "operator: withdrawal to cold storage"}));
  out.push_back(Rec(18, ForeignFill{"BTCUSDT", "web_abc", 123'457, 42, Side::kBuy, 6183000, 3,
                                    7, "BNB"}));
  out.push_back(Rec(19, TradesScanned{"BTCUSDT", 123'458}));
  out.push_back(Rec(20, TaskResumed{"declared USDT: deposit", true}));
  out.push_back(Rec(21, GuardChanged{GuardState::kCaution,
                                     "position 0.006 BTC is 80% of max_position 0.0075"}));
  out.push_back(Rec(22, OrderAmended{"k1-grid_1-4", 180, Source::kUserStream}));
  out.push_back(Rec(23, AmendRejected{"k1-grid_1-4", -2038,
                                      "Order amend (quantity increase) is not supported."}));
  return out;
}

}  // namespace keel::journal::testutil
