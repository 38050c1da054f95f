// libFuzzer: the YAML config loader (never crashes, only returns errors naming the field).
#include <cstddef>
#include <cstdint>
#include <string>

#include "keel/engine/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)keel::engine::parse_config(text, "fuzz.yaml", "/nonexistent");
  return 0;
}
