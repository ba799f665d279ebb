#include "server/upload_ingest.h"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

#include "common/hash.h"
#include "common/scrub_file.h"
#include "engine/ingest.h"
#include "imageio/decode.h"
#include "videoio/video_decoder.h"
#include "videoio/video_format.h"

namespace likeness::server {
namespace fs = std::filesystem;
namespace {

// Writes bytes to `path` via a temporary file in the same folder, fsynced, then renamed into place.
Status WriteFileAtomically(const fs::path& path, std::span<const uint8_t> bytes) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec)
    return Status::IOError("cannot create " + path.parent_path().string() + ": " + ec.message());
  const fs::path tmp = path.parent_path() / ("." + path.filename().string() + ".tmp" +
                                             std::to_string(randombytes_random()));
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Status::IOError("cannot create " + tmp.string() + ": " + std::strerror(errno));
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = std::strerror(errno);
      ::close(fd);
      fs::remove(tmp, ec);
      return Status::IOError("cannot write " + tmp.string() + ": " + why);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    fs::remove(tmp, ec);
    return Status::IOError("cannot flush " + tmp.string());
  }
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return Status::IOError("cannot rename into " + path.string());
  }
  return Status::Ok();
}

UploadOutcome Failed(UploadOutcome out, Status st) {
  out.status = "error";
  out.error = std::move(st);
  return out;
}

fs::path StoredCopyPath(const engine::Engine& engine, const catalog::SourceRecord& source,
                        const std::string& hash, std::string_view format) {
  return engine.options().data_dir / "uploads" / std::to_string(source.id) /
         (hash + "." + std::string(format));
}

// Keeps the copy of an analysed file at `stored`, then commits its catalog rows with `store`
// (which fills the outcome's image id and counts). A non-OK return is a store failure that ends
// the batch; a refusal by the catalog is an outcome, and takes the copy away again.
Result<UploadOutcome> KeepAndCommit(engine::Engine& engine, const fs::path& stored,
                                    const UploadFile& file, const std::string& hash,
                                    UploadOutcome out,
                                    const std::function<Status(UploadOutcome&)>& store) {
  RETURN_IF_ERROR(WriteFileAtomically(stored, file.bytes));
  Status added = store(out);
  if (!added.ok()) {
    // The copy goes unless the image row may exist (an index failure after the commit): an orphaned
    // copy is swept at the next start (SweepUploads), a copy removed under a held image is not.
    std::error_code ec;
    const bool refused = added.code() == StatusCode::kAlreadyExists ||
                         added.code() == StatusCode::kInvalidArgument ||
                         added.code() == StatusCode::kFailedPrecondition;
    if (refused) fs::remove(stored, ec);
    if (added.code() == StatusCode::kAlreadyExists) {  // a concurrent upload stored it first
      ASSIGN_OR_RETURN(std::optional<int64_t> now_held, engine.catalog().FindImageByHash(hash));
      out.status = "duplicate";
      out.image_id = now_held.value_or(0);
      out.faces = out.tracks = 0;
      return out;
    }
    if (added.code() == StatusCode::kInvalidArgument ||
        added.code() == StatusCode::kFailedPrecondition) {
      return Failed(std::move(out), added);
    }
    return added;
  }
  out.status = "stored";
  return out;
}

// A photo, after the checks every file gets.
Result<UploadOutcome> IngestPhoto(engine::Engine& engine, vision::FaceAnalyzer& analyzer,
                                  const catalog::SourceRecord& source, int64_t batch_id,
                                  const UploadFile& file, const std::string& hash,
                                  UploadOutcome out) {
  const engine::EngineOptions& opt = engine.options();
  auto image = imageio::DecodeImage(file.bytes, opt.decode);
  if (!image.ok()) return Failed(std::move(out), image.status());
  auto faces = analyzer.Analyze(image->bgr, opt.analyze);
  if (!faces.ok()) return Failed(std::move(out), faces.status());

  const std::string format(imageio::FormatName(image->format));
  const fs::path stored = StoredCopyPath(engine, source, hash, format);
  return KeepAndCommit(engine, stored, file, hash, std::move(out), [&](UploadOutcome& o) {
    catalog::ImageRecord record;
    record.source_id = source.id;
    record.batch_id = batch_id;
    record.content_hash = hash;
    record.path = fs::absolute(stored).lexically_normal().string();
    record.format = format;
    record.width = image->original_width;
    record.height = image->original_height;
    record.bytes = static_cast<int64_t>(file.bytes.size());
    std::vector<catalog::FaceRecord> rows;
    engine::IngestPolicy* policy = engine.ingest_policy();
    for (auto& f : *faces) {
      if (policy && policy->DropFace(f.embedding)) continue;  // e.g. an opted-out person
      rows.push_back(engine.FaceRecordFor(std::move(f), image->scale));
    }
    RETURN_IF_ERROR(engine.StoreImage(record, rows));
    o.image_id = record.id;
    o.faces = static_cast<int64_t>(rows.size());
    return Status::Ok();
  });
}

