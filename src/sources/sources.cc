#include "sources/sources.h"

#include <algorithm>

namespace likeness::sources {
namespace {
namespace fs = std::filesystem;

std::string AbsoluteLocation(const fs::path& p) {
  return fs::absolute(p).lexically_normal().string();
}

class FileListSource final : public ItemSource {
 public:
  explicit FileListSource(std::vector<fs::path> files) : files_(std::move(files)) {}
  bool Next(SourceItem* item) override {
    if (next_ >= files_.size()) return false;
    *item = SourceItem{};
    item->file = files_[next_++];
    item->location = AbsoluteLocation(item->file);
    return true;
  }
  int64_t size() const override { return static_cast<int64_t>(files_.size()); }

 private:
  std::vector<fs::path> files_;
  size_t next_ = 0;
};

// Entries of one archive; the archive is opened on the first Next (after the count).
class ArchiveSource final : public ItemSource {
 public:
  ArchiveSource(fs::path path, const ArchiveLimits& limits)
      : path_(std::move(path)), limits_(limits) {
    auto n = ArchiveReader::CountEntries(path_, limits_);
    size_ = n.ok() ? *n : 1;  // an archive that cannot be opened is one error item
  }
  bool Next(SourceItem* item) override {
    if (finished_) return false;
    *item = SourceItem{};
    if (!reader_) {
      auto r = ArchiveReader::Open(path_, limits_);
      if (!r.ok()) {
        finished_ = true;
        item->location = AbsoluteLocation(path_);
        item->status = r.status();
        return true;
      }
      reader_ = std::move(*r);
    }
    ArchiveEntry entry;
    if (!reader_->Next(&entry)) {
      finished_ = true;
      reader_.reset();  // closes the file
      return false;
    }
    item->location = ArchiveEntryLocation(path_, entry.name);
    item->bytes = std::move(entry.bytes);
    item->status = std::move(entry.status);
    return true;
  }
  int64_t size() const override { return size_; }

 private:
  fs::path path_;
  ArchiveLimits limits_;
  int64_t size_ = 0;
  std::unique_ptr<ArchiveReader> reader_;
  bool finished_ = false;
};

class ManifestSource final : public ItemSource {
 public:
  ManifestSource(fs::path path, std::vector<ManifestRow> rows)
      : path_(AbsoluteLocation(path)), rows_(std::move(rows)) {}
  bool Next(SourceItem* item) override {
    if (next_ >= rows_.size()) return false;
    ManifestRow& row = rows_[next_++];
    *item = SourceItem{};
    const std::string where = path_ + ":" + std::to_string(row.line);
    if (!row.status.ok()) {
      item->location = where;
      item->status = Status(row.status.code(), "manifest row: " + row.status.message());
      return true;
    }
    item->file = row.path;
    item->location = row.location.empty() ? AbsoluteLocation(row.path) : row.location;
    item->collected_at = std::move(row.collected_at);
    item->retain_until = std::move(row.retain_until);
    std::error_code ec;
    if (!fs::is_regular_file(row.path, ec)) {
      item->status =
          Status::NotFound("file listed at " + where + " is missing: " + row.path.string());
    }
    return true;
  }
  int64_t size() const override { return static_cast<int64_t>(rows_.size()); }

 private:
  std::string path_;
  std::vector<ManifestRow> rows_;
  size_t next_ = 0;
};

class ConcatSource final : public ItemSource {
 public:
  explicit ConcatSource(std::vector<std::unique_ptr<ItemSource>> parts) : parts_(std::move(parts)) {
    for (const auto& p : parts_) size_ += p->size();
  }
  bool Next(SourceItem* item) override {
    while (current_ < parts_.size()) {
      if (parts_[current_]->Next(item)) return true;
      parts_[current_++].reset();  // release what the finished part holds (an open archive)
    }
    return false;
  }
  int64_t size() const override { return size_; }

