// keel_journal codec: the envelope grammar, payload round trips, and that no damaged byte
// string decodes (or crashes the decoder).
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "keel/journal/codec.h"
#include "keel/journal/export.h"
#include "keel/journal/record.h"
#include "journal_samples_testutil.h"

namespace keel::journal {
namespace {

using testutil::Ctx;
using testutil::Rec;
using testutil::Samples;


// Offsets of codec.h's grammar.
constexpr size_t kTaskLenPos = 60;

size_t PayloadLenPos(const std::string& enc) {
  return kTaskLenPos + 1 + static_cast<uint8_t>(enc[kTaskLenPos]);
}

std::string PayloadOf(const std::string& enc) {
  const size_t pos = PayloadLenPos(enc);
  uint32_t len = 0;
  std::memcpy(&len, enc.data() + pos, 4);  // little-endian host (x86/arm64)
  return enc.substr(pos + 4, len);
}

void PutU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

// A record with the envelope of `enc` but another payload (and type), with a valid CRC: this
// reaches the payload decoder past the checksum, as a bug or a malicious writer could.
std::string Reframe(const std::string& enc, const std::string& payload,
                    std::optional<uint16_t> type = std::nullopt) {
  std::string out = enc.substr(0, PayloadLenPos(enc));
  if (type) {
    out[2] = static_cast<char>(*type & 0xFF);
    out[3] = static_cast<char>(*type >> 8);
  }
  PutU32(out, static_cast<uint32_t>(payload.size()));
  out += payload;
  const uLong crc =
      crc32(0L, reinterpret_cast<const Bytef*>(out.data()), static_cast<uInt>(out.size()));
  PutU32(out, static_cast<uint32_t>(crc));
  return out;
}

std::string Json(const Record& r) { return record_to_json(r, Hash{}); }

TEST(JournalCodec, RoundTripsEveryBodyType) {
  const std::vector<Record> samples = Samples();
  ASSERT_EQ(samples.size(), std::variant_size_v<Body>);
  for (const Record& r : samples) {
    SCOPED_TRACE(record_type_name(r.type()));
    const std::string bytes = encode(r);
    Result<Record> back = decode(bytes);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(back->body.index(), r.body.index());
    EXPECT_EQ(back->seq, r.seq);
    EXPECT_EQ(back->task_id, r.task_id);
    EXPECT_EQ(back->ts_local_ns, r.ts_local_ns);
    EXPECT_EQ(back->ts_exchange_ns, r.ts_exchange_ns);
    EXPECT_EQ(back->prev_hash, r.prev_hash);
    EXPECT_EQ(Json(*back), Json(r));  // every body field, by name
    EXPECT_EQ(encode(*back), bytes);  // canonical: same bytes again
  }
}

TEST(JournalCodec, BodyFieldsSurviveExactly) {
  const std::vector<Record> s = Samples();
  const auto fill = std::get<OrderFilled>(decode(encode(s[6])).value().body);
  EXPECT_EQ(fill.trade_id, 555);
  EXPECT_EQ(fill.side, Side::kBuy);
  EXPECT_EQ(fill.commission_e8, -1234);
  EXPECT_EQ(fill.commission_asset, "BNB");
  EXPECT_FALSE(fill.is_maker);
  EXPECT_EQ(fill.source, Source::kTradeHistory);
  const auto place = std::get<PlaceIntent>(decode(encode(s[1])).value().body);
  EXPECT_EQ(place.side, Side::kSell);
  EXPECT_EQ(place.ctx.reason, "grid sell level 6183000");
  EXPECT_EQ(place.ctx.best_ask_ticks, 6183800);
  const auto ended = std::get<RecordingEnded>(decode(encode(s[10])).value().body);
  EXPECT_EQ(ended.events, 18'446'744'073'709'551'615ULL);
  const auto task = std::get<TaskStarted>(decode(encode(s[0])).value().body);
  EXPECT_EQ(task.params_yaml, "levels: 10\nstep: \"0.5%\"\n");
  EXPECT_EQ(task.min_notional_e8, 500'000'000);
}

TEST(JournalCodec, EnvelopeFollowsTheGrammar) {
  const Record r = Samples()[1];
  const std::string b = encode(r);
  EXPECT_EQ(static_cast<uint8_t>(b[0]), kRecordMagic);
  EXPECT_EQ(static_cast<uint8_t>(b[1]), kFormatVersion);
  EXPECT_EQ(static_cast<uint8_t>(b[2]), 2);  // PlaceIntent, little-endian u16
  EXPECT_EQ(static_cast<uint8_t>(b[3]), 0);
  EXPECT_EQ(static_cast<uint8_t>(b[4]), 2);  // seq
  EXPECT_EQ(std::memcmp(b.data() + 28, r.prev_hash.data(), 32), 0);
  EXPECT_EQ(static_cast<uint8_t>(b[kTaskLenPos]), r.task_id.size());
  EXPECT_EQ(b.substr(kTaskLenPos + 1, r.task_id.size()), r.task_id);
  const std::string payload = PayloadOf(b);
  EXPECT_EQ(static_cast<uint8_t>(payload[0]), 1);  // cereal PortableBinary: little endian
  EXPECT_EQ(b.size(), PayloadLenPos(b) + 4 + payload.size() + 4);
}

TEST(JournalCodec, TypeNumbersAreFrozen) {
  const std::vector<Record> s = Samples();
  const uint16_t expected[] = {1,  2,  3,  4,  10, 11, 12, 13, 14, 15,
                              30, 16, 17, 18, 20, 21, 22, 23, 24, 19, 25, 26, 27};
  for (size_t i = 0; i < s.size(); ++i) {
    EXPECT_EQ(static_cast<uint16_t>(s[i].type()), expected[i]) << i;
  }
  EXPECT_STREQ(record_type_name(RecordType::kOrderFilled), "OrderFilled");
  EXPECT_STREQ(record_type_name(RecordType::kRecordingEnded), "RecordingEnded");
  EXPECT_STREQ(source_name(Source::kUserStream), "user_stream");
  EXPECT_STREQ(source_name(Source::kTradeHistory), "trade_history");
  EXPECT_STREQ(source_name(Source::kAllOrders), "all_orders");
}

// Journals written before issue 9 (format 1) still open: a format-1 record decodes, folds its
// fields, and re-encodes to the same bytes (so their hashes verify); the new types do not exist
// in format 1.
TEST(JournalCodec, FormatOneRecordsStillDecodeAndStayFormatOne) {
  for (Record r : Samples()) {
    if (r.type() >= RecordType::kTaskHalted && r.type() != RecordType::kRecordingEnded) continue;
    r.format = 1;
    if (auto* p = std::get_if<PlaceIntent>(&r.body)) p->timing = {};
    if (auto* c = std::get_if<CancelIntent>(&r.body)) c->timing = {};
    if (auto* t = std::get_if<TaskStarted>(&r.body)) t->venue_start_ms = 0;
    SCOPED_TRACE(record_type_name(r.type()));
    const std::string bytes = encode(r);
    EXPECT_EQ(static_cast<uint8_t>(bytes[1]), 1);
    Result<Record> back = decode(bytes);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(back->format, 1);
    EXPECT_EQ(encode(*back), bytes);
    EXPECT_EQ(Json(*back), Json(r));
  }
  // The PlaceIntent payload of format 1 ends with the decision context: no timing fields.
  Record place = Samples()[1];
  const std::string v2 = PayloadOf(encode(place));
  place.format = 1;
  const std::string v1 = PayloadOf(encode(place));
  EXPECT_EQ(v2.size(), v1.size() + 16);
  EXPECT_EQ(v2.substr(0, v1.size()), v1);
  // A type of format 2 inside a format-1 envelope is unknown.
  Record halted = Samples()[11];
  std::string enc = encode(halted);
  enc[1] = 1;
  const uLong crc = crc32(0L, reinterpret_cast<const Bytef*>(enc.data()),
                          static_cast<uInt>(enc.size() - 4));
  for (int i = 0; i < 4; ++i) enc[enc.size() - 4 + i] = static_cast<char>((crc >> (8 * i)) & 0xFF);
  EXPECT_NE(decode(enc).status().message().find("unknown record type"), std::string::npos);
  // And a type of format 3 inside a format-2 envelope.
  Record guard_rec = Samples()[20];
  guard_rec.format = 3;
  std::string guard = encode(guard_rec);
  ASSERT_EQ(static_cast<uint8_t>(guard[1]), 3);
  guard[1] = 2;
  const uLong crc3 = crc32(0L, reinterpret_cast<const Bytef*>(guard.data()),
                           static_cast<uInt>(guard.size() - 4));
  for (int i = 0; i < 4; ++i) {
    guard[guard.size() - 4 + i] = static_cast<char>((crc3 >> (8 * i)) & 0xFF);
  }
  EXPECT_NE(decode(guard).status().message().find("unknown record type"), std::string::npos);
}

TEST(JournalCodec, EverySingleByteCorruptionIsDetected) {
  for (const Record& r : Samples()) {
    const std::string bytes = encode(r);
    for (size_t i = 0; i < bytes.size(); ++i) {
      for (uint8_t mask : {0x01, 0x80, 0xFF}) {
        std::string bad = bytes;
        bad[i] = static_cast<char>(bad[i] ^ mask);
        Result<Record> d = decode(bad);
        ASSERT_FALSE(d.ok()) << record_type_name(r.type()) << " byte " << i;
        EXPECT_EQ(d.status().code(), Code::kCorruption);
      }
    }
  }
}

TEST(JournalCodec, EveryTruncationIsDetected) {
  for (const Record& r : Samples()) {
    const std::string bytes = encode(r);
    for (size_t n = 0; n < bytes.size(); ++n) {
      Result<Record> d = decode(std::string_view(bytes).substr(0, n));
      ASSERT_FALSE(d.ok()) << record_type_name(r.type()) << " length " << n;
      EXPECT_EQ(d.status().code(), Code::kCorruption);
    }
    EXPECT_FALSE(decode(bytes + '\0').ok()) << "a trailing byte after the crc";
  }
}

TEST(JournalCodec, NamesWhatFailed) {
  std::string b = encode(Samples()[0]);
  b[b.size() - 1] ^= 1;
  EXPECT_EQ(decode(b).status().message(), "crc mismatch");
  EXPECT_NE(decode("").status().message().find("short record"), std::string::npos);
  b = encode(Samples()[0]);
  b[0] = 'X';
  EXPECT_EQ(decode(b).status().message(), "bad magic");
}

TEST(JournalCodec, RejectsUnknownTypesEvenWithAValidCrc) {
  const std::string enc = encode(Samples()[10]);
  for (uint16_t type : {0, 5, 9, 28, 29, 31, 65535}) {
    Result<Record> d = decode(Reframe(enc, PayloadOf(enc), type));
    ASSERT_FALSE(d.ok()) << type;
    EXPECT_NE(d.status().message().find("unknown record type"), std::string::npos);
  }
  EXPECT_TRUE(decode(Reframe(enc, PayloadOf(enc))).ok()) << "Reframe itself is faithful";
}

TEST(JournalCodec, RejectsTrailingPayloadBytes) {
  for (const Record& r : Samples()) {
    const std::string enc = encode(r);
    Result<Record> d = decode(Reframe(enc, PayloadOf(enc) + '\0'));
    ASSERT_FALSE(d.ok()) << record_type_name(r.type());
    EXPECT_NE(d.status().message().find("trailing"), std::string::npos);
  }
}

TEST(JournalCodec, RejectsOutOfRangeEnumsAndBools) {
  const std::vector<Record> s = Samples();
  // PlaceIntent payload: endian(1) slot_key(8) side(1) ...
  std::string enc = encode(s[1]);
  std::string p = PayloadOf(enc);
  p[9] = 2;
  EXPECT_FALSE(decode(Reframe(enc, p)).ok()) << "side 2";
  // OrderFilled payload ends with is_maker(1) source(1).
  enc = encode(s[6]);
  p = PayloadOf(enc);
  p[p.size() - 2] = 2;
  EXPECT_FALSE(decode(Reframe(enc, p)).ok()) << "is_maker 2";
  p = PayloadOf(enc);
  p[p.size() - 1] = 6;
  EXPECT_FALSE(decode(Reframe(enc, p)).ok()) << "source 6";
  p = PayloadOf(enc);
  p[0] = 0;
  EXPECT_FALSE(decode(Reframe(enc, p)).ok()) << "big-endian flag";
  // GuardChanged payload: endian(1) state(1) reason.
  enc = encode(s[20]);
  p = PayloadOf(enc);
  p[1] = 3;
  EXPECT_FALSE(decode(Reframe(enc, p)).ok()) << "guard state 3";
}

TEST(JournalCodec, HugeStringLengthsFailWithoutAllocating) {
  // OrderNotFound payload: endian(1) len(u64) bytes source(1).
  const std::string enc = encode(Samples()[8]);
  for (uint64_t len : {uint64_t{1} << 62, uint64_t{1} << 32, uint64_t{70'000}, uint64_t{200}}) {
    std::string p = PayloadOf(enc);
    std::memcpy(p.data() + 1, &len, 8);
    Result<Record> d = decode(Reframe(enc, p));
    ASSERT_FALSE(d.ok()) << len;
    EXPECT_EQ(d.status().code(), Code::kCorruption);
  }
}

TEST(JournalCodec, RandomPayloadMutationsNeverCrashAndStayCanonical) {
  const std::vector<Record> s = Samples();
  std::mt19937_64 rng(20240601);
  int accepted = 0;
  for (int iter = 0; iter < 100'000; ++iter) {
    const std::string enc = encode(s[rng() % s.size()]);
    std::string p = PayloadOf(enc);
    switch (rng() % 4) {
      case 0: p[rng() % p.size()] = static_cast<char>(rng()); break;
      case 1: p.resize(rng() % (p.size() + 1)); break;
      case 2: p.insert(rng() % (p.size() + 1), 1, static_cast<char>(rng())); break;
      default:
        for (int k = 0; k < 4; ++k) p[rng() % p.size()] = static_cast<char>(rng() % 3);
    }
    std::optional<uint16_t> type;
    if (rng() % 8 == 0) type = static_cast<uint16_t>(rng() % 32);
    const std::string bytes = Reframe(enc, p, type);
    Result<Record> d = decode(bytes);
    if (d.ok()) {
      ++accepted;
      ASSERT_EQ(encode(*d), bytes) << "an accepted record must re-encode to the same bytes";
    } else {
      ASSERT_EQ(d.status().code(), Code::kCorruption);
    }
  }
  std::printf("random payload mutations: %d of 100000 still decoded (all canonical)\n", accepted);
}

TEST(JournalCodec, RandomBytesNeverCrash) {
  std::mt19937_64 rng(7);
  for (int iter = 0; iter < 20'000; ++iter) {
    std::string bytes(rng() % 300, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    if (!bytes.empty() && rng() % 2) bytes[0] = static_cast<char>(kRecordMagic);
    if (bytes.size() > 1 && rng() % 2) bytes[1] = static_cast<char>(kFormatVersion);
    EXPECT_FALSE(decode(bytes).ok());
  }
}

TEST(JournalCodec, OversizedRecords) {
  Record r = Samples()[0];
  std::get<TaskStarted>(r.body).params_yaml.assign(kMaxRecordBytes, 'x');
  Result<std::string> t = try_encode(r);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), Code::kInvalidArgument);
  EXPECT_DEATH(encode(r), "kMaxRecordBytes");
  // Just under the limit is fine.
  const size_t overhead = encode(Samples()[0]).size() -
                          std::get<TaskStarted>(Samples()[0].body).params_yaml.size();
  std::get<TaskStarted>(r.body).params_yaml.assign(kMaxRecordBytes - overhead, 'x');
  EXPECT_EQ(encode(r).size(), kMaxRecordBytes);
  EXPECT_TRUE(decode(encode(r)).ok());
}

TEST(JournalCodec, Sha256) {
  EXPECT_EQ(hash_hex(hash_bytes("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hash_hex(Hash{}), std::string(64, '0'));
}

// Format 4 appended side and timing to AmendIntent: a format-3 AmendIntent keeps its layout
// (decoded with both at their defaults, re-encoded byte for byte).
TEST(JournalCodec, AnAmendIntentOfFormat3KeepsItsLayout) {
  Record r = Samples()[3];
  r.format = 3;
  const std::string bytes3 = encode(r);
  r.format = 4;
  const std::string bytes4 = encode(r);
  EXPECT_GT(bytes4.size(), bytes3.size());
  auto back = decode(bytes3);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->format, 3);
  const auto& b = std::get<AmendIntent>(back->body);
  EXPECT_EQ(b.side, Side::kBuy);
  EXPECT_EQ(b.timing.timestamp_ms, 0);
  EXPECT_EQ(encode(*back), bytes3);
  auto back4 = decode(bytes4);
  ASSERT_TRUE(back4.ok());
  EXPECT_EQ(std::get<AmendIntent>(back4->body).side, Side::kSell);
  EXPECT_EQ(std::get<AmendIntent>(back4->body).timing.recv_window_ms, 4'000);
  // The evidence types of format 4 do not exist in a format-3 envelope.
  for (size_t i : {21u, 22u}) {
    std::string enc = encode(Samples()[i]);
    enc[1] = 3;
    const uLong crc = crc32(0L, reinterpret_cast<const Bytef*>(enc.data()),
                            static_cast<uInt>(enc.size() - 4));
    for (int b = 0; b < 4; ++b) enc[enc.size() - 4 + b] = static_cast<char>((crc >> (8 * b)) & 0xFF);
    EXPECT_NE(decode(enc).status().message().find("unknown record type"), std::string::npos);
  }
}

// How tests/fixtures/journal-format<N>/records.txt was made (KEEL_WRITE_RECORDS=<file>): every
// sample as this keel encodes it, in hex, a tab, and its record_to_json. A generator, skipped
// in every other run.
TEST(JournalCodecFixture, WriteRecordsForAFormatFixture) {
  const char* path = std::getenv("KEEL_WRITE_RECORDS");
  if (path == nullptr) GTEST_SKIP() << "set KEEL_WRITE_RECORDS=<file> to write a fixture";
  std::FILE* f = std::fopen(path, "w");
  ASSERT_NE(f, nullptr) << path;
  for (const Record& r : Samples()) {
    const std::string bytes = encode(r);
    for (unsigned char b : bytes) std::fprintf(f, "%02x", b);
    std::fprintf(f, "\t%s\n", record_to_json(r, Hash{}).c_str());
  }
  std::fclose(f);
}

TEST(JournalExportJson, RecordToJsonWithoutInstrumentUsesIntegers) {
  Record r = Samples()[1];
  std::get<PlaceIntent>(r.body).ctx.reason = "q\"b\\n\n\x01 \xc3\xa9 \xff";
  r.prev_hash = Hash{};
  const std::string j = record_to_json(r, Hash{});
  const std::string zeros(64, '0');
  EXPECT_EQ(j, "{\"seq\":2,\"format\":" + std::to_string(kFormatVersion) +
                ",\"type\":\"PlaceIntent\",\"task\":\"grid_1\","
               "\"ts_local_ns\":1700000000123456789,\"ts_exchange_ns\":-42,"
               "\"prev_hash\":\"" + zeros + "\",\"hash\":\"" + zeros + "\","
               "\"slot_key\":6183000,\"side\":\"SELL\",\"price_ticks\":6183763,\"qty_lots\":100,"
               "\"client_order_id\":\"k1-grid_1-2\",\"timestamp_ms\":1723161600123,"
               "\"recv_window_ms\":5000,\"best_bid_ticks\":6183700,"
               "\"best_ask_ticks\":6183800,\"last_trade_ticks\":6183750,"
               "\"reason\":\"q\\\"b\\\\n\\n\\u0001 \xc3\xa9 \\u00ff\"}");
}

TEST(JournalExportJson, RecordToJsonWithInstrumentAddsExactDecimals) {
  Instrument btc;
  btc.tick_e8 = 1'000'000;  // 0.01
  btc.step_e8 = 1'000;      // 0.00001
  const std::vector<Record> s = Samples();
  const std::string place = record_to_json(s[1], Hash{}, &btc);
  EXPECT_NE(place.find("\"price_ticks\":6183763,\"price\":\"61837.63\""), std::string::npos);
  EXPECT_NE(place.find("\"qty_lots\":100,\"qty\":\"0.001\""), std::string::npos);
  EXPECT_NE(place.find("\"best_bid\":\"61837\""), std::string::npos);
  const std::string fill = record_to_json(s[6], Hash{}, &btc);
  EXPECT_NE(fill.find("\"commission_e8\":-1234,\"commission\":\"-0.00001234\""),
            std::string::npos);
  EXPECT_NE(fill.find("\"is_maker\":false"), std::string::npos);
  EXPECT_NE(fill.find("\"source\":\"trade_history\""), std::string::npos);
  const std::string task = record_to_json(s[0], Hash{}, nullptr);
  EXPECT_NE(task.find("\"tick_e8\":1000000,\"tick_size\":\"0.01\""), std::string::npos);
  EXPECT_NE(task.find("\"min_notional\":\"5\""), std::string::npos);
  EXPECT_NE(task.find("\"params_yaml\":\"levels: 10\\nstep: \\\"0.5%\\\"\\n\""),
            std::string::npos);
  const std::string ended = record_to_json(s[10], Hash{});
  EXPECT_NE(ended.find("\"events\":18446744073709551615}"), std::string::npos);
}

}  // namespace
}  // namespace keel::journal
