// The governance facade: the one place where biometric operations meet the law. It holds the
// engine, the audit log (<data>/audit.db), the key store (keys.db under the master key, both in the
// key folder outside the data folder: privacy/key_folder.h) and the governance tables in
// catalog.db, and every consequential action goes through it so that it is justified and recorded:
// searches, verifies, ingest batches (via the ingest policy it installs), erasures, opt-outs,
// access requests, policy and key changes.
//
// The CLI and the server call the same functions. No biometric result leaves a function here
// before its audit record is durable: no audit record, no result.
//
// Thread safety: as Engine; all members are internally synchronised.
#pragma once

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/search.h"
#include "governance/gov_store.h"
#include "governance/justification.h"
#include "likeness/status.h"
#include "privacy/audit_log.h"
#include "privacy/key_store.h"

namespace likeness::governance {

// Cosine at or above which a held or arriving face is taken to be an opted-out person: stricter
// than search (kDefaultMatchThreshold 0.45). Measured false-match rate: see docs/PRIVACY.md.
inline constexpr float kOptOutThreshold = 0.55f;

// Where the master key file is: master.key in the data folder's key folder (privacy/key_folder.h;
// $LIKENESS_MASTER_KEY, when set, is used instead of the file). Errors: privacy::OpenKeyFolder's.
Result<std::filesystem::path> MasterKeyPath(const std::filesystem::path& data_dir);

class Governance {
 public:
  // Opens the audit log and the governance tables, shares the engine's key store (the engine
  // opened it, creating the keys for a new data folder), and installs the ingest
  // policy on `engine` (blocked jurisdictions, opt-out filtering, batch auditing under
  // `ingest_operator`). `engine` must outlive this object. Errors: those of AuditLog::Open,
  // GovStore::Open.
  static Result<std::unique_ptr<Governance>> Open(engine::Engine& engine,
                                                  std::string ingest_operator = "");

  // Uninstalls the ingest policy from the engine.
  ~Governance();
  Governance(const Governance&) = delete;
  Governance& operator=(const Governance&) = delete;

  engine::Engine& engine() { return engine_; }
  privacy::AuditLog& audit() { return *audit_; }
  privacy::KeyStore& keys() { return *keys_; }
  GovStore& store() { return *store_; }
  const std::filesystem::path& data_dir() const { return engine_.options().data_dir; }

  // Appends one audit record. `details` must be a JSON object. Returns its seq.
  Result<int64_t> Record(const std::string& action, const Justification& why,
                         const std::string& probe_hash, int64_t result_count,
                         const nlohmann::json& details = nlohmann::json::object());

  // 1:N search under a validated justification. Opted-out faces are removed from the results;
  // the returned face ids are counted (for subject access) and listed in the audit details.
  // Errors: InvalidArgument (justification), the engine's.
  Result<engine::SearchResponse> Search(const Justification& why, std::span<const uint8_t> probe,
                                        const engine::SearchOptions& options,
                                        int64_t* audit_seq = nullptr);
  // 1:1 verify under a validated justification; the audit record carries both probe hashes.
  Result<engine::VerifyResponse> Verify(const Justification& why, std::span<const uint8_t> a,
                                        std::span<const uint8_t> b, float threshold,
                                        int64_t* audit_seq = nullptr);

  // OK unless collection in `jurisdiction` (any case) is blocked: FailedPrecondition naming what is
  // already held from there. InvalidArgument for an unassigned code. The ingest policy calls this
  // for every batch; callers may call it before declaring a source so a refusal changes nothing.
  Status AdmitJurisdiction(const std::string& jurisdiction);

  // Erasure that sticks. The tag of a photo's content (its SHA-256 hex) is BLAKE2b keyed with the
  // instance's "erased-content" data key (keys.db, wrapped by the master key): the list of tags
  // identifies no photo to anyone without the key, and a tag from one instance means nothing in
  // another. With `create` the key is made on first use; without it, NotFound when there is none
  // (nothing was ever erased).
  Result<std::string> ErasedContentTag(const std::string& content_sha256, bool create);
  // Whether an erasure recorded this content (gov_erased_content). Errors: the key store's.
  Result<bool> IsPreviouslyErased(const std::string& content_sha256);

  // Decrypted opt-out templates (request reference, embedding).
  Result<std::vector<std::pair<std::string, Embedding>>> OptOutTemplates();
  // True when `embedding` matches an opt-out template at kOptOutThreshold.
  Result<bool> IsOptedOut(std::span<const float> embedding);

 private:
  explicit Governance(engine::Engine& engine) : engine_(engine) {}
  engine::Engine& engine_;
  std::unique_ptr<privacy::AuditLog> audit_;
  std::shared_ptr<privacy::KeyStore> keys_;  // the engine's (it seals the catalog's embeddings)
  std::unique_ptr<GovStore> store_;
};

// The single face of a probe photo: InvalidArgument when it has none, or several unless `largest`
// (then the largest). Returns the analysed probe with exactly one face.
Result<engine::SearchResponse> SingleFaceProbe(engine::Engine& engine,
                                               std::span<const uint8_t> bytes, bool largest);

// Every held face (searchable or not) scoring at least `threshold` against `embedding`, best first,
// as (face id, score). Scans the catalog (exhaustive: not limited to an index's top-k).
Result<std::vector<std::pair<int64_t, float>>> HeldFacesMatching(engine::Engine& engine,
                                                                 std::span<const float> embedding,
                                                                 float threshold);

}  // namespace likeness::governance
