// SecretKey: 32 bytes of key material that is wiped (sodium_memzero) when it goes away.
//
// Move-only; a moved-from key is all zeros. Copies are explicit (Clone) so that every copy of key
// material in memory is deliberate. This does not lock pages (mlock); see PRIVACY.md for the threat
// model.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

namespace likeness::privacy {

// Calls sodium_init(). Idempotent and thread safe; every entry point that uses libsodium calls it.
// Returns false only if libsodium could not initialise (no usable randomness).
[[nodiscard]] bool EnsureSodium();

class SecretKey {
 public:
  static constexpr size_t kSize = 32;

  SecretKey();  // all zeros
  // REQUIRES: bytes.size() == kSize.
  explicit SecretKey(std::span<const uint8_t> bytes);
  // A fresh key from the system CSPRNG.
  static SecretKey Random();

  ~SecretKey();
  SecretKey(SecretKey&& other) noexcept;
  SecretKey& operator=(SecretKey&& other) noexcept;
  SecretKey(const SecretKey&) = delete;
  SecretKey& operator=(const SecretKey&) = delete;

  SecretKey Clone() const { return SecretKey(bytes_); }
  const uint8_t* data() const { return bytes_.data(); }
  uint8_t* mutable_data() { return bytes_.data(); }
  std::span<const uint8_t, kSize> bytes() const { return bytes_; }

 private:
  std::array<uint8_t, kSize> bytes_{};
};

// A variable-length buffer of secret bytes (a key file's contents), wiped when it goes away.
// Move-only.
class SecretBuffer {
 public:
  SecretBuffer() = default;
  explicit SecretBuffer(std::vector<uint8_t> bytes) : bytes_(std::move(bytes)) {}
  ~SecretBuffer();
  SecretBuffer(SecretBuffer&& other) noexcept : bytes_(std::move(other.bytes_)) {
    other.bytes_.clear();
  }
  SecretBuffer& operator=(SecretBuffer&& other) noexcept;
  SecretBuffer(const SecretBuffer&) = delete;
  SecretBuffer& operator=(const SecretBuffer&) = delete;

  std::span<const uint8_t> bytes() const { return bytes_; }
  size_t size() const { return bytes_.size(); }

 private:
  std::vector<uint8_t> bytes_;
};

}  // namespace likeness::privacy
