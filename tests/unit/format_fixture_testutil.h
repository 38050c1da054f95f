// Shared by the tests of journals an older keel wrote (tests/fixtures/journal-format*): a copy of
// a fixture to open, and the comparison of a folded task with that keel's `keel inspect --json`.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <memory>
#include <string>

#include "keel/core/fixed.h"
#include "keel/journal/journal.h"
#include "keel/model/state.h"

namespace keel::testutil {

// tests/fixtures/<name>, copied to a fresh /tmp directory (the fixture itself is never opened:
// a RocksDB open writes to its directory). The caller removes the copy.
inline std::string copy_fixture(const std::string& name) {
  std::string tmpl = "/tmp/keel-" + name + "-XXXXXX";
  const std::string dir = mkdtemp(tmpl.data());
  std::filesystem::copy(std::string(KEEL_SOURCE_DIR) + "/tests/fixtures/" + name, dir,
                        std::filesystem::copy_options::recursive);
  return dir;
}

// A read-only view of the journal in `dir` (a copy_fixture copy: nothing is written).
inline Result<std::unique_ptr<journal::Journal>> open_read_only(const std::string& dir) {
  journal::Journal::Options ro;
  ro.create_if_missing = false;
  ro.read_only = true;
  return journal::Journal::open(dir, ro);
}

inline std::string e8_text(int64_t e8) { return format_fixed(e8, kScaleE8, kScaleE8); }

// Expects the folded task `t` to show the slots `task` (one entry of an older keel's `keel
// inspect --json` "tasks") showed: each slot's state, price, client order id, quantity and
// filled quantity, in key order; and its fill count, inventory and fees.
inline void expect_task_as_inspected(const model::TaskState& t, const YAML::Node& task) {
  EXPECT_EQ(task["halted"].as<std::string>(), t.halted);
  const Instrument& ins = t.instrument;
  ASSERT_EQ(task["slots"].size(), t.slots.size());
  size_t i = 0;
  for (const auto& [key, slot] : t.slots) {
    const YAML::Node s = task["slots"][i++];
    SCOPED_TRACE(s["price"].as<std::string>());
    const model::Order* o = t.current_order(slot);
    const bool working = o != nullptr && o->working();
    EXPECT_EQ(s["state"].as<std::string>(), model::slot_state_name(t.slot_state(slot)));
    // Without an order, an older keel showed the slot's key as a price, a newer one "-".
    const std::string price = s["price"].as<std::string>();
    if (working) EXPECT_EQ(price, ins.format_price(o->price_ticks));
    else EXPECT_TRUE(price == "-" || price == ins.format_price(key)) << price;
    EXPECT_EQ(s["client_order_id"].as<std::string>(), working ? o->client_order_id : "");
    EXPECT_EQ(s["qty"].as<std::string>(),
              working ? ins.format_qty(o->qty_lots) : e8_text(slot.claim_e8));
    if (working) {
      EXPECT_EQ(s["filled_qty"].as<std::string>(), ins.format_qty(o->filled_lots));
    }
  }
  EXPECT_EQ(task["fills"].as<uint64_t>(), t.buys.fills + t.sells.fills);
  EXPECT_EQ(task["inventory"].as<std::string>(), e8_text(t.position.base_e8));
  EXPECT_EQ(task["fees"].as<std::string>(), e8_text(t.fees_e8));
}

}  // namespace keel::testutil
