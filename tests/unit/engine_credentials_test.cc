// Credentials (issue 10 item 3; keel/engine/credentials.h): from environment variables or a file
// only its owner may read (a wider mode is refused, naming the mode and the chmod to run);
// every refusal names the variable, the file or the key at fault and never holds the planted
// secret, whatever is wrong with the file. Also the config's credentials_file key and Secret.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <ostream>
#include <random>
#include <string>
#include <string_view>
#include <type_traits>

#include "keel/core/secret.h"
#include "keel/engine/config.h"
#include "keel/engine/credentials.h"

namespace keel::engine {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

std::string random_hex(int n) {
  std::random_device rd;
  std::string out;
  for (int i = 0; i < n; ++i) out += "0123456789abcdef"[rd() % 16];
  return out;
}

// A secret no message may hold, and a key beside it.
const std::string kPlanted = "PLANTED-" + random_hex(24);
const std::string kKey = "PLANTEDKEY-" + random_hex(16);

class CredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "keel-creds-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Writes `text` to dir/name with `mode`; returns the path.
  std::string write(const std::string& name, const std::string& text, mode_t mode = 0600) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    EXPECT_EQ(chmod(path.c_str(), mode), 0);
    return path;
  }
  std::string good_file(const std::string& name = "creds.yaml", mode_t mode = 0600) {
    return write(name, "api_key: " + kKey + "\napi_secret: " + kPlanted + "\n", mode);
  }

  fs::path dir_;
};

// The message of a refusal; fails the test when it holds the planted secret or key.
std::string refusal(const Result<Credentials>& r) {
  if (r.ok()) {
    ADD_FAILURE() << "accepted";
    return {};
  }
  const std::string m = r.status().message();
  EXPECT_THAT(m, Not(HasSubstr(kPlanted))) << "the secret leaked into a message";
  EXPECT_THAT(m, Not(HasSubstr("PLANTED"))) << "part of the secret leaked into a message";
  EXPECT_THAT(m, Not(HasSubstr(kKey))) << "the API key leaked into a message";
  return m;
}

TEST_F(CredentialsTest, OwnerOnlyModesAreAccepted) {
  for (const mode_t mode : {0600, 0400}) {
    const std::string path = good_file("creds-" + std::to_string(mode) + ".yaml", mode);
    auto c = read_credentials_file(path);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    EXPECT_EQ(c->api_key.reveal(), kKey);
    EXPECT_EQ(c->api_secret.reveal(), kPlanted);
  }
}

TEST_F(CredentialsTest, GroupOrOtherAccessIsRefusedNamingTheModeAndTheFix) {
  const std::pair<mode_t, const char*> cases[] = {{0640, "its group has"},
                                                  {0644, "group and others have"},
                                                  {0604, "others have"},
                                                  {0620, "its group has"},
                                                  {0601, "others have"}};
  for (const auto& [mode, who] : cases) {
    char octal[8];
    std::snprintf(octal, sizeof octal, "%04o", static_cast<unsigned>(mode));
    const std::string path = good_file(std::string("creds-") + octal + ".yaml", mode);
    auto r = read_credentials_file(path);
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
    const std::string m = refusal(r);
    EXPECT_THAT(m, HasSubstr(path + ": has mode " + octal + ": " + who));
    EXPECT_THAT(m, HasSubstr("run chmod 600 " + path));
  }
}

TEST_F(CredentialsTest, AFileOfAnotherUserIsRefused) {
  if (geteuid() != 0) {
    GTEST_SKIP() << "needs root: only root can give a file to another uid (chown), so this "
                    "process cannot make a file it does not own";
  }
  const std::string path = good_file();
  ASSERT_EQ(chown(path.c_str(), 54321, 54321), 0);
  EXPECT_THAT(refusal(read_credentials_file(path)),
              HasSubstr(path + ": is owned by uid 54321, not by uid 0 that keel runs as"));
}

