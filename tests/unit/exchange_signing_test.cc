// Binance signing against the official test vectors (reference/binance-spot.md §1).
#include <gtest/gtest.h>

#include "keel/exchange/binance/signing.h"

namespace keel::exchange::binance {
namespace {

const char* kSecret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";

TEST(Signing, OfficialQueryVector) {
  const std::string q =
      "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&"
      "timestamp=1499827319559";
  EXPECT_EQ(hmac_sha256_hex(kSecret, rest_payload(q, "")),
            "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71");
}

TEST(Signing, OfficialMixedQueryAndBodyVector) {
  // No '&' between the query's last pair and the body's first.
  const std::string payload = rest_payload("symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC",
                                           "quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559");
  EXPECT_EQ(payload,
            "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTCquantity=1&price=0.1&"
            "recvWindow=5000&timestamp=1499827319559");
  EXPECT_EQ(hmac_sha256_hex(kSecret, payload),
            "0fd168b8ddb4876a0358a8d14d0c9f3da0e9b20c5d52b2a00fcf7d1c602f9a77");
}

TEST(Signing, WebSocketApiPayloadIsSortedAndSkipsSignature) {
  const std::map<std::string, std::string> params{
      {"timestamp", "1700000000000"}, {"apiKey", "k"}, {"recvWindow", "10000"},
      {"signature", "x"}};
  EXPECT_EQ(ws_api_payload(params), "apiKey=k&recvWindow=10000&timestamp=1700000000000");
}

TEST(Signing, SignatureComparisonIgnoresCase) {
  EXPECT_TRUE(signature_equal("c8DB56", "C8db56"));
  EXPECT_FALSE(signature_equal("c8db56", "c8db57"));
  EXPECT_FALSE(signature_equal("c8db56", "c8db5"));
}

}  // namespace
}  // namespace keel::exchange::binance
