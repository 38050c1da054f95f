// Helpers shared by the simserver_*_test.cc files: a synthetic recording, an in-process
// `keel sim` on port 0, and small Beast HTTP / WebSocket clients that speak to it.
//
// The synthetic market (synthetic_market): BTCUSDT with a fixed book, bid 60000.00 / ask
// 60000.10 (snapshot lastUpdateId 100, bridged by a diff U=100 u=101), and every 200 ms of
// recording time a depth diff (U = last u + 1, the 59998.00 bid level alternating 2 / 1), a
// bookTicker with the diff's u, and two trades: a sell at 59990.00
// (m=true: fills any of our BUYs above 59990) and a buy at 60010.00 (m=false: fills any of our
// SELLs below 60010). So a BUY at 59995 fills within 200 ms of replay (speed 1), a BUY at 59980
// or a SELL at 60020 never does, and a BUY at 60000.10 would cross (post-only reject).
#pragma once

#include <gtest/gtest.h>
#include <simdjson.h>
#include <unistd.h>
#include <zlib.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "keel/core/clock.h"
#include "keel/exchange/binance/signing.h"
#include "keel/simserver/server.h"

namespace keel::simserver::testutil {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;

inline constexpr const char* kKey = "keel-sim-key";
inline constexpr const char* kSecret = "keel-sim-secret";

class TempDir {
 public:
  explicit TempDir(const std::string& tag) {
    static int counter = 0;
    path_ = (std::filesystem::temp_directory_path() /
             ("keel_simserver_" + tag + "_" + std::to_string(::getpid()) + "_" +
              std::to_string(counter++)))
                .string();
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline void write_capture(const std::string& path, const std::vector<std::string>& lines) {
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  for (const std::string& l : lines) {
    gzwrite(f, l.data(), static_cast<unsigned>(l.size()));
    gzwrite(f, "\n", 1);
  }
  gzclose(f);
}

inline std::vector<std::string> synthetic_market(int seconds) {
  const int64_t t0_ns = 1'723'161'000'000'000'000;  // 2024-08-08 23:50:00 UTC
  const int64_t t0_ms = t0_ns / 1'000'000;
  std::vector<std::string> out;
  auto ticker = [&](int64_t ns, int64_t u) {
    out.push_back(std::to_string(ns) +
                  R"( {"stream":"btcusdt@bookTicker","data":{"u":)" + std::to_string(u) +
                  R"(,"s":"BTCUSDT","b":"60000.00","B":"1.50000000","a":"60000.10","A":"2.00000000"}})");
  };
  ticker(t0_ns, 100);
  out.push_back(std::to_string(t0_ns + 1000) +
                R"( {"lastUpdateId":100,"bids":[["60000.00","1.5"],["59999.00","2.0"]],)"
                R"("asks":[["60000.10","2.0"],["60001.00","3.0"]]})");
  out.push_back(std::to_string(t0_ns + 2000) +
                R"( {"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":)" +
                std::to_string(t0_ms) +
                R"(,"s":"BTCUSDT","U":100,"u":101,"b":[["59998.00","1.0"]],"a":[]}})");
  int64_t trade_id = 1000;
  for (int step = 1; step <= seconds * 5; ++step) {
    const int64_t ns = t0_ns + step * 200'000'000LL;
    const int64_t ms = ns / 1'000'000;
    // A diff continuing the book (U = last u + 1) that moves a level behind the best bid.
    out.push_back(std::to_string(ns) +
                  R"( {"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":)" +
                  std::to_string(ms) + R"(,"s":"BTCUSDT","U":)" + std::to_string(100 + 2 * step) +
                  R"(,"u":)" + std::to_string(101 + 2 * step) + R"(,"b":[["59998.00",")" +
                  (step % 2 == 0 ? "1.00000000" : "2.00000000") + R"("]],"a":[]}})");
    ticker(ns, 101 + 2 * step);
    for (const auto& [price, maker] : {std::pair{"59990.00", "true"}, std::pair{"60010.00", "false"}}) {
      out.push_back(std::to_string(ns + 1000) +
                    R"( {"stream":"btcusdt@trade","data":{"e":"trade","E":)" + std::to_string(ms) +
                    R"(,"s":"BTCUSDT","t":)" + std::to_string(++trade_id) + R"(,"p":")" + price +
                    R"(","q":"0.50000000","T":)" + std::to_string(ms) + R"(,"m":)" + maker +
                    R"(,"M":true}})");
    }
  }
  return out;
}

// An owned parsed JSON document.
class Json {
 public:
  explicit Json(const std::string& text) : parser_(std::make_unique<simdjson::dom::parser>()) {
    ok_ = parser_->parse(text).get(root_) == simdjson::SUCCESS;
    if (!ok_) root_ = null_element();
  }
  bool ok() const { return ok_; }
  simdjson::dom::element root() const { return root_; }
  simdjson::dom::element operator[](const char* key) const { return at(root_, key); }

