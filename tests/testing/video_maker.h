// Test videos made from the demo photos with Debian's OpenCV writer (cv::VideoWriter, FFmpeg
// backend): a slideshow with motion, so the video tests need nothing from ../shared.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace likeness::testing {

struct SlideshowOptions {
  int width = 960, height = 540;
  double fps = 10;
  double seconds_per_slide = 2.0;
  // FourCC and file name; the container follows the extension ("mp4v" + .mp4, "MJPG" + .avi,
  // "VP80" + .webm, "XVID" + .mkv ...).
  std::string fourcc = "mp4v";
  // Slides cycle through the photos until this many have been shown (0 = each photo once).
  int slides = 0;
};

// Writes the slideshow: each photo fitted into the frame, slowly zooming in and panning (so the
// faces move between frames), cut hard to the next photo. Returns "" on success, else why not
// (the writer could not open the codec, or a photo could not be read).
std::string WriteSlideshow(const std::vector<std::filesystem::path>& photos,
                           const std::filesystem::path& out, const SlideshowOptions& options = {});

// Reads a whole file (empty when it cannot).
std::vector<unsigned char> ReadBytes(const std::filesystem::path& path);
void WriteBytes(const std::filesystem::path& path, const std::vector<unsigned char>& bytes);

}  // namespace likeness::testing
