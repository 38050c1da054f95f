// One WebSocket connection (ws_session.h), after Beast's advanced_server example.
#include "ws_session.h"

#include <simdjson.h>

#include <chrono>

#include "json.h"

namespace keel::simserver {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;

namespace {

constexpr size_t kMaxStreams = 1024;  // per connection (binance-spot.md §7)

std::vector<std::string> split_streams(std::string_view list) {
  std::vector<std::string> out;
  while (!list.empty() && out.size() < kMaxStreams) {
    const size_t slash = list.find('/');
    if (slash != 0) out.push_back(lower_ascii(std::string(list.substr(0, slash))));
    if (slash == std::string_view::npos) break;
    list.remove_prefix(slash + 1);
  }
  return out;
}

// "streams=a/b" from a query string.
std::string_view query_param(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    if (pair.substr(0, name.size()) == name && pair.size() > name.size() && pair[name.size()] == '=') {
      return pair.substr(name.size() + 1);
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

}  // namespace

WsSession::WsSession(net::ip::tcp::socket&& socket, ServerCore& core)
    : ws_(std::move(socket)),
      core_(core),
      slot_(core),
      ping_timer_(ws_.get_executor()),
      disconnect_timer_(ws_.get_executor()) {}

bool WsSession::route(std::string_view target) {
  const size_t q = target.find('?');
  const std::string_view path = target.substr(0, q);
  const std::string_view query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  std::lock_guard<std::mutex> lock(mu_);
  if (path == "/ws-api/v3") {
    kind_ = Kind::kApi;
  } else if (path == "/stream") {
    combined_ = true;
    for (auto& s : split_streams(query_param(query, "streams"))) streams_.insert(std::move(s));
  } else if (path == "/ws" || path.rfind("/ws/", 0) == 0) {
    const std::string_view rest = path.size() > 4 ? path.substr(4) : std::string_view();
    if (auto account = core_.listen_keys.lookup(std::string(rest))) {
      kind_ = Kind::kListenKey;
      listen_key_ = std::string(rest);
      listen_account_ = *account;
    } else {
      for (auto& s : split_streams(rest)) streams_.insert(std::move(s));
    }
  } else {
    return false;
  }
  return true;
}

void WsSession::run(http::request<http::string_body> req) {
  if (!route(std::string_view(req.target().data(), req.target().size()))) {
    return reject_handshake(req.version());
  }
  ws_.set_option(websocket::stream_base::timeout{std::chrono::seconds(kWsHandshakeTimeoutSec),
                                                 std::chrono::seconds(kWsIdleTimeoutSec),
                                                 /*keep_alive_pings=*/false});
  ws_.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& res) { res.set(http::field::server, "keel-sim"); }));
  ws_.read_message_max(kMaxWsMessageBytes);
  // Registered before the handshake completes, so nothing published after the client's upgrade
  // request is missed; messages wait in the queue until on_accept.
  core_.hub->add(weak_from_this());
  ws_.async_accept(req, beast::bind_front_handler(&WsSession::on_accept, shared_from_this()));
}

void WsSession::reject_handshake(unsigned version) {
  auto res = std::make_shared<http::response<http::string_body>>(http::status::not_found, version);
  res->set(http::field::server, "keel-sim");
  res->set(http::field::content_type, "application/json;charset=UTF-8");
  res->keep_alive(false);
  res->body() = R"({"code":-1020,"msg":"This operation is not supported."})";
  res->prepare_payload();
  auto& stream = beast::get_lowest_layer(ws_);
  stream.expires_after(std::chrono::seconds(kHttpReadTimeoutSec));
  http::async_write(stream, *res, [self = shared_from_this(), res](beast::error_code, size_t) {
    beast::error_code ec;
    beast::get_lowest_layer(self->ws_).socket().shutdown(net::ip::tcp::socket::shutdown_send, ec);
  });
}

void WsSession::on_accept(beast::error_code ec) {
  if (ec) return on_closed();
  accepted_ = true;
  flush();
  schedule_ping();
  if (core_.opts.faults.disconnect_every_ms > 0) {
    disconnect_timer_.expires_after(std::chrono::milliseconds(core_.opts.faults.disconnect_every_ms));
    disconnect_timer_.async_wait([self = shared_from_this()](beast::error_code wait_ec) {
      if (!wait_ec) self->close_session(websocket::close_code::going_away);
    });
  }
  do_read();
}

