// Batched embedding (one N x 3 x 112 x 112 forward pass, across faces and images) against the
// per-face path, on the real faces of the demo photos. Fails when the models or photos are absent.
#include <gtest/gtest.h>

#include <cmath>
#include <opencv2/core.hpp>

#include "testing/demo_models.h"
#include "vision/embed_queue.h"
#include "vision/face_analyzer.h"

namespace likeness::vision {
namespace {

double Cosine(const Embedding& a, const Embedding& b) {
  double dot = 0, na = 0, nb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    dot += static_cast<double>(a[i]) * b[i];
    na += static_cast<double>(a[i]) * a[i];
    nb += static_cast<double>(b[i]) * b[i];
  }
  return dot / std::sqrt(na * nb);
}

class EmbedBatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cv::setNumThreads(1);  // as the CLI runs it
    auto models = likeness::testing::SetUpModels();
    ASSERT_TRUE(models.ok()) << models.status().ToString();
    auto analyzer = FaceAnalyzer::Create(*models);
    ASSERT_TRUE(analyzer.ok()) << analyzer.status().ToString();
    analyzer_ = std::move(*analyzer);
    auto photos = likeness::testing::DemoPhotos();
    ASSERT_TRUE(photos.ok()) << photos.status().ToString();
    first_photo_ = (*photos)[0];
    for (size_t i = 0; i < photos->size(); ++i) {
      auto faces = analyzer_->DetectAndAlign((*photos)[i], options_);
      ASSERT_TRUE(faces.ok()) << faces.status().ToString();
      ASSERT_FALSE(faces->faces.empty()) << "demo photo " << i + 1;
      images_.push_back(std::move(*faces));
    }
  }

  // The per-face reference: one forward pass per crop.
  std::vector<std::vector<Embedding>> PerFace() {
    std::vector<std::vector<Embedding>> out;
    for (const auto& image : images_) {
      out.emplace_back();
      for (const auto& crop : image.aligned) {
        auto e = analyzer_->Embed({crop}, /*flip_augment=*/false);
        EXPECT_TRUE(e.ok());
        out.back().push_back(e.ok() ? (*e)[0] : Embedding{});
      }
    }
    return out;
  }

  void ExpectSameAs(const std::vector<std::vector<Embedding>>& reference) {
    size_t faces = 0;
    for (size_t i = 0; i < images_.size(); ++i) {
      ASSERT_EQ(images_[i].faces.size(), reference[i].size());
      for (size_t f = 0; f < reference[i].size(); ++f, ++faces) {
        const Embedding& got = images_[i].faces[f].embedding;
        ASSERT_EQ(got.size(), reference[i][f].size()) << "image " << i << " face " << f;
        EXPECT_GE(Cosine(got, reference[i][f]), 1.0 - 1e-5) << "image " << i << " face " << f;
      }
    }
    EXPECT_GE(faces, 18u);  // the demo photos hold 3-6 faces each
  }

  AnalyzeOptions options_;
  std::unique_ptr<FaceAnalyzer> analyzer_;
  std::vector<AlignedFaces> images_;
  cv::Mat first_photo_;  // sample1.jpg
};

TEST_F(EmbedBatchTest, AllFacesOfAllImagesInOnePassEqualPerFace) {
  const auto reference = PerFace();
  std::vector<AlignedFaces*> all;
  for (auto& image : images_) all.push_back(&image);
  options_.embed_batch = 0;  // every face of the six photos in one blob
  ASSERT_TRUE(analyzer_->EmbedFaces(all, options_).ok());
  ExpectSameAs(reference);
}

TEST_F(EmbedBatchTest, PassesThatCrossImageBoundariesEqualPerFace) {
  const auto reference = PerFace();
  std::vector<AlignedFaces*> all;
  for (auto& image : images_) all.push_back(&image);
  for (int batch : {1, 4, 7}) {
    for (auto& image : images_) {
      for (auto& f : image.faces) f.embedding.clear();
    }
    options_.embed_batch = batch;
    ASSERT_TRUE(analyzer_->EmbedFaces(all, options_).ok());
    ExpectSameAs(reference);
  }
}

TEST_F(EmbedBatchTest, AnalyzeEqualsDetectAndAlignThenEmbed) {
  const auto reference = PerFace();
  auto faces = analyzer_->Analyze(first_photo_, options_);
  ASSERT_TRUE(faces.ok());
  ASSERT_EQ(faces->size(), reference[0].size());
  for (size_t f = 0; f < faces->size(); ++f) {
    EXPECT_EQ((*faces)[f].box.x1, images_[0].faces[f].box.x1);
    EXPECT_GE(Cosine((*faces)[f].embedding, reference[0][f]), 1.0 - 1e-5);
  }
}

TEST_F(EmbedBatchTest, FlipAugmentBatchedEqualsPerFace) {
  options_.flip_augment = true;
  std::vector<std::vector<Embedding>> reference;
  for (const auto& image : images_) {
    reference.emplace_back();
    for (const auto& crop : image.aligned) {
      auto e = analyzer_->Embed({crop}, /*flip_augment=*/true);
      ASSERT_TRUE(e.ok());
      reference.back().push_back((*e)[0]);
    }
  }
  std::vector<AlignedFaces*> all;
  for (auto& image : images_) all.push_back(&image);
  options_.embed_batch = 5;
  ASSERT_TRUE(analyzer_->EmbedFaces(all, options_).ok());
  ExpectSameAs(reference);
}

// The queue hands every image to exactly one taker, in order, once a batch of faces is reached.
TEST(EmbedQueueTest, TakesWhenTheBatchIsFullAndLeavesNothingBehind) {
  struct Item {
    AlignedFaces faces;
    int id = 0;
  };
  auto make = [](int id, int faces) {
    auto item = std::make_unique<Item>();
    item->id = id;
    item->faces.faces.resize(static_cast<size_t>(faces));
    return item;
  };
  EmbedQueue<Item> queue(4);
  EXPECT_TRUE(queue.Add(make(1, 1)).empty());
  EXPECT_TRUE(queue.Add(make(2, 2)).empty());
  auto taken = queue.Add(make(3, 3));  // 6 >= 4: all three
  ASSERT_EQ(taken.size(), 3u);
  EXPECT_EQ(taken[0]->id, 1);
  EXPECT_EQ(taken[2]->id, 3);
  EXPECT_TRUE(queue.Add(make(4, 1)).empty());
  auto rest = queue.TakeAll();
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0]->id, 4);
  EXPECT_TRUE(queue.TakeAll().empty());
  EmbedQueue<Item> single(0);  // < 1 counts as 1
  EXPECT_EQ(single.Add(make(5, 1)).size(), 1u);
}

}  // namespace
}  // namespace likeness::vision
