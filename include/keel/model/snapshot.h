// keel/model/snapshot.h: the folded state as bytes, so recovery can start from a snapshot and
// fold only the journal's tail (R2: "load the latest snapshot, replay the journal tail").
//
// Grammar: magic "KSNP" version:u8 (=2) crc:u32 (zlib CRC-32 of the payload) payload, where
// payload is cereal PortableBinary of State. decode(encode(s)) folds on exactly like s.
//
// Decoding is bounded: the payload is read with an archive of keel's own (src/model/
// bounded_archive.h) that reads PortableBinary bytes but refuses a container size or string
// length larger than the bytes left, a bool other than 0/1, and a read past the end, so even a
// crafted payload whose CRC matches allocates no more than O(its size). An enum value the
// encoder cannot write (Order::side, Order::phase) and bytes after the State are refused too.
#pragma once

#include <string>
#include <string_view>

#include "keel/core/status.h"
#include "keel/journal/journal.h"
#include "keel/model/state.h"

namespace keel::model {

std::string encode_state(const State& state);

// Errors: kCorruption (bad magic, version, CRC or payload), the message starting "snapshot: ".
Result<State> decode_state(std::string_view bytes);

// The journal folded through apply(): from the snapshot the journal opened with when it decodes
// and matches (then only the tail is folded), else from record 1. `from_snapshot` tells which.
// Errors: kCorruption from reading a record.
Result<State> fold_journal(const journal::Journal& journal, bool* from_snapshot = nullptr);

}  // namespace keel::model
