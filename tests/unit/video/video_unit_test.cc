// videoio and the face tracker without models: container sniffing, decoding a video the OpenCV
// writer made (file and memory alike), limits, truncation and garbage, frame sampling and cuts,
// and the tracker's rules (one track per face per frame).
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "engine/face_tracker.h"
#include "testing/test_env.h"
#include "testing/video_maker.h"
#include "videoio/frame_sampler.h"
#include "videoio/remux.h"
#include "videoio/video_decoder.h"
#include "videoio/video_format.h"

namespace likeness {
namespace {

namespace fs = std::filesystem;
using likeness::testing::TempDir;

std::vector<uint8_t> Bytes(std::string_view s) { return {s.begin(), s.end()}; }

TEST(SniffVideoTest, RecognisesContainersByContent) {
  using videoio::VideoContainer;
  std::vector<uint8_t> mp4 =
      Bytes(std::string("\0\0\0\x20"
                        "ftypisom\0\0\x02\0isomiso2mp41",
                        28));
  EXPECT_EQ(videoio::SniffVideo(mp4), VideoContainer::kMp4);
  std::vector<uint8_t> mov =
      Bytes(std::string("\0\0\0\x14"
                        "ftypqt  \0\0\x02\0qt  ",
                        20));
  EXPECT_EQ(videoio::SniffVideo(mov), VideoContainer::kMov);
  std::vector<uint8_t> webm =
      Bytes(std::string("\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm", 16));
  EXPECT_EQ(videoio::SniffVideo(webm), VideoContainer::kWebm);
  std::vector<uint8_t> mkv =
      Bytes(std::string("\x1a\x45\xdf\xa3\xa3\x42\x86\x81\x01\x42\x82\x88matroska", 20));
  EXPECT_EQ(videoio::SniffVideo(mkv), VideoContainer::kMatroska);
  std::vector<uint8_t> avi =
      Bytes(std::string("RIFF\x10\0\0\0"
                        "AVI LIST",
                        16));
  EXPECT_EQ(videoio::SniffVideo(avi), VideoContainer::kAvi);
  // Not videos: a WAV (RIFF but not AVI), a HEIF still, a JPEG, nothing.
  EXPECT_EQ(videoio::SniffVideo(Bytes(std::string("RIFF\x10\0\0\0WAVEfmt ", 16))),
            VideoContainer::kUnknown);
  EXPECT_EQ(videoio::SniffVideo(Bytes(std::string("\0\0\0\x18"
                                                  "ftypheic\0\0\0\0",
                                                  16))),
            VideoContainer::kUnknown);
  EXPECT_EQ(videoio::SniffVideo(Bytes("\xff\xd8\xff\xe0")), VideoContainer::kUnknown);
  EXPECT_EQ(videoio::SniffVideo({}), VideoContainer::kUnknown);
}

// Three synthetic slides (flat colours with a moving shape are enough without models).
class DecoderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const cv::Scalar colours[] = {{200, 40, 40}, {40, 200, 40}, {40, 40, 200}};
    for (int i = 0; i < 3; ++i) {
      cv::Mat img(480, 640, CV_8UC3, colours[i]);
      cv::circle(img, {320, 240}, 80, cv::Scalar(255, 255, 255), -1);
      const fs::path p = dir_.path() / ("slide" + std::to_string(i) + ".png");
      ASSERT_TRUE(cv::imwrite(p.string(), img));
      slides_.push_back(p);
    }
  }
  fs::path Make(const std::string& name, const std::string& fourcc) {
    likeness::testing::SlideshowOptions o;
    o.width = 320;
    o.height = 240;
    o.fps = 10;
    o.seconds_per_slide = 1.0;
    o.fourcc = fourcc;
    const fs::path out = dir_.path() / name;
    const std::string why = likeness::testing::WriteSlideshow(slides_, out, o);
    EXPECT_EQ(why, "");
    return out;
  }
  TempDir dir_;
  std::vector<fs::path> slides_;
};

// Decodes every frame; returns the number and the last time.
std::pair<int64_t, double> DecodeAll(videoio::VideoDecoder& d) {
  int64_t n = 0;
  double last = 0;
  for (;;) {
    double t = 0;
    auto more = d.Next(&t);
    EXPECT_TRUE(more.ok()) << more.status().ToString();
    if (!more.ok() || !*more) break;
    ++n;
    last = t;
  }
  return {n, last};
}

