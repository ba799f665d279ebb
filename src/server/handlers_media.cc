// Stored photos and face crops, re-encoded as JPEG: orientation applied and metadata (EXIF, GPS)
// dropped, and the stored bytes checked against their recorded hash before anything is served.
// Responses are marked no-store: browsers and proxies must not keep copies.
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

Reply JpegReply(std::string jpeg) {
  Reply r = Reply::Bytes("image/jpeg", std::move(jpeg));
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

}  // namespace

Result<Reply> HandleGetImage(Services& s, const Call& call) {
  ASSIGN_OR_RETURN(TenantScope scope, ScopeOf(s, call));
  ASSIGN_OR_RETURN(catalog::ImageRecord image, VisibleImage(s, scope, call.Id(0)));
  ASSIGN_OR_RETURN(imageio::DecodedImage decoded, LoadStored(s, image));
  ASSIGN_OR_RETURN(std::string jpeg, engine::EncodeJpeg(decoded.bgr));
  return JpegReply(std::move(jpeg));
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
  ASSIGN_OR_RETURN(imageio::DecodedImage decoded, LoadStored(s, image));
  ASSIGN_OR_RETURN(std::string jpeg, engine::FaceCropJpeg(decoded, face.box));
  return JpegReply(std::move(jpeg));
}

}  // namespace likeness::server
