// The WebSocket API (ws_api.h).
#include "ws_api.h"

#include <simdjson.h>

#include <map>

#include "auth.h"
#include "errors.h"
#include "json.h"
#include "keel/exchange/binance/signing.h"
#include "render.h"

namespace keel::simserver {
namespace {

struct ApiRequest {
  std::string id_json = "null";
  std::string method;
  std::map<std::string, std::string> params;  // sorted by name (the signature payload's order)
};

// A param's text as the client wrote it: strings unquoted, numbers and literals verbatim.
std::string scalar_text(simdjson::dom::element e) {
  std::string_view s;
  if (e.get_string().get(s) == simdjson::SUCCESS) return std::string(s);
  return simdjson::minify(e);
}

std::optional<ApiError> parse_request(std::string_view text, ApiRequest& out) {
  const ApiError invalid{400, -1135, "Invalid JSON Request"};
  simdjson::dom::parser parser;
  simdjson::padded_string padded(text);
  simdjson::dom::element doc;
  simdjson::dom::object obj;
  if (parser.parse(padded).get(doc) != simdjson::SUCCESS) return invalid;
  if (doc.get_object().get(obj) != simdjson::SUCCESS) return invalid;
  simdjson::dom::element id;
  if (obj["id"].get(id) == simdjson::SUCCESS) out.id_json = simdjson::minify(id);
  std::string_view method;
  if (obj["method"].get_string().get(method) != simdjson::SUCCESS) return err::mandatory("method");
  out.method = std::string(method);
  simdjson::dom::object params;
  if (obj["params"].get_object().get(params) == simdjson::SUCCESS) {
    for (auto field : params) out.params[std::string(field.key)] = scalar_text(field.value);
  }
  return std::nullopt;
}

std::string frame(ServerCore& core, const std::string& id_json, int64_t weight,
                  const ApiError* error, std::string_view result_json) {
  const int64_t used = core.weight.add(weight, core.wall_ms());
  JsonWriter w;
  w.begin_object().key("id").raw(id_json).kv_num("status", error ? error->http_status : 200);
  if (error != nullptr) {
    w.key("error");
    write_error(w, *error);
  } else {
    w.key("result").raw(result_json);
  }
  w.key("rateLimits").begin_array().begin_object().kv_str("rateLimitType", "REQUEST_WEIGHT")
      .kv_str("interval", "MINUTE").kv_num("intervalNum", 1).kv_num("limit", 6000)
      .kv_num("count", used).end_object().end_array();
  w.end_object();
  return w.take();
}

const std::string* param(const ApiRequest& r, const char* name) {
  auto it = r.params.find(name);
  return it == r.params.end() || it->second.empty() ? nullptr : &it->second;
}

// userDataStream.subscribe.signature: the account, or the error to answer.
std::optional<ApiError> authenticate(ServerCore& core, const ApiRequest& r, size_t& account) {
  const std::string* key = param(r, "apiKey");
  if (key == nullptr) return err::mandatory("apiKey");
  if (param(r, "timestamp") == nullptr) return err::mandatory("timestamp");
  const std::string* sig = param(r, "signature");
  if (sig == nullptr) return err::mandatory("signature");
  auto idx = core.venue->find_by_key(*key);
  if (!idx) return err::key_rejected();
  const std::string payload = exchange::binance::ws_api_payload(r.params);
  const std::string expected =
      exchange::binance::hmac_sha256_hex(core.venue->config(*idx).secret, payload);
  if (!exchange::binance::signature_equal(expected, *sig)) return err::bad_signature();
  if (auto e = check_timing(param(r, "timestamp"), param(r, "recvWindow"),
                            core.clock.realtime_ns() / 1000)) {
    return e;
  }
  account = *idx;
  return std::nullopt;
}

std::vector<std::string> subscribe(ServerCore& core, const ApiRequest& r,
                                   WsApiSubscriptions& subs) {
  size_t account = 0;
  if (auto e = authenticate(core, r, account)) return {frame(core, r.id_json, 2, &*e, {})};
  auto id = subs.subscribe(account);
  if (!id) {
    const ApiError active{400, -2035, "User Data Stream subscription already active."};
    return {frame(core, r.id_json, 2, &active, {})};
  }
  return {frame(core, r.id_json, 2, nullptr, "{\"subscriptionId\":" + std::to_string(*id) + "}")};
}

std::vector<std::string> unsubscribe(ServerCore& core, const ApiRequest& r,
                                     WsApiSubscriptions& subs) {
  std::optional<int64_t> which;
  if (const std::string* s = param(r, "subscriptionId")) {
    try {
      which = std::stoll(*s);
    } catch (const std::exception&) {
      const ApiError bad = err::invalid_param("subscriptionId");
      return {frame(core, r.id_json, 2, &bad, {})};
    }
  }
  const std::vector<int64_t> removed = subs.unsubscribe(which);
  if (removed.empty()) {
    const ApiError none{400, -2036, "User Data Stream subscription not active."};
    return {frame(core, r.id_json, 2, &none, {})};
  }
  std::vector<std::string> out{frame(core, r.id_json, 2, nullptr, "{}")};
  for (int64_t id : removed) {
    out.push_back("{\"subscriptionId\":" + std::to_string(id) +
                  ",\"event\":{\"e\":\"eventStreamTerminated\",\"E\":" +
                  std::to_string(core.wall_ms()) + "}}");
  }
  return out;
}

std::string list(ServerCore& core, const ApiRequest& r, WsApiSubscriptions& subs) {
  JsonWriter w;
  w.begin_array();
  for (int64_t id : subs.list()) w.begin_object().kv_num("subscriptionId", id).end_object();
  w.end_array();
  return frame(core, r.id_json, 2, nullptr, w.take());
}

}  // namespace

std::vector<std::string> handle_ws_api(ServerCore& core, std::string_view text,
                                       WsApiSubscriptions& subs) {
  ApiRequest r;
  if (auto e = parse_request(text, r)) return {frame(core, r.id_json, 1, &*e, {})};
  if (r.method == "ping") return {frame(core, r.id_json, 1, nullptr, "{}")};
  if (r.method == "time") {
    return {frame(core, r.id_json, 1, nullptr,
                  "{\"serverTime\":" + std::to_string(core.wall_ms()) + "}")};
  }
  if (r.method == "userDataStream.subscribe.signature") return subscribe(core, r, subs);
  if (r.method == "userDataStream.unsubscribe") return unsubscribe(core, r, subs);
  if (r.method == "session.subscriptions") return {list(core, r, subs)};
  const ApiError unsupported{400, -1020, "This operation is not supported."};
  return {frame(core, r.id_json, 1, &unsupported, {})};
}

}  // namespace keel::simserver