// A video, after the checks every file gets: decoded from memory and analysed by the CLI's
// pipeline (engine::AnalyzeVideo, engine::StoreAnalyzedVideo).
Result<UploadOutcome> IngestVideo(engine::Engine& engine, vision::FaceAnalyzer& analyzer,
                                  const catalog::SourceRecord& source, int64_t batch_id,
                                  const UploadFile& file, const std::string& hash,
                                  const engine::VideoOptions& video, UploadOutcome out) {
  auto decoder = videoio::VideoDecoder::OpenMemory(file.bytes, video.limits, video.decode);
  if (!decoder.ok()) return Failed(std::move(out), decoder.status());
  auto analysed = engine::AnalyzeVideo(
      [&engine](vision::AnalyzedFace&& f) { return engine.FaceRecordFor(std::move(f), 1.0); },
      analyzer, **decoder, engine.options().analyze, video, {});
  decoder->reset();  // the decoder (and its frame buffers) goes before the copy is written
  if (!analysed.ok()) return Failed(std::move(out), analysed.status());

  const fs::path stored =
      StoredCopyPath(engine, source, hash, videoio::ContainerName(analysed->info.container));
  return KeepAndCommit(engine, stored, file, hash, std::move(out), [&](UploadOutcome& o) {
    catalog::ImageRecord record;
    record.source_id = source.id;
    record.batch_id = batch_id;
    record.content_hash = hash;
    record.path = fs::absolute(stored).lexically_normal().string();
    record.bytes = static_cast<int64_t>(file.bytes.size());
    ASSIGN_OR_RETURN(engine::StoredVideo kept,
                     engine::StoreAnalyzedVideo(engine, record, std::move(*analysed)));
    o.image_id = record.id;
    o.faces = kept.faces;
    o.tracks = kept.tracks;
    o.duration_s = record.duration_s.value_or(0);
    return Status::Ok();
  });
}

// One file. Returns the outcome; a non-OK return is a store failure that ends the batch.
Result<UploadOutcome> IngestOne(engine::Engine& engine, vision::FaceAnalyzer& analyzer,
                                const catalog::SourceRecord& source, int64_t batch_id,
                                const UploadFile& file, const UploadPrecheck& precheck,
                                const engine::VideoOptions& video) {
  UploadOutcome out;
  out.name = file.display_name;
  const engine::EngineOptions& opt = engine.options();
  if (file.bytes.empty())
    return Failed(std::move(out), Status::InvalidArgument("the file is empty"));
  const bool is_video = videoio::SniffVideo(file.bytes) != videoio::VideoContainer::kUnknown;
  if (is_video) {
    out.media = "video";
    if (file.bytes.size() > video.limits.max_bytes) {
      return Failed(std::move(out),
                    Status::ResourceExhausted("the video is larger than the limit of " +
                                              std::to_string(video.limits.max_bytes) + " bytes"));
    }
  } else {
    if (file.bytes.size() > opt.max_file_bytes) {
      return Failed(std::move(out),
                    Status::ResourceExhausted("the file is larger than the engine's limit"));
    }
    if (precheck) {
      if (Status st = precheck(file.bytes); !st.ok()) return Failed(std::move(out), st);
    }
  }
  const std::string hash = Sha256Hex(file.bytes);
  ASSIGN_OR_RETURN(std::optional<int64_t> held, engine.catalog().FindImageByHash(hash));
  if (held) {
    out.status = "duplicate";
    out.image_id = *held;
    return out;
  }
  if (engine::IngestPolicy* policy = engine.ingest_policy();
      policy && policy->PreviouslyErased(hash)) {
    out.status = "previously_erased";  // never decoded, never stored again
    return out;
  }
  if (is_video) {
    return IngestVideo(engine, analyzer, source, batch_id, file, hash, video, std::move(out));
  }
  return IngestPhoto(engine, analyzer, source, batch_id, file, hash, std::move(out));
}

}  // namespace

