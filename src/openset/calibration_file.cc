#include "openset/calibration_file.h"

#include <fstream>
#include <system_error>

namespace likeness::openset {
namespace fs = std::filesystem;

namespace {

nlohmann::json ModelJson(const ImpostorModel& m) {
  return {{"scores", m.scores},
          {"tail_start", m.tail_start},
          {"tail_share", m.tail_share},
          {"tail_scale", m.tail_scale},
          {"top", m.top},
          {"body", m.body}};
}

ImpostorModel ModelFromJson(const nlohmann::json& m) {
  ImpostorModel model;
  model.scores = m.at("scores").get<int64_t>();
  model.tail_start = m.at("tail_start").get<double>();
  model.tail_share = m.at("tail_share").get<double>();
  model.tail_scale = m.at("tail_scale").get<double>();
  model.top = m.at("top").get<std::vector<float>>();
  model.body = m.at("body").get<std::vector<float>>();
  return model;
}

}  // namespace

nlohmann::json ToJson(const Calibration& c) {
  nlohmann::json j = {{"format", kCalibrationFormat},
                      {"measured_at", c.measured_at},
                      {"gallery_size", c.gallery_size},
                      {"probes", c.probes},
                      {"excluded_same_person_pairs", c.excluded_same_person},
                      {"threshold_fpir_1e-2", c.threshold_fpir_1e2},
                      {"threshold_fpir_1e-3", c.threshold_fpir_1e3},
                      {"empirical_threshold_fpir_1e-2", c.empirical_threshold_fpir_1e2},
                      {"empirical_threshold_fpir_1e-3", c.empirical_threshold_fpir_1e3},
                      {"scoring", "cosine"},
                      {"target_fpir", c.target_fpir},
                      {"impostor_model", ModelJson(c.model)}};
  if (c.hubness)
    j["hubness"] = {{"scoring", "hubness"},
                    {"k", c.hubness->k},
                    {"threshold_fpir_1e-2", c.hubness->threshold_fpir_1e2},
                    {"threshold_fpir_1e-3", c.hubness->threshold_fpir_1e3},
                    {"impostor_model", ModelJson(c.hubness->model)}};
  return j;
}

Result<Calibration> CalibrationFromJson(const nlohmann::json& j) {
  try {
    if (j.at("format").get<int>() != kCalibrationFormat)
      return Status::InvalidArgument("calibration format " + j.at("format").dump() +
                                     " is not supported");
    Calibration c;
    c.measured_at = j.at("measured_at").get<std::string>();
    c.gallery_size = j.at("gallery_size").get<int64_t>();
    c.probes = j.at("probes").get<int64_t>();
    c.excluded_same_person = j.value("excluded_same_person_pairs", int64_t{0});
    c.threshold_fpir_1e2 = j.at("threshold_fpir_1e-2").get<double>();
    c.threshold_fpir_1e3 = j.at("threshold_fpir_1e-3").get<double>();
    c.empirical_threshold_fpir_1e2 = j.at("empirical_threshold_fpir_1e-2").get<double>();
    c.empirical_threshold_fpir_1e3 = j.at("empirical_threshold_fpir_1e-3").get<double>();
    c.model = ModelFromJson(j.at("impostor_model"));
    c.target_fpir = j.value("target_fpir", kDefaultTargetFpir);  // absent in older files
    if (!(c.target_fpir > 0 && c.target_fpir < 1))
      return Status::InvalidArgument("calibration: target_fpir must lie in (0, 1)");
    if (j.contains("hubness")) {  // absent in files written before per-scoring calibration
      const auto& h = j.at("hubness");
      ScoreCalibration sc;
      sc.k = h.at("k").get<int>();
      sc.threshold_fpir_1e2 = h.at("threshold_fpir_1e-2").get<double>();
      sc.threshold_fpir_1e3 = h.at("threshold_fpir_1e-3").get<double>();
      sc.model = ModelFromJson(h.at("impostor_model"));
      c.hubness = std::move(sc);
    }
    return c;
  } catch (const nlohmann::json::exception& e) {
    return Status::InvalidArgument(std::string("calibration: ") + e.what());
  }
}

Status SaveCalibration(const fs::path& data_dir, const Calibration& c) {
  const fs::path path = data_dir / kCalibrationFileName;
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << ToJson(c).dump(2) << "\n";
    out.flush();
    if (!out) return Status::IOError("cannot write " + tmp.string());
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return Status::IOError("cannot rename " + tmp.string() + ": " + ec.message());
  return Status::Ok();
}

Result<Calibration> LoadCalibration(const fs::path& data_dir) {
  const fs::path path = data_dir / kCalibrationFileName;
  std::ifstream in(path);
  if (!in)
    return Status::NotFound("no calibration at " + path.string() + " (run likeness calibrate)");
  const auto j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::Corruption(path.string() + " is not valid JSON");
  auto c = CalibrationFromJson(j);
  if (!c.ok()) return Status::Corruption(path.string() + ": " + c.status().message());
  return c;
}

}  // namespace likeness::openset