void WsSession::do_read() {
  ws_.async_read(buffer_, beast::bind_front_handler(&WsSession::on_read, shared_from_this()));
}

void WsSession::on_read(beast::error_code ec, size_t) {
  if (ec) return on_closed();  // closed by the peer, idle timeout, oversized message
  const std::string text = beast::buffers_to_string(buffer_.data());
  buffer_.consume(buffer_.size());
  try {  // handlers return errors as values; only allocation failures could throw
    if (kind_ == Kind::kApi) {
      for (auto& f : handle_ws_api(core_, text, *this)) enqueue(std::move(f));
    } else if (kind_ == Kind::kMarket) {
      handle_market_request(text);
    }  // a listenKey stream ignores what the client sends
  } catch (const std::exception&) {
    return close_session(websocket::close_code::internal_error);
  }
  do_read();
}

// SUBSCRIBE / UNSUBSCRIBE / LIST_SUBSCRIPTIONS / SET_PROPERTY / GET_PROPERTY (§7).
void WsSession::handle_market_request(std::string_view text) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(text);
  simdjson::dom::element doc;
  std::string id = "null";
  auto error = [&](int code, std::string_view msg) {
    JsonWriter w;
    w.begin_object().key("error").begin_object().kv_num("code", code).kv_str("msg", msg)
        .end_object().key("id").raw(id).end_object();
    enqueue(w.take());
  };
  if (parser.parse(padded).get(doc) != simdjson::SUCCESS) return error(3, "Invalid JSON");
  simdjson::dom::element id_el;
  if (doc["id"].get(id_el) == simdjson::SUCCESS) id = simdjson::minify(id_el);
  std::string_view method;
  if (doc["method"].get_string().get(method) != simdjson::SUCCESS) {
    return error(2, "Invalid request: method");
  }
  simdjson::dom::array params;
  const bool has_params = doc["params"].get_array().get(params) == simdjson::SUCCESS;
  std::vector<std::string> names;
  if (has_params) {
    for (auto p : params) {
      std::string_view s;
      if (p.get_string().get(s) == simdjson::SUCCESS) names.push_back(lower_ascii(std::string(s)));
    }
  }
  if ((method == "SUBSCRIBE" || method == "UNSUBSCRIBE") && !has_params) {
    return error(2, "Invalid request: params");
  }
  const bool combined_property = names.size() == 1 && names[0] == "combined";
  bool on = false;
  if (method == "SET_PROPERTY" &&
      (!combined_property || params.at(1).get_bool().get(on) != simdjson::SUCCESS)) {
    return error(1, "Invalid value type");
  }
  std::string result = "null";
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (method == "SUBSCRIBE" || method == "UNSUBSCRIBE") {
      for (auto& n : names) {
        if (method == "UNSUBSCRIBE") streams_.erase(n);
        else if (streams_.size() < kMaxStreams) streams_.insert(n);
      }
    } else if (method == "LIST_SUBSCRIPTIONS") {
      JsonWriter w;
      w.begin_array();
      for (const auto& s : streams_) w.str(s);
      w.end_array();
      result = w.take();
    } else if (method == "SET_PROPERTY") {
      combined_ = on;
    } else if (method == "GET_PROPERTY" && combined_property) {
      result = combined_ ? "true" : "false";
    } else {
      result.clear();
    }
  }
  if (result.empty()) return error(2, "Invalid request: unknown method");
  enqueue("{\"result\":" + result + ",\"id\":" + id + "}");
}

void WsSession::on_market(const std::string& stream, const std::string& stream_lc,
                          const std::shared_ptr<const std::string>& payload) {
  std::lock_guard<std::mutex> lock(mu_);
  if (kind_ != Kind::kMarket || closed_ || streams_.count(stream_lc) == 0) return;
  std::string msg = combined_ ? "{\"stream\":\"" + stream + "\",\"data\":" + *payload + "}" : *payload;
  if (enqueue_locked(std::move(msg))) post_flush();
}