Result<UploadSummary> IngestUploads(engine::Engine& engine, vision::FaceAnalyzer& analyzer,
                                    const catalog::SourceRecord& source,
                                    std::span<const UploadFile> files,
                                    const UploadPrecheck& precheck, const std::string& operator_id,
                                    const engine::VideoOptions& video) {
  UploadSummary summary;
  if (engine::IngestPolicy* policy = engine.ingest_policy()) {
    RETURN_IF_ERROR(policy->AdmitSource(source));  // e.g. a blocked jurisdiction
  }
  ASSIGN_OR_RETURN(summary.batch_id, engine.catalog().BeginBatch(source.id));
  if (engine::IngestPolicy* policy = engine.ingest_policy()) {
    RETURN_IF_ERROR(policy->BatchStarted(source, summary.batch_id, operator_id));
  }
  Status failure;
  for (const UploadFile& file : files) {
    auto outcome = IngestOne(engine, analyzer, source, summary.batch_id, file, precheck, video);
    if (!outcome.ok()) {
      failure = outcome.status();
      break;
    }
    if (outcome->status == "stored") {
      ++summary.images;
      summary.faces += outcome->faces;
      if (outcome->media == "video") ++summary.videos;
    } else if (outcome->status == "duplicate") {
      ++summary.duplicates;
    } else if (outcome->status == "previously_erased") {
      ++summary.previously_erased;
    } else {
      ++summary.errors;
      (void)engine.catalog().RecordIngestError(summary.batch_id, "upload:" + outcome->name,
                                               outcome->error.ToString());
    }
    summary.files.push_back(std::move(*outcome));
  }
  catalog::BatchRecord totals;
  totals.id = summary.batch_id;
  totals.images = summary.images;
  totals.faces = summary.faces;
  totals.errors = summary.errors;
  totals.skipped = summary.duplicates;
  RETURN_IF_ERROR(engine.catalog().FinishBatch(totals));
  RETURN_IF_ERROR(failure);
  return summary;
}

Result<int64_t> SweepUploads(engine::Engine& engine, bool exclusive) {
  // A file this young may belong to an upload between writing its copy and committing its row.
  constexpr auto kGrace = std::chrono::minutes(2);
  const fs::path root = engine.options().data_dir / "uploads";
  std::error_code ec;
  if (!fs::exists(root, ec)) return int64_t{0};
  std::vector<fs::path> orphans;
  for (auto it = fs::recursive_directory_iterator(root, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    const fs::path path = it->path();
    if (!exclusive) {
      std::error_code tec;
      const auto written = fs::last_write_time(path, tec);
      if (tec || fs::file_time_type::clock::now() - written < kGrace) continue;
    }
    const std::string name = path.filename().string();
    bool orphan = false;
    if (name.starts_with(".")) {
      orphan = exclusive;  // an unfinished write
    } else {
      const std::string hash = name.substr(0, name.find('.'));
      ASSIGN_OR_RETURN(std::optional<int64_t> id, engine.catalog().FindImageByHash(hash));
      if (!id) {
        orphan = true;
      } else {
        ASSIGN_OR_RETURN(catalog::ImageRecord image, engine.catalog().GetImage(*id));
        orphan = fs::path(image.path) != fs::absolute(path).lexically_normal();
      }
    }
    if (orphan) orphans.push_back(path);
  }
  if (ec) return Status::IOError("cannot sweep " + root.string() + ": " + ec.message());
  int64_t removed = 0;
  for (const auto& path : orphans) {
    // Overwritten before the unlink: the blocks of an erased photo go back to the file system
    // holding zeros.
    ASSIGN_OR_RETURN(uint64_t bytes, OverwriteAndRemove(path));
    if (bytes > 0 || !fs::exists(path, ec)) ++removed;
  }
  return removed;
}

}  // namespace likeness::server
