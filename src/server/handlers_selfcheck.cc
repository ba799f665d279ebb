// The public self-check (role selfcheck, the kiosk key; docs/PRIVACY.md, "Public self-check:
// threat model"): a random liveness challenge, a live capture answering it, then a short answer
// and a way to ask for erasure or opt-out.
//
// What a caller learns, by design:
//  - a failed check: only that it failed, what to try, and a request reference. Every cause (not
//    live, not the same face, a still, a replay, a mirrored frame, no face) gets the same body;
//  - a passed remote check: whether this organisation holds photos of the person and, per source,
//    its public description and the categories of its legal basis, with a request reference. The
//    full report (sources, collectors, dates, retention, search hits) goes through the privacy
//    officer, who releases it for the reference after verifying the requester
//    (handlers_selfcheck_officer.cc);
//  - a passed attended check (a kiosk key bound to the operator terminal's device secret): the
//    full report as well.
// Never: scores, angles, similarities, hit counts on the remote answer, key names, face crops.
// Every redeemed challenge is one attempt, audited ("selfcheck") under the kiosk key's tenant with
// the capture hash (never a frame), the outcome and the request reference.
#include <httplib.h>

#include "common/hash.h"
#include "governance/selfcheck_liveness.h"
#include "governance/selfcheck_report.h"
#include "imageio/decode.h"
#include "server/client_address.h"
#include "server/embedded_files.h"
#include "server/form.h"
#include "server/handlers.h"
#include "server/selfcheck_state.h"
#include "server/tenant_scope.h"

