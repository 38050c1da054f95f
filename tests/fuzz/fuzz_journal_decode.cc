// libFuzzer: the journal record decoder. Whatever decodes must re-encode to the same bytes
// (the codec is canonical, which `keel export` relies on to recompute hashes).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "keel/journal/codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  keel::Result<keel::journal::Record> rec = keel::journal::decode(bytes);
  if (rec.ok()) {
    auto again = keel::journal::try_encode(*rec);
    if (!again.ok() || *again != bytes) std::abort();
  }
  return 0;
}
