// The catalog: SQLite (WAL mode, versioned migrations) holding sources -> images -> faces, with
// provenance on every face. The single source of truth; indexes are derived from it.
//
// Storage and durability: one SQLite file (plus its -wal and -shm files) in WAL mode with
// synchronous=NORMAL, foreign_keys=ON and a 5 s busy timeout. A call that returned OK has
// committed: its data survives the process being killed (kill -9) at any later moment. On power
// loss or an OS crash the last few commits may be lost, but the database stays consistent
// (WAL+NORMAL never corrupts). Other processes may open the same file; writers wait up to the busy
// timeout for each other.
//
// Errors common to every call: IOError when the file system or SQLite fails (including a lock not
// obtained within the busy timeout), Corruption when stored data fails a check.
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
// "folder", "archive", "manifest", "upload" (as stored in the catalog).
std::string_view SourceKindName(SourceKind kind);
// Inverse of SourceKindName; InvalidArgument for any other string.
Result<SourceKind> ParseSourceKind(std::string_view name);

// The schema version this build creates and understands (the number of migrations it ships).
int LatestSchemaVersion();

// The tenant every source belongs to unless it names another: the operator's own organisation, and
// the owner of every source created before tenants existed (schema version 2).
inline constexpr std::string_view kDefaultTenant = "default";

struct SourceRecord {
  int64_t id = 0;    // assigned by the catalog
  std::string name;  // unique
  SourceKind kind = SourceKind::kFolder;
  std::string location;        // folder path, archive path, manifest path or "upload"
  std::string collector;       // who collected / declared it
  std::string legal_basis;     // GDPR Art. 6 basis, e.g. "art6-1-e" (validated by the caller)
  std::string art9_condition;  // GDPR Art. 9(2) condition for biometric data, e.g. "art9-2-g"
  std::string jurisdiction;    // ISO 3166-1 alpha-2, upper case
  std::string retain_until;    // ISO date YYYY-MM-DD or empty (no limit set on the source)
  std::string created_at;      // ISO 8601 UTC, set by the catalog
  std::string tenant;          // the organisation that owns it; empty on create = kDefaultTenant
  // What the organisation publishes about the source (shown to the public self-check); may be
  // empty. At most kMaxPublicDescription characters.
  std::string public_description;
};
inline constexpr size_t kMaxPublicDescription = 500;

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
  std::string ingested_at;  // set by the catalog
  // Set for a video (format "mp4", "mov", "mkv", "webm" or "avi"): its decoded length in seconds.
  // Absent for a photo. A video is one image record: its content hash and provenance are the
  // file's; its faces carry FaceRecord::video.
  std::optional<double> duration_s;
  bool is_video() const { return duration_s.has_value(); }
};

// Where in a video a face was seen (schema version 4). Tracks are numbered 1, 2, ... per video; the
// faces of one track are one person as the tracker linked them (never two faces of one frame).
struct VideoMoment {
  double time_offset_s = 0;  // the sampled frame this face was taken from
  int64_t track_id = 0;
  double track_first_s = 0;  // the track's first and last detection
  double track_last_s = 0;
};

struct FaceRecord {
  int64_t id = 0;
  int64_t image_id = 0;
  BoxF box;
  FivePoints points{};
  FaceQuality quality;
  bool searchable = true;            // false when quality is below the floor
  std::string model_id;              // manifest id of the embedding model
  Embedding embedding;               // kEmbeddingDim floats, L2-normalised
  std::optional<VideoMoment> video;  // set for a face of a video
};

struct FaceWithProvenance {
  FaceRecord face;  // embedding left empty unless asked for
  ImageRecord image;
  SourceRecord source;
};

struct BatchRecord {
  int64_t id = 0;
  int64_t source_id = 0;
  std::string started_at;
  std::string finished_at;  // empty while running or after a crash
  int64_t images = 0, faces = 0, errors = 0, skipped = 0;
};

// An organisation this instance serves. Its keys see only its own sources and those shared to it.
struct TenantRecord {
  std::string name;        // 1-64 characters of [A-Za-z0-9._@-]
  std::string created_at;  // set by the catalog
};

