#include "privacy/secret_file.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace likeness::privacy {
namespace {

constexpr mode_t kGroupOtherBits = 0077;
constexpr mode_t kKeyFileMode = 0600;

std::string Errno(const std::string& what, const std::filesystem::path& path) {
  return what + " " + path.string() + ": " + std::strerror(errno);
}

// Closes a file descriptor on scope exit.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int Release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

Status WriteAll(int fd, std::span<const uint8_t> bytes, const std::filesystem::path& path) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::IOError(Errno("cannot write", path));
    }
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Status FsyncDir(const std::filesystem::path& dir) {
  Fd fd(::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return Status::IOError(Errno("cannot open folder", dir));
  if (::fsync(fd.get()) != 0) return Status::IOError(Errno("cannot fsync folder", dir));
  return Status::Ok();
}

}  // namespace

Result<SecretBuffer> ReadSecretFile(const std::filesystem::path& path, size_t max_bytes) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (fd.get() < 0) {
    if (errno == ENOENT) return Status::NotFound("no key file at " + path.string());
    if (errno == EACCES || errno == ELOOP) {
      return Status::PermissionDenied(Errno("cannot open key file", path));
    }
    return Status::IOError(Errno("cannot open key file", path));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return Status::IOError(Errno("cannot stat key file", path));
  if (!S_ISREG(st.st_mode)) {
    return Status::PermissionDenied("key file " + path.string() + " is not a regular file");
  }
  if (st.st_uid != ::geteuid()) {
    return Status::PermissionDenied("key file " + path.string() + " is owned by uid " +
                                    std::to_string(st.st_uid) + ", not by this user (uid " +
                                    std::to_string(::geteuid()) + "); run: chown " +
                                    std::to_string(::geteuid()) + " " + path.string());
  }
  if ((st.st_mode & kGroupOtherBits) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return Status::PermissionDenied("key file " + path.string() +
                                    " is accessible by group or others (mode " + mode +
                                    "); run: chmod 600 " + path.string());
  }
  if (static_cast<size_t>(st.st_size) > max_bytes) {
    return Status::Corruption("key file " + path.string() + " is " + std::to_string(st.st_size) +
                              " bytes; a key file is at most " + std::to_string(max_bytes));
  }
  // One allocation of the final size, so no stray copies of the key are left in freed memory.
  std::vector<uint8_t> bytes(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::read(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      sodium_memzero(bytes.data(), bytes.size());
      return Status::IOError(Errno("cannot read key file", path));
    }
    if (n == 0) break;  // the file shrank under us; the caller's length check reports it
    done += static_cast<size_t>(n);
  }
  bytes.resize(done);
  return SecretBuffer(std::move(bytes));
}

Status CreateSecretFile(const std::filesystem::path& path, std::span<const uint8_t> bytes) {
  std::string tmpl = path.string() + ".tmp-XXXXXX";
  Fd fd(::mkostemp(tmpl.data(), O_CLOEXEC));
  if (fd.get() < 0) return Status::IOError(Errno("cannot create a temporary key file for", path));
  const std::filesystem::path tmp = tmpl;
  struct Unlink {
    const std::filesystem::path& p;
    ~Unlink() { ::unlink(p.c_str()); }
  } unlink_tmp{tmp};

  if (::fchmod(fd.get(), kKeyFileMode) != 0) return Status::IOError(Errno("cannot chmod", tmp));
  RETURN_IF_ERROR(WriteAll(fd.get(), bytes, tmp));
  if (::fsync(fd.get()) != 0) return Status::IOError(Errno("cannot fsync", tmp));
  if (::close(fd.Release()) != 0) return Status::IOError(Errno("cannot close", tmp));
  if (::link(tmp.c_str(), path.c_str()) != 0) {
    if (errno == EEXIST)
      return Status::AlreadyExists("key file " + path.string() + " already exists");
    return Status::IOError(Errno("cannot create key file", path));
  }
  return FsyncDir(path.parent_path());
}

}  // namespace likeness::privacy
