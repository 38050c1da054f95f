// CaptureReader over several files: the k-way merge by receive time (capture.h), on the real
// recordings of ../shared/data (data/README.md) and on small synthetic files for the tie and
// symbol rules.
#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "keel/market/capture.h"

namespace keel::market {
namespace {

const std::string kSpot = std::string(KEEL_SHARED_DIR) + "/data/binance/spot/";
const std::string kBtc0808 = kSpot + "btcusdt_20240808.gz";
const std::string kBtc0809 = kSpot + "btcusdt_20240809.gz";
const std::string kEth0808 = kSpot + "ethusdt_20240808.gz";

// What identifies one event: receive time, symbol, kind, and the kind's own sequence number.
using Key = std::tuple<int64_t, std::string, size_t, int64_t>;

Key key_of(const MarketEvent& ev) {
  int64_t id = 0;
  if (const auto* d = std::get_if<DepthDiff>(&ev.body)) id = d->final_update_id;
  if (const auto* s = std::get_if<DepthSnapshot>(&ev.body)) id = s->last_update_id;
  if (const auto* k = std::get_if<BookTicker>(&ev.body)) id = k->update_id;
  if (const auto* t = std::get_if<Trade>(&ev.body)) id = t->trade_id;
  return {ev.ts_recv_ns, ev.symbol, ev.body.index(), id};
}

struct Pass {
  std::vector<Key> keys;
  std::vector<std::string> files;  // current_file() after each event
  std::vector<double> progress;    // sampled every 1000 events, then at the end
  uint64_t events_read = 0;
  Status end;
};

Pass read_all(const std::vector<std::string>& files) {
  Pass p;
  auto reader = CaptureReader::open(files);
  EXPECT_TRUE(reader.ok()) << reader.status().ToString();
  if (!reader.ok()) return p;
  CaptureReader& r = **reader;
  MarketEvent ev;
  while ((p.end = r.next(ev)).ok()) {
    p.keys.push_back(key_of(ev));
    p.files.push_back(r.current_file());
    if (p.keys.size() % 1000 == 0) p.progress.push_back(r.progress());
  }
  p.progress.push_back(r.progress());
  p.events_read = r.events_read();
  return p;
}

// The events of `merged` whose file is `file`, in merged order.
std::vector<Key> of_file(const Pass& merged, const std::string& file) {
  std::vector<Key> out;
  for (size_t i = 0; i < merged.keys.size(); ++i) {
    if (merged.files[i] == file) out.push_back(merged.keys[i]);
  }
  return out;
}

TEST(CaptureMerge, BtcDaysThatContinueEachOtherPlayAsTheirConcatenation) {
  const Pass a = read_all({kBtc0808});
  const Pass b = read_all({kBtc0809});
  ASSERT_EQ(a.keys.size(), 41249u);
  ASSERT_EQ(b.keys.size(), 58325u);
  // Their receive times do not overlap: the merge cannot interleave them.
  EXPECT_LT(std::get<0>(a.keys.back()), std::get<0>(b.keys.front()));
  const Pass m = read_all({kBtc0808, kBtc0809});
  EXPECT_EQ(m.end.code(), Code::kEndOfData);
  std::vector<Key> concat = a.keys;
  concat.insert(concat.end(), b.keys.begin(), b.keys.end());
  EXPECT_TRUE(m.keys == concat);
  EXPECT_EQ(m.events_read, concat.size());
  EXPECT_EQ(m.files[41248], kBtc0808);
  EXPECT_EQ(m.files[41249], kBtc0809);
  EXPECT_TRUE(std::is_sorted(m.progress.begin(), m.progress.end()));
  EXPECT_DOUBLE_EQ(m.progress.back(), 1.0);
}

TEST(CaptureMerge, TwoSymbolsInterleaveByReceiveTime) {
  const Pass btc = read_all({kBtc0808});
  const Pass eth = read_all({kEth0808});
  const Pass m = read_all({kBtc0808, kEth0808});
  EXPECT_EQ(m.end.code(), Code::kEndOfData);
  EXPECT_EQ(m.keys.size(), btc.keys.size() + eth.keys.size());  // 41249 + 33618
  EXPECT_EQ(m.keys.size(), 74867u);
  EXPECT_EQ(m.events_read, m.keys.size());
  // Non-decreasing receive time over the whole merge.
  uint64_t backwards = 0, switches = 0;
  std::map<std::string, uint64_t> per_symbol;
  for (size_t i = 0; i < m.keys.size(); ++i) {
    ++per_symbol[std::get<1>(m.keys[i])];
    if (i == 0) continue;
    if (std::get<0>(m.keys[i]) < std::get<0>(m.keys[i - 1])) ++backwards;
    if (m.files[i] != m.files[i - 1]) ++switches;
  }
  EXPECT_EQ(backwards, 0u);
  EXPECT_GT(switches, 10'000u);  // really interleaved, not one file then the other
  // Each file's events keep their file's order, and come from the file of their symbol.
  EXPECT_TRUE(of_file(m, kBtc0808) == btc.keys);
  EXPECT_TRUE(of_file(m, kEth0808) == eth.keys);
  EXPECT_EQ(per_symbol.size(), 2u);  // no symbol-less snapshot
  EXPECT_EQ(per_symbol["BTCUSDT"], 41249u);
  EXPECT_EQ(per_symbol["ETHUSDT"], 33618u);
  for (size_t i = 0; i < m.keys.size(); ++i) {
    const bool btc_file = m.files[i] == kBtc0808;
    ASSERT_EQ(std::get<1>(m.keys[i]), btc_file ? "BTCUSDT" : "ETHUSDT") << i;
  }
  EXPECT_TRUE(std::is_sorted(m.progress.begin(), m.progress.end()));
  EXPECT_DOUBLE_EQ(m.progress.back(), 1.0);
}

TEST(CaptureMerge, SnapshotLinesGetTheirFilesSymbol) {
  auto reader = CaptureReader::open({kBtc0808, kEth0808});
  ASSERT_TRUE(reader.ok());
  MarketEvent ev;
  std::map<std::string, int64_t> snapshots;  // symbol -> lastUpdateId
  while ((*reader)->next(ev).ok()) {
    if (const auto* s = std::get_if<DepthSnapshot>(&ev.body)) {
      snapshots[ev.symbol] = s->last_update_id;
      EXPECT_EQ((*reader)->current_file(), ev.symbol == "BTCUSDT" ? kBtc0808 : kEth0808);
    }
  }
  ASSERT_EQ(snapshots.size(), 2u);
  EXPECT_EQ(snapshots["BTCUSDT"], 50093239218);  // data/README.md: line 8 of the BTC file
  EXPECT_EQ(snapshots["ETHUSDT"], 35346513512);
}

TEST(CaptureMerge, ThreeFilesCountTheirSum) {
  const Pass m = read_all({kBtc0808, kEth0808, kBtc0809});
  EXPECT_EQ(m.end.code(), Code::kEndOfData);
  EXPECT_EQ(m.keys.size(), 41249u + 33618u + 58325u);
  EXPECT_EQ(m.events_read, m.keys.size());
  for (size_t i = 1; i < m.keys.size(); ++i) {
    ASSERT_LE(std::get<0>(m.keys[i - 1]), std::get<0>(m.keys[i])) << i;
  }
}

// ---- synthetic files ----

std::string write_gz(const std::string& name, const std::string& content) {
  const std::string path =
      (std::filesystem::temp_directory_path() / ("keel_capture_merge_" + name)).string();
  gzFile gz = gzopen(path.c_str(), "wb");
  EXPECT_NE(gz, nullptr);
  gzwrite(gz, content.data(), static_cast<unsigned>(content.size()));
  gzclose(gz);
  return path;
}

std::string trade_line(int64_t recv, const std::string& symbol, int64_t id) {
  std::string lower = symbol;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return std::to_string(recv) + " {\"stream\":\"" + lower + "@trade\",\"data\":{\"e\":\"trade\"," +
         "\"E\":1,\"s\":\"" + symbol + "\",\"t\":" + std::to_string(id) +
         ",\"p\":\"1.00000000\",\"q\":\"1.00000000\",\"T\":1,\"m\":true,\"M\":true}}\n";
}

std::string snapshot_line(int64_t recv, int64_t last_update_id) {
  return std::to_string(recv) + " {\"lastUpdateId\":" + std::to_string(last_update_id) +
         ",\"bids\":[[\"1.0\",\"2.0\"]],\"asks\":[[\"1.1\",\"2.0\"]]}\n";
}

std::vector<std::pair<std::string, int64_t>> symbol_and_id(const std::vector<std::string>& files) {
  std::vector<std::pair<std::string, int64_t>> out;
  auto r = CaptureReader::open(files);
  EXPECT_TRUE(r.ok());
  if (!r.ok()) return out;
  MarketEvent ev;
  Status s;
  while ((s = (*r)->next(ev)).ok()) out.emplace_back(ev.symbol, std::get<3>(key_of(ev)));
  EXPECT_EQ(s.code(), Code::kEndOfData) << s.ToString();
  return out;
}

TEST(CaptureMerge, EqualReceiveTimesGoInFileOrder) {
  const std::string a = write_gz("tie_a.gz", trade_line(5, "AAAUSDT", 1) +
                                                 trade_line(7, "AAAUSDT", 2));
  const std::string b = write_gz("tie_b.gz", trade_line(5, "BBBUSDT", 10) +
                                                 trade_line(6, "BBBUSDT", 11) +
                                                 trade_line(7, "BBBUSDT", 12));
  using V = std::vector<std::pair<std::string, int64_t>>;
  EXPECT_EQ(symbol_and_id({a, b}), (V{{"AAAUSDT", 1}, {"BBBUSDT", 10}, {"BBBUSDT", 11},
                                      {"AAAUSDT", 2}, {"BBBUSDT", 12}}));
  EXPECT_EQ(symbol_and_id({b, a}), (V{{"BBBUSDT", 10}, {"AAAUSDT", 1}, {"BBBUSDT", 11},
                                      {"BBBUSDT", 12}, {"AAAUSDT", 2}}));
  std::filesystem::remove(a);
  std::filesystem::remove(b);
}

TEST(CaptureMerge, FileOrderIsKeptEvenWhenReceiveTimeGoesBack) {
  // Each file is read in its own order (never re-sorted): the merge compares heads only.
  const std::string a = write_gz("back_a.gz", trade_line(9, "AAAUSDT", 1) +
                                                  trade_line(3, "AAAUSDT", 2));
  const std::string b = write_gz("back_b.gz", trade_line(5, "BBBUSDT", 10));
  using V = std::vector<std::pair<std::string, int64_t>>;
  EXPECT_EQ(symbol_and_id({a, b}), (V{{"BBBUSDT", 10}, {"AAAUSDT", 1}, {"AAAUSDT", 2}}));
  std::filesystem::remove(a);
  std::filesystem::remove(b);
}

TEST(CaptureMerge, SnapshotBeforeAnyStreamLineTakesTheNextOnesSymbol) {
  const std::string a = write_gz("snap_a.gz", snapshot_line(1, 100) + snapshot_line(2, 101) +
                                                  trade_line(3, "AAAUSDT", 1) +
                                                  snapshot_line(4, 102));
  const std::string b = write_gz("snap_b.gz", trade_line(2, "BBBUSDT", 7) +
                                                  snapshot_line(3, 200));
  using V = std::vector<std::pair<std::string, int64_t>>;
  EXPECT_EQ(symbol_and_id({a, b}), (V{{"AAAUSDT", 100}, {"AAAUSDT", 101}, {"BBBUSDT", 7},
                                      {"AAAUSDT", 1}, {"BBBUSDT", 200}, {"AAAUSDT", 102}}));
  // A file of snapshots only has no symbol to give them.
  const std::string c = write_gz("snap_c.gz", snapshot_line(1, 300));
  EXPECT_EQ(symbol_and_id({c}), (V{{"", 300}}));
  for (const auto& p : {a, b, c}) std::filesystem::remove(p);
}

TEST(CaptureMerge, AnErrorInOneFileStopsTheMergeAndStays) {
  const std::string a = write_gz("err_a.gz", trade_line(1, "AAAUSDT", 1) +
                                                 trade_line(5, "AAAUSDT", 2));
  const std::string b = write_gz("err_b.gz", trade_line(2, "BBBUSDT", 1) + "3 {\"stream\"\n");
  auto r = CaptureReader::open({a, b});
  ASSERT_TRUE(r.ok());
  MarketEvent ev;
  ASSERT_TRUE((*r)->next(ev).ok());  // a:1
  ASSERT_TRUE((*r)->next(ev).ok());  // b:1; b's next line is read at once, and is malformed
  EXPECT_EQ(ev.symbol, "BBBUSDT");
  Status s = (*r)->next(ev);
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_EQ(s.message().rfind(b + ":2: ", 0), 0u) << s.message();
  EXPECT_EQ((*r)->next(ev).code(), Code::kInvalidArgument);  // sticky
  EXPECT_EQ((*r)->events_read(), 2u);
  std::filesystem::remove(a);
  std::filesystem::remove(b);
}

}  // namespace
}  // namespace keel::market
