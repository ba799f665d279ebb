#include "sources/archive_reader.h"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <fstream>

namespace likeness::sources {
namespace {

constexpr size_t kBlockBytes = 64 << 10;  // read size from the archive file
constexpr size_t kChunkBytes = 64 << 10;  // uncompressed bytes taken from libarchive at a time
constexpr size_t kMagicBytes = 262;       // enough for the tar "ustar" magic at offset 257
constexpr size_t kTarMagicOffset = 257;

bool StartsWith(std::span<const uint8_t> head, std::initializer_list<uint8_t> magic) {
  return head.size() >= magic.size() && std::equal(magic.begin(), magic.end(), head.begin());
}

// A reader for the formats and filters we accept. Only decoders linked into libarchive: a filter
// whose library is missing would fall back to running an external program, so it is not enabled
// (and lrzip, lzop, grzip and uu, which always would, never are).
archive* NewReader() {
  archive* a = archive_read_new();
  if (a == nullptr) return nullptr;
  if (archive_zlib_version() != nullptr) archive_read_support_filter_gzip(a);
  if (archive_bzlib_version() != nullptr) archive_read_support_filter_bzip2(a);
  if (archive_liblzma_version() != nullptr) {
    archive_read_support_filter_xz(a);
    archive_read_support_filter_lzma(a);
  }
  if (archive_libzstd_version() != nullptr) archive_read_support_filter_zstd(a);
  archive_read_support_format_zip(a);
  archive_read_support_format_tar(a);
  archive_read_support_format_7zip(a);
  return a;
}

std::string ErrorText(archive* a) {
  const char* e = archive_error_string(a);
  return e ? e : "unknown libarchive error";
}

std::string SafeName(archive_entry* h, int64_t index) {
  const char* raw = archive_entry_pathname_utf8(h);
  if (raw == nullptr) raw = archive_entry_pathname(h);
  if (raw == nullptr || *raw == '\0') return "(unnamed entry " + std::to_string(index) + ")";
  std::string name(raw);
  for (char& c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) c = '?';
  }
  return name;
}

// True when a path component starts with '.' (as folders, hidden entries such as "._x.jpg" from
// macOS are passed over); "." and ".." are names, not hidden.
bool IsHidden(const std::string& name) {
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find('/', start);
    if (end == std::string::npos) end = name.size();
    const std::string_view part(name.data() + start, end - start);
    if (part.size() > 1 && part[0] == '.' && part != "..") return true;
    start = end + 1;
  }
  return false;
}

enum class HeaderKind { kPassOver, kFile, kRefused };

// Classifies a header. kRefused sets *why.
HeaderKind Classify(archive_entry* h, const std::string& name, const ArchiveLimits& limits,
                    Status* why) {
  const auto type = archive_entry_filetype(h);
  if (type == AE_IFDIR || IsHidden(name)) return HeaderKind::kPassOver;
  if (archive_entry_hardlink(h) != nullptr) {
    *why = Status::Unsupported("hard link entry skipped (links are never followed)");
  } else if (type == AE_IFLNK) {
    *why = Status::Unsupported("symbolic link entry skipped (links are never followed)");
  } else if (type != AE_IFREG) {
    *why = Status::Unsupported("device, fifo or socket entry skipped");
  } else if (archive_entry_is_encrypted(h)) {
    *why = Status::Unsupported("encrypted entry skipped");
  } else if (archive_entry_size_is_set(h) &&
             static_cast<uint64_t>(archive_entry_size(h)) > limits.max_entry_bytes) {
    *why = Status::ResourceExhausted("entry declares " + std::to_string(archive_entry_size(h)) +
                                     " bytes, over the " + std::to_string(limits.max_entry_bytes) +
                                     "-byte limit per entry");
  } else {
    return HeaderKind::kFile;
  }
  return HeaderKind::kRefused;
}

Status EntryCapError(const ArchiveLimits& limits) {
  return Status::ResourceExhausted("more than " + std::to_string(limits.max_entries) +
                                   " entries: the rest of the archive is not read");
}

Result<archive*> OpenArchive(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return Status::NotFound("no such archive file: " + path.string());
  }
  archive* a = NewReader();
  if (a == nullptr) return Status::Internal("libarchive: out of memory");
  if (archive_read_open_filename(a, path.c_str(), kBlockBytes) != ARCHIVE_OK) {
    Status st =
        Status::InvalidArgument("cannot open archive " + path.string() + ": " + ErrorText(a));
    archive_read_free(a);
    return st;
  }
  return a;
}

}  // namespace

