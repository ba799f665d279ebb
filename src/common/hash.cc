#include "common/hash.h"

#include <sodium.h>

#include <fstream>
#include <vector>

namespace likeness {

Sha256Digest Sha256(std::span<const uint8_t> bytes) {
  Sha256Digest out{};
  crypto_hash_sha256(out.data(), bytes.data(), bytes.size());
  return out;
}

std::string ToHex(std::span<const uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    hex.push_back(kDigits[b >> 4]);
    hex.push_back(kDigits[b & 0xf]);
  }
  return hex;
}

std::string Sha256Hex(std::span<const uint8_t> bytes) {
  const Sha256Digest d = Sha256(bytes);
  return ToHex(d);
}

Result<std::string> Sha256FileHex(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec))
      return Status::NotFound("no such file: " + path.string());
    return Status::IOError("cannot open " + path.string());
  }
  crypto_hash_sha256_state state;
  crypto_hash_sha256_init(&state);
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    const auto n = in.gcount();
    if (n > 0) {
      crypto_hash_sha256_update(&state, reinterpret_cast<const unsigned char*>(buf.data()),
                                static_cast<unsigned long long>(n));
    }
  }
  if (in.bad()) return Status::IOError("read failed: " + path.string());
  Sha256Digest out{};
  crypto_hash_sha256_final(&state, out.data());
  return ToHex(out);
}

}  // namespace likeness