// A grant of read access (search, provenance, images, crops) to one source for another tenant.
// Revoked grants stay as history (revoked_* set).
struct ShareRecord {
  int64_t id = 0;
  int64_t source_id = 0;
  std::string tenant;       // the grantee
  std::string legal_basis;  // why the grantee may process this source's faces
  std::string reference;    // the case, agreement or request it serves
  std::string granted_by, granted_at;
  std::string revoked_by, revoked_at, revoke_reason;  // empty while active
  bool active() const { return revoked_at.empty(); }
};

// True for 1-64 characters of [A-Za-z0-9._@-] (the same alphabet as API key names and tenants).
bool IsValidTenantName(std::string_view name);

struct CatalogStats {
  int64_t sources = 0, images = 0, faces = 0, searchable_faces = 0, batches = 0, errors = 0;
  std::string model_id;  // empty until the first face is stored
  int schema_version = 0;
};

// Thread safety: one Catalog may be used from several threads; calls are serialised internally.
class Catalog {
 public:
  // Opens or creates the database (creating the parent folder if needed), enables WAL and foreign
  // keys, and applies pending migrations.
  // Errors: Corruption if the file is not a SQLite database; FailedPrecondition if its schema is
  // newer than this build (LatestSchemaVersion()) or it is some other application's database;
  // IOError if the folder or file cannot be created or opened.
  static Result<std::unique_ptr<Catalog>> Open(const std::filesystem::path& db_path);
  virtual ~Catalog() = default;

  // The schema version of the open database (== LatestSchemaVersion() after a successful Open).
  virtual int SchemaVersion() const = 0;

  // Sources. CreateSource assigns id and created_at and returns the stored record.
  // InvalidArgument unless name and legal_basis are non-empty, jurisdiction is two upper-case ASCII
  // letters and retain_until is empty or shaped YYYY-MM-DD (whether the basis code, country and
  // date are acceptable is the privacy module's call). AlreadyExists for a taken name.
  virtual Result<SourceRecord> CreateSource(const SourceRecord& source) = 0;
  // NotFound if absent.
  virtual Result<SourceRecord> GetSource(int64_t id) = 0;
  virtual Result<SourceRecord> GetSourceByName(const std::string& name) = 0;
  // In id order.
  virtual Result<std::vector<SourceRecord>> ListSources() = 0;

  // Ingest batches. BeginBatch: NotFound for an unknown source. FinishBatch stores totals.images,
  // faces, errors and skipped for batch totals.id and stamps finished_at (totals.source_id,
  // started_at and finished_at are ignored): NotFound for an unknown batch, FailedPrecondition if
  // it was already finished, InvalidArgument for negative counts. RecordIngestError: NotFound for
  // an unknown batch.
  virtual Result<int64_t> BeginBatch(int64_t source_id) = 0;
  virtual Status FinishBatch(const BatchRecord& totals) = 0;
  virtual Status RecordIngestError(int64_t batch_id, const std::string& path,
                                   const std::string& message) = 0;
  // NotFound if absent. finished_at is empty while the batch runs, or if the ingest died.
  virtual Result<BatchRecord> GetBatch(int64_t id) = 0;

  // Images. FindImageByHash returns the id of an image with these bytes, if held.
  virtual Result<std::optional<int64_t>> FindImageByHash(const std::string& content_hash) = 0;
  // NotFound if absent.
  virtual Result<ImageRecord> GetImage(int64_t id) = 0;

  // Stores an image and all its faces in one transaction: either everything is committed or
  // nothing. On success fills in image.id, image.ingested_at, faces[i].id and faces[i].image_id; on
  // failure leaves both arguments untouched. image.batch_id 0 means "no batch". InvalidArgument for
  // an empty content hash, a negative size, an embedding whose size is not kEmbeddingDim, a
  // non-finite embedding, box, point or quality value, or an empty model_id (see validation.h).
  // AlreadyExists if the content hash is already held. FailedPrecondition if a face's model_id
  // differs from the catalog's model (or from another face's in the same call). NotFound if
  // image.source_id or a non-zero image.batch_id does not exist. With at least one face, the
  // generation is bumped and, for the catalog's first face, its model_id becomes the catalog's
  // model.
  virtual Status AddImageWithFaces(ImageRecord& image, std::vector<FaceRecord>& faces) = 0;

