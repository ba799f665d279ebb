// Key files on disk: read with a permission check, created atomically with mode 0600.
//
// Both the master key file and the instance signing key use these, so the rules are the same for
// every secret Likeness keeps in a file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>

#include "likeness/status.h"
#include "privacy/secret.h"

namespace likeness::privacy {

// Reads a whole key file. Errors: NotFound (absent); PermissionDenied (not a regular file we can
// read, owned by another user, or readable/writable by group or others: "chmod 600" fixes it);
// Corruption (larger than max_bytes); IOError.
Result<SecretBuffer> ReadSecretFile(const std::filesystem::path& path, size_t max_bytes);

// Creates `path` holding `bytes`, mode 0600, atomically: the content is written and fsynced to a
// temporary file in the same folder which is then hard-linked into place, so a concurrent reader
// never sees a partial key. Errors: AlreadyExists (path exists; nothing is changed); IOError.
Status CreateSecretFile(const std::filesystem::path& path, std::span<const uint8_t> bytes);

}  // namespace likeness::privacy
