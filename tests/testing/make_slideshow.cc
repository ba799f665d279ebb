// Writes a test slideshow of photos (testing/video_maker.h: each photo zoomed and panned, cut hard
// to the next) for tests outside C++, such as the browser e2e (tests/e2e/video_e2e.mjs). Usage:
// make_slideshow OUT FOURCC SECONDS_PER_SLIDE PHOTO...   (e.g. out.webm VP80 2 a.jpg b.jpg)
//        make_slideshow --still OUT.jpg VIDEO SECONDS    (the first frame at or after SECONDS)
// Exit 0 when written; 2 on bad arguments; 1 when the writer or reader fails (why on stderr).
#include <cstdio>
#include <cstdlib>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>
#include <string>
#include <vector>

#include "testing/video_maker.h"

namespace {

// A still taken from a video, as a search probe "grabbed from the footage" would be.
int WriteStill(const char* out, const char* video, double at_s) {
  cv::VideoCapture in(video, cv::CAP_FFMPEG);
  if (!in.isOpened()) {
    std::fprintf(stderr, "make_slideshow: cannot open %s\n", video);
    return 1;
  }
  cv::Mat frame;
  while (in.read(frame)) {
    if (in.get(cv::CAP_PROP_POS_MSEC) / 1000.0 >= at_s) {
      return cv::imwrite(out, frame) ? 0 : 1;
    }
  }
  std::fprintf(stderr, "make_slideshow: %s ends before %.2f s\n", video, at_s);
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 5 && std::string(argv[1]) == "--still") {
    return WriteStill(argv[2], argv[3], std::atof(argv[4]));
  }
  if (argc < 5 || std::string(argv[2]).size() != 4) {
    std::fprintf(stderr, "usage: %s OUT FOURCC SECONDS_PER_SLIDE PHOTO...\n", argv[0]);
    return 2;
  }
  likeness::testing::SlideshowOptions o;
  o.width = 640;
  o.height = 360;
  o.fourcc = argv[2];
  o.seconds_per_slide = std::atof(argv[3]);
  if (!(o.seconds_per_slide > 0)) {
    std::fprintf(stderr, "SECONDS_PER_SLIDE must be > 0\n");
    return 2;
  }
  std::vector<std::filesystem::path> photos(argv + 4, argv + argc);
  const std::string why = likeness::testing::WriteSlideshow(photos, argv[1], o);
  if (!why.empty()) {
    std::fprintf(stderr, "make_slideshow: %s\n", why.c_str());
    return 1;
  }
  return 0;
}
