// The REST connection (rest_client.h): Beast HTTP/1.1 over a keep-alive TCP or TLS stream.
#include "rest_client.h"

#include <sys/socket.h>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cerrno>
#include <optional>

#include "io_step.h"
#include "net.h"

namespace keel::exchange::binance {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using Request = http::request<http::empty_body>;

namespace {

constexpr auto kGrace = std::chrono::seconds(1);  // lets tcp_stream's own timer fire first

http::verb verb_of(Method m) {
  switch (m) {
    case Method::kGet: return http::verb::get;
    case Method::kPost: return http::verb::post;
    case Method::kPut: return http::verb::put;
    case Method::kDelete: return http::verb::delete_;
  }
  return http::verb::get;
}

bool is_timeout(const boost::system::error_code& ec) {
  return ec == beast::error::timeout || ec == asio::error::timed_out;
}

std::string_view sv(beast::string_view s) { return {s.data(), s.size()}; }

}  // namespace

const char* method_name(Method m) {
  switch (m) {
    case Method::kGet: return "GET";
    case Method::kPost: return "POST";
    case Method::kPut: return "PUT";
    case Method::kDelete: return "DELETE";
  }
  return "?";
}

struct RestClient::Impl {
  Options opt;
  asio::io_context ioc;  // first: outlives every I/O object below
  std::unique_ptr<net::ssl::context> tls_ctx;
  std::string tls_error;
  beast::flat_buffer buffer;
  std::optional<http::response_parser<http::string_body>> parser;
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<net::TlsStream> tls;
  io::Deadline last_used{};
  uint64_t opened = 0;

  explicit Impl(Options o) : opt(std::move(o)) {
    if (opt.url.tls) tls_ctx = net::make_tls_context(opt.tls_ca_file, tls_error);
  }
  ~Impl() { close(); }

  bool is_open() const { return plain != nullptr || tls != nullptr; }
  beast::tcp_stream& lowest() { return tls ? tls->next_layer() : *plain; }

  void close() {
    if (!is_open()) return;
    boost::system::error_code ignored;
    lowest().socket().close(ignored);
    ioc.restart();
    ioc.poll();  // completes whatever the close cancelled before the streams go away
    tls.reset();
    plain.reset();
    buffer.clear();
  }