// Decision (credentials.h): a symbolic link is followed and its TARGET must pass the checks.
TEST_F(CredentialsTest, ASymlinkIsFollowedAndItsTargetChecked) {
  const std::string target = good_file("target.yaml");
  const std::string link = (dir_ / "link.yaml").string();
  fs::create_symlink(target, link);
  auto c = read_credentials_file(link);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->api_secret.reveal(), kPlanted);

  ASSERT_EQ(chmod(target.c_str(), 0644), 0);
  EXPECT_THAT(refusal(read_credentials_file(link)), HasSubstr(link + ": has mode 0644"));

  fs::remove(target);
  auto dangling = read_credentials_file(link);
  EXPECT_EQ(dangling.status().code(), Code::kNotFound);
  EXPECT_THAT(refusal(dangling), HasSubstr(link + ": cannot be opened: No such file"));
}

TEST_F(CredentialsTest, NotARegularFileIsRefusedWithoutBlocking) {
  EXPECT_THAT(refusal(read_credentials_file(dir_.string())),
              HasSubstr(dir_.string() + ": is a directory, not a regular file"));
  const std::string fifo = (dir_ / "fifo").string();
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_THAT(refusal(read_credentials_file(fifo)), HasSubstr(fifo + ": is a pipe"));
  EXPECT_EQ(read_credentials_file((dir_ / "absent.yaml").string()).status().code(),
            Code::kNotFound);
}

TEST_F(CredentialsTest, MissingOrEmptyKeysAreNamed) {
  EXPECT_THAT(refusal(read_credentials_file(write("a.yaml", "api_key: " + kKey + "\n"))),
              HasSubstr("a.yaml: api_secret: missing"));
  EXPECT_THAT(refusal(read_credentials_file(write("b.yaml", "api_secret: " + kPlanted + "\n"))),
              HasSubstr("b.yaml: api_key: missing"));
  EXPECT_THAT(refusal(read_credentials_file(
                  write("c.yaml", "api_key: " + kKey + "\napi_secret: \"\"\n"))),
              HasSubstr("c.yaml: api_secret (line 2): empty"));
  EXPECT_THAT(refusal(read_credentials_file(
                  write("d.yaml", "api_key:\napi_secret: " + kPlanted + "\n"))),
              HasSubstr("d.yaml: api_key (line 1): empty"));
  EXPECT_THAT(refusal(read_credentials_file(write("e.yaml", ""))),
              HasSubstr("e.yaml: is empty, not a map with api_key: and api_secret:"));
}

// Whatever is wrong in the file, the message points at it by key or line, never by content.
TEST_F(CredentialsTest, NoMessageQuotesTheFile) {
  const std::string k = "api_key: " + kKey + "\n";
  const std::pair<std::string, std::string> cases[] = {
      // A YAML error inside the secret: yaml-cpp's message would end with the bad escape.
      {k + "api_secret: \"" + kPlanted + "\\q\"\n", "not valid YAML at line 2"},
      {k + "api_secret: [" + kPlanted + "\n", "not valid YAML"},
      // yaml-cpp takes an unclosed quote at the end as closed, with the line break as a space.
      {k + "api_secret: '" + kPlanted + "\n", "api_secret (line 2): must be 1..4096 printable"},
      // The secret pasted alone, or on a line of its own, or as a key.
      {kPlanted + "\n", "is a single value, not a map"},
      {k + "api_secret: " + kPlanted + "\n" + kPlanted + ": x\n", "line 3: unknown key"},
      {k + "api_secret: " + kPlanted + "\nsecret: " + kPlanted + "\n", "line 3: unknown key"},
      {k + "api_secret: " + kPlanted + "\napi_secret: " + kPlanted + "\n",
       "api_secret (line 3): given twice"},
      {k + "api_secret: [" + kPlanted + "]\n", "api_secret (line 2): must be a single value"},
      {k + "api_secret: \"" + kPlanted + " x\"\n",
       "api_secret (line 2): must be 1..4096 printable ASCII characters without spaces"},
      {"api_key: \"" + kKey + "\\t\"\napi_secret: " + kPlanted + "\n",
       "api_key (line 1): must be 1..256 printable ASCII"},
      {k + "api_secret: " + kPlanted + std::string(5000, 'x') + "\n", "api_secret (line 2)"},
      {"- " + kKey + "\n- " + kPlanted + "\n", "is a list, not a map"},
      {k + "api_secret: &a " + kPlanted + "\nx: *b\n", "not valid YAML"},
  };
  int i = 0;
  for (const auto& [text, expected] : cases) {
    const std::string path = write("bad" + std::to_string(i++) + ".yaml", text);
    EXPECT_THAT(refusal(read_credentials_file(path)), HasSubstr(path + ": " + expected)) << text;
  }
}

