// Private to keel_model (snapshot.cc): a cereal input archive for the bytes that
// cereal::PortableBinaryOutputArchive writes, read from memory, that never trusts a length.
//
// cereal's own input archives resize a string or a container to whatever size the input
// claims before reading a single element, so a CRC-valid crafted snapshot could make the decoder
// allocate gigabytes. This archive reads the same bytes as cereal::PortableBinaryInputArchive
// (the format is unchanged) with three extra checks, each a cereal::Exception:
//  - a size (SizeTag: a container's element count, a string's length) larger than the bytes
//    left in the input: every element takes at least one byte, so such a size is a lie and is
//    refused before anything is allocated;
//  - a read past the end of the input;
//  - a bool stored as anything but 0 or 1 (the output archive writes only those; loading another
//    byte into a bool is undefined behaviour).
// Hence decoding allocates O(input size): no string is longer, and no container has more
// elements, than the input has bytes.
#pragma once

#include <cereal/archives/portable_binary.hpp>
#include <cereal/cereal.hpp>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace keel::model::detail {

class BoundedInputArchive
    : public cereal::InputArchive<BoundedInputArchive, cereal::AllowEmptyClassElision> {
 public:
  // Reads the endianness byte the output archive writes first (as PortableBinaryInputArchive).
  explicit BoundedInputArchive(std::string_view bytes)
      : cereal::InputArchive<BoundedInputArchive, cereal::AllowEmptyClassElision>(this),
        bytes_(bytes) {
    uint8_t stream_little_endian = 0;
    read(&stream_little_endian, 1);
    if (stream_little_endian > 1) {
      throw cereal::Exception("bad endianness byte " + std::to_string(stream_little_endian));
    }
    convert_endianness_ = (stream_little_endian != 0) != native_little_endian();
  }

  size_t remaining() const { return bytes_.size() - pos_; }

  // Called by the load functions below (the name and shape PortableBinaryInputArchive has).
  template <std::size_t DataSize>
  void loadBinary(void* const data, std::size_t size) {
    read(data, size);
    if (convert_endianness_ && DataSize > 1) {
      auto* p = static_cast<uint8_t*>(data);
      for (std::size_t i = 0; i + DataSize <= size; i += DataSize) {
        for (std::size_t j = 0; j < DataSize / 2; ++j) std::swap(p[i + j], p[i + DataSize - 1 - j]);
      }
    }
  }

  // A SizeTag's value: an element count or a string length.
  void check_size(uint64_t size) const {
    if (size > remaining()) {
      throw cereal::Exception("size " + std::to_string(size) + " exceeds the " +
                              std::to_string(remaining()) + " bytes left at offset " +
                              std::to_string(pos_));
    }
  }

 private:
  static bool native_little_endian() {
    const uint16_t one = 1;
    uint8_t first = 0;
    std::memcpy(&first, &one, 1);
    return first == 1;
  }

  void read(void* data, std::size_t size) {
    if (size > remaining()) {
      throw cereal::Exception("truncated: " + std::to_string(size) + " bytes wanted at offset " +
                              std::to_string(pos_) + ", " + std::to_string(remaining()) +
                              " left");
    }
    if (size > 0) std::memcpy(data, bytes_.data() + pos_, size);
    pos_ += size;
  }

  std::string_view bytes_;
  std::size_t pos_ = 0;
  bool convert_endianness_ = false;
};

// Arithmetic values, as PortableBinaryInputArchive loads them.
template <class T>
inline std::enable_if_t<std::is_arithmetic_v<T> && !std::is_same_v<T, bool>>
CEREAL_LOAD_FUNCTION_NAME(BoundedInputArchive& ar, T& t) {
  static_assert(!std::is_floating_point_v<T> || std::numeric_limits<T>::is_iec559,
                "Portable binary only supports IEEE 754 standardized floating point");
  ar.template loadBinary<sizeof(T)>(std::addressof(t), sizeof(t));
}

// A bool is one byte, 0 or 1.
inline void CEREAL_LOAD_FUNCTION_NAME(BoundedInputArchive& ar, bool& b) {
  uint8_t byte = 0;
  ar.template loadBinary<1>(&byte, 1);
  if (byte > 1) throw cereal::Exception("bool stored as " + std::to_string(byte));
  b = byte == 1;
}

template <class T>
inline void CEREAL_SERIALIZE_FUNCTION_NAME(BoundedInputArchive& ar, cereal::NameValuePair<T>& t) {
  ar(t.value);
}

// The bound: no size larger than the bytes left.
template <class T>
inline void CEREAL_LOAD_FUNCTION_NAME(BoundedInputArchive& ar, cereal::SizeTag<T>& t) {
  ar(t.size);
  ar.check_size(static_cast<uint64_t>(t.size));
}

template <class T>
inline void CEREAL_LOAD_FUNCTION_NAME(BoundedInputArchive& ar, cereal::BinaryData<T>& bd) {
  using TT = std::remove_pointer_t<T>;
  static_assert(!std::is_floating_point_v<TT> || std::numeric_limits<TT>::is_iec559,
                "Portable binary only supports IEEE 754 standardized floating point");
  ar.template loadBinary<sizeof(TT)>(bd.data, static_cast<std::size_t>(bd.size));
}

}  // namespace keel::model::detail

CEREAL_REGISTER_ARCHIVE(keel::model::detail::BoundedInputArchive)

// Minimal (enum) loads ask which output archive this input archive pairs with. Only this half of
// CEREAL_SETUP_ARCHIVE_TRAITS: PortableBinaryOutputArchive keeps its own input archive.
namespace cereal::traits::detail {
template <>
struct get_output_from_input<keel::model::detail::BoundedInputArchive> {
  using type = cereal::PortableBinaryOutputArchive;
};
}  // namespace cereal::traits::detail
