// A scriptable Binance-shaped venue on 127.0.0.1 for the connector's loopback tests: one
// synchronous Beast server, a thread per connection, HTTP/1.1 keep-alive and WebSocket upgrade on
// the same port. Not the real simulator (src/simserver): only what each test scripts.
//
// Defaults: GET /api/v3/time, /api/v3/exchangeInfo (BTCUSDT, tick 0.01, step 0.00001),
// /api/v3/account, /api/v3/depth. Signed requests are checked like Binance does (§1): -1022 for
// a bad signature, -1021 for a timestamp outside recvWindow of the venue's clock.
#pragma once

#include <simdjson.h>
#include <sys/socket.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "keel/core/clock.h"
#include "keel/exchange/binance/signing.h"

namespace keel::exchange::binance::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

inline constexpr const char* kKey = "test-api-key";
inline constexpr const char* kSecret = "test-api-secret";

// A realtime clock the test moves by hand (the rate gate's Retry-After arithmetic).
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t start_ms) : ns_(start_ms * 1'000'000) {}
  int64_t realtime_ns() const override { return ns_.load(); }
  int64_t monotonic_ns() const override { return ns_.load(); }
  void advance_ms(int64_t ms) { ns_.fetch_add(ms * 1'000'000); }

 private:
  std::atomic<int64_t> ns_;
};

struct VenueRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // "/api/v3/order"
  std::string query;   // raw, as received
  std::map<std::string, std::string> params;
  std::string api_key;
  int connection = 0;  // 1-based connection number
};

struct VenueReply {
  int status = 200;
  std::string body = "{}";
  std::vector<std::pair<std::string, std::string>> headers;
  int delay_ms = 0;     // sleep before answering (timeouts)
  bool close = false;   // answer with Connection: close
  bool drop = false;    // close the connection without answering (lost after sending)
  bool hangup = false;  // answer (keep-alive), then close the connection silently
};

