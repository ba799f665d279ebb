// Which decoded frames of a video are analysed: one every 1/fps seconds, plus the first frame of
// every scene (a cut: the mean absolute difference of consecutive frames' small grey thumbnails
// passes a threshold), so a short shot between two samples is not missed.
#pragma once

#include <opencv2/core.hpp>

namespace likeness::videoio {

struct SamplingOptions {
  double fps = 2.0;        // samples per second of video; <= 0: scene cuts (and frame 0) only
  bool scene_cuts = true;  // also sample the first frame after a cut
  // Mean absolute grey difference (0-255) between consecutive thumbnails that counts as a cut.
  double cut_threshold = 30.0;
};

inline constexpr int kThumbnailWidth = 64;
inline constexpr int kThumbnailHeight = 36;

enum class SampleReason { kSkip, kInterval, kSceneCut };

class FrameSampler {
 public:
  explicit FrameSampler(const SamplingOptions& options) : options_(options) {}
  // Whether the caller should hand Offer a thumbnail of every frame.
  bool wants_thumbnails() const { return options_.scene_cuts; }
  // Called for every decoded frame in order, with its time and (when wants_thumbnails) its
  // kThumbnailWidth x kThumbnailHeight grey thumbnail. Returns whether (and why) to analyse it.
  SampleReason Offer(double time_s, const cv::Mat& thumbnail);
  int64_t cuts() const { return cuts_; }

 private:
  SamplingOptions options_;
  cv::Mat previous_;
  bool started_ = false;
  double next_due_s_ = 0;
  int64_t cuts_ = 0;
};

// Mean absolute difference of two same-sized grey images, 0-255.
double MeanAbsDifference(const cv::Mat& a, const cv::Mat& b);

}  // namespace likeness::videoio
