// Writes fuzzing seed corpora from real inputs: every record value of a journal directory
// (one file each), the state snapshot folded from it, and (OUT_APPLY_CORPUS) the journal in
// runs of consecutive records as fuzz_apply reads them (raw records, fuzz_apply.cc).
// Usage: keel_fuzz_seeds JOURNAL_DIR OUT_JOURNAL_CORPUS OUT_SNAPSHOT_CORPUS [MAX [OUT_APPLY_CORPUS]]
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "keel/journal/codec.h"
#include "keel/journal/journal.h"
#include "keel/model/snapshot.h"

namespace {

// An input of fuzz_apply that folds raw records in order. FuzzedDataProvider takes byte strings
// from the front of the input and integers from its back (last byte first): so the strings go
// in order at the front, and the integers, in the order they are read, reversed at the back.
struct ApplySeed {
  std::string front;
  std::vector<uint8_t> ints;  // in the order fuzz_apply reads them
  int records = 0;

  void add(const std::string& encoded) {
    if (ints.empty()) ints.push_back(0);  // ConsumeBool: no implicit epoch and task
    ints.push_back(0);                    // ConsumeIntegralInRange(0, 15) == 0: a raw record
    const size_t len = encoded.size();    // ConsumeIntegralInRange<size_t>(0, 4000): 2 bytes,
    ints.push_back(static_cast<uint8_t>(len >> 8));  // the first read is the high byte
    ints.push_back(static_cast<uint8_t>(len & 0xff));
    front += encoded;
    ++records;
  }
  std::string bytes() const { return front + std::string(ints.rbegin(), ints.rend()); }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: keel_fuzz_seeds JOURNAL_DIR OUT_JOURNAL OUT_SNAPSHOT [MAX]\n");
    return 2;
  }
  const uint64_t max = argc > 4 ? std::strtoull(argv[4], nullptr, 10) : 300;
  keel::journal::Journal::Options o;
  o.read_only = true;
  o.create_if_missing = false;
  auto j = keel::journal::Journal::open(argv[1], o);
  if (!j.ok()) {
    std::fprintf(stderr, "%s\n", j.status().ToString().c_str());
    return 1;
  }
  uint64_t n = 0;
  keel::model::State state;
  ApplySeed seed;
  int seeds = 0;
  auto s = (*j)->for_each(1, [&](const keel::journal::Record& r) {
    keel::model::apply(state, r);
    if (n < max) std::ofstream(std::string(argv[2]) + "/rec" + std::to_string(r.seq)) << keel::journal::encode(r);
    if (argc > 5 && seeds < 40) {
      seed.add(keel::journal::encode(r));
      if (seed.records == 100) {
        std::ofstream(std::string(argv[5]) + "/journal" + std::to_string(seeds++)) << seed.bytes();
        seed = ApplySeed{};
      }
    }
    ++n;
    return true;
  });
  if (argc > 5 && seed.records > 0) {
    std::ofstream(std::string(argv[5]) + "/journal" + std::to_string(seeds)) << seed.bytes();
  }
  std::ofstream(std::string(argv[3]) + "/state") << keel::model::encode_state(state);
  std::printf("%llu records\n", static_cast<unsigned long long>(n));
  return s.ok() ? 0 : 1;
}
