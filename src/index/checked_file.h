// Atomic, checksummed files for the index kinds that do not go through FAISS's serializer alone
// (hnswlib graphs, IVF-PQ + re-rank). Internal to src/index.
//
// Layout: whatever the caller writes (it starts with its own magic and version), then a SHA-256 of
// every byte before it (32 bytes). The reader verifies the digest over the whole file before the
// caller parses a byte, so a flipped or truncated file reads as Corruption.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "likeness/status.h"

namespace likeness::index {

// A random 16-hex-digit suffix for temporary file names (index_file.cc uses it too).
std::string RandomSuffix();
// fsync of a folder, so a rename into it is durable. IOError naming the folder.
Status SyncDir(const std::filesystem::path& dir);
// Whether the file's first bytes are `magic` (false when it cannot be read or is shorter).
bool FileStartsWith(const std::filesystem::path& path, std::string_view magic);

// Writes to a temporary file next to the target (mode 0600), hashing every byte. Commit appends the
// digest, fsyncs, renames over the target and fsyncs the folder; destroying an uncommitted writer
// removes the temporary file and leaves the target untouched. Not thread-safe.
class AtomicFileWriter {
 public:
  static Result<std::unique_ptr<AtomicFileWriter>> Open(const std::filesystem::path& path);
  ~AtomicFileWriter();
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

  Status Write(const void* data, size_t n);
  template <typename T>
  Status WriteValue(const T& value) {
    return Write(&value, sizeof(value));
  }
  // A u32 length, then the bytes.
  Status WriteString(std::string_view s);
  uint64_t bytes() const { return bytes_; }
  Status Commit();

 private:
  struct State;
  explicit AtomicFileWriter(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
  uint64_t bytes_ = 0;
};

// Reads a file written by AtomicFileWriter. Open checks that it starts with `magic` and that the
// digest matches, then positions just after the magic. Reads past the payload (into the digest)
// fail with Corruption. Not thread-safe.
class CheckedFileReader {
 public:
  // Errors: NotFound, IOError, Corruption (bad magic, short file, digest mismatch).
  static Result<std::unique_ptr<CheckedFileReader>> Open(const std::filesystem::path& path,
                                                         std::string_view magic);
  ~CheckedFileReader();
  CheckedFileReader(const CheckedFileReader&) = delete;
  CheckedFileReader& operator=(const CheckedFileReader&) = delete;

  Status Read(void* out, size_t n);
  template <typename T>
  Status ReadValue(T& out) {
    return Read(&out, sizeof(out));
  }
  // Reads what WriteString wrote; Corruption when longer than max_length.
  Result<std::string> ReadString(size_t max_length);
  // Payload bytes not read yet.
  uint64_t remaining() const { return remaining_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  CheckedFileReader(FILE* file, std::filesystem::path path, uint64_t remaining);
  FILE* file_;
  std::filesystem::path path_;
  uint64_t remaining_;
};

}  // namespace likeness::index
