// The one thing ingest asks of a source: "give me the next item", where an item is a file on disk,
// an archive entry already in memory, or a manifest row naming a file. Folder files, archive
// entries and manifest rows are then treated alike (read -> hash -> dedup -> decode -> store).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "likeness/status.h"

namespace likeness::sources {

struct SourceItem {
  // Where the image came from, stored as the image's path and shown in reports: an absolute file
  // path, or "ARCHIVE_PATH!/entry/name" for an archive entry, or a manifest row's `location`.
  std::string location;
  // Non-empty: the bytes are read from this file by the consumer (files and manifest rows).
  std::filesystem::path file;
  // The bytes when `file` is empty (archive entries).
  std::vector<uint8_t> bytes;
  // Per-row dates from a manifest (validated YYYY-MM-DD...; empty when not given).
  std::string collected_at;
  std::string retain_until;
  // Non-OK: the item could not be produced (missing file, refused or damaged entry); the consumer
  // reports it as an error and goes on.
  Status status;
};

// A sequence of items. Not thread safe: consumers serialise calls to Next.
class ItemSource {
 public:
  virtual ~ItemSource() = default;
  // Fills *item with the next item; false when there are no more.
  virtual bool Next(SourceItem* item) = 0;
  // How many items Next yields in all (counted when the source was opened), for progress.
  virtual int64_t size() const = 0;
};

}  // namespace likeness::sources
