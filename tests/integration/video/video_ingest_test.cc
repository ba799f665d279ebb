// Video files as sources, end to end with the real models: a slideshow of the demo photos with
// motion (written by Debian's OpenCV writer) ingested from a folder, an archive and a manifest;
// tracks, best-K, time offsets; the same faces found again from the stills; damage that keeps
// nothing; erasure that takes whole tracks; an opt-out that blocks a track at ingest. The clip in
// ../shared/data/video-dev is used when present.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>

#include "engine/engine.h"
#include "engine/ingest.h"
#include "engine/search.h"
#include "engine/stored_media.h"
#include "governance/erasure.h"
#include "governance/governance.h"
#include "governance/optout.h"
#include "sources/sources.h"
#include "testing/archive_builder.h"
#include "testing/test_env.h"
#include "testing/video_maker.h"

namespace likeness {
namespace {

namespace fs = std::filesystem;
using likeness::testing::TempDir;

constexpr double kSlideSeconds = 2.0;

fs::path Demo(int i) {
  return *likeness::testing::DemoPhotoDir() / ("sample" + std::to_string(i) + ".jpg");
}

// The slideshow of sample1..3 (2 s each), written once per process.
const fs::path& Slideshow(const std::string& name, const std::string& fourcc) {
  static TempDir dir;
  static std::map<std::string, fs::path> made;
  auto it = made.find(name);
  if (it != made.end()) return it->second;
  likeness::testing::SlideshowOptions o;
  o.fourcc = fourcc;
  o.seconds_per_slide = kSlideSeconds;
  const fs::path out = dir.path() / name;
  const std::string why = likeness::testing::WriteSlideshow({Demo(1), Demo(2), Demo(3)}, out, o);
  EXPECT_EQ(why, "");
  return made.emplace(name, out).first->second;
}

class VideoIngestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(likeness::testing::ModelDir()) << "models missing: run scripts/setup";
    ASSERT_TRUE(likeness::testing::DemoPhotoDir()) << "demo photos missing: run scripts/setup";
    engine::EngineOptions options;
    options.data_dir = dir_.path() / "data";
    options.model_dir = *likeness::testing::ModelDir();
    auto e = engine::Engine::Open(options);
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    engine_ = std::move(*e);
    auto g = governance::Governance::Open(*engine_, "ingester");
    ASSERT_TRUE(g.ok()) << g.status().ToString();
    gov_ = std::move(*g);
    engine::SourceDeclaration d{.name = "interviews",
                                .legal_basis = "art6-1-e",
                                .art9_condition = "art9-2-g",
                                .jurisdiction = "DE",
                                .collector = "test"};
    auto s = engine::DeclareSource(engine_->catalog(), d);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    source_ = *s;
  }

  engine::IngestSummary Ingest(const std::vector<fs::path>& paths) {
    auto items = sources::OpenSources(paths);
    EXPECT_TRUE(items.ok()) << items.status().ToString();
    engine::IngestOptions o;
    o.jobs = 1;
    o.on_file = [this](const std::string& location, const Status& st) {
      if (!st.ok()) errors_.push_back(location + ": " + st.ToString());
    };
    auto summary = engine::Ingest(*engine_, source_, **items, o);
    EXPECT_TRUE(summary.ok()) << summary.status().ToString();
    return summary.ok() ? *summary : engine::IngestSummary{};
  }

  std::vector<catalog::FaceRecord> FacesOfOnlyImage() {
    auto stats = engine_->catalog().Stats();
    EXPECT_TRUE(stats.ok());
    std::vector<catalog::FaceRecord> all;
    for (int64_t id = 1; id <= 10; ++id) {
      auto faces = engine_->catalog().GetFacesOfImage(id, true);
      if (faces.ok()) all.insert(all.end(), faces->begin(), faces->end());
    }
    return all;
  }

  // The best match of the photo's largest face.
  engine::Match BestMatchOf(const fs::path& photo) {
    auto analyzer = engine_->NewAnalyzer();
    EXPECT_TRUE(analyzer.ok());
    const std::vector<unsigned char> bytes = likeness::testing::ReadBytes(photo);
    engine::SearchOptions o;
    o.largest_only = true;
    o.top_k = 5;
    auto r = engine::SearchProbe(*engine_, **analyzer, bytes, o);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok() || r->faces.empty() || r->faces[0].matches.empty()) return {};
    return r->faces[0].matches[0];
  }

  governance::Justification Why() const { return {"officer", "test", "art6-1-c", "CASE-1"}; }

  TempDir dir_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<governance::Governance> gov_;
  catalog::SourceRecord source_;
  std::vector<std::string> errors_;
};

