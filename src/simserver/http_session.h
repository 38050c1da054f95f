// http_session.h (private): one HTTP/1.1 connection (Beast, async, on its own strand).
//
// Reads requests (8 KiB headers, 1 MiB body, 30 s per request including keep-alive idle),
// hands a WebSocket upgrade to WsSession, answers everything else with handle_rest() after the
// configured latency. One request at a time per connection (HTTP/1.1 without pipelining
// overlap). Errors close the connection; nothing throws out of a handler.
#pragma once

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <memory>
#include <optional>

#include "server_core.h"

namespace keel::simserver {

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(boost::asio::ip::tcp::socket&& socket, ServerCore& core);
  void run();

 private:
  using Request = boost::beast::http::request<boost::beast::http::string_body>;
  using Response = boost::beast::http::response<boost::beast::http::string_body>;
  void do_read();
  void on_read(boost::beast::error_code ec, size_t bytes);
  void answer(const Request& req);
  void on_write(bool close, boost::beast::error_code ec, size_t bytes);
  void do_close();

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  std::shared_ptr<Response> res_;
  boost::asio::steady_timer delay_;
  ServerCore& core_;
  ConnectionSlot slot_;
};

}  // namespace keel::simserver
