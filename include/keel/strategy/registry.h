// keel/strategy/registry.h: the strategies keel knows, by the name a config's tasks[].strategy
// gives, each with the params it takes.
//
// A strategy declares its params as a schema (ParamSpec); the config loader reads the YAML map
// tasks[i].params against it (unknown keys, types, ranges: every error names its key), then the
// strategy's make() checks what one value alone cannot (relations between params) and binds the
// values into an immutable Strategy. The canonical params text (journaled in TaskStarted; a
// change of it is a new task, engine.h) lists every param in schema order, defaults included,
// except a param marked omit_when_default while at its default.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "keel/core/instrument.h"
#include "keel/core/status.h"
#include "keel/strategy/strategy.h"

namespace keel::strategy {

struct ParamSpec {
  enum class Kind : unsigned char {
    kPrice,    // a decimal in quote units, a positive multiple of tick_size: stored in ticks
    kQty,      // a decimal in base units, a positive multiple of step_size: stored in lots
    kDecimal,  // a decimal, stored at 1e-8 (e8), in [min, max] (e8)
    kInteger,  // an integer in [min, max]
    kChoice,   // one of the words of `choices` (comma separated): stored as its index
  };
  const char* key;
  Kind kind;
  bool required;
  int64_t fallback;  // when absent and not required (ticks, lots, e8 or plain integer)
  int64_t min;       // kDecimal, kInteger: inclusive bounds (kDecimal in e8)
  int64_t max;
  const char* doc;   // one line for `keel strategies` and the README: unit and meaning
  const char* choices = nullptr;  // kChoice: "conservative,moderate,aggressive"
  // Left out of the canonical params text while its value is `fallback` (a param added to a
  // strategy later, off by default: a journal started before it still matches its config).
  bool omit_when_default = false;
};

// The values of one task's params, by key, in the unit of each ParamSpec (ticks, lots, e8, or
// the integer). Every key of the schema is present once parsed.
struct ParamValues {
  std::map<std::string, int64_t, std::less<>> values;
  // REQUIRES: `key` is in the schema (asserts).
  int64_t get(std::string_view key) const;
};

// What a strategy's make() returns: the bound strategy, or kInvalidArgument whose message
// starts with the offending key ("sell_window_size: ..."); the config loader prefixes the path.
using MakeStrategy = std::function<Result<std::shared_ptr<const Strategy>>(
    const ParamValues& values, const Instrument& instrument)>;

struct StrategyInfo {
  const char* name;     // tasks[].strategy
  const char* summary;  // one line: what it does
  const char* seed;     // the seed document it follows (../shared/seeds/)
  std::vector<ParamSpec> params;
  MakeStrategy make;
  // What `keel inspect` calls a slot of this strategy ("61600.00" for a grid level, "bid",
  // "L2-ask"), from its key alone (inspect reads journals without their config). Pure.
  std::string (*slot_label)(int64_t slot_key, const Instrument& instrument) = nullptr;
};

// kChoice: the words of spec.choices, in order (the stored value is the index).
std::vector<std::string> choice_words(const ParamSpec& spec);

// Every registered strategy, in name order.
const std::vector<StrategyInfo>& strategies();

// The strategy named `name`, or nullptr.
const StrategyInfo* find_strategy(std::string_view name);

// "grid, ..." for error messages.
std::string strategy_names();

// The canonical params text: "key=value;..." in schema order, prices and quantities as trimmed
// decimals ("price_interval=5;order_quantity=0.002;..."), decimals likewise, integers plain; a
// param with omit_when_default is left out while its value is its fallback.
std::string params_text(const StrategyInfo& info, const ParamValues& values,
                        const Instrument& instrument);

}  // namespace keel::strategy
