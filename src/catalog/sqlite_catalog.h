// SqliteCatalog: the Catalog over one SQLite connection. See catalog.h for the contract.
//
// Thread safety: every public call takes mu_, so calls from several threads are serialised on the
// one connection. Other processes may use the same file (SQLite's file locks and the busy timeout
// apply).
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "catalog/catalog.h"
#include "catalog/embedding_codec.h"
#include "catalog/sqlite_db.h"

namespace likeness::catalog {

class SqliteCatalog final : public Catalog {
 public:
  // Connection settings (see catalog.h, "Storage and durability").
  static constexpr int kBusyTimeoutMs = 5000;
  // Ids per statement in GetFacesWithProvenance; well below SQLite's bound-parameter limit (999 in
  // old builds, 32766 since 3.32).
  static constexpr size_t kLookupChunk = 500;

  // `codec` may be null (plaintext embeddings); see embedding_codec.h.
  static Result<std::unique_ptr<Catalog>> Open(const std::filesystem::path& db_path,
                                               std::shared_ptr<EmbeddingCodec> codec = nullptr);

  int SchemaVersion() const override { return schema_version_; }

  Result<SourceRecord> CreateSource(const SourceRecord& source) override;
  Result<SourceRecord> GetSource(int64_t id) override;
  Result<SourceRecord> GetSourceByName(const std::string& name) override;
  Result<std::vector<SourceRecord>> ListSources() override;

  Result<int64_t> BeginBatch(int64_t source_id) override;
  Status FinishBatch(const BatchRecord& totals) override;
  Status RecordIngestError(int64_t batch_id, const std::string& path,
                           const std::string& message) override;
  Result<BatchRecord> GetBatch(int64_t id) override;
  // sqlite_catalog_batches.cc
  Result<std::vector<BatchRecord>> ListBatches(int64_t source_id, int64_t limit) override;
  Result<std::vector<IngestErrorRecord>> ListIngestErrors(int64_t batch_id, int64_t limit) override;

  Result<std::optional<int64_t>> FindImageByHash(const std::string& content_hash) override;
  Result<ImageRecord> GetImage(int64_t id) override;
  Status AddImageWithFaces(ImageRecord& image, std::vector<FaceRecord>& faces) override;

  Result<FaceRecord> GetFace(int64_t id, bool with_embedding) override;
  Result<std::vector<FaceRecord>> GetFacesOfImage(int64_t image_id, bool with_embedding) override;
  Result<std::vector<FaceWithProvenance>> GetFacesWithProvenance(
      std::span<const int64_t> ids) override;
  Status ForEachEmbedding(
      const std::function<bool(int64_t, bool, std::span<const float>)>& visit) override;
  Status UpdateEmbedding(int64_t face_id, const std::string& model_id,
                         std::span<const float> embedding) override;
  Result<std::vector<int64_t>> DeleteFaces(std::span<const int64_t> face_ids) override;

  Result<uint64_t> Generation() override;
  Result<bool> ChangedElsewhere() override;
  void MarkGenerationSeen(uint64_t generation) override;
  Result<std::string> ModelId() override;
  Result<std::string> IndexKind() override;
  Status SetIndexKind(const std::string& kind) override;
  Result<CatalogStats> Stats() override;
  Status CheckIntegrity() override;

  // sqlite_catalog_tenants.cc
  Result<TenantRecord> CreateTenant(const std::string& name) override;
  Result<std::vector<TenantRecord>> ListTenants() override;
  Result<ShareRecord> ShareSource(const ShareRecord& grant) override;
  Result<ShareRecord> UnshareSource(int64_t source_id, const std::string& tenant,
                                    const std::string& revoked_by,
                                    const std::string& reason) override;
  Result<std::vector<ShareRecord>> ListShares(bool include_revoked) override;
  Result<std::vector<int64_t>> VisibleSourceIds(const std::string& tenant) override;
  Result<CatalogStats> StatsOfSources(std::span<const int64_t> source_ids) override;

 private:
  SqliteCatalog(std::unique_ptr<sqlite::Db> db, int schema_version,
                std::shared_ptr<EmbeddingCodec> codec)
      : db_(std::move(db)), schema_version_(schema_version), codec_(std::move(codec)) {}

  // The codec's blob for an embedding of a face of `source_id`, or nullopt without a codec.
  Result<std::optional<std::vector<uint8_t>>> SealLocked(int64_t source_id,
                                                         std::span<const float> embedding);
  // Seals every plaintext row (codec set); checkpoints and vacuums if any was sealed.
  Status SealPlaintextRowsLocked();

  // The helpers below REQUIRE mu_ held.
  Result<std::optional<int64_t>> FindImageByHashLocked(const std::string& content_hash);
  Result<std::string> ModelIdLocked();
  Status BumpGenerationLocked();
  Status SetModelIdLocked(const std::string& model_id);
  // Makes meta.model_id the faces' model once every face carries the same one (end of a re-embed).
  Status SyncModelIdLocked();
  // Looks up one chunk of ids and adds what it finds to `found`.
  Status LookupProvenanceLocked(std::span<const int64_t> ids,
                                std::unordered_map<int64_t, FaceWithProvenance>& found);

  std::mutex mu_;
  const std::unique_ptr<sqlite::Db> db_;  // guarded by mu_
  const int schema_version_;
  const std::shared_ptr<EmbeddingCodec> codec_;
  // The generation this object last saw or made (guarded by mu_); set when a bump finds the stored
  // generation elsewhere than it left it.
  std::optional<uint64_t> known_generation_;
  bool changed_elsewhere_ = false;
};

}  // namespace likeness::catalog
