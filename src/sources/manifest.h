// Manifests: a CSV or TSV list of files to ingest.
//
//   path,location,collected_at,retain_until
//   photos/a.jpg,,2024-05-01,2031-12-31
//   /abs/b.png,"Town hall, door 3",,
//
// The first line that is neither blank nor a '#' comment is the header; a tab in it makes the file
// TSV, otherwise CSV (RFC 4180 quoting: "a, b" and "say ""hi"""). `path` is required; `location`,
// `collected_at` and `retain_until` are optional columns (any other column is an error, so a
// misspelt retention column is never ignored). Relative paths resolve against the manifest's
// folder. Dates are YYYY-MM-DD (collected_at may carry a time: YYYY-MM-DDTHH:MM:SS[Z]).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "likeness/status.h"

namespace likeness::sources {

struct ManifestRow {
  int line = 0;                // 1-based line in the manifest
  std::filesystem::path path;  // resolved against the manifest's folder
  std::string location;        // empty: use the path
  std::string collected_at;
  std::string retain_until;
  Status status;  // non-OK: the row is malformed (bad date, empty path); reported, not ingested
};

struct ManifestLimits {
  uint64_t max_bytes = 64ull << 20;
  int64_t max_rows = 1'000'000;
};

// Parses manifest text. Errors (the whole manifest is refused): InvalidArgument for a missing
// header, no `path` column, an unknown or repeated column, too many rows.
Result<std::vector<ManifestRow>> ParseManifest(std::string_view text,
                                               const std::filesystem::path& base_dir,
                                               const ManifestLimits& limits = {});

// Reads and parses a manifest file. Errors: NotFound, IOError, ResourceExhausted (over max_bytes),
// and those of ParseManifest.
Result<std::vector<ManifestRow>> ReadManifest(const std::filesystem::path& path,
                                              const ManifestLimits& limits = {});

// True when the file is named *.manifest or *.csv or *.tsv and its header line has a `path`
// column.
bool LooksLikeManifest(const std::filesystem::path& path);

}  // namespace likeness::sources
