#include "engine/folder_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "privacy/utc_time.h"

namespace likeness::engine {
namespace fs = std::filesystem;
namespace {

int OpenLockFile(const fs::path& data_dir) {
  return ::open((data_dir / kFolderLockFileName).c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
                0600);
}

FolderLockHolder Parse(const std::string& text) {
  FolderLockHolder h;
  std::istringstream in(text);
  std::string word;
  while (in >> word) {
    const size_t eq = word.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = word.substr(0, eq), value = word.substr(eq + 1);
    if (key == "pid") h.pid = std::atoll(value.c_str());
    if (key == "role") h.role = value;
    if (key == "since") h.since = value;
  }
  return h;
}

std::string ReadAll(int fd) {
  std::string text;
  char buf[256];
  for (off_t at = 0;;) {
    const ssize_t n = ::pread(fd, buf, sizeof buf, at);
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
    at += n;
    if (text.size() > 4096) break;
  }
  return text;
}

}  // namespace

std::string RefusalMessage(const fs::path& data_dir, const FolderLockHolder& holder,
                           std::string_view role) {
  std::string who = holder.pid > 0 ? "pid " + std::to_string(holder.pid) : "another process";
  if (!holder.role.empty()) who += " (likeness " + holder.role;
  if (!holder.role.empty() && !holder.since.empty()) who += " since " + holder.since;
  if (!holder.role.empty()) who += ")";
  std::string msg = "cannot " + std::string(role) + ": the data folder " + data_dir.string() +
                    (holder.role == "serve" ? " is served by " : " is being changed by ") + who +
                    "; one process writes a data folder at a time. ";
  if (holder.role == "serve") {
    msg += role == "erase" || role == "optout" || role == "retention"
               ? "Erase through the server (POST /api/v1/erasures, or the web app's erasure page), "
                 "or stop the server and run this again"
               : "Use the server's API or web app, or stop the server and run this again";
  } else {
    msg += "Wait for it to finish, then run this again";
  }
  return msg;
}

Result<std::unique_ptr<FolderLock>> FolderLock::Take(const fs::path& data_dir,
                                                     std::string_view role, bool must) {
  std::error_code ec;
  fs::create_directories(data_dir, ec);
  const int fd = OpenLockFile(data_dir);
  if (fd < 0) {
    return Status::IOError("cannot open the lock file in " + data_dir.string() + ": " +
                           std::strerror(errno));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    const FolderLockHolder holder = Parse(ReadAll(fd));
    ::close(fd);
    if (err != EWOULDBLOCK) {
      return Status::IOError("cannot lock " + data_dir.string() + ": " + std::strerror(err));
    }
    if (!must) return std::unique_ptr<FolderLock>();
    return Status::FailedPrecondition(RefusalMessage(data_dir, holder, role));
  }
  const std::string text = "pid=" + std::to_string(::getpid()) + " role=" + std::string(role) +
                           " since=" + privacy::FormatUtc(std::chrono::system_clock::now()) + "\n";
  if (::ftruncate(fd, 0) != 0 ||
      ::pwrite(fd, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) {
    const int err = errno;
    ::close(fd);
    return Status::IOError("cannot write the lock file in " + data_dir.string() + ": " +
                           std::strerror(err));
  }
  return std::unique_ptr<FolderLock>(new FolderLock(fd, std::string(role)));
}

Result<std::unique_ptr<FolderLock>> FolderLock::Acquire(const fs::path& data_dir,
                                                        std::string_view role) {
  return Take(data_dir, role, true);
}

Result<std::unique_ptr<FolderLock>> FolderLock::TryAcquire(const fs::path& data_dir,
                                                           std::string_view role) {
  return Take(data_dir, role, false);
}

FolderLock::~FolderLock() { ::close(fd_); }

std::optional<FolderLockHolder> FolderLock::Holder(const fs::path& data_dir) {
  const int fd = ::open((data_dir / kFolderLockFileName).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::optional<FolderLockHolder> out;
  if (::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK) out = Parse(ReadAll(fd));
  ::close(fd);
  return out;
}

}  // namespace likeness::engine
