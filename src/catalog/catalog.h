// The catalog: SQLite (WAL mode, versioned migrations) holding sources -> images -> faces, with
// provenance on every face. The single source of truth; indexes are derived from it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "likeness/status.h"
#include "likeness/types.h"

namespace likeness::catalog {

enum class SourceKind { kFolder, kArchive, kManifest, kUpload };
std::string_view SourceKindName(SourceKind kind);
Result<SourceKind> ParseSourceKind(std::string_view name);

struct SourceRecord {
  int64_t id = 0;               // assigned by the catalog
  std::string name;             // unique
  SourceKind kind = SourceKind::kFolder;
  std::string location;         // folder path, archive path, manifest path or "upload"
  std::string collector;        // who collected / declared it
  std::string legal_basis;      // GDPR Art. 6 basis, e.g. "art6-1-e" (validated by the caller)
  std::string art9_condition;   // GDPR Art. 9(2) condition for biometric data, e.g. "art9-2-g"
  std::string jurisdiction;     // ISO 3166-1 alpha-2, upper case
  std::string retain_until;     // ISO date YYYY-MM-DD or empty (no limit set on the source)
  std::string created_at;       // ISO 8601 UTC, set by the catalog
};

struct ImageRecord {
  int64_t id = 0;
  int64_t source_id = 0;
  int64_t batch_id = 0;
  std::string content_hash;  // sha256 hex of the file bytes; unique across the catalog
  std::string path;          // where it was read from
  std::string format;        // "jpeg", "png", ...
  int width = 0;
  int height = 0;
  int64_t bytes = 0;
  std::string ingested_at;   // set by the catalog
};

struct FaceRecord {
  int64_t id = 0;
  int64_t image_id = 0;
  BoxF box;
  FivePoints points{};
  FaceQuality quality;
  bool searchable = true;    // false when quality is below the floor
  std::string model_id;      // manifest id of the embedding model
  Embedding embedding;       // kEmbeddingDim floats, L2-normalised
};

struct FaceWithProvenance {
  FaceRecord face;           // embedding left empty unless asked for
  ImageRecord image;
  SourceRecord source;
};

struct BatchRecord {
  int64_t id = 0;
  int64_t source_id = 0;
  std::string started_at;
  std::string finished_at;   // empty while running or after a crash
  int64_t images = 0, faces = 0, errors = 0, skipped = 0;
};

struct CatalogStats {
  int64_t sources = 0, images = 0, faces = 0, searchable_faces = 0, batches = 0, errors = 0;
  std::string model_id;      // empty until the first face is stored
  int schema_version = 0;
};

// Thread safety: one Catalog may be used from several threads; calls are serialised internally.
class Catalog {
 public:
  // Opens or creates the database, enables WAL and foreign keys, and applies pending migrations.
  static Result<std::unique_ptr<Catalog>> Open(const std::filesystem::path& db_path);
  virtual ~Catalog() = default;

  virtual int SchemaVersion() const = 0;

  // Sources. CreateSource fails with AlreadyExists for a taken name.
  virtual Result<SourceRecord> CreateSource(const SourceRecord& source) = 0;
  virtual Result<SourceRecord> GetSource(int64_t id) = 0;
  virtual Result<SourceRecord> GetSourceByName(const std::string& name) = 0;
  virtual Result<std::vector<SourceRecord>> ListSources() = 0;

  // Ingest batches.
  virtual Result<int64_t> BeginBatch(int64_t source_id) = 0;
  virtual Status FinishBatch(const BatchRecord& totals) = 0;
  virtual Status RecordIngestError(int64_t batch_id, const std::string& path,
                                   const std::string& message) = 0;

  // Images. FindImageByHash returns the id of an image with these bytes, if held.
  virtual Result<std::optional<int64_t>> FindImageByHash(const std::string& content_hash) = 0;
  virtual Result<ImageRecord> GetImage(int64_t id) = 0;

  // Stores an image and all its faces in one transaction: either everything is committed or nothing.
  // Fills in the ids (image.id, faces[i].id). AlreadyExists if the content hash is already held.
  // FailedPrecondition if a face's model_id differs from the catalog's model.
  virtual Status AddImageWithFaces(ImageRecord& image, std::vector<FaceRecord>& faces) = 0;

  virtual Result<FaceRecord> GetFace(int64_t id, bool with_embedding) = 0;
  virtual Result<std::vector<FaceRecord>> GetFacesOfImage(int64_t image_id, bool with_embedding) = 0;
  // Missing ids are omitted from the result; order follows `ids`.
  virtual Result<std::vector<FaceWithProvenance>> GetFacesWithProvenance(
      std::span<const int64_t> ids) = 0;

  // Visits every face's embedding in id order (for index rebuilds and re-embedding).
  // The callback returns false to stop early.
  virtual Status ForEachEmbedding(
      const std::function<bool(int64_t face_id, bool searchable, std::span<const float>)>& visit) = 0;

  // Replaces a face's embedding and model (used by reembed). The catalog's model switches when every
  // face carries the new model id.
  virtual Status UpdateEmbedding(int64_t face_id, const std::string& model_id,
                                 std::span<const float> embedding) = 0;

  // Deletes faces (and nothing else). Returns the ids actually deleted.
  virtual Result<std::vector<int64_t>> DeleteFaces(std::span<const int64_t> face_ids) = 0;

  // Increments on every change to the set of faces or their embeddings; persisted. An index saved with
  // an older generation is stale.
  virtual Result<uint64_t> Generation() = 0;

  // The embedding model every face in the catalog carries (empty until the first face).
  virtual Result<std::string> ModelId() = 0;

  virtual Result<CatalogStats> Stats() = 0;
};

}  // namespace likeness::catalog
