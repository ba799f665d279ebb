// Recorded video uploaded through the API (POST /api/v1/sources/{id}/images), over real HTTP with
// the real models: a slideshow of the demo photos (Debian's OpenCV writer) is detected as a video
// by its content (its name says .jpg), stored as one image with tracked faces and their moments,
// found again from a still taken from it, played back with the search's media token; a second
// upload is a duplicate; a truncated video is an error that keeps nothing; an erased video is never
// stored again.
#include <gtest/gtest.h>

#include <filesystem>
#include <opencv2/imgcodecs.hpp>

#include "engine/engine.h"
#include "server_fixture.h"
#include "video_server_fixture.h"
#include "videoio/video_decoder.h"

namespace likeness::server::testing {
namespace {

namespace fs = std::filesystem;
using enum Role;

class VideoUploadTest : public VideoServerTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(StartServer());
    video_ = ReadFile(WriteDemoSlideshow("interview.mp4"));
    ASSERT_FALSE(video_.empty());
    source_id_ = DeclareFootage();
    ASSERT_NE(source_id_, 0);
  }

  httplib::Result Upload(const std::string& bytes, const std::string& name) {
    return server_->Client()->Post(
        "/api/v1/sources/" + std::to_string(source_id_) + "/images", server_->Auth(kIngest),
        httplib::MultipartFormDataItems{FilePart("images", bytes, name)});
  }

  // The frame at or after `at_s` of the uploaded video, as JPEG (a still taken from it).
  std::string StillAt(double at_s) const {
    const std::vector<uint8_t> bytes(video_.begin(), video_.end());
    auto decoder = videoio::VideoDecoder::OpenMemory(bytes);
    EXPECT_TRUE(decoder.ok()) << decoder.status().ToString();
    if (!decoder.ok()) return "";
    double t = 0;
    for (;;) {
      auto more = (*decoder)->Next(&t);
      if (!more.ok() || !*more) return "";
      if (t >= at_s) break;
    }
    auto bgr = (*decoder)->Bgr();
    EXPECT_TRUE(bgr.ok());
    std::vector<uchar> jpeg;
    if (!bgr.ok() || !cv::imencode(".jpg", *bgr, jpeg)) return "";
    return std::string(jpeg.begin(), jpeg.end());
  }

  std::string video_;
  int64_t source_id_ = 0;
};

TEST_F(VideoUploadTest, AnUploadedVideoIsStoredFoundFromAStillAndPlayed) {
  // Named .jpg: a video is a video by its content.
  auto r = Upload(video_, "holiday.jpg");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const nlohmann::json j = Json(r);
  EXPECT_EQ(j["images"], 1);
  EXPECT_EQ(j["videos"], 1);
  ASSERT_EQ(j["files"].size(), 1u);
  const nlohmann::json& file = j["files"][0];
  EXPECT_EQ(file["status"], "stored") << file.dump();
  EXPECT_EQ(file["media"], "video");
  EXPECT_GT(file["faces"].get<int64_t>(), 0);
  EXPECT_GT(file["tracks"].get<int64_t>(), 0);
  EXPECT_LE(file["tracks"].get<int64_t>(), file["faces"].get<int64_t>());
  EXPECT_NEAR(file["duration_s"].get<double>(), 4.0, 0.5);
  const int64_t image_id = file["image_id"];

  // One image record, a video, its copy kept by content hash with the container's extension.
  auto image = engine_->catalog().GetImage(image_id);
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  EXPECT_TRUE(image->is_video());
  EXPECT_EQ(image->format, "mp4");
  const fs::path copy = engine_->options().data_dir / "uploads" / std::to_string(source_id_) /
                        (image->content_hash + ".mp4");
  EXPECT_EQ(fs::path(image->path), fs::absolute(copy).lexically_normal());
  EXPECT_EQ(ReadFile(copy), video_);
  auto faces = engine_->catalog().GetFacesOfImage(image_id, false);
  ASSERT_TRUE(faces.ok());
  ASSERT_EQ(static_cast<int64_t>(faces->size()), file["faces"].get<int64_t>());
  for (const auto& f : *faces) {
    ASSERT_TRUE(f.video.has_value()) << "face " << f.id << " has no moment";
    EXPECT_GE(f.video->time_offset_s, 0.0);
    EXPECT_LE(f.video->time_offset_s, 4.0);
    EXPECT_LE(f.video->track_first_s, f.video->time_offset_s);
    EXPECT_GE(f.video->track_last_s, f.video->time_offset_s);
  }

  // A still of the second slide (sample3, from 2 s on) finds the video at that moment.
  const std::string still = StillAt(3.0);
  ASSERT_FALSE(still.empty());
  auto c = server_->Client();
  auto searched =
      c->Post("/api/v1/search", server_->Auth(kSearch),
              Justified({FilePart("image", still, "still.jpg"), TextPart("largest", "true")}));
  ASSERT_TRUE(searched);
  ASSERT_EQ(searched->status, 200) << searched->body;
  const nlohmann::json found = Json(searched);
  ASSERT_FALSE(found["faces"].empty());
  ASSERT_FALSE(found["faces"][0]["matches"].empty());
  const nlohmann::json best = found["faces"][0]["matches"][0];
  EXPECT_TRUE(best["match"].get<bool>());
  EXPECT_EQ(best["image_id"], image_id);
  EXPECT_EQ(best["media"], "video");
  EXPECT_GE(best["time_offset_s"].get<double>(), 2.0 - 0.01);
  EXPECT_LT(best["time_offset_s"].get<double>(), 4.0);

  // The search's media token plays the stored copy (metadata-free, so not byte-equal).
  const std::string video_url = best["video_url"];
  auto played = c->Get(video_url, server_->Auth(kSearch));
  ASSERT_TRUE(played);
  ASSERT_EQ(played->status, 200) << played->body;
  EXPECT_EQ(played->get_header_value("Content-Type"), "video/mp4");
  const std::vector<uint8_t> served(played->body.begin(), played->body.end());
  auto decoder = videoio::VideoDecoder::OpenMemory(served);
  ASSERT_TRUE(decoder.ok()) << decoder.status().ToString();
  EXPECT_EQ((*decoder)->info().width, 640);
  auto frame = c->Get(best["image_url"].get<std::string>(), server_->Auth(kSearch));
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->status, 200);
  EXPECT_EQ(frame->get_header_value("Content-Type"), "image/jpeg");

  // The same bytes again: a duplicate of the stored video, nothing more stored.
  auto again = Upload(video_, "again.mp4");
  ASSERT_TRUE(again);
  ASSERT_EQ(again->status, 200) << again->body;
  const nlohmann::json dup = Json(again);
  EXPECT_EQ(dup["images"], 0);
  EXPECT_EQ(dup["duplicates"], 1);
  EXPECT_EQ(dup["files"][0]["status"], "duplicate");
  EXPECT_EQ(dup["files"][0]["image_id"], image_id);
  EXPECT_EQ(StoredCopies(), 1u);
}

