// The master key: 32 bytes that wrap every data key in keys.db (key_store.h). It never touches
// keys.db itself; only a key-check value derived from it does, so a wrong key is caught at open.
//
// Sources, in the order an application usually tries them: a key file (64 hex characters with an
// optional trailing newline, or 32 raw bytes; mode 0600), or the LIKENESS_MASTER_KEY environment
// variable (64 hex characters). Key material is wiped from memory when a MasterKey goes away.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "likeness/status.h"
#include "privacy/secret.h"

namespace likeness::privacy {

inline constexpr const char* kMasterKeyEnvVar = "LIKENESS_MASTER_KEY";

class MasterKey {
 public:
  static constexpr size_t kCheckValueSize = 32;

  // A fresh random key.
  static MasterKey Generate();
  // Exactly 64 hex characters (either case). Errors: InvalidArgument (the message never echoes the
  // input, which may be most of a key).
  static Result<MasterKey> FromHex(std::string_view hex);
  // Reads a key file. Errors: NotFound, PermissionDenied (mode allows group/others),
  // InvalidArgument (neither 32 raw bytes nor 64 hex characters), IOError.
  static Result<MasterKey> FromFile(const std::filesystem::path& path);
  // Reads the environment variable `var`. Errors: NotFound (unset or empty), InvalidArgument.
  static Result<MasterKey> FromEnv(const char* var = kMasterKeyEnvVar);
  // FromFile(key_file) when key_file is non-empty, else FromEnv(). NotFound explains both options.
  static Result<MasterKey> Load(const std::filesystem::path& key_file);

  MasterKey(MasterKey&&) noexcept = default;
  MasterKey& operator=(MasterKey&&) noexcept = default;
  MasterKey(const MasterKey&) = delete;
  MasterKey& operator=(const MasterKey&) = delete;

  const SecretKey& key() const { return key_; }
  // A keyed hash of a constant under this key: what keys.db stores to recognise its master key.
  std::array<uint8_t, kCheckValueSize> CheckValue() const;
  // 16 hex characters naming this key in logs and error messages (a keyed hash; reveals nothing).
  std::string id() const;

 private:
  explicit MasterKey(SecretKey key) : key_(std::move(key)) {}
  SecretKey key_;
};

// Creates a key file holding a new random key as 64 hex characters and a newline, mode 0600, and
// returns the key. Errors: AlreadyExists (never overwrites: that would orphan every wrapped data
// key), IOError.
Result<MasterKey> CreateMasterKeyFile(const std::filesystem::path& path);

}  // namespace likeness::privacy
