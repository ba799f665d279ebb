// VectorIndex over the project's own SIMD exact-search store (src/simd): "Exact" (fp32),
// "Exact,fp16" (half the RAM, same ranking in practice) and "Exact,int8" (a quarter). Internal to
// src/index; reached through CreateIndex / LoadIndex.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string_view>

#include "index/vector_index.h"

namespace likeness::index {

// True for factory strings this module serves ("Exact", "Exact,fp32|fp16|int8").
bool IsExactFactory(std::string_view factory);

Result<std::unique_ptr<VectorIndex>> CreateExactIndex(std::string_view factory, int dim);

// True when the file starts with the exact store's magic.
bool LooksLikeExactStoreFile(const std::filesystem::path& path);
Result<LoadedIndex> LoadExactIndex(const std::filesystem::path& path);

}  // namespace likeness::index