bool LooksLikeArchive(std::span<const uint8_t> head) {
  if (StartsWith(head, {'P', 'K', 3, 4}) || StartsWith(head, {'P', 'K', 5, 6}) ||
      StartsWith(head, {'P', 'K', 7, 8}) || StartsWith(head, {'7', 'z', 0xBC, 0xAF, 0x27, 0x1C}) ||
      StartsWith(head, {0x1F, 0x8B}) || StartsWith(head, {'B', 'Z', 'h'}) ||
      StartsWith(head, {0xFD, '7', 'z', 'X', 'Z', 0}) ||
      StartsWith(head, {0x28, 0xB5, 0x2F, 0xFD})) {
    return true;
  }
  return head.size() >= kTarMagicOffset + 5 &&
         std::memcmp(head.data() + kTarMagicOffset, "ustar", 5) == 0;
}

bool IsArchiveFile(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return false;
  std::ifstream in(path, std::ios::binary);
  std::array<uint8_t, kMagicBytes> head{};
  in.read(reinterpret_cast<char*>(head.data()), head.size());
  return LooksLikeArchive(std::span(head.data(), static_cast<size_t>(in.gcount())));
}

Result<std::unique_ptr<ArchiveReader>> ArchiveReader::Open(const std::filesystem::path& path,
                                                           const ArchiveLimits& limits) {
  ASSIGN_OR_RETURN(archive * a, OpenArchive(path));
  return std::unique_ptr<ArchiveReader>(new ArchiveReader(a, limits));
}

ArchiveReader::~ArchiveReader() { archive_read_free(archive_); }

bool ArchiveReader::Next(ArchiveEntry* entry) {
  while (!done_) {
    *entry = ArchiveEntry{};
    archive_entry* h = nullptr;
    const int r = archive_read_next_header(archive_, &h);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) {  // FAILED or FATAL: the archive cannot be trusted past this point
      done_ = true;
      entry->name = "(after entry " + std::to_string(entries_seen_) + ")";
      entry->status = Status::Corruption("archive damaged after " + std::to_string(entries_seen_) +
                                         " entries: " + ErrorText(archive_));
      return true;
    }
    if (++entries_seen_ > limits_.max_entries) {
      done_ = true;
      entry->name = "(entry " + std::to_string(entries_seen_) + ")";
      entry->status = EntryCapError(limits_);
      return true;
    }
    entry->name = SafeName(h, entries_seen_);
    Status why;
    switch (Classify(h, entry->name, limits_, &why)) {
      case HeaderKind::kPassOver:
        continue;
      case HeaderKind::kRefused:
        entry->status = std::move(why);
        return true;
      case HeaderKind::kFile:
        break;
    }
    const int64_t declared = archive_entry_size_is_set(h) ? archive_entry_size(h) : -1;
    Status st = ReadData(entry, declared);
    if (st.ok() && LooksLikeArchive(entry->bytes)) {
      st = Status::Unsupported("nested archive not opened: ingest it on its own");
    }
    if (!st.ok()) {
      entry->bytes = {};
      entry->status = std::move(st);
    }
    return true;
  }
  done_ = true;
  return false;
}

Status ArchiveReader::ReadData(ArchiveEntry* entry, int64_t declared_size) {
  if (declared_size > 0) entry->bytes.reserve(static_cast<size_t>(declared_size));
  std::array<uint8_t, kChunkBytes> chunk;
  for (;;) {
    const la_ssize_t n = archive_read_data(archive_, chunk.data(), chunk.size());
    if (n == 0) return Status::Ok();
    if (n < 0) {
      if (n == ARCHIVE_FATAL) {
        done_ = true;
        return Status::Corruption("archive damaged inside this entry: " + ErrorText(archive_));
      }
      return Status::InvalidArgument("cannot read entry: " + ErrorText(archive_));
    }
    if (entry->bytes.size() + static_cast<size_t>(n) > limits_.max_entry_bytes) {
      return Status::ResourceExhausted("entry inflates past the " +
                                       std::to_string(limits_.max_entry_bytes) +
                                       "-byte limit per entry (stopped there)");
    }
    entry->bytes.insert(entry->bytes.end(), chunk.data(), chunk.data() + n);
  }
}

Result<int64_t> ArchiveReader::CountEntries(const std::filesystem::path& path,
                                            const ArchiveLimits& limits) {
  ASSIGN_OR_RETURN(archive * a, OpenArchive(path));
  int64_t seen = 0, items = 0;
  for (;;) {
    archive_entry* h = nullptr;
    const int r = archive_read_next_header(a, &h);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN || ++seen > limits.max_entries) {
      ++items;  // the error entry Next yields
      break;
    }
    Status why;
    if (Classify(h, SafeName(h, seen), limits, &why) != HeaderKind::kPassOver) ++items;
  }
  archive_read_free(a);
  return items;
}

}  // namespace likeness::sources