void WsSession::on_user(size_t account, const std::shared_ptr<const std::string>& event) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return;
  bool post = false;
  if (kind_ == Kind::kListenKey && account == listen_account_) {
    post = enqueue_locked(*event);
  } else if (kind_ == Kind::kApi) {
    for (const auto& [id, acct] : subs_) {
      if (acct != account) continue;
      post = enqueue_locked("{\"subscriptionId\":" + std::to_string(id) + ",\"event\":" + *event + "}") || post;
    }
  }
  if (post) post_flush();
}

std::optional<int64_t> WsSession::subscribe(size_t account) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [id, acct] : subs_) {
    if (acct == account) return std::nullopt;
  }
  const int64_t id = next_sub_id_++;
  subs_[id] = account;
  return id;
}

std::vector<int64_t> WsSession::unsubscribe(std::optional<int64_t> id) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<int64_t> removed;
  for (auto it = subs_.begin(); it != subs_.end();) {
    if (!id || it->first == *id) {
      removed.push_back(it->first);
      it = subs_.erase(it);
    } else {
      ++it;
    }
  }
  return removed;
}

std::vector<int64_t> WsSession::list() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<int64_t> out;
  for (const auto& [id, acct] : subs_) out.push_back(id);
  return out;
}

void WsSession::enqueue(std::string msg) {
  bool post = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    post = enqueue_locked(std::move(msg));
  }
  if (post) post_flush();
}

bool WsSession::enqueue_locked(std::string msg) {
  if (closed_) return false;
  if (queue_.size() >= kMaxWsQueue) {  // a slow consumer: disconnect it
    overflow_ = true;
    closed_ = true;
    queue_.clear();
  } else {
    queue_.push_back(std::move(msg));
  }
  if (flush_posted_) return false;
  flush_posted_ = true;
  return true;
}

void WsSession::post_flush() {
  net::post(ws_.get_executor(), [self = shared_from_this()] { self->flush(); });
}

void WsSession::flush() {
  // on_write continues; on_accept starts the first write; a closing stream writes no more.
  if (!accepted_ || writing_ || closing_) return;
  std::optional<websocket::close_code> close;
  {
    std::lock_guard<std::mutex> lock(mu_);
    flush_posted_ = false;
    if (overflow_) {
      overflow_ = false;
      close = websocket::close_code::policy_error;
    } else if (queue_.empty()) {
      close = close_when_drained_;
    } else {
      writing_msg_ = std::move(queue_.front());
      queue_.pop_front();
    }
  }
  if (close) return close_session(*close);
  if (writing_msg_.empty()) return;
  writing_ = true;
  ws_.text(true);
  ws_.async_write(net::buffer(writing_msg_),
                  beast::bind_front_handler(&WsSession::on_write, shared_from_this()));
}

void WsSession::on_write(beast::error_code ec, size_t) {
  writing_ = false;
  writing_msg_.clear();
  if (ec) return on_closed();
  flush();
}

void WsSession::schedule_ping() {
  ping_timer_.expires_after(core_.opts.ws_ping_interval);
  ping_timer_.async_wait(beast::bind_front_handler(&WsSession::on_ping_timer, shared_from_this()));
}

void WsSession::on_ping_timer(beast::error_code ec) {
  if (ec || closing_) return;
  if (kind_ == Kind::kListenKey && !core_.listen_keys.lookup(listen_key_)) {
    close_when_drained_ = websocket::close_code::going_away;  // after the expiry event
    enqueue("{\"e\":\"listenKeyExpired\",\"E\":" + std::to_string(core_.wall_ms()) +
            ",\"listenKey\":\"" + listen_key_ + "\"}");
    return;
  }
  if (!ping_pending_) {
    ping_pending_ = true;
    ws_.async_ping({}, [self = shared_from_this()](beast::error_code) {
      self->ping_pending_ = false;  // a lost connection shows in the read loop
    });
  }
  schedule_ping();
}

void WsSession::close_session(websocket::close_code code) {
  if (closing_) return;
  closing_ = true;
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
  }
  ping_timer_.cancel();
  disconnect_timer_.cancel();
  // Beast lets a close start while a write or a ping is in flight (it waits for the write; a
  // ping not yet sent ends with operation_aborted).
  ws_.async_close(code, [self = shared_from_this()](beast::error_code) { self->on_closed(); });
}

void WsSession::on_closed() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    queue_.clear();
  }
  ping_timer_.cancel();
  disconnect_timer_.cancel();
}

}  // namespace keel::simserver
