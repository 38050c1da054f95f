// libFuzzer: the state snapshot decoder. Each input is decoded twice: as given (magic, version
// and CRC checks), and resealed with a correct header and CRC over its payload, so that mutations
// reach the payload decoder instead of dying at the CRC check (a crafted snapshot can always
// carry a valid CRC). A decoded state must re-encode to bytes that decode to the same bytes.
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "keel/model/snapshot.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view raw(reinterpret_cast<const char*>(data), size);
  (void)keel::model::decode_state(raw);

  constexpr size_t kHeader = 9;  // "KSNP" version:u8 crc:u32 (snapshot.h)
  if (size < kHeader) return 0;
  const std::string_view payload = raw.substr(kHeader);
  const auto crc = static_cast<uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(payload.data()), static_cast<uInt>(payload.size())));
  std::string sealed("KSNP\x01", 5);
  for (int i = 0; i < 4; ++i) sealed += static_cast<char>((crc >> (8 * i)) & 0xff);
  sealed += payload;
  auto state = keel::model::decode_state(sealed);
  if (!state.ok()) {
    if (state.status().code() != keel::Code::kCorruption) {
      std::fprintf(stderr, "not kCorruption: %s\n", state.status().ToString().c_str());
      std::abort();
    }
    return 0;
  }
  // Whatever decoded is a state the encoder can write and the decoder read back unchanged.
  const std::string again = keel::model::encode_state(*state);
  auto back = keel::model::decode_state(again);
  if (!back.ok() || keel::model::encode_state(*back) != again) {
    std::fprintf(stderr, "re-encoded state does not round-trip\n");
    std::abort();
  }
  return 0;
}
