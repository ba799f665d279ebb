// Stored photos, video frames and face crops, re-encoded as JPEG: orientation applied and metadata
// (EXIF, GPS) dropped, and the stored bytes checked against their recorded hash before anything is
// served. Responses are marked no-store: browsers and proxies must not keep copies.
#include <httplib.h>

#include <cmath>
#include <cstdlib>

#include "engine/engine.h"
#include "engine/remote_search.h"
#include "engine/stored_media.h"
#include "imageio/decode.h"
#include "server/handlers.h"
#include "server/tenant_scope.h"

namespace likeness::server {
namespace {

Result<imageio::DecodedImage> LoadStored(Services& s, const catalog::ImageRecord& image) {
  auto decoded = engine::LoadStoredImage(image, s.engine.options());
  if (decoded.status().code() == StatusCode::kNotFound) {
    s.Log("image " + std::to_string(image.id) + ": file missing: " + image.path);
  }
  return decoded;
}

// The `t` query parameter (seconds into a video): absent = 0; InvalidArgument unless one finite
// number >= 0.
Result<double> TimeParam(const Call& call) {
  const auto& req = call.http;
  if (!req.has_param("t")) return 0.0;
  if (req.get_param_value_count("t") > 1) return Status::InvalidArgument("give t once");
  const std::string text = req.get_param_value("t");
  char* end = nullptr;
  const double t = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(t) || t < 0) {
    return Status::InvalidArgument("t must be a number of seconds >= 0");
  }
  return t;
}

Reply JpegReply(std::string jpeg) {
  Reply r = Reply::Bytes("image/jpeg", std::move(jpeg));
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

}  // namespace

Result<Reply> HandleGetImage(Services& s, const Call& call) {
  ASSIGN_OR_RETURN(TenantScope scope, ScopeOf(s, call));
  ASSIGN_OR_RETURN(catalog::ImageRecord image, VisibleImage(s, scope, call.Id(0)));
  ASSIGN_OR_RETURN(const double t, TimeParam(call));
  Result<imageio::DecodedImage> decoded =
      image.is_video() ? engine::LoadStoredVideoFrame(image, t, s.engine.options())
                       : LoadStored(s, image);
  if (!decoded.ok()) return decoded.status();
  ASSIGN_OR_RETURN(std::string jpeg, engine::EncodeJpeg(decoded->bgr));
  return JpegReply(std::move(jpeg));
}

// A stored video for playback: the same visibility and roles as its frames (GET /images/{id}),
// streams copied without metadata (videoio/remux.h), one Range served at a time so a player can
// seek.
Result<Reply> HandleGetVideo(Services& s, const Call& call) {
  ASSIGN_OR_RETURN(TenantScope scope, ScopeOf(s, call));
  ASSIGN_OR_RETURN(catalog::ImageRecord image, VisibleImage(s, scope, call.Id(0)));
  if (!image.is_video()) {
    return Status::NotFound("image " + std::to_string(image.id) + " is not a video");
  }
  ASSIGN_OR_RETURN(videoio::PlaybackCopy copy,
                   engine::StoredVideoPlaybackCopy(image, s.engine.options()));
  Reply r =
      Reply::Bytes(std::string(videoio::ContainerMimeType(copy.container)), std::move(copy.bytes));
  r.headers.emplace_back("Cache-Control", "no-store");
  r.headers.emplace_back("Accept-Ranges", "bytes");
  // cpp-httplib cuts the body to a requested single range; the status must say so.
  if (call.http.ranges.size() == 1) r.status = 206;
  return r;
}

Result<Reply> HandleGetFaceCrop(Services& s, const Call& call) {
  ASSIGN_OR_RETURN(TenantScope scope, ScopeOf(s, call));
  if (engine::RemoteSearcher* remote = s.engine.remote_searcher();
      remote != nullptr && scope.IsOperator()) {
    // A cluster router: the shard holding the face renders its crop from its own photo.
    ASSIGN_OR_RETURN(std::string jpeg, remote->FaceCrop(call.Id(0)));
    return JpegReply(std::move(jpeg));
  }
  ASSIGN_OR_RETURN(catalog::FaceRecord face, VisibleFace(s, scope, call.Id(0)));
  ASSIGN_OR_RETURN(catalog::ImageRecord image, s.engine.catalog().GetImage(face.image_id));
  ASSIGN_OR_RETURN(imageio::DecodedImage decoded,
                   engine::LoadStoredFaceImage(image, face, s.engine.options()));
  ASSIGN_OR_RETURN(std::string jpeg, engine::FaceCropJpeg(decoded, face.box));
  return JpegReply(std::move(jpeg));
}

}  // namespace likeness::server
