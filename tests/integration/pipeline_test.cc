// The real pipeline on real photos: the demo photos (always available after scripts/setup) and,
// when
// ../shared/data/faces-dev is present, the labelled dev sets and their projects' own expectations.
#include <gtest/gtest.h>

#include <fstream>
#include <opencv2/imgproc.hpp>
#include <set>

#include "common/hash.h"
#include "engine/engine.h"
#include "engine/ingest.h"
#include "engine/search.h"
#include "testing/test_env.h"

namespace likeness::engine {
namespace {
namespace fs = std::filesystem;
using likeness::testing::TempDir;

class PipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(likeness::testing::ModelDir()) << "models missing: run scripts/setup";
    ASSERT_TRUE(likeness::testing::DemoPhotoDir()) << "demo photos missing: run scripts/setup";
    EngineOptions options;
    options.data_dir = dir_.path() / "data";
    options.model_dir = *likeness::testing::ModelDir();
    auto e = Engine::Open(options);
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    engine_ = std::move(*e);
    auto a = engine_->NewAnalyzer();
    ASSERT_TRUE(a.ok());
    analyzer_ = std::move(*a);
  }

  catalog::SourceRecord Declare(const std::string& name) {
    SourceDeclaration d{.name = name,
                        .legal_basis = "art6-1-e",
                        .art9_condition = "art9-2-g",
                        .jurisdiction = "de",
                        .retain_until = "2030-01-01",
                        .collector = "test"};
    auto s = DeclareSource(engine_->catalog(), d);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return *s;
  }

  std::vector<vision::AnalyzedFace> FacesOf(const fs::path& path) {
    auto img = LoadImageFile(path, engine_->options());
    EXPECT_TRUE(img.ok()) << img.status().ToString();
    if (!img.ok()) return {};
    auto faces = analyzer_->Analyze(img->bgr, engine_->options().analyze);
    EXPECT_TRUE(faces.ok());
    return faces.ok() ? *faces : std::vector<vision::AnalyzedFace>{};
  }

  Embedding LargestEmbedding(const fs::path& path) {
    auto faces = FacesOf(path);
    return faces.empty() ? Embedding{} : faces[0].embedding;
  }

  TempDir dir_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<vision::FaceAnalyzer> analyzer_;
};

TEST_F(PipelineTest, DemoPhotosHoldThreeToSixFacesEach) {
  const fs::path demo = *likeness::testing::DemoPhotoDir();
  for (int i = 1; i <= 6; ++i) {
    auto faces = FacesOf(demo / ("sample" + std::to_string(i) + ".jpg"));
    EXPECT_GE(faces.size(), 3u) << "sample" << i;
    EXPECT_LE(faces.size(), 6u) << "sample" << i;
    for (const auto& f : faces) {
      EXPECT_EQ(f.embedding.size(), static_cast<size_t>(kEmbeddingDim));
      double norm = 0;
      for (float v : f.embedding) norm += v * v;
      EXPECT_NEAR(norm, 1.0, 1e-3);
    }
  }
}

TEST_F(PipelineTest, IngestDemoThenFindTheSamePersonInAnotherPhoto) {
  const fs::path demo = *likeness::testing::DemoPhotoDir();
  auto source = Declare("demo");
  auto files = EnumerateFiles({demo});
  ASSERT_TRUE(files.ok());
  auto summary = Ingest(*engine_, source, *files, {.jobs = 2});
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->totals.images, 6);
  EXPECT_EQ(summary->totals.errors, 0);
  EXPECT_GE(summary->totals.faces, 18);

  // The red-haired woman on the right of sample1 is also in sample3 (checked by eye).
  auto bytes = imageio::ReadFileBytes(demo / "sample1.jpg");
  ASSERT_TRUE(bytes.ok());
  auto r = SearchProbe(*engine_, *analyzer_, *bytes, {.top_k = 5});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  bool found_elsewhere = false;
  for (const auto& face : r->faces) {
    ASSERT_FALSE(face.matches.empty());
    // Each face of a held photo finds itself first, with its provenance.
    if (face.quality.overall >= vision::kDefaultSearchableQualityFloor) {
      EXPECT_GT(face.matches[0].score, 0.99f);
      EXPECT_EQ(fs::path(face.matches[0].face.image.path).filename(), "sample1.jpg");
      EXPECT_EQ(face.matches[0].face.source.legal_basis, "art6-1-e");
      EXPECT_EQ(face.matches[0].face.source.jurisdiction, "DE");
    }
    for (size_t k = 1; k < face.matches.size(); ++k) {
      const auto& m = face.matches[k];
      if (m.is_match && fs::path(m.face.image.path).filename() == "sample3.jpg")
        found_elsewhere = true;
    }
  }
  EXPECT_TRUE(found_elsewhere);

  // Re-running the same ingest stores nothing new.
  auto again = Ingest(*engine_, source, *files, {.jobs = 2});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->totals.images, 0);
  EXPECT_EQ(again->totals.skipped, 6);
  auto stats = engine_->catalog().Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->images, 6);
}

