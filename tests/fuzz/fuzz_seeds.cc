// Writes fuzzing seed corpora from real inputs: every record value of a journal directory
// (one file each) and the state snapshot folded from it.
// Usage: keel_fuzz_seeds JOURNAL_DIR OUT_JOURNAL_CORPUS OUT_SNAPSHOT_CORPUS [MAX]
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "keel/journal/codec.h"
#include "keel/journal/journal.h"
#include "keel/model/snapshot.h"

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
  auto s = (*j)->for_each(1, [&](const keel::journal::Record& r) {
    keel::model::apply(state, r);
    if (n < max) std::ofstream(std::string(argv[2]) + "/rec" + std::to_string(r.seq)) << keel::journal::encode(r);
    ++n;
    return true;
  });
  std::ofstream(std::string(argv[3]) + "/state") << keel::model::encode_state(state);
  std::printf("%llu records\n", static_cast<unsigned long long>(n));
  return s.ok() ? 0 : 1;
}
