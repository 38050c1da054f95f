// libFuzzer: the fold (W3, E1). The input is read as a sequence of journal records: mostly
// bodies built field by field from the bytes (so mutations reach the fold's edges: evidence for
// client ids that the journal holds and ids it does not, another venue order id, the other
// side, huge and negative amounts, reused trade ids, journal-wide records), and sometimes a
// length-prefixed chunk decoded with keel's codec (so seeds from a real journal work). Every
// record goes through the codec (encode, decode) before it is folded, as it would from disk.
//
// After each record: apply did not abort and no sanitizer fired, and the state's invariants
// hold (check() below). At the end: encode_state/decode_state round-trips; the same records
// folded again give the same bytes (W3: pure); a snapshot taken half-way and folded on gives the
// same bytes as the uninterrupted fold (R2: the snapshot holds everything the fold needs).
//
// Triage: FUZZ_APPLY_PRINT=1 ./fuzz_apply INPUT prints each record folded, as `keel export`
// rows (JSON), on stderr.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "keel/core/ids.h"
#include "keel/journal/codec.h"
#include "keel/journal/export.h"
#include "keel/model/snapshot.h"
#include "keel/model/state.h"

namespace {

using namespace keel;
using journal::Body;
using journal::Record;

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "fuzz_apply: %s\n", what.c_str());
  std::abort();
}

constexpr int64_t kI64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kI64Min = std::numeric_limits<int64_t>::min();

struct Gen {
  FuzzedDataProvider& in;
  std::vector<std::string> cids;  // every client id a PlaceIntent / OrderAdopted used
  const model::State& state;

