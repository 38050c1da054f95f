// The engine end to end on real data: live equals replay (W3), journal before request (W1),
// fail-stop (W4), and restart at chosen cut points equals an uninterrupted run (R2).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "keel/core/clock.h"
#include "keel/core/ids.h"
#include "keel/engine/engine.h"
#include "engine_testutil.h"
#include "keel/exchange/forwarding.h"
#include "keel/exchange/sim.h"
#include "keel/market/capture.h"
#include "keel/model/snapshot.h"

namespace keel::engine {
namespace {

namespace fs = std::filesystem;
using testutil::test_config;

// An Exchange decorator that checks W1 at every state-changing request.
class JournalFirstSpy final : public exchange::ForwardingExchange {
 public:
  JournalFirstSpy(exchange::Exchange& inner, journal::Journal& j)
      : ForwardingExchange(inner), j_(j) {}
  exchange::PlaceResult place(const exchange::OrderRequest& req) override {
    check(req.client_order_id, true);
    return inner_.place(req);
  }
  exchange::CancelResult cancel(const std::string& s, const std::string& cid,
                                exchange::RequestStamp stamp = {}) override {
    check(cid, false);
    return inner_.cancel(s, cid, stamp);
  }
  exchange::ReplaceResult cancel_replace(const std::string& c,
                                         const exchange::OrderRequest& r) override {
    ADD_FAILURE() << "the grid never amends";
    return inner_.cancel_replace(c, r);
  }
  void poll_user_events(std::vector<exchange::ExecutionReport>& out) override {
    const size_t first = out.size();
    inner_.poll_user_events(out);
    if (!mangle) return;
    // The stream as a bad network delivers it: each batch reversed (a fill before its NEW, a
    // CANCELED before the fill that preceded it), then every report again.
    // and the previous batch once more after it (stale reports: a NEW after its order filled
    // or was cancelled, a fill already folded).
    std::reverse(out.begin() + static_cast<std::ptrdiff_t>(first), out.end());
    const size_t end = out.size();
    for (size_t i = first; i < end; ++i) out.push_back(out[i]);
    out.insert(out.end(), previous_.begin(), previous_.end());
    stale += previous_.size();
    previous_.assign(out.begin() + static_cast<std::ptrdiff_t>(first),
                     out.begin() + static_cast<std::ptrdiff_t>(end));
    mangled += end - first;
    for (size_t i = first; i + 1 < end; ++i) {  // a pair of one order's reports, now reversed
      if (out[i].order.client_order_id == out[i + 1].order.client_order_id) ++swapped_pairs;
    }
  }
  size_t requests = 0;
  bool mangle = false;  // duplicate and reorder every batch of user events
  size_t mangled = 0;   // reports so mangled
  size_t swapped_pairs = 0;  // adjacent reports of one order delivered in reverse
  size_t stale = 0;          // reports delivered again one batch later
  bool forbid = false;     // W4: no request may leave
  bool emergency = false;  // W4's cancel-all: the journal is dead, cancels go unjournaled

 private:
  // The intent naming `cid` must be in the journal, and a sync must have happened since the
  // previous request's intent (one decision = one sync; several requests may share it).
  void check(const std::string& cid, bool place) {
    ++requests;
    EXPECT_FALSE(forbid) << "a request left after the journal failed";
    if (emergency) return;
    bool found = false;
    const uint64_t tail = j_.last_seq() > 50 ? j_.last_seq() - 50 : 1;
    EXPECT_TRUE(j_.for_each(tail, [&](const journal::Record& r) {
      if (place) {
        if (auto* p = std::get_if<journal::PlaceIntent>(&r.body)) found |= p->client_order_id == cid;
      } else if (auto* c = std::get_if<journal::CancelIntent>(&r.body)) {
        found |= c->client_order_id == cid;
      }
      return true;
    }).ok());
    EXPECT_TRUE(found) << cid << " sent before its intent was journaled";
    EXPECT_GT(j_.stats().syncs, 0u);
  }
  journal::Journal& j_;
  std::vector<exchange::ExecutionReport> previous_;
};

struct World {
  std::string dir;
  Config cfg = test_config();
  std::unique_ptr<journal::Journal> journal;
  std::unique_ptr<exchange::sim::SimExchange> sim;
  std::unique_ptr<market::CaptureReader> reader;
  std::unique_ptr<JournalFirstSpy> spy;
  std::unique_ptr<Engine> engine;

