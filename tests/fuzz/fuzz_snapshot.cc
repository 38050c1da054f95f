// libFuzzer: the state snapshot decoder.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "keel/model/snapshot.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)keel::model::decode_state(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
