// Ingest: declared source -> files -> decode -> analyse -> catalog (one transaction per image) ->
// index.
//
// Crash safety: each image and its faces commit atomically; images are deduplicated by content
// hash, so re-running an interrupted ingest skips what is done and duplicates nothing. The index is
// saved at the end; after a crash it is stale and is rebuilt from the catalog on the next open.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "engine/engine.h"
#include "engine/video_ingest.h"
#include "sources/item_source.h"

namespace likeness::engine {

struct SourceDeclaration {
  std::string name;
  std::string legal_basis;     // Art. 6(1) code, e.g. "art6-1-e"
  std::string art9_condition;  // Art. 9(2) code, e.g. "art9-2-g"
  std::string jurisdiction;    // ISO 3166-1 alpha-2
  std::string retain_until;    // YYYY-MM-DD or empty
  std::string collector;
  catalog::SourceKind kind = catalog::SourceKind::kFolder;
  std::string location;
  std::string tenant;  // the owning organisation; empty = catalog::kDefaultTenant
  // What the organisation publishes about the source (the public self-check shows it); optional,
  // at most catalog::kMaxPublicDescription characters.
  std::string public_description;
};

// Checks a declaration without a catalog: name, GDPR Art. 6(1) basis and Art. 9(2) condition
// (either in legal_basis as "art6-1-e,art9-2-g" or apart), country, retention date; returns it
// normalised. InvalidArgument names what is missing or wrong.
Result<SourceDeclaration> ValidateDeclaration(SourceDeclaration declaration);

// Validates the declaration (ValidateDeclaration) and returns the stored source:
// created if new; if a source of that name exists its basis, condition and jurisdiction must match
// (FailedPrecondition otherwise: a source's legal footing is not changed by a later ingest), and so
// must its tenant (FailedPrecondition: one organisation never adds to another's source).
Result<catalog::SourceRecord> DeclareSource(catalog::Catalog& catalog,
                                            SourceDeclaration declaration);

struct IngestProgress {
  int64_t total = 0;  // items found (files, archive entries, manifest rows)
  int64_t done = 0;   // items processed (stored, skipped or failed)
  int64_t images = 0, faces = 0, skipped = 0, errors = 0;
  double seconds = 0;
  // Videos (each counts as one image when stored): totals over every video analysed so far, the
  // ones in progress included. Real-time factor = video_seconds / video_wall_seconds; ETA of the
  // videos in progress = video_pending_seconds / real-time factor.
  int64_t videos = 0;                // videos started
  int64_t video_frames = 0;          // frames decoded
  double video_seconds = 0;          // video time decoded
  double video_wall_seconds = 0;     // wall time spent on videos (summed over workers)
  double video_pending_seconds = 0;  // declared duration not yet decoded, videos in progress
  int64_t video_faces = 0;           // detections on sampled frames
  int64_t video_tracks = 0;
};

struct IngestOptions {
  int jobs = 0;  // worker threads; 0 = hardware concurrency
  // Faces per embedding forward pass, gathered across images. > 0: a worker that has detected and
  // aligned an image's faces queues them; whichever worker brings the queue to this many faces
  // embeds the whole queue (in passes of at most this many faces) and commits those images, so
  // detection of some images and embedding of others share the cores with no thread of their own
  // and no more than about jobs x (embed_batch + one image's faces) crops held. 0 = each worker
  // embeds its own image's faces (in passes of engine.options().analyze.embed_batch) and commits
  // it. Results are the same either way (within float rounding).
  int embed_batch = 0;
  // Video files (sampling, limits, tracker, best K per track).
  VideoOptions video;
  // Called from a worker after each item with its location (a file path, "ARCHIVE!/entry" or a
  // manifest row's location) and an error (if any); may be empty.
  std::function<void(const std::string& location, const Status&)> on_file;
  // Called about every 200 ms from a monitor thread while the ingest runs, and once at the end.
  std::function<void(const IngestProgress&)> on_progress;
  // Set to true (e.g. from a signal handler) to stop after the images in flight.
  std::atomic<bool>* cancel = nullptr;
};

struct IngestSummary {
  int64_t batch_id = 0;
  IngestProgress totals;
  bool cancelled = false;
};

// Hooks a governance layer installs on the engine (Engine::set_ingest_policy) so that every ingest,
// whoever starts it (CLI or server), obeys the policy. Methods may be called from several worker
// threads at once and must be thread safe.
class IngestPolicy {
 public:
  virtual ~IngestPolicy() = default;
  // Called before a batch begins; a non-OK status refuses the whole ingest (nothing is stored) and
  // is returned by Ingest (e.g. FailedPrecondition for a blocked jurisdiction).
  virtual Status AdmitSource(const catalog::SourceRecord& source) = 0;
  // True to drop a detected face before it is stored (e.g. it matches an opt-out template).
  virtual bool DropFace(std::span<const float> embedding) = 0;
  // Called once after the batch was finished and the index saved (e.g. to audit it).
  virtual void BatchFinished(const catalog::SourceRecord& source, const IngestSummary& summary) = 0;
};

// Lists image files under the given paths (folders recursively, in sorted order; files as given;
// hidden files skipped). NotFound for a path that does not exist.
Result<std::vector<std::filesystem::path>> EnumerateFiles(
    const std::vector<std::filesystem::path>& paths);

// Ingests the items into the source. Each image commits on its own (Engine::StoreImage) as soon as
// its faces are embedded, whatever the batching; progress and on_file count an item when it is
// committed, skipped or failed; on cancel the images already analysed are still embedded and
// committed before Ingest returns. Bad items (unreadable or non-image files, refused or damaged
// archive entries, missing manifest files) are recorded as errors and skipped, never fatal. Items
// are pulled from `items` one at a time under a lock, so at most `jobs` items' bytes and pixels are
// in memory (plus, with embed_batch > 0, the 112x112 crops and records of the queued images). An
// item with a manifest retain_until is refused (FailedPrecondition) unless the source's own limit
// is the same or earlier: images carry no retention date of their own yet.
Result<IngestSummary> Ingest(Engine& engine, const catalog::SourceRecord& source,
                             sources::ItemSource& items, const IngestOptions& options);

// Ingests files (as listed by EnumerateFiles).
Result<IngestSummary> Ingest(Engine& engine, const catalog::SourceRecord& source,
                             const std::vector<std::filesystem::path>& files,
                             const IngestOptions& options);

}  // namespace likeness::engine
