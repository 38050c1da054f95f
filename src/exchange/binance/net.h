// Private: name resolution and TLS set-up shared by the REST and WebSocket clients.
//
// TLS follows current Beast's websocket_client_async_ssl example (not the 1.74 copy): the
// context verifies peers against the system CA store (set_default_verify_paths), each stream
// sets SNI (SSL_set_tlsext_host_name) and verifies the certificate's host name
// (ssl::host_name_verification). TLS 1.2 or later.
#pragma once

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <memory>
#include <string>

#include "io_step.h"
#include "keel/exchange/binance/request.h"

namespace keel::exchange::binance::net {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using TlsStream = ssl::stream<boost::beast::tcp_stream>;

// nullptr and `err` set when the context cannot be built or the CA store cannot be loaded.
// `extra_ca_file` (PEM, may be empty) adds trust anchors to the system store.
inline std::unique_ptr<ssl::context> make_tls_context(const std::string& extra_ca_file,
                                                      std::string& err) {
  boost::system::error_code ec;
  std::unique_ptr<ssl::context> ctx;
  try {  // the constructor reports failure by exception only
    ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
  } catch (const std::exception& e) {
    err = std::string("tls context: ") + e.what();
    return nullptr;
  }
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1,
                   ec);
  if (!ec) ctx->set_default_verify_paths(ec);
  if (!ec && !extra_ca_file.empty()) ctx->load_verify_file(extra_ca_file, ec);
  if (!ec) ctx->set_verify_mode(ssl::verify_peer, ec);
  if (ec) {
    err = "tls context: " + ec.message();
    return nullptr;
  }
  return ctx;
}

// SNI, peer verification and host name verification on one stream, before its handshake.
// No SNI for an IP literal (RFC 6066 §3 forbids it); the certificate must then name the IP.
inline boost::system::error_code prepare_tls(TlsStream& s, const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  const bool is_ip = !ec;
  ec.clear();
  if (!is_ip && !SSL_set_tlsext_host_name(s.native_handle(), host.c_str())) {
    return {static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category()};
  }
  s.set_verify_mode(ssl::verify_peer, ec);
  if (!ec) s.set_verify_callback(ssl::host_name_verification(host), ec);
  return ec;
}

// The Host header: host, plus ":port" when not the scheme's default.
inline std::string host_header(const Url& url) {
  const bool default_port = url.port == (url.tls ? "443" : "80");
  return default_port ? url.host : url.host + ":" + url.port;
}

// Resolves url.host:url.port by the deadline; "" on success, else the error text.
inline std::string resolve(asio::io_context& ioc, const Url& url, io::Deadline deadline,
                           const std::atomic<bool>* stop, tcp::resolver::results_type& out) {
  tcp::resolver resolver(ioc);
  auto step = io::new_step();
  auto results = std::make_shared<tcp::resolver::results_type>();
  resolver.async_resolve(url.host, url.port,
                         [step, results](boost::system::error_code ec,
                                         tcp::resolver::results_type r) {
                           *results = std::move(r);
                           io::Done{step}(ec);
                         });
  const auto ec = io::run_step(ioc, step, deadline, stop, [&resolver] { resolver.cancel(); });
  if (ec) return "resolve " + url.host + ":" + url.port + ": " + ec.message();
  out = *results;
  return {};
}

}  // namespace keel::exchange::binance::net
