// Decoder and capture-reader tests on the real recordings of ../shared/data (data/README.md).
#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "keel/market/capture.h"
#include "keel/market/decode.h"

namespace keel::market {
namespace {

const std::string kData = std::string(KEEL_SHARED_DIR) + "/data";
const std::string kSpotBtc0808 = kData + "/binance/spot/btcusdt_20240808.gz";
const std::string kSpotBtc0809 = kData + "/binance/spot/btcusdt_20240809.gz";
const std::string kSpotEth0808 = kData + "/binance/spot/ethusdt_20240808.gz";
const std::string kUsdmBtc0808 = kData + "/binance/usdm/btcusdt_20240808.gz";

constexpr int64_t kE8 = 100'000'000;

// Per-file tallies of one pass over a capture.
struct Tally {
  uint64_t diffs = 0, snapshots = 0, tickers = 0, trades = 0, events = 0;
  int64_t trade_px_min_e8 = INT64_MAX, trade_px_max_e8 = 0;
  uint64_t trade_id_jumps = 0;      // consecutive trades whose id is not previous + 1
  uint64_t recv_backwards = 0;      // events whose receive time precedes the previous one
  int64_t lag_min_ns = INT64_MAX;   // min over trades of T - recv (the recorder's clock offset)
  int64_t lag_max_ns = INT64_MIN;
  uint64_t futures_diffs = 0;       // diffs carrying pu
  uint64_t tickers_with_e = 0;      // bookTickers carrying E
  std::vector<double> progress;     // reader progress sampled every 1000 events
  std::map<std::string, uint64_t> symbols;
  Status end;
};

void count(Tally& t, const MarketEvent& ev, int64_t& prev_recv, int64_t& prev_trade_id) {
  ++t.events;
  if (ev.ts_recv_ns < prev_recv) ++t.recv_backwards;
  prev_recv = ev.ts_recv_ns;
  ++t.symbols[ev.symbol];
  if (const auto* d = std::get_if<DepthDiff>(&ev.body)) {
    ++t.diffs;
    if (d->prev_final_update_id >= 0) ++t.futures_diffs;
  } else if (std::get_if<DepthSnapshot>(&ev.body)) {
    ++t.snapshots;
  } else if (const auto* k = std::get_if<BookTicker>(&ev.body)) {
    ++t.tickers;
    if (k->ts_exchange_ns != 0) ++t.tickers_with_e;
  } else if (const auto* tr = std::get_if<Trade>(&ev.body)) {
    ++t.trades;
    t.trade_px_min_e8 = std::min(t.trade_px_min_e8, tr->price_e8);
    t.trade_px_max_e8 = std::max(t.trade_px_max_e8, tr->price_e8);
    if (prev_trade_id >= 0 && tr->trade_id != prev_trade_id + 1) ++t.trade_id_jumps;
    prev_trade_id = tr->trade_id;
    t.lag_min_ns = std::min(t.lag_min_ns, tr->ts_exchange_ns - ev.ts_recv_ns);
    t.lag_max_ns = std::max(t.lag_max_ns, tr->ts_exchange_ns - ev.ts_recv_ns);
  }
}

Tally read_all(const std::vector<std::string>& files) {
  Tally t;
  auto reader = CaptureReader::open(files);
  EXPECT_TRUE(reader.ok()) << reader.status().ToString();
  if (!reader.ok()) return t;
  MarketEvent ev;
  int64_t prev_recv = 0, prev_trade_id = -1;
  while ((t.end = (*reader)->next(ev)).ok()) {
    count(t, ev, prev_recv, prev_trade_id);
    if (t.events % 1000 == 0) t.progress.push_back((*reader)->progress());
  }
  EXPECT_EQ((*reader)->events_read(), t.events);
  t.progress.push_back((*reader)->progress());
  return t;
}

void expect_progress_monotonic(const Tally& t) {
  ASSERT_FALSE(t.progress.empty());
  EXPECT_TRUE(std::is_sorted(t.progress.begin(), t.progress.end()));
  EXPECT_GT(t.progress.front(), 0.0);
  EXPECT_DOUBLE_EQ(t.progress.back(), 1.0);
}

// The README table: line counts per stream (data/README.md).
TEST(CaptureReplay, SpotBtc0808MatchesReadme) {
  Tally t = read_all({kSpotBtc0808});
  EXPECT_EQ(t.end.code(), Code::kEndOfData) << t.end.ToString();
  EXPECT_EQ(t.events, 41249u);
  EXPECT_EQ(t.diffs, 3451u);
  EXPECT_EQ(t.tickers, 28040u);
  EXPECT_EQ(t.trades, 9757u);
  EXPECT_EQ(t.snapshots, 1u);
  EXPECT_EQ(t.futures_diffs, 0u);
  EXPECT_EQ(t.tickers_with_e, 0u);  // spot bookTicker has no E
  // The snapshot line names no symbol; the reader gives it its file's (capture.h).
  EXPECT_EQ(t.symbols.size(), 1u);
  EXPECT_EQ(t.symbols["BTCUSDT"], 41249u);
  // Measured: trades 61583.22 .. 61860.80 USDT, ids contiguous, receive order monotonic.
  EXPECT_EQ(t.trade_px_min_e8, 6158322000000);
  EXPECT_EQ(t.trade_px_max_e8, 6186080000000);
  EXPECT_EQ(t.trade_id_jumps, 0u);
  EXPECT_EQ(t.recv_backwards, 0u);
  // The recorder's clock was ~1.27 s behind Binance: T - recv lies within 1..1.3 s.
  EXPECT_GT(t.lag_min_ns, 1'000'000'000);
  EXPECT_LT(t.lag_max_ns, 1'300'000'000);
  expect_progress_monotonic(t);
}

TEST(CaptureReplay, SpotBtc0809MatchesReadme) {
  Tally t = read_all({kSpotBtc0809});
  EXPECT_EQ(t.end.code(), Code::kEndOfData);
  EXPECT_EQ(t.events, 58325u);
  EXPECT_EQ(t.diffs, 3044u);
  EXPECT_EQ(t.tickers, 45134u);
  EXPECT_EQ(t.trades, 10147u);
  EXPECT_EQ(t.snapshots, 0u);
  EXPECT_EQ(t.trade_px_min_e8, 6155604000000);  // 61556.04: a little below README's "61.6k"
  EXPECT_EQ(t.trade_px_max_e8, 6174437000000);
  EXPECT_EQ(t.trade_id_jumps, 0u);
  EXPECT_EQ(t.recv_backwards, 0u);
  expect_progress_monotonic(t);
}

TEST(CaptureReplay, SpotEth0808MatchesReadme) {
  Tally t = read_all({kSpotEth0808});
  EXPECT_EQ(t.end.code(), Code::kEndOfData);
  EXPECT_EQ(t.events, 33618u);
  EXPECT_EQ(t.diffs, 3434u);
  EXPECT_EQ(t.tickers, 24077u);
  EXPECT_EQ(t.trades, 6106u);
  EXPECT_EQ(t.snapshots, 1u);
  EXPECT_EQ(t.symbols.size(), 1u);
  EXPECT_EQ(t.symbols["ETHUSDT"], 33618u);  // the snapshot line's included
  // README: ETH traded 2679–2685 USDT.
  EXPECT_GE(t.trade_px_min_e8, 2679 * kE8);
  EXPECT_LE(t.trade_px_max_e8, 2686 * kE8);
  EXPECT_EQ(t.trade_id_jumps, 0u);
  expect_progress_monotonic(t);
}

TEST(CaptureReplay, UsdmBtc0808MatchesReadme) {
  Tally t = read_all({kUsdmBtc0808});
  EXPECT_EQ(t.end.code(), Code::kEndOfData);
  EXPECT_EQ(t.events, 93954u);
  EXPECT_EQ(t.trades, 21313u);
  EXPECT_EQ(t.snapshots, 1u);
  // README gives no per-stream counts for these two; measured with grep on the raw file.
  EXPECT_EQ(t.diffs, 6551u);
  EXPECT_EQ(t.tickers, 66089u);
  EXPECT_EQ(t.futures_diffs, t.diffs);     // every USD-M diff carries pu
  EXPECT_EQ(t.tickers_with_e, t.tickers);  // every USD-M bookTicker carries E
  EXPECT_GE(t.trade_px_min_e8, 61500 * kE8);
  EXPECT_LE(t.trade_px_max_e8, 62000 * kE8);
  EXPECT_EQ(t.trade_id_jumps, 0u);
  expect_progress_monotonic(t);
}

TEST(CaptureReplay, TwoFilesPlayAsOneRecording) {
  auto reader = CaptureReader::open({kSpotBtc0808, kSpotBtc0809});
  ASSERT_TRUE(reader.ok());
  CaptureReader& r = **reader;
  EXPECT_EQ(r.current_file(), kSpotBtc0808);
  MarketEvent ev;
  int64_t prev_trade_id = -1, prev_recv = 0;
  uint64_t n = 0, jumps = 0, backwards = 0;
  double progress_at_switch = 0;
  Status s;
  while ((s = r.next(ev)).ok()) {
    ++n;
    if (n == 41250) {  // the first event of the second file
      EXPECT_EQ(r.current_file(), kSpotBtc0809);
      progress_at_switch = r.progress();
    }
    if (ev.ts_recv_ns < prev_recv) ++backwards;
    prev_recv = ev.ts_recv_ns;
    if (const auto* t = std::get_if<Trade>(&ev.body)) {
      if (prev_trade_id >= 0 && t->trade_id != prev_trade_id + 1) ++jumps;
      prev_trade_id = t->trade_id;
    }
  }
  EXPECT_EQ(s.code(), Code::kEndOfData);
  EXPECT_EQ(n, 41249u + 58325u);
  EXPECT_EQ(r.events_read(), n);
  EXPECT_EQ(jumps, 0u);  // the trade ids continue across the file boundary too
  EXPECT_EQ(backwards, 0u);
  // 0808 is 1,274,097 of 3,028,184 compressed bytes (0.42); zlib reads ahead up to its
  // 256 KB input buffer (+0.087) when the second file's first chunk is decompressed.
  EXPECT_GT(progress_at_switch, 0.42);
  EXPECT_LT(progress_at_switch, 0.51);
  EXPECT_DOUBLE_EQ(r.progress(), 1.0);
  EXPECT_EQ(r.next(ev).code(), Code::kEndOfData);  // stays at the end
}

TEST(CaptureReplay, FirstLinesDecodeExactly) {
  auto reader = CaptureReader::open({kSpotBtc0808});
  ASSERT_TRUE(reader.ok());
  MarketEvent ev;
  ASSERT_TRUE((*reader)->next(ev).ok());
  EXPECT_EQ(ev.ts_recv_ns, 1723161253937085768);
  EXPECT_EQ(ev.symbol, "BTCUSDT");
  const auto& d = std::get<DepthDiff>(ev.body);
  EXPECT_EQ(d.first_update_id, 50093239189);
  EXPECT_EQ(d.final_update_id, 50093239202);
  EXPECT_EQ(d.prev_final_update_id, -1);
  EXPECT_EQ(d.ts_exchange_ns, 1723161255208'000'000);
  ASSERT_EQ(d.bids.size(), 3u);
  EXPECT_EQ(d.bids[0].price_e8, 6173763000000);
  EXPECT_EQ(d.bids[0].qty_e8, 0);
  EXPECT_EQ(d.asks[0].price_e8, 6183764000000);
  EXPECT_EQ(d.asks[0].qty_e8, 154698000);
  for (int i = 0; i < 2; ++i) ASSERT_TRUE((*reader)->next(ev).ok());
  const auto& k = std::get<BookTicker>(ev.body);  // line 3
  EXPECT_EQ(k.update_id, 50093239212);
  EXPECT_EQ(k.bid_price_e8, 6183763000000);
  EXPECT_EQ(k.bid_qty_e8, 378826000);
  EXPECT_EQ(k.ask_price_e8, 6183764000000);
  EXPECT_EQ(k.ask_qty_e8, 154698000);
  EXPECT_EQ(k.ts_exchange_ns, 0);
  ASSERT_TRUE((*reader)->next(ev).ok());
  const auto& t = std::get<Trade>(ev.body);  // line 4
  EXPECT_EQ(t.trade_id, 3735683259);
  EXPECT_EQ(t.price_e8, 6183763000000);
  EXPECT_EQ(t.qty_e8, 2000000);
  EXPECT_TRUE(t.buyer_is_maker);
  EXPECT_EQ(t.ts_exchange_ns, 1723161255342'000'000);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE((*reader)->next(ev).ok());
  const auto& snap = std::get<DepthSnapshot>(ev.body);  // line 8
  EXPECT_EQ(ev.symbol, "BTCUSDT");  // none on the line: the file's (capture.h)
  EXPECT_EQ(ev.ts_recv_ns, 1723161254206652067);
  EXPECT_EQ(snap.last_update_id, 50093239218);
  ASSERT_EQ(snap.bids.size(), 1000u);
  ASSERT_EQ(snap.asks.size(), 1000u);
  EXPECT_EQ(snap.bids[0].price_e8, 6183763000000);
  EXPECT_EQ(snap.bids[0].qty_e8, 378826000);
  EXPECT_EQ(snap.asks[0].price_e8, 6183764000000);
  for (size_t i = 1; i < 1000; ++i) {
    ASSERT_LT(snap.bids[i].price_e8, snap.bids[i - 1].price_e8);  // best first
    ASSERT_GT(snap.asks[i].price_e8, snap.asks[i - 1].price_e8);
  }
}

TEST(Decode, UsdmMessages) {
  // Verbatim lines 1-2 and 55 (the snapshot, shortened to two levels) of usdm/btcusdt_20240808.
  auto diff = decode_capture_line(
      R"(1723161255030314667 {"stream":"btcusdt@depth@0ms","data":{"e":"depthUpdate","E":1723161256299,"T":1723161256298,"s":"BTCUSDT","U":5123107832006,"u":5123107837557,"pu":5123107831937,"b":[["58710.20","0.014"],["61510.90","0.000"]],"a":[]}})");
  ASSERT_TRUE(diff.ok()) << diff.status().ToString();
  const auto& d = std::get<DepthDiff>(diff->body);
  EXPECT_EQ(d.prev_final_update_id, 5123107831937);
  EXPECT_EQ(d.bids[0].price_e8, 5871020000000);
  EXPECT_EQ(d.bids[0].qty_e8, 1400000);
  EXPECT_EQ(d.bids[1].qty_e8, 0);
  EXPECT_TRUE(d.asks.empty());
  auto tick = decode_capture_line(
      R"(1723161255088169167 {"stream":"btcusdt@bookTicker","data":{"e":"bookTicker","u":5123107839020,"s":"BTCUSDT","b":"61800.20","B":"2.507","a":"61800.30","A":"2.510","T":1723161256313,"E":1723161256313}})");
  ASSERT_TRUE(tick.ok()) << tick.status().ToString();
  EXPECT_EQ(std::get<BookTicker>(tick->body).ts_exchange_ns, 1723161256313'000'000);
  EXPECT_EQ(std::get<BookTicker>(tick->body).ask_qty_e8, 251000000);
  auto snap = decode_capture_line(
      R"(1723161255319702566 {"lastUpdateId":5123107852948,"E":1723161256501,"T":1723161256493,"bids":[["61800.20","2.909"],["61800.10","0.696"]],"asks":[["61800.30","1.5"]]})");
  ASSERT_TRUE(snap.ok()) << snap.status().ToString();
  EXPECT_EQ(std::get<DepthSnapshot>(snap->body).last_update_id, 5123107852948);
  EXPECT_EQ(std::get<DepthSnapshot>(snap->body).bids.size(), 2u);
}

TEST(Decode, AggTradeAndUnhandledStreams) {
  auto agg = decode_message(
      R"({"stream":"nknusdt@aggTrade","data":{"e":"aggTrade","E":1633998512500,"s":"NKNUSDT","a":12345,"p":"0.35130000","q":"100.00000000","f":100,"l":105,"T":1633998512499,"m":false,"M":true}})",
      42);
  ASSERT_TRUE(agg.ok()) << agg.status().ToString();
  EXPECT_EQ(agg->ts_recv_ns, 42);
  const auto& t = std::get<Trade>(agg->body);
  EXPECT_EQ(t.trade_id, 12345);
  EXPECT_EQ(t.price_e8, 35130000);
  EXPECT_FALSE(t.buyer_is_maker);
  EXPECT_EQ(t.ts_exchange_ns, 1633998512499'000'000);
  auto kline = decode_message(R"({"stream":"nknusdt@kline_1m","data":{"e":"kline"}})", 0);
  EXPECT_EQ(kline.status().code(), Code::kNotFound);
  EXPECT_EQ(kline.status().message(), "stream not handled: nknusdt@kline_1m");
  auto partial = decode_message(R"({"stream":"btcusdt@depth20@100ms","data":{}})", 0);
  EXPECT_EQ(partial.status().code(), Code::kNotFound);
}

// Decodes `json` and expects kInvalidArgument whose message starts with `field`.
void expect_error(std::string_view json, std::string_view field) {
  auto r = decode_message(json, 0);
  ASSERT_FALSE(r.ok()) << json;
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << r.status().ToString();
  EXPECT_EQ(r.status().message().substr(0, field.size()), field) << r.status().ToString();
}

TEST(Decode, MalformedMessagesNameTheField) {
  const std::string depth_head = R"({"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate",)";
  expect_error(depth_head +
                   R"("E":1,"s":"BTCUSDT","U":1,"u":2,"b":[["1","1"],["1","1"],["1","1"],["6183x.1","1"]],"a":[]}})",
               "data.b[3][0]: '6183x.1' is not a decimal");
  expect_error(depth_head + R"("E":1,"s":"BTCUSDT","u":2,"b":[],"a":[]}})", "data.U: missing");
  expect_error(depth_head + R"("E":"1","s":"BTCUSDT","U":1,"u":2,"b":[],"a":[]}})",
               "data.E: not an int64");
  expect_error(depth_head + R"("E":1,"s":"BTCUSDT","U":3,"u":2,"b":[],"a":[]}})",
               "data.U: greater than u");
  expect_error(depth_head + R"("E":1,"s":"BTCUSDT","U":1,"u":2,"b":[],"a":[["1"]]}})",
               "data.a[0]: not a [price, qty] pair");
  expect_error(depth_head + R"("E":1,"s":"BTCUSDT","U":1,"u":2,"b":[],"a":[["1",1]]}})",
               "data.a[0][1]: not a string");
  expect_error(depth_head + R"("E":1,"s":"BTCUSDT","U":1,"u":2,"b":[],"a":[["1","-1"]]}})",
               "data.a[0][1]: negative");
  expect_error(depth_head + R"("E":1,"s":"BTCUSDT","U":1,"u":2,"b":{},"a":[]}})",
               "data.b: not an array");
  expect_error(R"({"stream":"btcusdt@depth","data":{"e":"trade","E":1,"s":"X","U":1,"u":2}})",
               "data.e: expected 'depthUpdate'");
  expect_error(R"({"stream":"btcusdt@bookTicker","data":{"u":1,"s":"BTCUSDT","b":"1.0","B":"1","a":"2","A":1}})",
               "data.A: not a string");
  expect_error(R"({"stream":"btcusdt@bookTicker","data":{"u":1,"b":"1.0","B":"1","a":"2","A":"1"}})",
               "data.s: missing");
  expect_error(R"({"stream":"btcusdt@trade","data":{"e":"trade","E":1,"s":"B","t":1,"p":"1","q":"0.123456789","T":1,"m":true}})",
               "data.q: '0.123456789' is not a decimal");
  expect_error(R"({"stream":"btcusdt@trade","data":{"e":"trade","E":1,"s":"B","t":1,"p":"1","q":"1","T":1,"m":1}})",
               "data.m: not a bool");
  expect_error(R"({"stream":"btcusdt@trade","data":{"e":"trade","E":1,"s":"B","t":1,"p":"1","q":"1","T":-5,"m":true}})",
               "data.T: timestamp out of range");
  expect_error(R"({"stream":"btcusdt@trade"})", "data: missing");
  expect_error(R"({"stream":7,"data":{}})", "stream: not a string");
  expect_error(R"({"lastUpdateId":5,"bids":[["1","2"]],"asks":[["x","1"]]})",
               "asks[0][0]: 'x' is not a decimal");
  expect_error(R"({"lastUpdateId":5,"bids":[]})", "asks: missing");
  expect_error(R"({"result":null,"id":1})", "stream: missing");
  expect_error(R"({"stream":"btcusdt@trade","data":{)", "json: ");
  expect_error(R"([1,2])", "json: not an object");
}

TEST(Decode, MalformedCaptureLines) {
  EXPECT_EQ(decode_capture_line(R"({"lastUpdateId":1,"bids":[],"asks":[]})").status().message(),
            "recv_ns: expected '<recv_ns> <json>'");
  EXPECT_FALSE(decode_capture_line("123").ok());
  EXPECT_FALSE(decode_capture_line("99999999999999999999 {}").ok());
  auto ok = decode_capture_line("17 {\"lastUpdateId\":1,\"bids\":[],\"asks\":[]}\r\n");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->ts_recv_ns, 17);
}

// cryptofeed playback: "<recv_unix_ts_float>: <json>" after a header line (data/README.md).
std::map<std::string, uint64_t> decode_cryptofeed(const std::string& path, uint64_t& not_handled) {
  std::ifstream in(path);
  std::string line;
  std::map<std::string, uint64_t> kinds;
  std::getline(in, line);  // "<ws url> <-> <connect_ts>"
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const size_t sep = line.find(": ");
    EXPECT_NE(sep, std::string::npos) << line;
    if (sep == std::string::npos) continue;
    auto ev = decode_message(std::string_view(line).substr(sep + 2), 0);
    if (ev.status().code() == Code::kNotFound) {
      EXPECT_NE(ev.status().message().find("@kline_1m"), std::string::npos);
      ++not_handled;
      continue;
    }
    EXPECT_TRUE(ev.ok()) << ev.status().ToString() << " in " << line.substr(0, 200);
    if (ev.ok()) ++kinds[std::to_string(ev->body.index()) + ":" + ev->symbol];
  }
  return kinds;
}

TEST(Decode, CryptofeedSpotCapture) {
  uint64_t klines = 0;
  auto kinds = decode_cryptofeed(kData + "/cryptofeed/BINANCE.ws.1.0", klines);
  EXPECT_EQ(klines, 2u);               // nknusdt, lrcbtc kline_1m
  EXPECT_EQ(kinds["0:NKNUSDT"], 150u);  // depth diffs
  EXPECT_EQ(kinds["0:LRCBTC"], 15u);
  EXPECT_EQ(kinds["0:BLZETH"], 10u);
  EXPECT_EQ(kinds["0:RUNEEUR"], 2u);
  EXPECT_EQ(kinds["2:NKNUSDT"], 74u);  // bookTickers
  EXPECT_EQ(kinds["3:NKNUSDT"], 1u);   // aggTrades
  EXPECT_EQ(kinds["3:LRCBTC"], 1u);
}

TEST(Decode, CryptofeedFuturesCapture) {
  uint64_t klines = 0;
  auto kinds = decode_cryptofeed(kData + "/cryptofeed/BINANCE_FUTURES.ws.1.0", klines);
  EXPECT_EQ(klines, 8u + 32u + 5u + 22u);
  EXPECT_EQ(kinds["0:SUSHIUSDT"], 255u);
  EXPECT_EQ(kinds["2:SUSHIUSDT"], 305u);
  EXPECT_EQ(kinds["3:SUSHIUSDT"], 40u);
  EXPECT_EQ(kinds["0:CTKUSDT"], 185u);
  EXPECT_EQ(kinds["3:CTKUSDT"], 38u);
}

TEST(Decode, CryptofeedRestSnapshots) {
  for (const char* name : {"BINANCE.http.0.0", "BINANCE_FUTURES.http.0.0"}) {
    std::ifstream in(kData + "/cryptofeed/" + name);
    std::string line;
    int snapshots = 0;
    while (std::getline(in, line)) {
      const size_t sep = line.find(": {");
      if (sep == std::string::npos) continue;
      auto ev = decode_message(std::string_view(line).substr(sep + 2), 0);
      ASSERT_TRUE(ev.ok()) << ev.status().ToString();
      const auto& snap = std::get<DepthSnapshot>(ev->body);
      EXPECT_GT(snap.last_update_id, 0);
      EXPECT_FALSE(snap.bids.empty());
      ++snapshots;
    }
    EXPECT_EQ(snapshots, 4) << name;
  }
}

// ---- CaptureReader on synthetic files ----

std::string write_gz(const std::string& name, const std::string& content) {
  const std::string path =
      (std::filesystem::temp_directory_path() / ("keel_market_test_" + name)).string();
  gzFile gz = gzopen(path.c_str(), "wb");
  EXPECT_NE(gz, nullptr);
  gzwrite(gz, content.data(), static_cast<unsigned>(content.size()));
  gzclose(gz);
  return path;
}

TEST(CaptureReader, MissingFileIsNotFound) {
  auto r = CaptureReader::open({kSpotBtc0808, "/nonexistent/keel.gz"});
  EXPECT_EQ(r.status().code(), Code::kNotFound);
  EXPECT_NE(r.status().message().find("/nonexistent/keel.gz"), std::string::npos);
}

TEST(CaptureReader, MalformedLineNamesFileAndLine) {
  const std::string path = write_gz(
      "bad.gz",
      "1 {\"stream\":\"x@kline_1m\",\"data\":{}}\n"
      "2 {\"lastUpdateId\":1,\"bids\":[],\"asks\":[]}\n"
      "3 {\"lastUpdateId\":2,\"bids\":[[\"1\",\"2\"]],\"asks\":[[\"1\",\"z\"]]}\n");
  auto r = CaptureReader::open({path});
  ASSERT_TRUE(r.ok());
  MarketEvent ev;
  ASSERT_TRUE((*r)->next(ev).ok());  // line 1 (kline) skipped, line 2 read
  EXPECT_EQ(ev.ts_recv_ns, 2);
  Status s = (*r)->next(ev);
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_EQ(s.message().rfind(path + ":3: asks[0][1]: 'z' is not a decimal", 0), 0u)
      << s.message();
  std::filesystem::remove(path);
}

TEST(CaptureReader, LongLinesAndMissingFinalNewline) {
  // A 5000-level snapshot (~230 KB line, several read chunks) and a last line without '\n'.
  std::string snap = "7 {\"lastUpdateId\":9,\"bids\":[";
  for (int i = 0; i < 5000; ++i) snap += (i ? "," : "") + std::string("[\"61837.63000000\",\"1.5\"]");
  snap += "],\"asks\":[]}\n";
  std::string content;
  for (int i = 0; i < 20; ++i) content += snap;
  content += "8 {\"lastUpdateId\":10,\"bids\":[],\"asks\":[]}";
  const std::string path = write_gz("long.gz", content);
  auto r = CaptureReader::open({path});
  ASSERT_TRUE(r.ok());
  MarketEvent ev;
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE((*r)->next(ev).ok());
    ASSERT_EQ(std::get<DepthSnapshot>(ev.body).bids.size(), 5000u);
  }
  ASSERT_TRUE((*r)->next(ev).ok());
  EXPECT_EQ(std::get<DepthSnapshot>(ev.body).last_update_id, 10);
  EXPECT_EQ((*r)->next(ev).code(), Code::kEndOfData);
  EXPECT_EQ((*r)->events_read(), 21u);
  std::filesystem::remove(path);
}

TEST(CaptureReader, TruncatedGzipIsAnIOError) {
  std::ifstream in(kSpotBtc0808, std::ios::binary);
  std::string bytes(200'000, '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  const std::string path =
      (std::filesystem::temp_directory_path() / "keel_market_test_truncated.gz").string();
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  auto r = CaptureReader::open({path});
  ASSERT_TRUE(r.ok());
  MarketEvent ev;
  Status s;
  uint64_t n = 0;
  while ((s = (*r)->next(ev)).ok()) ++n;
  EXPECT_GT(n, 1000u);
  // The cut may fall inside a line (a malformed last line) or zlib reports the missing tail.
  EXPECT_TRUE(s.code() == Code::kIOError || s.code() == Code::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find(path), std::string::npos) << s.ToString();
  std::filesystem::remove(path);
}

// Prints the decode rate (no assertion on time: machines differ).
TEST(CaptureReader, DecodeRate) {
  auto r = CaptureReader::open({kSpotBtc0808});
  ASSERT_TRUE(r.ok());
  MarketEvent ev;
  const auto t0 = std::chrono::steady_clock::now();
  while ((*r)->next(ev).ok()) {
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("[ rate     ] %llu events in %.3f s = %.0f events/s (btcusdt_20240808.gz)\n",
              static_cast<unsigned long long>((*r)->events_read()), s,
              static_cast<double>((*r)->events_read()) / s);
  EXPECT_EQ((*r)->events_read(), 41249u);
}

}  // namespace
}  // namespace keel::market
