// What the erasure attacks look for: every stored form of an embedding (fp32 as the catalog, Flat,
// Exact, HNSW and the hubness state hold it; fp16 and int8 as Exact,fp16/int8 and the IVF-PQ
// re-rank rows hold it) and the files of a data folder that contain one of them.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "likeness/types.h"

namespace likeness::redteam {

enum class Form { kFp32, kFp16, kInt8 };
const char* FormName(Form form);

// Two 64-byte windows (the first and the last 64 bytes) of the embedding encoded in `form`: fp32
// little-endian; fp16 as the SIMD kernels convert it; int8 rows as simd::QuantizeRowInt8 makes
// them.
std::vector<std::string> Needles(const Embedding& e, Form form);

// Every regular file under `dir` (recursively, temporary files included) holding one of `needles`,
// as paths relative to `dir`.
std::vector<std::string> FilesContaining(const std::filesystem::path& dir,
                                         const std::vector<std::string>& needles);

// Every regular file under `dir`, relative, for messages.
std::string ListFiles(const std::filesystem::path& dir);

}  // namespace likeness::redteam
