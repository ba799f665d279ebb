// Reads the entries of an archive (zip, tar, tar.gz/.tgz, tar.xz, tar.bz2, tar.zst, 7z) into memory
// through libarchive, one entry at a time. Nothing is ever extracted to disk: an entry's name is
// only a label (a "../x" or "/etc/x" name never touches the file system).
//
// Hostile input: an entry whose declared or actual uncompressed size passes
// ArchiveLimits::max_entry_bytes is refused (its data is read in bounded chunks, so a zip or gzip
// bomb stops at the cap); no more than max_entries entries are read; symlinks, hard links, devices
// and nested archives are reported and skipped, never followed or opened. A truncated or corrupt
// archive yields the entries before the damage, then one entry carrying the error.
//
// Thread safety: an ArchiveReader is used by one thread at a time.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "likeness/status.h"

struct archive;  // libarchive

namespace likeness::sources {

struct ArchiveLimits {
  // Entries larger than this (declared or actual, uncompressed) are refused.
  uint64_t max_entry_bytes = 64ull << 20;
  // Entries (of every type, folders included) read before the rest is refused.
  int64_t max_entries = 1'000'000;
};

// True when the bytes start like an archive or a compressed stream this reader opens (zip, 7z,
// tar, gzip, bzip2, xz, zstd), by content magic, never by name.
bool LooksLikeArchive(std::span<const uint8_t> head);
// Reads the first bytes of a regular file and applies LooksLikeArchive (false for folders and
// unreadable paths).
bool IsArchiveFile(const std::filesystem::path& path);

struct ArchiveEntry {
  std::string name;  // as stored in the archive, control characters replaced by '?'
  // The entry's bytes when `status` is OK; empty otherwise.
  std::vector<uint8_t> bytes;
  // OK, or why the entry was skipped: ResourceExhausted (size cap, entry cap), Unsupported
  // (symlink, hard link, device, nested archive, encrypted), Corruption (damaged archive: the last
  // entry yielded).
  Status status;
};

class ArchiveReader {
 public:
  // Opens the archive. Errors: NotFound, InvalidArgument when it is not a readable archive.
  static Result<std::unique_ptr<ArchiveReader>> Open(const std::filesystem::path& path,
                                                     const ArchiveLimits& limits = {});
  ~ArchiveReader();
  ArchiveReader(const ArchiveReader&) = delete;
  ArchiveReader& operator=(const ArchiveReader&) = delete;

  // Reads the next file entry (folders are passed over silently) into *entry. Returns false at the
  // end of the archive, after a damaged archive's error entry, or after the entry-cap entry.
  bool Next(ArchiveEntry* entry);

  // Counts the entries Next would yield, reading headers only where the format allows (zip, 7z);
  // compressed tar streams are decompressed but not kept. Errors as Open.
  static Result<int64_t> CountEntries(const std::filesystem::path& path,
                                      const ArchiveLimits& limits = {});

 private:
  ArchiveReader(archive* a, ArchiveLimits limits) : archive_(a), limits_(limits) {}
  Status ReadData(ArchiveEntry* entry, int64_t declared_size);

  archive* archive_;
  ArchiveLimits limits_;
  int64_t entries_seen_ = 0;
  bool done_ = false;
};

}  // namespace likeness::sources
