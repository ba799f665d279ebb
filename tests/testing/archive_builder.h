// Writes zip and tar archives for tests with libarchive's writer, including hostile ones: names
// with
// "../" or a leading '/', symlinks, and large runs of zeros written in chunks (compression bombs).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace likeness::testing {

struct ArchiveMember {
  std::string name;
  std::string bytes;           // contents of a regular file
  uint64_t zeros = 0;          // > 0: the contents are this many zero bytes instead (streamed)
  std::string symlink_target;  // non-empty: a symbolic link, not a file
};

enum class ArchiveType { kZip, kTarGz, kTar, kTarXz, kTarBz2, kSevenZip };

// Writes the members to `path`; false (and a message on stderr) on failure.
bool WriteArchive(const std::filesystem::path& path, ArchiveType type,
                  const std::vector<ArchiveMember>& members);

// The file's bytes (empty if unreadable).
std::string ReadAll(const std::filesystem::path& path);

// Keeps the first `fraction` of the file's bytes.
void TruncateFile(const std::filesystem::path& path, double fraction);

}  // namespace likeness::testing
