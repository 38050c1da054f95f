// keel inspect's tables (issue 10 item 7): only the slots that matter by default, every slot
// with --all; the PnL split on the task's line.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

#include "app.h"
#include "fixture_btcusdt.h"
#include "keel/core/ids.h"
#include "keel/model/state.h"

namespace keel::app {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

model::State grid_with_a_working_and_a_free_slot() {
  model::State st;
  auto fold = [&](journal::Body body) {
    journal::Record r;
    r.seq = st.last_seq + 1;
    r.task_id = "g";
    r.body = std::move(body);
    model::apply(st, r);
  };
  fold(testing_fixture::btcusdt_grid_task());
  const std::string working = make_client_order_id("", "g", st.last_seq + 1);
  fold(journal::PlaceIntent{6183000, Side::kBuy, 6183000, 100, working, {}});
  fold(journal::OrderAccepted{working, 1, journal::Source::kResponse});
  const std::string gone = make_client_order_id("", "g", st.last_seq + 1);
  fold(journal::PlaceIntent{6182500, Side::kBuy, 6182500, 100, gone, {}});
  fold(journal::OrderAccepted{gone, 2, journal::Source::kResponse});
  fold(journal::OrderCanceled{gone, 0, journal::Source::kUserStream});
  return st;
}

TEST(InspectTables, OnlyTheSlotsThatMatterUnlessAll) {
  const model::State st = grid_with_a_working_and_a_free_slot();
  std::ostringstream brief, all;
  print_inspect_tables(st, brief);
  print_inspect_tables(st, all, /*all=*/true);
  EXPECT_THAT(brief.str(), HasSubstr("61830.00000000"));
  EXPECT_THAT(brief.str(), HasSubstr("LOCKED"));
  EXPECT_THAT(brief.str(), Not(HasSubstr("61825.00000000")));
  EXPECT_THAT(brief.str(), HasSubstr("(1 free slots not shown: --all lists every slot)"));
  EXPECT_THAT(all.str(), HasSubstr("61825.00000000"));
  EXPECT_THAT(all.str(), Not(HasSubstr("not shown")));
  EXPECT_THAT(brief.str(), HasSubstr("PnL split: spread 0.00000000, inventory 0.00000000"));
}

}  // namespace
}  // namespace keel::app