TEST_F(CredentialsTest, AFileTooLargeIsRefused) {
  const std::string path = write("big.yaml", "api_key: k\napi_secret: " + kPlanted + "\n#" +
                                                 std::string(70'000, 'x') + "\n");
  EXPECT_THAT(refusal(read_credentials_file(path)),
              HasSubstr(path + ": is larger than 65536 bytes"));
}

// ---- The source: the file or the environment -------------------------------------------

TEST_F(CredentialsTest, FromTheEnvironmentNamingTheMissingVariable) {
  CredentialSource src;
  src.origin = "config/x.yaml";
  src.api_key_env = "KEEL_TEST_CREDS_KEY";
  src.api_secret_env = "KEEL_TEST_CREDS_SECRET";
  unsetenv("KEEL_TEST_CREDS_KEY");
  unsetenv("KEEL_TEST_CREDS_SECRET");
  EXPECT_EQ(refusal(load_credentials(src)),
            "config/x.yaml: exchange.api_key_env: environment variable KEEL_TEST_CREDS_KEY is "
            "not set");
  setenv("KEEL_TEST_CREDS_KEY", kKey.c_str(), 1);
  EXPECT_EQ(refusal(load_credentials(src)),
            "config/x.yaml: exchange.api_secret_env: environment variable "
            "KEEL_TEST_CREDS_SECRET is not set");
  setenv("KEEL_TEST_CREDS_SECRET", "", 1);
  EXPECT_THAT(refusal(load_credentials(src)), HasSubstr("KEEL_TEST_CREDS_SECRET is empty"));
  setenv("KEEL_TEST_CREDS_SECRET", (kPlanted + "\n").c_str(), 1);
  EXPECT_THAT(refusal(load_credentials(src)),
              HasSubstr("exchange.api_secret_env: environment variable KEEL_TEST_CREDS_SECRET: "
                        "must be 1..4096 printable ASCII characters without spaces"));
  setenv("KEEL_TEST_CREDS_SECRET", kPlanted.c_str(), 1);
  auto c = load_credentials(src);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->api_key.reveal(), kKey);
  EXPECT_EQ(c->api_secret.reveal(), kPlanted);
  EXPECT_EQ(describe(src), "environment variables KEEL_TEST_CREDS_KEY, KEEL_TEST_CREDS_SECRET");
  unsetenv("KEEL_TEST_CREDS_KEY");
  unsetenv("KEEL_TEST_CREDS_SECRET");
}

TEST_F(CredentialsTest, TheFileWinsOverTheEnvironmentAndErrorsNameTheConfigField) {
  CredentialSource src;
  src.origin = "config/x.yaml";
  src.field = "accounts[1].";
  src.api_key_env = "KEEL_TEST_CREDS_UNSET";  // never read when a file is named
  src.file = good_file("creds.yaml", 0644);
  EXPECT_EQ(refusal(load_credentials(src)),
            "config/x.yaml: accounts[1].credentials_file: " + src.file +
                ": has mode 0644: group and others have access to it (only its owner may): "
                "run chmod 600 " + src.file);
  ASSERT_EQ(chmod(src.file.c_str(), 0600), 0);
  auto c = load_credentials(src);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->api_secret.reveal(), kPlanted);
  EXPECT_EQ(describe(src), "credentials_file " + src.file);
}

// ---- The config keys -----------------------------------------------------------------------

constexpr const char* kConfigHead =
    "instrument: {symbol: BTCUSDT, base_asset: BTC, quote_asset: USDT, tick_size: \"0.01\","
    " step_size: \"0.00001\", min_notional: \"5\"}\n"
    "exchange:\n  kind: binance\n  rest_url: http://127.0.0.1:1\n  ws_url: ws://127.0.0.1:1\n"
    "  ws_api_url: ws://127.0.0.1:1/ws-api/v3\n";
