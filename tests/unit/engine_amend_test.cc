// Amend through the engine (issue 10): a strategy that keeps a buy at the best bid and a sell of
// what it holds at the best ask, moving each with an amend (one cancelReplace, journaled as one
// AmendIntent), run on the recorded BTCUSDT data against the embedded exchange. The journal must
// end as the venue's truth (every fill once, the working orders the venue's open orders, R4
// exact), also when amends are answered "unknown" and execute 1.5 s later, events are lost, and
// the process crashes in between.
#include <gtest/gtest.h>

#include "engine_faults_testutil.h"

namespace keel::engine {
namespace {

using strategy::IntentSpec;
using testutil::World;

// A test double, not a product strategy: slot 1 buys order_lots at the best bid, slot 2 sells
// up to order_lots of the held position at the best ask; an open order whose price is not the
// touch any more is amended to it. Slots with an in-flight order or a pending cancel are left
// alone (R1).
class TouchChaser final : public strategy::Strategy {
 public:
  const char* name() const override { return "grid"; }
  void decide(const strategy::MarketView& view, const model::TaskState& task,
              std::vector<IntentSpec>& out) const override {
    if (!view.ready() || !task.halted.empty()) return;
    const int64_t sell_lots =
        std::min<int64_t>(kLots, task.sellable_e8() / task.instrument.step_e8);
    quote(task, 1, Side::kBuy, view.best_bid_ticks, kLots, view, out);
    quote(task, 2, Side::kSell, view.best_ask_ticks, sell_lots, view, out);
  }
  int64_t adopt_slot_key(Side side, int64_t) const override { return side == Side::kBuy ? 1 : 2; }
  std::vector<strategy::OrderSketch> opening_orders(int64_t) const override { return {}; }

 private:
  static constexpr int64_t kLots = 200;  // 0.002 BTC
  static void quote(const model::TaskState& task, int64_t key, Side side, int64_t price,
                    int64_t lots, const strategy::MarketView& view, std::vector<IntentSpec>& out) {
    auto it = task.slots.find(key);
    const model::Order* o = it == task.slots.end() ? nullptr : task.current_order(it->second);
    if (o != nullptr && o->working()) {
      if (o->phase != model::OrderPhase::kOpen || o->cancel_pending || o->cancel_refused) return;
      if (o->price_ticks == price) return;
      const int64_t left = o->qty_lots - o->filled_lots;
      out.push_back({IntentSpec::Kind::kAmend, key, side, price, left, o->client_order_id,
                     "touch moved"});
      return;
    }
    if (it != task.slots.end() && view.ts_exchange_ns < it->second.retry_after_ns) return;
    if (lots <= 0) return;
    out.push_back({IntentSpec::Kind::kPlace, key, side, price, lots, "", "touch"});
  }
};

Config chaser_config() {
  Config c = testutil::test_config();
  c.tasks[0].impl = std::make_shared<TouchChaser>();
  c.tasks[0].params_text = "touch chaser";
  return c;
}

TEST(EngineAmend, ChasingTheTouchWithAmendsEndsAsTheVenuesTruth) {
  World w;
  auto& k = w.add("a", chaser_config());
  w.run();
  w.settle();
  testutil::expect_matches_truth(w, k);
  const model::TaskState& t = k.engine->state().tasks.at("g1");
  std::printf("amends %llu, places %llu, cancels %llu, fills buy %llu sell %llu\n",
              (unsigned long long)t.intents_amend, (unsigned long long)t.intents_place,
              (unsigned long long)t.intents_cancel, (unsigned long long)t.buys.fills,
              (unsigned long long)t.sells.fills);
  EXPECT_GT(t.intents_amend, 100u);
  EXPECT_GT(t.buys.fills, 0u);
  EXPECT_GT(t.sells.fills, 0u);
  EXPECT_LE(testutil::max_cancels_of_one_order(k), 1);  // an order is replaced at most once
  // Every amend's original is closed and its replacement known: nothing left in doubt.
  EXPECT_EQ(t.unresolved(), 0u);
}

TEST(EngineAmend, AmendsAnsweredUnknownThatExecuteLateAcrossCrashesEndAsTheVenuesTruth) {
  World w;
  auto& k = w.add("a", chaser_config());
  k.venue->late_amend_every = 7;
  k.venue->drop_every = 13;
  for (int life = 0; life < 6; ++life) {
    w.run(8'000);
    w.crash_and_restart(k);
  }
  w.run();
  w.settle();
  testutil::expect_matches_truth(w, k);
  const model::TaskState& t = k.engine->state().tasks.at("g1");
  std::printf("amends %llu (late %d, executed late %d), fills buy %llu sell %llu, dropped %d\n",
              (unsigned long long)t.intents_amend, k.venue->amends, k.venue->amends_late,
              (unsigned long long)t.buys.fills, (unsigned long long)t.sells.fills,
              k.venue->dropped);
  EXPECT_GT(k.venue->amends_late, 5);  // late amends did execute...
  EXPECT_GT(k.engine->stats().unknown_outcomes + t.intents_amend, 0u);
  EXPECT_LE(testutil::max_cancels_of_one_order(k), 1);  // ...and none was sent twice
}

}  // namespace
}  // namespace keel::engine
