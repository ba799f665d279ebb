#include "governance/governance.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>

#include "common/hash.h"
#include "engine/ingest.h"
#include "engine/remote_search.h"
#include "governance/batch_audit.h"
#include "privacy/envelope.h"
#include "privacy/key_folder.h"
#include "privacy/legal.h"
#include "privacy/master_key.h"

namespace likeness::governance {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kOptOutScope = "optout";
constexpr std::string_view kErasedContentScope = "erased-content";

// Enforces policy on every ingest: blocked jurisdictions, opt-outs, and an audit record per batch.
class GovernedIngest final : public engine::IngestPolicy {
 public:
  GovernedIngest(Governance& gov, std::string op)
      : gov_(gov), operator_(std::move(op)), batches_(gov) {}
  Status AdmitSource(const catalog::SourceRecord& source) override {
    return gov_.AdmitJurisdiction(source.jurisdiction);
  }
  Status BatchStarted(const catalog::SourceRecord& source, int64_t batch_id,
                      const std::string& operator_id) override {
    return batches_.Started(source, batch_id, operator_id.empty() ? operator_ : operator_id)
        .WithContext("the ingest batch's start could not be audited, so nothing was ingested");
  }
  bool DropFace(std::span<const float> embedding) override {
    auto hit = gov_.IsOptedOut(embedding);
    return !hit.ok() || *hit;  // fail closed: if opt-outs cannot be read, store nothing
  }
  bool PreviouslyErased(const std::string& content_sha256) override {
    auto erased = gov_.IsPreviouslyErased(content_sha256);
    return !erased.ok() || *erased;  // fail closed, as above
  }
  void BatchFinished(const catalog::SourceRecord& source, const engine::IngestSummary& s) override {
    Justification why{operator_, "ingest", source.legal_basis, "source:" + source.name,
                      source.tenant};
    (void)gov_.Record("ingest", why, "", s.totals.faces,
                      {{"source", source.name},
                       {"source_id", source.id},
                       {"jurisdiction", source.jurisdiction},
                       {"batch_id", s.batch_id},
                       {"images", s.totals.images},
                       {"faces", s.totals.faces},
                       {"skipped", s.totals.skipped},
                       {"previously_erased", s.totals.previously_erased},
                       {"errors", s.totals.errors}});
    batches_.Ended(s.batch_id);
  }

 private:
  Governance& gov_;
  std::string operator_;
  BatchAuditor batches_;
};

}  // namespace

Result<fs::path> MasterKeyPath(const fs::path& data_dir) {
  ASSIGN_OR_RETURN(const privacy::KeyFolder keys, privacy::OpenKeyFolder(data_dir));
  return keys.master_key();
}

Result<std::unique_ptr<Governance>> Governance::Open(engine::Engine& engine,
                                                     std::string ingest_operator) {
  std::unique_ptr<Governance> g(new Governance(engine));
  const fs::path dir = engine.options().data_dir;
  ASSIGN_OR_RETURN(g->audit_, privacy::AuditLog::Open(privacy::AuditLogOptionsForDataDir(dir)));
  g->keys_ = engine.keys();
  if (!g->keys_) return Status::Internal("the engine has no key store");
  ASSIGN_OR_RETURN(g->store_, GovStore::Open(dir / "catalog.db"));
  if (ingest_operator.empty()) ingest_operator = ResolveOperator("");
  if (ingest_operator.empty()) ingest_operator = "unnamed-cli-operator";
  engine.set_ingest_policy(std::make_shared<GovernedIngest>(*g, ingest_operator));
  return g;
}

Governance::~Governance() { engine_.set_ingest_policy(nullptr); }

Result<std::string> Governance::ErasedContentTag(const std::string& content_sha256, bool create) {
  Result<privacy::DataKey> key = create ? keys_->GetOrCreateDataKey(kErasedContentScope)
                                        : keys_->GetDataKey(kErasedContentScope);
  if (!key.ok()) return key.status();
  std::array<uint8_t, crypto_generichash_BYTES> tag{};
  crypto_generichash(tag.data(), tag.size(),
                     reinterpret_cast<const unsigned char*>(content_sha256.data()),
                     content_sha256.size(), key->key.data(), privacy::SecretKey::kSize);
  return ToHex(tag);
}

