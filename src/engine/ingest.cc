#include "engine/ingest.h"

#include <algorithm>
#include <mutex>
#include <thread>

#include "common/hash.h"
#include "privacy/legal.h"

namespace likeness::engine {
namespace fs = std::filesystem;

Result<catalog::SourceRecord> DeclareSource(catalog::Catalog& catalog, SourceDeclaration d) {
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
  return catalog.CreateSource(record);
}

Result<std::vector<fs::path>> EnumerateFiles(const std::vector<fs::path>& paths) {
  std::vector<fs::path> files;
  for (const auto& p : paths) {
    std::error_code ec;
    const auto st = fs::status(p, ec);
    if (ec || !fs::exists(st)) return Status::NotFound("no such file or folder: " + p.string());
    if (fs::is_directory(st)) {
      std::vector<fs::path> found;
      for (auto it = fs::recursive_directory_iterator(
               p, fs::directory_options::skip_permission_denied, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        const auto name = it->path().filename().string();
        if (!name.empty() && name[0] == '.') {
          if (it->is_directory()) it.disable_recursion_pending();
          continue;
        }
        if (it->is_regular_file()) found.push_back(it->path());
      }
      if (ec) return Status::IOError("cannot list " + p.string() + ": " + ec.message());
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else {
      files.push_back(p);
    }
  }
  return files;
}

namespace {

struct SharedState {
  std::mutex mu;
  IngestProgress progress;
};

// Processes one file; returns the status to record (OK, or the reason it was skipped as an error).
// *stored_faces is set to the faces committed; *skipped when the bytes are already held.
Status IngestOne(Engine& engine, vision::FaceAnalyzer& analyzer,
                 const catalog::SourceRecord& source, int64_t batch_id, const fs::path& path,
                 int64_t* stored_faces, bool* skipped) {
  const EngineOptions& opt = engine.options();
  auto bytes = imageio::ReadFileBytes(path, opt.max_file_bytes);
  if (!bytes.ok()) return bytes.status();
  const std::string hash = Sha256Hex(*bytes);
  ASSIGN_OR_RETURN(std::optional<int64_t> held, engine.catalog().FindImageByHash(hash));
  if (held) {
    *skipped = true;
    return Status::Ok();
  }
  ASSIGN_OR_RETURN(imageio::DecodedImage image, imageio::DecodeImage(*bytes, opt.decode));
  ASSIGN_OR_RETURN(std::vector<vision::AnalyzedFace> faces,
                   analyzer.Analyze(image.bgr, opt.analyze));

  catalog::ImageRecord record;
  record.source_id = source.id;
  record.batch_id = batch_id;
  record.content_hash = hash;
  record.path = fs::absolute(path).lexically_normal().string();
  record.format = std::string(imageio::FormatName(image.format));
  record.width = image.original_width;
  record.height = image.original_height;
  record.bytes = static_cast<int64_t>(bytes->size());
  const float inv = static_cast<float>(1.0 / image.scale);
  const std::string model_id = engine.embedding_model_id();
  std::vector<catalog::FaceRecord> rows;
  IngestPolicy* policy = engine.ingest_policy();
  for (auto& f : faces) {
    if (policy && policy->DropFace(f.embedding)) continue;
    catalog::FaceRecord row;
    row.box = {f.box.x1 * inv, f.box.y1 * inv, f.box.x2 * inv, f.box.y2 * inv};
    for (size_t i = 0; i < row.points.size(); ++i) {
      row.points[i] = {f.points[i].x * inv, f.points[i].y * inv};
    }
    row.quality = f.quality;
    row.quality.face_px *= inv;
    row.searchable = f.quality.overall >= opt.quality_floor;
    row.model_id = model_id;
    row.embedding = std::move(f.embedding);
    rows.push_back(std::move(row));
  }
  Status added = engine.catalog().AddImageWithFaces(record, rows);
  if (added.code() == StatusCode::kAlreadyExists) {  // another worker stored the same bytes first
    *skipped = true;
    return Status::Ok();
  }
  RETURN_IF_ERROR(added);
  RETURN_IF_ERROR(engine.IndexFaces(rows));
  *stored_faces = static_cast<int64_t>(rows.size());
  return Status::Ok();
}

}  // namespace

Result<IngestSummary> Ingest(Engine& engine, const catalog::SourceRecord& source,
                             const std::vector<fs::path>& files, const IngestOptions& options) {
  const int jobs = std::max(
      1, options.jobs > 0 ? options.jobs : static_cast<int>(std::thread::hardware_concurrency()));
  std::vector<std::unique_ptr<vision::FaceAnalyzer>> analyzers;
  for (int i = 0; i < jobs; ++i) {
    ASSIGN_OR_RETURN(auto a, engine.NewAnalyzer());
    analyzers.push_back(std::move(a));
  }
  if (IngestPolicy* policy = engine.ingest_policy()) RETURN_IF_ERROR(policy->AdmitSource(source));
  ASSIGN_OR_RETURN(int64_t batch_id, engine.catalog().BeginBatch(source.id));

  SharedState state;
  state.progress.total = static_cast<int64_t>(files.size());
  std::atomic<size_t> next{0};
  std::atomic<bool> finished{false};
  const auto start = std::chrono::steady_clock::now();
  auto snapshot = [&]() {
    std::lock_guard lock(state.mu);
    IngestProgress p = state.progress;
    p.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return p;
  };

  auto worker = [&](vision::FaceAnalyzer* analyzer) {
    while (!(options.cancel && options.cancel->load())) {
      const size_t i = next.fetch_add(1);
      if (i >= files.size()) break;
      int64_t faces = 0;
      bool skipped = false;
      Status st = IngestOne(engine, *analyzer, source, batch_id, files[i], &faces, &skipped);
      if (!st.ok()) {
        (void)engine.catalog().RecordIngestError(batch_id, files[i].string(), st.ToString());
      }
      {
        std::lock_guard lock(state.mu);
        auto& p = state.progress;
        ++p.done;
        if (!st.ok()) {
          ++p.errors;
        } else if (skipped) {
          ++p.skipped;
        } else {
          ++p.images;
          p.faces += faces;
        }
      }
      if (options.on_file) options.on_file(files[i], st);
    }
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
