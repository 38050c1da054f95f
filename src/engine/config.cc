#include "keel/engine/config.h"

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "keel/core/ids.h"

namespace keel::engine {

namespace fs = std::filesystem;

namespace {

struct Ctx {
  std::string origin;
  Status error(const std::string& field, const std::string& what) const {
    return Status::InvalidArgument(origin + ": " + field + ": " + what);
  }
};

Result<std::string> scalar(const Ctx& c, const YAML::Node& parent, const char* key,
                           const std::string& path) {
  const YAML::Node n = parent[key];
  if (!n) return c.error(path + key, "missing");
  if (!n.IsScalar()) return c.error(path + key, "must be a single value");
  return n.as<std::string>();
}

Result<int64_t> decimal_e8(const Ctx& c, const YAML::Node& parent, const char* key,
                           const std::string& path) {
  auto s = scalar(c, parent, key, path);
  if (!s.ok()) return s.status();
  auto v = parse_fixed(*s, kScaleE8);
  if (!v.ok()) return c.error(path + key, v.status().message());
  return v;
}

Result<int64_t> positive_int(const Ctx& c, const YAML::Node& parent, const char* key,
                             const std::string& path, int64_t fallback) {
  if (!parent[key]) return fallback;
  auto s = scalar(c, parent, key, path);
  if (!s.ok()) return s.status();
  auto v = parse_fixed(*s, 0);
  if (!v.ok() || *v <= 0) return c.error(path + key, "'" + *s + "' is not a positive integer");
  return v;
}

Status parse_instrument(const Ctx& c, const YAML::Node& root, Config& cfg) {
  const YAML::Node n = root["instrument"];
  if (!n || !n.IsMap()) return c.error("instrument", "missing (a map)");
  std::string f[6];
  const char* keys[6] = {"symbol", "base_asset", "quote_asset", "tick_size", "step_size",
                         "min_notional"};
  for (int i = 0; i < 6; ++i) {
    auto s = scalar(c, n, keys[i], "instrument.");
    if (!s.ok()) return s.status();
    f[i] = *s;
  }
  auto ins = Instrument::make(f[0], f[1], f[2], f[3], f[4], f[5]);
  if (!ins.ok()) return c.error("instrument", ins.status().message());
  cfg.instrument = *ins;
  return Status::Ok();
}

Status parse_sim(const Ctx& c, const YAML::Node& ex, const std::string& base_dir, Config& cfg) {
  if (ex["speed"]) {
    cfg.sim.speed = ex["speed"].as<std::string>();
    if (cfg.sim.speed != "max") {
      char* end = nullptr;
      cfg.sim.speed_multiplier = std::strtod(cfg.sim.speed.c_str(), &end);
      if (end == cfg.sim.speed.c_str() || *end != '\0' || cfg.sim.speed_multiplier <= 0) {
        return c.error("exchange.speed", "'" + cfg.sim.speed + "' is neither max nor a number > 0");
      }
    }
  }
  const YAML::Node data = ex["data"];
  if (!data || !data.IsSequence() || data.size() == 0) {
    return c.error("exchange.data", "missing (a list of recorded capture files)");
  }
  for (size_t i = 0; i < data.size(); ++i) {
    const std::string p = data[i].as<std::string>();
    cfg.sim.data.push_back(fs::path(p).is_absolute() ? p : (fs::path(base_dir) / p).lexically_normal().string());
  }
  if (ex["maker_fee"]) {
    auto fee = decimal_e8(c, ex, "maker_fee", "exchange.");
    if (!fee.ok()) return fee.status();
    if (*fee < 0 || *fee >= kOneE8) return c.error("exchange.maker_fee", "must be in [0, 1)");
    cfg.sim.maker_fee_rate_e8 = *fee;
  }
  const YAML::Node bal = ex["balances"];
  if (!bal || !bal.IsMap()) return c.error("exchange.balances", "missing (asset: amount map)");
  for (const auto& kv : bal) {
    const std::string asset = kv.first.as<std::string>();
    auto v = parse_fixed(kv.second.as<std::string>(), kScaleE8);
    if (!v.ok() || *v < 0) return c.error("exchange.balances." + asset, "not an amount >= 0");
    cfg.sim.balances[asset].free_e8 = *v;
  }
  return Status::Ok();
}

Status parse_binance(const Ctx& c, const YAML::Node& ex, Config& cfg) {
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
  if (ex["api_key_env"]) b.api_key_env = ex["api_key_env"].as<std::string>();
  if (ex["api_secret_env"]) b.api_secret_env = ex["api_secret_env"].as<std::string>();
  auto every = positive_int(c, ex, "reconcile_every_ms", "exchange.", b.reconcile_every_ms);
  if (!every.ok()) return every.status();
  b.reconcile_every_ms = *every;
  return Status::Ok();
}

Status parse_grid(const Ctx& c, const YAML::Node& p, const std::string& path, const Instrument& ins,
                  TaskConfig& t) {
  auto interval = decimal_e8(c, p, "price_interval", path);
  if (!interval.ok()) return interval.status();
  auto ticks = ins.price_ticks_from_e8(*interval);
  if (!ticks.ok() || *ticks <= 0) return c.error(path + "price_interval", "must be a positive multiple of tick_size");
  auto qty = decimal_e8(c, p, "order_quantity", path);
  if (!qty.ok()) return qty.status();
  auto lots = ins.qty_lots_from_e8(*qty);
  if (!lots.ok() || *lots <= 0) return c.error(path + "order_quantity", "must be a positive multiple of step_size");
  auto buy = positive_int(c, p, "buy_window_size", path, 5);
  if (!buy.ok()) return buy.status();
  auto sell = positive_int(c, p, "sell_window_size", path, 5);
  if (!sell.ok()) return sell.status();
  auto max_open = positive_int(c, p, "max_open_orders", path, 64);
  if (!max_open.ok()) return max_open.status();
  t.grid = {*ticks, *lots, static_cast<int>(*buy), static_cast<int>(*sell),
            static_cast<size_t>(*max_open)};
  std::ostringstream text;
  text << "price_interval=" << format_fixed_trim(*interval, kScaleE8)
       << ";order_quantity=" << format_fixed_trim(*qty, kScaleE8) << ";buy_window_size=" << *buy
       << ";sell_window_size=" << *sell << ";max_open_orders=" << *max_open;
  t.params_text = text.str();
  return Status::Ok();
}

Status parse_tasks(const Ctx& c, const YAML::Node& root, Config& cfg) {
  const YAML::Node tasks = root["tasks"];
  if (!tasks || !tasks.IsSequence() || tasks.size() == 0) return c.error("tasks", "missing (a list)");
  for (size_t i = 0; i < tasks.size(); ++i) {
    const std::string path = "tasks[" + std::to_string(i) + "].";
    TaskConfig t;
    auto id = scalar(c, tasks[i], "id", path);
    if (!id.ok()) return id.status();
    if (Status s = validate_task_id(*id); !s.ok()) return c.error(path + "id", s.message());
    for (const TaskConfig& other : cfg.tasks) {
      if (other.id == *id) return c.error(path + "id", "'" + *id + "' is used twice");
    }
    t.id = *id;
    auto strat = scalar(c, tasks[i], "strategy", path);
    if (!strat.ok()) return strat.status();
    if (*strat != "grid") return c.error(path + "strategy", "'" + *strat + "' is not known (known: grid)");
    t.strategy = *strat;
    const YAML::Node params = tasks[i]["params"];
    if (!params || !params.IsMap()) return c.error(path + "params", "missing (a map)");
    KEEL_RETURN_IF_ERROR(parse_grid(c, params, path + "params.", cfg.instrument, t));
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
    KEEL_RETURN_IF_ERROR(parse_instrument(c, root, cfg));
    const YAML::Node ex = root["exchange"];
    if (!ex || !ex.IsMap()) return c.error("exchange", "missing (a map)");
    auto kind = scalar(c, ex, "kind", "exchange.");
    if (!kind.ok()) return kind.status();
    if (*kind != "sim" && *kind != "binance") {
      return c.error("exchange.kind", "'" + *kind + "' is not known (known: sim, binance)");
    }
    cfg.exchange_kind = *kind;
    if (*kind == "sim") KEEL_RETURN_IF_ERROR(parse_sim(c, ex, base_dir, cfg));
    else KEEL_RETURN_IF_ERROR(parse_binance(c, ex, cfg));
    KEEL_RETURN_IF_ERROR(parse_tasks(c, root, cfg));
    if (root["data_dir"]) cfg.data_dir = root["data_dir"].as<std::string>();
    if (root["snapshot_every_records"]) {
      auto n = parse_fixed(root["snapshot_every_records"].as<std::string>(), 0);
      if (!n.ok() || *n < 0) return c.error("snapshot_every_records", "not an integer >= 0");
      cfg.snapshot_every_records = static_cast<uint64_t>(*n);
    }
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(origin + ": " + e.what());
  }
  return cfg;
}

Result<Config> load_config(const std::string& path, bool check_data_files) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("config file '" + path + "' cannot be opened");
  std::stringstream buf;
  buf << in.rdbuf();
  const fs::path p(path);
  auto cfg = parse_config(buf.str(), path, p.parent_path().string());
  if (!cfg.ok()) return cfg;
  if (cfg->data_dir.empty()) cfg->data_dir = (fs::path("var") / p.stem()).string();
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