  // Amounts: small sane values most of the time, the edges otherwise.
  int64_t amount() {
    switch (in.ConsumeIntegralInRange<int>(0, 11)) {
      case 0: return 0;
      case 1: return -1;
      case 2: return kI64Max;
      case 3: return kI64Min;
      case 4: return int64_t{1} << 40;
      case 5: return (int64_t{1} << 56) + 1;
      case 6: return in.ConsumeIntegral<int64_t>();
      case 7: return int64_t{1} << 56;
      default: return in.ConsumeIntegralInRange<int64_t>(1, 300);
    }
  }
  int64_t price() {
    return in.ConsumeBool() ? 6'183'000 + in.ConsumeIntegralInRange<int64_t>(-3, 3) * 500
                            : amount();
  }
  int64_t small_id() {  // order ids, trade ids: collisions wanted
    return in.ConsumeIntegralInRange<int>(0, 7) == 0 ? amount()
                                                     : in.ConsumeIntegralInRange<int64_t>(0, 12);
  }
  Side side() { return in.ConsumeBool() ? Side::kBuy : Side::kSell; }
  std::string task() {
    switch (in.ConsumeIntegralInRange<int>(0, 7)) {
      case 0: return "h";   // a second task
      case 1: return "x";   // a task never started (unless the input starts it)
      case 2: return "_";   // the journal-wide id with a task body
      default: return "g";
    }
  }
  std::string epoch() {
    static const char* kEpochs[] = {"aaaaaa", "bbbbbb", "q7f3za", "BAD!!!", ""};
    return kEpochs[in.ConsumeIntegralInRange<int>(0, 4)];
  }
  // A client id: one the journal used, or keel-like ids it never used, or garbage.
  std::string cid() {
    const int k = in.ConsumeIntegralInRange<int>(0, 9);
    if (k <= 5 && !cids.empty()) {
      return cids[in.ConsumeIntegralInRange<size_t>(0, cids.size() - 1)];
    }
    const uint64_t seq = in.ConsumeIntegralInRange<uint64_t>(1, 64);
    switch (k % 4) {
      case 0: return make_client_order_id("", in.ConsumeBool() ? "g" : "h", seq);
      case 1: return make_client_order_id("bbbbbb", "g", seq);
      case 2: return in.ConsumeRandomLengthString(40);
      default: return make_client_order_id(state.epoch().empty() ? "" : state.epoch(), "g", seq);
    }
  }
  std::string fresh_cid(const std::string& task_id, uint64_t seq) {
    std::string e = state.epoch();
    if (validate_task_id(task_id).ok()) return make_client_order_id(e, task_id, seq);
    return "k2" + e + "-" + task_id + "-" + to_base36(seq);
  }
  std::string asset() {
    static const char* kAssets[] = {"BTC", "USDT", "BNB", "", "btc"};
    return kAssets[in.ConsumeIntegralInRange<int>(0, 4)];
  }
  journal::Source source() {
    return static_cast<journal::Source>(in.ConsumeIntegralInRange<int>(0, 5));
  }
  journal::DecisionContext ctx() { return {1, 2, 3, in.ConsumeBool() ? "" : "grid"}; }
  journal::RequestTiming timing() {
    return {in.ConsumeBool() ? 0 : amount(), in.ConsumeBool() ? 5'000 : amount()};
  }

  journal::TaskStarted task_started() {
    journal::TaskStarted t;
    t.strategy = "grid";
    t.symbol = in.ConsumeIntegralInRange<int>(0, 5) == 0 ? "ETHUSDT" : "BTCUSDT";
    t.base_asset = t.symbol == "BTCUSDT" ? "BTC" : "ETH";
    t.quote_asset = "USDT";
    if (in.ConsumeIntegralInRange<int>(0, 5) != 0) {
      t.tick_e8 = 1'000'000;
      t.step_e8 = 1'000;
      t.min_notional_e8 = 5 * kOneE8;
    } else {
      t.tick_e8 = amount();
      t.step_e8 = amount();
      t.min_notional_e8 = amount();
    }
    t.params_yaml = "fuzz";
    t.venue_start_ms = amount();
    return t;
  }

  // One record body for `task_id`, whose seq will be `seq`.
  Body body(const std::string& task_id, uint64_t seq) {
    switch (in.ConsumeIntegralInRange<int>(0, 22)) {
      case 0: return task_started();
      case 1: {
        journal::PlaceIntent p{price(), side(), price(), amount(), fresh_cid(task_id, seq), ctx(),
                               timing()};
        if (in.ConsumeIntegralInRange<int>(0, 7) == 0) p.client_order_id = cid();  // reused id
        if (in.ConsumeBool()) p.slot_key = p.price_ticks;
        cids.push_back(p.client_order_id);
        return p;
      }
      case 2: return journal::CancelIntent{price(), cid(), ctx(), timing()};
      case 3: {
        journal::AmendIntent a{price(), cid(), fresh_cid(task_id, seq), price(), amount(), ctx(),
                               side(), timing()};
        a.keep_priority = in.ConsumeBool();
        if (a.keep_priority && in.ConsumeBool()) a.client_order_id = a.orig_client_order_id;
        if (!a.keep_priority) cids.push_back(a.client_order_id);
        return a;
      }
      case 4: return journal::OrderAccepted{cid(), small_id(), source()};
      case 5: return journal::OrderRejected{cid(), in.ConsumeBool() ? -2010 : -1013, "no",
                                            source()};
      case 6: {
        journal::OrderFilled f;
        f.client_order_id = cid();
        f.trade_id = small_id();
        f.order_id = small_id();
        f.side = side();
        f.price_ticks = price();
        f.qty_lots = in.ConsumeBool() ? in.ConsumeIntegralInRange<int64_t>(1, 120) : amount();
        f.commission_e8 = in.ConsumeBool() ? in.ConsumeIntegralInRange<int64_t>(0, 2'000)
                                           : amount();
        f.commission_asset = asset();
        f.is_maker = in.ConsumeBool();
        f.source = source();
        return f;
      }
      case 7: return journal::OrderCanceled{cid(), in.ConsumeBool()
                                                       ? in.ConsumeIntegralInRange<int64_t>(0, 120)
                                                       : amount(),
                                            source()};
      case 8: return journal::OrderNotFound{cid(), source()};
      case 9: return journal::CancelRejected{cid(), in.ConsumeBool() ? -2011 : -1000, "refused"};
      case 10: return journal::TaskHalted{in.ConsumeRandomLengthString(20)};
      case 11: return journal::TaskRetired{"retired"};
      case 12: {
        journal::OrderAdopted a;
        a.slot_key = price();
        a.client_order_id = in.ConsumeBool() ? fresh_cid(task_id, seq) : cid();
        a.order_id = small_id();
        a.side = side();
        a.price_ticks = price();
        a.qty_lots = in.ConsumeBool() ? in.ConsumeIntegralInRange<int64_t>(1, 120) : amount();
        a.open = in.ConsumeBool();
        a.executed_lots = in.ConsumeBool() ? in.ConsumeIntegralInRange<int64_t>(0, 120) : amount();
        a.source = source();
        cids.push_back(a.client_order_id);
        return a;
      }
      case 13: return journal::JournalEpoch{epoch(), "fuzz"};
      case 14: {
        journal::AccountBaseline b;
        b.symbol = "BTCUSDT";
        b.last_trade_id = small_id();
        b.venue_time_ms = amount();
        const int n = in.ConsumeIntegralInRange<int>(0, 4);
        for (int i = 0; i < n; ++i) b.balances.push_back({asset(), amount()});
        return b;
      }
      case 15: return journal::BalanceChanged{asset(), amount(), amount(), amount()};
      case 16: {
        journal::ForeignFill f;
        f.symbol = in.ConsumeBool() ? "BTCUSDT" : "ETHUSDT";
        f.client_order_id = cid();
        f.trade_id = small_id();
        f.order_id = small_id();
        f.side = side();
        f.price_ticks = price();
        f.qty_lots = in.ConsumeBool() ? in.ConsumeIntegralInRange<int64_t>(1, 120) : amount();
        f.commission_e8 = amount();
        f.commission_asset = asset();
        return f;
      }
      case 17: return journal::TradesScanned{"BTCUSDT", small_id()};
      case 18: return journal::TaskResumed{"fuzz", in.ConsumeBool()};
      case 19:
        return journal::GuardChanged{
            static_cast<journal::GuardState>(in.ConsumeIntegralInRange<int>(0, 2)), "fuzz"};
      case 20:
        return journal::OrderAmended{
            cid(), in.ConsumeBool() ? in.ConsumeIntegralInRange<int64_t>(0, 120) : amount(),
            source()};
      case 21: return journal::AmendRejected{cid(), -2038, "refused"};
      default: return journal::RecordingEnded{static_cast<uint64_t>(amount())};
    }
  }
};

// The state's own invariants (model/state.h), for every task.
void check(const model::State& s, const Record& last) {
  for (const auto& [id, t] : s.tasks) {
    const std::string where = "after seq " + std::to_string(last.seq) + " (" +
                              journal::record_type_name(last.type()) + "), task " + id + ": ";
    if (t.position.base_e8 < 0) {
      fail(where + "position negative: " + std::to_string(t.position.base_e8));
    }
    int64_t claims = 0;
    for (const auto& [key, slot] : t.slots) {
      if (slot.claim_e8 < 0) fail(where + "slot claim negative at key " + std::to_string(key));
      claims += slot.claim_e8;
      if (!slot.current_cid.empty()) {
        const model::Order* o = t.find_order(slot.current_cid);
        if (o == nullptr || !o->working()) {
          fail(where + "slot " + std::to_string(key) + " names " + slot.current_cid +
               ", which is not a working order");
        }
        if (o->slot_key != key) fail(where + "slot's current order belongs to another slot");
      }
    }
    if (claims != t.claims_e8) fail(where + "claims_e8 is not the sum of the slots' claims");
    if (t.halted.empty() && t.claims_e8 > t.position.base_e8) {
      fail(where + "claims " + std::to_string(t.claims_e8) + " exceed the position " +
           std::to_string(t.position.base_e8));
    }
    size_t unresolved = 0;
    for (const auto& [cid, o] : t.orders) {
      if (cid != o.client_order_id) fail(where + "order keyed by another id");
      if (o.filled_lots < 0 || (o.filled_lots > o.qty_lots && t.halted.empty())) {
        fail(where + cid + " filled " + std::to_string(o.filled_lots) + " of " +
             std::to_string(o.qty_lots));
      }
      if (o.venue_executed_lots < o.filled_lots) {
        fail(where + cid + ": venue executed less than the journal's fills");
      }
      if (!o.working() && (o.cancel_pending || o.cancel_refused)) {
        fail(where + cid + ": a closed order with a cancel open");
      }
      if (o.working() != (o.closed_seq == 0)) fail(where + cid + ": closed_seq disagrees");
      if (!o.working()) {
        auto it = t.closed_by_seq.find(o.closed_seq);
        if (it == t.closed_by_seq.end() || it->second != cid) {
          fail(where + cid + ": closed, but not in closed_by_seq");
        }
      }
      const bool cancel_open = o.working() && (o.cancel_pending || o.cancel_refused);
      if (o.phase == model::OrderPhase::kInFlight || cancel_open || o.owes_fills()) ++unresolved;
      // A working order is its slot's current order, or a stray the engine will cancel.
    }
    if (unresolved != t.unresolved()) fail(where + "unresolved() inconsistent");
    for (const auto& [seq, cid] : t.closed_by_seq) {
      const model::Order* o = t.find_order(cid);
      if (o == nullptr) fail(where + "closed_by_seq names a retired order " + cid);
      if (o->working()) fail(where + "closed_by_seq names a working order " + cid);
    }
    if (t.orders.size() > model::kClosedOrdersRetained + 4096) fail(where + "orders unbounded");
    (void)t.sellable_e8();
    (void)t.strays();
  }
  for (const auto& [id, a] : s.accounts) {
    for (const std::string& asset : {"BTC", "USDT", "BNB", ""}) (void)a.expected_e8(asset);
  }
}

Record make(uint64_t seq, std::string task, Body body) {
  Record r;
  r.seq = seq;
  r.task_id = std::move(task);
  r.ts_exchange_ns = static_cast<int64_t>(seq) * 1'000'000;
  r.body = std::move(body);
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  model::State state;
  std::vector<Record> folded;
  Gen gen{in, {}, state};
  // Most inputs start as keel's journals do: an epoch and a started task.
  const bool print = std::getenv("FUZZ_APPLY_PRINT") != nullptr;
  auto show = [print](const Record& r) {
    if (print) {
      std::fprintf(stderr, "%s\n",
                   journal::record_to_json(r, journal::hash_bytes(journal::encode(r))).c_str());
    }
  };
  if (in.ConsumeBool()) {
    folded.push_back(make(1, journal::kJournalTaskId, journal::JournalEpoch{"aaaaaa", "created"}));
    show(folded.back());
    model::apply(state, folded.back());
    folded.push_back(make(2, "g", gen.task_started()));
    show(folded.back());
    model::apply(state, folded.back());
  }
  while (in.remaining_bytes() > 0 && folded.size() < 400) {
    const uint64_t seq = state.last_seq + 1;
    Record rec;
    if (in.ConsumeIntegralInRange<int>(0, 15) == 0) {  // a raw record from the codec
      const std::string bytes = in.ConsumeBytesAsString(in.ConsumeIntegralInRange<size_t>(0, 4000));
      auto d = journal::decode(bytes);
      if (!d.ok()) continue;
      rec = std::move(*d);
      rec.seq = seq;
      if (const auto* p = std::get_if<journal::PlaceIntent>(&rec.body)) {
        gen.cids.push_back(p->client_order_id);
      } else if (const auto* a = std::get_if<journal::OrderAdopted>(&rec.body)) {
        gen.cids.push_back(a->client_order_id);
      }
    } else {
      const std::string task = gen.task();
      Body body = gen.body(task, seq);
      const bool wide = journal::is_journal_wide(body);
      rec = make(seq, wide ? journal::kJournalTaskId : task, std::move(body));
    }
    // As from disk: only what the codec writes and reads back is ever folded.
    auto bytes = journal::try_encode(rec);
    if (!bytes.ok()) continue;
    auto back = journal::decode(*bytes);
    if (!back.ok()) fail("a record the codec wrote does not decode: " + back.status().ToString());
    show(*back);
    model::apply(state, *back);
    check(state, *back);
    folded.push_back(std::move(*back));
  }
  // The snapshot round-trips.
  const std::string snap = model::encode_state(state);
  auto decoded = model::decode_state(snap);
  if (!decoded.ok()) fail("decode_state(encode_state(s)): " + decoded.status().ToString());
  if (model::encode_state(*decoded) != snap) fail("the snapshot does not round-trip");
  // W3: the same records fold to the same state; R2: a snapshot taken half-way, then the tail.
  model::State again, half;
  const size_t mid = folded.size() / 2;
  for (size_t i = 0; i < folded.size(); ++i) {
    model::apply(again, folded[i]);
    if (i + 1 == mid) {
      auto h = model::decode_state(model::encode_state(again));
      if (!h.ok()) fail("half-way snapshot: " + h.status().ToString());
      half = std::move(*h);
    }
  }
  if (model::encode_state(again) != snap) fail("the fold is not deterministic");
  if (mid > 0) {
    for (size_t i = mid; i < folded.size(); ++i) model::apply(half, folded[i]);
    if (model::encode_state(half) != snap) {
      fail("snapshot at seq " + std::to_string(mid) + " + tail folds to another state");
    }
  }
  return 0;
}
