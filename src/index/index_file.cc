#include "index/index_file.h"

#include <faiss/impl/io.h>
#include <faiss/index_io.h>
#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>
#include <system_error>
#include <vector>

#include "common/scrub_file.h"
#include "index/checked_file.h"
#include "index/factory.h"
#include "index/faiss_guard.h"

namespace likeness::index {
namespace {

static_assert(std::endian::native == std::endian::little,
              "the index file format and FAISS payloads are little-endian");

constexpr size_t kMagicSize = sizeof(kIndexFileMagic) - 1;
constexpr size_t kDigestSize = crypto_hash_sha256_BYTES;
// magic, version, generation, factory length.
constexpr uint64_t kFixedHeaderSize =
    kMagicSize + sizeof(uint32_t) + sizeof(uint64_t) + sizeof(uint32_t);
constexpr uint64_t kGenerationOffset = kMagicSize + sizeof(uint32_t);
// payload length, checksum.
constexpr uint64_t kTrailerSize = sizeof(uint64_t) + kDigestSize;
constexpr size_t kHashChunk = size_t{1} << 20;

using Digest = std::array<unsigned char, kDigestSize>;

std::string ErrnoText(int err) { return std::error_code(err, std::generic_category()).message(); }

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};
using FilePtr = std::unique_ptr<FILE, FileCloser>;

// Writes to a FILE and hashes every byte it writes.
class HashingWriter final : public faiss::IOWriter {
 public:
  explicit HashingWriter(FILE* file) : file_(file) { crypto_hash_sha256_init(&state_); }

  size_t operator()(const void* ptr, size_t size, size_t nitems) override {
    if (size == 0 || nitems == 0) return nitems;  // FAISS writes empty vectors with ptr == nullptr
    const size_t written = std::fwrite(ptr, size, nitems, file_);
    crypto_hash_sha256_update(&state_, static_cast<const unsigned char*>(ptr), written * size);
    bytes_ += written * size;
    return written;
  }

  bool Write(const void* ptr, size_t n) { return n == 0 || (*this)(ptr, 1, n) == n; }
  template <typename T>
  bool WriteValue(const T& value) {
    return Write(&value, sizeof(value));
  }
  uint64_t bytes() const { return bytes_; }
  Digest Finish() {
    Digest digest{};
    crypto_hash_sha256_final(&state_, digest.data());
    return digest;
  }

 private:
  FILE* file_;
  crypto_hash_sha256_state state_{};
  uint64_t bytes_ = 0;
};

// Hands FAISS at most `limit` bytes of a FILE, so a payload cannot read into the trailer.
class BoundedReader final : public faiss::IOReader {
 public:
  BoundedReader(FILE* file, uint64_t limit) : file_(file), remaining_(limit) {}

  size_t operator()(void* ptr, size_t size, size_t nitems) override {
    if (size == 0 || nitems == 0) return nitems;
    const size_t fit = static_cast<size_t>(std::min<uint64_t>(nitems, remaining_ / size));
    const size_t got = std::fread(ptr, size, fit, file_);
    remaining_ -= got * size;
    if (got < fit && std::ferror(file_)) io_error_ = true;
    return got;
  }

  uint64_t remaining() const { return remaining_; }
  bool io_error() const { return io_error_; }

