// Opens what a user names on `likeness ingest` as one ItemSource: folders (walked recursively, in
// sorted order, hidden files skipped), archives (detected by content magic; each entry is an item
// located at "ARCHIVE_PATH!/entry/name"), manifests (CSV/TSV lists of files, see manifest.h) and
// plain files.
#pragma once

#include <filesystem>
#include <memory>
#include <vector>

#include "sources/archive_reader.h"
#include "sources/item_source.h"
#include "sources/manifest.h"

namespace likeness::sources {

enum class PathKind { kFolder, kFile, kArchive, kManifest };

// What a path is: a folder, an archive (by magic), a manifest (LooksLikeManifest, or any file when
// manifests_only), else a file. NotFound when it does not exist.
Result<PathKind> DetectPathKind(const std::filesystem::path& path, bool manifests_only = false);

struct OpenOptions {
  // Treat every file argument as a manifest (`--kind manifest`); otherwise auto-detected.
  bool manifests_only = false;
  ArchiveLimits archive_limits;
  ManifestLimits manifest_limits;
};

// Opens the paths as one source, counting the items up front (archives: one header pass).
// Errors (nothing is ingested): NotFound for a path that does not exist, a folder that cannot be
// listed, a manifest that cannot be parsed. An archive that cannot be opened, a damaged archive
// and a manifest row whose file is missing are items with an error status, not errors here.
Result<std::unique_ptr<ItemSource>> OpenSources(const std::vector<std::filesystem::path>& paths,
                                                const OpenOptions& options = {});

// An ItemSource over files already listed (each item reads its file).
std::unique_ptr<ItemSource> FileItems(std::vector<std::filesystem::path> files);

// Lists image files under the given paths (folders recursively, in sorted order; files as given;
// hidden files skipped). NotFound for a path that does not exist.
Result<std::vector<std::filesystem::path>> ListFiles(
    const std::vector<std::filesystem::path>& paths);

// The location of an archive entry: the archive's absolute path, "!/", and the entry's name.
std::string ArchiveEntryLocation(const std::filesystem::path& archive, const std::string& name);

// Splits a stored location at the first "!/" whose left side is an existing archive file. False
// when the location names no archive entry (a plain path, or a label).
bool SplitArchiveLocation(const std::string& location, std::filesystem::path* archive,
                          std::string* entry);

// Reads the first entry called `name` from the archive (a linear scan). Errors: those of
// ArchiveReader::Open, NotFound when no such entry, the entry's own error when it is refused.
Result<std::vector<uint8_t>> ReadArchiveEntry(const std::filesystem::path& archive,
                                              const std::string& name,
                                              const ArchiveLimits& limits = {});

}  // namespace likeness::sources
