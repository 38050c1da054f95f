// Credentials from a file only its owner may read, or from environment variables
// (credentials.h). Why the care: an error message, a log line or a journal record that quotes a
// secret leaks it to whoever reads the terminal, the service's logs or an audit export; so no
// message here is built from a value read from the file or the environment.
#include "keel/engine/credentials.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace keel::engine {
namespace {

constexpr size_t kMaxFileBytes = 64 * 1024;
constexpr size_t kMaxKeyChars = 256;
constexpr size_t kMaxSecretChars = 4096;

// Printable ASCII without spaces: what Binance's keys and HMAC secrets are, and what an HTTP
// header (X-MBX-APIKEY) may carry without injection.
bool plain_printable(const std::string& s, size_t max) {
  return !s.empty() && s.size() <= max &&
         std::all_of(s.begin(), s.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

// "api_key" (kMaxKeyChars) or "api_secret" (kMaxSecretChars); `where` names the value in the
// message ("api_secret (line 2)", "environment variable KEEL_API_SECRET"), never the value.
Status check_value(const std::string& value, bool is_secret, const std::string& where) {
  const size_t max = is_secret ? kMaxSecretChars : kMaxKeyChars;
  if (plain_printable(value, max)) return Status::Ok();
  return Status::InvalidArgument(where + ": must be 1.." + std::to_string(max) +
                                 " printable ASCII characters without spaces");
}

std::string octal(mode_t mode) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

const char* file_kind(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a pipe";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
  return "not a plain file";
}

// The checks of credentials.h on an open file: type, owner, mode, size.
Status check_file(const std::string& path, const struct stat& st) {
  if (!S_ISREG(st.st_mode)) {
    return Status::InvalidArgument(path + ": is " + file_kind(st.st_mode) +
                                   ", not a regular file");
  }
  if (st.st_uid != geteuid()) {
    return Status::InvalidArgument(path + ": is owned by uid " + std::to_string(st.st_uid) +
                                   ", not by uid " + std::to_string(geteuid()) +
                                   " that keel runs as (only its owner may read it)");
  }
  if ((st.st_mode & 077) != 0) {
    const bool group = (st.st_mode & 070) != 0, other = (st.st_mode & 007) != 0;
    const std::string who = group && other ? "group and others have" : group ? "its group has"
                                                                              : "others have";
    return Status::InvalidArgument(path + ": has mode " + octal(st.st_mode) + ": " + who +
                                   " access to it (only its owner may): run chmod 600 " + path);
  }
  if (st.st_size > static_cast<off_t>(kMaxFileBytes)) {
    return Status::InvalidArgument(path + ": is larger than " + std::to_string(kMaxFileBytes) +
                                   " bytes: not a credentials file");
  }
  return Status::Ok();
}

// Opens `path` (following a symbolic link), checks what was opened and reads it whole.
Result<Secret> read_checked(const std::string& path) {
  // O_NONBLOCK: a FIFO planted at the path must not block the open; it fails the type check.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    const int err = errno;
    return Status::NotFound(path + ": cannot be opened: " + std::strerror(err));
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    return Status::IOError(path + ": cannot be examined: " + std::strerror(err));
  }
  KEEL_RETURN_IF_ERROR(check_file(path, st));
  std::string text(kMaxFileBytes + 1, '\0');
  size_t have = 0;
  while (have < text.size()) {
    const ssize_t n = ::read(fd, text.data() + have, text.size() - have);
    if (n == 0) break;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      Secret wipe(std::move(text));
      return Status::IOError(path + ": cannot be read: " + std::strerror(err));
    }
    have += static_cast<size_t>(n);
  }
  if (have > kMaxFileBytes) {  // grew after fstat
    Secret wipe(std::move(text));
    return Status::InvalidArgument(path + ": is larger than " + std::to_string(kMaxFileBytes) +
                                   " bytes: not a credentials file");
  }
  text.resize(have);
  return Secret(std::move(text));
}

// yaml-cpp appends the text at fault to some messages ("unknown escape character: q",
// "... (key: \"...\")", "first invalid key: \"...\""): keep only the fixed description before
// the first ':', ';', '(' or '"', and the position.
std::string yaml_error(const YAML::Exception& e) {
  std::string what = e.msg.substr(0, e.msg.find_first_of(":;(\""));
  while (!what.empty() && what.back() == ' ') what.pop_back();
  std::string out = "not valid YAML";
  if (!e.mark.is_null()) {
    out += " at line " + std::to_string(e.mark.line + 1) + ", column " +
           std::to_string(e.mark.column + 1);
  }
  return what.empty() ? out : out + " (" + what + ")";
}

std::string line_of(const YAML::Node& n) { return "line " + std::to_string(n.Mark().line + 1); }

// One `key: value` of the file into `out`; `seen` guards against a key given twice.
Status take_entry(const std::string& path, const YAML::Node& key, const YAML::Node& value,
                  bool seen[2], Credentials& out) {
  const std::string line = line_of(key);
  const bool known = key.IsScalar() && (key.Scalar() == "api_key" || key.Scalar() == "api_secret");
  if (!known) {  // the key is not repeated: a mistyped line may be the secret itself
    return Status::InvalidArgument(path + ": " + line +
                                   ": unknown key (only api_key and api_secret belong here)");
  }
  const bool is_secret = key.Scalar() == "api_secret";
  const std::string name = key.Scalar() + " (" + line + ")";
  if (seen[is_secret]) return Status::InvalidArgument(path + ": " + name + ": given twice");
  seen[is_secret] = true;
  if (value.IsNull() || (value.IsScalar() && value.Scalar().empty())) {
    return Status::InvalidArgument(path + ": " + name + ": empty");
  }
  if (!value.IsScalar()) {
    return Status::InvalidArgument(path + ": " + name + ": must be a single value");
  }
  KEEL_RETURN_IF_ERROR(check_value(value.Scalar(), is_secret, path + ": " + name));
  (is_secret ? out.api_secret : out.api_key) = Secret(value.Scalar());
  return Status::Ok();
}

Result<Credentials> parse_file(const std::string& path, const Secret& text) {
  YAML::Node root;
  try {
    root = YAML::Load(text.reveal());
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(path + ": " + yaml_error(e));
  }
  if (!root.IsMap()) {
    const char* is = root.IsNull() ? "empty" : root.IsScalar() ? "a single value" : "a list";
    return Status::InvalidArgument(path + ": is " + std::string(is) +
                                   ", not a map with api_key: and api_secret:");
  }
  Credentials out;
  bool seen[2] = {false, false};
  for (const auto& kv : root) {
    KEEL_RETURN_IF_ERROR(take_entry(path, kv.first, kv.second, seen, out));
  }
  for (const bool is_secret : {false, true}) {
    if (!seen[is_secret]) {
      return Status::InvalidArgument(path + ": " + (is_secret ? "api_secret" : "api_key") +
                                     ": missing (the file holds api_key: and api_secret:)");
    }
  }
  return out;
}

// `key` is "api_key_env" or "api_secret_env"; `prefix` is "<config>: <field>".
Result<Secret> from_env(const std::string& prefix, const char* key, const std::string& var,
                        bool is_secret) {
  const char* v = std::getenv(var.c_str());
  if (v == nullptr || *v == '\0') {
    return Status::InvalidArgument(prefix + key + ": environment variable " + var +
                                   (v == nullptr ? " is not set" : " is empty"));
  }
  Secret value{std::string(v)};
  KEEL_RETURN_IF_ERROR(check_value(value.reveal(), is_secret,
                                   prefix + key + ": environment variable " + var));
  return value;
}

}  // namespace

Result<Credentials> read_credentials_file(const std::string& path) {
  auto text = read_checked(path);
  if (!text.ok()) return text.status();
  return parse_file(path, *text);
}

Result<Credentials> load_credentials(const CredentialSource& source) {
  const std::string prefix =
      source.origin.empty() ? source.field : source.origin + ": " + source.field;
  if (!source.file.empty()) {
    auto c = read_credentials_file(source.file);
    if (!c.ok()) return c.status().With(prefix + "credentials_file");
    return c;
  }
  Credentials c;
  auto key = from_env(prefix, "api_key_env", source.api_key_env, false);
  if (!key.ok()) return key.status();
  auto secret = from_env(prefix, "api_secret_env", source.api_secret_env, true);
  if (!secret.ok()) return secret.status();
  c.api_key = std::move(*key);
  c.api_secret = std::move(*secret);
  return c;
}

std::string describe(const CredentialSource& source) {
  if (!source.file.empty()) return "credentials_file " + source.file;
  return "environment variables " + source.api_key_env + ", " + source.api_secret_env;
}

}  // namespace keel::engine
