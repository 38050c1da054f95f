// SimServer: options, the listener, the Asio threads and the replay (server.h).
#include "keel/simserver/server.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <cstdio>
#include <thread>

#include "http_session.h"
#include "replay.h"
#include "server_core.h"

namespace keel::simserver {

namespace net = boost::asio;
using tcp = net::ip::tcp;

Instrument default_instrument() {
  return *Instrument::make("BTCUSDT", "BTC", "USDT", "0.01", "0.00001", "5");
}

Result<Instrument> instrument_from_symbol(const std::string& symbol, std::string_view tick,
                                          std::string_view step, std::string_view min_notional) {
  for (const char* quote : {"USDT", "USDC", "FDUSD", "BTC", "ETH"}) {
    const std::string q(quote);
    if (symbol.size() > q.size() && symbol.compare(symbol.size() - q.size(), q.size(), q) == 0) {
      return Instrument::make(symbol, symbol.substr(0, symbol.size() - q.size()), q, tick, step,
                              min_notional);
    }
  }
  return Status::InvalidArgument("symbol '" + symbol +
                                 "': no known quote asset (USDT, USDC, FDUSD, BTC, ETH)");
}

Result<Instrument> instrument_from_spec(std::string_view spec, std::string_view default_tick,
                                        std::string_view default_step,
                                        std::string_view default_min_notional) {
  std::vector<std::string_view> parts;
  for (size_t from = 0;;) {
    const size_t colon = spec.find(':', from);
    parts.push_back(spec.substr(from, colon == std::string_view::npos ? colon : colon - from));
    if (colon == std::string_view::npos) break;
    from = colon + 1;
  }
  if (parts.size() != 1 && parts.size() != 4) {
    return Status::InvalidArgument("symbol '" + std::string(spec) +
                                   "': expected SYMBOL or SYMBOL:TICK:STEP:MIN_NOTIONAL");
  }
  const bool own = parts.size() == 4;
  auto ins = instrument_from_symbol(std::string(parts[0]), own ? parts[1] : default_tick,
                                    own ? parts[2] : default_step,
                                    own ? parts[3] : default_min_notional);
  if (!ins.ok()) return ins.status().With("symbol '" + std::string(spec) + "'");
  return ins;
}

struct SimServer::Impl {
  ServerCore core;
  std::unique_ptr<Replayer> replayer;
  net::io_context ioc;
  tcp::acceptor acceptor{net::make_strand(ioc)};
  std::vector<std::thread> threads;
  uint16_t port = 0;
  bool stopped = false;

  Status listen();
  void do_accept();
  void on_accept(boost::system::error_code ec, tcp::socket socket);
};

Status SimServer::Impl::listen() {
  boost::system::error_code ec;
  const std::string& host = core.opts.host;
  const tcp::endpoint endpoint(net::ip::make_address(host, ec), core.opts.port);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::IOError("listen on " + host + ":" + std::to_string(core.opts.port) + ": " +
                           ec.message());
  }
  port = acceptor.local_endpoint().port();
  return Status::Ok();
}

void SimServer::Impl::do_accept() {
  acceptor.async_accept(net::make_strand(ioc), [this](boost::system::error_code ec, tcp::socket s) {
    on_accept(ec, std::move(s));
  });
}

void SimServer::Impl::on_accept(boost::system::error_code ec, tcp::socket socket) {
  if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
  if (!ec) {
    if (core.connections.load() >= kMaxConnections) {
      boost::system::error_code ignored;
      socket.close(ignored);  // over the connection limit
    } else {
      try {
        std::make_shared<HttpSession>(std::move(socket), core)->run();
      } catch (const std::exception& e) {
        core.log(std::string("connection dropped: ") + e.what());
      }
    }
  }
  do_accept();
}

