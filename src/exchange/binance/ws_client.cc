// The WebSocket connection (ws_client.h): Beast websocket over a TCP or TLS stream.
#include "ws_client.h"

#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <type_traits>

#include "net.h"

namespace keel::exchange::binance {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

constexpr auto kGrace = std::chrono::seconds(1);  // lets Beast's own timers fire first
constexpr int64_t kCloseTimeoutMs = 1000;

template <bool kTls>
class WsImpl final : public WsClient {
  using Next = std::conditional_t<kTls, net::TlsStream, beast::tcp_stream>;
  using Ws = websocket::stream<Next>;

 public:
  explicit WsImpl(Options o) : opt_(std::move(o)) {
    if constexpr (kTls) ctx_ = net::make_tls_context(opt_.tls_ca_file, ctx_error_);
  }
  ~WsImpl() override { close(); }

  Status open(const std::atomic<bool>* stop) override;
  Status write(std::string_view text, io::Deadline deadline,
               const std::atomic<bool>* stop) override;
  Status read(std::string& out, io::Deadline deadline, const std::atomic<bool>* stop) override;
  void close() override;

 private:
  beast::tcp_stream& lowest() { return beast::get_lowest_layer(*ws_); }
  void kill() {
    boost::system::error_code ignored;
    if (ws_) lowest().socket().close(ignored);
    open_ = false;
  }
  // Starts one operation with a Done handler and waits for it; kills the connection on error.
  template <class Start>
  Status step(const char* what, Start&& start, io::Deadline d, const std::atomic<bool>* stop) {
    auto s = io::new_step();
    start(io::Done{s});
    const auto ec = io::run_step(ioc_, s, d, stop, [this] { kill(); });
    if (!ec) return Status::Ok();
    kill();
    return Status::IOError(std::string(what) + ": " + ec.message());
  }
  Status handshake(io::Deadline d, const std::atomic<bool>* stop);

  Options opt_;
  asio::io_context ioc_;  // before every I/O object: outlives them
  std::unique_ptr<net::ssl::context> ctx_;
  std::string ctx_error_;
  std::unique_ptr<Ws> ws_;
  beast::flat_buffer buf_;
  bool open_ = false;
};

template <bool kTls>
Status WsImpl<kTls>::open(const std::atomic<bool>* stop) {
  const io::Deadline d = io::after_ms(opt_.handshake_timeout_ms);
  if constexpr (kTls) {
    if (!ctx_) return Status::IOError(ctx_error_);
    ws_ = std::make_unique<Ws>(ioc_, *ctx_);
  } else {
    ws_ = std::make_unique<Ws>(ioc_);
  }
  net::tcp::resolver::results_type endpoints;
  std::string err = net::resolve(ioc_, opt_.url, d, stop, endpoints);
  if (!err.empty()) return Status::IOError(err);
  lowest().expires_at(d);
  KEEL_RETURN_IF_ERROR(step(
      "connect", [&](io::Done h) { lowest().async_connect(endpoints, h); }, d + kGrace, stop));
  if constexpr (kTls) {
    if (auto ec = net::prepare_tls(ws_->next_layer(), opt_.url.host)) {
      kill();
      return Status::IOError("tls: " + ec.message());
    }
    KEEL_RETURN_IF_ERROR(step(
        "tls handshake",
        [&](io::Done h) { ws_->next_layer().async_handshake(net::ssl::stream_base::client, h); },
        d + kGrace, stop));
  }
  return handshake(d, stop);
}

template <bool kTls>
Status WsImpl<kTls>::handshake(io::Deadline d, const std::atomic<bool>* stop) {
  lowest().expires_never();  // the websocket stream has its own timeouts from here on
  websocket::stream_base::timeout t;
  t.handshake_timeout = std::chrono::milliseconds(opt_.handshake_timeout_ms);
  t.idle_timeout = std::chrono::milliseconds(opt_.idle_timeout_ms);
  t.keep_alive_pings = true;
  ws_->set_option(t);
  ws_->read_message_max(opt_.max_message_bytes);
  if (opt_.pings_received != nullptr) {
    ws_->control_callback([counter = opt_.pings_received](websocket::frame_type kind,
                                                          beast::string_view) {
      if (kind == websocket::frame_type::ping) counter->fetch_add(1);  // Beast sends the pong
    });
  }
  const std::string host = net::host_header(opt_.url);
  KEEL_RETURN_IF_ERROR(step(
      "websocket handshake", [&](io::Done h) { ws_->async_handshake(host, opt_.target, h); },
      d + kGrace, stop));
  open_ = true;
  return Status::Ok();
}

template <bool kTls>
Status WsImpl<kTls>::write(std::string_view text, io::Deadline deadline,
                           const std::atomic<bool>* stop) {
  if (!open_) return Status::IOError("write: not connected");
  ws_->text(true);
  return step(
      "write", [&](io::Done h) { ws_->async_write(asio::buffer(text.data(), text.size()), h); },
      deadline, stop);
}

template <bool kTls>
Status WsImpl<kTls>::read(std::string& out, io::Deadline deadline,
                          const std::atomic<bool>* stop) {
  if (!open_) return Status::IOError("read: not connected");
  buf_.clear();
  auto s = io::new_step();
  ws_->async_read(buf_, io::Done{s});
  const auto ec = io::run_step(ioc_, s, deadline, stop, [this] { kill(); });
  if (ec == asio::error::timed_out) {
    kill();
    return Status::EndOfData("no message before the deadline");
  }
  if (ec) {
    kill();
    return Status::IOError("read: " + ec.message());
  }
  out = beast::buffers_to_string(buf_.data());
  return Status::Ok();
}

template <bool kTls>
void WsImpl<kTls>::close() {
  if (!ws_) return;
  if (open_) {  // polite close frame, bounded; the socket is closed below regardless
    auto s = io::new_step();
    ws_->async_close(websocket::close_code::normal, io::Done{s});
    io::run_step(ioc_, s, io::after_ms(kCloseTimeoutMs), nullptr, [this] { kill(); });
  }
  kill();
  ioc_.restart();
  ioc_.poll();  // completes what the close cancelled before the stream goes away
  ws_.reset();
}

}  // namespace

std::unique_ptr<WsClient> WsClient::make(const Options& options) {
  if (options.url.tls) return std::make_unique<WsImpl<true>>(options);
  return std::make_unique<WsImpl<false>>(options);
}

}  // namespace keel::exchange::binance