TEST_F(VideoIngestTest, AVideoIsOneRecordWhoseTrackedFacesAreFoundFromTheStills) {
  const fs::path& video = Slideshow("show.mp4", "mp4v");
  const engine::IngestSummary summary = Ingest({video});
  ASSERT_EQ(summary.totals.errors, 0) << (errors_.empty() ? "" : errors_[0]);
  EXPECT_EQ(summary.totals.images, 1);
  EXPECT_EQ(summary.totals.videos, 1);
  EXPECT_GT(summary.totals.video_frames, 50);
  EXPECT_NEAR(summary.totals.video_seconds, 3 * kSlideSeconds, 0.3);
  EXPECT_GT(summary.totals.video_tracks, 3);
  ASSERT_GT(summary.totals.faces, 3);

  auto image = engine_->catalog().GetImage(1);
  ASSERT_TRUE(image.ok());
  EXPECT_TRUE(image->is_video());
  EXPECT_EQ(image->format, "mp4");
  EXPECT_EQ(image->width, 960);
  EXPECT_NEAR(*image->duration_s, 3 * kSlideSeconds, 0.3);

  // Every face has its moment; a track keeps at most best_k faces, each from a different frame, and
  // a track never spans a cut between slides.
  const int best_k = engine::VideoOptions{}.best_k;
  std::map<int64_t, std::vector<catalog::FaceRecord>> tracks;
  for (const auto& f : FacesOfOnlyImage()) {
    ASSERT_TRUE(f.video.has_value());
    EXPECT_GE(f.video->time_offset_s, f.video->track_first_s);
    EXPECT_LE(f.video->time_offset_s, f.video->track_last_s);
    tracks[f.video->track_id].push_back(f);
  }
  for (const auto& [id, faces] : tracks) {
    EXPECT_LE(static_cast<int>(faces.size()), best_k);
    std::set<double> times;
    for (const auto& f : faces) times.insert(f.video->time_offset_s);
    EXPECT_EQ(times.size(), faces.size()) << "track " << id << " holds two faces of one frame";
    const int slide_first = static_cast<int>(faces[0].video->track_first_s / kSlideSeconds);
    const int slide_last = static_cast<int>(faces[0].video->track_last_s / kSlideSeconds);
    EXPECT_EQ(slide_first, slide_last) << "track " << id << " crosses a cut";
  }

  // Each still finds its own slide's face, rank 1, with the moment it appears.
  for (int sample = 1; sample <= 3; ++sample) {
    SCOPED_TRACE("sample" + std::to_string(sample));
    const engine::Match best = BestMatchOf(Demo(sample));
    ASSERT_TRUE(best.face.face.video.has_value());
    EXPECT_TRUE(best.is_match);
    const double slide_start = (sample - 1) * kSlideSeconds;
    EXPECT_GE(best.face.face.video->time_offset_s, slide_start - 0.01);
    EXPECT_LT(best.face.face.video->time_offset_s, slide_start + kSlideSeconds);
    EXPECT_GE(best.face.face.video->track_first_s, slide_start - 0.01);
    EXPECT_LT(best.face.face.video->track_last_s, slide_start + kSlideSeconds);
  }

  // The frame and the crop of a video face decode from the stored video at its moment.
  const engine::Match best = BestMatchOf(Demo(2));
  auto frame = engine::LoadStoredFaceImage(best.face.image, best.face.face, engine_->options());
  ASSERT_TRUE(frame.ok()) << frame.status().ToString();
  EXPECT_EQ(frame->bgr.cols, 960);
  EXPECT_TRUE(engine::FaceCropJpeg(*frame, best.face.face.box).ok());

  // The same bytes again: held, skipped.
  const engine::IngestSummary again = Ingest({video});
  EXPECT_EQ(again.totals.skipped, 1);
  EXPECT_EQ(again.totals.images, 0);
}