constexpr const char* kConfigTasks =
    "tasks:\n  - id: grid1\n    strategy: grid\n"
    "    params: {price_interval: \"5\", order_quantity: \"0.002\"}\n";

Result<Config> parse_exchange(const std::string& extra) {
  return parse_config(std::string(kConfigHead) + extra + kConfigTasks, "config/x.yaml", "config");
}

TEST(CredentialsConfig, CredentialsFileIsRelativeToTheConfigFolder) {
  auto rel = parse_exchange("  credentials_file: secrets/alice.yaml\n");
  ASSERT_TRUE(rel.ok()) << rel.status().ToString();
  EXPECT_EQ(rel->binance.credentials.file, "config/secrets/alice.yaml");
  EXPECT_EQ(rel->binance.credentials.origin, "config/x.yaml");
  EXPECT_EQ(rel->binance.credentials.field, "exchange.");
  auto abs = parse_exchange("  credentials_file: /etc/keel/alice.yaml\n");
  ASSERT_TRUE(abs.ok()) << abs.status().ToString();
  EXPECT_EQ(abs->binance.credentials.file, "/etc/keel/alice.yaml");
  auto env = parse_exchange("  api_key_env: K\n  api_secret_env: S\n");
  ASSERT_TRUE(env.ok()) << env.status().ToString();
  EXPECT_TRUE(env->binance.credentials.file.empty());
  EXPECT_EQ(env->binance.credentials.api_key_env, "K");
  EXPECT_EQ(env->binance.credentials.api_secret_env, "S");
}

TEST(CredentialsConfig, TheFileAndTheVariablesExcludeEachOther) {
  auto one = parse_exchange("  credentials_file: c.yaml\n  api_secret_env: S\n");
  EXPECT_EQ(one.status().message(),
            "config/x.yaml: exchange.credentials_file: given with exchange.api_secret_env: use "
            "the file or the environment variables, not both");
  auto both = parse_exchange("  api_key_env: K\n  api_secret_env: S\n  credentials_file: c\n");
  EXPECT_THAT(both.status().message(),
              HasSubstr("exchange.credentials_file: given with exchange.api_key_env and "
                        "exchange.api_secret_env"));
  EXPECT_THAT(parse_exchange("  credentials_file: \"\"\n").status().message(),
              HasSubstr("exchange.credentials_file: must not be empty"));
  EXPECT_THAT(parse_exchange("  credentials_file: [a]\n").status().message(),
              HasSubstr("exchange.credentials_file: must be a single value"));
  EXPECT_THAT(parse_exchange("  credential_file: c.yaml\n").status().message(),
              HasSubstr("exchange.credential_file: unknown key (did you mean credentials_file?)"));
}

// ---- Secret --------------------------------------------------------------------------------

template <class T, class = void>
struct Streamable : std::false_type {};
template <class T>
struct Streamable<T, std::void_t<decltype(std::declval<std::ostream&>() << std::declval<T>())>>
    : std::true_type {};

static_assert(!Streamable<const Secret&>::value, "a Secret must not be printable");
static_assert(!std::is_convertible_v<Secret, std::string>);
static_assert(!std::is_convertible_v<Secret, std::string_view>);
static_assert(!std::is_trivially_copyable_v<Secret>, "printf's varargs refuse it (GCC)");
static_assert(!std::is_convertible_v<std::string, Secret>, "explicit construction only");

TEST(SecretTest, MovesLeaveNothingBehind) {
  Secret a(kPlanted);
  Secret b(std::move(a));
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): the point of the test
  EXPECT_EQ(b.reveal(), kPlanted);
  Secret c;
  c = std::move(b);
  EXPECT_TRUE(b.empty());  // NOLINT(bugprone-use-after-move)
  Secret d = c;
  EXPECT_EQ(d.reveal(), kPlanted);
  EXPECT_EQ(d.size(), kPlanted.size());
}

}  // namespace
}  // namespace keel::engine
