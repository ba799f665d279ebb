// ExactStore::Save / Load: the file format is documented on ExactStore::Save.
#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <array>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <string>

#include "common/scrub_file.h"
#include "simd/exact_store.h"

namespace likeness::simd {
namespace {

static_assert(std::endian::native == std::endian::little, "the file format is little-endian");

constexpr std::array<char, 8> kMagic = {'L', 'K', 'X', 'S', 'T', 'O', 'R', 'E'};
constexpr uint32_t kVersion = 1;
constexpr size_t kChecksumBytes = crypto_generichash_BYTES;  // 32
// Reads and writes go through in pieces of this size (hashing as they pass).
constexpr size_t kIoChunk = size_t{16} << 20;

struct Header {
  std::array<char, 8> magic;
  uint32_t version;
  uint32_t precision;
  uint32_t dim;
  uint32_t reserved;
  uint64_t count;
  uint64_t generation;
};
static_assert(sizeof(Header) == 40);

std::string Errno(const std::string& what, const std::filesystem::path& path) {
  return what + " " + path.string() + ": " + std::strerror(errno);
}

// A file descriptor that closes itself.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int Release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

class HashingWriter {
 public:
  HashingWriter(int fd, const std::filesystem::path& path) : fd_(fd), path_(path) {
    crypto_generichash_init(&state_, nullptr, 0, kChecksumBytes);
  }
  Status Write(const void* data, size_t n) {
    const auto* p = static_cast<const uint8_t*>(data);
    crypto_generichash_update(&state_, p, n);
    return WriteRaw(p, n);
  }
  Status Finish() {
    std::array<uint8_t, kChecksumBytes> digest{};
    crypto_generichash_final(&state_, digest.data(), digest.size());
    return WriteRaw(digest.data(), digest.size());
  }

 private:
  Status WriteRaw(const uint8_t* p, size_t n) {
    while (n > 0) {
      const ssize_t w = ::write(fd_, p, std::min(n, kIoChunk));
      if (w < 0) {
        if (errno == EINTR) continue;
        return Status::IOError(Errno("cannot write", path_));
      }
      p += w;
      n -= static_cast<size_t>(w);
    }
    return Status::Ok();
  }

  int fd_;
  const std::filesystem::path& path_;
  crypto_generichash_state state_;
};

class HashingReader {
 public:
  HashingReader(int fd, const std::filesystem::path& path) : fd_(fd), path_(path) {
    crypto_generichash_init(&state_, nullptr, 0, kChecksumBytes);
  }
  Status Read(void* data, size_t n, bool hash = true) {
    auto* p = static_cast<uint8_t*>(data);
    uint8_t* const start = p;
    const size_t total = n;
    while (n > 0) {
      const ssize_t r = ::read(fd_, p, std::min(n, kIoChunk));
      if (r < 0) {
        if (errno == EINTR) continue;
        return Status::IOError(Errno("cannot read", path_));
      }
      if (r == 0) return Status::Corruption(path_.string() + " is truncated");
      p += r;
      n -= static_cast<size_t>(r);
    }
    if (hash) crypto_generichash_update(&state_, start, total);
    return Status::Ok();
  }
  Status Verify() {
    std::array<uint8_t, kChecksumBytes> expected{};
    std::array<uint8_t, kChecksumBytes> stored{};
    crypto_generichash_final(&state_, expected.data(), expected.size());
    RETURN_IF_ERROR(Read(stored.data(), stored.size(), /*hash=*/false));
    if (sodium_memcmp(expected.data(), stored.data(), expected.size()) != 0) {
      return Status::Corruption(path_.string() + ": checksum mismatch");
    }
    return Status::Ok();
  }

 private:
  int fd_;
  const std::filesystem::path& path_;
  crypto_generichash_state state_;
};

}  // namespace

Status ExactStore::Save(const std::filesystem::path& path, uint64_t generation) const {
  if (sodium_init() < 0) return Status::Internal("libsodium failed to initialise");
  const std::filesystem::path tmp = path.string() + ".tmp";
  // A temporary file left by a crash, and the file being replaced, may hold vectors erased since:
  // both are overwritten before their blocks go back to the file system (common/scrub_file.h).
  if (Status wiped = OverwriteFileInPlace(tmp).status(); !wiped.ok()) return wiped;
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (fd.get() < 0) return Status::IOError(Errno("cannot create", tmp));
  const Header header{kMagic,
                      kVersion,
                      static_cast<uint32_t>(precision_),
                      static_cast<uint32_t>(dim_),
                      0,
                      static_cast<uint64_t>(size()),
                      generation};
  HashingWriter out(fd.get(), tmp);
  Status s = out.Write(&header, sizeof(header));
  if (s.ok()) s = out.Write(ids_.data(), ids_.size() * sizeof(int64_t));
  if (s.ok() && precision_ == Precision::kInt8) {
    s = out.Write(scales_.data(), scales_.size() * sizeof(float));
  }
  if (s.ok()) s = out.Write(rows_.data(), static_cast<size_t>(size() * row_bytes()));
  if (s.ok()) s = out.Finish();
  if (s.ok() && ::fsync(fd.get()) != 0) s = Status::IOError(Errno("cannot fsync", tmp));
  if (s.ok() && ::close(fd.Release()) != 0) s = Status::IOError(Errno("cannot close", tmp));
  if (s.ok()) s = OverwriteFileInPlace(path).status();
  if (s.ok() && std::rename(tmp.c_str(), path.c_str()) != 0) {
    s = Status::IOError(Errno("cannot rename to", path));
  }
  if (!s.ok()) {
    ::unlink(tmp.c_str());
    return s;
  }
  // Make the rename itself durable.
  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : ".";
  Fd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd.get() >= 0) ::fsync(dir_fd.get());
  return Status::Ok();
}