  static simdjson::dom::element at(simdjson::dom::element e, const char* key) {
    simdjson::dom::element out = null_element();
    if (!has_key(e, key) || e[key].get(out) != simdjson::SUCCESS) ADD_FAILURE() << "no key " << key;
    return out;
  }
  // A valid JSON null (a default-constructed element must never be read).
  static simdjson::dom::element null_element() {
    static simdjson::dom::parser parser;
    static const simdjson::dom::element null = [] {
      simdjson::dom::element e;
      EXPECT_EQ(parser.parse(std::string_view("null")).get(e), simdjson::SUCCESS);
      return e;
    }();
    return null;
  }
  // A failed lookup reports a test failure and gives an empty value (never a crash).
  static std::string str(simdjson::dom::element e, const char* key) {
    std::string_view s;
    if (!has_key(e, key) || e[key].get_string().get(s) != simdjson::SUCCESS) {
      ADD_FAILURE() << key << " missing or not a string";
    }
    return std::string(s);
  }
  static int64_t num(simdjson::dom::element e, const char* key) {
    int64_t v = 0;
    if (!has_key(e, key) || e[key].get_int64().get(v) != simdjson::SUCCESS) {
      ADD_FAILURE() << key << " missing or not an integer";
    }
    return v;
  }
  static bool boolean(simdjson::dom::element e, const char* key) {
    bool v = false;
    if (!has_key(e, key) || e[key].get_bool().get(v) != simdjson::SUCCESS) {
      ADD_FAILURE() << key << " missing or not a bool";
    }
    return v;
  }
  static bool has_key(simdjson::dom::element e, const char* key) {
    simdjson::dom::object o;
    simdjson::dom::element v;
    return e.get_object().get(o) == simdjson::SUCCESS && o[key].get(v) == simdjson::SUCCESS;
  }
  static std::vector<std::string> keys(simdjson::dom::element e) {
    std::vector<std::string> out;
    simdjson::dom::object o;
    if (e.get_object().get(o) != simdjson::SUCCESS) return out;
    for (auto f : o) out.emplace_back(f.key);
    return out;
  }
  static size_t size(simdjson::dom::element e) {
    simdjson::dom::array a;
    return e.get_array().get(a) == simdjson::SUCCESS ? a.size() : 0;
  }
  static simdjson::dom::element item(simdjson::dom::element e, size_t i) {
    simdjson::dom::array a;
    simdjson::dom::element out;
    if (e.get_array().get(a) != simdjson::SUCCESS || a.at(i).get(out) != simdjson::SUCCESS) {
      ADD_FAILURE() << "no item " << i;
      return null_element();
    }
    return out;
  }
  std::string str(const char* key) const { return str(root_, key); }
  int64_t num(const char* key) const { return num(root_, key); }
  bool boolean(const char* key) const { return boolean(root_, key); }

 private:
  std::unique_ptr<simdjson::dom::parser> parser_;
  simdjson::dom::element root_;
  bool ok_ = false;
};

struct Reply {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;
  Json json() const { return Json(body); }
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

// A keep-alive HTTP/1.1 client (synchronous; the server answers or times out in 30 s).
class HttpClient {
 public:
  explicit HttpClient(uint16_t port) : stream_(ioc_), port_(port) {
    stream_.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  }
  Reply request(http::verb verb, const std::string& target, const std::string& body = "",
                const char* api_key = nullptr) {
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, "127.0.0.1:" + std::to_string(port_));
    if (api_key != nullptr) req.set("X-MBX-APIKEY", api_key);
    if (!body.empty()) {
      req.set(http::field::content_type, "application/x-www-form-urlencoded");
      req.body() = body;
    }
    req.keep_alive(true);
    req.prepare_payload();
    http::write(stream_, req);
    beast::flat_buffer buf;
    http::response<http::string_body> res;
    http::read(stream_, buf, res);
    Reply r;
    r.status = static_cast<int>(res.result_int());
    r.body = res.body();
    for (const auto& f : res) r.headers[std::string(f.name_string())] = std::string(f.value());
    return r;
  }
  Reply get(const std::string& target) { return request(http::verb::get, target); }

  // A signed request (binance-spot.md §1): `params` + timestamp, signed over query + body.
  // GET/DELETE: everything in the query; POST/PUT: everything in the body (as ccxt does).
  Reply signed_request(http::verb verb, const std::string& path, const std::string& params,
                       const char* secret = kSecret, const char* key = kKey) {
    const std::string ts = std::to_string(SystemClock::instance().realtime_ns() / 1'000'000);
    std::string payload = params.empty() ? "timestamp=" + ts : params + "&timestamp=" + ts;
    payload += "&signature=" + exchange::binance::hmac_sha256_hex(secret, payload);
    if (verb == http::verb::get || verb == http::verb::delete_) {
      return request(verb, path + "?" + payload, "", key);
    }
    return request(verb, path, payload, key);
  }

