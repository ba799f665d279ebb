// Bounds-checked integer reads over a byte span, shared by the header and EXIF parsers.
//
// Every reader REQUIRES Has(bytes, offset, width); callers check before reading so that no hostile
// length or offset can walk past the buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

namespace likeness::imageio::internal {

// True when bytes[offset, offset + n) lies inside `bytes` (overflow-safe).
inline bool Has(std::span<const uint8_t> bytes, size_t offset, size_t n) {
  return offset <= bytes.size() && n <= bytes.size() - offset;
}

// True when the bytes at `offset` spell `text` (false when out of range).
inline bool Matches(std::span<const uint8_t> bytes, size_t offset, std::string_view text) {
  return Has(bytes, offset, text.size()) &&
         std::memcmp(bytes.data() + offset, text.data(), text.size()) == 0;
}

inline uint16_t Be16(std::span<const uint8_t> b, size_t o) {
  return static_cast<uint16_t>((b[o] << 8) | b[o + 1]);
}
inline uint32_t Be32(std::span<const uint8_t> b, size_t o) {
  return (uint32_t{b[o]} << 24) | (uint32_t{b[o + 1]} << 16) | (uint32_t{b[o + 2]} << 8) | b[o + 3];
}
inline uint16_t Le16(std::span<const uint8_t> b, size_t o) {
  return static_cast<uint16_t>(b[o] | (b[o + 1] << 8));
}
inline uint32_t Le24(std::span<const uint8_t> b, size_t o) {
  return uint32_t{b[o]} | (uint32_t{b[o + 1]} << 8) | (uint32_t{b[o + 2]} << 16);
}
inline uint32_t Le32(std::span<const uint8_t> b, size_t o) {
  return Le24(b, o) | (uint32_t{b[o + 3]} << 24);
}

// Reads 16/32-bit values in a TIFF structure's byte order (EXIF blocks and TIFF files).
struct TiffOrder {
  bool big_endian = false;
  uint16_t U16(std::span<const uint8_t> b, size_t o) const {
    return big_endian ? Be16(b, o) : Le16(b, o);
  }
  uint32_t U32(std::span<const uint8_t> b, size_t o) const {
    return big_endian ? Be32(b, o) : Le32(b, o);
  }
};

}  // namespace likeness::imageio::internal
