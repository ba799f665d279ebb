// Turning a factory string into an empty FAISS index, with the checks FAISS itself does not make.
// Internal to src/index.
#pragma once

#include <faiss/Index.h>

#include <memory>
#include <string_view>

#include "likeness/status.h"

namespace likeness::index {

inline constexpr int kMaxDim = 1 << 16;
// Factory strings are short ("HNSW32,Flat", "IVF4096,PQ64"); the bound also caps what LoadIndex
// reads.
inline constexpr size_t kMaxFactoryLength = 256;
// HNSW<M>: FAISS accepts M=0 and M=1 but builds a degenerate graph from them.
inline constexpr int kMinHnswM = 2;
inline constexpr int kMaxHnswM = 512;
// IVF<nlist>: FAISS allocates nlist inverted lists up front.
inline constexpr int kMaxIvfLists = 1 << 20;

// Checks `factory` and `dim` without building anything: length, characters, no IDMap (the index
// maps ids itself), and bounds on the HNSW M and IVF nlist parameters. Errors: InvalidArgument.
Status ValidateFactory(std::string_view factory, int dim);

// Validates, then builds an empty inner index for inner-product search. The result is never an
// IndexIDMap. Errors: InvalidArgument (bad string or dim, or an index that does not support inner
// product), ResourceExhausted.
Result<std::unique_ptr<faiss::Index>> MakeInnerIndex(std::string_view factory, int dim);

}  // namespace likeness::index
