// Stored photos and face crops as the API and the cluster's shards serve them: read back from
// their recorded location (file or archive entry), checked against the recorded content hash, and
// re-encoded as JPEG (orientation applied, metadata such as EXIF/GPS dropped).
#pragma once

#include <opencv2/core.hpp>
#include <string>

#include "catalog/catalog.h"
#include "engine/engine.h"
#include "imageio/decode.h"

namespace likeness::engine {

inline constexpr int kMediaJpegQuality = 90;
inline constexpr double kFaceCropMargin = 0.3;  // of the box size, on each side
inline constexpr int kFaceCropMaxSide = 256;

// Reads and decodes a stored image. NotFound when its photo is no longer where it was read from;
// Corruption when the bytes there no longer match the recorded hash.
Result<imageio::DecodedImage> LoadStoredImage(const catalog::ImageRecord& image,
                                              const EngineOptions& options);

// JPEG bytes of a picture. Internal when OpenCV cannot encode it.
Result<std::string> EncodeJpeg(const cv::Mat& bgr);

// The face's crop (box + kFaceCropMargin, at most kFaceCropMaxSide px) as JPEG. `box` is in the
// original image's pixels.
Result<std::string> FaceCropJpeg(const imageio::DecodedImage& decoded, const BoxF& box);

}  // namespace likeness::engine
