// Decoders of the small frames: error body, server time, WebSocket API response
// (reference/binance-spot.md §0, §1, §6).
#include <limits>

#include "decode_internal.h"

namespace keel::exchange::binance {

namespace detail {

Status error_obj(const json::Obj& o, ErrorBody& out) {
  int64_t code = 0;
  KEEL_RETURN_IF_ERROR(json::i64(o, "code", code));
  if (code < std::numeric_limits<int>::min() || code > std::numeric_limits<int>::max()) {
    return json::bad(o, "code", "out of range");
  }
  std::string_view msg;
  KEEL_RETURN_IF_ERROR(json::str(o, "msg", msg));
  out.code = static_cast<int>(code);
  out.msg.assign(msg);
  return Status::Ok();
}

}  // namespace detail

Result<ErrorBody> decode_error_body(std::string_view json) {
  auto root = json::parse(json);
  if (!root.ok()) return root.status();
  json::Obj o;
  KEEL_RETURN_IF_ERROR(json::as_object(*root, "", o));
  ErrorBody out;
  KEEL_RETURN_IF_ERROR(detail::error_obj(o, out));
  return out;
}

Result<int64_t> decode_server_time_ms(std::string_view json) {
  auto root = json::parse(json);
  if (!root.ok()) return root.status();
  json::Obj o;
  KEEL_RETURN_IF_ERROR(json::as_object(*root, "", o));
  int64_t ms = 0;
  KEEL_RETURN_IF_ERROR(json::i64(o, "serverTime", ms));
  if (ms <= 0) return json::bad(o, "serverTime", "not positive");
  return ms;
}

namespace {

// The request id, which the WebSocket API echoes as sent: a string, an integer or null.
Status ws_id(const json::Obj& o, std::string& out) {
  json::element e;
  if (o.o["id"].get(e) != simdjson::SUCCESS) return json::bad(o, "id", "missing");
  std::string_view s;
  int64_t n = 0;
  if (e.get_string().get(s) == simdjson::SUCCESS) {
    out.assign(s);
  } else if (e.get_int64().get(n) == simdjson::SUCCESS) {
    out = std::to_string(n);
  } else if (!e.is_null()) {
    return json::bad(o, "id", "neither a string, an integer nor null");
  }
  return Status::Ok();
}

}  // namespace

Result<WsApiResponse> decode_ws_api_response(std::string_view json) {
  auto root = json::parse(json);
  if (!root.ok()) return root.status();
  json::Obj o;
  KEEL_RETURN_IF_ERROR(json::as_object(*root, "", o));
  WsApiResponse out;
  KEEL_RETURN_IF_ERROR(ws_id(o, out.id));
  int64_t status = 0;
  KEEL_RETURN_IF_ERROR(json::i64(o, "status", status));
  if (status < 100 || status > 599) return json::bad(o, "status", "not an HTTP status");
  out.status = static_cast<int>(status);
  if (json::has(o, "error")) {
    json::Obj err;
    KEEL_RETURN_IF_ERROR(json::child(o, "error", err));
    KEEL_RETURN_IF_ERROR(detail::error_obj(err, out.error));
    return out;
  }
  if (status >= 300) return json::bad(o, "error", "missing in a failed response");
  if (json::has(o, "result") && !json::is_null(o, "result")) {
    json::Obj result;
    KEEL_RETURN_IF_ERROR(json::child(o, "result", result));
    KEEL_RETURN_IF_ERROR(json::opt_i64(result, "subscriptionId", out.subscription_id));
  }
  return out;
}

}  // namespace keel::exchange::binance