  // Open, not idle too long, and the peer has not closed it (a peek would block).
  bool reusable() {
    if (!is_open()) return false;
    if (io::SteadyClock::now() - last_used > std::chrono::milliseconds(opt.max_idle_ms)) {
      return false;
    }
    char c = 0;
    const ssize_t n = ::recv(lowest().socket().native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }

  std::string connect(io::Deadline d, bool& timed_out);
  std::string tls_handshake(io::Deadline d, bool& timed_out);
  template <class S>
  HttpReply exchange(S& s, const Request& req, io::Deadline d);
  HttpReply send(const Request& req, io::Deadline d) {
    return tls ? exchange(*tls, req, d) : exchange(*plain, req, d);
  }
};

std::string RestClient::Impl::connect(io::Deadline d, bool& timed_out) {
  close();
  if (opt.url.tls && !tls_ctx) return tls_error;
  net::tcp::resolver::results_type endpoints;
  std::string err = net::resolve(ioc, opt.url, d, nullptr, endpoints);
  if (!err.empty()) return err;
  if (opt.url.tls) tls = std::make_unique<net::TlsStream>(ioc, *tls_ctx);
  else plain = std::make_unique<beast::tcp_stream>(ioc);
  lowest().expires_at(d);
  auto step = io::new_step();
  lowest().async_connect(endpoints, io::Done{step});
  const auto ec = io::run_step(ioc, step, d + kGrace, nullptr, [this] { lowest().close(); });
  if (ec) {
    timed_out = is_timeout(ec);
    close();
    return "connect " + opt.url.host + ":" + opt.url.port + ": " + ec.message();
  }
  ++opened;
  return tls ? tls_handshake(d, timed_out) : std::string();
}

std::string RestClient::Impl::tls_handshake(io::Deadline d, bool& timed_out) {
  auto ec = net::prepare_tls(*tls, opt.url.host);
  if (!ec) {
    auto step = io::new_step();
    tls->async_handshake(net::ssl::stream_base::client, io::Done{step});
    ec = io::run_step(ioc, step, d + kGrace, nullptr, [this] { lowest().close(); });
  }
  if (!ec) return {};
  timed_out = is_timeout(ec);
  close();
  return "tls handshake with " + opt.url.host + ": " + ec.message();
}

template <class S>
HttpReply RestClient::Impl::exchange(S& s, const Request& req, io::Deadline d) {
  HttpReply out;
  lowest().expires_at(d);
  auto w = io::new_step();
  http::async_write(s, req, io::Done{w});
  auto ec = io::run_step(ioc, w, d + kGrace, nullptr, [this] { lowest().close(); });
  if (ec) {  // nothing written: the venue cannot have seen it; partly written: it may have
    out.delivery = w->bytes == 0 ? Delivery::kNotSent : Delivery::kSentNoReply;
    out.timed_out = is_timeout(ec);
    out.error = "write: " + ec.message();
    close();
    return out;
  }
  parser.emplace();
  parser->body_limit(opt.body_limit_bytes);
  auto r = io::new_step();
  http::async_read(s, buffer, *parser, io::Done{r});
  ec = io::run_step(ioc, r, d + kGrace, nullptr, [this] { lowest().close(); });
  if (ec) {
    out.delivery = Delivery::kSentNoReply;
    out.timed_out = is_timeout(ec);
    out.error = out.timed_out ? "no response before the deadline" : "read: " + ec.message();
    close();
    return out;
  }
  auto& res = parser->get();
  out.delivery = Delivery::kReplied;
  out.status = static_cast<int>(res.result_int());
  out.body = std::move(res.body());
  for (const auto& field : res) {
    apply_rate_limit_header(sv(field.name_string()), sv(field.value()), out.usage);
  }
  if (auto it = res.find(http::field::retry_after); it != res.end()) {
    out.retry_after_s = parse_retry_after_s(sv(it->value()));
  }
  if (!res.keep_alive()) close();
  return out;
}

RestClient::RestClient(Options options) : impl_(std::make_unique<Impl>(std::move(options))) {}
RestClient::~RestClient() = default;

uint64_t RestClient::connections_opened() const { return impl_->opened; }

HttpReply RestClient::request(Method method, const std::string& target,
                              std::string_view api_key) {
  const io::Deadline d = io::after_ms(impl_->opt.timeout_ms);
  Request req{verb_of(method), target, 11};
  req.set(http::field::host, net::host_header(impl_->opt.url));
  req.set(http::field::user_agent, "keel/0.1");
  if (!api_key.empty()) req.set("X-MBX-APIKEY", beast::string_view(api_key.data(), api_key.size()));
  req.keep_alive(true);
  req.prepare_payload();
  const bool reused = impl_->reusable();
  HttpReply reply;
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (attempt == 1 || !reused) {
      bool timed_out = false;
      std::string err = impl_->connect(d, timed_out);
      if (!err.empty()) {
        reply = HttpReply{};
        reply.error = std::move(err);
        reply.timed_out = timed_out;
        return reply;  // kNotSent
      }
    }
    reply = impl_->send(req, d);
    // A reused connection may just have been closed by the server: retry once on a fresh one
    // if nothing was written, or if the request is a read (idempotent).
    const bool retry = attempt == 0 && reused && !reply.timed_out &&
                       (reply.delivery == Delivery::kNotSent ||
                        (method == Method::kGet && reply.delivery != Delivery::kReplied));
    if (!retry) break;
  }
  impl_->last_used = io::SteadyClock::now();
  return reply;
}

}  // namespace keel::exchange::binance
