// TLS set-up of the REST connection (net.h): peer verification against the trust store, host
// name verification and SNI, against an in-process TLS server with a certificate made here.
// Never contacts a real venue.
#include <gtest/gtest.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <fstream>
#include <mutex>
#include <thread>
#include <chrono>
#include <cstdio>

#include "keel/exchange/binance/binance.h"

namespace keel::exchange::binance {
namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct Pem {
  std::string cert, key;
};

void add_ext(X509* x, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  ASSERT_NE(ext, nullptr);
  X509_add_ext(x, ext, -1);
  X509_EXTENSION_free(ext);
}

std::string bio_string(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(bio);
  return out;
}

// A self-signed P-256 certificate for DNS:localhost, valid for a day.
Pem make_certificate() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 24 * 3600);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("keel test"), -1, -1, 0);
  X509_set_issuer_name(x, name);
  add_ext(x, NID_basic_constraints, "critical,CA:TRUE");
  add_ext(x, NID_key_usage, "critical,keyCertSign,digitalSignature");
  add_ext(x, NID_subject_alt_name, "DNS:localhost");
  X509_sign(x, key, EVP_sha256());
  BIO* cert_bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(cert_bio, x);
  BIO* key_bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(key_bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  X509_free(x);
  EVP_PKEY_free(key);
  return {bio_string(cert_bio), bio_string(key_bio)};
}

// One connection at a time: TLS handshake, then GET /api/v3/time and /api/v3/exchangeInfo.
class TlsVenue {
 public:
  explicit TlsVenue(const Pem& pem)
      : ctx_(ssl::context::tls_server),
        acceptor_(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    ctx_.use_certificate_chain(asio::buffer(pem.cert));
    ctx_.use_private_key(asio::buffer(pem.key), ssl::context::pem);
    thread_ = std::thread([this] { loop(); });
  }
  ~TlsVenue() {
    stop_.store(true);
    ::shutdown(acceptor_.native_handle(), SHUT_RDWR);
    {
      std::lock_guard lock(mu_);
      if (conn_fd_ >= 0) ::shutdown(conn_fd_, SHUT_RDWR);
    }
    thread_.join();
  }
  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  // The server notices the refused handshake after the client has given up: wait for it.
  int failed_handshakes() const {
    for (int i = 0; i < 200 && failed_.load() == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return failed_.load();
  }
  std::string sni() const {
    std::lock_guard lock(mu_);
    return sni_;
  }

 private:
  void loop() {
    while (!stop_.load()) {
      beast::error_code ec;
      tcp::socket s(ioc_);
      acceptor_.accept(s, ec);
      if (ec || stop_.load()) return;
      {
        std::lock_guard lock(mu_);
        conn_fd_ = s.native_handle();
      }
      serve(std::move(s));
      std::lock_guard lock(mu_);
      conn_fd_ = -1;
    }
  }
  void serve(tcp::socket s) {
    ssl::stream<tcp::socket> tls(std::move(s), ctx_);
    beast::error_code ec;
    tls.handshake(ssl::stream_base::server, ec);
    if (ec) {
      failed_.fetch_add(1);
      return;
    }
    if (const char* name = SSL_get_servername(tls.native_handle(), TLSEXT_NAMETYPE_host_name)) {
      std::lock_guard lock(mu_);
      sni_ = name;
    }
    beast::flat_buffer buf;
    for (;;) {
      http::request<http::string_body> req;
      http::read(tls, buf, req, ec);
      if (ec) return;
      http::response<http::string_body> res{http::status::ok, req.version()};
      res.body() = body_for(std::string(req.target()));
      res.keep_alive(req.keep_alive());
      res.prepare_payload();
      http::write(tls, res, ec);
      if (ec) return;
    }
  }
  static std::string body_for(const std::string& target) {
    if (target.rfind("/api/v3/time", 0) == 0) return R"({"serverTime":1700000000000})";
    return R"({"symbols":[{"symbol":"BTCUSDT","status":"TRADING","baseAsset":"BTC","quoteAsset":"USDT","filters":[
      {"filterType":"PRICE_FILTER","minPrice":"0.01","maxPrice":"1000000","tickSize":"0.01"},
      {"filterType":"LOT_SIZE","minQty":"0.00001","maxQty":"9000","stepSize":"0.00001"}]}]})";
  }

  asio::io_context ioc_;
  ssl::context ctx_;
  tcp::acceptor acceptor_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int> failed_{0};
  mutable std::mutex mu_;
  int conn_fd_ = -1;
  std::string sni_;
};

class BinanceTls : public ::testing::Test {
 protected:
  void SetUp() override {
    pem_ = make_certificate();
    // One file per process: ctest runs these tests in parallel processes.
    ca_file_ = ::testing::TempDir() + "keel_binance_tls_ca." + std::to_string(getpid()) + ".pem";
    std::ofstream(ca_file_) << pem_.cert;
  }
  void TearDown() override { std::remove(ca_file_.c_str()); }
  BinanceConfig config(const std::string& host, uint16_t port) const {
    BinanceConfig c;
    c.rest_url = "https://" + host + ":" + std::to_string(port);
    c.symbol = "BTCUSDT";
    c.market_stream = c.user_stream = false;
    c.request_timeout_ms = 2000;
    return c;
  }
  Pem pem_;
  std::string ca_file_;
};

TEST_F(BinanceTls, UntrustedCertificateIsRefused) {
  TlsVenue venue(pem_);
  auto ex = BinanceExchange::connect(config("localhost", venue.port()));  // system store only
  ASSERT_FALSE(ex.ok());
  EXPECT_EQ(ex.status().code(), Code::kIOError);
  EXPECT_NE(ex.status().message().find("tls handshake"), std::string::npos) << ex.status().ToString();
  EXPECT_NE(ex.status().message().find("certificate verify failed"), std::string::npos);
  EXPECT_GE(venue.failed_handshakes(), 1);
}

TEST_F(BinanceTls, TrustedCertificateConnectsWithSni) {
  TlsVenue venue(pem_);
  BinanceConfig c = config("localhost", venue.port());
  c.tls_ca_file = ca_file_;
  auto ex = BinanceExchange::connect(c);
  ASSERT_TRUE(ex.ok()) << ex.status().ToString();
  EXPECT_EQ((*ex)->instrument().tick_e8, 1'000'000);
  EXPECT_EQ(venue.sni(), "localhost");
}

TEST_F(BinanceTls, HostNameMismatchIsRefused) {
  TlsVenue venue(pem_);
  BinanceConfig c = config("127.0.0.1", venue.port());  // the certificate names localhost only
  c.tls_ca_file = ca_file_;
  auto ex = BinanceExchange::connect(c);
  ASSERT_FALSE(ex.ok());
  EXPECT_NE(ex.status().message().find("tls handshake"), std::string::npos) << ex.status().ToString();
  EXPECT_NE(ex.status().message().find("certificate verify failed"), std::string::npos);
  EXPECT_TRUE(venue.sni().empty());  // no SNI for an IP literal
}

}  // namespace
}  // namespace keel::exchange::binance
