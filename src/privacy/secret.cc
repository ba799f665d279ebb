#include "privacy/secret.h"

#include <sodium.h>

#include <cassert>
#include <cstring>

namespace likeness::privacy {

bool EnsureSodium() { return sodium_init() >= 0; }

SecretKey::SecretKey() = default;

SecretKey::SecretKey(std::span<const uint8_t> bytes) {
  assert(bytes.size() == kSize);
  std::memcpy(bytes_.data(), bytes.data(), kSize);
}

SecretKey SecretKey::Random() {
  const bool sodium_ok = EnsureSodium();
  assert(sodium_ok && "libsodium failed to initialise");
  (void)sodium_ok;
  SecretKey key;
  randombytes_buf(key.bytes_.data(), kSize);
  return key;
}

SecretKey::~SecretKey() { sodium_memzero(bytes_.data(), kSize); }

SecretKey::SecretKey(SecretKey&& other) noexcept : bytes_(other.bytes_) {
  sodium_memzero(other.bytes_.data(), kSize);
}

SecretKey& SecretKey::operator=(SecretKey&& other) noexcept {
  if (this != &other) {
    bytes_ = other.bytes_;
    sodium_memzero(other.bytes_.data(), kSize);
  }
  return *this;
}

SecretBuffer::~SecretBuffer() {
  if (!bytes_.empty()) sodium_memzero(bytes_.data(), bytes_.size());
}

SecretBuffer& SecretBuffer::operator=(SecretBuffer&& other) noexcept {
  if (this != &other) {
    if (!bytes_.empty()) sodium_memzero(bytes_.data(), bytes_.size());
    bytes_ = std::move(other.bytes_);
    other.bytes_.clear();
  }
  return *this;
}

}  // namespace likeness::privacy
