#include "privacy/instance_key.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "common/hash.h"
#include "privacy/secret.h"
#include "privacy/secret_file.h"

namespace likeness::privacy {
namespace {

constexpr std::string_view kMagic = "LKNSIK01";
constexpr size_t kFileSize = kMagic.size() + crypto_sign_SECRETKEYBYTES;

}  // namespace

Result<InstanceKey> InstanceKey::Load(const std::filesystem::path& path) {
  if (!EnsureSodium()) return Status::Internal("libsodium failed to initialise");
  ASSIGN_OR_RETURN(const SecretBuffer file, ReadSecretFile(path, kFileSize));
  const std::span<const uint8_t> bytes = file.bytes();
  const std::string where = "instance key file " + path.string();
  if (bytes.size() != kFileSize) {
    return Status::Corruption(where + " is " + std::to_string(bytes.size()) + " bytes, expected " +
                              std::to_string(kFileSize) + " (truncated or not a key file)");
  }
  if (!std::equal(kMagic.begin(), kMagic.end(), bytes.begin())) {
    return Status::Corruption(where + " does not start with \"" + std::string(kMagic) + "\"");
  }
  InstanceKey key;
  std::memcpy(key.secret_.data(), bytes.data() + kMagic.size(), key.secret_.size());
  // Re-derive the pair from the seed; any altered byte makes the halves disagree.
  std::array<uint8_t, crypto_sign_PUBLICKEYBYTES> derived_pk{};
  std::array<uint8_t, crypto_sign_SECRETKEYBYTES> derived_sk{};
  crypto_sign_seed_keypair(derived_pk.data(), derived_sk.data(), key.secret_.data());
  const bool same = sodium_memcmp(derived_sk.data(), key.secret_.data(), derived_sk.size()) == 0;
  sodium_memzero(derived_sk.data(), derived_sk.size());
  if (!same)
    return Status::Corruption(where + " is damaged: its public half does not match its seed");
  return key;
}

Result<InstanceKey> InstanceKey::LoadOrCreate(const std::filesystem::path& path) {
  Result<InstanceKey> loaded = Load(path);
  if (loaded.ok() || loaded.status().code() != StatusCode::kNotFound) return loaded;

  std::array<uint8_t, crypto_sign_PUBLICKEYBYTES> pk{};
  std::vector<uint8_t> file(kFileSize);
  std::memcpy(file.data(), kMagic.data(), kMagic.size());
  crypto_sign_keypair(pk.data(), file.data() + kMagic.size());
  Status created = CreateSecretFile(path, file);
  sodium_memzero(file.data(), file.size());
  // AlreadyExists: another process created it first; load theirs.
  if (!created.ok() && created.code() != StatusCode::kAlreadyExists) return created;
  return Load(path);
}

InstanceKey::~InstanceKey() { sodium_memzero(secret_.data(), secret_.size()); }

InstanceKey::InstanceKey(InstanceKey&& other) noexcept : secret_(other.secret_) {
  sodium_memzero(other.secret_.data(), other.secret_.size());
}

InstanceKey& InstanceKey::operator=(InstanceKey&& other) noexcept {
  if (this != &other) {
    secret_ = other.secret_;
    sodium_memzero(other.secret_.data(), other.secret_.size());
  }
  return *this;
}

std::array<uint8_t, InstanceKey::kSignatureSize> InstanceKey::Sign(std::string_view message) const {
  std::array<uint8_t, kSignatureSize> sig{};
  crypto_sign_detached(sig.data(), nullptr, reinterpret_cast<const uint8_t*>(message.data()),
                       message.size(), secret_.data());
  return sig;
}

std::span<const uint8_t, InstanceKey::kPublicKeySize> InstanceKey::public_key() const {
  return std::span<const uint8_t, kPublicKeySize>(secret_.data() + crypto_sign_SEEDBYTES,
                                                  kPublicKeySize);
}

std::string InstanceKey::public_key_hex() const { return ToHex(public_key()); }

bool InstanceKey::VerifySignature(std::span<const uint8_t> public_key, std::string_view message,
                                  std::span<const uint8_t> signature) {
  if (public_key.size() != kPublicKeySize || signature.size() != kSignatureSize) return false;
  if (!EnsureSodium()) return false;
  return crypto_sign_verify_detached(signature.data(),
                                     reinterpret_cast<const uint8_t*>(message.data()),
                                     message.size(), public_key.data()) == 0;
}

}  // namespace likeness::privacy
