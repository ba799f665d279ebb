// A file of fixed-size rows, memory-mapped read-only and appended with pwrite: the on-disk vectors
// the IVF-PQ index re-ranks from. Internal to src/index.
//
// The file holds nothing but rows (its metadata lives in the index file that references it). The
// mapping is shared and read-only, so resident pages are the kernel's page cache, not the process's
// heap: RAM use is whatever the OS keeps cached.
//
// Thread safety: none of its own; the owner serialises Append/Zero/Reopen against readers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>

#include "likeness/status.h"

namespace likeness::index {

class RowFile {
 public:
  // An unnamed file in `dir` (O_TMPFILE, mode 0600): it vanishes when closed unless LinkTo names
  // it.
  static Result<std::unique_ptr<RowFile>> CreateTemp(const std::filesystem::path& dir,
                                                     size_t row_bytes);
  // An existing file, cut to `rows` rows (anything past them was appended after its index was
  // saved). Errors: NotFound, IOError, Corruption (shorter than `rows` rows).
  static Result<std::unique_ptr<RowFile>> Open(const std::filesystem::path& path, size_t row_bytes,
                                               int64_t rows);
  ~RowFile();
  RowFile(const RowFile&) = delete;
  RowFile& operator=(const RowFile&) = delete;

  size_t row_bytes() const { return row_bytes_; }
  int64_t rows() const { return rows_; }
  // REQUIRES: 0 <= r < rows(). Valid until the next Append.
  const uint8_t* row(int64_t r) const { return base_ + static_cast<size_t>(r) * row_bytes_; }

  // Appends n rows (n * row_bytes() bytes) and remaps.
  Status Append(const uint8_t* data, int64_t n);
  // Overwrites row r with zeros (a removed face's vector does not stay on disk).
  Status Zero(int64_t r);
  // Makes the file durable under `path` (copying it there atomically unless it already is that
  // file) and switches to it. Errors: IOError.
  Status PersistAs(const std::filesystem::path& path);
  const std::filesystem::path& path() const { return path_; }  // empty for an unnamed file

 private:
  RowFile(int fd, size_t row_bytes, std::filesystem::path path);
  Status Map();

  int fd_;
  size_t row_bytes_;
  std::filesystem::path path_;
  int64_t rows_ = 0;
  uint8_t* base_ = nullptr;
  size_t mapped_ = 0;
};

}  // namespace likeness::index
