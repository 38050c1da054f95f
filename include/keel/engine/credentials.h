// keel/engine/credentials.h: an account's API key and secret (issue 10 item 3: "Credentials
// per account from environment variables or a file only its owner may read (refuse a wider
// mode); never in logs, journal, exports or error messages").
//
// A source is one of (config keys under exchange: with kind: binance; an account's block takes
// the same keys):
//   api_key_env: NAME, api_secret_env: NAME   environment variables (default KEEL_API_KEY,
//                                              KEEL_API_SECRET)
//   credentials_file: PATH                     a file, relative to the config file's folder;
//                                              not together with api_key_env / api_secret_env
// The file is YAML with exactly two keys:
//   api_key: "..."        printable ASCII without spaces, 1..256 characters
//   api_secret: "..."     printable ASCII without spaces, 1..4096 characters
// (the same rule for the environment variables' values). Quote a value that holds YAML's special
// characters ('#', ': ', a leading '&', '*', '!', '%', '@', '`'); single quotes take it as is.
//
// The file is refused unless (checked on the opened file, fstat, so what is checked is what is
// read):
//   - it is a regular file: a symbolic link is FOLLOWED and its target checked (Kubernetes
//     secret volumes and many deployment tools hand files over as links; a link has no
//     permission bits of its own, the target's are the ones that protect the secret);
//   - it is owned by the effective user keel runs as;
//   - no group or other permission bit is set (mode & 077 == 0: 0600 and 0400 pass, 0640, 0644,
//     0604 do not); the error says the mode and what to run ("chmod 600 FILE");
//   - it is at most 64 KiB.
// The folder's permissions are not checked (ssh does not either for its key files).
//
// Errors (kInvalidArgument; kNotFound when the file cannot be opened) read
//   "<config>: exchange.credentials_file: <file>: <what>", e.g.
//   "config/live.yaml: exchange.credentials_file: config/creds.yaml: mode 0644 lets group or
//    others access it (only its owner may): run chmod 600 config/creds.yaml"
//   "config/live.yaml: exchange.credentials_file: config/creds.yaml: api_secret: missing"
//   "config/live.yaml: exchange.api_key_env: environment variable KEEL_API_KEY is not set"
// No message ever holds a value read from the file or the environment: a YAML syntax error is
// reported by line and column with yaml-cpp's fixed description only (yaml-cpp appends the
// offending text to some of its messages: that part is cut), an unknown key by its line only
// (a mistyped line may be the secret itself).
#pragma once

#include <string>

#include "keel/core/secret.h"
#include "keel/core/status.h"

namespace keel::engine {

// Where an account's credentials come from (parsed from the config; nothing secret in it).
struct CredentialSource {
  std::string api_key_env = "KEEL_API_KEY";
  std::string api_secret_env = "KEEL_API_SECRET";
  // credentials_file, resolved like the config's other paths; non-empty: the file is the source
  // and the two variables are not read.
  std::string file;
  // For messages: the config file and the block's key prefix ("exchange.", "accounts[1].").
  std::string origin;
  std::string field = "exchange.";
};

struct Credentials {
  Secret api_key;
  Secret api_secret;
};

// Reads the credentials from the source's file or environment variables, as above.
Result<Credentials> load_credentials(const CredentialSource& source);

// The file checks and format above; messages start with `path`.
Result<Credentials> read_credentials_file(const std::string& path);

// "credentials_file FILE" or "environment variables KEY_ENV, SECRET_ENV": where the
// credentials come from, for messages and `keel validate` (names only, never values).
std::string describe(const CredentialSource& source);

}  // namespace keel::engine
