// `likeness calibrate`: measures the impostor score distribution on the catalog itself and stores
// gallery-size-aware thresholds in <data>/calibration.json (see src/openset/calibration.h for the
// assumption and its bias).
#include <cstdio>
#include <iostream>

#include "commands.h"
#include "engine/decision.h"
#include "engine/search.h"
#include "openset/calibration_file.h"
#include "openset_cli.h"

namespace likeness::cli {
namespace {

// Thresholds listed in the report's expected-false-match table.
constexpr double kReportThresholds[] = {0.35, 0.40, 0.45, 0.50, 0.55, 0.60};

}  // namespace

void RegisterCalibrate(CLI::App& app, GlobalFlags& flags, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "calibrate", "measure impostor scores on the catalog and store open-set thresholds");
  auto json = std::make_shared<bool>(false);
  auto seed = std::make_shared<uint32_t>(1);
  auto target = std::make_shared<double>(0);
  cmd->add_flag("--json", *json, "JSON output");
  cmd->add_option("--seed", *seed, "probe sampling seed")->capture_default_str();
  auto* target_opt = cmd->add_option(
      "--target-fpir", *target,
      "target false-positive identification rate of search decisions (default 0.01, i.e. 1 % "
      "of stranger searches; kept across recalibrations)");
  cmd->callback([&flags, json, seed, target, target_opt, exit_code]() {
    auto catalog = OpenCatalogOnly(flags);
    if (!catalog.ok()) {
      *exit_code = Fail(catalog.status());
      return;
    }
    // The people clustering, when there is one, serves as weak labels (see calibration.h).
    const auto data = engine::ResolveDataDir(flags.data_dir);
    std::optional<double> target_fpir;
    if (target_opt->count() > 0) target_fpir = *target;
    auto c = engine::CalibrateCatalog(**catalog, data, *seed, target_fpir);
    if (!c.ok()) {
      *exit_code = Fail(c.status());
      return;
    }
    nlohmann::json table = nlohmann::json::array();
    for (double t : kReportThresholds)
      table.push_back(
          {{"threshold", t},
           {"expected_false_matches", openset::ExpectedFalseMatches(c->model, t, c->gallery_size)},
           {"fpir", openset::FalsePositiveIdentificationRate(c->model, t, c->gallery_size)}});
    if (*json) {
      auto j = openset::ToJson(*c);
      j["file"] = (data / openset::kCalibrationFileName).string();
      j["at_thresholds"] = table;
      std::cout << j.dump(2) << "\n";
      return;
    }
    std::printf(
        "gallery %lld faces, %lld sampled probes, %lld impostor comparisons (%lld same-person "
        "pairs left out)\n",
        static_cast<long long>(c->gallery_size), static_cast<long long>(c->probes),
        static_cast<long long>(c->model.scores), static_cast<long long>(c->excluded_same_person));
    std::printf(
        "threshold for FPIR 1%%: %.3f (empirical %.3f); for FPIR 0.1%%: %.3f (empirical %.3f)\n",
        c->threshold_fpir_1e2, c->empirical_threshold_fpir_1e2, c->threshold_fpir_1e3,
        c->empirical_threshold_fpir_1e3);
    std::printf("%-10s %-24s %s\n", "threshold", "expected false matches", "FPIR");
    for (const auto& row : table)
      std::printf("%-10.2f %-24.4g %.4g\n", row["threshold"].get<double>(),
                  row["expected_false_matches"].get<double>(), row["fpir"].get<double>());
    std::printf("search decisions target FPIR %.3g: threshold %.3f at this gallery's size\n",
                c->target_fpir,
                openset::ThresholdForFpir(c->model, c->target_fpir, c->gallery_size));
    std::printf("stored in %s\n", (data / openset::kCalibrationFileName).string().c_str());
  });
}

}  // namespace likeness::cli
