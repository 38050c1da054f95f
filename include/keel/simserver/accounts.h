// keel/simserver/accounts.h: the accounts `keel sim` serves (--accounts FILE).
//
// File format (YAML):
//   accounts:
//     - name: alice              # [A-Za-z0-9_-]{1,32}; the state lives in <state>/<name>/
//       api_key: alice-key       # sent in X-MBX-APIKEY; printable ASCII, 1..128 chars, unique
//       secret: alice-secret     # HMAC-SHA256 secret; printable ASCII, 1..128 chars
//       balances: {USDT: "10000", BTC: "1"}   # initial balances (used only for a new state)
// A top-level list (without the `accounts:` key) is accepted too. Amounts are decimals with at
// most 8 fraction digits, >= 0.
// Without --accounts there is one account: default_account().
#pragma once

#include <string>
#include <vector>

#include "keel/core/status.h"
#include "keel/exchange/exchange.h"

namespace keel::simserver {

struct AccountConfig {
  std::string name;
  std::string api_key;
  std::string secret;
  exchange::Balances balances;  // initial free balances at 10^-8
};

// The account used without --accounts: name "default", API key "keel-sim-key", secret
// "keel-sim-secret", 10000 USDT and 1 BTC.
AccountConfig default_account();

// Loads and validates an accounts file. Errors (kInvalidArgument / kNotFound) name the file and
// the field at fault, e.g. "accounts.yaml: accounts[1].api_key: duplicate".
Result<std::vector<AccountConfig>> load_accounts(const std::string& path);

// Validates a list of accounts (names, keys, secrets as above; at least one; names and keys
// unique). `origin` prefixes error messages.
Status validate_accounts(const std::vector<AccountConfig>& accounts, const std::string& origin);

}  // namespace keel::simserver
