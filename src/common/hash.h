// Content hashing (SHA-256 via libsodium) and hex helpers.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

#include "likeness/status.h"

namespace likeness {

using Sha256Digest = std::array<uint8_t, 32>;

Sha256Digest Sha256(std::span<const uint8_t> bytes);
std::string Sha256Hex(std::span<const uint8_t> bytes);
// Streams the file; errors: NotFound, IOError.
Result<std::string> Sha256FileHex(const std::filesystem::path& path);
std::string ToHex(std::span<const uint8_t> bytes);

}  // namespace likeness
