// Accounts of `keel sim`: the default account and the YAML file (accounts.h).
#include "keel/simserver/accounts.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "keel/core/fixed.h"

namespace keel::simserver {
namespace {

bool valid_name(const std::string& s) {
  if (s.empty() || s.size() > 32) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_';
  });
}

bool printable(const std::string& s) {
  if (s.empty() || s.size() > 128) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

// One list element; `where` is "accounts[i]".
Result<AccountConfig> parse_account(const YAML::Node& n, const std::string& where) {
  if (!n.IsMap()) return Status::InvalidArgument(where + ": expected a mapping");
  AccountConfig a;
  for (const char* field : {"name", "api_key", "secret"}) {
    if (!n[field] || !n[field].IsScalar()) {
      return Status::InvalidArgument(where + "." + field + ": missing");
    }
  }
  a.name = n["name"].as<std::string>();
  a.api_key = n["api_key"].as<std::string>();
  a.secret = n["secret"].as<std::string>();
  if (const YAML::Node b = n["balances"]) {
    if (!b.IsMap()) return Status::InvalidArgument(where + ".balances: expected a mapping");
    for (const auto& kv : b) {
      const std::string asset = kv.first.as<std::string>();
      auto amount = parse_fixed(kv.second.as<std::string>(), kScaleE8);
      if (!amount.ok() || *amount < 0) {
        return Status::InvalidArgument(where + ".balances." + asset +
                                       ": not a decimal >= 0 with at most 8 fraction digits");
      }
      a.balances[asset].free_e8 = *amount;
    }
  }
  return a;
}

}  // namespace

AccountConfig default_account() {
  AccountConfig a;
  a.name = "default";
  a.api_key = "keel-sim-key";
  a.secret = "keel-sim-secret";
  a.balances["USDT"].free_e8 = 10'000 * kOneE8;
  a.balances["BTC"].free_e8 = 1 * kOneE8;
  return a;
}

Status validate_accounts(const std::vector<AccountConfig>& accounts, const std::string& origin) {
  if (accounts.empty()) return Status::InvalidArgument(origin + ": no accounts");
  std::set<std::string> names, keys;
  for (size_t i = 0; i < accounts.size(); ++i) {
    const AccountConfig& a = accounts[i];
    const std::string where = origin + ": accounts[" + std::to_string(i) + "]";
    if (!valid_name(a.name)) {
      return Status::InvalidArgument(where + ".name: must match [A-Za-z0-9_-]{1,32}");
    }
    if (!printable(a.api_key)) {
      return Status::InvalidArgument(where + ".api_key: 1..128 printable ASCII characters");
    }
    if (!printable(a.secret)) {
      return Status::InvalidArgument(where + ".secret: 1..128 printable ASCII characters");
    }
    if (!names.insert(a.name).second) return Status::InvalidArgument(where + ".name: duplicate");
    if (!keys.insert(a.api_key).second) {
      return Status::InvalidArgument(where + ".api_key: duplicate");
    }
  }
  return Status::Ok();
}

Result<std::vector<AccountConfig>> load_accounts(const std::string& path) {
  if (!std::filesystem::exists(path)) return Status::NotFound(path + ": no such file");
  std::vector<AccountConfig> out;
  try {  // yaml-cpp reports errors by exception; none leaves this function
    const YAML::Node root = YAML::LoadFile(path);
    const YAML::Node list = root.IsMap() ? root["accounts"] : root;
    if (!list || !list.IsSequence()) {
      return Status::InvalidArgument(path + ": accounts: expected a list of accounts");
    }
    for (size_t i = 0; i < list.size(); ++i) {
      auto a = parse_account(list[i], "accounts[" + std::to_string(i) + "]");
      if (!a.ok()) return a.status().With(path);
      out.push_back(std::move(*a));
    }
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(path + ": " + e.what());
  }
  KEEL_RETURN_IF_ERROR(validate_accounts(out, path));
  return out;
}

}  // namespace keel::simserver