 private:
  FILE* file_;
  uint64_t remaining_;
  bool io_error_ = false;
};

Status WriteContents(FILE* file, const std::filesystem::path& tmp, uint64_t generation,
                     const std::string& factory, const faiss::Index& index) {
  const auto write_error = [&] {
    return Status::IOError("writing " + tmp.string() + ": " + ErrnoText(errno));
  };
  HashingWriter writer(file);
  const bool header_ok = writer.Write(kIndexFileMagic, kMagicSize) &&
                         writer.WriteValue(kIndexFileVersion) && writer.WriteValue(generation) &&
                         writer.WriteValue(static_cast<uint32_t>(factory.size())) &&
                         writer.Write(factory.data(), factory.size());
  if (!header_ok) return write_error();

  const uint64_t payload_start = writer.bytes();
  const Status payload = GuardFaiss("serializing the index", StatusCode::kInternal,
                                    [&] { faiss::write_index(&index, &writer); });
  if (!payload.ok()) return std::ferror(file) ? write_error() : payload;

  const uint64_t payload_size = writer.bytes() - payload_start;
  if (!writer.WriteValue(payload_size)) return write_error();
  const Digest digest = writer.Finish();
  if (std::fwrite(digest.data(), 1, digest.size(), file) != digest.size()) return write_error();
  return Status::Ok();
}

// Reads exactly n bytes at the current position. A short read is Corruption (the file ended early).
Status ReadExact(FILE* file, const std::filesystem::path& path, void* out, size_t n) {
  if (std::fread(out, 1, n, file) == n) return Status::Ok();
  if (std::ferror(file))
    return Status::IOError("reading " + path.string() + ": " + ErrnoText(errno));
  return Status::Corruption(path.string() + ": index file ends early (truncated)");
}

Status Seek(FILE* file, const std::filesystem::path& path, uint64_t offset) {
  if (::fseeko(file, static_cast<off_t>(offset), SEEK_SET) != 0) {
    return Status::IOError("seeking in " + path.string() + ": " + ErrnoText(errno));
  }
  return Status::Ok();
}

template <typename T>
Result<T> ReadValueAt(FILE* file, const std::filesystem::path& path, uint64_t offset) {
  RETURN_IF_ERROR(Seek(file, path, offset));
  T value{};
  RETURN_IF_ERROR(ReadExact(file, path, &value, sizeof(value)));
  return value;
}

// Hashes bytes [0, size - kDigestSize) and compares with the digest stored after them.
Status VerifyChecksum(FILE* file, const std::filesystem::path& path, uint64_t size) {
  RETURN_IF_ERROR(Seek(file, path, 0));
  crypto_hash_sha256_state state;
  crypto_hash_sha256_init(&state);
  std::vector<unsigned char> chunk(kHashChunk);
  for (uint64_t left = size - kDigestSize; left > 0;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(left, chunk.size()));
    RETURN_IF_ERROR(ReadExact(file, path, chunk.data(), n));
    crypto_hash_sha256_update(&state, chunk.data(), n);
    left -= n;
  }
  Digest computed{};
  crypto_hash_sha256_final(&state, computed.data());
  Digest stored{};
  RETURN_IF_ERROR(ReadExact(file, path, stored.data(), stored.size()));
  if (computed != stored) {
    return Status::Corruption(path.string() +
                              ": index file checksum mismatch (the file is truncated or altered)");
  }
  return Status::Ok();
}

}  // namespace

Status WriteIndexFile(const std::filesystem::path& path, uint64_t generation,
                      const std::string& factory, const faiss::Index& index) {
  if (factory.size() > kMaxFactoryLength) {
    return Status::Internal("factory string too long to save: " + factory);
  }
  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : ".";
  const std::filesystem::path tmp = dir / (path.filename().string() + ".tmp-" + RandomSuffix());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Status::IOError("cannot create " + tmp.string() + ": " + ErrnoText(errno));
  FILE* file = ::fdopen(fd, "wb");
  if (file == nullptr) {
    const int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    return Status::IOError("fdopen " + tmp.string() + ": " + ErrnoText(err));
  }

  Status status = WriteContents(file, tmp, generation, factory, index);
  if (status.ok() && std::fflush(file) != 0) {
    status = Status::IOError("flushing " + tmp.string() + ": " + ErrnoText(errno));
  }
  if (status.ok() && ::fsync(::fileno(file)) != 0) {
    status = Status::IOError("fsync " + tmp.string() + ": " + ErrnoText(errno));
  }
  if (std::fclose(file) != 0 && status.ok()) {
    status = Status::IOError("closing " + tmp.string() + ": " + ErrnoText(errno));
  }
  // The file being replaced may hold vectors erased since it was written (common/scrub_file.h).
  if (status.ok()) status = OverwriteFileInPlace(path).status();
  if (status.ok() && std::rename(tmp.c_str(), path.c_str()) != 0) {
    status = Status::IOError("renaming " + tmp.string() + " to " + path.string() + ": " +
                             ErrnoText(errno));
  }
  if (!status.ok()) {
    ::unlink(tmp.c_str());
    return status;
  }
  return SyncDir(dir);
}

