// `likeness report demographics --labels FILE`: false-match and false-non-match rates per
// operator-declared group at the operating threshold (NIST IR 8280 presentation). Groups come only
// from the operator's labels; Likeness never infers a demographic attribute.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <thread>

#include "commands.h"
#include "engine/search.h"
#include "eval/benchmarks.h"
#include "openset/demographics.h"
#include "openset/demographics_plot.h"

namespace likeness::cli {
namespace {

nlohmann::json ToJson(const openset::DemographicReport& r) {
  nlohmann::json groups = nlohmann::json::array();
  for (const auto& g : r.groups)
    groups.push_back({{"group", g.group},
                      {"images", g.images},
                      {"identities", g.identities},
                      {"mated_pairs", g.mated_pairs},
                      {"false_non_matches", g.false_non_matches},
                      {"fnmr", g.fnmr},
                      {"impostor_pairs", g.impostor_pairs},
                      {"false_matches", g.false_matches},
                      {"fmr", g.fmr}});
  return {{"threshold", r.threshold},     {"groups", groups},
          {"fmr_spread", r.fmr_spread},   {"fmr_spread_is_lower_bound", r.fmr_spread_bounded},
          {"fnmr_spread", r.fnmr_spread}, {"fnmr_spread_is_lower_bound", r.fnmr_spread_bounded}};
}

void PrintTable(const openset::DemographicReport& r, int64_t no_face) {
  std::printf("threshold %.3f; %lld labelled images had no face\n", r.threshold,
              static_cast<long long>(no_face));
  std::printf("%-20s %7s %6s %10s %10s %12s %10s\n", "group", "images", "ids", "mated", "FNMR",
              "impostor", "FMR");
  for (const auto& g : r.groups)
    std::printf("%-20s %7lld %6lld %10lld %10.4g %12lld %10.4g\n", g.group.c_str(),
                static_cast<long long>(g.images), static_cast<long long>(g.identities),
                static_cast<long long>(g.mated_pairs), g.fnmr,
                static_cast<long long>(g.impostor_pairs), g.fmr);
  std::printf("spread (max/min across groups): FMR %.3g%s, FNMR %.3g%s\n", r.fmr_spread,
              r.fmr_spread_bounded ? " (at least; a group had no false match)" : "", r.fnmr_spread,
              r.fnmr_spread_bounded ? " (at least; a group had no false non-match)" : "");
}

}  // namespace

void RegisterReportDemographics(CLI::App& app, GlobalFlags& flags, int* exit_code) {
  // `report` may already exist (the privacy commands add `report processing`).
  const auto existing =
      app.get_subcommands([](CLI::App* sub) { return sub->get_name() == "report"; });
  CLI::App* report = existing.empty() ? app.add_subcommand("report", "reports") : existing.front();
  report->require_subcommand(1);
  struct Args {
    std::string labels, out;
    double threshold = engine::kDefaultMatchThreshold;
    bool json = false;
    int jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  };
  auto args = std::make_shared<Args>();
  auto* demo = report->add_subcommand(
      "demographics", "FMR and FNMR per operator-labelled group (CSV image,identity,group)");
  demo->add_option("--labels", args->labels, "CSV image,identity,group (paths relative to it)")
      ->required();
  demo->add_option("--threshold", args->threshold, "operating threshold (cosine)")
      ->capture_default_str();
  demo->add_option("--out", args->out, "folder for demographics.{json,svg,png}");
  demo->add_option("--jobs", args->jobs, "worker threads")->capture_default_str();
  demo->add_flag("--json", args->json, "JSON output");
  demo->callback([&flags, args, exit_code]() {
    auto labels = openset::LoadDemographicLabels(args->labels);
    if (!labels.ok()) {
      *exit_code = Fail(labels.status());
      return;
    }
    std::vector<std::filesystem::path> files;
    for (const auto& l : *labels) files.push_back(l.image);
    eval::EmbedOptions o;
    o.jobs = args->jobs;
    o.analyze.min_face_px = flags.min_face_px;
    o.analyze.tiling = !flags.no_tiling;
    o.analyze.small_faces = flags.small_faces == "on";
    auto emb = eval::EmbedFiles(files, o, nullptr);
    if (!emb.ok()) {
      *exit_code = Fail(emb.status());
      return;
    }
    std::vector<openset::LabelledEmbedding> items;
    int64_t no_face = 0;
    for (const auto& l : *labels) {
      const auto& e = (*emb)[l.image].embedding;
      no_face += e.empty();
      items.push_back({l.identity, l.group, &e});
    }
    const auto r = openset::ComputeDemographicReport(items, args->threshold);
    auto j = ToJson(r);
    j["images_without_face"] = no_face;
    if (!args->out.empty()) {
      const std::filesystem::path out = args->out;
      std::error_code ec;
      std::filesystem::create_directories(out, ec);
      std::ofstream(out / "demographics.json") << j.dump(2) << "\n";
      std::ofstream svg(out / "demographics.svg");
      svg << openset::DemographicSvg(r);
      if (!svg) {
        *exit_code = Fail(Status::IOError("cannot write " + (out / "demographics.svg").string()));
        return;
      }
      if (Status s = openset::WriteDemographicPng(r, out / "demographics.png"); !s.ok()) {
        *exit_code = Fail(s);
        return;
      }
    }
    if (args->json) {
      std::cout << j.dump(2) << "\n";
      return;
    }
    PrintTable(r, no_face);
    if (!args->out.empty())
      std::printf("wrote demographics.json, .svg and .png to %s\n", args->out.c_str());
  });
}

}  // namespace likeness::cli
