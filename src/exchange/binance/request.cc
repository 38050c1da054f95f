// Request building and signing (request.h; reference/binance-spot.md §1).
#include "keel/exchange/binance/request.h"

#include <map>

#include "keel/exchange/binance/signing.h"

namespace keel::exchange::binance {
namespace {

Status url_error(std::string_view text, std::string_view what) {
  return Status::InvalidArgument("url '" + std::string(text) + "': " + std::string(what));
}

bool valid_port(std::string_view port) {
  if (port.empty() || port.size() > 5) return false;
  int n = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + (c - '0');
  }
  return n > 0 && n <= 65535;
}

// Minimal JSON string escaping for the WebSocket API request.
void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      out += "\\u00";
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    } else {
      out += c;
    }
  }
  out += '"';
}

}  // namespace

Result<Url> parse_url(std::string_view text) {
  const size_t sep = text.find("://");
  if (sep == std::string_view::npos) return url_error(text, "missing '://'");
  Url u;
  u.scheme.assign(text.substr(0, sep));
  if (u.scheme != "http" && u.scheme != "https" && u.scheme != "ws" && u.scheme != "wss") {
    return url_error(text, "scheme must be http, https, ws or wss");
  }
  u.tls = u.scheme == "https" || u.scheme == "wss";
  std::string_view rest = text.substr(sep + 3);
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) u.path.assign(rest.substr(slash));
  while (!u.path.empty() && u.path.back() == '/') u.path.pop_back();
  if (u.path.find_first_of("?#") != std::string::npos) {
    return url_error(text, "query and fragment are not allowed");
  }
  if (authority.find('@') != std::string_view::npos) return url_error(text, "user info not allowed");
  const size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos) {
    u.port.assign(authority.substr(colon + 1));
    authority = authority.substr(0, colon);
    if (!valid_port(u.port)) return url_error(text, "port must be 1..65535");
  } else {
    u.port = u.tls ? "443" : "80";
  }
  if (authority.empty()) return url_error(text, "host is empty");
  u.host.assign(authority);
  return u;
}

std::string percent_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~';
    if (unreserved) {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    }
  }
  return out;
}

Query& Query::add(std::string_view key, std::string_view value) {
  if (!q_.empty()) q_ += '&';
  q_ += key;
  q_ += '=';
  q_ += percent_encode(value);
  return *this;
}

Query& Query::add(std::string_view key, int64_t value) { return add(key, std::to_string(value)); }

std::string sign_query(std::string query, int64_t recv_window_ms, int64_t timestamp_ms,
                       std::string_view secret) {
  if (!query.empty()) query += '&';
  if (recv_window_ms > 0) query += "recvWindow=" + std::to_string(recv_window_ms) + "&";
  query += "timestamp=" + std::to_string(timestamp_ms);
  const std::string signature = hmac_sha256_hex(secret, rest_payload(query, ""));
  query += "&signature=";
  query += signature;
  return query;
}

std::string user_stream_subscribe_request(std::string_view id, std::string_view api_key,
                                          std::string_view secret, int64_t timestamp_ms,
                                          int64_t recv_window_ms) {
  std::map<std::string, std::string> params{{"apiKey", std::string(api_key)},
                                            {"timestamp", std::to_string(timestamp_ms)}};
  if (recv_window_ms > 0) params["recvWindow"] = std::to_string(recv_window_ms);
  params["signature"] = hmac_sha256_hex(secret, ws_api_payload(params));
  std::string out = "{\"id\":";
  append_json_string(out, id);
  out += ",\"method\":\"userDataStream.subscribe.signature\",\"params\":{";
  bool first = true;
  for (const auto& [k, v] : params) {
    if (!first) out += ',';
    first = false;
    append_json_string(out, k);
    out += ':';
    if (k == "timestamp" || k == "recvWindow") out += v;  // numbers, as the docs send them
    else append_json_string(out, v);
  }
  out += "}}";
  return out;
}

bool valid_client_order_id(std::string_view id) {
  if (id.empty() || id.size() > 36) return false;
  for (char c : id) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string lower_case(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace keel::exchange::binance
