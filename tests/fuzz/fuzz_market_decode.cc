// libFuzzer: market-data decoders (combined-stream messages, REST snapshots, capture lines).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "keel/market/decode.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)keel::market::decode_message(text, 0);
  (void)keel::market::decode_capture_line(text);
  return 0;
}
