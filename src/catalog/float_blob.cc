#include "catalog/float_blob.h"

#include <bit>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>

namespace likeness::catalog {
namespace {

static_assert(sizeof(float) == 4 && std::numeric_limits<float>::is_iec559,
              "the blob format is IEEE-754 binary32");

[[maybe_unused]] uint32_t SwapBytes(uint32_t v) {  // used on big-endian hosts only
  return (v >> 24) | ((v >> 8) & 0x0000ff00u) | ((v << 8) & 0x00ff0000u) | (v << 24);
}

}  // namespace

std::vector<std::byte> EncodeFloatBlob(std::span<const float> values) {
  std::vector<std::byte> blob(values.size() * sizeof(float));
  if constexpr (std::endian::native == std::endian::little) {
    if (!values.empty()) std::memcpy(blob.data(), values.data(), blob.size());
  } else {
    for (size_t i = 0; i < values.size(); ++i) {
      const uint32_t le = SwapBytes(std::bit_cast<uint32_t>(values[i]));
      std::memcpy(blob.data() + i * sizeof(float), &le, sizeof(le));
    }
  }
  return blob;
}

Status DecodeFloatBlob(std::span<const std::byte> blob, std::span<float> out) {
  if (blob.size() != out.size() * sizeof(float)) {
    return Status::Corruption("float blob holds " + std::to_string(blob.size()) +
                              " bytes; expected " + std::to_string(out.size() * sizeof(float)));
  }
  if constexpr (std::endian::native == std::endian::little) {
    if (!out.empty()) std::memcpy(out.data(), blob.data(), blob.size());
  } else {
    for (size_t i = 0; i < out.size(); ++i) {
      uint32_t le = 0;
      std::memcpy(&le, blob.data() + i * sizeof(float), sizeof(le));
      out[i] = std::bit_cast<float>(SwapBytes(le));
    }
  }
  return Status::Ok();
}

}  // namespace likeness::catalog