TEST_F(VideoUploadTest, ATruncatedVideoIsAnErrorAndKeepsNothing) {
  const std::string truncated = video_.substr(0, video_.size() / 2);
  auto r = Upload(truncated, "cut.mp4");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400) << r->body;  // every file refused
  const nlohmann::json j = Json(r);
  EXPECT_EQ(j["images"], 0);
  EXPECT_EQ(j["errors"], 1);
  EXPECT_EQ(j["files"][0]["status"], "error");
  EXPECT_EQ(j["files"][0]["media"], "video");
  EXPECT_TRUE(j["files"][0]["error"].contains("message")) << j.dump();
  auto stats = engine_->catalog().Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->images, 0);
  EXPECT_EQ(stats->faces, 0);
  EXPECT_EQ(StoredCopies(), 0u);

  // The intact video still uploads afterwards.
  auto whole = Upload(video_, "whole.mp4");
  ASSERT_TRUE(whole);
  ASSERT_EQ(whole->status, 200) << whole->body;
  EXPECT_EQ(Json(whole)["files"][0]["status"], "stored");
}

TEST_F(VideoUploadTest, AnErasedVideoIsNeverStoredAgain) {
  auto r = Upload(video_, "clip.mp4");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const int64_t image_id = Json(r)["files"][0]["image_id"];
  auto erased = server_->Client()->Post(
      "/api/v1/erasures", server_->Auth(kPrivacy),
      JustifiedJson({{"by", "image"}, {"value", std::to_string(image_id)}}).dump(),
      "application/json");
  ASSERT_TRUE(erased);
  ASSERT_EQ(erased->status, 200) << erased->body;
  EXPECT_EQ(Json(erased)["images_removed"], 1);
  EXPECT_EQ(Json(erased)["stored_copies_removed"], 1);
  EXPECT_EQ(StoredCopies(), 0u);

  auto again = Upload(video_, "clip.mp4");
  ASSERT_TRUE(again);
  ASSERT_EQ(again->status, 200) << again->body;
  EXPECT_EQ(Json(again)["previously_erased"], 1);
  EXPECT_EQ(Json(again)["files"][0]["status"], "previously_erased");
  EXPECT_EQ(StoredCopies(), 0u);
  auto stats = engine_->catalog().Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->images, 0);
}

}  // namespace
}  // namespace likeness::server::testing
