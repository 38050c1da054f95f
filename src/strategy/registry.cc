#include "keel/strategy/registry.h"

#include <algorithm>

#include "keel/core/fixed.h"
#include "keel/strategy/avellaneda_stoikov.h"
#include "keel/strategy/grid.h"
#include "keel/strategy/mode_flip.h"
#include "keel/strategy/tiered.h"
#include "keel/strategy/top_of_book.h"

namespace keel::strategy {

int64_t ParamValues::get(std::string_view key) const {
  auto it = values.find(key);
  KEEL_ASSERT(it != values.end());
  return it->second;
}

std::vector<std::string> choice_words(const ParamSpec& spec) {
  std::vector<std::string> out;
  std::string_view rest = spec.choices == nullptr ? "" : spec.choices;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    out.emplace_back(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? "" : rest.substr(comma + 1);
  }
  return out;
}

const std::vector<StrategyInfo>& strategies() {
  static const std::vector<StrategyInfo> all = [] {
    std::vector<StrategyInfo> v{avellaneda_stoikov_info(), grid_info(), mode_flip_info(),
                                tiered_info(), top_of_book_info()};
    std::sort(v.begin(), v.end(), [](const StrategyInfo& a, const StrategyInfo& b) {
      return std::string_view(a.name) < std::string_view(b.name);
    });
    return v;
  }();
  return all;
}

const StrategyInfo* find_strategy(std::string_view name) {
  for (const StrategyInfo& s : strategies()) {
    if (name == s.name) return &s;
  }
  return nullptr;
}

std::string strategy_names() {
  std::string out;
  for (const StrategyInfo& s : strategies()) out += (out.empty() ? "" : ", ") + std::string(s.name);
  return out;
}

std::string params_text(const StrategyInfo& info, const ParamValues& values,
                        const Instrument& instrument) {
  std::string out;
  for (const ParamSpec& p : info.params) {
    const int64_t v = values.get(p.key);
    if (p.omit_when_default && !p.required && v == p.fallback) continue;
    std::string text;
    switch (p.kind) {
      case ParamSpec::Kind::kPrice: text = format_fixed_trim(v * instrument.tick_e8, kScaleE8); break;
      case ParamSpec::Kind::kQty: text = format_fixed_trim(v * instrument.step_e8, kScaleE8); break;
      case ParamSpec::Kind::kDecimal: text = format_fixed_trim(v, kScaleE8); break;
      case ParamSpec::Kind::kInteger: text = std::to_string(v); break;
      case ParamSpec::Kind::kChoice: text = choice_words(p).at(static_cast<size_t>(v)); break;
    }
    out += (out.empty() ? "" : ";") + std::string(p.key) + "=" + text;
  }
  return out;
}

}  // namespace keel::strategy
