// The instance signing key: an Ed25519 key pair that signs audit checkpoints.
//
// Stored in a key file (by convention <data>/instance.key, mode 0600) that is created on first use:
// 8 bytes of magic "LKNSIK01" followed by libsodium's 64-byte Ed25519 secret key (seed || public
// key). On load the public half is re-derived from the seed, so a file whose bytes were altered,
// truncated or extended is reported as Corruption rather than silently signing with a different
// key.
//
// Thread safety: const methods may be called concurrently.
#pragma once

#include <sodium.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include "likeness/status.h"

namespace likeness::privacy {

class InstanceKey {
 public:
  static constexpr size_t kPublicKeySize = crypto_sign_PUBLICKEYBYTES;
  static constexpr size_t kSignatureSize = crypto_sign_BYTES;

  // Loads the key at `path`, creating it (0600) if absent. Errors: Corruption (wrong size, bad
  // magic, or the key halves disagree); PermissionDenied (file readable by group/others); IOError.
  static Result<InstanceKey> LoadOrCreate(const std::filesystem::path& path);
  // Loads an existing key; NotFound if absent, otherwise as LoadOrCreate.
  static Result<InstanceKey> Load(const std::filesystem::path& path);

  ~InstanceKey();
  InstanceKey(InstanceKey&& other) noexcept;
  InstanceKey& operator=(InstanceKey&& other) noexcept;
  InstanceKey(const InstanceKey&) = delete;
  InstanceKey& operator=(const InstanceKey&) = delete;

  // Detached Ed25519 signature of `message`.
  std::array<uint8_t, kSignatureSize> Sign(std::string_view message) const;
  std::span<const uint8_t, kPublicKeySize> public_key() const;
  std::string public_key_hex() const;

  // True when `signature` is a valid Ed25519 signature of `message` under `public_key`. Sizes other
  // than kSignatureSize / kPublicKeySize return false.
  static bool VerifySignature(std::span<const uint8_t> public_key, std::string_view message,
                              std::span<const uint8_t> signature);

 private:
  InstanceKey() = default;
  std::array<uint8_t, crypto_sign_SECRETKEYBYTES> secret_{};  // seed || public key
};

}  // namespace likeness::privacy