inline VenueReply answer(int status, std::string body) {
  VenueReply r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

inline VenueReply error_reply(int status, int code, const std::string& msg) {
  VenueReply r;
  r.status = status;
  r.body = "{\"code\":" + std::to_string(code) + ",\"msg\":\"" + msg + "\"}";
  return r;
}

// One accepted WebSocket connection, driven by the test's handler on the connection's thread.
class WsSession {
 public:
  // `pings` / `pongs` count the client's control frames (seen while the session reads).
  WsSession(websocket::stream<tcp::socket>& ws, std::string target, std::atomic<int>& pings,
            std::atomic<int>& pongs)
      : ws_(ws), target_(std::move(target)) {
    ws_.control_callback([&pings, &pongs](websocket::frame_type kind, beast::string_view) {
      if (kind == websocket::frame_type::ping) pings.fetch_add(1);
      if (kind == websocket::frame_type::pong) pongs.fetch_add(1);
    });
  }
  const std::string& target() const { return target_; }
  bool write(const std::string& text) {
    beast::error_code ec;
    ws_.text(true);
    ws_.write(asio::buffer(text), ec);
    return !ec;
  }
  bool read(std::string& out) {
    beast::flat_buffer buf;
    beast::error_code ec;
    ws_.read(buf, ec);
    if (ec) return false;
    out = beast::buffers_to_string(buf.data());
    return true;
  }
  bool ping() {
    beast::error_code ec;
    ws_.ping({}, ec);
    return !ec;
  }
  void close() {
    beast::error_code ec;
    ws_.next_layer().shutdown(tcp::socket::shutdown_both, ec);
  }

 private:
  websocket::stream<tcp::socket>& ws_;
  std::string target_;
};

class TestVenue {
 public:
  using HttpHandler = std::function<VenueReply(const VenueRequest&)>;
  using WsHandler = std::function<void(WsSession&)>;

  explicit TestVenue(const Clock* clock = &SystemClock::instance())
      : clock_(clock), acceptor_(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    port_ = acceptor_.local_endpoint().port();
    install_defaults();
    accept_thread_ = std::thread([this] { accept_loop(); });
  }

  ~TestVenue() {
    stop_.store(true);
    ::shutdown(acceptor_.native_handle(), SHUT_RDWR);  // wakes accept()
    accept_thread_.join();
    std::vector<std::thread> threads;
    {
      std::lock_guard lock(mu_);
      for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);  // wakes reads
      threads = std::move(threads_);
    }
    for (std::thread& t : threads) t.join();
  }

  std::string http_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string ws_url() const { return "ws://127.0.0.1:" + std::to_string(port_); }
  std::string ws_api_url() const { return ws_url() + "/ws-api/v3"; }

  // Routes "METHOD /path"; replaces a default.
  void on(const std::string& method_path, HttpHandler h) {
    std::lock_guard lock(mu_);
    routes_[method_path] = std::move(h);
  }
  // WebSocket upgrade on `path` (query ignored).
  void on_ws(const std::string& path, WsHandler h) {
    std::lock_guard lock(mu_);
    ws_routes_[path] = std::move(h);
  }
  // Headers added to every HTTP reply (rate-limit accounting).
  void add_header(std::string name, std::string value) {
    std::lock_guard lock(mu_);
    extra_headers_.emplace_back(std::move(name), std::move(value));
  }

  int64_t server_ms() const { return clock_->realtime_ns() / 1'000'000 + shift_ms_.load(); }
  void shift_clock_ms(int64_t ms) { shift_ms_.fetch_add(ms); }
  void set_depth_last_update_id(int64_t id) { depth_id_.store(id); }

  int connections() const { return connections_.load(); }
  int ws_pings() const { return ws_pings_.load(); }  // pings the clients sent
  int ws_pongs() const { return ws_pongs_.load(); }  // pongs the clients answered
  std::vector<VenueRequest> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }
  int count(const std::string& method, const std::string& path) const {
    int n = 0;
    for (const VenueRequest& r : requests()) n += r.method == method && r.path == path;
    return n;
  }

 private:
  void install_defaults() {
    on("GET /api/v3/time", [this](const VenueRequest&) {
      return answer(200, "{\"serverTime\":" + std::to_string(server_ms()) + "}");
    });
    on("GET /api/v3/exchangeInfo", [](const VenueRequest&) {
      return answer(200, R"({"timezone":"UTC","serverTime":1,"rateLimits":[],"exchangeFilters":[],"symbols":[{
        "symbol":"BTCUSDT","status":"TRADING","baseAsset":"BTC","quoteAsset":"USDT",
        "cancelReplaceAllowed":true,"amendAllowed":true,"filters":[
        {"filterType":"PRICE_FILTER","minPrice":"0.01000000","maxPrice":"1000000.00000000","tickSize":"0.01000000"},
        {"filterType":"LOT_SIZE","minQty":"0.00001000","maxQty":"9000.00000000","stepSize":"0.00001000"},
        {"filterType":"NOTIONAL","minNotional":"5.00000000","applyMinToMarket":true,"maxNotional":"9000000.00000000","applyMaxToMarket":false,"avgPriceMins":5}]}]})");
    });
    on("GET /api/v3/account", [](const VenueRequest&) {
      return answer(200, R"({"canTrade":true,"balances":[{"asset":"BTC","free":"1.00000000","locked":"0.00000000"},{"asset":"USDT","free":"1000.00000000","locked":"0.00000000"}]})");
    });
    on("GET /api/v3/depth", [this](const VenueRequest&) {
      return answer(200, "{\"lastUpdateId\":" + std::to_string(depth_id_.load()) +
                                 R"(,"bids":[["61000.00000000","1.00000000"]],"asks":[["61000.01000000","2.00000000"]]})");
    });
  }

  static std::map<std::string, std::string> parse_params(const std::string& query) {
    std::map<std::string, std::string> out;
    size_t i = 0;
    while (i < query.size()) {
      size_t amp = query.find('&', i);
      if (amp == std::string::npos) amp = query.size();
      const std::string pair = query.substr(i, amp - i);
      const size_t eq = pair.find('=');
      out[pair.substr(0, eq)] = eq == std::string::npos ? "" : pair.substr(eq + 1);
      i = amp + 1;
    }
    return out;
  }

  // Binance's checks of a signed request (§1): signature, then the timestamp window.
  std::optional<VenueReply> check_signed(const VenueRequest& r) const {
    auto sig = r.params.find("signature");
    if (sig == r.params.end()) return std::nullopt;
    const std::string payload = r.query.substr(0, r.query.find("&signature="));
    if (!signature_equal(sig->second, hmac_sha256_hex(kSecret, payload)) || r.api_key != kKey) {
      return error_reply(400, -1022, "Signature for this request is not valid.");
    }
    const int64_t ts = std::stoll(r.params.at("timestamp"));
    const int64_t window = r.params.count("recvWindow") ? std::stoll(r.params.at("recvWindow")) : 5000;
    const int64_t now = server_ms();
    if (!(ts < now + 1000 && now - ts <= window)) {
      return error_reply(400, -1021, "Timestamp for this request is outside of the recvWindow.");
    }
    return std::nullopt;
  }

  VenueReply route(const VenueRequest& r) {
    if (auto err = check_signed(r)) return *err;
    HttpHandler h;
    {
      std::lock_guard lock(mu_);
      auto it = routes_.find(r.method + " " + r.path);
      if (it == routes_.end()) return error_reply(404, -1000, "no route " + r.path);
      h = it->second;
    }
    return h(r);
  }

  void accept_loop() {
    while (!stop_.load()) {
      beast::error_code ec;
      tcp::socket s(ioc_);
      acceptor_.accept(s, ec);
      if (ec || stop_.load()) break;
      const int n = connections_.fetch_add(1) + 1;
      std::lock_guard lock(mu_);
      open_fds_.push_back(s.native_handle());
      threads_.emplace_back([this, n, sock = std::move(s)]() mutable { serve(std::move(sock), n); });
    }
  }

  void serve(tcp::socket sock, int conn) {
    // Forget the fd before the socket closes it (a reused fd must not be shut down later).
    struct Untrack {
      TestVenue* v;
      int fd;
      ~Untrack() {
        std::lock_guard lock(v->mu_);
        std::erase(v->open_fds_, fd);
      }
    } untrack{this, sock.native_handle()};
    beast::flat_buffer buf;
    for (;;) {
      http::request<http::string_body> req;
      beast::error_code ec;
      http::read(sock, buf, req, ec);
      if (ec) return;
      if (websocket::is_upgrade(req)) return serve_ws(std::move(sock), req);
      VenueRequest vr = to_request(req, conn);
      {
        std::lock_guard lock(mu_);
        requests_.push_back(vr);
      }
      VenueReply reply = route(vr);
      if (reply.delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(reply.delay_ms));
      if (reply.drop || stop_.load()) return;
      if (!write_reply(sock, req, reply) || reply.hangup) return;
    }
  }

  VenueRequest to_request(const http::request<http::string_body>& req, int conn) const {
    VenueRequest vr;
    vr.method = std::string(req.method_string());
    const std::string target(req.target());
    const size_t q = target.find('?');
    vr.path = target.substr(0, q);
    vr.query = q == std::string::npos ? "" : target.substr(q + 1);
    vr.params = parse_params(vr.query);
    if (auto it = req.find("X-MBX-APIKEY"); it != req.end()) vr.api_key = std::string(it->value());
    vr.connection = conn;
    return vr;
  }

  bool write_reply(tcp::socket& sock, const http::request<http::string_body>& req,
                   const VenueReply& reply) {
    http::response<http::string_body> res{static_cast<http::status>(reply.status), req.version()};
    res.set(http::field::content_type, "application/json;charset=UTF-8");
    {
      std::lock_guard lock(mu_);
      for (const auto& [k, v] : extra_headers_) res.set(k, v);
    }
    for (const auto& [k, v] : reply.headers) res.set(k, v);
    res.keep_alive(req.keep_alive() && !reply.close);
    res.body() = reply.body;
    res.prepare_payload();
    beast::error_code ec;
    http::write(sock, res, ec);
    return !ec && res.keep_alive();
  }

  void serve_ws(tcp::socket sock, const http::request<http::string_body>& req) {
    const std::string target(req.target());
    const std::string path = target.substr(0, target.find('?'));
    WsHandler h;
    {
      std::lock_guard lock(mu_);
      auto it = ws_routes_.find(path);
      if (it == ws_routes_.end()) return;
      h = it->second;
    }
    websocket::stream<tcp::socket> ws(std::move(sock));
    beast::error_code ec;
    ws.accept(req, ec);
    if (ec) return;
    WsSession session(ws, target, ws_pings_, ws_pongs_);
    h(session);
    ws.next_layer().shutdown(tcp::socket::shutdown_both, ec);
  }

  const Clock* clock_;
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::atomic<int> ws_pings_{0}, ws_pongs_{0};
  std::atomic<int64_t> shift_ms_{0};
  std::atomic<int64_t> depth_id_{100};
  std::thread accept_thread_;
  mutable std::mutex mu_;
  std::vector<std::thread> threads_;
  std::vector<int> open_fds_;
  std::map<std::string, HttpHandler> routes_;
  std::map<std::string, WsHandler> ws_routes_;
  std::vector<std::pair<std::string, std::string>> extra_headers_;
  std::vector<VenueRequest> requests_;
};