 private:
  net::io_context ioc_;
  beast::tcp_stream stream_;
  uint16_t port_;
};

// A WebSocket client with timed reads (async under the hood).
class WsClient {
 public:
  WsClient(uint16_t port, const std::string& target) : ws_(ioc_) {
    beast::get_lowest_layer(ws_).connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    ws_.handshake("127.0.0.1:" + std::to_string(port), target);
    ws_.control_callback([this](websocket::frame_type kind, beast::string_view) {
      if (kind == websocket::frame_type::ping) ++pings_;
    });
  }
  int pings() const { return pings_; }
  void send(const std::string& text) { ws_.write(net::buffer(text)); }
  // The next message, or nullopt after `timeout` (the client is then unusable) or a close.
  std::optional<std::string> read(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    if (broken_) return std::nullopt;
    beast::flat_buffer buf;
    bool done = false;
    beast::error_code ec;
    ws_.async_read(buf, [&](beast::error_code e, size_t) {
      ec = e;
      done = true;
    });
    ioc_.restart();
    ioc_.run_for(timeout);
    if (!done) {
      broken_ = true;
      beast::get_lowest_layer(ws_).socket().close(ec);
      ioc_.restart();
      ioc_.run();
      return std::nullopt;
    }
    if (ec) {
      broken_ = true;
      closed_ = true;
      return std::nullopt;
    }
    return beast::buffers_to_string(buf.data());
  }
  // Reads until a message satisfies `pred` (returned) or `timeout` passes (nullopt).
  std::optional<std::string> read_until(const std::function<bool(const std::string&)>& pred,
                                        std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      auto msg = read(std::max(left, std::chrono::milliseconds(1)));
      if (!msg) return std::nullopt;
      if (pred(*msg)) return msg;
    }
    return std::nullopt;
  }
  bool closed() const { return closed_; }

 private:
  net::io_context ioc_;
  websocket::stream<beast::tcp_stream> ws_;
  bool broken_ = false;
  bool closed_ = false;
  int pings_ = 0;
};

inline bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// A server on port 0 over the synthetic market (or `options` as given), in a fresh directory.
class SimServerTest : public ::testing::Test {
 protected:
  void SetUp() override { write_capture(dir_ / "market.gz", synthetic_market(300)); }

  ServerOptions default_options() {
    ServerOptions o;
    o.data_files = {dir_ / "market.gz"};
    o.state_dir = dir_ / "state";
    o.speed = 1;
    o.log = [](const std::string&) {};
    return o;
  }
  // Starts the server and waits until the replay has consumed the opening events (ticker,
  // snapshot, bridging diff), so every test starts with a BBO and a synced book.
  void start(ServerOptions o) {
    auto s = SimServer::start(std::move(o));
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(*s);
    http_ = std::make_unique<HttpClient>(server_->port());
    for (int i = 0; i < 500 && server_->market_position() < 3; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_GE(server_->market_position(), 3u) << "the replay did not start";
  }
  void start() { start(default_options()); }

  // POST /api/v3/order LIMIT_MAKER; `extra` adds parameters ("&newOrderRespType=RESULT").
  Reply place(const std::string& side, const std::string& price, const std::string& qty,
              const std::string& client_id, const std::string& extra = "") {
    std::string p = "symbol=BTCUSDT&side=" + side + "&type=LIMIT_MAKER&quantity=" + qty +
                    "&price=" + price;
    if (!client_id.empty()) p += "&newClientOrderId=" + client_id;
    return http_->signed_request(http::verb::post, "/api/v3/order", p + extra);
  }
  // Waits until the replay has given the market a BBO (the first events replay at once).
  void wait_market() {
    for (int i = 0; i < 200; ++i) {
      Reply r = http_->get("/api/v3/ticker/bookTicker?symbol=BTCUSDT");
      if (r.status == 200 && Json(r.body).str("bidPrice") != "0.00000000") return;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ADD_FAILURE() << "the market has no BBO";
  }
  // Polls GET /api/v3/order until its status is `status` (true) or 5 s pass.
  bool wait_status(const std::string& client_id, const std::string& status) {
    for (int i = 0; i < 100; ++i) {
      Reply r = http_->signed_request(http::verb::get, "/api/v3/order",
                                      "symbol=BTCUSDT&origClientOrderId=" + client_id);
      if (r.status == 200 && Json(r.body).str("status") == status) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  TempDir dir_{"srv"};
  std::unique_ptr<SimServer> server_;
  std::unique_ptr<HttpClient> http_;
};

}  // namespace keel::simserver::testutil
