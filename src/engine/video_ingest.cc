#include "engine/video_ingest.h"

#include <algorithm>
#include <array>
#include <fstream>
#include <map>
#include <set>

#include "common/hash.h"
#include "engine/ingest.h"
#include "videoio/video_format.h"

namespace likeness::engine {
namespace {

using Clock = std::chrono::steady_clock;

double MsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// The faces of one track kept so far: at most best_k, highest quality first.
struct TrackFaces {
  double first_s = 0, last_s = 0;
  std::vector<catalog::FaceRecord> best;
};

void Keep(TrackFaces& track, catalog::FaceRecord face, int best_k) {
  auto& best = track.best;
  const auto better = [](const catalog::FaceRecord& a, const catalog::FaceRecord& b) {
    return a.quality.overall > b.quality.overall;
  };
  if (static_cast<int>(best.size()) >= best_k) {
    if (best.empty() || !better(face, best.back())) return;
    best.pop_back();
  }
  best.insert(std::upper_bound(best.begin(), best.end(), face, better), std::move(face));
}

// Decoding stopped well short of what the header declares: the file was cut off.
Status CheckComplete(const videoio::VideoInfo& info, double decoded_s, int64_t frames) {
  if (frames == 0) return Status::Corruption("no frame could be decoded");
  if (info.duration_s <= 0) return Status::Ok();
  const double tolerance = std::max(1.0, 0.02 * info.duration_s);
  if (decoded_s + tolerance < info.duration_s) {
    return Status::Corruption("truncated " + std::string(videoio::ContainerName(info.container)) +
                              ": decoding ended at " + std::to_string(decoded_s) + " s of the " +
                              std::to_string(info.duration_s) + " s its header declares");
  }
  return Status::Ok();
}

}  // namespace

bool IsVideoItem(const sources::SourceItem& item) {
  if (!item.status.ok()) return false;
  if (item.file.empty())
    return videoio::SniffVideo(item.bytes) != videoio::VideoContainer::kUnknown;
  std::ifstream in(item.file, std::ios::binary);
  if (!in) return false;
  std::array<char, videoio::kVideoSniffBytes> head{};
  in.read(head.data(), head.size());
  const auto n = static_cast<size_t>(in.gcount());
  return videoio::SniffVideo({reinterpret_cast<const uint8_t*>(head.data()), n}) !=
         videoio::VideoContainer::kUnknown;
}

Result<AnalyzedVideo> AnalyzeVideo(const FaceRecordMaker& make_record,
                                   vision::FaceAnalyzer& analyzer, videoio::VideoDecoder& decoder,
                                   const vision::AnalyzeOptions& analyze,
                                   const VideoOptions& options, const VideoProgressFn& progress) {
  const auto opened = Clock::now();
  AnalyzedVideo out;
  out.info = decoder.info();
  videoio::FrameSampler sampler(options.sampling);
  FaceTracker tracker(options.tracker);
  std::map<int64_t, TrackFaces> tracks;
  const int best_k = std::max(1, options.best_k);
  VideoProgress p;
  p.duration_s = out.info.duration_s;
  vision::AnalyzeOptions frame_analyze = analyze;
  frame_analyze.tiling = analyze.tiling && options.tiling;

  for (;;) {
    auto t0 = Clock::now();
    double time_s = 0;
    if (options.cancel != nullptr && options.cancel->load()) {
      return Status::FailedPrecondition("interrupted at " + std::to_string(out.decoded_s) +
                                        " s: nothing of this video was kept; run again");
    }
    ASSIGN_OR_RETURN(const bool more, decoder.Next(&time_s));
    if (!more) break;
    cv::Mat thumbnail;
    if (sampler.wants_thumbnails()) {
      ASSIGN_OR_RETURN(thumbnail,
                       decoder.GreyThumbnail(videoio::kThumbnailWidth, videoio::kThumbnailHeight));
    }
    out.times.decode_ms += MsSince(t0);
    ++out.frames;
    out.decoded_s = std::max(out.decoded_s, time_s);
    const videoio::SampleReason reason = sampler.Offer(time_s, thumbnail);
    if (reason == videoio::SampleReason::kSkip) continue;
    if (reason == videoio::SampleReason::kSceneCut) tracker.Cut();

    t0 = Clock::now();
    ASSIGN_OR_RETURN(const cv::Mat bgr, decoder.Bgr());
    out.times.convert_ms += MsSince(t0);
    t0 = Clock::now();
    ASSIGN_OR_RETURN(vision::AlignedFaces aligned, analyzer.DetectAndAlign(bgr, frame_analyze));
    out.times.detect_ms += MsSince(t0);
    ++out.sampled;
    if (!aligned.faces.empty()) {
      t0 = Clock::now();
      vision::AlignedFaces* one[] = {&aligned};
      RETURN_IF_ERROR(analyzer.EmbedFaces(one, frame_analyze));
      out.times.embed_ms += MsSince(t0);

      t0 = Clock::now();
      std::vector<catalog::FaceRecord> records;
      records.reserve(aligned.faces.size());
      for (auto& f : aligned.faces) records.push_back(make_record(std::move(f)));
      std::vector<TrackDetection> detections;
      for (const auto& r : records) detections.push_back({r.box, r.embedding});
      const std::vector<int64_t> ids = tracker.Update(time_s, detections);
      for (size_t i = 0; i < records.size(); ++i) {
        auto [it, inserted] = tracks.try_emplace(ids[i]);
        TrackFaces& track = it->second;
        if (inserted) track.first_s = time_s;
        track.last_s = time_s;
        records[i].video = catalog::VideoMoment{.time_offset_s = time_s, .track_id = ids[i]};
        Keep(track, std::move(records[i]), best_k);
      }
      out.detections += static_cast<int64_t>(records.size());
      out.times.track_ms += MsSince(t0);
    }
    if (progress) {
      p.frames = out.frames;
      p.sampled = out.sampled;
      p.position_s = out.decoded_s;
      p.faces = out.detections;
      p.tracks = tracker.tracks();
      p.wall_s = std::chrono::duration<double>(Clock::now() - opened).count();
      progress(p);
    }
  }
  RETURN_IF_ERROR(CheckComplete(out.info, out.decoded_s, out.frames));
  out.tracks = tracker.tracks();
  out.cuts = sampler.cuts();
  for (auto& [id, track] : tracks) {
    std::sort(track.best.begin(), track.best.end(), [](const auto& a, const auto& b) {
      return a.video->time_offset_s < b.video->time_offset_s;
    });
    for (auto& face : track.best) {
      face.video->track_first_s = track.first_s;
      face.video->track_last_s = track.last_s;
      out.faces.push_back(std::move(face));
    }
  }
  if (progress) {
    p.frames = out.frames;
    p.position_s = out.decoded_s;
    p.tracks = out.tracks;
    p.wall_s = std::chrono::duration<double>(Clock::now() - opened).count();
    progress(p);
  }
  return out;
}

Result<StoredVideo> StoreAnalyzedVideo(Engine& engine, catalog::ImageRecord& record,
                                       AnalyzedVideo&& video) {
  record.format = std::string(videoio::ContainerName(video.info.container));
  record.width = video.info.width;
  record.height = video.info.height;
  record.duration_s = std::max(video.decoded_s, video.info.duration_s);

  // Opt-out: a track any of whose kept faces the policy refuses is dropped whole (its other faces
  // are the same person).
  std::vector<catalog::FaceRecord> rows;
  IngestPolicy* policy = engine.ingest_policy();
  std::set<int64_t> dropped_tracks;
  if (policy) {
    for (const auto& f : video.faces) {
      if (policy->DropFace(f.embedding)) dropped_tracks.insert(f.video->track_id);
    }
  }
  std::set<int64_t> kept_tracks;
  for (auto& f : video.faces) {
    if (dropped_tracks.contains(f.video->track_id)) continue;
    kept_tracks.insert(f.video->track_id);
    rows.push_back(std::move(f));
  }
  RETURN_IF_ERROR(engine.StoreImage(record, rows));
  return StoredVideo{.faces = static_cast<int64_t>(rows.size()),
                     .tracks = static_cast<int64_t>(kept_tracks.size())};
}

Status IngestVideoItem(Engine& engine, vision::FaceAnalyzer& analyzer,
                       const catalog::SourceRecord& source, int64_t batch_id,
                       const vision::AnalyzeOptions& analyze, const VideoOptions& options,
                       sources::SourceItem& item, const VideoProgressFn& progress,
                       int64_t* stored_faces, bool* skipped, bool* erased) {
  *stored_faces = 0;
  RETURN_IF_ERROR(item.status);
  std::string hash;
  int64_t bytes = 0;
  if (!item.file.empty()) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(item.file, ec);
    if (ec) return Status::IOError("cannot read " + item.file.string() + ": " + ec.message());
    if (size > options.limits.max_bytes) {
      return Status::ResourceExhausted("video is " + std::to_string(size) +
                                       " bytes, over the limit of " +
                                       std::to_string(options.limits.max_bytes));
    }
    ASSIGN_OR_RETURN(hash, Sha256FileHex(item.file));
    bytes = static_cast<int64_t>(size);
  } else {
    hash = Sha256Hex(item.bytes);
    bytes = static_cast<int64_t>(item.bytes.size());
  }
  ASSIGN_OR_RETURN(std::optional<int64_t> held, engine.catalog().FindImageByHash(hash));
  if (held) {
    *skipped = true;
    return Status::Ok();
  }
  if (IngestPolicy* policy = engine.ingest_policy(); policy && policy->PreviouslyErased(hash)) {
    *skipped = true;  // erased before: never decoded, never stored again
    *erased = true;
    return Status::Ok();
  }
  std::unique_ptr<videoio::VideoDecoder> decoder;
  if (!item.file.empty()) {
    ASSIGN_OR_RETURN(decoder,
                     videoio::VideoDecoder::OpenFile(item.file, options.limits, options.decode));
  } else {
    ASSIGN_OR_RETURN(decoder,
                     videoio::VideoDecoder::OpenMemory(item.bytes, options.limits, options.decode));
  }
  ASSIGN_OR_RETURN(AnalyzedVideo video, AnalyzeVideo(
                                            [&engine](vision::AnalyzedFace&& f) {
                                              return engine.FaceRecordFor(std::move(f), 1.0);
                                            },
                                            analyzer, *decoder, analyze, options, progress));
  decoder.reset();
  item.bytes = {};
  if (!item.file.empty()) {
    // The file must still be the one that was hashed: a file replaced while it was decoded would
    // store faces under another file's hash.
    ASSIGN_OR_RETURN(std::string after, Sha256FileHex(item.file));
    if (after != hash) {
      return Status::FailedPrecondition("the video changed while it was being read");
    }
  }

  catalog::ImageRecord record;
  record.source_id = source.id;
  record.batch_id = batch_id;
  record.content_hash = hash;
  record.path = item.location;
  record.bytes = bytes;
  auto stored = StoreAnalyzedVideo(engine, record, std::move(video));
  if (stored.status().code() == StatusCode::kAlreadyExists) {
    *skipped = true;
    return Status::Ok();
  }
  RETURN_IF_ERROR(stored.status());
  *stored_faces = stored->faces;
  return Status::Ok();
}

}  // namespace likeness::engine