TEST_F(VideoIngestTest, FromAnArchiveInMemoryAndFromAManifest) {
  const fs::path& video = Slideshow("show.webm", "VP80");
  const fs::path zip = dir_.path() / "footage.zip";
  ASSERT_TRUE(likeness::testing::WriteArchive(
      zip, likeness::testing::ArchiveType::kZip,
      {{.name = "day1/interview.webm", .bytes = likeness::testing::ReadAll(video)}}));
  engine::IngestSummary summary = Ingest({zip});
  ASSERT_EQ(summary.totals.errors, 0) << (errors_.empty() ? "" : errors_[0]);
  EXPECT_EQ(summary.totals.images, 1);
  auto image = engine_->catalog().GetImage(1);
  ASSERT_TRUE(image.ok());
  EXPECT_EQ(image->format, "webm");
  EXPECT_NE(image->path.find("footage.zip!/day1/interview.webm"), std::string::npos);
  // Frames are read back from the archive entry, in memory.
  auto frame = engine::LoadStoredVideoFrame(*image, 3.0, engine_->options());
  ASSERT_TRUE(frame.ok()) << frame.status().ToString();

  const fs::path& avi = Slideshow("show.avi", "MJPG");
  const fs::path manifest = dir_.path() / "list.csv";
  std::ofstream(manifest) << "path,collected_at\n" << avi.string() << ",2026-01-02\n";
  summary = Ingest({manifest});
  ASSERT_EQ(summary.totals.errors, 0) << (errors_.empty() ? "" : errors_[0]);
  EXPECT_EQ(summary.totals.images, 1);
  auto second = engine_->catalog().GetImage(2);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->format, "avi");
  EXPECT_GT(summary.totals.faces, 0);
}

// Damage: an error for that file, and nothing of it is kept (no record, no face), never a crash.
TEST_F(VideoIngestTest, ATruncatedOrCorruptVideoKeepsNothing) {
  const fs::path& intact = Slideshow("show.mkv", "mp4v");
  const std::vector<unsigned char> bytes = likeness::testing::ReadBytes(intact);
  const fs::path folder = dir_.path() / "damaged";
  fs::create_directories(folder);
  // Cut after 60 %: the header still declares the full duration.
  likeness::testing::WriteBytes(folder / "cut.mkv",
                                {bytes.begin(), bytes.begin() + bytes.size() * 6 / 10});
  // The mp4's index is written last: half a file has none.
  const std::vector<unsigned char> mp4 =
      likeness::testing::ReadBytes(Slideshow("show.mp4", "mp4v"));
  likeness::testing::WriteBytes(folder / "half.mp4", {mp4.begin(), mp4.begin() + mp4.size() / 2});
  // Noise over the middle of the stream.
  std::vector<unsigned char> noisy = bytes;
  for (size_t i = noisy.size() / 2; i < noisy.size() / 2 + 20000 && i < noisy.size(); ++i) {
    noisy[i] = static_cast<unsigned char>(i * 131);
  }
  likeness::testing::WriteBytes(folder / "noisy.mkv", noisy);

  const engine::IngestSummary summary = Ingest({folder});
  auto stats = engine_->catalog().Stats();
  ASSERT_TRUE(stats.ok());
  // The truncated ones are errors, with nothing stored.
  EXPECT_GE(summary.totals.errors, 2);
  for (const auto& e : errors_) {
    EXPECT_TRUE(e.find("cut.mkv") != std::string::npos || e.find("half.mp4") != std::string::npos ||
                e.find("noisy.mkv") != std::string::npos)
        << e;
  }
  bool cut_reported = false;
  for (const auto& e : errors_) {
    if (e.find("cut.mkv") != std::string::npos) {
      cut_reported = true;
      EXPECT_NE(e.find("truncated"), std::string::npos) << e;
    }
  }
  EXPECT_TRUE(cut_reported);
  // The noisy one is either refused whole or stored whole: never a partial record.
  EXPECT_EQ(stats->images, summary.totals.images);
  EXPECT_EQ(stats->images + summary.totals.errors, 3);
  if (stats->images == 0) {
    EXPECT_EQ(stats->faces, 0);
  }

  // The intact file still ingests afterwards.
  const engine::IngestSummary repaired = Ingest({intact});
  EXPECT_EQ(repaired.totals.images, 1);
  EXPECT_GT(repaired.totals.faces, 0);
}