 private:
  std::vector<std::unique_ptr<ItemSource>> parts_;
  size_t current_ = 0;
  int64_t size_ = 0;
};

}  // namespace

std::string ArchiveEntryLocation(const fs::path& archive, const std::string& name) {
  return AbsoluteLocation(archive) + "!/" + name;
}

bool SplitArchiveLocation(const std::string& location, fs::path* archive, std::string* entry) {
  constexpr std::string_view kSeparator = "!/";
  for (size_t at = location.find(kSeparator); at != std::string::npos;
       at = location.find(kSeparator, at + 1)) {
    const fs::path candidate = location.substr(0, at);
    if (IsArchiveFile(candidate)) {
      *archive = candidate;
      *entry = location.substr(at + kSeparator.size());
      return true;
    }
  }
  return false;
}

Result<std::vector<uint8_t>> ReadArchiveEntry(const fs::path& archive, const std::string& name,
                                              const ArchiveLimits& limits) {
  ASSIGN_OR_RETURN(auto reader, ArchiveReader::Open(archive, limits));
  ArchiveEntry entry;
  while (reader->Next(&entry)) {
    if (entry.name != name) continue;
    if (!entry.status.ok()) return entry.status;
    return std::move(entry.bytes);
  }
  return Status::NotFound("no entry '" + name + "' in " + archive.string());
}

Result<PathKind> DetectPathKind(const fs::path& path, bool manifests_only) {
  std::error_code ec;
  const auto st = fs::status(path, ec);
  if (ec || !fs::exists(st)) return Status::NotFound("no such file or folder: " + path.string());
  if (fs::is_directory(st)) return PathKind::kFolder;
  if (manifests_only) return PathKind::kManifest;
  if (IsArchiveFile(path)) return PathKind::kArchive;
  if (LooksLikeManifest(path)) return PathKind::kManifest;
  return PathKind::kFile;
}

Result<std::vector<fs::path>> ListFiles(const std::vector<fs::path>& paths) {
  std::vector<fs::path> files;
  for (const auto& p : paths) {
    std::error_code ec;
    const auto st = fs::status(p, ec);
    if (ec || !fs::exists(st)) return Status::NotFound("no such file or folder: " + p.string());
    if (!fs::is_directory(st)) {
      files.push_back(p);
      continue;
    }
    std::vector<fs::path> found;
    for (auto it =
             fs::recursive_directory_iterator(p, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      const auto name = it->path().filename().string();
      if (!name.empty() && name[0] == '.') {
        if (it->is_directory()) it.disable_recursion_pending();
        continue;
      }
      if (it->is_regular_file()) found.push_back(it->path());
    }
    if (ec) return Status::IOError("cannot list " + p.string() + ": " + ec.message());
    std::sort(found.begin(), found.end());
    files.insert(files.end(), found.begin(), found.end());
  }
  return files;
}

std::unique_ptr<ItemSource> FileItems(std::vector<fs::path> files) {
  return std::make_unique<FileListSource>(std::move(files));
}

Result<std::unique_ptr<ItemSource>> OpenSources(const std::vector<fs::path>& paths,
                                                const OpenOptions& options) {
  std::vector<std::unique_ptr<ItemSource>> parts;
  for (const auto& p : paths) {
    ASSIGN_OR_RETURN(PathKind kind, DetectPathKind(p, options.manifests_only));
    switch (kind) {
      case PathKind::kFolder:
      case PathKind::kFile: {
        ASSIGN_OR_RETURN(std::vector<fs::path> files, ListFiles({p}));
        parts.push_back(FileItems(std::move(files)));
        break;
      }
      case PathKind::kArchive:
        parts.push_back(std::make_unique<ArchiveSource>(p, options.archive_limits));
        break;
      case PathKind::kManifest: {
        ASSIGN_OR_RETURN(std::vector<ManifestRow> rows, ReadManifest(p, options.manifest_limits));
        parts.push_back(std::make_unique<ManifestSource>(p, std::move(rows)));
        break;
      }
    }
  }
  return std::unique_ptr<ItemSource>(std::make_unique<ConcatSource>(std::move(parts)));
}

}  // namespace likeness::sources