TEST_F(DecoderTest, DecodesFileAndMemoryAlike) {
  for (const auto& [name, fourcc, container] :
       {std::tuple{"a.mp4", "mp4v", videoio::VideoContainer::kMp4},
        std::tuple{"a.avi", "MJPG", videoio::VideoContainer::kAvi},
        std::tuple{"a.mkv", "mp4v", videoio::VideoContainer::kMatroska}}) {
    SCOPED_TRACE(name);
    const fs::path path = Make(name, fourcc);
    const videoio::DecodeSettings all{.threads = 1, .skip_non_reference = false};
    auto from_file = videoio::VideoDecoder::OpenFile(path, {}, all);
    ASSERT_TRUE(from_file.ok()) << from_file.status().ToString();
    EXPECT_EQ((*from_file)->info().container, container);
    EXPECT_EQ((*from_file)->info().width, 320);
    EXPECT_EQ((*from_file)->info().height, 240);
    EXPECT_NEAR((*from_file)->info().duration_s, 3.0, 0.2);
    const auto [frames, last] = DecodeAll(**from_file);
    EXPECT_EQ(frames, 30);
    EXPECT_NEAR(last, 2.9, 0.05);

    const std::vector<unsigned char> bytes = likeness::testing::ReadBytes(path);
    auto from_memory = videoio::VideoDecoder::OpenMemory(bytes, {}, all);
    ASSERT_TRUE(from_memory.ok()) << from_memory.status().ToString();
    EXPECT_EQ(DecodeAll(**from_memory).first, 30);
  }
}

TEST_F(DecoderTest, FramesAreTheWrittenPictures) {
  const fs::path path = Make("c.avi", "MJPG");
  auto d = videoio::VideoDecoder::OpenFile(path);
  ASSERT_TRUE(d.ok());
  double t = 0;
  ASSERT_TRUE(*(*d)->Next(&t));
  auto bgr = (*d)->Bgr();
  ASSERT_TRUE(bgr.ok());
  ASSERT_EQ(bgr->size(), cv::Size(320, 240));
  const cv::Vec3b corner = bgr->at<cv::Vec3b>(5, 5);  // slide 0 is (200, 40, 40) in BGR
  EXPECT_NEAR(corner[0], 200, 12);
  EXPECT_NEAR(corner[1], 40, 12);
  auto thumb = (*d)->GreyThumbnail(videoio::kThumbnailWidth, videoio::kThumbnailHeight);
  ASSERT_TRUE(thumb.ok());
  EXPECT_EQ(thumb->size(), cv::Size(videoio::kThumbnailWidth, videoio::kThumbnailHeight));
}

TEST_F(DecoderTest, LimitsRefuseBeforeDecoding) {
  const fs::path path = Make("d.mp4", "mp4v");
  videoio::VideoLimits short_limit;
  short_limit.max_duration_s = 2.0;
  EXPECT_EQ(videoio::VideoDecoder::OpenFile(path, short_limit).status().code(),
            StatusCode::kResourceExhausted);
  videoio::VideoLimits small_frames;
  small_frames.max_frame_pixels = 320 * 200;
  EXPECT_EQ(videoio::VideoDecoder::OpenFile(path, small_frames).status().code(),
            StatusCode::kResourceExhausted);
  videoio::VideoLimits few_bytes;
  few_bytes.max_bytes = 1000;
  EXPECT_EQ(videoio::VideoDecoder::OpenFile(path, few_bytes).status().code(),
            StatusCode::kResourceExhausted);
  videoio::VideoLimits few_frames;
  few_frames.max_frames = 5;
  auto d = videoio::VideoDecoder::OpenFile(path, few_frames);
  ASSERT_TRUE(d.ok());
  Status last;
  for (int i = 0; i < 10 && last.ok(); ++i) {
    double t = 0;
    last = (*d)->Next(&t).status();
  }
  EXPECT_EQ(last.code(), StatusCode::kResourceExhausted);
}