// Reads the subscribe request, checks it like the WebSocket API would, answers it.
inline bool accept_subscription(WsSession& ws, std::string& error) {
  std::string req;
  if (!ws.read(req)) return false;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(req).get(doc) != simdjson::SUCCESS) return false;
  std::string_view id, method, key, sig;
  int64_t ts = 0, window = 0;
  if (doc["id"].get(id) || doc["method"].get(method) || doc["params"]["apiKey"].get(key) ||
      doc["params"]["signature"].get(sig) || doc["params"]["timestamp"].get(ts) ||
      doc["params"]["recvWindow"].get(window)) {
    error = "malformed request: " + req;
    return false;
  }
  const std::map<std::string, std::string> params{{"apiKey", std::string(key)},
                                                  {"recvWindow", std::to_string(window)},
                                                  {"timestamp", std::to_string(ts)}};
  if (method != "userDataStream.subscribe.signature" || key != kKey ||
      !signature_equal(sig, hmac_sha256_hex(kSecret, ws_api_payload(params)))) {
    error = "bad subscription: " + req;
    ws.write(R"({"id":")" + std::string(id) + R"(","status":400,"error":{"code":-1022,"msg":"Signature for this request is not valid."}})");
    return false;
  }
  return ws.write(R"({"id":")" + std::string(id) + R"(","status":200,"result":{"subscriptionId":0}})");
}

}  // namespace keel::exchange::binance::testing
