// `likeness backup`: a consistent, key-free copy of a data folder as one tar file.
//
// What goes in: every SQLite database of the data folder (catalog.db, audit.db, api_keys.db, ...)
// copied with SQLite's online backup API (a consistent snapshot even while a server writes), and
// the folder's other files (instance.id, the people store, ...). What stays out:
//  - every key: master.key, keys.db, instance.key (an older layout's, should any still sit in the
//    folder) and api_keys.secret. Embeddings in the catalog are sealed under per-source data keys
//    that live only in the key folder (privacy/key_folder.h), so destroying a source's data key
//    (erasure) makes that source unreadable in every backup taken before, too;
//  - the vector index files (index/, hubness.lkhub): they hold embeddings in the clear and would
//    carry erased people into every backup. A restored folder rebuilds its index from the catalog
//    on first open, skipping embeddings whose data key is gone;
//  - uploaded photos (uploads/): they are kept in the clear, so a copy in a backup would outlive
//    the erasure of the person on them. Back them up apart only where erasure can reach them;
//  - SQLite's -wal/-shm/-journal files (the snapshot already holds their content), temporary and
//    lock files.
// Restore: `mkdir NEW && tar -xf FILE -C NEW`, then open NEW with the same keys root: instance.id
// names the key folder, so the restored folder uses the live keys (including every erasure made
// since the backup).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "likeness/status.h"

namespace likeness::backup {

struct BackupStats {
  std::vector<std::string> files;     // paths inside the archive
  std::vector<std::string> left_out;  // data-folder files deliberately not copied (why: see above)
  int64_t bytes = 0;                  // size of the archive written
  double seconds = 0;
};

// Writes the backup of `data_dir` to `out_file` (created through a temporary file and renamed,
// mode 0600). Errors: InvalidArgument (out_file inside data_dir), NotFound (no data folder),
// IOError, Corruption (a database that SQLite cannot read).
Result<BackupStats> WriteBackup(const std::filesystem::path& data_dir,
                                const std::filesystem::path& out_file);

}  // namespace likeness::backup
