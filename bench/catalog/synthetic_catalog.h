// The synthetic catalog the catalog benchmarks fill (bench_sealed_catalog, bench_backup): sources
// "bench-0".. with a declared basis, and images of two faces each with deterministic pseudo-random
// embeddings (the same sequence in every benchmark and run).
#pragma once

#include <cstdint>
#include <vector>

#include "catalog/catalog.h"
#include "likeness/status.h"

namespace likeness::bench {

// Creates `count` folder sources named bench-<i>; their ids in order.
Result<std::vector<int64_t>> CreateBenchSources(catalog::Catalog& catalog, int count);

// Adds `faces` / 2 images of two faces each, spread round-robin over `source_ids`.
Status AddBenchImages(catalog::Catalog& catalog, const std::vector<int64_t>& source_ids, int faces);

}  // namespace likeness::bench
