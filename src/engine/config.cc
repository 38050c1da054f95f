#include "keel/engine/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string_view>

#include "keel/core/ids.h"
#include "keel/model/state.h"
#include "keel/strategy/registry.h"

namespace keel::engine {

namespace fs = std::filesystem;

namespace {

struct Ctx {
  std::string origin;
  Status error(const std::string& field, const std::string& what) const {
    return Status::InvalidArgument(origin + ": " + field + ": " + what);
  }
};

// ---- The keys of every map, and the check that refuses any other -------------------------

// The keys valid in one map; `where` completes "KEY belongs ..." in messages.
struct KeySet {
  std::string where;
  std::vector<std::string_view> keys;
  bool has(std::string_view k) const { return std::find(keys.begin(), keys.end(), k) != keys.end(); }
};

const KeySet kTopKeys{"at the top level",
                      {"data_dir", "snapshot_every_records", "instrument", "instruments",
                       "exchange", "accounts", "tasks"}};
const KeySet kInstrumentKeys{
    "under instrument:",
    {"symbol", "base_asset", "quote_asset", "tick_size", "step_size", "min_notional"}};
const KeySet kSimKeys{"under exchange: with kind: sim",
                      {"kind", "speed", "data", "maker_fee", "balances", "commission_asset",
                       "max_orders_per_10s", "max_orders_per_day"}};
const KeySet kBinanceKeys{"under exchange: with kind: binance",
                          {"kind", "rest_url", "ws_url", "ws_api_url", "api_key_env",
                           "api_secret_env", "credentials_file", "reconcile_every_ms",
                           "recv_window_ms", "evidence_margin_ms", "max_orders_per_10s",
                           "max_orders_per_day"}};
const KeySet kAccountKeys{"under accounts[i]:",
                          {"id", "balances", "maker_fee", "commission_asset", "api_key_env",
                           "api_secret_env", "credentials_file", "max_orders_per_10s",
                           "max_orders_per_day"}};
const KeySet kTaskKeys{"under tasks[i]: next to params:",
                       {"id", "account", "symbol", "strategy", "params", "max_intents_per_second", "intent_burst",
                        "risk"}};
const KeySet kRiskKeys{"under tasks[i].risk:",
                       {"max_position", "max_notional", "min_quote_balance", "max_open_orders",
                        "caution_percent", "max_price_jump_bps", "max_spread_bps", "min_depth",
                        "depth_band_bps", "max_fills_per_minute"}};
// Used only when exchange.kind is missing (not in all_key_sets()).
const KeySet kExchangeAnyKeys{"under exchange:",
                              {"kind", "speed", "data", "maker_fee", "balances",
                               "commission_asset", "rest_url", "ws_url", "ws_api_url",
                               "api_key_env", "api_secret_env", "credentials_file",
                               "reconcile_every_ms", "recv_window_ms", "evidence_margin_ms",
                               "max_orders_per_10s", "max_orders_per_day"}};
// The params of each registered strategy (keel/strategy/registry.h), in registry order.
const std::vector<KeySet>& strategy_key_sets() {
  static const std::vector<KeySet> sets = [] {
    std::vector<KeySet> out;
    for (const strategy::StrategyInfo& info : strategy::strategies()) {
      KeySet k{std::string("under tasks[i].params: of strategy: ") + info.name, {}};
      for (const strategy::ParamSpec& p : info.params) k.keys.push_back(p.key);
      out.push_back(std::move(k));
    }
    return out;
  }();
  return sets;
}

// Every key set, for "KEY belongs ..." and "did you mean" across the file.
const std::vector<const KeySet*>& all_key_sets() {
  static const std::vector<const KeySet*> all = [] {
    std::vector<const KeySet*> v{&kTopKeys, &kInstrumentKeys, &kSimKeys, &kBinanceKeys,
                                 &kAccountKeys, &kTaskKeys};
    for (const KeySet& k : strategy_key_sets()) v.push_back(&k);
    v.push_back(&kRiskKeys);
    return v;
  }();
  return all;
}

// Optimal string alignment distance (Levenshtein plus adjacent transpositions).
size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

// A suggestion only when the typed key is close: at most a third of its length edited.
bool close_enough(std::string_view typed, size_t distance) {
  return distance > 0 && 3 * distance <= std::max<size_t>(typed.size(), 3);
}

struct Near {
  std::string_view key;
  const KeySet* set = nullptr;
  size_t distance = SIZE_MAX;
};

void nearest_in(const KeySet& s, std::string_view typed, Near& best) {
  for (std::string_view k : s.keys) {
    const size_t d = edit_distance(typed, k);
    if (d < best.distance) best = {k, &s, d};
  }
}

std::string join(const KeySet& s) {
  std::string out;
  for (std::string_view k : s.keys) {
    if (!out.empty()) out += ", ";
    out += k;
  }
  return out;
}

// Every key of `node` (a map) must be in `here`. `other_kind` is the key set of the other
// exchange kind (under exchange:), whose keys get "belongs to kind: X". `nearest` is the key set
// searched first for where a key belongs (a task's own strategy's params: several strategies
// share key names).
Status check_keys(const Ctx& c, const YAML::Node& node, const std::string& path,
                  const KeySet& here, const KeySet* other_kind = nullptr,
                  const char* other_kind_name = nullptr, const char* this_kind_name = nullptr,
                  const KeySet* nearest = nullptr) {
  std::vector<std::string> seen;
  for (const auto& kv : node) {
    if (!kv.first.IsScalar()) {
      return c.error(path + "(a key)", "a key must be a plain name, not a list or a map");
    }
    const std::string key = kv.first.Scalar();
    if (here.has(key)) {
      // yaml-cpp keeps both and answers with the first: refuse rather than guess.
      if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
        return c.error(path + key, "given twice");
      }
      seen.push_back(key);
      continue;
    }
    const std::string field = path + key;
    if (other_kind != nullptr && other_kind->has(key)) {
      return c.error(field, std::string("unknown key for kind: ") + this_kind_name + " (" + key +
                                " belongs to kind: " + other_kind_name + ")");
    }
    if (nearest != nullptr && nearest->has(key)) {
      return c.error(field, "unknown key here (" + key + " belongs " + nearest->where + ")");
    }
    for (const KeySet* s : all_key_sets()) {
      if (s != &here && s != other_kind && s->has(key)) {
        return c.error(field, "unknown key here (" + key + " belongs " + s->where + ")");
      }
    }
    Near local;
    nearest_in(here, key, local);
    if (close_enough(key, local.distance)) {
      return c.error(field, "unknown key (did you mean " + std::string(local.key) + "?)");
    }
    Near elsewhere;
    for (const KeySet* s : all_key_sets()) {
      if (s != &here) nearest_in(*s, key, elsewhere);
    }
    if (close_enough(key, elsewhere.distance)) {
      const std::string k(elsewhere.key);
      return c.error(field, "unknown key (did you mean " + k + "? " + k + " belongs " +
                                elsewhere.set->where + ")");
    }
    return c.error(field, "unknown key (known keys here: " + join(here) + ")");
  }
  return Status::Ok();
}

// ---- Values ----------------------------------------------------------------------------

Result<std::string> scalar(const Ctx& c, const YAML::Node& parent, const char* key,
                           const std::string& path) {
  const YAML::Node n = parent[key];
  if (!n) return c.error(path + key, "missing");
  if (!n.IsScalar()) return c.error(path + key, "must be a single value");
  return n.Scalar();
}

// An optional non-empty single value.
Result<std::string> optional_text(const Ctx& c, const YAML::Node& parent, const char* key,
                                  const std::string& path, std::string fallback) {
  if (!parent[key]) return fallback;
  auto s = scalar(c, parent, key, path);
  if (!s.ok()) return s.status();
  if (s->empty()) return c.error(path + key, "must not be empty");
  return s;
}

Result<int64_t> decimal_e8(const Ctx& c, const YAML::Node& parent, const char* key,
                           const std::string& path) {
  auto s = scalar(c, parent, key, path);
  if (!s.ok()) return s.status();
  auto v = parse_fixed(*s, kScaleE8);
  if (!v.ok()) return c.error(path + key, v.status().message());
  return v;
}

// An optional integer in [lo, hi] (`fallback` when absent).
Result<int64_t> int_in(const Ctx& c, const YAML::Node& parent, const char* key,
                       const std::string& path, int64_t fallback, int64_t lo, int64_t hi) {
  if (!parent[key]) return fallback;
  auto s = scalar(c, parent, key, path);
  if (!s.ok()) return s.status();
  auto v = parse_fixed(*s, 0);
  if (!v.ok() || *v < lo || *v > hi) {
    const std::string range = hi == std::numeric_limits<int64_t>::max()
                                  ? ">= " + std::to_string(lo)
                                  : "in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
    return c.error(path + key, "'" + *s + "' is not an integer " + range);
  }
  return v;
}

Result<int64_t> positive_int(const Ctx& c, const YAML::Node& parent, const char* key,
                             const std::string& path, int64_t fallback, int64_t hi) {
  if (!parent[key]) return fallback;
  auto s = scalar(c, parent, key, path);
  if (!s.ok()) return s.status();
  auto v = parse_fixed(*s, 0);
  if (!v.ok() || *v <= 0) return c.error(path + key, "'" + *s + "' is not a positive integer");
  if (*v > hi) return c.error(path + key, "'" + *s + "' is above the limit " + std::to_string(hi));
  return v;
}

// Binance asset names: upper-case letters and digits ("BTC", "USDT", "1000SATS").
bool is_account_id(std::string_view s) {
  if (s.empty() || s.size() > 15) return false;
  return std::all_of(s.begin(), s.end(), [](char ch) {
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
  });
}

bool is_asset_name(std::string_view s) {
  if (s.empty() || s.size() > 20) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char ch) { return (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9'); });
}

// ---- Sections ---------------------------------------------------------------------------

// max_orders_per_10s and max_orders_per_day under `prefix` ("exchange." or "accounts[i]."),
// each optional (absent: `l` keeps its value). keel/risk/risk.h "Request budgets".
Status parse_order_limits(const Ctx& c, const YAML::Node& n, const std::string& prefix,
                          risk::OrderLimits& l) {
  auto per_10s = positive_int(c, n, "max_orders_per_10s", prefix, l.max_orders_per_10s,
                              risk::kMaxOrdersPer10sLimit);
  if (!per_10s.ok()) return per_10s.status();
  auto per_day = positive_int(c, n, "max_orders_per_day", prefix, l.max_orders_per_day,
                              risk::kMaxOrdersPerDayLimit);
  if (!per_day.ok()) return per_day.status();
  if (*per_day < *per_10s) {
    return c.error(prefix + "max_orders_per_day", std::to_string(*per_day) +
                                                      " is below max_orders_per_10s (" +
                                                      std::to_string(*per_10s) + ")");
  }
  l.max_orders_per_10s = *per_10s;
  l.max_orders_per_day = *per_day;
  return Status::Ok();
}

Result<Instrument> parse_instrument_node(const Ctx& c, const YAML::Node& n,
                                         const std::string& path) {
  KEEL_RETURN_IF_ERROR(check_keys(c, n, path + ".", kInstrumentKeys));
  std::string f[6];
  const char* keys[6] = {"symbol", "base_asset", "quote_asset", "tick_size", "step_size",
                         "min_notional"};
  for (int i = 0; i < 6; ++i) {
    auto s = scalar(c, n, keys[i], path + ".");
    if (!s.ok()) return s.status();
    f[i] = *s;
  }
  auto ins = Instrument::make(f[0], f[1], f[2], f[3], f[4], f[5]);
  if (!ins.ok()) return c.error(path, ins.status().message());
  return *ins;
}

// instrument: (one) or instruments: (a list, symbols unique).
Status parse_instruments(const Ctx& c, const YAML::Node& root, Config& cfg) {
  const YAML::Node one = root["instrument"];
  const YAML::Node many = root["instruments"];
  if (one && many) {
    return c.error("instruments", "give either instrument: (one) or instruments: (a list), not both");
  }
  if (!many) {
    if (!one || !one.IsMap()) return c.error("instrument", "missing (a map)");
    auto ins = parse_instrument_node(c, one, "instrument");
    if (!ins.ok()) return ins.status();
    cfg.instruments.push_back(*ins);
  } else {
    if (!many.IsSequence() || many.size() == 0) return c.error("instruments", "must be a non-empty list");
    for (size_t i = 0; i < many.size(); ++i) {
      const std::string path = "instruments[" + std::to_string(i) + "]";
      if (!many[i].IsMap()) return c.error(path, "must be a map");
      auto ins = parse_instrument_node(c, many[i], path);
      if (!ins.ok()) return ins.status();
      for (const Instrument& other : cfg.instruments) {
        if (other.symbol == ins->symbol) return c.error(path + ".symbol", "'" + ins->symbol + "' is listed twice");
      }
      cfg.instruments.push_back(*ins);
    }
  }
  cfg.instrument = cfg.instruments.front();
  return Status::Ok();
}

// commission_asset: quote | base | ASSET:PRICE, under `prefix` ("exchange." or "accounts[i].").
Status parse_commission(const Ctx& c, const YAML::Node& ex, const std::string& prefix,
                        const Config& cfg, SimAccountTerms& sim) {
  if (!ex["commission_asset"]) return Status::Ok();
  auto s = scalar(c, ex, "commission_asset", prefix);
  if (!s.ok()) return s.status();
  const std::string field = prefix + "commission_asset";
  if (*s == "quote") {
    sim.commission_mode = exchange::sim::CommissionMode::kQuote;
    return Status::Ok();
  }
  if (*s == "base") {
    sim.commission_mode = exchange::sim::CommissionMode::kBase;
    return Status::Ok();
  }
  const size_t colon = s->find(':');
  if (colon == std::string::npos) {
    return c.error(field, "'" + *s + "' is none of quote, base, ASSET:PRICE (e.g. BNB:600)");
  }
  const std::string asset = s->substr(0, colon);
  const std::string price = s->substr(colon + 1);
  if (!is_asset_name(asset)) {
    return c.error(field, "'" + asset + "' is not an asset name (1-20 upper-case letters and digits)");
  }
  for (const Instrument& ins : cfg.instruments) {
    if (asset == ins.quote_asset) {
      return c.error(field, "'" + asset + "' is the quote asset: write commission_asset: quote");
    }
  }
  auto p = parse_fixed(price, kScaleE8);
  if (!p.ok() || *p <= 0) {
    return c.error(field, "price '" + price + "' is not a positive decimal (quote per " + asset +
                              ", at most 8 decimals)");
  }
  sim.commission_mode = exchange::sim::CommissionMode::kOther;
  sim.commission_asset = asset;
  sim.commission_asset_price_e8 = *p;
  return Status::Ok();
}

// maker_fee, commission_asset and balances (required when `need_balances`) under `prefix`.
Status parse_sim_terms(const Ctx& c, const YAML::Node& n, const std::string& prefix,
                       const Config& cfg, bool need_balances, SimAccountTerms& t) {
  if (n["maker_fee"]) {
    auto fee = decimal_e8(c, n, "maker_fee", prefix);
    if (!fee.ok()) return fee.status();
    if (*fee < 0 || *fee >= kOneE8) return c.error(prefix + "maker_fee", "must be in [0, 1)");
    t.maker_fee_rate_e8 = *fee;
  }
  KEEL_RETURN_IF_ERROR(parse_commission(c, n, prefix, cfg, t));
  const YAML::Node bal = n["balances"];
  if (!bal && !need_balances) return Status::Ok();
  if (!bal || !bal.IsMap()) return c.error(prefix + "balances", "missing (asset: amount map)");
  t.balances.clear();
  for (const auto& kv : bal) {
    if (!kv.first.IsScalar()) return c.error(prefix + "balances", "an asset must be a plain name");
    const std::string asset = kv.first.Scalar();
    const std::string field = prefix + "balances." + asset;
    if (!is_asset_name(asset)) {
      return c.error(field, "'" + asset + "' is not an asset name (1-20 upper-case letters and digits)");
    }
    if (t.balances.count(asset) != 0) return c.error(field, "given twice");
    if (!kv.second.IsScalar()) return c.error(field, "not an amount >= 0");
    auto v = parse_fixed(kv.second.Scalar(), kScaleE8);
    if (!v.ok() || *v < 0) return c.error(field, "not an amount >= 0");
    t.balances[asset].free_e8 = *v;
  }
  return Status::Ok();
}

Status parse_sim(const Ctx& c, const YAML::Node& ex, const std::string& base_dir,
                 bool has_accounts, Config& cfg) {
  KEEL_RETURN_IF_ERROR(check_keys(c, ex, "exchange.", kSimKeys, &kBinanceKeys, "binance", "sim"));
  if (ex["speed"]) {
    auto speed = scalar(c, ex, "speed", "exchange.");
    if (!speed.ok()) return speed.status();
    cfg.sim.speed = *speed;
    if (cfg.sim.speed != "max") {
      char* end = nullptr;
      cfg.sim.speed_multiplier = std::strtod(cfg.sim.speed.c_str(), &end);
      if (end == cfg.sim.speed.c_str() || *end != '\0' || !(cfg.sim.speed_multiplier > 0) ||
          cfg.sim.speed_multiplier > 1e9) {
        return c.error("exchange.speed", "'" + cfg.sim.speed + "' is neither max nor a number > 0");
      }
    }
  }
  const YAML::Node data = ex["data"];
  if (!data || !data.IsSequence() || data.size() == 0) {
    return c.error("exchange.data", "missing (a list of recorded capture files)");
  }
  for (size_t i = 0; i < data.size(); ++i) {
    const std::string field = "exchange.data[" + std::to_string(i) + "]";
    if (!data[i].IsScalar() || data[i].Scalar().empty()) return c.error(field, "must be a file name");
    const std::string p = data[i].Scalar();
    cfg.sim.data.push_back(fs::path(p).is_absolute() ? p : (fs::path(base_dir) / p).lexically_normal().string());
  }
  if (has_accounts && ex["balances"]) {
    return c.error("exchange.balances", "with accounts:, each account has its own balances "
                                        "(accounts[i].balances)");
  }
  KEEL_RETURN_IF_ERROR(parse_order_limits(c, ex, "exchange.", cfg.order_limits));
  return parse_sim_terms(c, ex, "exchange.", cfg, /*need_balances=*/!has_accounts, cfg.sim);
}

// api_key_env / api_secret_env, or credentials_file (keel/engine/credentials.h), of the map `n`
// whose keys are named `path` + key ("exchange."; an account's block: "accounts[1]."). Nothing
// is read here: keel run reads the credentials when it connects.
Status parse_credentials(const Ctx& c, const YAML::Node& n, const std::string& path,
                         const std::string& base_dir, CredentialSource& out) {
  out.origin = c.origin;
  out.field = path;
  if (n["credentials_file"]) {
    std::string env_keys;
    for (const char* key : {"api_key_env", "api_secret_env"}) {
      if (n[key]) env_keys += (env_keys.empty() ? "" : " and ") + path + key;
    }
    if (!env_keys.empty()) {
      return c.error(path + "credentials_file", "given with " + env_keys +
                                                    ": use the file or the environment "
                                                    "variables, not both");
    }
    auto file = optional_text(c, n, "credentials_file", path, "");
    if (!file.ok()) return file.status();
    const fs::path f(*file);
    out.file = f.is_absolute() ? f.lexically_normal().string()
                               : (fs::path(base_dir) / f).lexically_normal().string();
    return Status::Ok();
  }
  auto key_env = optional_text(c, n, "api_key_env", path, out.api_key_env);
  if (!key_env.ok()) return key_env.status();
  out.api_key_env = *key_env;
  auto secret_env = optional_text(c, n, "api_secret_env", path, out.api_secret_env);
  if (!secret_env.ok()) return secret_env.status();
  out.api_secret_env = *secret_env;
  return Status::Ok();
}

Status parse_binance(const Ctx& c, const YAML::Node& ex, const std::string& base_dir,
                     Config& cfg) {
  KEEL_RETURN_IF_ERROR(check_keys(c, ex, "exchange.", kBinanceKeys, &kSimKeys, "sim", "binance"));
  BinanceVenueConfig& b = cfg.binance;
  const char* urls[3] = {"rest_url", "ws_url", "ws_api_url"};
  std::string* dst[3] = {&b.rest_url, &b.ws_url, &b.ws_api_url};
  for (int i = 0; i < 3; ++i) {
    auto v = scalar(c, ex, urls[i], "exchange.");
    if (!v.ok()) return v.status();
    *dst[i] = *v;
  }
  if (b.rest_url.rfind("http://", 0) != 0 && b.rest_url.rfind("https://", 0) != 0) {
    return c.error("exchange.rest_url", "'" + b.rest_url + "' must start with http:// or https://");
  }
  for (int i = 1; i < 3; ++i) {
    if (dst[i]->rfind("ws://", 0) != 0 && dst[i]->rfind("wss://", 0) != 0) {
      return c.error(std::string("exchange.") + urls[i], "'" + *dst[i] + "' must start with ws:// or wss://");
    }
  }
  KEEL_RETURN_IF_ERROR(parse_credentials(c, ex, "exchange.", base_dir, b.credentials));
  auto every = positive_int(c, ex, "reconcile_every_ms", "exchange.", b.reconcile_every_ms,
                            86'400'000);
  if (!every.ok()) return every.status();
  b.reconcile_every_ms = *every;
  // binance-spot.md §1: recvWindow defaults to 5000 and may be at most 60000.
  auto window = int_in(c, ex, "recv_window_ms", "exchange.", b.recv_window_ms, 1, 60'000);
  if (!window.ok()) return window.status();
  b.recv_window_ms = *window;
  auto margin = int_in(c, ex, "evidence_margin_ms", "exchange.", b.evidence_margin_ms, 0, 60'000);
  if (!margin.ok()) return margin.status();
  b.evidence_margin_ms = *margin;
  return parse_order_limits(c, ex, "exchange.", cfg.order_limits);
}

// accounts: (optional) -- without it, one account kDefaultAccount with the exchange's terms.
Status parse_accounts(const Ctx& c, const YAML::Node& root, const std::string& base_dir,
                      Config& cfg) {
  const YAML::Node list = root["accounts"];
  if (!list) {
    AccountConfig a;
    a.id = journal::kDefaultAccount;
    a.sim = cfg.sim;
    a.credentials = cfg.binance.credentials;
    a.orders = cfg.order_limits;
    cfg.accounts.push_back(std::move(a));
    return Status::Ok();
  }
  if (!list.IsSequence() || list.size() == 0) return c.error("accounts", "must be a non-empty list");
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string path = "accounts[" + std::to_string(i) + "].";
    const YAML::Node n = list[i];
    if (!n.IsMap()) return c.error("accounts[" + std::to_string(i) + "]", "must be a map");
    KEEL_RETURN_IF_ERROR(check_keys(c, n, path, kAccountKeys));
    AccountConfig a;
    auto id = scalar(c, n, "id", path);
    if (!id.ok()) return id.status();
    if (!is_account_id(*id)) {
      return c.error(path + "id", "'" + *id + "' is not an account id (1-15 letters and digits)");
    }
    for (const AccountConfig& other : cfg.accounts) {
      if (other.id == *id) return c.error(path + "id", "'" + *id + "' is used twice");
    }
    a.id = *id;
    a.orders = cfg.order_limits;
    KEEL_RETURN_IF_ERROR(parse_order_limits(c, n, path, a.orders));
    a.sim = cfg.sim;  // maker_fee and commission_asset default to the exchange's
    if (cfg.exchange_kind == "sim") {
      for (const char* k : {"api_key_env", "api_secret_env", "credentials_file"}) {
        if (n[k]) return c.error(path + k, "only for kind: binance (the embedded sim needs no key)");
      }
      KEEL_RETURN_IF_ERROR(parse_sim_terms(c, n, path, cfg, /*need_balances=*/true, a.sim));
    } else {
      for (const char* k : {"balances", "maker_fee", "commission_asset"}) {
        if (n[k]) return c.error(path + k, "only for kind: sim (a real venue has its own)");
      }
      a.credentials.api_key_env = "KEEL_API_KEY_" + a.id;
      a.credentials.api_secret_env = "KEEL_API_SECRET_" + a.id;
      KEEL_RETURN_IF_ERROR(parse_credentials(c, n, path, base_dir, a.credentials));
      for (const AccountConfig& other : cfg.accounts) {
        const CredentialSource& x = other.credentials;
        const CredentialSource& y = a.credentials;
        const bool same = x.file.empty() != y.file.empty() ? false
                          : x.file.empty()                 ? x.api_key_env == y.api_key_env
                                                           : x.file == y.file;
        if (same) {
          return c.error(path + (y.file.empty() ? "api_key_env" : "credentials_file"),
                         "the same as account '" + other.id + "''s: each account has its own key");
        }
      }
    }
    cfg.accounts.push_back(std::move(a));
  }
  return Status::Ok();
}

// tasks[i].account and tasks[i].symbol: required when there is more than one to choose from.
// An account may trade several symbols (R4 is one equation per asset across them), on the
// embedded exchange and on binance alike (one connection serves all of them: binance.h).
Status bind_task(const Ctx& c, const YAML::Node& task, const std::string& path,
                 const Config& cfg, TaskConfig& t) {
  auto pick = [&](const char* key, const std::vector<std::string>& known,
                  size_t& index) -> Status {
    if (!task[key]) {
      if (known.size() == 1) {
        index = 0;
        return Status::Ok();
      }
      std::string list;
      for (const std::string& k : known) list += (list.empty() ? "" : ", ") + k;
      return c.error(path + key, "missing: the config has several (" + list + ")");
    }
    auto v = scalar(c, task, key, path);
    if (!v.ok()) return v.status();
    for (size_t i = 0; i < known.size(); ++i) {
      if (known[i] == *v) {
        index = i;
        return Status::Ok();
      }
    }
    std::string list;
    for (const std::string& k : known) list += (list.empty() ? "" : ", ") + k;
    return c.error(path + key, "'" + *v + "' is not in the config (known: " + list + ")");
  };
  std::vector<std::string> accounts, symbols;
  for (const AccountConfig& a : cfg.accounts) accounts.push_back(a.id);
  for (const Instrument& i : cfg.instruments) symbols.push_back(i.symbol);
  KEEL_RETURN_IF_ERROR(pick("account", accounts, t.account_index));
  KEEL_RETURN_IF_ERROR(pick("symbol", symbols, t.instrument_index));
  t.account = accounts[t.account_index];
  t.symbol = symbols[t.instrument_index];
  return Status::Ok();
}

// tasks[i].params against the strategy's schema (keel/strategy/registry.h), then its make().
Status parse_params(const Ctx& c, const YAML::Node& p, const std::string& path,
                    const Instrument& ins, const strategy::StrategyInfo& info, TaskConfig& t) {
  // strategy_key_sets() is in registry order: `info`'s key set has its index.
  const auto index = static_cast<size_t>(&info - strategy::strategies().data());
  KEEL_RETURN_IF_ERROR(check_keys(c, p, path, strategy_key_sets().at(index)));
  using K = strategy::ParamSpec::Kind;
  strategy::ParamValues values;
  for (const strategy::ParamSpec& spec : info.params) {
    const std::string key = spec.key;
    if (!p[key]) {
      if (spec.required) return c.error(path + key, std::string("missing (") + spec.doc + ")");
      values.values[key] = spec.fallback;
      continue;
    }
    Result<int64_t> v = 0;
    switch (spec.kind) {
      case K::kPrice:
      case K::kQty: {  // in ticks or lots of the instrument
        const bool price = spec.kind == K::kPrice;
        auto e8 = decimal_e8(c, p, spec.key, path);
        if (!e8.ok()) return e8.status();
        v = price ? ins.price_ticks_from_e8(*e8) : ins.qty_lots_from_e8(*e8);
        if (!v.ok() || *v <= 0) {
          return c.error(path + key, std::string("must be a positive multiple of ") +
                                         (price ? "tick_size" : "step_size"));
        }
        break;
      }
      case K::kDecimal: {
        v = decimal_e8(c, p, spec.key, path);
        if (!v.ok()) return v.status();
        if (*v < spec.min || *v > spec.max) {
          return c.error(path + key, "'" + p[key].Scalar() + "' is not in [" +
                                         format_fixed_trim(spec.min, kScaleE8) + ", " +
                                         format_fixed_trim(spec.max, kScaleE8) + "]");
        }
        break;
      }
      case K::kInteger:
        v = spec.min > 0 ? positive_int(c, p, spec.key, path, spec.fallback, spec.max)
                         : int_in(c, p, spec.key, path, spec.fallback, spec.min, spec.max);
        if (!v.ok()) return v.status();
        if (*v < spec.min) {
          return c.error(path + key, "'" + p[key].Scalar() + "' is below the minimum " +
                                         std::to_string(spec.min));
        }
        break;
      case K::kChoice: {
        const std::vector<std::string> words = strategy::choice_words(spec);
        const std::string word = p[key].IsScalar() ? p[key].Scalar() : "";
        const auto it = std::find(words.begin(), words.end(), word);
        if (it == words.end()) {
          return c.error(path + key, "'" + word + "' is not one of " + spec.choices);
        }
        v = static_cast<int64_t>(it - words.begin());
        break;
      }
    }
    values.values[key] = *v;
  }
  auto made = info.make(values, ins);
  if (!made.ok()) return Status::InvalidArgument(c.origin + ": " + path + made.status().message());
  t.impl = std::move(*made);
  t.params_text = strategy::params_text(info, values, ins);
  return Status::Ok();
}

// A positive number of basis points with at most two decimals ("2.5"), stored at 10^-2.
Result<int64_t> bps_e2(const Ctx& c, const YAML::Node& r, const char* key, const std::string& path) {
  auto s = scalar(c, r, key, path);
  if (!s.ok()) return s.status();
  auto v = parse_fixed(*s, 2);
  if (!v.ok() || *v <= 0 || *v > 1'000'000) {
    return c.error(path + key, "'" + *s + "' is not a number of bps in (0, 10000] with at most "
                               "two decimals");
  }
  return v;
}

// tasks[i].risk's market guards (seed 003; risk/risk.h): each optional, absent = no limit.
Status parse_market_risk(const Ctx& c, const YAML::Node& r, const std::string& path,
                         risk::Limits& l) {
  const std::pair<const char*, int64_t*> bps[] = {{"max_price_jump_bps", &l.max_price_jump_bps_e2},
                                                  {"max_spread_bps", &l.max_spread_bps_e2},
                                                  {"depth_band_bps", &l.depth_band_bps_e2}};
  for (const auto& [key, out] : bps) {
    if (!r[key]) continue;
    auto v = bps_e2(c, r, key, path);
    if (!v.ok()) return v.status();
    *out = *v;
  }
  if (r["min_depth"]) {
    auto v = decimal_e8(c, r, "min_depth", path);
    if (!v.ok()) return v.status();
    if (*v <= 0 || *v > (int64_t{1} << 62)) {
      return c.error(path + "min_depth", "'" + r["min_depth"].Scalar() +
                                             "' must be positive (omit it for no limit)");
    }
    l.min_depth_e8 = *v;
  }
  if (r["depth_band_bps"] && l.min_depth_e8 == 0) {
    return c.error(path + "depth_band_bps", "is the band of min_depth: set min_depth too");
  }
  auto fills = positive_int(c, r, "max_fills_per_minute", path, 0, 1'000'000);
  if (!fills.ok()) return fills.status();
  l.max_fills_per_minute = *fills;
  return Status::Ok();
}

// tasks[i].risk: every limit optional (absent: none); amounts are decimals in base or quote.
Status parse_risk(const Ctx& c, const YAML::Node& r, const std::string& path, risk::Limits& l) {
  KEEL_RETURN_IF_ERROR(check_keys(c, r, path, kRiskKeys));
  const std::pair<const char*, int64_t*> amounts[] = {{"max_position", &l.max_position_e8},
                                                      {"max_notional", &l.max_notional_e8},
                                                      {"min_quote_balance", &l.min_quote_balance_e8}};
  for (const auto& [key, out] : amounts) {
    if (!r[key]) continue;
    auto v = decimal_e8(c, r, key, path);
    if (!v.ok()) return v.status();
    if (*v <= 0 || *v > (int64_t{1} << 62)) {
      return c.error(path + key, "'" + r[key].Scalar() + "' must be positive (omit it for no limit)");
    }
    *out = *v;
  }
  auto open = positive_int(c, r, "max_open_orders", path, 0, 1'000'000);
  if (!open.ok()) return open.status();
  l.max_open_orders = *open;
  auto caution = int_in(c, r, "caution_percent", path, l.caution_percent, 1, 100);
  if (!caution.ok()) return caution.status();
  l.caution_percent = *caution;
  return parse_market_risk(c, r, path, l);
}

Status parse_tasks(const Ctx& c, const YAML::Node& root, Config& cfg) {
  const YAML::Node tasks = root["tasks"];
  if (!tasks || !tasks.IsSequence() || tasks.size() == 0) return c.error("tasks", "missing (a list)");
  for (size_t i = 0; i < tasks.size(); ++i) {
    const std::string path = "tasks[" + std::to_string(i) + "].";
    const YAML::Node task = tasks[i];
    if (!task.IsMap()) return c.error("tasks[" + std::to_string(i) + "]", "must be a map");
    const KeySet* own_params = nullptr;  // the task's strategy's, when it names a known one
    if (task["strategy"] && task["strategy"].IsScalar()) {
      const std::string name = task["strategy"].Scalar();
      const auto& all = strategy::strategies();
      for (size_t k = 0; k < all.size(); ++k) {
        if (name == all[k].name) own_params = &strategy_key_sets().at(k);
      }
    }
    KEEL_RETURN_IF_ERROR(check_keys(c, task, path, kTaskKeys, nullptr, nullptr, nullptr,
                                    own_params));
    TaskConfig t;
    auto id = scalar(c, task, "id", path);
    if (!id.ok()) return id.status();
    if (Status s = validate_task_id(*id); !s.ok()) return c.error(path + "id", s.message());
    if ((*id)[0] == '_') {
      return c.error(path + "id", "'" + *id + "' starts with '_' (reserved for journal-wide records)");
    }
    for (const TaskConfig& other : cfg.tasks) {
      if (other.id == *id) return c.error(path + "id", "'" + *id + "' is used twice");
    }
    t.id = *id;
    auto strat = scalar(c, task, "strategy", path);
    if (!strat.ok()) return strat.status();
    const strategy::StrategyInfo* info = strategy::find_strategy(*strat);
    if (info == nullptr) {
      return c.error(path + "strategy", "'" + *strat + "' is not known (known: " +
                                            strategy::strategy_names() + ")");
    }
    t.strategy = *strat;
    KEEL_RETURN_IF_ERROR(bind_task(c, task, path, cfg, t));
    const YAML::Node params = task["params"];
    if (!params || !params.IsMap()) return c.error(path + "params", "missing (a map)");
    KEEL_RETURN_IF_ERROR(parse_params(c, params, path + "params.",
                                      cfg.instruments[t.instrument_index], *info, t));
    // Operational limits, outside params and so outside params_text (not journaled: changing
    // them does not make a new task).
    auto per_second = positive_int(c, task, "max_intents_per_second", path, t.rate.per_second,
                                   1'000'000);
    if (!per_second.ok()) return per_second.status();
    t.rate.per_second = *per_second;
    auto burst = positive_int(c, task, "intent_burst", path, t.rate.burst,
                              static_cast<int64_t>(model::kIntentLogRetained));
    if (!burst.ok()) return burst.status();
    t.rate.burst = *burst;
    if (const YAML::Node risk = task["risk"]) {
      if (!risk.IsMap()) return c.error(path + "risk", "must be a map");
      KEEL_RETURN_IF_ERROR(parse_risk(c, risk, path + "risk.", t.risk));
    }
    cfg.tasks.push_back(std::move(t));
  }
  return Status::Ok();
}

}  // namespace

Result<Config> parse_config(const std::string& yaml_text, const std::string& origin,
                            const std::string& base_dir) {
  Ctx c{origin};
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(origin + ": not valid YAML: " + e.what());
  }
  if (!root.IsMap()) return c.error("(top level)", "must be a map");
  Config cfg;
  cfg.path = origin;
  try {
    KEEL_RETURN_IF_ERROR(check_keys(c, root, "", kTopKeys));
    KEEL_RETURN_IF_ERROR(parse_instruments(c, root, cfg));
    const YAML::Node ex = root["exchange"];
    if (!ex || !ex.IsMap()) return c.error("exchange", "missing (a map)");
    // Without a kind, a misspelt "kind" is the likely cause: name it before saying "missing".
    if (!ex["kind"]) KEEL_RETURN_IF_ERROR(check_keys(c, ex, "exchange.", kExchangeAnyKeys));
    auto kind = scalar(c, ex, "kind", "exchange.");
    if (!kind.ok()) return kind.status();
    if (*kind != "sim" && *kind != "binance") {
      return c.error("exchange.kind", "'" + *kind + "' is not known (known: sim, binance)");
    }
    cfg.exchange_kind = *kind;
    if (*kind == "sim") {
      KEEL_RETURN_IF_ERROR(parse_sim(c, ex, base_dir, static_cast<bool>(root["accounts"]), cfg));
    } else {
      KEEL_RETURN_IF_ERROR(parse_binance(c, ex, base_dir, cfg));
    }
    KEEL_RETURN_IF_ERROR(parse_accounts(c, root, base_dir, cfg));
    KEEL_RETURN_IF_ERROR(parse_tasks(c, root, cfg));
    if (root["data_dir"]) {
      auto dir = scalar(c, root, "data_dir", "");
      if (!dir.ok()) return dir.status();
      if (dir->empty()) return c.error("data_dir", "must not be empty");
      const fs::path d(*dir);
      cfg.data_dir = d.is_absolute() ? d.lexically_normal().string()
                                     : (fs::path(base_dir) / d).lexically_normal().string();
    }
    auto every = int_in(c, root, "snapshot_every_records", "", 1'000, 0,
                        std::numeric_limits<int64_t>::max());
    if (!every.ok()) return every.status();
    cfg.snapshot_every_records = static_cast<uint64_t>(*every);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(origin + ": " + e.what());
  }
  return cfg;
}

const Instrument& account_instrument(const Config& cfg, size_t a) {
  for (const TaskConfig& t : cfg.tasks) {
    if (t.account_index == a) return cfg.instruments[t.instrument_index];
  }
  return cfg.instruments.front();
}

std::vector<Instrument> account_instruments(const Config& cfg, size_t a) {
  std::vector<Instrument> out;
  for (const Instrument& ins : cfg.instruments) {
    if (std::any_of(cfg.tasks.begin(), cfg.tasks.end(), [&](const TaskConfig& t) {
          return t.account_index == a && t.symbol == ins.symbol;
        })) {
      out.push_back(ins);
    }
  }
  if (out.empty()) out.push_back(account_instrument(cfg, a));
  return out;
}

exchange::sim::SimOptions sim_options(const Config& cfg, size_t a, std::string state_dir) {
  const AccountConfig& acct = cfg.accounts[a];
  exchange::sim::SimOptions so;
  so.instrument = account_instrument(cfg, a);
  // Every instrument the account's tasks trade, in config order (one: the single-instrument
  // layout, `instrument` alone).
  so.instruments = account_instruments(cfg, a);
  if (so.instruments.size() <= 1) so.instruments.clear();
  else so.instrument = so.instruments.front();
  so.maker_fee_rate_e8 = acct.sim.maker_fee_rate_e8;
  so.initial_balances = acct.sim.balances;
  so.state_dir = std::move(state_dir);
  so.account = acct.id;
  so.commission_mode = acct.sim.commission_mode;
  so.commission_asset = acct.sim.commission_asset;
  so.commission_asset_price_e8 = acct.sim.commission_asset_price_e8;
  return so;
}

Result<Config> load_config(const std::string& path, bool check_data_files) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("config file '" + path + "' cannot be opened");
  std::stringstream buf;
  buf << in.rdbuf();
  // The config's folder as written (relative to the current directory when `path` is): the
  // resolved paths name the same files from any working directory, and stay short.
  const fs::path p(path);
  const std::string folder = p.parent_path().string();
  auto cfg = parse_config(buf.str(), path, folder);
  if (!cfg.ok()) return cfg;
  if (cfg->data_dir.empty()) {
    cfg->data_dir = (fs::path(folder) / "var" / p.stem()).lexically_normal().string();
  }
  for (size_t i = 0; check_data_files && i < cfg->sim.data.size(); ++i) {
    std::error_code ec;
    if (!fs::is_regular_file(cfg->sim.data[i], ec)) {
      return Status::NotFound(path + ": exchange.data[" + std::to_string(i) + "]: data file '" +
                              cfg->sim.data[i] + "' does not exist");
    }
  }
  return cfg;
}

}  // namespace keel::engine
