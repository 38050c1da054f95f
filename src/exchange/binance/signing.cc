#include "keel/exchange/binance/signing.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace keel::exchange::binance {

std::string hmac_sha256_hex(std::string_view secret, std::string_view payload) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(payload.data()), payload.size(), mac, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 0xf];
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
