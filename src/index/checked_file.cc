#include "index/checked_file.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <fstream>
#include <random>
#include <system_error>
#include <vector>

#include "common/scrub_file.h"

namespace likeness::index {
namespace {

constexpr size_t kDigestSize = crypto_hash_sha256_BYTES;
constexpr size_t kHashChunk = size_t{1} << 20;

std::string ErrnoText(int err) { return std::error_code(err, std::generic_category()).message(); }

}  // namespace

bool FileStartsWith(const std::filesystem::path& path, std::string_view magic) {
  std::ifstream in(path, std::ios::binary);
  std::string head(magic.size(), '\0');
  return in.read(head.data(), static_cast<std::streamsize>(head.size())) && head == magic;
}

std::string RandomSuffix() {
  std::random_device device;
  const uint64_t value = (uint64_t{device()} << 32) | device();
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(value));
  return buf;
}

Status SyncDir(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::IOError("cannot open " + dir.string() + ": " + ErrnoText(errno));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return Status::IOError("fsync " + dir.string() + ": " + ErrnoText(err));
  return Status::Ok();
}

struct AtomicFileWriter::State {
  FILE* file = nullptr;
  std::filesystem::path path, tmp, dir;
  crypto_hash_sha256_state hash{};
  bool committed = false;
};

AtomicFileWriter::AtomicFileWriter(std::unique_ptr<State> state) : state_(std::move(state)) {}

AtomicFileWriter::~AtomicFileWriter() {
  if (state_->file != nullptr) std::fclose(state_->file);
  if (!state_->committed) ::unlink(state_->tmp.c_str());
}

Result<std::unique_ptr<AtomicFileWriter>> AtomicFileWriter::Open(
    const std::filesystem::path& path) {
  auto state = std::make_unique<State>();
  state->path = path;
  state->dir = path.has_parent_path() ? path.parent_path() : ".";
  state->tmp = state->dir / (path.filename().string() + ".tmp-" + RandomSuffix());
  const int fd = ::open(state->tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Status::IOError("cannot create " + state->tmp.string() + ": " + ErrnoText(errno));
  }
  state->file = ::fdopen(fd, "wb");
  if (state->file == nullptr) {
    const int err = errno;
    ::close(fd);
    ::unlink(state->tmp.c_str());
    return Status::IOError("fdopen " + state->tmp.string() + ": " + ErrnoText(err));
  }
  crypto_hash_sha256_init(&state->hash);
  return std::unique_ptr<AtomicFileWriter>(new AtomicFileWriter(std::move(state)));
}

Status AtomicFileWriter::Write(const void* data, size_t n) {
  if (n == 0) return Status::Ok();
  if (state_->committed || state_->file == nullptr) return Status::Internal("write after commit");
  if (std::fwrite(data, 1, n, state_->file) != n) {
    return Status::IOError("writing " + state_->tmp.string() + ": " + ErrnoText(errno));
  }
  crypto_hash_sha256_update(&state_->hash, static_cast<const unsigned char*>(data), n);
  bytes_ += n;
  return Status::Ok();
}

Status AtomicFileWriter::WriteString(std::string_view s) {
  RETURN_IF_ERROR(WriteValue(static_cast<uint32_t>(s.size())));
  return Write(s.data(), s.size());
}

Status AtomicFileWriter::Commit() {
  if (state_->committed || state_->file == nullptr) return Status::Internal("commit twice");
  std::array<unsigned char, kDigestSize> digest{};
  crypto_hash_sha256_final(&state_->hash, digest.data());
  FILE* file = state_->file;
  state_->file = nullptr;
  const std::string& tmp = state_->tmp.string();
  Status status;
  if (std::fwrite(digest.data(), 1, digest.size(), file) != digest.size() ||
      std::fflush(file) != 0) {
    status = Status::IOError("writing " + tmp + ": " + ErrnoText(errno));
  }
  if (status.ok() && ::fsync(::fileno(file)) != 0) {
    status = Status::IOError("fsync " + tmp + ": " + ErrnoText(errno));
  }
  if (std::fclose(file) != 0 && status.ok()) {
    status = Status::IOError("closing " + tmp + ": " + ErrnoText(errno));
  }
  // The file being replaced may hold vectors erased since it was written: its blocks are
  // overwritten before the rename hands them back to the file system (common/scrub_file.h).
  if (status.ok()) status = OverwriteFileInPlace(state_->path).status();
  if (status.ok() && std::rename(tmp.c_str(), state_->path.c_str()) != 0) {
    status = Status::IOError("renaming " + tmp + " to " + state_->path.string() + ": " +
                             ErrnoText(errno));
  }
  RETURN_IF_ERROR(status);
  state_->committed = true;
  return SyncDir(state_->dir);
}