Result<bool> Governance::IsPreviouslyErased(const std::string& content_sha256) {
  Result<std::string> tag = ErasedContentTag(content_sha256, false);
  if (!tag.ok() && tag.status().code() == StatusCode::kNotFound) return false;  // never erased
  if (!tag.ok()) return tag.status();
  return store_->IsErased(*tag);
}

Result<int64_t> Governance::Record(const std::string& action, const Justification& why,
                                   const std::string& probe_hash, int64_t result_count,
                                   const nlohmann::json& details) {
  privacy::AuditEntry e;
  e.operator_id = why.operator_id;
  e.action = action;
  e.purpose = why.purpose;
  e.legal_basis = why.legal_basis;
  e.case_ref = why.case_ref;
  e.probe_hash = probe_hash;
  e.result_count = result_count;
  if (why.tenant.empty() || !details.is_object()) {
    e.details = details.dump();
  } else {
    nlohmann::json with_tenant = details;
    with_tenant["tenant"] = why.tenant;
    e.details = with_tenant.dump();
  }
  return audit_->Append(e);
}

Status Governance::AdmitJurisdiction(const std::string& jurisdiction) {
  ASSIGN_OR_RETURN(std::string cc, privacy::NormalizeCountryCode(jurisdiction));
  ASSIGN_OR_RETURN(bool blocked, store_->IsBlocked(cc));
  if (!blocked) return Status::Ok();
  ASSIGN_OR_RETURN(auto held, store_->HeldIn(cc));
  return Status::FailedPrecondition(
      "collection in jurisdiction " + cc +
      " is blocked by policy; nothing was ingested. Already "
      "held from " +
      cc + ": " + std::to_string(held.first) + " image(s), " + std::to_string(held.second) +
      " face(s) (purge with `likeness erase --jurisdiction " + cc + "`)");
}

Result<std::vector<std::pair<std::string, Embedding>>> Governance::OptOutTemplates() {
  ASSIGN_OR_RETURN(auto rows, store_->OptOuts());
  std::vector<std::pair<std::string, Embedding>> out;
  for (const auto& row : rows) {
    const std::string ad = "optout:" + row.request_ref;
    ASSIGN_OR_RETURN(auto plain, privacy::EnvelopeDecrypt(
                                     *keys_, kOptOutScope, row.sealed_template,
                                     {reinterpret_cast<const uint8_t*>(ad.data()), ad.size()}));
    if (plain.size() != kEmbeddingDim * sizeof(float)) {
      return Status::Corruption("opt-out template " + row.request_ref + " has the wrong size");
    }
    Embedding e(kEmbeddingDim);
    std::memcpy(e.data(), plain.data(), plain.size());
    out.emplace_back(row.request_ref, std::move(e));
  }
  return out;
}

Result<bool> Governance::IsOptedOut(std::span<const float> embedding) {
  ASSIGN_OR_RETURN(auto templates, OptOutTemplates());
  for (const auto& [ref, t] : templates) {
    if (engine::Cosine(t, embedding) >= kOptOutThreshold) return true;
  }
  return false;
}