// Cross-image batched embedding on two workers stores what one worker embedding one face per
// pass stores: the same images, the same faces, embeddings within 1e-5 cosine; a copy of a photo
// queued alongside the original is still deduplicated by content hash, and progress counts every
// item once.
TEST_F(PipelineTest, BatchedPipelinedIngestStoresWhatThePerFacePathStores) {
  const fs::path demo = *likeness::testing::DemoPhotoDir();
  TempDir copies;
  fs::copy_file(demo / "sample2.jpg", copies.path() / "copy-of-sample2.jpg");
  auto files = EnumerateFiles({demo, copies.path()});
  ASSERT_TRUE(files.ok());
  ASSERT_EQ(files->size(), 7u);

  EngineOptions options = engine_->options();
  options.data_dir = dir_.path() / "reference";
  auto reference = Engine::Open(options);
  ASSERT_TRUE(reference.ok()) << reference.status().ToString();
  SourceDeclaration d{.name = "demo",
                      .legal_basis = "art6-1-e",
                      .art9_condition = "art9-2-g",
                      .jurisdiction = "de",
                      .retain_until = "2030-01-01",
                      .collector = "test"};
  auto ref_source = DeclareSource((*reference)->catalog(), d);
  ASSERT_TRUE(ref_source.ok());
  auto one = Ingest(**reference, *ref_source, *files, {.jobs = 1, .embed_batch = 1});
  ASSERT_TRUE(one.ok()) << one.status().ToString();

  auto source = Declare("demo");
  std::atomic<int> files_reported{0};
  int64_t last_done = -1;
  IngestOptions batched{.jobs = 2, .embed_batch = 4};
  batched.on_file = [&](const std::string&, const Status& st) {
    EXPECT_TRUE(st.ok()) << st.ToString();
    ++files_reported;
  };
  batched.on_progress = [&](const IngestProgress& p) {
    EXPECT_GE(p.done, last_done);
    last_done = p.done;
  };
  auto two = Ingest(*engine_, source, *files, batched);
  ASSERT_TRUE(two.ok()) << two.status().ToString();
  EXPECT_EQ(files_reported.load(), 7);
  EXPECT_EQ(last_done, 7);
  for (const auto* s : {&one->totals, &two->totals}) {
    EXPECT_EQ(s->images, 6);
    EXPECT_EQ(s->skipped, 1);
    EXPECT_EQ(s->errors, 0);
  }
  EXPECT_EQ(one->totals.faces, two->totals.faces);

  for (int i = 1; i <= 6; ++i) {
    auto bytes = imageio::ReadFileBytes(demo / ("sample" + std::to_string(i) + ".jpg"));
    ASSERT_TRUE(bytes.ok());
    const std::string hash = Sha256Hex(*bytes);
    auto a = (*reference)->catalog().FindImageByHash(hash);
    auto b = engine_->catalog().FindImageByHash(hash);
    ASSERT_TRUE(a.ok() && b.ok() && *a && *b) << "sample" << i;
    auto fa = (*reference)->catalog().GetFacesOfImage(**a, /*with_embedding=*/true);
    auto fb = engine_->catalog().GetFacesOfImage(**b, /*with_embedding=*/true);
    ASSERT_TRUE(fa.ok() && fb.ok());
    ASSERT_EQ(fa->size(), fb->size()) << "sample" << i;
    for (size_t f = 0; f < fa->size(); ++f) {
      const auto& ea = (*fa)[f].embedding;
      const auto& eb = (*fb)[f].embedding;
      ASSERT_EQ(ea.size(), eb.size());
      double dot = 0;
      for (size_t k = 0; k < ea.size(); ++k) dot += static_cast<double>(ea[k]) * eb[k];
      EXPECT_GE(dot, 1.0 - 1e-5) << "sample" << i << " face " << f;  // both unit length
      EXPECT_FLOAT_EQ((*fa)[f].box.x1, (*fb)[f].box.x1);
    }
  }
}

