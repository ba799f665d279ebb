#include "videoio/frame_sampler.h"

#include <algorithm>
#include <cmath>

namespace likeness::videoio {

double MeanAbsDifference(const cv::Mat& a, const cv::Mat& b) {
  if (a.empty() || a.size() != b.size() || a.type() != b.type()) return 0;
  return cv::norm(a, b, cv::NORM_L1) / static_cast<double>(a.total() * a.channels());
}

SampleReason FrameSampler::Offer(double time_s, const cv::Mat& thumbnail) {
  bool cut = false;
  if (options_.scene_cuts && !thumbnail.empty()) {
    cut = started_ && MeanAbsDifference(previous_, thumbnail) > options_.cut_threshold;
    thumbnail.copyTo(previous_);
  }
  const double period = options_.fps > 0 ? 1.0 / options_.fps : 0;
  if (!started_) {
    started_ = true;
    next_due_s_ = time_s + period;
    return SampleReason::kInterval;
  }
  if (cut) {
    ++cuts_;
    if (period > 0) next_due_s_ = time_s + period;
    return SampleReason::kSceneCut;
  }
  // A small tolerance: frame times are rounded to the stream's time base.
  if (period > 0 && time_s + 1e-6 >= next_due_s_) {
    next_due_s_ += period * std::max(1.0, std::floor((time_s - next_due_s_) / period) + 1);
    return SampleReason::kInterval;
  }
  return SampleReason::kSkip;
}

}  // namespace likeness::videoio
