#include "imageio/gif_decoder.h"

#include <gif_lib.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace likeness::imageio::internal {
namespace {

// giflib pulls bytes through this callback; UserData points at a MemorySource.
struct MemorySource {
  std::span<const uint8_t> bytes;
  size_t pos = 0;
};

int ReadFromMemory(GifFileType* gif, GifByteType* out, int length) {
  auto* source = static_cast<MemorySource*>(gif->UserData);
  if (length <= 0) return 0;
  const size_t n = std::min(static_cast<size_t>(length), source->bytes.size() - source->pos);
  if (n > 0) std::memcpy(out, source->bytes.data() + source->pos, n);
  source->pos += n;
  return static_cast<int>(n);  // a short count makes giflib fail with D_GIF_ERR_READ_FAILED
}

struct GifCloser {
  void operator()(GifFileType* gif) const {
    int error = 0;
    DGifCloseFile(gif, &error);
  }
};
using GifPtr = std::unique_ptr<GifFileType, GifCloser>;

Status GifError(int code) {
  const char* text = GifErrorString(code);
  return Status::InvalidArgument(std::string("corrupt or truncated gif: ") +
                                 (text != nullptr ? text : "unknown giflib error"));
}

// Reads the image whose descriptor giflib has just seen and paints it on a white canvas.
Result<cv::Mat> DecodeImageRecord(GifFileType* gif, int transparent_index, int64_t max_pixels) {
  if (DGifGetImageDesc(gif) == GIF_ERROR) return GifError(gif->Error);
  const GifImageDesc& desc = gif->Image;
  if (desc.Left < 0 || desc.Top < 0 || desc.Width < 0 || desc.Height < 0) {
    return Status::InvalidArgument("corrupt gif: negative frame geometry");
  }
  const int64_t width = std::max<int64_t>(gif->SWidth, int64_t{desc.Left} + desc.Width);
  const int64_t height = std::max<int64_t>(gif->SHeight, int64_t{desc.Top} + desc.Height);
  if (width <= 0 || height <= 0) return Status::InvalidArgument("corrupt gif: empty canvas");
  if (width * height > max_pixels) {
    return Status::ResourceExhausted("gif canvas " + std::to_string(width) + "x" +
                                     std::to_string(height) + " exceeds the limit of " +
                                     std::to_string(max_pixels) + " pixels");
  }
  const ColorMapObject* map = desc.ColorMap != nullptr ? desc.ColorMap : gif->SColorMap;
  if (map == nullptr || map->Colors == nullptr || map->ColorCount <= 0) {
    return Status::InvalidArgument("corrupt gif: the first image has no colour map");
  }
  cv::Mat canvas(static_cast<int>(height), static_cast<int>(width), CV_8UC3,
                 cv::Scalar(255, 255, 255));
  if (desc.Width == 0 || desc.Height == 0) return canvas;

  // Interlaced images store rows in four passes: every 8th from 0, every 8th from 4, every 4th from
  // 2, every 2nd from 1.
  constexpr std::array<int, 4> kPassStart{0, 4, 2, 1};
  constexpr std::array<int, 4> kPassStep{8, 8, 4, 2};
  const int passes = desc.Interlace ? 4 : 1;
  std::vector<GifPixelType> line(static_cast<size_t>(desc.Width));
  for (int pass = 0; pass < passes; ++pass) {
    const int start = desc.Interlace ? kPassStart[pass] : 0;
    const int step = desc.Interlace ? kPassStep[pass] : 1;
    for (int row = start; row < desc.Height; row += step) {
      if (DGifGetLine(gif, line.data(), desc.Width) == GIF_ERROR) return GifError(gif->Error);
      auto* out = canvas.ptr<cv::Vec3b>(desc.Top + row) + desc.Left;
      for (int x = 0; x < desc.Width; ++x) {
        const int index = line[static_cast<size_t>(x)];
        if (index == transparent_index || index >= map->ColorCount) continue;  // stays white
        const GifColorType& c = map->Colors[index];
        out[x] = cv::Vec3b(c.Blue, c.Green, c.Red);
      }
    }
  }
  return canvas;
}

}  // namespace

Result<cv::Mat> DecodeGifFirstFrame(std::span<const uint8_t> bytes, int64_t max_pixels) {
  MemorySource source{bytes, 0};
  int error = 0;
  GifPtr gif(DGifOpen(&source, ReadFromMemory, &error));
  if (!gif) return GifError(error);
  int transparent_index = NO_TRANSPARENT_COLOR;
  while (true) {
    GifRecordType type = UNDEFINED_RECORD_TYPE;
    if (DGifGetRecordType(gif.get(), &type) == GIF_ERROR) return GifError(gif->Error);
    switch (type) {
      case IMAGE_DESC_RECORD_TYPE:
        return DecodeImageRecord(gif.get(), transparent_index, max_pixels);
      case EXTENSION_RECORD_TYPE: {
        int code = 0;
        GifByteType* block = nullptr;  // block[0] is the length, the data follows
        if (DGifGetExtension(gif.get(), &code, &block) == GIF_ERROR) return GifError(gif->Error);
        if (code == GRAPHICS_EXT_FUNC_CODE && block != nullptr) {
          GraphicsControlBlock control{};
          if (DGifExtensionToGCB(block[0], block + 1, &control) == GIF_OK) {
            transparent_index = control.TransparentColor;
          }
        }
        while (block != nullptr) {
          if (DGifGetExtensionNext(gif.get(), &block) == GIF_ERROR) return GifError(gif->Error);
        }
        break;
      }
      case TERMINATE_RECORD_TYPE:
        return Status::InvalidArgument("gif contains no image");
      default:
        return Status::InvalidArgument("corrupt gif: unexpected record");
    }
  }
}

}  // namespace likeness::imageio::internal
