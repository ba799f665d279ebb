// Video records (schema version 4): a video is one image with a duration; its faces carry the time
// they were seen and their track.
#include "catalog_fixture.h"

namespace likeness::catalog::testing {
namespace {

TEST_F(CatalogTest, VideoFacesKeepTheirMomentAndTrack) {
  ImageRecord video = MakeImage(source_.id, "video-hash");
  video.format = "mp4";
  video.duration_s = 12.5;
  std::vector<FaceRecord> faces = MakeFaces(kModelA, 3);
  faces[0].video =
      VideoMoment{.time_offset_s = 1.5, .track_id = 1, .track_first_s = 0.5, .track_last_s = 4.0};
  faces[1].video =
      VideoMoment{.time_offset_s = 3.0, .track_id = 1, .track_first_s = 0.5, .track_last_s = 4.0};
  faces[2].video =
      VideoMoment{.time_offset_s = 9.0, .track_id = 2, .track_first_s = 8.0, .track_last_s = 9.5};
  ASSERT_TRUE(catalog_->AddImageWithFaces(video, faces).ok());

  Reopen();
  auto image = catalog_->GetImage(video.id);
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  ASSERT_TRUE(image->is_video());
  EXPECT_DOUBLE_EQ(*image->duration_s, 12.5);
  auto stored = catalog_->GetFacesOfImage(video.id, false);
  ASSERT_TRUE(stored.ok());
  ASSERT_EQ(stored->size(), 3u);
  ASSERT_TRUE((*stored)[2].video.has_value());
  EXPECT_DOUBLE_EQ((*stored)[2].video->time_offset_s, 9.0);
  EXPECT_EQ((*stored)[2].video->track_id, 2);
  EXPECT_DOUBLE_EQ((*stored)[2].video->track_first_s, 8.0);
  EXPECT_DOUBLE_EQ((*stored)[2].video->track_last_s, 9.5);

  const int64_t ids[] = {faces[0].id};
  auto with_provenance = catalog_->GetFacesWithProvenance(ids);
  ASSERT_TRUE(with_provenance.ok());
  ASSERT_EQ(with_provenance->size(), 1u);
  EXPECT_TRUE((*with_provenance)[0].image.is_video());
  ASSERT_TRUE((*with_provenance)[0].face.video.has_value());
  EXPECT_EQ((*with_provenance)[0].face.video->track_id, 1);
}

TEST_F(CatalogTest, PhotosHaveNoVideoFields) {
  std::vector<FaceRecord> faces = AddImage("photo-hash", 1);
  auto image = catalog_->GetImage(faces[0].image_id);
  ASSERT_TRUE(image.ok());
  EXPECT_FALSE(image->is_video());
  auto face = catalog_->GetFace(faces[0].id, true);
  ASSERT_TRUE(face.ok());
  EXPECT_FALSE(face->video.has_value());
  EXPECT_EQ(face->embedding.size(), static_cast<size_t>(kEmbeddingDim));
}

TEST_F(CatalogTest, RefusesAMomentOutsideItsTrack) {
  ImageRecord video = MakeImage(source_.id, "bad-moment");
  video.duration_s = 5;
  std::vector<FaceRecord> faces = MakeFaces(kModelA, 1);
  faces[0].video =
      VideoMoment{.time_offset_s = 9.0, .track_id = 1, .track_first_s = 0, .track_last_s = 2};
  Status s = catalog_->AddImageWithFaces(video, faces);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  faces[0].video =
      VideoMoment{.time_offset_s = 1.0, .track_id = 0, .track_first_s = 0, .track_last_s = 2};
  s = catalog_->AddImageWithFaces(video, faces);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_EQ(GetStats().images, 0);
}

}  // namespace
}  // namespace likeness::catalog::testing
