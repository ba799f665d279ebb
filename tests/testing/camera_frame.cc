#include "testing/camera_frame.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace likeness::testing {

cv::Mat CameraLikeFrame(const cv::Mat& grey, std::mt19937& rng) {
  cv::Mat big, frame;
  const double scale = static_cast<double>(kCameraHeight) / grey.rows;
  cv::resize(grey, big, cv::Size(), scale, scale, cv::INTER_LINEAR);
  const int left = (kCameraWidth - big.cols) / 2;
  cv::copyMakeBorder(big, frame, 0, kCameraHeight - big.rows, left, kCameraWidth - big.cols - left,
                     cv::BORDER_REPLICATE);
  std::uniform_int_distribution<int> noise(-3, 3);
  for (int y = 0; y < frame.rows; ++y) {
    for (int x = 0; x < frame.cols; ++x) {
      frame.at<uint8_t>(y, x) = cv::saturate_cast<uint8_t>(frame.at<uint8_t>(y, x) + noise(rng));
    }
  }
  cv::Mat bgr;
  cv::cvtColor(frame, bgr, cv::COLOR_GRAY2BGR);
  return bgr;
}

std::vector<uint8_t> CameraLikeJpeg(const cv::Mat& grey, std::mt19937& rng) {
  std::vector<uint8_t> jpeg;
  cv::imencode(".jpg", CameraLikeFrame(grey, rng), jpeg, {cv::IMWRITE_JPEG_QUALITY, 92});
  return jpeg;
}

}  // namespace likeness::testing
