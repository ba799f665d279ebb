#include "index/row_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <random>
#include <system_error>
#include <vector>

namespace likeness::index {
namespace {

std::string ErrnoText(int err) { return std::error_code(err, std::generic_category()).message(); }

Status WriteAll(int fd, const uint8_t* data, size_t n, off_t at, const std::string& what) {
  for (size_t done = 0; done < n;) {
    const ssize_t w = ::pwrite(fd, data + done, n - done, at + static_cast<off_t>(done));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return Status::IOError("writing " + what + ": " + ErrnoText(errno));
    done += static_cast<size_t>(w);
  }
  return Status::Ok();
}

}  // namespace

RowFile::RowFile(int fd, size_t row_bytes, std::filesystem::path path)
    : fd_(fd), row_bytes_(row_bytes), path_(std::move(path)) {}

RowFile::~RowFile() {
  if (base_ != nullptr) ::munmap(base_, mapped_);
  ::close(fd_);
}

Result<std::unique_ptr<RowFile>> RowFile::CreateTemp(const std::filesystem::path& dir,
                                                     size_t row_bytes) {
  const int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Status::IOError("cannot create a vector file in " + dir.string() + ": " +
                           ErrnoText(errno));
  }
  return std::unique_ptr<RowFile>(new RowFile(fd, row_bytes, {}));
}

Result<std::unique_ptr<RowFile>> RowFile::Open(const std::filesystem::path& path, size_t row_bytes,
                                               int64_t rows) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT) return Status::NotFound("no vector file at " + path.string());
    return Status::IOError("cannot open " + path.string() + ": " + ErrnoText(err));
  }
  std::unique_ptr<RowFile> file(new RowFile(fd, row_bytes, path));
  struct stat st {};
  if (::fstat(fd, &st) != 0)
    return Status::IOError("stat " + path.string() + ": " + ErrnoText(errno));
  const uint64_t want = static_cast<uint64_t>(rows) * row_bytes;
  if (static_cast<uint64_t>(st.st_size) < want) {
    return Status::Corruption(path.string() + ": vector file holds fewer rows than its index");
  }
  if (static_cast<uint64_t>(st.st_size) > want && ::ftruncate(fd, static_cast<off_t>(want)) != 0) {
    return Status::IOError("truncating " + path.string() + ": " + ErrnoText(errno));
  }
  file->rows_ = rows;
  RETURN_IF_ERROR(file->Map());
  return file;
}

Status RowFile::Map() {
  if (base_ != nullptr) ::munmap(base_, mapped_);
  base_ = nullptr;
  mapped_ = static_cast<size_t>(rows_) * row_bytes_;
  if (mapped_ == 0) return Status::Ok();
  void* p = ::mmap(nullptr, mapped_, PROT_READ, MAP_SHARED, fd_, 0);
  if (p == MAP_FAILED) {
    mapped_ = 0;
    return Status::IOError("mapping the vector file: " + ErrnoText(errno));
  }
  ::madvise(p, mapped_, MADV_RANDOM);
  base_ = static_cast<uint8_t*>(p);
  return Status::Ok();
}

Status RowFile::Append(const uint8_t* data, int64_t n) {
  if (n <= 0) return Status::Ok();
  const off_t at = static_cast<off_t>(rows_) * static_cast<off_t>(row_bytes_);
  RETURN_IF_ERROR(WriteAll(fd_, data, static_cast<size_t>(n) * row_bytes_, at, "the vector file"));
  rows_ += n;
  return Map();
}

Status RowFile::Zero(int64_t r) {
  const std::vector<uint8_t> zeros(row_bytes_);
  return WriteAll(fd_, zeros.data(), zeros.size(),
                  static_cast<off_t>(r) * static_cast<off_t>(row_bytes_), "the vector file");
}

Status RowFile::PersistAs(const std::filesystem::path& path) {
  if (!path_.empty() && std::filesystem::equivalent(path_, path)) {
    if (::fsync(fd_) != 0)
      return Status::IOError("fsync " + path.string() + ": " + ErrnoText(errno));
    return Status::Ok();
  }
  std::random_device device;
  const std::filesystem::path tmp =
      path.string() + ".tmp-" + std::to_string((uint64_t{device()} << 32) | device());
  const int out = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (out < 0) return Status::IOError("cannot create " + tmp.string() + ": " + ErrnoText(errno));
  Status status;
  const size_t total = static_cast<size_t>(rows_) * row_bytes_;
  loff_t in_off = 0;
  while (status.ok() && static_cast<size_t>(in_off) < total) {
    const ssize_t n =
        ::copy_file_range(fd_, &in_off, out, nullptr, total - static_cast<size_t>(in_off), 0);
    if (n <= 0)
      status =
          Status::IOError("copying the vector file to " + tmp.string() + ": " + ErrnoText(errno));
  }
  if (status.ok() && ::fsync(out) != 0) status = Status::IOError("fsync " + tmp.string());
  ::close(out);
  if (status.ok() && std::rename(tmp.c_str(), path.c_str()) != 0) {
    status = Status::IOError("renaming " + tmp.string() + ": " + ErrnoText(errno));
  }
  if (!status.ok()) {
    ::unlink(tmp.c_str());
    return status;
  }
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return Status::IOError("cannot reopen " + path.string() + ": " + ErrnoText(errno));
  ::close(fd_);
  fd_ = fd;
  path_ = path;
  return Map();
}

}  // namespace likeness::index
