// REST parameters and the signature payload (params.h).
#include "keel/simserver/params.h"

#include <set>
#include <vector>

namespace keel::simserver {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::vector<std::string_view> split_pairs(std::string_view raw) {
  std::vector<std::string_view> out;
  while (!raw.empty()) {
    const size_t amp = raw.find('&');
    out.push_back(raw.substr(0, amp));
    if (amp == std::string_view::npos) break;
    raw.remove_prefix(amp + 1);
  }
  return out;
}

std::string_view pair_name(std::string_view pair) { return pair.substr(0, pair.find('=')); }

// The raw text without its signature=... pairs, other bytes untouched.
std::string strip_signature(std::string_view raw) {
  std::string out;
  for (std::string_view pair : split_pairs(raw)) {
    if (pair_name(pair) == "signature") continue;
    if (!out.empty()) out.push_back('&');
    out.append(pair);
  }
  return out;
}

ApiError duplicate() { return {400, -1101, "Duplicate values for a parameter detected."}; }
ApiError illegal() { return {400, -1100, "Illegal characters found in a parameter."}; }

// Decodes one source into `into`, names not already present (query wins over body).
std::optional<ApiError> add_source(std::string_view raw,
                                   std::map<std::string, std::string, std::less<>>& into) {
  std::set<std::string> seen;
  for (std::string_view pair : split_pairs(raw)) {
    if (pair.empty()) continue;  // "a=1&&b=2", a trailing '&'
    const size_t eq = pair.find('=');
    auto name = form_decode(pair.substr(0, eq));
    auto value = form_decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    if (!name || !value || name->empty()) return illegal();
    if (!seen.insert(*name).second) return duplicate();
    into.emplace(std::move(*name), std::move(*value));  // no-op when the query had it
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> form_decode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%') {
      if (i + 2 >= in.size()) return std::nullopt;
      const int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::optional<ApiError> Params::parse(std::string_view raw_query, std::string_view raw_body,
                                      Params& out) {
  out.values_.clear();
  if (auto e = add_source(raw_query, out.values_)) return e;
  if (auto e = add_source(raw_body, out.values_)) return e;
  out.payload_ = strip_signature(raw_query) + strip_signature(raw_body);
  return std::nullopt;
}

const std::string* Params::find(std::string_view name) const {
  auto it = values_.find(name);
  return it == values_.end() ? nullptr : &it->second;
}

}  // namespace keel::simserver