Result<IndexFileContents> ReadIndexFile(const std::filesystem::path& path) {
  FilePtr file(std::fopen(path.c_str(), "rbe"));
  if (file == nullptr) {
    const int err = errno;
    if (err == ENOENT) return Status::NotFound("no index file at " + path.string());
    return Status::IOError("cannot open " + path.string() + ": " + ErrnoText(err));
  }
  struct stat st {};
  if (::fstat(::fileno(file.get()), &st) != 0) {
    return Status::IOError("stat " + path.string() + ": " + ErrnoText(errno));
  }
  if (!S_ISREG(st.st_mode)) return Status::IOError(path.string() + " is not a regular file");
  const auto size = static_cast<uint64_t>(st.st_size);
  if (size < kFixedHeaderSize + kTrailerSize) {
    return Status::Corruption(path.string() + ": index file truncated (" + std::to_string(size) +
                              " bytes, at least " +
                              std::to_string(kFixedHeaderSize + kTrailerSize) + " expected)");
  }
  std::array<char, kMagicSize> magic{};
  RETURN_IF_ERROR(ReadExact(file.get(), path, magic.data(), magic.size()));
  if (!std::equal(magic.begin(), magic.end(), kIndexFileMagic)) {
    return Status::Corruption(path.string() + ": not a Likeness index file (bad magic)");
  }
  RETURN_IF_ERROR(VerifyChecksum(file.get(), path, size));

  ASSIGN_OR_RETURN(const uint32_t version, ReadValueAt<uint32_t>(file.get(), path, kMagicSize));
  if (version != kIndexFileVersion) {
    return Status::Unsupported(path.string() + ": index file format version " +
                               std::to_string(version) + "; this build reads version " +
                               std::to_string(kIndexFileVersion));
  }
  IndexFileContents contents;
  ASSIGN_OR_RETURN(contents.generation, ReadValueAt<uint64_t>(file.get(), path, kGenerationOffset));
  ASSIGN_OR_RETURN(const uint32_t factory_size,
                   ReadValueAt<uint32_t>(file.get(), path, kGenerationOffset + sizeof(uint64_t)));
  if (factory_size > kMaxFactoryLength || kFixedHeaderSize + factory_size + kTrailerSize > size) {
    return Status::Corruption(path.string() + ": bad factory string length " +
                              std::to_string(factory_size));
  }
  contents.factory.resize(factory_size);
  RETURN_IF_ERROR(ReadExact(file.get(), path, contents.factory.data(), factory_size));

  const uint64_t payload_start = kFixedHeaderSize + factory_size;
  ASSIGN_OR_RETURN(const uint64_t payload_size,
                   ReadValueAt<uint64_t>(file.get(), path, size - kTrailerSize));
  if (payload_size != size - kTrailerSize - payload_start) {
    return Status::Corruption(path.string() + ": payload length " + std::to_string(payload_size) +
                              " does not match the file size");
  }
  RETURN_IF_ERROR(Seek(file.get(), path, payload_start));
  BoundedReader reader(file.get(), payload_size);
  const Status parsed =
      GuardFaiss(path.string() + ": reading the index payload", StatusCode::kCorruption,
                 [&] { contents.index.reset(faiss::read_index(&reader)); });
  if (reader.io_error()) return Status::IOError("reading " + path.string() + ": read error");
  RETURN_IF_ERROR(parsed);
  if (contents.index == nullptr) {
    return Status::Corruption(path.string() + ": index payload holds no index");
  }
  if (reader.remaining() != 0) {
    return Status::Corruption(path.string() + ": index payload has " +
                              std::to_string(reader.remaining()) + " unread bytes");
  }
  return contents;
}

}  // namespace likeness::index
