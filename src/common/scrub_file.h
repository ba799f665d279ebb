// Overwriting files before they are replaced or removed, so that a derived file that held a face's
// vector (an index, the hubness state) or an uploaded photo does not leave its bytes in the blocks
// a rename or unlink hands back to the file system.
//
// What this reaches: the file's blocks as the file system maps them at the time of the call (on
// ext4/xfs without data journalling, an in-place write goes to the same blocks). What it cannot
// reach: copy-on-write file systems and snapshots (btrfs, ZFS, LVM snapshots), the SSD's remapped
// flash pages, backups. docs/PRIVACY.md lists these as the operator's job.
#pragma once

#include <cstdint>
#include <filesystem>

#include "likeness/status.h"

namespace likeness {

// Writes zeros over every byte of the regular file at `path` (same size, in place) and fsyncs it.
// Returns the bytes overwritten; 0 when there is no file. Errors: IOError (naming the file).
Result<uint64_t> OverwriteFileInPlace(const std::filesystem::path& path);

// OverwriteFileInPlace, then unlink, then fsync of the folder. Returns the bytes overwritten; 0
// when there is no file. Errors: IOError.
Result<uint64_t> OverwriteAndRemove(const std::filesystem::path& path);

// Bytes overwritten by OverwriteFileInPlace in this process so far (for benchmarks).
uint64_t BytesOverwrittenSoFar();

}  // namespace likeness
