#include <cstdio>
#include <fstream>
#include <iostream>
#include <thread>

#include "commands.h"
#include "eval/benchmarks.h"
#include "eval/speed.h"

namespace likeness::cli {
namespace {

// Backend, FLOPs and achieved GFLOP/s of each model (issue 13), as `bench speed --json` reports.
nlohmann::json InferenceJson(const std::vector<vision::ModelRunInfo>& models) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& m : models) {
    const double seconds = m.stats.ms / 1000.0;
    list.push_back(
        {{"role", m.role},
         {"backend", m.backend},
         {"precision", m.precision},
         {"fallback_reason", m.fallback_reason},
         {"gflop_per_item", m.gflop_per_item},
         {"calls", m.stats.calls},
         {"items", m.stats.items},
         {"ms_per_item", m.stats.items ? m.stats.ms / m.stats.items : 0.0},
         {"gflop_per_s", seconds > 0 ? m.gflop_per_item * m.stats.items / seconds : 0.0}});
  }
  return {
      {"backend", std::string(vision::inference::BackendName(vision::inference::DefaultBackend()))},
      {"precision",
       std::string(vision::inference::PrecisionName(vision::inference::DefaultPrecision()))},
      {"models", list}};
}

nlohmann::json StagesJson(const eval::StageReport& s) {
  return {{"images", s.images},
          {"no_face", s.no_face},
          {"failed", s.failed},
          {"images_per_s", s.images_per_s},
          {"ms_per_image",
           {{"decode", s.decode_ms},
            {"detect", s.detect_ms},
            {"landmarks", s.landmarks_ms},
            {"align", s.align_ms},
            {"embed", s.embed_ms}}},
          {"inference", InferenceJson(s.models)}};
}

nlohmann::json IdentifyJson(const eval::IdentificationMetrics& m) {
  return {{"rank1", m.rank1},
          {"rank5", m.rank5},
          {"dir_at_fpir_1e-2", m.dir_at_fpir_1e2},
          {"threshold_fpir_1e-2", m.threshold_fpir_1e2},
          {"dir_at_fpir_1e-3", m.dir_at_fpir_1e3},
          {"threshold_fpir_1e-3", m.threshold_fpir_1e3}};
}

void PrintIdentify(const char* name, const eval::IdentificationMetrics& m) {
  std::printf(
      "%-8s rank-1 %6.2f%%  rank-5 %6.2f%%  DIR@FPIR 1%% %6.2f%% (t %.3f)  DIR@FPIR 0.1%% %6.2f%% "
      "(t %.3f)\n",
      name, 100 * m.rank1, 100 * m.rank5, 100 * m.dir_at_fpir_1e2, m.threshold_fpir_1e2,
      100 * m.dir_at_fpir_1e3, m.threshold_fpir_1e3);
}

void PrintStages(const eval::StageReport& s) {
  std::printf("images %lld (no face %lld, failed %lld), %.1f images/s\n",
              static_cast<long long>(s.images), static_cast<long long>(s.no_face),
              static_cast<long long>(s.failed), s.images_per_s);
  std::printf("ms per image: decode %.2f  detect %.2f  landmarks %.2f  align %.2f  embed %.2f\n",
              s.decode_ms, s.detect_ms, s.landmarks_ms, s.align_ms, s.embed_ms);
  for (const auto& m : s.models) {
    const double seconds = m.stats.ms / 1000.0;
    std::printf("  %-9s %-6s %-4s %.3f GFLOP/item, %.2f ms/item, %.1f GFLOP/s%s%s\n",
                m.role.c_str(), m.backend.c_str(), m.precision.c_str(), m.gflop_per_item,
                m.stats.items ? m.stats.ms / m.stats.items : 0.0,
                seconds > 0 ? m.gflop_per_item * m.stats.items / seconds : 0.0,
                m.fallback_reason.empty() ? "" : " - fallback: ", m.fallback_reason.c_str());
  }
}

}  // namespace