TEST_F(VideoIngestTest, ErasureTakesWholeTracksAndOptOutBlocksThem) {
  // An opt-out for sample1's largest face, before the video comes in.
  const std::vector<unsigned char> probe = likeness::testing::ReadBytes(Demo(1));
  auto opted = governance::AddOptOut(*gov_, probe, "REQ-VIDEO-1", /*largest=*/true, Why());
  ASSERT_TRUE(opted.ok()) << opted.status().ToString();
  const engine::IngestSummary summary = Ingest({Slideshow("show.mp4", "mp4v")});
  ASSERT_EQ(summary.totals.images, 1);
  // Nothing of that person is held: no stored face comes near the opt-out's template, and no track
  // kept a face of slide 1's largest face (the whole track went, not only its best faces).
  auto analyzer = engine_->NewAnalyzer();
  ASSERT_TRUE(analyzer.ok());
  auto probe_faces = engine::AnalyzeProbe(*engine_, **analyzer, probe, /*largest_only=*/true);
  ASSERT_TRUE(probe_faces.ok());
  ASSERT_EQ(probe_faces->faces.size(), 1u);
  const auto stored = FacesOfOnlyImage();
  ASSERT_FALSE(stored.empty());
  for (const auto& f : stored) {
    EXPECT_LT(engine::Cosine(f.embedding, probe_faces->faces[0].embedding),
              governance::kOptOutThreshold)
        << "face " << f.id << " (track " << f.video->track_id << ") of the opted-out person";
  }

  // Erasing one face of a track erases all of it.
  std::map<int64_t, std::vector<int64_t>> tracks;
  for (const auto& f : FacesOfOnlyImage()) tracks[f.video->track_id].push_back(f.id);
  int64_t multi = 0;
  for (const auto& [id, faces] : tracks) {
    if (faces.size() > 1) multi = id;
  }
  ASSERT_NE(multi, 0) << "no track kept more than one face";
  auto plan = governance::PlanErasure(
      *gov_, {.kind = governance::EraseKind::kFace, .value = std::to_string(tracks[multi][0])});
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->face_ids, tracks[multi]);
  ASSERT_TRUE(governance::ExecuteErasure(*gov_, *plan, Why()).ok());
  for (int64_t id : tracks[multi]) {
    EXPECT_EQ(engine_->catalog().GetFace(id, false).status().code(), StatusCode::kNotFound);
  }

  // Erasing the video (the image) takes every remaining face.
  auto by_image =
      governance::PlanErasure(*gov_, {.kind = governance::EraseKind::kImage, .value = "1"});
  ASSERT_TRUE(by_image.ok()) << by_image.status().ToString();
  ASSERT_TRUE(governance::ExecuteErasure(*gov_, *by_image, Why()).ok());
  auto stats = engine_->catalog().Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->faces, 0);
  EXPECT_EQ(stats->images, 0);

  // The same video ingested again after its erasure is never decoded or stored again (it once
  // was: the erased bytes came back from a folder ingest).
  const engine::IngestSummary again = Ingest({Slideshow("show.mp4", "mp4v")});
  EXPECT_EQ(again.totals.previously_erased, 1);
  EXPECT_EQ(again.totals.images, 0);
  auto after = engine_->catalog().Stats();
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->faces, 0);
  EXPECT_EQ(after->images, 0);
}

// ../shared/data/video-dev/short_hamilton_clip.mp4 (H.264, 640x360, ~9 s): Lin-Manuel Miranda is
// found in it from his photo in faces-dev, with the moment.
TEST_F(VideoIngestTest, DevClipFindsThePersonFromHisPhoto) {
  fs::path clip_dir = likeness::testing::SourceRoot().parent_path() / "shared/data/video-dev";
  if (const char* e = std::getenv("LIKENESS_VIDEO_DEV"); e && *e) clip_dir = e;
  const fs::path clip = clip_dir / "short_hamilton_clip.mp4";
  const auto faces_dev = likeness::testing::FacesDevDir();
  if (!fs::exists(clip) || !faces_dev) {
    GTEST_SKIP() << "../shared/data/video-dev or faces-dev absent (LIKENESS_VIDEO_DEV, "
                    "LIKENESS_FACES_DEV)";
  }
  const engine::IngestSummary summary = Ingest({clip});
  ASSERT_EQ(summary.totals.errors, 0) << (errors_.empty() ? "" : errors_[0]);
  ASSERT_EQ(summary.totals.images, 1);
  EXPECT_GT(summary.totals.faces, 0);
  const engine::Match best =
      BestMatchOf(*faces_dev / "face_recognition/examples/lin-manuel-miranda.png");
  ASSERT_TRUE(best.face.face.video.has_value());
  EXPECT_TRUE(best.is_match) << "cosine " << best.cosine;
  EXPECT_GE(best.face.face.video->time_offset_s, 0.0);
  EXPECT_LE(best.face.face.video->time_offset_s, 10.0);
}

}  // namespace
}  // namespace likeness
