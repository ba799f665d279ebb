// The on-disk format of a saved index, and atomic writes of it. Internal to src/index.
//
// Layout, version 1 (integers little-endian):
//   offset 0       magic "LKIDX001"                  8 bytes
//   8              format version (1)                u32
//   12             generation                        u64
//   20             factory string length F           u32 (at most kMaxFactoryLength)
//   24             factory string                    F bytes
//   24+F           payload: faiss::write_index of the IndexIDMap2
//   size-40        payload length                    u64
//   size-32        SHA-256 of every byte before it   32 bytes
// The payload length and checksum trail the payload so Save can stream the index straight to disk
// instead of serializing it to memory first (the file can be as large as the index). Every version
// keeps the trailing SHA-256, so a flipped byte anywhere (version field included) reads as
// Corruption.
#pragma once

#include <faiss/Index.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "likeness/status.h"

namespace likeness::index {

inline constexpr char kIndexFileMagic[] = "LKIDX001";  // 8 bytes on disk, no terminator
inline constexpr uint32_t kIndexFileVersion = 1;

struct IndexFileContents {
  uint64_t generation = 0;
  std::string factory;
  std::unique_ptr<faiss::Index> index;
};

// Writes `index` to a temporary file next to `path` (mode 0600: embeddings are personal data),
// fsyncs it, renames it over `path` and fsyncs the folder. On error the temporary file is removed
// and `path` is untouched. Errors: IOError, Internal (FAISS failed to serialize).
Status WriteIndexFile(const std::filesystem::path& path, uint64_t generation,
                      const std::string& factory, const faiss::Index& index);

// Reads and checks a file written by WriteIndexFile: the checksum is verified over the whole file
// before FAISS parses a byte of the payload. The returned index is whatever FAISS read; the caller
// checks its type. Errors: NotFound, Corruption, Unsupported (a later format version), IOError.
Result<IndexFileContents> ReadIndexFile(const std::filesystem::path& path);

}  // namespace likeness::index
