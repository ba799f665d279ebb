// Stored photos and face crops as the API and the cluster's shards serve them: read back from
// their recorded location (file or archive entry), checked against the recorded content hash, and
// re-encoded as JPEG (orientation applied, metadata such as EXIF/GPS dropped).
#pragma once

#include <opencv2/core.hpp>
#include <string>

#include "catalog/catalog.h"
#include "engine/engine.h"
#include "imageio/decode.h"
#include "videoio/remux.h"

namespace likeness::engine {

inline constexpr int kMediaJpegQuality = 90;
inline constexpr double kFaceCropMargin = 0.3;  // of the box size, on each side
inline constexpr int kFaceCropMaxSide = 256;

// Reads and decodes a stored image. NotFound when its photo is no longer where it was read from;
// Corruption when the bytes there no longer match the recorded hash. For a video: its first frame.
Result<imageio::DecodedImage> LoadStoredImage(const catalog::ImageRecord& image,
                                              const EngineOptions& options);

// The picture a face was found on: the photo, or for a face of a video the frame at its
// time_offset_s. Errors as LoadStoredImage.
Result<imageio::DecodedImage> LoadStoredFaceImage(const catalog::ImageRecord& image,
                                                  const catalog::FaceRecord& face,
                                                  const EngineOptions& options);

// Videos bigger than this are not served for playback (the copy is built in memory).
inline constexpr uint64_t kMaxPlaybackBytes = 1ull << 30;
// Frames decoded forward from the key frame before the asked time, at most (a hostile file whose
// key frames are far apart cannot make one frame request decode the whole video).
inline constexpr int64_t kMaxFramesToSeek = 20'000;

// The frame of a stored video at time_s (the first decoded frame at or after it; time_s is clamped
// to [0, duration]), after checking the stored bytes against the recorded hash (a file is hashed as
// a stream, an archive entry in memory). InvalidArgument when the image is not a video; NotFound
// and Corruption as LoadStoredImage.
Result<imageio::DecodedImage> LoadStoredVideoFrame(const catalog::ImageRecord& image, double time_s,
                                                   const EngineOptions& options);

// The stored video as served for playback (videoio/remux.h: streams copied, metadata dropped),
// after the same hash check. ResourceExhausted over kMaxPlaybackBytes.
Result<videoio::PlaybackCopy> StoredVideoPlaybackCopy(const catalog::ImageRecord& image,
                                                      const EngineOptions& options);

// JPEG bytes of a picture. Internal when OpenCV cannot encode it.
Result<std::string> EncodeJpeg(const cv::Mat& bgr);

// The face's crop (box + kFaceCropMargin, at most kFaceCropMaxSide px) as JPEG. `box` is in the
// original image's pixels.
Result<std::string> FaceCropJpeg(const imageio::DecodedImage& decoded, const BoxF& box);

}  // namespace likeness::engine