  // NotFound if absent. Without with_embedding, FaceRecord::embedding is left empty.
  virtual Result<FaceRecord> GetFace(int64_t id, bool with_embedding) = 0;
  // In face id order; NotFound if the image does not exist (an image without faces gives an empty
  // list).
  virtual Result<std::vector<FaceRecord>> GetFacesOfImage(int64_t image_id,
                                                          bool with_embedding) = 0;
  // Missing ids are omitted from the result; order follows `ids`, one entry per occurrence of an
  // id. Embeddings are left empty. Any number of ids (they are looked up in chunks).
  virtual Result<std::vector<FaceWithProvenance>> GetFacesWithProvenance(
      std::span<const int64_t> ids) = 0;

  // Visits every face's embedding in id order (for index rebuilds and re-embedding), streaming from
  // one statement (one row in memory at a time) over a consistent snapshot. The span is valid only
  // during the call. The callback returns false to stop early. It must not call this Catalog: the
  // catalog is locked for the whole walk (other threads' calls wait until it ends).
  virtual Status ForEachEmbedding(const std::function<bool(int64_t face_id, bool searchable,
                                                           std::span<const float>)>& visit) = 0;

  // Replaces a face's embedding and model (used by reembed) and bumps the generation. The catalog's
  // model switches when every face carries the new model id (checked here and in DeleteFaces).
  // InvalidArgument for a wrong embedding size or an empty model_id; NotFound for an unknown face.
  virtual Status UpdateEmbedding(int64_t face_id, const std::string& model_id,
                                 std::span<const float> embedding) = 0;

  // Deletes faces (and nothing else) in one transaction. Returns the ids actually deleted, in the
  // order given (unknown and repeated ids are skipped). Bumps the generation once if any was
  // deleted.
  virtual Result<std::vector<int64_t>> DeleteFaces(std::span<const int64_t> face_ids) = 0;

  // Increments on every change to the set of faces or their embeddings; persisted. An index saved
  // with an older generation is stale.
  virtual Result<uint64_t> Generation() = 0;

  // The embedding model every face in the catalog carries (empty until the first face).
  virtual Result<std::string> ModelId() = 0;

  // The index kind configured for this catalog (`likeness index set`), e.g. "HNSW32" or
  // "IVF4096,PQ64,rerank=fp16"; empty when none is (the engine then uses its default). Stored in
  // the catalog so every process opening it uses the same kind. Catalogs that cannot store it
  // report none and refuse to set it (Unsupported).
  virtual Result<std::string> IndexKind() { return std::string(); }
  virtual Status SetIndexKind(const std::string& /*kind*/) {
    return Status::Unsupported("this catalog cannot store an index kind");
  }

  // Counts taken from one consistent snapshot.
  virtual Result<CatalogStats> Stats() = 0;

  // Tenants. CreateTenant: InvalidArgument for a bad name, AlreadyExists. ListTenants by name.
  virtual Result<TenantRecord> CreateTenant(const std::string& name) = 0;
  virtual Result<std::vector<TenantRecord>> ListTenants() = 0;
  // Shares. ShareSource stores grant.source_id, tenant, legal_basis, reference and granted_by and
  // stamps granted_at. NotFound for an unknown source or tenant; InvalidArgument for an empty
  // basis, reference or granted_by, or a grant to the source's own tenant; AlreadyExists while an
  // active grant for the same (source, tenant) exists. UnshareSource revokes that active grant and
  // returns it: NotFound when there is none.
  virtual Result<ShareRecord> ShareSource(const ShareRecord& grant) = 0;
  virtual Result<ShareRecord> UnshareSource(int64_t source_id, const std::string& tenant,
                                            const std::string& revoked_by,
                                            const std::string& reason) = 0;
  // By id; revoked grants only when asked.
  virtual Result<std::vector<ShareRecord>> ListShares(bool include_revoked) = 0;
  // The ids of the sources `tenant` owns and those actively shared to it, ascending.
  virtual Result<std::vector<int64_t>> VisibleSourceIds(const std::string& tenant) = 0;
  // Stats over the given sources only (sources, images, faces, searchable faces, batches, ingest
  // errors), from one snapshot; model_id and schema_version as Stats().
  virtual Result<CatalogStats> StatsOfSources(std::span<const int64_t> source_ids) = 0;

  // Runs SQLite's integrity_check and foreign_key_check; Corruption (naming the first problems) if
  // either reports anything. Reads the whole file: for maintenance commands, not hot paths.
  virtual Status CheckIntegrity() = 0;
};

}  // namespace likeness::catalog
