// keel/journal/codec.h: the byte form of a journal record (the value stored in RocksDB).
//
// Grammar (little-endian integers):
//   record   := magic:u8 (0x4B 'K') version:u8 (1 to 4) type:u16 seq:u64 ts_local_ns:i64
//               ts_exchange_ns:i64 prev_hash:32B task_len:u8 task:task_len B
//               payload_len:u32 payload:payload_len B crc:u32
//   payload  := cereal PortableBinary of the type's body fields in that version's layout
//               (codec.cc `fields`: version 2 appends fields to some types and adds types 16-24,
//               version 3 adds type 25, version 4 appends side and timing to AmendIntent;
//               a version-1 record decodes and re-encodes as version 1, Record::format)
// Evolution: every record carries its own format (the version byte), and each type's layout is
// a function of (type, format): `fields(ar, body, f)` lists a type's fields, and a field added
// later is appended under `if (f >= N)` for the format N that introduced it. A new field means a
// new format number: records of every older format keep their exact layout and bytes (decoded
// with the new field at its default, re-encoded as written), so a journal mixes formats freely
// and one hash chain runs through them. A type never loses or reorders a field, and a type
// number is never reused. tests/fixtures/journal-format1 and -format2 hold journals and records
// each older format wrote; their tests must keep passing unchanged.
//   crc      := CRC-32 (zlib) of every byte before it
// A record's hash (the next record's prev_hash) is SHA-256 over all its bytes, crc included.
#pragma once

#include <string>
#include <string_view>

#include "keel/core/status.h"
#include "keel/journal/record.h"

namespace keel::journal {

inline constexpr uint8_t kRecordMagic = 0x4B;
inline constexpr uint8_t kOldestFormatVersion = 1;  // the oldest it reads (the newest, the one
                                                    // keel writes: record.h kFormatVersion)
inline constexpr size_t kMaxRecordBytes = 64 * 1024;  // a limit on everything

// REQUIRES: rec.seq > 0, a valid task id; the encoding is at most kMaxRecordBytes (asserts).
std::string encode(const Record& rec);

// As encode, but an encoding longer than kMaxRecordBytes (e.g. an oversized venue message or
// params_yaml: input, not a bug) is kInvalidArgument instead of an assert.
// REQUIRES: rec.seq > 0, a valid task id (asserts).
Result<std::string> try_encode(const Record& rec);

// Errors: kCorruption naming what failed (short, bad magic, unknown version/type, crc mismatch,
// payload decode). Never reads past `bytes`. `bytes` must be exactly one record (trailing bytes
// are corruption). Decoding is canonical: encode(decode(b).value()) == b for every accepted b.
Result<Record> decode(std::string_view bytes);

Hash hash_bytes(std::string_view encoded);
std::string hash_hex(const Hash& h);

}  // namespace keel::journal
