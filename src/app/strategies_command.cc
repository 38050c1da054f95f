// keel strategies: the strategies this keel knows and the params each takes, from the registry
// (keel/strategy/registry.h), so the help and the parser can never disagree.
#include <iostream>
#include <string>

#include "app.h"
#include "keel/core/fixed.h"
#include "keel/strategy/registry.h"

namespace keel::app {

namespace {

std::string kind_text(const strategy::ParamSpec& p) {
  using K = strategy::ParamSpec::Kind;
  switch (p.kind) {
    case K::kPrice: return "price";
    case K::kQty: return "quantity";
    case K::kDecimal:
      return "decimal in [" + format_fixed_trim(p.min, kScaleE8) + ", " +
             format_fixed_trim(p.max, kScaleE8) + "]";
    case K::kInteger: return "integer in [" + std::to_string(p.min) + ", " + std::to_string(p.max) + "]";
    case K::kChoice: return std::string("one of ") + p.choices;
  }
  return "?";
}

std::string default_text(const strategy::ParamSpec& p) {
  if (p.required) return "required";
  if (p.kind == strategy::ParamSpec::Kind::kDecimal) {
    return "default " + format_fixed_trim(p.fallback, kScaleE8);
  }
  if (p.kind == strategy::ParamSpec::Kind::kChoice) {
    return "default " + strategy::choice_words(p).at(static_cast<size_t>(p.fallback));
  }
  return "default " + std::to_string(p.fallback);
}

}  // namespace

int strategies_command() {
  for (const strategy::StrategyInfo& s : strategy::strategies()) {
    std::cout << s.name << " (seed " << s.seed << "): " << s.summary << "\n";
    for (const strategy::ParamSpec& p : s.params) {
      std::cout << "  params." << p.key << ": " << p.doc << "; " << kind_text(p) << ", "
                << default_text(p) << "\n";
    }
  }
  return 0;
}

}  // namespace keel::app
