// Sources (declare, list, show) and uploads into a declared source.
#include <httplib.h>

#include "engine/ingest.h"
#include "governance/retention.h"
#include "privacy/legal.h"
#include "server/form.h"
#include "server/handlers.h"
#include "server/json_views.h"
#include "server/tenant_scope.h"
#include "server/upload_ingest.h"

namespace likeness::server {
namespace {

nlohmann::json ErrorObject(const Status& st) {
  return {{"code", ErrorCodeFor(st.code())},
          {"message",
           IsServerFault(st.code()) ? "the server could not store this file" : st.message()}};
}

// A new source whose retention ended before today would be declared only for the retention sweep
// to erase what is uploaded into it: refused with the reason (a well-formed date only; the engine
// checks the shape and the calendar). Today itself is allowed (retain_until is inclusive).
Status RefusePastRetention(const std::string& retain_until) {
  auto parsed = privacy::ParseDate(retain_until);
  if (!parsed.ok()) return Status::Ok();  // DeclareSource says why
  const std::string today = governance::TodayUtc();
  if (privacy::FormatDate(*parsed) >= today) return Status::Ok();
  return Status::InvalidArgument("retain_until " + retain_until + " is in the past (today is " +
                                 today +
                                 "): photos in this source would be erased by the next "
                                 "retention sweep; give a date from today on, or none");
}

// Where a duplicate upload is already held: its source when the caller's tenant sees it, else
// only that this instance holds it elsewhere (another tenant's source is not named).
void DescribeHeld(Services& s, const TenantScope& scope, int64_t image_id, nlohmann::json& item) {
  auto held = VisibleImage(s, scope, image_id);
  if (!held.ok()) {
    item["held_elsewhere"] = true;
    return;
  }
  item["image_id"] = image_id;
  auto source = s.engine.catalog().GetSource(held->source_id);
  if (source.ok()) item["held_in"] = {{"source_id", source->id}, {"source", source->name}};
}

}  // namespace

Result<Reply> HandleCreateSource(Services& s, const Call& call) {
  ASSIGN_OR_RETURN(nlohmann::json body, JsonObjectBody(call.http, s.options.max_json_bytes));
  engine::SourceDeclaration d;
  ASSIGN_OR_RETURN(d.name, JsonText(body, "name", true, 200));
  ASSIGN_OR_RETURN(d.legal_basis, JsonText(body, "legal_basis", true, 100));
  ASSIGN_OR_RETURN(d.art9_condition, JsonText(body, "art9_condition", false, 100));
  ASSIGN_OR_RETURN(d.jurisdiction, JsonText(body, "jurisdiction", true, 10));
  ASSIGN_OR_RETURN(d.retain_until, JsonText(body, "retain_until", false, 10));
  ASSIGN_OR_RETURN(d.collector, JsonText(body, "collector", false, 200));
  if (d.collector.empty()) d.collector = call.caller->name;
  ASSIGN_OR_RETURN(d.public_description,
                   JsonText(body, "public_description", false, catalog::kMaxPublicDescription));
  RETURN_IF_ERROR(RefusePastRetention(d.retain_until));
  d.kind = catalog::SourceKind::kUpload;
  d.location = "upload";
  ASSIGN_OR_RETURN(TenantScope scope, ScopeOf(s, call));
  d.tenant = scope.tenant;

  // POST creates: an existing name is a conflict, even with the same basis (the CLI's "declare
  // or reuse" is for repeated folder ingests, not for an API that says "create").
  auto existing = s.engine.catalog().GetSourceByName(d.name);
  if (existing.ok()) return Status::AlreadyExists("a source named '" + d.name + "' exists");
  if (existing.status().code() != StatusCode::kNotFound) return existing.status();
  ASSIGN_OR_RETURN(catalog::SourceRecord source, engine::DeclareSource(s.engine.catalog(), d));

  privacy::AuditEntry e;
  e.operator_id = call.caller->name;
  e.action = "declare_source";
  e.purpose = "declare a photo source";
  e.legal_basis = source.legal_basis + "," + source.art9_condition;
  e.details = nlohmann::json{
      {"source_id", source.id},
      {"source", source.name},
      {"jurisdiction", source.jurisdiction},
      {"retain_until", source.retain_until},
      {"tenant", scope.tenant},
      {"via",
       "api"}}.dump();
  ASSIGN_OR_RETURN(int64_t seq, s.audit.Append(e));
  nlohmann::json out = SourceJson(source);
  out["audit_seq"] = seq;
  Reply r = Reply::Json(out, 201);
  r.headers.emplace_back("Location", "/api/v1/sources/" + std::to_string(source.id));
  return r;
}

Result<Reply> HandleListSources(Services& s, const Call& call) {
  ASSIGN_OR_RETURN(TenantScope scope, ScopeOf(s, call));
  ASSIGN_OR_RETURN(std::vector<catalog::SourceRecord> sources, s.engine.catalog().ListSources());
  nlohmann::json list = nlohmann::json::array();
  for (const auto& src : sources) {
    if (!scope.Sees(src.id)) continue;  // another tenant's, not shared to this one
    nlohmann::json item = SourceJson(src);
    item["shared"] = !scope.Owns(src.id);
    const int64_t id = src.id;
    ASSIGN_OR_RETURN(catalog::CatalogStats counts,
                     s.engine.catalog().StatsOfSources(std::span<const int64_t>(&id, 1)));
    item["images"] = counts.images;
    item["faces"] = counts.faces;
    item["batches"] = counts.batches;
    item["ingest_errors"] = counts.errors;
    list.push_back(std::move(item));
  }
  return Reply::Json({{"sources", std::move(list)}});
}

Result<Reply> HandleGetSource(Services& s, const Call& call) {
  ASSIGN_OR_RETURN(TenantScope scope, ScopeOf(s, call));
  ASSIGN_OR_RETURN(catalog::SourceRecord source, VisibleSource(s, scope, call.Id(0)));
  nlohmann::json out = SourceJson(source);
  out["shared"] = !scope.Owns(source.id);
  return Reply::Json(out);
}

Result<Reply> HandleUploadImages(Services& s, const Call& call) {
  ASSIGN_OR_RETURN(TenantScope scope, ScopeOf(s, call));
  ASSIGN_OR_RETURN(catalog::SourceRecord source, VisibleSource(s, scope, call.Id(0)));
  if (!scope.Owns(source.id)) {
    return Status::PermissionDenied("source " + std::to_string(source.id) +
                                    " is shared with this tenant for reading only");
  }
  ASSIGN_OR_RETURN(Form form, Form::Of(call.http));
  const auto parts = form.Files("images");
  if (parts.empty()) return Status::InvalidArgument("file field 'images' is required");
  if (parts.size() > static_cast<size_t>(s.options.max_upload_files)) {
    return Status::InvalidArgument("at most " + std::to_string(s.options.max_upload_files) +
                                   " files per upload");
  }
  std::vector<UploadFile> files;
  for (const auto* p : parts) {
    files.push_back({DisplayName(p->filename),
                     {reinterpret_cast<const uint8_t*>(p->content.data()), p->content.size()}});
  }

  auto lease = s.analyzers.Acquire(s.options.analyzer_wait);
  if (!lease.ok()) return BusyReply();
  // Videos: the CLI ingest's sampling and tracker, the server's duration limit; the body limit
  // bounds their size.
  engine::VideoOptions video;
  video.limits.max_duration_s = s.options.video_max_seconds;
  std::shared_lock store_lock(s.store_mu);  // no erasure sweeps stored copies meanwhile
  ASSIGN_OR_RETURN(UploadSummary summary,
                   IngestUploads(
                       s.engine, **lease, source, files,
                       [&s](std::span<const uint8_t> b) { return CheckImageHeader(s, b); },
                       call.caller->name, video));
  if (summary.images > 0) s.index_saver.MarkDirty();  // saved within options.index_save_delay
  s.metrics.AddIngest(summary.images, summary.faces, summary.duplicates, summary.errors);

  privacy::AuditEntry e;
  e.operator_id = call.caller->name;
  e.action = "ingest";
  e.purpose = summary.videos > 0 ? "upload photos and videos into a declared source"
                                 : "upload photos into a declared source";
  e.legal_basis = source.legal_basis + "," + source.art9_condition;
  e.result_count = summary.images;
  e.details =
      nlohmann::json{{"source_id", source.id},   {"batch_id", summary.batch_id},
                     {"images", summary.images}, {"faces", summary.faces},
                     {"videos", summary.videos}, {"duplicates", summary.duplicates},
                     {"errors", summary.errors}, {"previously_erased", summary.previously_erased},
                     {"tenant", scope.tenant},   {"via", "api"}}
          .dump();
  ASSIGN_OR_RETURN(int64_t seq, s.audit.Append(e));

  nlohmann::json list = nlohmann::json::array();
  for (const auto& f : summary.files) {
    nlohmann::json item = {{"name", f.name}, {"status", f.status}, {"media", f.media}};
    if (f.status == "stored") {
      item["image_id"] = f.image_id;
      item["faces"] = f.faces;
      if (f.media == "video") {
        item["tracks"] = f.tracks;
        item["duration_s"] = f.duration_s;
      }
    } else if (f.status == "duplicate") {
      // Photos are unique across the instance: a copy held by another tenant is reported without
      // its id or source (they would point into that tenant's data).
      DescribeHeld(s, scope, f.image_id, item);
    } else if (f.status != "previously_erased") {
      item["error"] = ErrorObject(f.error);
      if (IsServerFault(f.error.code())) s.Log("upload: " + f.error.ToString());
    }
    list.push_back(std::move(item));
  }
  // 200 even when some files were refused: the per-file statuses say which. 400 when none stored
  // and every file was refused, so a client that checks only the status still notices.
  const bool all_refused = summary.errors == static_cast<int64_t>(files.size());
  nlohmann::json out = {{"batch_id", summary.batch_id},
                        {"source", SourceJson(source)},
                        {"files", std::move(list)},
                        {"images", summary.images},
                        {"faces", summary.faces},
                        {"videos", summary.videos},
                        {"duplicates", summary.duplicates},
                        {"errors", summary.errors},
                        {"audit_seq", seq},
                        {"previously_erased", summary.previously_erased}};
  if (all_refused) {
    out["error"] = {{"code", "invalid_argument"}, {"message", "no file could be ingested"}};
  }
  return Reply::Json(out, all_refused ? 400 : 200);
}

}  // namespace likeness::server
