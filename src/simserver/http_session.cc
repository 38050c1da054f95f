// One HTTP connection (http_session.h), after Beast's advanced_server example.
#include "http_session.h"

#include <boost/beast/websocket.hpp>
#include <chrono>

#include "ws_session.h"

namespace keel::simserver {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;

HttpSession::HttpSession(net::ip::tcp::socket&& socket, ServerCore& core)
    : stream_(std::move(socket)), delay_(stream_.get_executor()), core_(core), slot_(core) {}

void HttpSession::run() {
  net::dispatch(stream_.get_executor(),
                beast::bind_front_handler(&HttpSession::do_read, shared_from_this()));
}

void HttpSession::do_read() {
  parser_.emplace();
  parser_->body_limit(kMaxBodyBytes);
  parser_->header_limit(kMaxHeaderBytes);
  stream_.expires_after(std::chrono::seconds(kHttpReadTimeoutSec));
  http::async_read(stream_, buffer_, *parser_,
                   beast::bind_front_handler(&HttpSession::on_read, shared_from_this()));
}

void HttpSession::on_read(beast::error_code ec, size_t) {
  if (ec) return do_close();  // end of stream, timeout, a malformed or oversized request
  try {  // only allocation failures could throw here; none may escape into Asio
    Request req = parser_->release();
    if (beast::websocket::is_upgrade(req)) {
      stream_.expires_never();
      std::make_shared<WsSession>(stream_.release_socket(), core_)->run(std::move(req));
      return;
    }
    const int64_t latency_ms = core_.rest_latency_ms();
    if (latency_ms <= 0) return answer(req);
    auto shared_req = std::make_shared<Request>(std::move(req));
    delay_.expires_after(std::chrono::milliseconds(latency_ms));
    delay_.async_wait([self = shared_from_this(), shared_req](beast::error_code wait_ec) {
      if (wait_ec) return;
      try {
        self->answer(*shared_req);
      } catch (const std::exception&) {
        self->do_close();
      }
    });
  } catch (const std::exception&) {
    do_close();
  }
}

void HttpSession::answer(const Request& req) {
  RestRequest r;
  r.method = std::string(req.method_string());
  r.target = std::string(req.target());
  auto key = req.find("X-MBX-APIKEY");
  r.has_api_key = key != req.end();
  if (r.has_api_key) r.api_key = std::string(key->value());
  r.body = req.body();
  RestContext ctx = core_.rest();
  RestReply reply = handle_rest(ctx, r);

  res_ = std::make_shared<Response>();
  res_->version(req.version());
  res_->result(static_cast<unsigned>(reply.status));
  res_->set(http::field::server, "keel-sim");
  res_->set(http::field::content_type, "application/json;charset=UTF-8");
  for (const auto& [name, value] : reply.headers) res_->set(name, value);
  res_->keep_alive(req.keep_alive());
  res_->body() = std::move(reply.body);
  res_->prepare_payload();
  http::async_write(stream_, *res_,
                    beast::bind_front_handler(&HttpSession::on_write, shared_from_this(),
                                              res_->need_eof()));
}

void HttpSession::on_write(bool close, beast::error_code ec, size_t) {
  if (ec || close) return do_close();
  res_.reset();
  do_read();
}

void HttpSession::do_close() {
  beast::error_code ec;
  stream_.socket().shutdown(net::ip::tcp::socket::shutdown_send, ec);
}

}  // namespace keel::simserver