void RegisterBench(CLI::App& app, GlobalFlags& flags, int* exit_code) {
  auto* bench = app.add_subcommand("bench", "accuracy benchmarks on labelled data");
  bench->require_subcommand(1);
  struct Args {
    std::string pairs, root;
    bool json = false, flip = false, uniform_templates = false;
    int templates = 1, hubness_k = 5, embed_batch = 0;
    int reduce_above = eval::ThroughputOptions{}.decode.reduce_above_side;
    int jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  };
  auto args = std::make_shared<Args>();
  auto options = [&flags, args]() {
    eval::EmbedOptions o;
    o.jobs = args->jobs;
    o.analyze.min_face_px = flags.min_face_px;
    o.analyze.tiling = !flags.no_tiling;
    o.analyze.small_faces = flags.small_faces == "on";
    o.analyze.flip_augment = args->flip;
    return o;
  };

  auto* pairs =
      bench->add_subcommand("pairs", "1:1 verification: 10-fold accuracy, TAR@FAR, ROC AUC");
  pairs->add_option("--pairs", args->pairs, "LFW pairs.txt or CSV path_a,path_b,same")->required();
  pairs->add_option("--root", args->root, "image root (LFW: ROOT/Name/Name_0001.jpg)");
  pairs->add_option("--jobs", args->jobs, "worker threads")->capture_default_str();
  pairs->add_flag("--flip", args->flip, "flip test-time augmentation");
  pairs->add_flag("--json", args->json, "JSON output");
  pairs->callback([args, options, exit_code]() {
    auto list = eval::LoadPairs(args->pairs, args->root);
    if (!list.ok()) {
      *exit_code = Fail(list.status());
      return;
    }
    auto r = eval::RunPairsBenchmark(*list, options());
    if (!r.ok()) {
      *exit_code = Fail(r.status());
      return;
    }
    const auto& m = r->metrics;
    if (args->json) {
      nlohmann::json j = {{"pairs", m.pairs},
                          {"genuine", m.genuine},
                          {"impostor", m.impostor},
                          {"accuracy", m.accuracy_mean},
                          {"accuracy_std", m.accuracy_std},
                          {"threshold", m.threshold_mean},
                          {"tar_at_far_1e-3", m.tar_at_far_1e3},
                          {"far_1e-3_threshold", m.far_1e3_threshold},
                          {"roc_auc", m.roc_auc},
                          {"pairs_missing_face", r->pairs_missing_face},
                          {"stages", StagesJson(r->stages)}};
      std::cout << j.dump(2) << "\n";
      return;
    }
    std::printf("pairs %lld (%lld same, %lld different), %lld with a missing face\n",
                static_cast<long long>(m.pairs), static_cast<long long>(m.genuine),
                static_cast<long long>(m.impostor), static_cast<long long>(r->pairs_missing_face));
    std::printf("10-fold accuracy %.2f%% +- %.2f (mean threshold %.3f)\n", 100 * m.accuracy_mean,
                100 * m.accuracy_std, m.threshold_mean);
    std::printf("TAR at FAR 1e-3: %.2f%% (threshold %.3f)   ROC AUC %.5f\n", 100 * m.tar_at_far_1e3,
                m.far_1e3_threshold, m.roc_auc);
    PrintStages(r->stages);
  });

  auto* speed = bench->add_subcommand(
      "speed", "pipeline throughput (decode, detect, landmarks, align, embed)");
  speed->add_option("--list", args->pairs, "file with one image path per line")->required();
  speed->add_option("--jobs", args->jobs, "worker threads")->capture_default_str();
  speed
      ->add_option("--embed-batch", args->embed_batch,
                   "faces per embedding pass, gathered across images as ingest --embed-batch "
                   "does (1 = one face per pass; 0 = each image's faces in one pass)")
      ->capture_default_str();
  speed
      ->add_option("--reduce-above", args->reduce_above,
                   "decode JPEGs longer than this at 1/2, 1/4 or 1/8 scale as ingest does (0 = "
                   "full scale)")
      ->capture_default_str();
  speed->add_flag("--json", args->json, "JSON output");
  speed->callback([args, options, exit_code]() {
    std::ifstream in(args->pairs);
    if (!in) {
      *exit_code = Fail(Status::NotFound("cannot open " + args->pairs));
      return;
    }
    std::vector<std::filesystem::path> files;
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) files.emplace_back(line);
    }
    // Every line counts, repeated paths included.
    eval::ThroughputOptions throughput;
    throughput.embed_batch = args->embed_batch;
    throughput.decode.reduce_above_side = args->reduce_above;
    auto r = eval::MeasureThroughput(files, options(), throughput);
    if (!r.ok()) {
      *exit_code = Fail(r.status());
      return;
    }
    const eval::StageReport& report = *r;
    if (args->json) {
      auto j = StagesJson(report);
      j["jobs"] = args->jobs;
      j["embed_batch"] = args->embed_batch;
      j["reduce_above"] = args->reduce_above;
      std::cout << j.dump(2) << "\n";
    } else {
      std::printf("jobs %d, embed batch %d: ", args->jobs, args->embed_batch);
      PrintStages(report);
    }
  });

  auto* identify =
      bench->add_subcommand("identify", "1:N open-set identification on ROOT/<identity>/<images>");
  identify->add_option("--root", args->root, "folder per identity")->required();
  identify->add_option("--jobs", args->jobs, "worker threads")->capture_default_str();
  identify->add_flag("--flip", args->flip, "flip test-time augmentation");
  identify
      ->add_option("--templates", args->templates,
                   "gallery images per identity, averaged into one template")
      ->capture_default_str();
  identify->add_flag("--uniform-templates", args->uniform_templates,
                     "plain mean templates (default: quality-weighted)");
  identify->add_option("--hubness-k", args->hubness_k, "neighbours for the hubness correction")
      ->capture_default_str();
  identify->add_flag("--json", args->json, "JSON output");
  identify->callback([args, options, exit_code]() {
    auto ids = eval::LoadIdentityFolders(args->root);
    if (!ids.ok()) {
      *exit_code = Fail(ids.status());
      return;
    }
    eval::IdentifyOptions io;
    io.templates = args->templates;
    io.quality_weighted = !args->uniform_templates;
    io.hubness_k = args->hubness_k;
    auto r = eval::RunIdentifyBenchmark(*ids, options(), io);
    if (!r.ok()) {
      *exit_code = Fail(r.status());
      return;
    }
    const auto& m = r->metrics;
    if (args->json) {
      nlohmann::json j = {{"identities", r->identities},
                          {"distractors", r->distractors},
                          {"gallery", m.gallery_size},
                          {"mated_probes", m.mated_probes},
                          {"nonmated_probes", m.nonmated_probes},
                          {"rank1", m.rank1},
                          {"rank5", m.rank5},
                          {"dir_at_fpir_1e-2", m.dir_at_fpir_1e2},
                          {"threshold_fpir_1e-2", m.threshold_fpir_1e2},
                          {"dir_at_fpir_1e-3", m.dir_at_fpir_1e3},
                          {"threshold_fpir_1e-3", m.threshold_fpir_1e3},
                          {"raw_cosine", IdentifyJson(m)},
                          {"hubness", IdentifyJson(r->hubness)},
                          {"hubness_k", io.hubness_k},
                          {"templates", io.templates},
                          {"template_weighting", io.quality_weighted ? "quality" : "uniform"},
                          {"stages", StagesJson(r->stages)}};
      std::cout << j.dump(2) << "\n";
      return;
    }
    std::printf(
        "gallery %lld (%lld identities with 2+ images, %lld distractors); %lld mated probes\n",
        static_cast<long long>(m.gallery_size), static_cast<long long>(r->identities),
        static_cast<long long>(r->distractors), static_cast<long long>(m.mated_probes));
    PrintIdentify("raw", m);
    PrintIdentify("hubness", r->hubness);
    PrintStages(r->stages);
  });
}

}  // namespace likeness::cli
