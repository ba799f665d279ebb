#include "engine/ingest.h"

#include <algorithm>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

#include "common/hash.h"
#include "privacy/legal.h"
#include "sources/sources.h"
#include "vision/embed_queue.h"

namespace likeness::engine {
namespace fs = std::filesystem;

Result<SourceDeclaration> ValidateDeclaration(SourceDeclaration d) {
  if (d.name.empty()) return Status::InvalidArgument("a source name is required (--source)");
  if (d.legal_basis.empty()) {
    return Status::InvalidArgument("a legal basis is required (--basis, e.g. art6-1-e,art9-2-g)");
  }
  if (d.jurisdiction.empty()) {
    return Status::InvalidArgument(
        "a jurisdiction is required (--jurisdiction, ISO 3166-1 alpha-2)");
  }
  // --basis may carry both parts: "art6-1-e,art9-2-g".
  if (auto comma = d.legal_basis.find(','); comma != std::string::npos) {
    if (d.art9_condition.empty()) d.art9_condition = d.legal_basis.substr(comma + 1);
    d.legal_basis = d.legal_basis.substr(0, comma);
  }
  ASSIGN_OR_RETURN(d.legal_basis, privacy::NormalizeLegalBasis(d.legal_basis));
  if (d.art9_condition.empty()) {
    return Status::InvalidArgument(
        "face embeddings are biometric data: name the GDPR Art. 9(2) condition too (e.g. --basis "
        "art6-1-e,art9-2-g or --condition art9-2-g)");
  }
  ASSIGN_OR_RETURN(d.art9_condition, privacy::NormalizeArt9Condition(d.art9_condition));
  ASSIGN_OR_RETURN(d.jurisdiction, privacy::NormalizeCountryCode(d.jurisdiction));
  if (!d.retain_until.empty()) {
    auto date = privacy::ParseDate(d.retain_until);
    if (!date.ok()) return date.status();
  }
  if (d.public_description.size() > catalog::kMaxPublicDescription) {
    return Status::InvalidArgument("a public description is at most " +
                                   std::to_string(catalog::kMaxPublicDescription) + " characters");
  }
  return d;
}

Result<catalog::SourceRecord> DeclareSource(catalog::Catalog& catalog, SourceDeclaration raw) {
  ASSIGN_OR_RETURN(SourceDeclaration d, ValidateDeclaration(std::move(raw)));
  auto existing = catalog.GetSourceByName(d.name);
  if (existing.ok()) {
    const auto& s = *existing;
    if (s.legal_basis != d.legal_basis || s.art9_condition != d.art9_condition ||
        s.jurisdiction != d.jurisdiction) {
      return Status::FailedPrecondition("source '" + d.name + "' is declared with basis " +
                                        s.legal_basis + "," + s.art9_condition + " in " +
                                        s.jurisdiction + "; use another source name");
    }
    const std::string tenant = d.tenant.empty() ? std::string(catalog::kDefaultTenant) : d.tenant;
    if (s.tenant != tenant) {
      return Status::FailedPrecondition("source '" + d.name +
                                        "' belongs to another tenant; use another source name");
    }
    return s;
  }
  if (existing.status().code() != StatusCode::kNotFound) return existing.status();
  catalog::SourceRecord record;
  record.name = d.name;
  record.kind = d.kind;
  record.location = d.location;
  record.collector = d.collector;
  record.legal_basis = d.legal_basis;
  record.art9_condition = d.art9_condition;
  record.jurisdiction = d.jurisdiction;
  record.retain_until = d.retain_until;
  record.tenant = d.tenant;
  record.public_description = d.public_description;
  return catalog.CreateSource(record);
}

Result<std::vector<fs::path>> EnumerateFiles(const std::vector<fs::path>& paths) {
  return sources::ListFiles(paths);
}

namespace {

struct SharedState {
  std::mutex mu;
  IngestProgress progress;
};

// A manifest row's retain_until can only be honoured by a source whose own limit is no later.
Status CheckRowRetention(const catalog::SourceRecord& source, const std::string& retain_until) {
  if (retain_until.empty()) return Status::Ok();
  if (!source.retain_until.empty() && source.retain_until <= retain_until) return Status::Ok();
  return Status::FailedPrecondition(
      "row retain_until " + retain_until + " is earlier than source '" + source.name +
      "' keeps its images (" + (source.retain_until.empty() ? "no limit" : source.retain_until) +
      "); images hold no retention date of their own: ingest such rows into a source declared "
      "with --retain-until " +
      retain_until);
}

// An item read, decoded and analysed up to its embeddings: everything needed to commit it.
struct PreparedImage {
  std::string location;
  catalog::ImageRecord record;
  double scale = 1.0;  // decoded pixels per original pixel
  vision::AlignedFaces faces;
};

// Reads, hashes, dedups, decodes and detects/aligns one item. Returns the status to record (OK, or
// the reason it was skipped as an error); *skipped when the bytes are already held or were erased
// (nothing to commit; *erased in the second case); otherwise *out is ready for embedding.
// item.bytes is released.
Status PrepareOne(Engine& engine, vision::FaceAnalyzer& analyzer,
                  const catalog::SourceRecord& source, int64_t batch_id,
                  const vision::AnalyzeOptions& analyze, sources::SourceItem& item,
                  PreparedImage* out, bool* skipped, bool* erased) {
  const EngineOptions& opt = engine.options();
  RETURN_IF_ERROR(item.status);
  RETURN_IF_ERROR(CheckRowRetention(source, item.retain_until));
  if (!item.file.empty()) {
    ASSIGN_OR_RETURN(item.bytes, imageio::ReadFileBytes(item.file, opt.max_file_bytes));
    if (sources::LooksLikeArchive(item.bytes)) {
      return Status::Unsupported(
          "an archive found in a folder or manifest is not opened: name it on the command line");
    }
  } else if (item.bytes.size() > opt.max_file_bytes) {
    return Status::ResourceExhausted("over the " + std::to_string(opt.max_file_bytes) +
                                     "-byte limit per image");
  }
  const std::vector<uint8_t> bytes = std::move(item.bytes);
  item.bytes = {};
  const std::string hash = Sha256Hex(bytes);
  ASSIGN_OR_RETURN(std::optional<int64_t> held, engine.catalog().FindImageByHash(hash));
  if (held) {
    *skipped = true;
    return Status::Ok();
  }
  if (IngestPolicy* policy = engine.ingest_policy(); policy && policy->PreviouslyErased(hash)) {
    *skipped = true;  // erased before: never decoded, never stored again
    *erased = true;
    return Status::Ok();
  }
  ASSIGN_OR_RETURN(imageio::DecodedImage image, imageio::DecodeImage(bytes, opt.decode));
  ASSIGN_OR_RETURN(out->faces, analyzer.DetectAndAlign(image.bgr, analyze));

  catalog::ImageRecord& record = out->record;
  record.source_id = source.id;
  record.batch_id = batch_id;
  record.content_hash = hash;
  record.path = item.location;
  record.format = std::string(imageio::FormatName(image.format));
  record.width = image.original_width;
  record.height = image.original_height;
  record.bytes = static_cast<int64_t>(bytes.size());
  out->location = item.location;
  out->scale = image.scale;
  return Status::Ok();
}

// Commits one embedded image (its faces less those the policy drops) in one transaction.
// *stored_faces is set to the faces committed; *skipped when another worker stored the same bytes
// first (content-hash dedup).
Status CommitOne(Engine& engine, PreparedImage& image, int64_t* stored_faces, bool* skipped) {
  std::vector<catalog::FaceRecord> rows;
  IngestPolicy* policy = engine.ingest_policy();
  for (auto& f : image.faces.faces) {
    if (policy && policy->DropFace(f.embedding)) continue;
    rows.push_back(engine.FaceRecordFor(std::move(f), image.scale));
  }
  Status added = engine.StoreImage(image.record, rows);
  if (added.code() == StatusCode::kAlreadyExists) {  // another worker stored the same bytes first
    *skipped = true;
    return Status::Ok();
  }
  RETURN_IF_ERROR(added);
  *stored_faces = static_cast<int64_t>(rows.size());
  return Status::Ok();
}

}  // namespace

Result<IngestSummary> Ingest(Engine& engine, const catalog::SourceRecord& source,
                             const std::vector<fs::path>& files, const IngestOptions& options) {
  auto items = sources::FileItems(files);
  return Ingest(engine, source, *items, options);
}

Result<IngestSummary> Ingest(Engine& engine, const catalog::SourceRecord& source,
                             sources::ItemSource& items, const IngestOptions& options) {
  const int jobs = std::max(
      1, options.jobs > 0 ? options.jobs : static_cast<int>(std::thread::hardware_concurrency()));
  std::vector<std::unique_ptr<vision::FaceAnalyzer>> analyzers;
  for (int i = 0; i < jobs; ++i) {
    ASSIGN_OR_RETURN(auto a, engine.NewAnalyzer());
    analyzers.push_back(std::move(a));
  }
  if (IngestPolicy* policy = engine.ingest_policy()) RETURN_IF_ERROR(policy->AdmitSource(source));
  ASSIGN_OR_RETURN(int64_t batch_id, engine.catalog().BeginBatch(source.id));
  if (IngestPolicy* policy = engine.ingest_policy()) {
    RETURN_IF_ERROR(policy->BatchStarted(source, batch_id, ""));
  }

  SharedState state;
  state.progress.total = items.size();
  std::mutex items_mu;  // serialises items.Next (an archive is read in order)
  std::atomic<bool> finished{false};
  const auto start = std::chrono::steady_clock::now();
  auto snapshot = [&]() {
    std::lock_guard lock(state.mu);
    IngestProgress p = state.progress;
    p.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return p;
  };

  vision::AnalyzeOptions analyze = engine.options().analyze;
  if (options.embed_batch > 0) analyze.embed_batch = options.embed_batch;
  vision::EmbedQueue<PreparedImage> queue(options.embed_batch);

  // Counts one finished item and reports it.
  auto finish = [&](const std::string& location, const Status& st, bool skipped, int64_t faces,
                    bool erased = false) {
    if (!st.ok()) (void)engine.catalog().RecordIngestError(batch_id, location, st.ToString());
    {
      std::lock_guard lock(state.mu);
      auto& p = state.progress;
      ++p.done;
      if (!st.ok()) {
        ++p.errors;
      } else if (skipped) {
        ++(erased ? p.previously_erased : p.skipped);
      } else {
        ++p.images;
        p.faces += faces;
      }
    }
    if (options.on_file) options.on_file(location, st);
  };
  auto commit = [&](PreparedImage& image) {
    int64_t faces = 0;
    bool skipped = false;
    Status st = CommitOne(engine, image, &faces, &skipped);
    finish(image.location, st, skipped, faces);
  };
  // Embeds the images' faces together and commits each image on its own; an embedding failure is
  // recorded against every image of the group.
  auto embed_and_commit = [&](vision::FaceAnalyzer& analyzer,
                              std::vector<std::unique_ptr<PreparedImage>> group) {
    if (group.empty()) return;
    std::vector<vision::AlignedFaces*> faces;
    for (auto& g : group) faces.push_back(&g->faces);
    Status st = analyze.embed ? analyzer.EmbedFaces(faces, analyze) : Status::Ok();
    for (auto& g : group) {
      g->faces.aligned = {};  // the crops are no longer needed
      if (st.ok()) {
        commit(*g);
      } else {
        finish(g->location, st, false, 0);
      }
    }
  };

  // A video: analysed and committed on its own (its faces are many, from one decode), its running
  // totals folded into the shared progress as it goes.
  VideoOptions video_options = options.video;
  video_options.cancel = options.cancel;
  auto ingest_video = [&](vision::FaceAnalyzer& analyzer, sources::SourceItem& item) {
    VideoProgress last;
    {
      std::lock_guard lock(state.mu);
      ++state.progress.videos;
    }
    auto fold = [&](const VideoProgress& now) {
      std::lock_guard lock(state.mu);
      auto& p = state.progress;
      p.video_frames += now.frames - last.frames;
      p.video_seconds += now.position_s - last.position_s;
      p.video_wall_seconds += now.wall_s - last.wall_s;
      p.video_pending_seconds += std::max(0.0, now.duration_s - now.position_s) -
                                 std::max(0.0, last.duration_s - last.position_s);
      p.video_faces += now.faces - last.faces;
      p.video_tracks += now.tracks - last.tracks;
      last = now;
    };
    int64_t faces = 0;
    bool skipped = false, erased = false;
    Status st = CheckRowRetention(source, item.retain_until);
    if (st.ok()) {
      st = IngestVideoItem(engine, analyzer, source, batch_id, analyze, video_options, item, fold,
                           &faces, &skipped, &erased);
    }
    VideoProgress done = last;  // nothing of this video is pending any more
    done.duration_s = done.position_s;
    fold(done);
    item.bytes = {};
    finish(item.location, st, skipped, faces, erased);
  };

  auto worker = [&](vision::FaceAnalyzer* analyzer) {
    while (!(options.cancel && options.cancel->load())) {
      sources::SourceItem item;
      {
        std::lock_guard lock(items_mu);
        if (!items.Next(&item)) break;
      }
      if (IsVideoItem(item)) {
        ingest_video(*analyzer, item);
        continue;
      }
      auto image = std::make_unique<PreparedImage>();
      bool skipped = false, erased = false;
      Status st = PrepareOne(engine, *analyzer, source, batch_id, analyze, item, image.get(),
                             &skipped, &erased);
      item.bytes = {};  // release the image before waiting for the next item
      if (!st.ok() || skipped) {
        finish(item.location, st, skipped, 0, erased);
      } else if (image->faces.faces.empty()) {
        commit(*image);  // nothing to embed
      } else if (options.embed_batch <= 0) {
        std::vector<std::unique_ptr<PreparedImage>> one;
        one.push_back(std::move(image));
        embed_and_commit(*analyzer, std::move(one));
      } else {
        embed_and_commit(*analyzer, queue.Add(std::move(image)));
      }
    }
    // Out of items (or cancelled): embed and commit what is queued, this worker's images included.
    embed_and_commit(*analyzer, queue.TakeAll());
  };

  std::thread monitor;
  if (options.on_progress) {
    monitor = std::thread([&]() {
      while (!finished.load()) {
        options.on_progress(snapshot());
        for (int t = 0; t < 4 && !finished.load(); ++t) {
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
      }
    });
  }
  {
    std::vector<std::jthread> threads;
    for (auto& a : analyzers) threads.emplace_back(worker, a.get());
  }
  finished.store(true);
  if (monitor.joinable()) monitor.join();
  if (!(options.cancel && options.cancel->load())) {
    // The count made up front can overshoot (a damaged archive ends early): the items are done.
    std::lock_guard lock(state.mu);
    state.progress.total = state.progress.done;
  }

  IngestSummary summary;
  summary.batch_id = batch_id;
  summary.totals = snapshot();
  summary.cancelled = options.cancel && options.cancel->load();
  if (options.on_progress) options.on_progress(summary.totals);

  catalog::BatchRecord totals;
  totals.id = batch_id;
  totals.images = summary.totals.images;
  totals.faces = summary.totals.faces;
  totals.errors = summary.totals.errors;
  totals.skipped = summary.totals.skipped;
  RETURN_IF_ERROR(engine.catalog().FinishBatch(totals));
  RETURN_IF_ERROR(engine.SaveIndex());
  if (IngestPolicy* policy = engine.ingest_policy()) policy->BatchFinished(source, summary);
  return summary;
}

}  // namespace likeness::engine
