#include "testing/video_maker.h"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

namespace likeness::testing {

std::string WriteSlideshow(const std::vector<std::filesystem::path>& photos,
                           const std::filesystem::path& out, const SlideshowOptions& o) {
  if (photos.empty()) return "no photos";
  std::vector<cv::Mat> fitted;
  const cv::Size size(o.width, o.height);
  for (const auto& p : photos) {
    cv::Mat img = cv::imread(p.string(), cv::IMREAD_COLOR);
    if (img.empty()) return "cannot read " + p.string();
    const double scale =
        std::min(static_cast<double>(o.width) / img.cols, static_cast<double>(o.height) / img.rows);
    cv::Mat small;
    cv::resize(img, small, cv::Size(), scale, scale, cv::INTER_AREA);
    cv::Mat canvas(size, CV_8UC3, cv::Scalar(20, 20, 20));
    small.copyTo(canvas(
        cv::Rect((o.width - small.cols) / 2, (o.height - small.rows) / 2, small.cols, small.rows)));
    fitted.push_back(canvas);
  }
  const auto& f = o.fourcc;
  cv::VideoWriter writer(out.string(), cv::CAP_FFMPEG,
                         cv::VideoWriter::fourcc(f[0], f[1], f[2], f[3]), o.fps, size);
  if (!writer.isOpened()) return "OpenCV cannot write " + o.fourcc + " to " + out.string();
  const int slides = o.slides > 0 ? o.slides : static_cast<int>(fitted.size());
  const int frames_per_slide = std::max(1, static_cast<int>(o.seconds_per_slide * o.fps + 0.5));
  cv::Mat frame;
  for (int s = 0; s < slides; ++s) {
    const cv::Mat& slide = fitted[static_cast<size_t>(s) % fitted.size()];
    for (int i = 0; i < frames_per_slide; ++i) {
      // Zoom 1.00 -> 1.12 about the centre and pan 3 % of the width across the slide.
      const double k = static_cast<double>(i) / frames_per_slide;
      const double zoom = 1.0 + 0.12 * k;
      const double pan = 0.03 * o.width * (k - 0.5);
      cv::Mat m = cv::getRotationMatrix2D(cv::Point2f(o.width / 2.0f, o.height / 2.0f), 0, zoom);
      m.at<double>(0, 2) += pan;
      cv::warpAffine(slide, frame, m, size, cv::INTER_LINEAR, cv::BORDER_CONSTANT,
                     cv::Scalar(20, 20, 20));
      writer.write(frame);
    }
  }
  writer.release();
  return "";
}

std::vector<unsigned char> ReadBytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void WriteBytes(const std::filesystem::path& path, const std::vector<unsigned char>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

}  // namespace likeness::testing