TEST_F(PipelineTest, IndexIsRebuiltFromTheCatalogWhenMissingOrCorrupt) {
  const fs::path demo = *likeness::testing::DemoPhotoDir();
  auto source = Declare("demo");
  ASSERT_TRUE(
      Ingest(*engine_, source, {demo / "sample1.jpg", demo / "sample3.jpg"}, {.jobs = 1}).ok());
  const int64_t vectors = engine_->index().size();
  ASSERT_GT(vectors, 0);
  const fs::path index_file = engine_->index_path();
  const EngineOptions options = engine_->options();
  engine_.reset();
  {  // Corrupt the saved index: the engine must rebuild it, not fail or trust it.
    std::fstream f(index_file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);
    f.write("garbage!", 8);
  }
  auto reopened = Engine::Open(options);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  EXPECT_EQ((*reopened)->index().size(), vectors);
  reopened->reset();
  fs::remove(index_file);
  auto again = Engine::Open(options);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->index().size(), vectors);
}

TEST_F(PipelineTest, TilesFindSmallFacesInALargePhoto) {
  // Four faces from a demo photo, shrunk to about 30 px, pasted into a 1920x1280 frame.
  const fs::path demo = *likeness::testing::DemoPhotoDir();
  auto source = LoadImageFile(demo / "sample1.jpg", engine_->options());
  ASSERT_TRUE(source.ok());
  auto faces = analyzer_->Analyze(source->bgr, engine_->options().analyze);
  ASSERT_TRUE(faces.ok());
  ASSERT_GE(faces->size(), 3u);
  cv::Mat frame(1280, 1920, CV_8UC3, cv::Scalar(120, 130, 140));
  cv::randn(frame, cv::Scalar(120, 130, 140), cv::Scalar(12, 12, 12));
  const cv::Point spots[] = {{200, 300}, {900, 150}, {1500, 900}, {600, 1000}};
  constexpr int kFacePx = 30;
  for (int i = 0; i < 4; ++i) {
    const auto& b = (*faces)[i % faces->size()].box;
    const float side = 1.8f * std::max(b.width(), b.height());
    cv::Rect r(static_cast<int>(b.cx() - side / 2), static_cast<int>(b.cy() - side / 2),
               static_cast<int>(side), static_cast<int>(side));
    r &= cv::Rect(0, 0, source->bgr.cols, source->bgr.rows);
    cv::Mat small;
    const double scale = 1.8 * kFacePx / side;
    cv::resize(source->bgr(r), small, cv::Size(), scale, scale, cv::INTER_AREA);
    small.copyTo(frame(cv::Rect(spots[i].x, spots[i].y, small.cols, small.rows)));
  }
  vision::AnalyzeOptions tiled = engine_->options().analyze;
  vision::AnalyzeOptions whole = tiled;
  whole.tiling = false;
  auto found_tiled = analyzer_->Analyze(frame, tiled);
  auto found_whole = analyzer_->Analyze(frame, whole);
  ASSERT_TRUE(found_tiled.ok());
  ASSERT_TRUE(found_whole.ok());
  EXPECT_GE(found_tiled->size(), 3u);
  EXPECT_LE(found_tiled->size(), 4u);
  EXPECT_LT(found_whole->size(), found_tiled->size());
  for (const auto& f : *found_tiled)
    EXPECT_LT(std::max(f.box.width(), f.box.height()), 3 * kFacePx);
}

