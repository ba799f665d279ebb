#include "catalog/validation.h"

#include <cmath>
#include <initializer_list>
#include <string>

namespace likeness::catalog {
namespace {

bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool AllFinite(std::initializer_list<float> values) {
  for (float v : values) {
    if (!std::isfinite(v)) return false;
  }
  return true;
}

bool IsDateShaped(const std::string& s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!IsDigit(s[i])) return false;
  }
  return true;
}

}  // namespace

Status ValidateSource(const SourceRecord& source) {
  if (source.name.empty()) return Status::InvalidArgument("source name is empty");
  if (source.legal_basis.empty()) {
    return Status::InvalidArgument("source '" + source.name + "' has no legal basis");
  }
  const std::string& j = source.jurisdiction;
  if (j.size() != 2 || !IsUpper(j[0]) || !IsUpper(j[1])) {
    return Status::InvalidArgument("source '" + source.name + "' jurisdiction '" + j +
                                   "' is not two upper-case letters (ISO 3166-1 alpha-2)");
  }
  if (!source.tenant.empty() && !IsValidTenantName(source.tenant)) {
    return Status::InvalidArgument("source '" + source.name + "' tenant '" + source.tenant +
                                   "' is not 1-64 characters of A-Z a-z 0-9 . _ @ -");
  }
  if (!source.retain_until.empty() && !IsDateShaped(source.retain_until)) {
    return Status::InvalidArgument("source '" + source.name + "' retain_until '" +
                                   source.retain_until + "' is not a YYYY-MM-DD date");
  }
  return Status::Ok();
}

Status ValidateEmbedding(std::span<const float> embedding) {
  if (embedding.size() != static_cast<size_t>(kEmbeddingDim)) {
    return Status::InvalidArgument("embedding has " + std::to_string(embedding.size()) +
                                   " values; expected " + std::to_string(kEmbeddingDim));
  }
  for (float v : embedding) {
    if (!std::isfinite(v)) return Status::InvalidArgument("embedding holds a non-finite value");
  }
  return Status::Ok();
}

Status ValidateFace(const FaceRecord& face) {
  if (face.model_id.empty()) return Status::InvalidArgument("face has no model_id");
  RETURN_IF_ERROR(ValidateEmbedding(face.embedding));
  const BoxF& b = face.box;
  const FaceQuality& q = face.quality;
  bool finite = AllFinite({b.x1, b.y1, b.x2, b.y2, q.face_px, q.sharpness, q.yaw_deg, q.pitch_deg,
                           q.roll_deg, q.detector_score, q.overall});
  for (const Point2& p : face.points) finite = finite && AllFinite({p.x, p.y});
  if (!finite)
    return Status::InvalidArgument("face box, points or quality hold a non-finite value");
  if (face.video) {
    const VideoMoment& v = *face.video;
    if (!std::isfinite(v.time_offset_s) || !std::isfinite(v.track_first_s) ||
        !std::isfinite(v.track_last_s) || v.time_offset_s < 0 || v.track_id <= 0 ||
        v.track_first_s > v.time_offset_s || v.time_offset_s > v.track_last_s) {
      return Status::InvalidArgument(
          "video face: time_offset_s must lie in [track_first_s, track_last_s], >= 0, and "
          "track_id > 0");
    }
  }
  return Status::Ok();
}

Status ValidateImage(const ImageRecord& image) {
  if (image.content_hash.empty()) return Status::InvalidArgument("image has no content hash");
  if (image.width < 0 || image.height < 0 || image.bytes < 0) {
    return Status::InvalidArgument("image '" + image.path + "' has a negative size");
  }
  if (image.duration_s && !(std::isfinite(*image.duration_s) && *image.duration_s >= 0)) {
    return Status::InvalidArgument("video '" + image.path + "' has an invalid duration");
  }
  return Status::Ok();
}

}  // namespace likeness::catalog