  explicit World(std::string d) : dir(std::move(d)) {}
  // (Re)opens everything as a fresh process would, catches up and recovers.
  void open() {
    engine.reset();
    spy.reset();
    sim.reset();
    journal.reset();
    journal = std::move(*journal::Journal::open(dir + "/journal", {}));
    exchange::sim::SimOptions so{cfg.instrument, cfg.sim.maker_fee_rate_e8, cfg.sim.balances,
                                 dir + "/sim"};
    sim = std::move(*exchange::sim::SimExchange::open(so));
    reader = std::move(*market::CaptureReader::open(cfg.sim.data));
    spy = std::make_unique<JournalFirstSpy>(*sim, *journal);
    engine = std::make_unique<Engine>(cfg, *journal, *spy, SystemClock::instance());
    ASSERT_TRUE(engine->load_and_start().ok());
    market::MarketEvent ev;
    for (uint64_t i = 0; i < sim->position(); ++i) {
      ASSERT_TRUE(reader->next(ev).ok());
      ASSERT_TRUE(sim->warm_up(ev).ok());
      engine->observe(ev);
    }
    auto rec = engine->recover();
    ASSERT_TRUE(rec.ok());
    EXPECT_TRUE(rec->problems.empty()) << rec->problems.front();
    ASSERT_TRUE(engine->decide_all().ok());
  }
  // Replays up to `limit` more events (0: to the end). Returns the status of the last step.
  Status step(uint64_t limit) {
    market::MarketEvent ev;
    for (uint64_t n = 0; limit == 0 || n < limit; ++n) {
      Status s = reader->next(ev);
      if (s.code() == Code::kEndOfData) return engine->finish_recording(sim->position());
      if (!s.ok()) return s;
      KEEL_RETURN_IF_ERROR(sim->on_market(ev));
      KEEL_RETURN_IF_ERROR(engine->on_market(ev));
    }
    return Status::Ok();
  }
};

std::string temp_dir() {
  char tmpl[] = "/tmp/keel-engine-XXXXXX";
  return mkdtemp(tmpl);
}

// A digest of everything a folded task holds, apart from client order ids.
std::string digest(const model::State& s) {
  std::string out;
  for (const auto& [id, t] : s.tasks) {
    out += id + " inv=" + std::to_string(t.position.base_e8) + " pnl=" +
           std::to_string(t.realized_pnl_e8) + " fees=" + std::to_string(t.fees_e8) +
           " buys=" + std::to_string(t.buys.fills) + "/" + std::to_string(t.buys.qty_lots) +
           " sells=" + std::to_string(t.sells.fills) + "/" + std::to_string(t.sells.qty_lots) +
           " trades=" + std::to_string(t.trade_ids.size()) + "\n";
    for (const auto& [key, slot] : t.slots) {
      const model::Order* o = t.current_order(slot);
      out += std::to_string(key) + ":" + model::slot_state_name(t.slot_state(slot)) +
             " claim=" + std::to_string(slot.claim_e8) +
             (o ? " " + std::string(side_name(o->side)) + "@" + std::to_string(o->price_ticks) +
                      " q=" + std::to_string(o->qty_lots) + " f=" + std::to_string(o->filled_lots)
                : "") +
             "\n";
    }
  }
  return out;
}

TEST(Engine, LiveStateEqualsTheFoldOfItsJournal) {
  World w(temp_dir());
  w.open();
  ASSERT_TRUE(w.step(0).ok());
  const model::State& live = w.engine->state();
  const auto& t = live.tasks.at("g1");
  EXPECT_GT(t.buys.fills, 0u);
  EXPECT_GT(t.sells.fills, 0u);
  EXPECT_GT(w.spy->requests, 100u);
  // Replay: fold the journal from disk into a fresh state.
  model::State replayed;
  ASSERT_TRUE(w.journal->for_each(1, [&](const journal::Record& r) {
    model::apply(replayed, r);
    return true;
  }).ok());
  EXPECT_EQ(digest(replayed), digest(live));
  EXPECT_EQ(replayed.last_seq, live.last_seq);
  // And the exchange agrees: every LOCKED slot's order is open there, with the same fill.
  auto open = w.sim->open_orders("BTCUSDT");
  ASSERT_TRUE(open.ok());
  size_t locked = 0;
  for (const auto& [key, slot] : t.slots) {
    if (t.slot_state(slot) != model::SlotState::kLocked) continue;
    ++locked;
    const model::Order* o = t.current_order(slot);
    auto it = std::find_if(open->begin(), open->end(), [&](const exchange::OrderReport& r) {
      return r.client_order_id == o->client_order_id;
    });
    ASSERT_NE(it, open->end());
    EXPECT_EQ(it->executed_lots, o->filled_lots);
  }
  EXPECT_EQ(locked, open->size());
  fs::remove_all(w.dir);
}

TEST(Engine, RestartAtCutPointsEqualsAnUninterruptedRun) {
  World ref(temp_dir());
  ref.open();
  ASSERT_TRUE(ref.step(0).ok());
  const std::string expected = digest(ref.engine->state());
  for (uint64_t cut : {1u, 777u, 5003u, 20011u}) {
    World w(temp_dir());
    w.open();
    ASSERT_TRUE(w.step(cut).ok());
    w.open();  // as after a crash: nothing is closed cleanly, state comes from disk
    ASSERT_TRUE(w.step(0).ok());
    EXPECT_EQ(digest(w.engine->state()), expected) << "cut at event " << cut;
    fs::remove_all(w.dir);
  }
  fs::remove_all(ref.dir);
}

// In-doubt case: executionReports duplicated and reordered (a fill before its ack, a
// cancellation before an earlier fill). Fills are de-duplicated by trade id (R3) and the
// order's state follows the evidence, so the run ends exactly like the clean one.
TEST(Engine, DuplicatedAndReorderedExecutionReportsFoldToTheSameState) {
  World ref(temp_dir());
  ref.open();
  ASSERT_TRUE(ref.step(0).ok());
  World w(temp_dir());
  w.open();
  w.spy->mangle = true;
  ASSERT_TRUE(w.step(0).ok());
  EXPECT_GT(w.spy->mangled, 100u);
  EXPECT_GT(w.spy->swapped_pairs, 0u);
  EXPECT_GT(w.spy->stale, 100u);
  std::printf("%zu reports duplicated, %zu delivered again a batch later, %zu pairs of one "
              "order's reports reversed\n", w.spy->mangled, w.spy->stale, w.spy->swapped_pairs);
  EXPECT_EQ(digest(w.engine->state()), digest(ref.engine->state()));
  EXPECT_GT(w.engine->state().tasks.at("g1").buys.fills, 0u);
  fs::remove_all(w.dir);
  fs::remove_all(ref.dir);
}

TEST(Engine, SnapshotPlusTailFoldsToTheSameState) {
  World w(temp_dir());
  w.cfg.snapshot_every_records = 300;
  w.open();
  ASSERT_TRUE(w.step(0).ok());
  const std::string live = digest(w.engine->state());
  w.engine.reset();
  w.spy.reset();
  w.journal.reset();
  auto j = journal::Journal::open(w.dir + "/journal", {});
  ASSERT_TRUE(j.ok());
  ASSERT_TRUE((*j)->snapshot().has_value());
  EXPECT_GT((*j)->snapshot()->seq, 300u);
  bool from_snapshot = false;
  auto folded = model::fold_journal(**j, &from_snapshot);
  ASSERT_TRUE(folded.ok());
  EXPECT_TRUE(from_snapshot);
  EXPECT_EQ(digest(*folded), live);
  // The full fold from record 1 agrees as well (retention limits are part of apply).
  model::State full;
  ASSERT_TRUE((*j)->for_each(1, [&](const journal::Record& r) {
    model::apply(full, r);
    return true;
  }).ok());
  EXPECT_EQ(digest(full), live);
  EXPECT_EQ(model::encode_state(full), model::encode_state(*folded));
  fs::remove_all(w.dir);
}

TEST(Engine, FailedSyncStopsEveryIntentForGood) {
  World w(temp_dir());
  w.open();
  ASSERT_TRUE(w.step(3000).ok());
  const uint64_t seq_before = w.journal->last_seq();
  w.journal->inject_write_failure_for_testing();
  w.spy->forbid = true;
  Status s = w.step(0);
  EXPECT_EQ(s.code(), Code::kFailStop);
  EXPECT_EQ(w.journal->last_seq(), seq_before);
  // Every later step is refused too: the failure is sticky.
  EXPECT_EQ(w.step(100).code(), Code::kFailStop);
  // Cancel-all reduces exposure without the journal.
  w.spy->forbid = false;
  w.spy->emergency = true;
  EXPECT_GT(w.engine->emergency_cancel_all(), 0u);
  auto open = w.sim->open_orders("BTCUSDT");
  ASSERT_TRUE(open.ok());
  EXPECT_TRUE(open->empty());
  fs::remove_all(w.dir);
}

}  // namespace
}  // namespace keel::engine