TEST_F(DecoderTest, GarbageAndTruncatedHeadersAreErrorsNotCrashes) {
  const fs::path path = Make("e.mp4", "mp4v");
  std::vector<unsigned char> bytes = likeness::testing::ReadBytes(path);
  // An mp4 cut in half has lost its index (OpenCV writes it at the end).
  std::vector<unsigned char> half(bytes.begin(), bytes.begin() + bytes.size() / 2);
  EXPECT_EQ(videoio::VideoDecoder::OpenMemory(half).status().code(), StatusCode::kInvalidArgument);
  // A signature followed by noise.
  std::vector<unsigned char> noise(bytes.begin(), bytes.begin() + 12);
  for (int i = 0; i < 4096; ++i) noise.push_back(static_cast<unsigned char>((i * 7919) >> 3));
  EXPECT_FALSE(videoio::VideoDecoder::OpenMemory(noise).ok());
  // Not a video at all.
  std::vector<unsigned char> text(100, 'x');
  EXPECT_EQ(videoio::VideoDecoder::OpenMemory(text).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(DecoderTest, SeekLandsNearTheAskedTime) {
  const fs::path path = Make("f.avi", "MJPG");
  auto d = videoio::VideoDecoder::OpenFile(path, {}, {.threads = 1, .skip_non_reference = false});
  ASSERT_TRUE(d.ok());
  ASSERT_TRUE((*d)->SeekTo(2.0).ok());
  double t = 0;
  ASSERT_TRUE(*(*d)->Next(&t));
  EXPECT_LE(t, 2.0 + 1e-6);
  EXPECT_GE(t, 0.0);
}

TEST_F(DecoderTest, PlaybackCopyDropsNothingButMetadata) {
  const fs::path path = Make("g.mp4", "mp4v");
  const std::vector<unsigned char> original = likeness::testing::ReadBytes(path);
  auto copy = videoio::PlaybackCopyOfFile(path);
  ASSERT_TRUE(copy.ok()) << copy.status().ToString();
  EXPECT_EQ(copy->container, videoio::VideoContainer::kMp4);
  // OpenCV's writer stamps the muxer's name and version ("Lavf...") in the file; the copy does not.
  const std::string_view kStamp = "Lavf";
  EXPECT_NE(std::string_view(reinterpret_cast<const char*>(original.data()), original.size())
                .find(kStamp),
            std::string_view::npos);
  EXPECT_EQ(copy->bytes.find(kStamp), std::string::npos);
  const std::vector<uint8_t> bytes(copy->bytes.begin(), copy->bytes.end());
  auto d =
      videoio::VideoDecoder::OpenMemory(bytes, {}, {.threads = 1, .skip_non_reference = false});
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(DecodeAll(**d).first, 30);
}

TEST(FrameSamplerTest, SamplesAtTheRateAndAtCuts) {
  videoio::FrameSampler sampler({.fps = 2.0, .scene_cuts = true, .cut_threshold = 30});
  const cv::Mat dark(36, 64, CV_8UC1, cv::Scalar(20));
  const cv::Mat light(36, 64, CV_8UC1, cv::Scalar(200));
  std::vector<double> sampled;
  std::vector<double> cuts;
  for (int i = 0; i < 50; ++i) {  // 25 fps, 2 s; a cut at 1.2 s
    const double t = i / 25.0;
    const auto reason = sampler.Offer(t, t < 1.2 ? dark : light);
    if (reason != videoio::SampleReason::kSkip) sampled.push_back(t);
    if (reason == videoio::SampleReason::kSceneCut) cuts.push_back(t);
  }
  ASSERT_EQ(cuts.size(), 1u);
  EXPECT_NEAR(cuts[0], 1.2, 1e-9);
  // 0.0, the first frame at or after 0.5 (0.52), 1.0, the cut at 1.2, then the first frame at or
  // after 1.2 + 0.5.
  ASSERT_EQ(sampled.size(), 5u);
  EXPECT_NEAR(sampled[1], 0.52, 1e-9);
  EXPECT_NEAR(sampled[2], 1.0, 1e-9);
  EXPECT_NEAR(sampled[4], 1.72, 1e-9);
  EXPECT_EQ(sampler.cuts(), 1);
}

std::vector<float> Unit(int axis) {
  std::vector<float> v(kEmbeddingDim, 0.0f);
  v[static_cast<size_t>(axis)] = 1.0f;
  return v;
}

TEST(FaceTrackerTest, TwoFacesOfOneFrameAreNeverOneTrack) {
  engine::FaceTracker tracker;
  const std::vector<float> same = Unit(0);
  // Identical embeddings and overlapping boxes: still two people in one frame.
  const engine::TrackDetection twins[] = {{{100, 100, 200, 200}, same},
                                          {{110, 100, 210, 200}, same}};
  auto ids = tracker.Update(0.0, twins);
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_NE(ids[0], ids[1]);
  ids = tracker.Update(0.5, twins);
  EXPECT_NE(ids[0], ids[1]);
  EXPECT_EQ(tracker.tracks(), 2);
}

TEST(FaceTrackerTest, FollowsAMovingFaceAndEndsAfterAGap) {
  engine::FaceTracker tracker({.max_gap_s = 2.0});
  const std::vector<float> a = Unit(0), b = Unit(1);
  const engine::TrackDetection first[] = {{{100, 100, 200, 200}, a}, {{400, 100, 500, 200}, b}};
  const auto start = tracker.Update(0.0, first);
  // Both moved a little; listed in the other order.
  const engine::TrackDetection moved[] = {{{420, 110, 520, 210}, b}, {{120, 110, 220, 210}, a}};
  const auto next = tracker.Update(0.5, moved);
  EXPECT_EQ(next[0], start[1]);
  EXPECT_EQ(next[1], start[0]);
  // A jump across the frame links by embedding alone.
  const engine::TrackDetection jumped[] = {{{600, 300, 700, 400}, a}};
  EXPECT_EQ(tracker.Update(1.0, jumped)[0], start[0]);
  // Unseen for longer than the gap: a new track.
  EXPECT_NE(tracker.Update(3.5, jumped)[0], start[0]);
  // A stranger in the old place is not the old track.
  const std::vector<float> c = Unit(2);  // outlives the detection's span
  const engine::TrackDetection stranger[] = {{{600, 300, 700, 400}, c}};
  const int64_t before = tracker.tracks();
  tracker.Update(3.6, stranger);
  EXPECT_EQ(tracker.tracks(), before + 1);
}

TEST(FaceTrackerTest, ACutEndsEveryTrack) {
  engine::FaceTracker tracker;
  const std::vector<float> a = Unit(0);
  const engine::TrackDetection one[] = {{{100, 100, 200, 200}, a}};
  const auto before = tracker.Update(0.0, one);
  tracker.Cut();
  EXPECT_NE(tracker.Update(0.1, one)[0], before[0]);
}

}  // namespace
}  // namespace likeness
