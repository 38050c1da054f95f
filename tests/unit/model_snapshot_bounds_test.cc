// Bounded snapshot decoding (issue 4): a snapshot whose CRC matches but whose payload lies about
// a size is refused as kCorruption before anything of that size is allocated, and the format is
// the one the encoder has always written (cereal PortableBinary), so existing snapshots decode.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <string>
#include <string_view>

#include "keel/model/snapshot.h"

// ---- allocation probe: the largest single allocation while armed -----------------------------
// Replaces the global operator new of this test binary. Anything above kRefuse throws
// std::bad_alloc instead of reaching malloc, so a regression fails the test without taking the
// machine's memory (or tripping ASan's allocation-size-too-big abort).
namespace {
std::atomic<bool> g_armed{false};
std::atomic<size_t> g_largest{0};
constexpr size_t kRefuse = size_t{1} << 30;

void* probed_alloc(size_t n) {
  if (g_armed.load(std::memory_order_relaxed)) {
    size_t prev = g_largest.load(std::memory_order_relaxed);
    while (n > prev && !g_largest.compare_exchange_weak(prev, n)) {
    }
    if (n > kRefuse) throw std::bad_alloc();
  }
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
}  // namespace

void* operator new(size_t n) { return probed_alloc(n); }
void* operator new[](size_t n) { return probed_alloc(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }

namespace keel::model {
namespace {

// Runs decode_state with the probe armed; returns the result and the largest allocation.
struct Probed {
  Result<State> result;
  size_t largest = 0;
};
Probed probed_decode(const std::string& bytes) {
  g_largest = 0;
  g_armed = true;
  Result<State> r = decode_state(bytes);
  g_armed = false;
  return Probed{std::move(r), g_largest.load()};
}

// zlib's CRC-32 (reflected, polynomial 0xEDB88320), written out so the test does not share the
// implementation it checks against.
uint32_t crc32_of(std::string_view bytes) {
  uint32_t c = 0xFFFFFFFFu;
  for (unsigned char b : bytes) {
    c ^= b;
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
  }
  return c ^ 0xFFFFFFFFu;
}

// "KSNP" version 8, the payload's CRC (little endian), the payload: a snapshot the CRC accepts.
std::string seal(const std::string& payload) {
  std::string out = "KSNP";
  out += '\x08';
  const uint32_t crc = crc32_of(payload);
  for (int i = 0; i < 4; ++i) out += static_cast<char>((crc >> (8 * i)) & 0xff);
  return out + payload;
}
constexpr size_t kHeader = 9;

std::string u64le(uint64_t v) {
  std::string s;
  for (int i = 0; i < 8; ++i) s += static_cast<char>((v >> (8 * i)) & 0xff);
  return s;
}

// A state with one task holding a slot, an order, a closed order, a trade id and markers whose
// bytes are easy to find in the payload.
constexpr char kParamsMarker[] = "PARAMS_MARKER_0123456789";
constexpr char kOrderMarker[] = "k1-ORDER_MARKER";
constexpr int64_t kTradeMarker = 0x1122334455667788;
State rich_state() {
  State s;
  TaskState& t = s.tasks["g"];
  t.id = "g";
  t.config.strategy = "grid";
  t.config.symbol = "BTCUSDT";
  t.config.base_asset = "BTC";
  t.config.quote_asset = "USDT";
  t.config.tick_e8 = 1'000'000;
  t.config.step_e8 = 1'000;
  t.config.min_notional_e8 = 500'000'000;
  t.config.params_yaml = kParamsMarker;
  t.instrument.symbol = "BTCUSDT";
  t.instrument.base_asset = "BTC";
  t.instrument.quote_asset = "USDT";
  t.instrument.tick_e8 = 1'000'000;
  t.instrument.step_e8 = 1'000;
  t.instrument.min_notional_e8 = 500'000'000;
  Slot& slot = t.slots[6183000];
  slot.key = 6183000;
  slot.current_cid = kOrderMarker;
  slot.claim_e8 = 40'000;
  Order& o = t.orders[kOrderMarker];
  o.client_order_id = kOrderMarker;
  o.intent_seq = 2;
  o.slot_key = 6183000;
  o.side = Side::kSell;
  o.price_ticks = 6183000;
  o.qty_lots = 100;
  o.filled_lots = 40;
  o.order_id = 77;
  o.phase = OrderPhase::kOpen;
  o.cancel_pending = true;
  t.closed_by_seq[5] = "k1-g-3";
  t.orders_retired = 9;
  t.trade_ids.insert(kTradeMarker);
  t.last_trade_id = kTradeMarker;
  t.position.base_e8 = 40'000;
  t.position.cost_e8 = 247'320'000;
  t.claims_e8 = 40'000;
  t.fees_e8 = 5;
  t.commissions["USDT"] = 5;
  t.buys.fills = 1;
  t.mark_bid_ticks = 6183000;
  t.mark_ask_ticks = 6183100;
  t.halted = "";
  s.records = 7;
  s.last_seq = 7;
  s.recording_ended = true;
  return s;
}

// The payload of `snapshot` (after the header).
std::string payload_of(const std::string& snapshot) { return snapshot.substr(kHeader); }

size_t find_or_fail(const std::string& hay, std::string_view needle, size_t from = 0) {
  const size_t at = hay.find(needle, from);
  EXPECT_NE(at, std::string::npos) << "marker not in payload";
  return at;
}

void expect_corruption(const Probed& p, std::string_view says) {
  ASSERT_FALSE(p.result.ok());
  EXPECT_EQ(p.result.status().code(), Code::kCorruption) << p.result.status().ToString();
  const std::string& msg = p.result.status().message();
  EXPECT_EQ(msg.rfind("snapshot: ", 0), 0u) << msg;
  EXPECT_NE(msg.find(says), std::string::npos) << msg;
  // Nothing near the claimed size: the largest allocation is a small multiple of the input.
  EXPECT_LT(p.largest, size_t{1} << 20) << msg;
}

// ---- the format is unchanged ------------------------------------------------------------------

// The bytes of a small state, written out by hand from cereal PortableBinary's rules: an
// endianness byte (1: little), sizes as u64, integers little endian, bool as one byte.
TEST(SnapshotFormat, GoldenBytesOfASmallState) {
  State s;
  s.records = 3;
  s.last_seq = 3;
  s.recording_ended = true;
  model::SymbolMarks& m = s.accounts["A"].symbols["S"];
  m.baselined = true;
  m.baseline_trade_id = 5;
  m.trade_watermark = 6;
  m.scan_watermark = 7;
  m.max_order_id = 8;
  m.foreign_trade_ids = {9};
  // tasks: an empty map; epochs: an empty vector; accounts: a map of one ("A": length, text)
  // whose value is has_baseline, the baseline's symbol, last_trade_id and venue time, baseline
  // balances, the symbols' marks (a map of one: "S" -> baselined, baseline trade id, trade
  // watermark, scan watermark, max order id, foreign trade ids), own/foreign/non-trade deltas,
  // foreign fills, balance changes; then records, last_seq, recording_ended.
  const std::string marks = std::string("\x01", 1) + u64le(5) + u64le(6) + u64le(7) + u64le(8) +
                            u64le(1) + u64le(9);
  const std::string account = std::string("\x00", 1) + u64le(0) + u64le(0) + u64le(0) +
                              u64le(0) + u64le(1) + u64le(1) + "S" + marks + u64le(0) +
                              u64le(0) + u64le(0) + u64le(0) + u64le(0);
  const std::string payload = std::string("\x01", 1) + u64le(0) + u64le(0) + u64le(1) +
                              u64le(1) + "A" + account + u64le(3) + u64le(3) + "\x01";
  EXPECT_EQ(encode_state(s), seal(payload));
  auto back = decode_state(seal(payload));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->last_seq, 3u);
  EXPECT_TRUE(back->recording_ended);
}

TEST(SnapshotFormat, RichStateRoundTripsByteForByte) {
  const State s = rich_state();
  const std::string bytes = encode_state(s);
  auto p = probed_decode(bytes);
  ASSERT_TRUE(p.result.ok()) << p.result.status().ToString();
  EXPECT_EQ(encode_state(*p.result), bytes);
  const TaskState& t = p.result->tasks.at("g");
  EXPECT_EQ(t.config.params_yaml, kParamsMarker);
  EXPECT_EQ(t.orders.at(kOrderMarker).side, Side::kSell);
  EXPECT_EQ(t.orders.at(kOrderMarker).phase, OrderPhase::kOpen);
  EXPECT_TRUE(t.orders.at(kOrderMarker).cancel_pending);
  EXPECT_EQ(t.trade_ids.count(kTradeMarker), 1u);
  EXPECT_EQ(t.slots.at(6183000).claim_e8, 40'000);
  EXPECT_EQ(t.position.cost_e8, 247'320'000);
  EXPECT_EQ(t.closed_by_seq.at(5), "k1-g-3");
  EXPECT_EQ(t.mark_ask_ticks, 6183100);
  EXPECT_TRUE(p.result->recording_ended);
}

// ---- sizes that lie ---------------------------------------------------------------------------

// The fuzz finding: a string (here the task's params_yaml) claims 64 GiB behind a valid CRC.
TEST(SnapshotBounds, HugeStringLengthIsCorruptionWithoutAllocating) {
  std::string payload = payload_of(encode_state(rich_state()));
  const size_t at = find_or_fail(payload, kParamsMarker);
  payload.replace(at - 8, 8, u64le(uint64_t{1} << 36));
  expect_corruption(probed_decode(seal(payload)), "exceeds");
}

TEST(SnapshotBounds, HugeTopLevelMapIsCorruption) {
  std::string payload = payload_of(encode_state(rich_state()));
  payload.replace(1, 8, u64le(~uint64_t{0}));  // State::tasks' element count
  expect_corruption(probed_decode(seal(payload)), "exceeds");
}

TEST(SnapshotBounds, HugeNestedMapIsCorruption) {
  std::string payload = payload_of(encode_state(rich_state()));
  // TaskState::orders: its size, then the first key's length, then the key.
  const size_t key = find_or_fail(payload, kOrderMarker, find_or_fail(payload, kOrderMarker) + 1);
  payload.replace(key - 16, 8, u64le(uint64_t{1} << 40));
  expect_corruption(probed_decode(seal(payload)), "exceeds");
}

TEST(SnapshotBounds, HugeSetIsCorruption) {
  std::string payload = payload_of(encode_state(rich_state()));
  const size_t at = find_or_fail(payload, u64le(static_cast<uint64_t>(kTradeMarker)));
  ASSERT_EQ(payload.substr(at - 8, 8), u64le(1));  // TaskState::trade_ids' size
  payload.replace(at - 8, 8, u64le(uint64_t{1} << 50));
  expect_corruption(probed_decode(seal(payload)), "exceeds");
}

// A size that fits the input but not the bytes actually left: every size tag of the rich state,
// replaced one at a time by remaining+1, is refused. Sweeps every offset, so no container of the
// format is missed.
TEST(SnapshotBounds, EverySizeOneBeyondTheRestIsRefused) {
  const std::string good = payload_of(encode_state(rich_state()));
  int refused = 0;
  for (size_t at = 1; at + 8 <= good.size(); ++at) {
    std::string payload = good;
    payload.replace(at, 8, u64le(good.size() - at - 8 + 1));
    auto p = probed_decode(seal(payload));
    if (p.result.ok()) continue;  // that offset was not a size (or the value still decoded)
    EXPECT_EQ(p.result.status().code(), Code::kCorruption);
    EXPECT_LT(p.largest, size_t{1} << 20);
    if (p.result.status().message().find("exceeds") != std::string::npos) ++refused;
  }
  EXPECT_GE(refused, 10);  // at least every string and container of the rich state
}

TEST(SnapshotBounds, TruncatedPayloadIsCorruption) {
  const std::string payload = payload_of(encode_state(rich_state()));
  for (size_t n : {size_t{0}, size_t{1}, size_t{5}, payload.size() / 2, payload.size() - 1}) {
    auto p = probed_decode(seal(payload.substr(0, n)));
    ASSERT_FALSE(p.result.ok()) << n;
    EXPECT_EQ(p.result.status().code(), Code::kCorruption);
  }
}

TEST(SnapshotBounds, TrailingBytesAreCorruption) {
  const std::string payload = payload_of(encode_state(rich_state())) + "x";
  expect_corruption(probed_decode(seal(payload)), "trailing");
}

TEST(SnapshotBounds, BoolOtherThanZeroOrOneIsCorruption) {
  std::string payload = payload_of(encode_state(rich_state()));
  ASSERT_EQ(payload.back(), '\x01');  // State::recording_ended is the last byte
  payload.back() = '\x02';
  expect_corruption(probed_decode(seal(payload)), "bool");
}

TEST(SnapshotBounds, EnumOutOfRangeIsCorruption) {
  std::string payload = payload_of(encode_state(rich_state()));
  // The order value: client_order_id (length + text), intent_seq, slot_key, then side.
  const size_t key = find_or_fail(payload, kOrderMarker, find_or_fail(payload, kOrderMarker) + 1);
  const size_t value_cid = find_or_fail(payload, kOrderMarker, key + 1);
  const size_t side = value_cid + sizeof(kOrderMarker) - 1 + 16;
  ASSERT_EQ(payload[side], '\x01');  // kSell
  payload[side] = '\x07';
  expect_corruption(probed_decode(seal(payload)), "bad side");
}

TEST(SnapshotBounds, BadEndiannessByteIsCorruption) {
  std::string payload = payload_of(encode_state(rich_state()));
  payload[0] = '\x05';
  expect_corruption(probed_decode(seal(payload)), "endianness");
}

}  // namespace
}  // namespace keel::model
