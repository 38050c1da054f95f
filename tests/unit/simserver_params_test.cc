// REST parameter parsing and the signature payload (keel/simserver/params.h,
// binance-spot.md §0, §1), and the accounts file (keel/simserver/accounts.h).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "keel/exchange/binance/signing.h"
#include "keel/simserver/accounts.h"
#include "keel/simserver/params.h"
#include "keel/simserver/server.h"

namespace keel::simserver {
namespace {

TEST(SimServerParams, QueryWinsAndValuesAreDecoded) {
  Params p;
  ASSERT_FALSE(Params::parse("symbol=BTCUSDT&symbols=%5B%22BTCUSDT%22%5D", "symbol=ETHUSDT&price=1.5", p));
  EXPECT_EQ(*p.find("symbol"), "BTCUSDT");
  EXPECT_EQ(*p.find("symbols"), R"(["BTCUSDT"])");
  EXPECT_EQ(*p.find("price"), "1.5");
  EXPECT_EQ(p.find("quantity"), nullptr);
  ASSERT_FALSE(Params::parse("a=&b", "", p));
  EXPECT_EQ(*p.find("a"), "");
  EXPECT_EQ(*p.find("b"), "");
}

TEST(SimServerParams, Errors) {
  Params p;
  auto dup = Params::parse("a=1&a=2", "", p);
  ASSERT_TRUE(dup);
  EXPECT_EQ(dup->code, -1101);
  EXPECT_EQ(dup->msg, "Duplicate values for a parameter detected.");
  auto bad = Params::parse("a=%zz", "", p);
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->code, -1100);
  EXPECT_TRUE(Params::parse("a=%4", "", p));
}

// The official mixed query + body vector (binance-spot.md §1).
TEST(SimServerParams, SignaturePayloadIsQueryPlusBodyWithoutSignature) {
  Params p;
  const std::string query = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC";
  const std::string body =
      "quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559&signature="
      "0fd168b8ddb4876a0358a8d14d0c9f3da0e9b20c5d52b2a00fcf7d1c602f9a77";
  ASSERT_FALSE(Params::parse(query, body, p));
  EXPECT_EQ(p.signature_payload(),
            "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTCquantity=1&price=0.1&recvWindow=5000"
            "&timestamp=1499827319559");
  EXPECT_EQ(exchange::binance::hmac_sha256_hex(
                "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j", p.signature_payload()),
            *p.find("signature"));
  // The pair is removed wherever it is, other bytes untouched (no re-encoding).
  ASSERT_FALSE(Params::parse("signature=ab&x=%41&y=2", "", p));
  EXPECT_EQ(p.signature_payload(), "x=%41&y=2");
}

TEST(SimServerAccounts, LoadsAndValidates) {
  const auto dir = std::filesystem::temp_directory_path() / ("keel_simserver_acc_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string good = (dir / "good.yaml").string();
  std::ofstream(good) << "accounts:\n"
                         "  - name: alice\n    api_key: alice-key\n    secret: s1\n"
                         "    balances: {USDT: \"500.5\", BTC: \"0.1\"}\n"
                         "  - name: bob\n    api_key: bob-key\n    secret: s2\n";
  auto a = load_accounts(good);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_EQ(a->size(), 2u);
  EXPECT_EQ((*a)[0].balances.at("USDT").free_e8, 50'050'000'000);
  EXPECT_TRUE((*a)[1].balances.empty());
  const std::string dup = (dir / "dup.yaml").string();
  std::ofstream(dup) << "- {name: a, api_key: k, secret: s}\n- {name: b, api_key: k, secret: s}\n";
  auto d = load_accounts(dup);
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("accounts[1].api_key: duplicate"), std::string::npos) << d.status().ToString();
  const std::string bad = (dir / "bad.yaml").string();
  std::ofstream(bad) << "- {name: \"../x\", api_key: k, secret: s}\n";
  EXPECT_FALSE(load_accounts(bad).ok());
  EXPECT_FALSE(load_accounts((dir / "missing.yaml").string()).ok());
  std::filesystem::remove_all(dir);
  const AccountConfig def = default_account();
  EXPECT_EQ(def.api_key, "keel-sim-key");
  EXPECT_EQ(def.balances.at("USDT").free_e8, 1'000'000'000'000);
}

TEST(SimServerInstrument, FromSymbol) {
  auto i = instrument_from_symbol("ETHUSDT", "0.01", "0.0001", "5");
  ASSERT_TRUE(i.ok());
  EXPECT_EQ(i->base_asset, "ETH");
  EXPECT_EQ(i->quote_asset, "USDT");
  EXPECT_FALSE(instrument_from_symbol("XYZ", "0.01", "0.0001", "5").ok());
  EXPECT_EQ(default_instrument().symbol, "BTCUSDT");
}

TEST(SimServerOptions, RefusesNonLoopbackAndBadSpeed) {
  ServerOptions o;
  o.data_files = {"/nonexistent.gz"};
  o.state_dir = "/tmp/keel_simserver_unused";
  o.speed = 0;
  auto slow = SimServer::start(o);
  ASSERT_FALSE(slow.ok());
  EXPECT_NE(slow.status().message().find("--speed"), std::string::npos);
  o.speed = 1;
  o.host = "0.0.0.0";
  auto open = SimServer::start(o);
  ASSERT_FALSE(open.ok());
  EXPECT_NE(open.status().message().find("not a loopback address"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(o.state_dir)) << "refused before touching the state";
}

}  // namespace
}  // namespace keel::simserver