CheckedFileReader::CheckedFileReader(FILE* file, std::filesystem::path path, uint64_t remaining)
    : file_(file), path_(std::move(path)), remaining_(remaining) {}

CheckedFileReader::~CheckedFileReader() { std::fclose(file_); }

Result<std::unique_ptr<CheckedFileReader>> CheckedFileReader::Open(
    const std::filesystem::path& path, std::string_view magic) {
  FILE* raw = std::fopen(path.c_str(), "rbe");
  if (raw == nullptr) {
    const int err = errno;
    if (err == ENOENT) return Status::NotFound("no index file at " + path.string());
    return Status::IOError("cannot open " + path.string() + ": " + ErrnoText(err));
  }
  std::unique_ptr<CheckedFileReader> reader(new CheckedFileReader(raw, path, 0));
  struct stat st {};
  if (::fstat(::fileno(raw), &st) != 0) {
    return Status::IOError("stat " + path.string() + ": " + ErrnoText(errno));
  }
  const auto size = static_cast<uint64_t>(st.st_size);
  if (size < magic.size() + kDigestSize) {
    return Status::Corruption(path.string() + ": index file truncated");
  }
  std::vector<unsigned char> chunk(kHashChunk);
  crypto_hash_sha256_state state;
  crypto_hash_sha256_init(&state);
  for (uint64_t left = size - kDigestSize; left > 0;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(left, chunk.size()));
    if (std::fread(chunk.data(), 1, n, raw) != n) {
      return Status::IOError("reading " + path.string() + ": " + ErrnoText(errno));
    }
    crypto_hash_sha256_update(&state, chunk.data(), n);
    left -= n;
  }
  std::array<unsigned char, kDigestSize> computed{}, stored{};
  crypto_hash_sha256_final(&state, computed.data());
  if (std::fread(stored.data(), 1, stored.size(), raw) != stored.size()) {
    return Status::IOError("reading " + path.string() + ": " + ErrnoText(errno));
  }
  if (std::fseek(raw, 0, SEEK_SET) != 0) {
    return Status::IOError("seeking in " + path.string() + ": " + ErrnoText(errno));
  }
  std::string head(magic.size(), '\0');
  if (std::fread(head.data(), 1, head.size(), raw) != head.size() || head != magic) {
    return Status::Corruption(path.string() +
                              ": not a Likeness index file of this kind (bad magic)");
  }
  if (computed != stored) {
    return Status::Corruption(path.string() +
                              ": index file checksum mismatch (the file is truncated or altered)");
  }
  reader->remaining_ = size - kDigestSize - magic.size();
  return reader;
}

Status CheckedFileReader::Read(void* out, size_t n) {
  if (n > remaining_) return Status::Corruption(path_.string() + ": index file ends early");
  if (n > 0 && std::fread(out, 1, n, file_) != n) {
    return Status::IOError("reading " + path_.string() + ": " + ErrnoText(errno));
  }
  remaining_ -= n;
  return Status::Ok();
}

Result<std::string> CheckedFileReader::ReadString(size_t max_length) {
  uint32_t length = 0;
  RETURN_IF_ERROR(ReadValue(length));
  if (length > max_length) {
    return Status::Corruption(path_.string() + ": string of " + std::to_string(length) +
                              " bytes, at most " + std::to_string(max_length) + " expected");
  }
  std::string s(length, '\0');
  RETURN_IF_ERROR(Read(s.data(), s.size()));
  return s;
}

}  // namespace likeness::index
