#include "testing/archive_builder.h"

#include <archive.h>
#include <archive_entry.h>

#include <cstdio>
#include <fstream>
#include <iterator>

namespace likeness::testing {
namespace {

constexpr size_t kZeroChunk = 1 << 20;

bool SetFormat(archive* a, ArchiveType type) {
  switch (type) {
    case ArchiveType::kZip:
      return archive_write_set_format_zip(a) == ARCHIVE_OK;
    case ArchiveType::kTar:
      return archive_write_set_format_pax_restricted(a) == ARCHIVE_OK;
    case ArchiveType::kTarGz:
      return archive_write_set_format_pax_restricted(a) == ARCHIVE_OK &&
             archive_write_add_filter_gzip(a) == ARCHIVE_OK;
    case ArchiveType::kTarXz:
      return archive_write_set_format_pax_restricted(a) == ARCHIVE_OK &&
             archive_write_add_filter_xz(a) == ARCHIVE_OK;
    case ArchiveType::kTarBz2:
      return archive_write_set_format_pax_restricted(a) == ARCHIVE_OK &&
             archive_write_add_filter_bzip2(a) == ARCHIVE_OK;
    case ArchiveType::kSevenZip:
      return archive_write_set_format_7zip(a) == ARCHIVE_OK;
  }
  return false;
}

bool WriteMember(archive* a, const ArchiveMember& m) {
  archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, m.name.c_str());
  archive_entry_set_perm(e, 0644);
  archive_entry_set_mtime(e, 1700000000, 0);
  if (!m.symlink_target.empty()) {
    archive_entry_set_filetype(e, AE_IFLNK);
    archive_entry_set_symlink(e, m.symlink_target.c_str());
    archive_entry_set_size(e, 0);
  } else {
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_size(e, static_cast<la_int64_t>(m.zeros > 0 ? m.zeros : m.bytes.size()));
  }
  bool ok = archive_write_header(a, e) == ARCHIVE_OK;
  archive_entry_free(e);
  if (!ok || !m.symlink_target.empty()) return ok;
  if (m.zeros > 0) {
    const std::string zeros(kZeroChunk, '\0');
    for (uint64_t left = m.zeros; ok && left > 0;) {
      const size_t n = left < kZeroChunk ? static_cast<size_t>(left) : kZeroChunk;
      ok = archive_write_data(a, zeros.data(), n) == static_cast<la_ssize_t>(n);
      left -= n;
    }
    return ok;
  }
  return m.bytes.empty() || archive_write_data(a, m.bytes.data(), m.bytes.size()) ==
                                static_cast<la_ssize_t>(m.bytes.size());
}

}  // namespace

bool WriteArchive(const std::filesystem::path& path, ArchiveType type,
                  const std::vector<ArchiveMember>& members) {
  archive* a = archive_write_new();
  bool ok = SetFormat(a, type) && archive_write_open_filename(a, path.c_str()) == ARCHIVE_OK;
  for (const auto& m : members) {
    if (!ok) break;
    ok = WriteMember(a, m);
  }
  if (!ok) std::fprintf(stderr, "WriteArchive %s: %s\n", path.c_str(), archive_error_string(a));
  ok = archive_write_close(a) == ARCHIVE_OK && ok;
  archive_write_free(a);
  return ok;
}

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void TruncateFile(const std::filesystem::path& path, double fraction) {
  const auto size = std::filesystem::file_size(path);
  std::filesystem::resize_file(path, static_cast<uintmax_t>(size * fraction));
}

}  // namespace likeness::testing
