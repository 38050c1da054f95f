// ws_api.h (private): the WebSocket API at /ws-api/v3 (binance-spot.md §6), transport-free.
//
// Request frame {"id":..,"method":..,"params":{..}}; response frame
// {"id":..,"status":200,"result":..,"rateLimits":[..]} or {"id":..,"status":4xx,"error":
// {"code":..,"msg":..},"rateLimits":[..]}; the id is echoed as sent (number, string or null).
// Methods:
//  - ping -> {} ; time -> {"serverTime":ms}
//  - userDataStream.subscribe.signature {apiKey, timestamp, signature[, recvWindow]}: the
//    signature is HMAC-SHA256 hex over every param but signature, sorted by name, k=v joined
//    by '&' without percent-encoding (§1). -> {"subscriptionId":N}, N from 0 per session.
//    Errors: -1102 missing param, 401 -2015 unknown key, -1022 bad signature, -1021 timing,
//    -2035 "User Data Stream subscription already active." (this account, this session).
//  - userDataStream.unsubscribe [subscriptionId]: -> {} then, per removed subscription,
//    {"subscriptionId":N,"event":{"e":"eventStreamTerminated","E":ms}};
//    -2036 "User Data Stream subscription not active." when there is none.
//  - session.subscriptions -> [{"subscriptionId":N},..]
//  - anything else: 400 -1020 "This operation is not supported."; bad JSON: 400 -1135.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server_core.h"

namespace keel::simserver {

// The session's user-data subscriptions, guarded by the session.
class WsApiSubscriptions {
 public:
  virtual ~WsApiSubscriptions() = default;
  // A new subscription id for `account`; nullopt when the session already has one for it.
  virtual std::optional<int64_t> subscribe(size_t account) = 0;
  // Removes `id` (every subscription when nullopt); returns the removed ids.
  virtual std::vector<int64_t> unsubscribe(std::optional<int64_t> id) = 0;
  virtual std::vector<int64_t> list() = 0;
};

// The frames to send for one request frame: the response first, then any events.
std::vector<std::string> handle_ws_api(ServerCore& core, std::string_view text,
                                       WsApiSubscriptions& subs);

}  // namespace keel::simserver