Result<engine::SearchResponse> Governance::Search(const Justification& raw,
                                                  std::span<const uint8_t> probe,
                                                  const engine::SearchOptions& options,
                                                  int64_t* audit_seq) {
  ASSIGN_OR_RETURN(Justification why, ValidateJustification(raw));
  if (options.review_candidates > 0 && options.review_reason.empty())
    return Status::InvalidArgument("candidates for human review need a stated reason");
  ASSIGN_OR_RETURN(auto analyzer, engine_.NewAnalyzer());
  ASSIGN_OR_RETURN(engine::SearchResponse r,
                   engine::SearchProbe(engine_, *analyzer, probe, options));
  // A cluster router's matches live on the shards, which filter opt-outs themselves (each shard
  // applies every opt-out from its replication log before it answers a search).
  const bool remote = engine_.remote_searcher() != nullptr;
  std::vector<std::pair<std::string, Embedding>> templates;
  if (!remote) {
    ASSIGN_OR_RETURN(templates, OptOutTemplates());
  }
  const auto opted_out = [&](const engine::Match& m) {
    if (remote) return false;
    auto held = engine_.catalog().GetFace(m.face.face.id, true);
    if (!held.ok()) return true;
    for (const auto& [ref, t] : templates) {
      if (engine::Cosine(t, held->embedding) >= kOptOutThreshold) return true;
    }
    return false;
  };
  std::vector<int64_t> returned, candidates;
  for (auto& face : r.faces) {
    std::erase_if(face.matches, opted_out);
    std::erase_if(face.candidates, opted_out);
    face.matched = !face.matches.empty();
    for (const auto& m : face.matches) returned.push_back(m.face.face.id);
    for (const auto& m : face.candidates) candidates.push_back(m.face.face.id);
  }
  if (!remote) RETURN_IF_ERROR(store_->CountHits(returned));
  if (!remote) RETURN_IF_ERROR(store_->CountHits(candidates));
  nlohmann::json details = {{"faces_in_probe", r.faces.size()},
                            {"face_ids", returned},
                            {"threshold", r.threshold},
                            {"threshold_floor", r.threshold_floor},
                            {"client_threshold", r.client_threshold},
                            {"below_floor", r.threshold < r.threshold_floor},
                            {"calibrated", r.calibrated},
                            {"target_fpir", r.target_fpir},
                            {"gallery_size", r.gallery_size},
                            {"scoring", engine::ScoringName(options.scoring)}};
  if (options.review_candidates > 0) {
    // The audit says that sub-threshold faces were shown for human review, which, and why.
    details["review"] = {{"reason", options.review_reason},
                         {"candidates_per_face", options.review_candidates},
                         {"candidate_ids", candidates}};
  }
  ASSIGN_OR_RETURN(int64_t seq,
                   Record("search", why, r.probe_sha256,
                          static_cast<int64_t>(returned.size() + candidates.size()), details));
  if (audit_seq) *audit_seq = seq;
  return r;
}

Result<engine::VerifyResponse> Governance::Verify(const Justification& raw,
                                                  std::span<const uint8_t> a,
                                                  std::span<const uint8_t> b, float threshold,
                                                  int64_t* audit_seq) {
  ASSIGN_OR_RETURN(Justification why, ValidateJustification(raw));
  ASSIGN_OR_RETURN(auto analyzer, engine_.NewAnalyzer());
  ASSIGN_OR_RETURN(engine::VerifyResponse v,
                   engine::VerifyImages(engine_, *analyzer, a, b, threshold));
  ASSIGN_OR_RETURN(
      int64_t seq,
      Record("verify", why, Sha256Hex(a), 1,
             {{"probe_b_hash", Sha256Hex(b)}, {"score", v.score}, {"same_person", v.same_person}}));
  if (audit_seq) *audit_seq = seq;
  return v;
}

Result<engine::SearchResponse> SingleFaceProbe(engine::Engine& engine,
                                               std::span<const uint8_t> bytes, bool largest) {
  ASSIGN_OR_RETURN(auto analyzer, engine.NewAnalyzer());
  ASSIGN_OR_RETURN(engine::SearchResponse r, engine::AnalyzeProbe(engine, *analyzer, bytes, false));
  if (r.faces.empty()) return Status::InvalidArgument("no face found in the probe photo");
  if (r.faces.size() > 1) {
    if (!largest) {
      return Status::InvalidArgument("the probe photo shows " + std::to_string(r.faces.size()) +
                                     " faces; crop it to the person or pass --largest");
    }
    r.faces.resize(1);  // largest first
  }
  return r;
}

Result<std::vector<std::pair<int64_t, float>>> HeldFacesMatching(engine::Engine& engine,
                                                                 std::span<const float> embedding,
                                                                 float threshold) {
  std::vector<std::pair<int64_t, float>> out;
  RETURN_IF_ERROR(
      engine.catalog().ForEachEmbedding([&](int64_t id, bool, std::span<const float> e) {
        const float s = engine::Cosine(embedding, e);
        if (s >= threshold) out.emplace_back(id, s);
        return true;
      }));
  std::sort(out.begin(), out.end(), [](auto& x, auto& y) { return x.second > y.second; });
  return out;
}

}  // namespace likeness::governance
