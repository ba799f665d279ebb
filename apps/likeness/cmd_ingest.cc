#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <iostream>

#include "commands.h"
#include "engine/ingest.h"
#include "governance/governance.h"
#include "sources/sources.h"

namespace likeness::cli {
namespace {

std::atomic<bool> g_cancel{false};

void OnSignal(int) { g_cancel.store(true); }

std::string FormatDuration(double seconds) {
  if (seconds < 0 || seconds > 1e7) return "--:--";
  const int s = static_cast<int>(seconds + 0.5);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
  return buf;
}

// Video totals: frames/s decoded, real-time factor (video seconds per wall second), faces seen,
// tracks, and the ETA of the videos in progress at the measured real-time factor.
void PrintVideoProgress(const engine::IngestProgress& p, bool tty) {
  const double wall = p.video_wall_seconds;
  const double fps = wall > 0 ? p.video_frames / wall : 0;
  const double rtf = wall > 0 ? p.video_seconds / wall : 0;
  const double eta = rtf > 0 ? p.video_pending_seconds / rtf : -1;
  std::fprintf(stderr,
               "  | video %lld: %lld frames %.0f fps  %.1fx real time  faces %lld  tracks %lld  "
               "ETA %s%s",
               static_cast<long long>(p.videos), static_cast<long long>(p.video_frames), fps, rtf,
               static_cast<long long>(p.video_faces), static_cast<long long>(p.video_tracks),
               FormatDuration(eta).c_str(), tty ? "" : "\n");
}

// One progress line: bar, images/s, faces, errors, ETA. On a terminal it redraws in place.
void PrintProgress(const engine::IngestProgress& p, bool tty, double* last_print) {
  const bool final = p.done == p.total;
  if (!tty && !final && p.seconds - *last_print < 2.0) return;
  *last_print = p.seconds;
  const double rate = p.seconds > 0 ? p.done / p.seconds : 0;
  const double eta = rate > 0 ? (p.total - p.done) / rate : -1;
  constexpr int kWidth = 30;
  const int filled = p.total > 0 ? static_cast<int>(kWidth * p.done / p.total) : kWidth;
  std::string bar(filled, '#');
  bar.resize(kWidth, '.');
  std::fprintf(
      stderr, "%s[%s] %lld/%lld items  %.1f img/s  faces %lld  skipped %lld  errors %lld  ETA %s%s",
      tty ? "\r" : "", bar.c_str(), static_cast<long long>(p.done), static_cast<long long>(p.total),
      rate, static_cast<long long>(p.faces), static_cast<long long>(p.skipped),
      static_cast<long long>(p.errors), FormatDuration(eta).c_str(), tty ? "" : "\n");
  if (p.videos > 0) PrintVideoProgress(p, tty);
  if (tty && final) std::fprintf(stderr, "\n");
}

}  // namespace

void RegisterIngest(CLI::App& app, GlobalFlags& flags, int* exit_code) {
  auto* cmd =
      app.add_subcommand("ingest", "ingest photos and recorded videos from a declared source");
  struct Args {
    std::vector<std::string> paths;
    engine::SourceDeclaration source;
    std::string kind = "folder";
    int jobs = 0;
    int embed_batch = engine::IngestOptions{}.embed_batch;
    bool json = false;
    std::string operator_id;
    engine::VideoOptions video;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("paths", args->paths,
                  "folders, files, archives (zip, tar[.gz|.xz|.bz2|.zst], 7z) or manifests (.csv, "
                  ".tsv, .manifest)")
      ->required();
  cmd->add_option("--source", args->source.name, "source name (created on first use)")->required();
  cmd->add_option("--basis", args->source.legal_basis,
                  "GDPR Art. 6(1) basis and Art. 9(2) condition, e.g. art6-1-e,art9-2-g")
      ->required();
  cmd->add_option("--condition", args->source.art9_condition,
                  "GDPR Art. 9(2) condition (if not in --basis)");
  cmd->add_option("--jurisdiction", args->source.jurisdiction, "ISO 3166-1 alpha-2 country code")
      ->required();
  cmd->add_option("--retain-until", args->source.retain_until, "retention limit, YYYY-MM-DD");
  cmd->add_option("--collector", args->source.collector, "who collected the photos");
  cmd->add_option("--public-description", args->source.public_description,
                  "what the organisation publishes about this source (shown to the public "
                  "self-check; set when the source is first declared)");
  cmd->add_option("--tenant", args->source.tenant,
                  "the organisation that owns a new source (default: default; see `likeness "
                  "tenant`)");
  auto* kind_opt = cmd->add_option(
      "--kind", args->kind,
      "source kind: folder, archive, manifest, upload (default: detected from the first path)");
  cmd->add_option("--jobs", args->jobs, "worker threads (default: all cores)");
  cmd->add_option("--embed-batch", args->embed_batch,
                  "faces per embedding pass, gathered across images (0 = each image on its own)")
      ->capture_default_str();
  cmd->add_option("--video-fps", args->video.sampling.fps,
                  "video: frames analysed per second of video (plus one per scene cut)")
      ->capture_default_str();
  cmd->add_option("--video-cut-threshold", args->video.sampling.cut_threshold,
                  "video: mean grey change (0-255) between frames that counts as a scene cut; 0 "
                  "turns cut sampling off")
      ->capture_default_str();
  cmd->add_option("--video-best-k", args->video.best_k,
                  "video: faces kept per track (the best by quality)")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  cmd->add_flag("--video-tiles", args->video.tiling,
                "video: also scan sampled frames in tiles for small faces (slower; see "
                "bench/README.md)");
  cmd->add_option("--video-max-seconds", args->video.limits.max_duration_s,
                  "video: longest video accepted, in seconds")
      ->capture_default_str();
  cmd->add_option("--video-max-bytes", args->video.limits.max_bytes,
                  "video: largest video file accepted, in bytes (archive entries are also bound "
                  "by the archive entry limit)")
      ->capture_default_str();
  cmd->add_flag("--json", args->json, "print the summary as JSON");
  cmd->add_option("--operator", args->operator_id,
                  "who ingests (default: $LIKENESS_OPERATOR); recorded with the batch in the audit "
                  "chain");
  cmd->callback([&flags, args, exit_code, kind_opt]() {
    std::vector<std::filesystem::path> paths(args->paths.begin(), args->paths.end());
    if (kind_opt->count() == 0 && !paths.empty()) {
      // An archive or a manifest named first makes the source an archive or manifest source.
      auto detected = sources::DetectPathKind(paths[0]);
      if (detected.ok() && *detected == sources::PathKind::kArchive) args->kind = "archive";
      if (detected.ok() && *detected == sources::PathKind::kManifest) args->kind = "manifest";
    }
    auto kind = catalog::ParseSourceKind(args->kind);
    if (!kind.ok()) {
      *exit_code = Fail(kind.status());
      return;
    }
    args->source.kind = *kind;
    if (args->source.location.empty() && !paths.empty()) {
      args->source.location = std::filesystem::absolute(paths[0]).lexically_normal().string();
    }
    if (args->source.collector.empty()) {
      const char* user = std::getenv("USER");
      args->source.collector = user ? user : "unknown";
    }
    sources::OpenOptions open_options;
    // Only an explicit --kind manifest reads every file argument as a manifest.
    open_options.manifests_only = kind_opt->count() > 0 && *kind == catalog::SourceKind::kManifest;
    auto items = sources::OpenSources(paths, open_options);
    if (!items.ok()) {
      *exit_code = Fail(items.status());
      return;
    }
    if (!flags.cluster_url.empty()) {
      *exit_code = Fail(Status::FailedPrecondition(
          "--cluster makes this process a router, which stores nothing: queue the images for the "
          "cluster's workers with `likeness cluster ingest`"));
      return;
    }
    auto eng = OpenEngine(flags);
    if (!eng.ok()) {
      *exit_code = Fail(eng.status());
      return;
    }
    // Policy: jurisdictions, opt-outs, and the batch's audit record under the operator.
    auto gov = governance::Governance::Open(**eng, governance::ResolveOperator(args->operator_id));
    if (!gov.ok()) {
      *exit_code = Fail(gov.status());
      return;
    }
    if (Status admit = (*gov)->AdmitJurisdiction(args->source.jurisdiction); !admit.ok()) {
      *exit_code = Fail(admit);  // refused before the source is declared: nothing changes
      return;
    }
    if (Status known = RequireTenant((*eng)->catalog(), args->source.tenant); !known.ok()) {
      *exit_code = Fail(known);
      return;
    }
    auto source = engine::DeclareSource((*eng)->catalog(), args->source);
    if (!source.ok()) {
      *exit_code = Fail(source.status());
      return;
    }

    std::signal(SIGINT, OnSignal);
    std::signal(SIGTERM, OnSignal);
    const bool tty = isatty(STDERR_FILENO) != 0;
    double last_print = -10;
    engine::IngestOptions options;
    options.jobs = args->jobs;
    options.embed_batch = args->embed_batch;
    options.video = args->video;
    options.video.sampling.scene_cuts = args->video.sampling.cut_threshold > 0;
    options.cancel = &g_cancel;
    if (!flags.quiet) {
      options.on_progress = [tty, &last_print](const engine::IngestProgress& p) {
        PrintProgress(p, tty, &last_print);
      };
      options.on_file = [tty](const std::string& location, const Status& st) {
        if (!st.ok())
          std::fprintf(stderr, "%sskipped %s: %s\n", tty ? "\r" : "", location.c_str(),
                       st.ToString().c_str());
      };
    }
    auto summary = engine::Ingest(**eng, *source, **items, options);
    if (!summary.ok()) {
      *exit_code = Fail(summary.status());
      return;
    }
    const auto& t = summary->totals;
    if (args->json) {
      nlohmann::json j = {{"batch_id", summary->batch_id},
                          {"source", ToJson(*source)},
                          {"files", t.total},
                          {"images", t.images},
                          {"faces", t.faces},
                          {"skipped", t.skipped},
                          {"errors", t.errors},
                          {"seconds", t.seconds},
                          {"images_per_s", t.seconds > 0 ? t.done / t.seconds : 0.0},
                          {"videos", t.videos},
                          {"video_frames", t.video_frames},
                          {"video_seconds", t.video_seconds},
                          {"video_tracks", t.video_tracks},
                          {"video_real_time_factor",
                           t.video_wall_seconds > 0 ? t.video_seconds / t.video_wall_seconds : 0.0},
                          {"cancelled", summary->cancelled}};
      std::cout << j.dump(2) << "\n";
    } else {
      std::printf(
          "ingested %lld images (%lld faces) into source '%s' in %.1f s; %lld already held, %lld "
          "errors%s\n",
          static_cast<long long>(t.images), static_cast<long long>(t.faces), source->name.c_str(),
          t.seconds, static_cast<long long>(t.skipped), static_cast<long long>(t.errors),
          summary->cancelled ? " (interrupted: run again to continue)" : "");
    }
    *exit_code = summary->cancelled ? 130 : kExitOk;
  });
}

}  // namespace likeness::cli
