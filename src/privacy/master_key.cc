#include "privacy/master_key.h"

#include <sodium.h>

#include <cctype>
#include <cstdlib>
#include <vector>

#include "common/hash.h"
#include "privacy/secret_file.h"

namespace likeness::privacy {
namespace {

constexpr size_t kHexSize = SecretKey::kSize * 2;
// A key file is at most the hex form plus a little whitespace (CRLF, trailing blanks).
constexpr size_t kMaxKeyFileSize = kHexSize + 16;
constexpr std::string_view kCheckTag = "likeness-master-key-check-v1";
constexpr std::string_view kIdTag = "likeness-master-key-id-v1";
constexpr size_t kIdBytes = 8;

std::array<uint8_t, 32> KeyedHash(const SecretKey& key, std::string_view tag) {
  std::array<uint8_t, 32> out{};
  crypto_generichash(out.data(), out.size(), reinterpret_cast<const uint8_t*>(tag.data()),
                     tag.size(), key.data(), SecretKey::kSize);
  return out;
}

}  // namespace

MasterKey MasterKey::Generate() { return MasterKey(SecretKey::Random()); }

Result<MasterKey> MasterKey::FromHex(std::string_view hex) {
  if (!EnsureSodium()) return Status::Internal("libsodium failed to initialise");
  SecretKey key;
  size_t n = 0;
  if (hex.size() != kHexSize ||
      sodium_hex2bin(key.mutable_data(), SecretKey::kSize, hex.data(), hex.size(), nullptr, &n,
                     nullptr) != 0 ||
      n != SecretKey::kSize) {
    return Status::InvalidArgument("a master key must be exactly " + std::to_string(kHexSize) +
                                   " hex characters (got " + std::to_string(hex.size()) +
                                   " characters)");
  }
  return MasterKey(std::move(key));
}

Result<MasterKey> MasterKey::FromFile(const std::filesystem::path& path) {
  ASSIGN_OR_RETURN(const SecretBuffer file, ReadSecretFile(path, kMaxKeyFileSize));
  const std::span<const uint8_t> bytes = file.bytes();
  if (bytes.size() == SecretKey::kSize) return MasterKey(SecretKey(bytes));
  std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  Result<MasterKey> key = FromHex(text);
  if (!key.ok()) {
    return Status::InvalidArgument("master key file " + path.string() + " must hold " +
                                   std::to_string(kHexSize) + " hex characters or " +
                                   std::to_string(SecretKey::kSize) + " raw bytes");
  }
  return key;
}

Result<MasterKey> MasterKey::FromEnv(const char* var) {
  const char* value = std::getenv(var);
  if (value == nullptr || *value == '\0') {
    return Status::NotFound(std::string("environment variable ") + var + " is not set");
  }
  Result<MasterKey> key = FromHex(value);
  if (!key.ok()) return key.status().WithContext(std::string("environment variable ") + var);
  return key;
}

Result<MasterKey> MasterKey::Load(const std::filesystem::path& key_file) {
  if (!key_file.empty()) return FromFile(key_file);
  Result<MasterKey> key = FromEnv();
  if (key.ok() || key.status().code() != StatusCode::kNotFound) return key;
  return Status::NotFound(std::string("no master key: pass a key file or set ") + kMasterKeyEnvVar +
                          " to 64 hex characters");
}

std::array<uint8_t, MasterKey::kCheckValueSize> MasterKey::CheckValue() const {
  return KeyedHash(key_, kCheckTag);
}

std::string MasterKey::id() const {
  const auto h = KeyedHash(key_, kIdTag);
  return ToHex(std::span(h.data(), kIdBytes));
}

Result<MasterKey> CreateMasterKeyFile(const std::filesystem::path& path) {
  MasterKey key = MasterKey::Generate();
  std::vector<char> hex(kHexSize + 1);  // sodium_bin2hex writes a terminating NUL
  sodium_bin2hex(hex.data(), hex.size(), key.key().data(), SecretKey::kSize);
  hex.back() = '\n';
  Status written =
      CreateSecretFile(path, std::span(reinterpret_cast<const uint8_t*>(hex.data()), hex.size()));
  sodium_memzero(hex.data(), hex.size());
  RETURN_IF_ERROR(written);
  return key;
}

}  // namespace likeness::privacy