namespace {

// Fills in the instrument list (server.h ServerOptions): {instrument}, the default when
// nothing is set; instrument = instruments[0].
Status check_instruments(ServerOptions& o) {
  if (o.instruments.empty()) {
    o.instruments.push_back(o.instrument.symbol.empty() ? default_instrument() : o.instrument);
  } else if (!o.instrument.symbol.empty() && o.instrument.symbol != o.instruments[0].symbol) {
    return Status::InvalidArgument("symbol " + o.instrument.symbol +
                                   " is set besides the instrument list and is not its first");
  }
  for (size_t i = 0; i < o.instruments.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (o.instruments[j].symbol == o.instruments[i].symbol) {
        return Status::InvalidArgument("--symbol: " + o.instruments[i].symbol + " given twice");
      }
    }
  }
  o.instrument = o.instruments[0];
  return Status::Ok();
}

Status check_options(ServerOptions& o) {
  if (o.host == "localhost") o.host = "127.0.0.1";
  boost::system::error_code ec;
  const auto address = net::ip::make_address(o.host, ec);
  if (ec || !address.is_loopback()) {
    return Status::InvalidArgument("--listen: '" + o.host +
                                   "' is not a loopback address (keel sim serves 127.0.0.1 only)");
  }
  if (!o.log) o.log = [](const std::string& line) { std::fprintf(stderr, "keel sim: %s\n", line.c_str()); };
  if (!(o.speed > 0)) return Status::InvalidArgument("--speed must be a multiplier > 0");
  if (o.data_files.empty()) return Status::InvalidArgument("--data: no recording given");
  if (o.state_dir.empty()) return Status::InvalidArgument("--state: no state directory given");
  KEEL_RETURN_IF_ERROR(check_instruments(o));
  if (o.accounts.empty()) o.accounts.push_back(default_account());
  if (o.threads < 1 || o.threads > 16) return Status::InvalidArgument("threads must be 1..16");
  return validate_accounts(o.accounts, "accounts");
}

}  // namespace

Result<std::unique_ptr<SimServer>> SimServer::start(ServerOptions options) {
  KEEL_RETURN_IF_ERROR(check_options(options));
  auto impl = std::make_unique<Impl>();
  ServerCore& core = impl->core;
  core.opts = std::move(options);
  VenueOptions vo{core.opts.instruments,     core.opts.maker_fee_rate_e8, core.opts.state_dir,
                  core.opts.accounts,        core.opts.faults,            core.opts.seed,
                  core.opts.commission_mode, core.opts.commission_asset,
                  core.opts.commission_asset_price_e8};
  auto venue = Venue::open(vo);
  if (!venue.ok()) return venue.status();
  core.venue = std::move(*venue);
  impl->replayer = std::make_unique<Replayer>(*core.venue, core.opts.data_files, core.opts.speed,
                                              core.opts.log);
  KEEL_RETURN_IF_ERROR(impl->replayer->catch_up());
  core.market = impl->replayer.get();
  KEEL_RETURN_IF_ERROR(impl->listen());
  core.venue->set_publisher(core.hub.get());
  impl->do_accept();
  for (int i = 0; i < core.opts.threads; ++i) {
    impl->threads.emplace_back([ioc = &impl->ioc] { ioc->run(); });
  }
  impl->replayer->start();
  return std::unique_ptr<SimServer>(new SimServer(std::move(impl)));
}

SimServer::SimServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SimServer::~SimServer() { stop(); }

uint16_t SimServer::port() const { return impl_->port; }
bool SimServer::market_ended() const { return impl_->replayer->ended(); }
uint64_t SimServer::market_position() const { return impl_->replayer->position(); }

void SimServer::stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  impl_->replayer->stop();
  impl_->core.late.stop();  // pending late requests never execute
  impl_->core.venue->set_publisher(nullptr);
  net::post(impl_->acceptor.get_executor(), [impl = impl_.get()] {
    boost::system::error_code ec;
    impl->acceptor.close(ec);
  });
  impl_->ioc.stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
}

}  // namespace keel::simserver