Result<ExactStore::Loaded> ExactStore::Load(const std::filesystem::path& path,
                                            std::optional<SimdLevel> simd) {
  if (sodium_init() < 0) return Status::Internal("libsodium failed to initialise");
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return Status::NotFound("no such file: " + path.string());
    return Status::IOError(Errno("cannot open", path));
  }
  std::error_code ec;
  const uint64_t file_size = std::filesystem::file_size(path, ec);
  if (ec) return Status::IOError("cannot stat " + path.string() + ": " + ec.message());
  const std::string name = path.string();
  if (file_size < sizeof(Header) + kChecksumBytes)
    return Status::Corruption(name + " is truncated");

  HashingReader in(fd.get(), path);
  Header h{};
  RETURN_IF_ERROR(in.Read(&h, sizeof(h)));
  if (h.magic != kMagic) return Status::Corruption(name + " is not an exact store (bad magic)");
  if (h.version == 0) return Status::Corruption(name + ": bad format version 0");
  if (h.version > kVersion) {
    return Status::Unsupported(name + ": format version " + std::to_string(h.version) +
                               " is newer than this build reads (" + std::to_string(kVersion) +
                               ")");
  }
  if (h.precision > static_cast<uint32_t>(Precision::kInt8)) {
    return Status::Corruption(name + ": bad precision " + std::to_string(h.precision));
  }
  if (h.dim < 1 || h.dim > static_cast<uint32_t>(kMaxDim) || h.reserved != 0) {
    return Status::Corruption(name + ": bad header");
  }
  const auto precision = static_cast<Precision>(h.precision);
  // Bytes per stored vector in the file: id, scale (int8), row. Checked before any multiplication
  // by count so that a forged count cannot overflow.
  const uint64_t per_row =
      sizeof(int64_t) + static_cast<uint64_t>(ScannedBytesPerRow(precision, int64_t{h.dim}));
  const uint64_t payload = file_size - sizeof(Header) - kChecksumBytes;
  if (h.count > payload / per_row || h.count * per_row != payload) {
    return Status::Corruption(name + " is truncated or has trailing bytes (header says " +
                              std::to_string(h.count) + " vectors)");
  }

  StoreOptions options;
  options.precision = precision;
  options.simd = simd;
  ASSIGN_OR_RETURN(ExactStore store, Create(static_cast<int>(h.dim), options));
  const auto count = static_cast<int64_t>(h.count);
  store.ids_.resize(static_cast<size_t>(count));
  RETURN_IF_ERROR(in.Read(store.ids_.data(), store.ids_.size() * sizeof(int64_t)));
  if (precision == Precision::kInt8) {
    store.scales_.resize(static_cast<size_t>(count));
    RETURN_IF_ERROR(in.Read(store.scales_.data(), store.scales_.size() * sizeof(float)));
  }
  const auto row_total = static_cast<size_t>(count * store.row_bytes());
  if (!store.rows_.Resize(row_total, 0)) {
    return Status::ResourceExhausted("cannot allocate " + std::to_string(row_total) + " bytes");
  }
  RETURN_IF_ERROR(in.Read(store.rows_.data(), row_total));
  RETURN_IF_ERROR(in.Verify());

  store.index_.Reserve(count);
  for (int64_t r = 0; r < count; ++r) {
    const int64_t id = store.ids_[static_cast<size_t>(r)];
    if (store.index_.Find(id).has_value()) {
      return Status::Corruption(name + ": id " + std::to_string(id) + " appears twice");
    }
    store.index_.Insert(id, r);
  }
  for (float s : store.scales_) {
    if (!std::isfinite(s) || s < 0) return Status::Corruption(name + ": bad int8 scale");
  }
  return Loaded{std::move(store), h.generation};
}

}  // namespace likeness::simd
