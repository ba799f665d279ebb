// NeighbourhoodStats::Save / Load: the on-disk form of the hubness state (layout in the header).
#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>

#include "common/hash.h"
#include "common/scrub_file.h"
#include "openset/neighbourhood_stats.h"

namespace likeness::openset {
namespace fs = std::filesystem;
namespace {

constexpr char kMagic[] = "LKHUB001";  // 8 bytes on disk
constexpr size_t kMagicSize = 8;
constexpr size_t kDigestSize = 32;
// Sanity bounds a file must respect before anything is allocated from its sizes.
constexpr uint32_t kMaxDim = 1 << 16;
constexpr uint32_t kMaxK = 1 << 10;

template <typename T>
void Put(std::string& out, T v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}
  template <typename T>
  bool Get(T& v) {
    if (bytes_.size() - pos_ < sizeof v) return false;
    std::memcpy(&v, bytes_.data() + pos_, sizeof v);
    pos_ += sizeof v;
    return true;
  }
  bool GetFloats(std::vector<float>& v, size_t n) {
    if ((bytes_.size() - pos_) / sizeof(float) < n) return false;
    v.resize(n);
    std::memcpy(v.data(), bytes_.data() + pos_, n * sizeof(float));
    pos_ += n * sizeof(float);
    return true;
  }
  bool done() const { return pos_ == bytes_.size(); }

 private:
  std::string_view bytes_;
  size_t pos_ = 0;
};

}  // namespace

Status NeighbourhoodStats::Save(const fs::path& path, uint64_t tag) const {
  std::string out(kMagic, kMagicSize);
  Put<uint64_t>(out, tag);
  Put<uint32_t>(out, static_cast<uint32_t>(dim_));
  Put<uint32_t>(out, static_cast<uint32_t>(k_));
  Put<uint64_t>(out, static_cast<uint64_t>(faces_.size()));
  for (const auto& [id, e] : faces_) {
    Put<int64_t>(out, id);
    out.append(reinterpret_cast<const char*>(e.embedding.data()),
               e.embedding.size() * sizeof(float));
    Put<uint32_t>(out, static_cast<uint32_t>(e.nearest.size()));
    for (const auto& n : e.nearest) {
      Put<int64_t>(out, n.id);
      Put<float>(out, n.cosine);
    }
  }
  const Sha256Digest digest = Sha256({reinterpret_cast<const uint8_t*>(out.data()), out.size()});
  out.append(reinterpret_cast<const char*>(digest.data()), digest.size());

  const fs::path tmp = path.string() + ".tmp";
  // A temporary file left by a crash, and the file being replaced, hold embeddings (maybe of faces
  // erased since): overwritten before their blocks go back to the file system.
  RETURN_IF_ERROR(OverwriteFileInPlace(tmp).status());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::IOError("cannot create " + tmp.string() + ": " + std::strerror(errno));
  size_t written = 0;
  while (written < out.size()) {
    const ssize_t w = ::write(fd, out.data() + written, out.size() - written);
    if (w <= 0) {
      ::close(fd);
      ::unlink(tmp.c_str());
      return Status::IOError("cannot write " + tmp.string());
    }
    written += static_cast<size_t>(w);
  }
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  std::error_code ec;
  const bool wiped = synced && OverwriteFileInPlace(path).ok();
  if (wiped) fs::rename(tmp, path, ec);
  if (!wiped || ec) {
    ::unlink(tmp.c_str());
    return Status::IOError("cannot replace " + path.string());
  }
  return Status::Ok();
}

Result<NeighbourhoodStats::Loaded> NeighbourhoodStats::Load(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("no hubness state at " + path.string());
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return Status::IOError("cannot read " + path.string());
  const auto corrupt = [&](const std::string& why) {
    return Status::Corruption(path.string() + ": " + why);
  };
  if (bytes.size() < kMagicSize + kDigestSize || bytes.compare(0, kMagicSize, kMagic) != 0)
    return corrupt("not a hubness state file");
  const std::string_view body(bytes.data(), bytes.size() - kDigestSize);
  const Sha256Digest digest = Sha256({reinterpret_cast<const uint8_t*>(body.data()), body.size()});
  if (std::memcmp(digest.data(), bytes.data() + body.size(), kDigestSize) != 0)
    return corrupt("checksum mismatch");
  Reader r(body.substr(kMagicSize));
  Loaded loaded;
  uint32_t dim = 0, k = 0;
  uint64_t count = 0;
  if (!r.Get(loaded.tag) || !r.Get(dim) || !r.Get(k) || !r.Get(count) || dim == 0 ||
      dim > kMaxDim || k == 0 || k > kMaxK)
    return corrupt("bad header");
  auto stats = std::make_unique<NeighbourhoodStats>(static_cast<int>(dim), static_cast<int>(k));
  for (uint64_t i = 0; i < count; ++i) {
    int64_t id = 0;
    uint32_t n = 0;
    Entry e;
    if (!r.Get(id) || !r.GetFloats(e.embedding, dim) || !r.Get(n) || n > k)
      return corrupt("truncated face record");
    for (uint32_t j = 0; j < n; ++j) {
      Neighbour nb{};
      if (!r.Get(nb.id) || !r.Get(nb.cosine)) return corrupt("truncated neighbour list");
      e.nearest.push_back(nb);
    }
    UpdateMean(e);
    if (!stats->faces_.emplace(id, std::move(e)).second) return corrupt("duplicate face id");
  }
  if (!r.done()) return corrupt("trailing bytes");
  loaded.stats = std::move(stats);
  return loaded;
}

}  // namespace likeness::openset
