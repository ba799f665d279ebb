// The public self-check (role selfcheck, strictly rate limited per key and per address): a random
// liveness challenge, a live capture answering it, then the subject-access report for the face in
// the capture and a way to ask for erasure or opt-out. Asks for no name, ID or e-mail, and keeps
// nothing but hashes: the audit chain records the capture's sequence hash (as the probe hash) and
// the matching face ids; frames are never stored. The report names sources, dates, legal bases and
// retention, never images (not even crops: a match at the threshold could be someone else).
#include <httplib.h>

#include "common/hash.h"
#include "governance/access.h"
#include "governance/selfcheck_liveness.h"
#include "server/embedded_files.h"
#include "server/form.h"
#include "server/handlers.h"
#include "server/selfcheck_state.h"
#include "server/tenant_scope.h"

namespace likeness::server {
namespace {

constexpr size_t kMaxFrameBytes = 2u << 20;      // one JPEG frame from the page is ~20-80 KiB
constexpr const char* kLegalBasis = "art6-1-c";  // answering a data subject (GDPR Art. 15)

governance::Justification SelfCheckJustification(const Call& call, const std::string& what,
                                                 const std::string& ref) {
  governance::Justification j;
  j.operator_id = call.caller->name;
  j.purpose = what;
  j.legal_basis = kLegalBasis;
  j.case_ref = "selfcheck-" + ref.substr(0, 12);
  return j;
}

std::string Instructions(governance::ChallengeKind kind) {
  switch (kind) {
    case governance::ChallengeKind::kTurnLeft:
      return "Look at the camera, then slowly turn your head to your left.";
    case governance::ChallengeKind::kTurnRight:
      return "Look at the camera, then slowly turn your head to your right.";
    case governance::ChallengeKind::kBlink:
      return "Look at the camera and blink slowly once.";
  }
  return "";
}

// The report a member of the public gets: where their face is held, without paths or images.
nlohmann::json PublicReport(const nlohmann::json& access) {
  nlohmann::json places = nlohmann::json::array();
  for (const auto& f : access.value("faces", nlohmann::json::array())) {
    places.push_back(
        {{"source", f.value("source", "")},
         {"collector", f.value("collector", "")},
         {"ingested_at", f.value("ingested_at", "")},
         {"legal_basis", f.value("legal_basis", "")},
         {"art9_condition", f.value("art9_condition", "")},
         {"jurisdiction", f.value("jurisdiction", "")},
         {"retain_until", f.contains("retain_until") ? f.at("retain_until") : nlohmann::json()},
         {"search_hits", f.value("search_hits", 0)},
         {"score", f.value("score", 0.0)}});
  }
  return {{"held", !places.empty()}, {"places", places}};
}

}  // namespace

Result<Reply> HandleSelfCheckChallenge(Services& s, const Call&) {
  const IssuedChallenge c = s.selfcheck.Issue();
  const governance::LivenessThresholds t;
  return Reply::Json({{"nonce", c.nonce},
                      {"challenge", governance::ChallengeName(c.kind)},
                      {"instructions", Instructions(c.kind)},
                      {"expires_in_s", c.ttl.count()},
                      {"min_frames", t.min_frames},
                      {"max_frames", t.max_frames}},
                     201);
}

Result<Reply> HandleSelfCheckSubmit(Services& s, const Call& call) {
  ASSIGN_OR_RETURN(Form form, Form::Of(call.http));
  ASSIGN_OR_RETURN(std::string nonce, form.Text("nonce", 64));
  ASSIGN_OR_RETURN(governance::ChallengeKind kind, s.selfcheck.Redeem(nonce));
  const governance::LivenessThresholds t;
  const auto parts = form.Files("frame");
  if (static_cast<int>(parts.size()) < t.min_frames ||
      static_cast<int>(parts.size()) > t.max_frames) {
    return Status::InvalidArgument("send " + std::to_string(t.min_frames) + " to " +
                                   std::to_string(t.max_frames) + " 'frame' parts");
  }
  std::vector<std::vector<uint8_t>> frames;
  std::vector<std::string> frame_hashes;
  std::string all_hashes;
  for (const auto* p : parts) {
    if (p->content.size() > kMaxFrameBytes) {
      return Status::ResourceExhausted("a frame is larger than 2 MiB");
    }
    frames.emplace_back(p->content.begin(), p->content.end());
    RETURN_IF_ERROR(CheckImageHeader(s, frames.back()));
    frame_hashes.push_back(Sha256Hex(frames.back()));
    all_hashes += frame_hashes.back();
  }
  const std::string sequence_hash =
      Sha256Hex({reinterpret_cast<const uint8_t*>(all_hashes.data()), all_hashes.size()});
  if (!s.selfcheck.RememberCapture(sequence_hash, frame_hashes)) {
    return Reply::Error(422, "liveness_failed",
                        "this capture (or a frame of it) was sent before; a live capture is new");
  }
  auto lease = s.analyzers.Acquire(s.options.analyzer_wait);
  if (!lease.ok()) return BusyReply();
  ASSIGN_OR_RETURN(auto models, s.selfcheck.TakeModels(s.engine.models()));
  std::vector<governance::FrameMeasure> measured;
  Status status = Status::Ok();
  for (const auto& f : frames) {
    auto m = governance::MeasureFrame(s.engine, **lease, *models, f);
    if (!m.ok()) {
      status = m.status();
      break;
    }
    measured.push_back(std::move(*m));
  }
  s.selfcheck.ReturnModels(std::move(models));
  RETURN_IF_ERROR(status);
  const governance::ChallengeVerdict verdict = governance::DecideChallenge(measured, kind, t);
  nlohmann::json check = {{"challenge", governance::ChallengeName(kind)},
                          {"live", verdict.live},
                          {"reason", verdict.reason},
                          {"live_score", verdict.live_score},
                          {"yaw_sweep_deg", verdict.yaw_sweep_deg},
                          {"min_same_face", verdict.min_same_face}};
  if (!verdict.live) {
    Reply r = Reply::Error(422, "liveness_failed", "no result: " + verdict.reason);
    nlohmann::json body = nlohmann::json::parse(r.body);
    body["check"] = check;
    r.body = body.dump();
    return r;
  }
  // The kiosk answers for its organisation's own sources, like that tenant's privacy officer.
  ASSIGN_OR_RETURN(TenantScope scope, ScopeOf(s, call));
  ASSIGN_OR_RETURN(nlohmann::json access,
                   governance::SubjectAccess(
                       s.gov, verdict.embedding, sequence_hash,
                       SelfCheckJustification(call, "public self-check", nonce), &scope.own));
  std::vector<int64_t> face_ids;
  for (const auto& f : access.value("faces", nlohmann::json::array())) {
    face_ids.push_back(f.at("face_id").get<int64_t>());
  }
  nlohmann::json out = PublicReport(access);
  out["check"] = check;
  out["receipt"] = s.selfcheck.IssueReceipt(std::move(face_ids));
  out["receipt_expires_in_s"] = s.options.selfcheck_challenge_ttl.count();
  out["kept"] =
      "Nothing from your capture is stored. The audit record keeps a hash of the capture and "
      "which held faces matched it.";
  return Reply::Json(out);
}

Result<Reply> HandleSelfCheckRequest(Services& s, const Call& call) {
  ASSIGN_OR_RETURN(nlohmann::json body, JsonObjectBody(call.http, s.options.max_json_bytes));
  ASSIGN_OR_RETURN(std::string receipt, JsonText(body, "receipt", true, 64));
  ASSIGN_OR_RETURN(std::string kind, JsonText(body, "kind", true, 20));
  if (kind != "erasure" && kind != "optout") {
    return Status::InvalidArgument("'kind' must be 'erasure' or 'optout'");
  }
  ASSIGN_OR_RETURN(std::vector<int64_t> face_ids, s.selfcheck.RedeemReceipt(receipt));
  const std::string receipt_hash =
      Sha256Hex({reinterpret_cast<const uint8_t*>(receipt.data()), receipt.size()});
  ASSIGN_OR_RETURN(
      int64_t seq,
      s.gov.Record(
          "selfcheck_request",
          SelfCheckJustification(call, "public self-check: " + kind + " requested", receipt_hash),
          receipt_hash, static_cast<int64_t>(face_ids.size()),
          {{"kind", kind}, {"face_ids", face_ids}}));
  return Reply::Json({{"recorded", true},
                      {"kind", kind},
                      {"reference", "selfcheck-" + receipt_hash.substr(0, 12)},
                      {"audit_seq", seq},
                      {"faces", face_ids.size()},
                      {"next",
                       "The privacy officer acts on the request; keep the reference to ask about "
                       "it. Nothing else about you is kept."}},
                     201);
}

Result<Reply> HandleSelfCheckPage(Services&, const Call&) {
  auto bytes = FindEmbeddedFile("web/selfcheck.html");
  if (!bytes) return Status::NotFound("no such file");
  Reply r = Reply::Bytes(std::string(ContentTypeFor("selfcheck.html")), std::string(*bytes));
  r.headers.emplace_back("Cache-Control", "no-cache");
  return r;
}

}  // namespace likeness::server
