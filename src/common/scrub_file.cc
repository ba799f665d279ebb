#include "common/scrub_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

namespace likeness {
namespace {

constexpr size_t kZeroChunk = size_t{1} << 20;
std::atomic<uint64_t> g_overwritten{0};

std::string Why(const std::filesystem::path& path, const char* what) {
  return std::string(what) + " " + path.string() + ": " + std::strerror(errno);
}

}  // namespace

Result<uint64_t> OverwriteFileInPlace(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT) return uint64_t{0};
    return Status::IOError(Why(path, "cannot open to overwrite"));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::IOError("cannot overwrite " + path.string() + ": not a regular file");
  }
  const auto size = static_cast<uint64_t>(st.st_size);
  const std::vector<char> zeros(static_cast<size_t>(std::min<uint64_t>(size, kZeroChunk)));
  for (uint64_t done = 0; done < size;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(size - done, zeros.size()));
    const ssize_t w = ::pwrite(fd, zeros.data(), n, static_cast<off_t>(done));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      const Status failed = Status::IOError(Why(path, "cannot overwrite"));
      ::close(fd);
      return failed;
    }
    done += static_cast<uint64_t>(w);
  }
  if (::fsync(fd) != 0) {
    const Status failed = Status::IOError(Why(path, "cannot fsync"));
    ::close(fd);
    return failed;
  }
  ::close(fd);
  g_overwritten.fetch_add(size, std::memory_order_relaxed);
  return size;
}

Result<uint64_t> OverwriteAndRemove(const std::filesystem::path& path) {
  ASSIGN_OR_RETURN(uint64_t bytes, OverwriteFileInPlace(path));
  if (::unlink(path.c_str()) != 0) {
    if (errno == ENOENT) return bytes;
    return Status::IOError(Why(path, "cannot remove"));
  }
  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : ".";
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    (void)::fsync(dfd);
    ::close(dfd);
  }
  return bytes;
}

uint64_t BytesOverwrittenSoFar() { return g_overwritten.load(std::memory_order_relaxed); }

}  // namespace likeness
