#include "server/purpose_bound.h"

#include <httplib.h>

#include "server/tenant_scope.h"

namespace likeness::server {
namespace {

// One query parameter, given once, clean text within `max_length`; "" when absent.
Result<std::string> QueryText(const httplib::Request& req, const char* name, size_t max_length) {
  if (!req.has_param(name)) return std::string();
  if (req.get_param_value_count(name) > 1)
    return Status::InvalidArgument(std::string("'") + name + "' is given more than once");
  std::string v = req.get_param_value(name);
  if (v.size() > max_length || !IsCleanText(v))
    return Status::InvalidArgument(std::string("'") + name + "' is too long or not clean text");
  return v;
}

void GrantIn(Services& s, int64_t key_id, int64_t seq, nlohmann::json& j) {
  if (j.is_array()) {
    for (auto& item : j) GrantIn(s, key_id, seq, item);
    return;
  }
  if (!j.is_object()) return;
  if (j.contains("crop_url") && j.contains("face_id") && j["face_id"].is_number_integer())
    j["crop_url"] = s.media.Url(MediaKind::kCrop, j["face_id"].get<int64_t>(), key_id, seq);
  if (j.contains("image_url") && j.contains("image_id") && j["image_id"].is_number_integer()) {
    const std::string before = j["image_url"].is_string() ? j["image_url"].get<std::string>() : "";
    std::string url = s.media.Url(MediaKind::kImage, j["image_id"].get<int64_t>(), key_id, seq);
    // A stored video plays with its image's token (handlers_media.cc, HandleGetVideo).
    if (j.contains("video_url")) {
      constexpr std::string_view kImages = "/api/v1/images/";
      j["video_url"] = "/api/v1/videos/" + url.substr(kImages.size());
    }
    // A video face's frame URL keeps the frame's time (json_views.cc, AddVideoFields).
    if (const size_t t = before.find("?t="); t != std::string::npos)
      url += "&t=" + before.substr(t + 3);
    j["image_url"] = std::move(url);
  }
  if (j.contains("cover_crop_url") && j["cover_crop_url"].is_string() && j.contains("face_ids") &&
      j["face_ids"].is_array() && !j["face_ids"].empty())
    j["cover_crop_url"] =
        s.media.Url(MediaKind::kCrop, j["face_ids"].front().get<int64_t>(), key_id, seq);
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it->is_structured()) GrantIn(s, key_id, seq, *it);
  }
}

}  // namespace

Result<governance::Justification> FormJustification(const Form& form, const Call& call) {
  governance::Justification j;
  StampCaller(call, j);
  ASSIGN_OR_RETURN(j.purpose, form.Text("purpose"));
  ASSIGN_OR_RETURN(j.legal_basis, form.Text("legal_basis", 100));
  ASSIGN_OR_RETURN(j.case_ref, form.Text("case_ref", 200));
  return governance::ValidateJustification(std::move(j));
}

Result<governance::Justification> JsonJustification(const nlohmann::json& body, const Call& call) {
  governance::Justification j;
  StampCaller(call, j);
  ASSIGN_OR_RETURN(j.purpose, JsonText(body, "purpose", true));
  ASSIGN_OR_RETURN(j.legal_basis, JsonText(body, "legal_basis", true, 100));
  ASSIGN_OR_RETURN(j.case_ref, JsonText(body, "case_ref", true, 200));
  return governance::ValidateJustification(std::move(j));
}

Result<governance::Justification> QueryJustification(const Call& call) {
  governance::Justification j;
  StampCaller(call, j);
  ASSIGN_OR_RETURN(j.purpose, QueryText(call.http, "purpose", kMaxFieldLength));
  ASSIGN_OR_RETURN(j.legal_basis, QueryText(call.http, "legal_basis", 100));
  ASSIGN_OR_RETURN(j.case_ref, QueryText(call.http, "case_ref", 200));
  return governance::ValidateJustification(std::move(j));
}

void GrantMedia(Services& s, const Call& call, int64_t seq, const governance::Justification& why,
                nlohmann::json& reply) {
  s.media.Grant(seq, why);
  GrantIn(s, call.caller->id, seq, reply);
  if (reply.is_object()) reply["media_token_ttl_s"] = s.media.ttl().count();
}

}  // namespace likeness::server
