// ws_session.h (private): one WebSocket connection of `keel sim`, routed by its path
// (server.h): market streams, the WebSocket API, or a legacy listenKey user stream.
//
// Outbound messages wait in a bounded queue (kMaxWsQueue); a reader that falls that far
// behind is disconnected. Writes, pings and closes run on the connection's strand; the hub
// may enqueue from any thread. The server pings every ws_ping_interval; a connection silent
// for kWsIdleTimeoutSec is closed (Beast's idle timeout). With the disconnect_every fault, the
// connection is closed (going away) that long after it opened.
#pragma once

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "hub.h"
#include "server_core.h"
#include "ws_api.h"

namespace keel::simserver {

class WsSession : public StreamSink,
                  public WsApiSubscriptions,
                  public std::enable_shared_from_this<WsSession> {
 public:
  WsSession(boost::asio::ip::tcp::socket&& socket, ServerCore& core);
  // Routes by the request's target and completes the handshake; an unknown path gets an HTTP
  // 404 and the connection is closed.
  void run(boost::beast::http::request<boost::beast::http::string_body> req);

  // StreamSink (any thread).
  void on_market(const std::string& stream, const std::string& stream_lc,
                 const std::shared_ptr<const std::string>& payload) override;
  void on_user(size_t account, const std::shared_ptr<const std::string>& event) override;
  // WsApiSubscriptions (the strand, under mu_).
  std::optional<int64_t> subscribe(size_t account) override;
  std::vector<int64_t> unsubscribe(std::optional<int64_t> id) override;
  std::vector<int64_t> list() override;

 private:
  enum class Kind : unsigned char { kMarket, kApi, kListenKey };
  bool route(std::string_view target);
  void reject_handshake(unsigned version);
  void on_accept(boost::beast::error_code ec);
  void do_read();
  void on_read(boost::beast::error_code ec, size_t bytes);
  void handle_market_request(std::string_view text);
  void enqueue(std::string msg);          // any thread
  bool enqueue_locked(std::string msg);   // REQUIRES mu_; true: a flush must be posted
  void post_flush();
  void flush();                           // strand
  void on_write(boost::beast::error_code ec, size_t bytes);
  void schedule_ping();
  void on_ping_timer(boost::beast::error_code ec);
  void close_session(boost::beast::websocket::close_code code);  // strand
  void on_closed();

  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  boost::beast::flat_buffer buffer_;
  ServerCore& core_;
  ConnectionSlot slot_;
  Kind kind_ = Kind::kMarket;
  std::string listen_key_;
  size_t listen_account_ = 0;

  std::mutex mu_;  // guards the members below it up to `strand-only`
  std::deque<std::string> queue_;
  bool flush_posted_ = false;
  bool overflow_ = false;
  bool closed_ = false;
  bool combined_ = false;
  std::set<std::string> streams_;        // lower case
  std::map<int64_t, size_t> subs_;       // WebSocket API subscription id -> account
  int64_t next_sub_id_ = 0;

  // strand-only
  bool accepted_ = false;  // the handshake completed: writes may start
  bool writing_ = false;
  bool ping_pending_ = false;
  bool closing_ = false;
  std::optional<boost::beast::websocket::close_code> close_when_drained_;
  std::string writing_msg_;
  boost::asio::steady_timer ping_timer_;
  boost::asio::steady_timer disconnect_timer_;
};

}  // namespace keel::simserver
