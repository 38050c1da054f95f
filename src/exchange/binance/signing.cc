#include "keel/exchange/binance/signing.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <array>
#include <cstring>

#include "keel/core/status.h"

namespace keel::exchange::binance {

namespace {

// HMAC-SHA256 keyed once per secret and thread. HMAC() re-fetches SHA-256 and re-keys (two
// digest blocks) on every call; a keyed EVP_MAC_CTX re-initialised with a NULL key reuses the
// key it holds (EVP_MAC_init(3)), so a request costs only its own bytes. thread_local: the
// REST client and the WebSocket API may sign on different threads, and a context is not
// shareable; a thread signs with one or two secrets, so a tiny cache keyed by the secret
// (compared in full) is enough.
class KeyedHmac {
 public:
  KeyedHmac() = default;
  ~KeyedHmac() { EVP_MAC_CTX_free(ctx_); }
  KeyedHmac(const KeyedHmac&) = delete;
  KeyedHmac& operator=(const KeyedHmac&) = delete;

  bool holds(std::string_view secret) const { return ctx_ != nullptr && secret_ == secret; }

  void key(std::string_view secret) {
    static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);  // once per process
    KEEL_ASSERT_MSG(mac != nullptr, "EVP_MAC_fetch(HMAC) failed");
    if (ctx_ == nullptr) ctx_ = EVP_MAC_CTX_new(mac);
    KEEL_ASSERT_MSG(ctx_ != nullptr, "EVP_MAC_CTX_new failed");
    char digest[] = "SHA256";
    const OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_end()};
    // HMAC accepts an empty key; EVP_MAC_init needs a non-null pointer to take it as a key.
    static const unsigned char kEmpty[1] = {0};
    const auto* k = secret.empty() ? kEmpty : reinterpret_cast<const unsigned char*>(secret.data());
    const int rc = EVP_MAC_init(ctx_, k, secret.size(), params);
    KEEL_ASSERT_MSG(rc == 1, "EVP_MAC_init(HMAC-SHA256) failed");
    secret_.assign(secret);
  }

  // REQUIRES: key() was called. Writes 32 bytes.
  void mac(std::string_view payload, unsigned char* out) {
    size_t len = 0;
    const int rc =
        EVP_MAC_init(ctx_, nullptr, 0, nullptr) == 1 &&  // the held key, the held digest
        EVP_MAC_update(ctx_, reinterpret_cast<const unsigned char*>(payload.data()),
                       payload.size()) == 1 &&
        EVP_MAC_final(ctx_, out, &len, 32) == 1;
    KEEL_ASSERT_MSG(rc == 1 && len == 32, "HMAC-SHA256 failed");
  }

 private:
  EVP_MAC_CTX* ctx_ = nullptr;
  std::string secret_;
};

// The two most recently used secrets of this thread.
KeyedHmac& keyed_for(std::string_view secret) {
  thread_local std::array<KeyedHmac, 2> cache;
  thread_local size_t last = 0;
  if (cache[last].holds(secret)) return cache[last];
  const size_t other = 1 - last;
  if (!cache[other].holds(secret)) cache[other].key(secret);
  last = other;
  return cache[last];
}

}  // namespace

std::string hmac_sha256_hex(std::string_view secret, std::string_view payload) {
  unsigned char mac[32];
  keyed_for(secret).mac(payload, mac);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(64, '\0');
  for (size_t i = 0; i < 32; ++i) {
    out[2 * i] = kHex[mac[i] >> 4];
    out[2 * i + 1] = kHex[mac[i] & 0xf];
  }
  return out;
}

std::string rest_payload(std::string_view query, std::string_view body) {
  std::string p(query);
  p += body;
  return p;
}

std::string ws_api_payload(const std::map<std::string, std::string>& params) {
  std::string p;
  for (const auto& [k, v] : params) {
    if (k == "signature") continue;
    if (!p.empty()) p += '&';
    p += k;
    p += '=';
    p += v;
  }
  return p;
}

bool signature_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned diff = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return static_cast<unsigned>(c >= 'A' && c <= 'Z' ? c + 32 : c); };
    diff |= lower(a[i]) ^ lower(b[i]);
  }
  return diff == 0;
}

}  // namespace keel::exchange::binance