namespace likeness::server {
namespace {

constexpr size_t kMaxFrameBytes = 2u << 20;      // one JPEG frame from the page is ~20-80 KiB
constexpr const char* kLegalBasis = "art6-1-c";  // answering a data subject (GDPR Art. 15)
constexpr const char* kFailedMessage =
    "The check did not pass, so no result is given. Please try again with a new challenge.";

governance::Justification SelfCheckJustification(const Call& call, const std::string& what,
                                                 const std::string& reference) {
  governance::Justification j;
  j.operator_id = call.caller->name;
  j.purpose = what;
  j.legal_basis = kLegalBasis;
  j.case_ref = reference;
  j.tenant = call.caller->tenant;  // the kiosk's own organisation
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

// The one answer to every failed check, whatever the cause.
Reply FailedReply(const std::string& reference) {
  nlohmann::json body = {{"error", {{"code", "selfcheck_failed"}, {"message", kFailedMessage}}},
                         {"passed", false},
                         {"reference", reference},
                         {"advice",
                          {"Face a steady, even light; avoid a bright window behind you.",
                           "Hold the camera still and keep your whole face in the frame.",
                           "Follow the prompt on the screen while it records."}}};
  return Reply::Json(body, 422);
}

// One audit record per attempt. `reason` is for the organisation's auditors, never the caller.
Status AuditAttempt(Services& s, const Call& call, const std::string& reference,
                    const std::string& capture_hash, const std::string& outcome,
                    const std::string& reason, const std::vector<int64_t>& face_ids,
                    governance::ChallengeKind kind) {
  nlohmann::json details = {{"outcome", outcome},
                            {"reason", reason},
                            {"reference", reference},
                            {"capture_sha256", capture_hash},
                            {"challenge", governance::ChallengeName(kind)},
                            {"attended", call.caller->attended},
                            {"face_ids", face_ids}};
  return s.gov
      .Record("selfcheck", SelfCheckJustification(call, "public self-check", reference),
              capture_hash, static_cast<int64_t>(face_ids.size()), details)
      .status();
}

// Refuses, before decoding, frames that are too large or not images (ResourceExhausted,
// InvalidArgument).
Status CheckFrame(const Services& s, std::span<const uint8_t> bytes) {
  if (bytes.size() > kMaxFrameBytes) return Status::ResourceExhausted("a frame is over 2 MiB");
  ASSIGN_OR_RETURN(imageio::ImageHeader header, imageio::ReadHeader(bytes));
  const int64_t pixels = static_cast<int64_t>(header.width) * header.height;
  if (pixels > s.options.selfcheck_max_frame_pixels) {
    return Status::ResourceExhausted("frames above " +
                                     std::to_string(s.options.selfcheck_max_frame_pixels) +
                                     " pixels are refused; send the camera's preview size");
  }
  return Status::Ok();
}

}  // namespace

Result<Reply> HandleSelfCheckChallenge(Services& s, const Call& call) {
  const std::string bucket = ClientBucket(call.http, s.options.trusted_proxies);
  if (auto wait = s.selfcheck.AdmitChallenge(bucket, call.caller->name,
                                             s.options.selfcheck_challenges_per_address_hour,
                                             s.options.selfcheck_daily_cap_per_key)) {
    s.metrics.AddRateLimited("selfcheck-cap");
    Reply r = Reply::Error(429, "rate_limited",
                           "too many self-checks from here or at this kiosk; retry later");
    r.headers.emplace_back("Retry-After", std::to_string(static_cast<int64_t>(*wait) + 1));
    return r;
  }
  const IssuedChallenge c = s.selfcheck.Issue();
  const governance::LivenessThresholds t;
  return Reply::Json({{"nonce", c.nonce},
                      {"challenge", governance::ChallengeName(c.kind)},
                      {"instructions", Instructions(c.kind)},
                      {"expires_in_s", c.ttl.count()},
                      {"min_frames", t.min_frames},
                      {"max_frames", t.max_frames},
                      {"max_frame_pixels", s.options.selfcheck_max_frame_pixels}},
                     201);
}

Result<Reply> HandleSelfCheckSubmit(Services& s, const Call& call) {
  ASSIGN_OR_RETURN(Form form, Form::Of(call.http));
  ASSIGN_OR_RETURN(std::string nonce, form.Text("nonce", 64));
  ASSIGN_OR_RETURN(governance::ChallengeKind kind, s.selfcheck.Redeem(nonce));
  // From here on this is one attempt: whatever happens is audited under this reference.
  const std::string reference = NewRequestReference();
  const governance::LivenessThresholds t;
  const auto parts = form.Files("frame");
  std::vector<std::vector<uint8_t>> frames;
  std::vector<std::string> frame_hashes;
  std::string all_hashes;
  Status input = Status::Ok();
  if (static_cast<int>(parts.size()) < t.min_frames ||
      static_cast<int>(parts.size()) > t.max_frames) {
    input = Status::InvalidArgument("send " + std::to_string(t.min_frames) + " to " +
                                    std::to_string(t.max_frames) + " 'frame' parts");
  }
  for (const auto* p : parts) {
    if (!input.ok()) break;
    frames.emplace_back(p->content.begin(), p->content.end());
    input = CheckFrame(s, frames.back());
    frame_hashes.push_back(Sha256Hex(frames.back()));
    all_hashes += frame_hashes.back();
  }
  const std::string capture_hash =
      Sha256Hex({reinterpret_cast<const uint8_t*>(all_hashes.data()), all_hashes.size()});
  if (!input.ok()) {
    RETURN_IF_ERROR(
        AuditAttempt(s, call, reference, capture_hash, "refused", input.message(), {}, kind));
    return input;  // about the bytes sent, not the face: a plain 4xx
  }
  if (!s.selfcheck.RememberCapture(capture_hash, frame_hashes)) {
    RETURN_IF_ERROR(AuditAttempt(s, call, reference, capture_hash, "refused",
                                 "a frame or the capture was sent before (replay)", {}, kind));
    return FailedReply(reference);
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
  if (!status.ok()) {
    RETURN_IF_ERROR(
        AuditAttempt(s, call, reference, capture_hash, "refused", status.message(), {}, kind));
    return status;
  }
  const governance::ChallengeVerdict verdict = governance::DecideChallenge(measured, kind, t);
  if (!verdict.live) {
    RETURN_IF_ERROR(
        AuditAttempt(s, call, reference, capture_hash, "refused", verdict.reason, {}, kind));
    return FailedReply(reference);
  }
  // The kiosk answers for its organisation's own sources.
  ASSIGN_OR_RETURN(TenantScope scope, ScopeOf(s, call));
  ASSIGN_OR_RETURN(auto rows, governance::SelfCheckMatches(s.gov, verdict.embedding, &scope.own));
  std::vector<int64_t> face_ids;
  for (const auto& r : rows) face_ids.push_back(r.face.id);
  RETURN_IF_ERROR(AuditAttempt(s, call, reference, capture_hash, "passed", "ok", face_ids, kind));
  nlohmann::json out = {{"passed", true},
                        {"held", !rows.empty()},
                        {"sources", governance::PublicSourceAnswer(rows)},
                        {"reference", reference}};
  if (call.caller->attended) {
    ASSIGN_OR_RETURN(out["report"], governance::FullSelfCheckReport(s.gov, rows));
  } else if (!rows.empty()) {
    out["full_report"] =
        "The full report (which photos, when and by whom they were collected, how long they are "
        "kept) is given by the privacy officer after they confirm who you are. Quote your "
        "reference.";
  }
  if (!rows.empty()) {
    out["receipt"] = s.selfcheck.IssueReceipt(std::move(face_ids), reference);
    out["receipt_expires_in_s"] = s.options.selfcheck_challenge_ttl.count();
  }
  out["kept"] =
      "Nothing from your capture is stored. The audit record keeps a hash of the capture, the "
      "outcome and your reference.";
  return Reply::Json(out);
}

Result<Reply> HandleSelfCheckRequest(Services& s, const Call& call) {
  ASSIGN_OR_RETURN(nlohmann::json body, JsonObjectBody(call.http, s.options.max_json_bytes));
  ASSIGN_OR_RETURN(std::string receipt, JsonText(body, "receipt", true, 64));
  ASSIGN_OR_RETURN(std::string kind, JsonText(body, "kind", true, 20));
  if (kind != "erasure" && kind != "optout") {
    return Status::InvalidArgument("'kind' must be 'erasure' or 'optout'");
  }
  ASSIGN_OR_RETURN(SelfCheckState::Receipt r, s.selfcheck.RedeemReceipt(receipt));
  const std::string receipt_hash =
      Sha256Hex({reinterpret_cast<const uint8_t*>(receipt.data()), receipt.size()});
  RETURN_IF_ERROR(
      s.gov
          .Record("selfcheck_request",
                  SelfCheckJustification(call, "public self-check: " + kind + " requested",
                                         r.reference),
                  receipt_hash, static_cast<int64_t>(r.face_ids.size()),
                  {{"kind", kind}, {"reference", r.reference}, {"face_ids", r.face_ids}})
          .status());
  return Reply::Json({{"recorded", true},
                      {"kind", kind},
                      {"reference", r.reference},
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