TEST_F(PipelineTest, StrangerGetsNoMatch) {
  const fs::path demo = *likeness::testing::DemoPhotoDir();
  auto source = Declare("demo");
  ASSERT_TRUE(Ingest(*engine_, source, {demo / "sample5.jpg"}, {.jobs = 1}).ok());
  // Nobody from sample6 appears in sample5.
  auto bytes = imageio::ReadFileBytes(demo / "sample6.jpg");
  ASSERT_TRUE(bytes.ok());
  auto r = SearchProbe(*engine_, *analyzer_, *bytes, {.top_k = 3});
  ASSERT_TRUE(r.ok());
  ASSERT_FALSE(r->faces.empty());
  for (const auto& face : r->faces) {
    EXPECT_FALSE(face.matched) << "stranger matched with " << face.matches[0].score;
  }
}

TEST_F(PipelineTest, DeepfaceNamedPairsAndFaceCounts) {
  auto dev = likeness::testing::FacesDevDir();
  if (!dev) GTEST_SKIP() << "../shared/data/faces-dev not present";
  const fs::path d = *dev / "deepface";
  struct Pair {
    const char *a, *b;
    bool same;
  };
  // deepface's test_verify.py pairs.
  const Pair pairs[] = {{"img1.jpg", "img2.jpg", true},  {"img5.jpg", "img6.jpg", true},
                        {"img6.jpg", "img7.jpg", true},  {"img8.jpg", "img9.jpg", true},
                        {"img1.jpg", "img11.jpg", true}, {"img2.jpg", "img11.jpg", true},
                        {"img1.jpg", "img3.jpg", false}, {"img2.jpg", "img3.jpg", false},
                        {"img6.jpg", "img8.jpg", false}, {"img6.jpg", "img9.jpg", false}};
  for (const auto& p : pairs) {
    const float s = Cosine(LargestEmbedding(d / p.a), LargestEmbedding(d / p.b));
    EXPECT_EQ(s >= kDefaultMatchThreshold, p.same) << p.a << " vs " << p.b << ": " << s;
  }
  for (const char* one : {"img1.jpg", "img2.jpg", "img3.jpg", "img4.jpg", "img5.jpg"}) {
    EXPECT_EQ(FacesOf(d / one).size(), 1u) << one;
  }
  EXPECT_EQ(FacesOf(d / "couple.jpg").size(), 2u);
  EXPECT_EQ(FacesOf(d / "img47.jpg").size(), 1u);  // a WebP named .jpg
}

TEST_F(PipelineTest, FaceRecognitionObamaBidenExpectations) {
  auto dev = likeness::testing::FacesDevDir();
  if (!dev) GTEST_SKIP() << "../shared/data/faces-dev not present";
  const fs::path t = *dev / "face_recognition" / "tests" / "test_images";
  const Embedding obama = LargestEmbedding(t / "obama.jpg");
  EXPECT_GE(Cosine(obama, LargestEmbedding(t / "obama2.jpg")), kDefaultMatchThreshold);
  EXPECT_GE(Cosine(obama, LargestEmbedding(t / "obama3.jpg")), kDefaultMatchThreshold);
  EXPECT_LT(Cosine(obama, LargestEmbedding(t / "biden.jpg")), kDefaultMatchThreshold);
  for (const char* one :
       {"obama.jpg", "32bit.png", "obama_partial_face.jpg", "obama_partial_face2.jpg"}) {
    EXPECT_EQ(FacesOf(t / one).size(), 1u) << one;
  }
  auto rgba = LoadImageFile(t / "32bit.png", engine_->options());
  ASSERT_TRUE(rgba.ok());
  EXPECT_EQ(rgba->original_height, 1200);
  EXPECT_EQ(rgba->original_width, 626);
}

}  // namespace
}  // namespace likeness::engine
