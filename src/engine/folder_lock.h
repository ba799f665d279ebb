// One writer per data folder: an exclusive flock(2) on <data>/writer.lock.
//
// A process that changes the faces of a data folder (ingest, erase, opt-out, retention, index
// set, reembed, serve, a cluster shard) holds the lock for as long as it runs, so a second writer
// is refused with a message naming the holder (pid, command, since when) and what to do instead:
// a folder that `likeness serve` holds is changed through its API or web app, or after stopping
// it. Processes that only read (search, access, stats, ...) take no lock for their lifetime; the
// engine takes it for a moment around each write of a derived file (index, hubness state) and
// skips that write when another process holds it (see Engine::SaveIndex).
//
// flock locks belong to an open file description: a second Acquire in the same process on the
// same folder is refused too. The kernel drops the lock when the process exits, however it exits
// (kill -9 included), so a stale lock file never blocks anyone. The file's text (pid, role,
// time) only names the holder; the lock is the flock itself.
//
// Thread safety: a FolderLock is immutable after construction.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "likeness/status.h"

namespace likeness::engine {

inline constexpr std::string_view kFolderLockFileName = "writer.lock";

struct FolderLockHolder {
  int64_t pid = 0;
  std::string role;   // e.g. "serve", "ingest", "erase"
  std::string since;  // UTC time it took the lock
};

class FolderLock {
 public:
  // Takes the lock for `role` or fails at once: FailedPrecondition naming the holder and what to
  // do (WhatToDo), IOError when the lock file cannot be opened.
  static Result<std::unique_ptr<FolderLock>> Acquire(const std::filesystem::path& data_dir,
                                                     std::string_view role);
  // As Acquire, but nullptr (not an error) when another holder has it.
  static Result<std::unique_ptr<FolderLock>> TryAcquire(const std::filesystem::path& data_dir,
                                                        std::string_view role);
  // Releases the lock.
  ~FolderLock();
  FolderLock(const FolderLock&) = delete;
  FolderLock& operator=(const FolderLock&) = delete;

  const std::string& role() const { return role_; }

  // Who holds the folder's lock now; nullopt when nobody does (or the file cannot be read).
  static std::optional<FolderLockHolder> Holder(const std::filesystem::path& data_dir);

 private:
  FolderLock(int fd, std::string role) : fd_(fd), role_(std::move(role)) {}
  static Result<std::unique_ptr<FolderLock>> Take(const std::filesystem::path& data_dir,
                                                  std::string_view role, bool must);
  int fd_;
  std::string role_;
};

// The refusal a writer gets while `holder` holds `data_dir`, saying how to proceed.
std::string RefusalMessage(const std::filesystem::path& data_dir, const FolderLockHolder& holder,
                           std::string_view role);

}  // namespace likeness::engine
