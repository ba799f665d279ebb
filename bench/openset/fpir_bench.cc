// bench_fpir: does the calibrated decision threshold hold its target false-positive identification
// rate (FPIR) as the gallery grows? Measured on every dev set in ../shared/data/faces-dev.
//
// Every labelled face of every dev set is embedded with the pinned model (cached in --cache). For
// each gallery size N and each of --splits random splits of the identities, enrolled identities
// fill a gallery of exactly N faces (all their photos, as a live catalog holds several photos of
// one person) and every face of the other identities is a stranger probe (distractors and
// strangers from every dev set). The gallery is calibrated as the product calibrates a catalog
// (openset::Calibrate with the in-memory people clustering as weak labels, WeakLabelsByClustering;
// --no-labels leaves them out, --people-labels uses the true identities instead), and the decision
// threshold is the one that holds the target FPIR for N, never below the default 0.45
// (engine::Decide: openset::ThresholdForFpir). Realised FPIR = the
// share of stranger searches whose best score reaches that threshold. Baseline, same splits: the
// constant threshold 0.45 the engine used before.
//
// Identities that appear in two dev sets under different labels (deepface "angelina" and
// facenet-pytorch "angelina_jolie") are merged: identity templates of different sets closer than
// 0.6 are one person. Files that label several people are left out.
//
// Usage: bench_fpir [--root DIR] [--cache FILE] [--splits 40] [--target 0.01] [--sizes 50,100,...]
//                   [--no-labels | --people-labels]
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "engine/decision.h"
#include "eval/benchmarks.h"
#include "openset/calibration.h"
#include "openset/impostor_model.h"

namespace fs = std::filesystem;
using namespace likeness;

namespace {

struct Face {
  std::string file;
  int identity = 0;
  std::vector<float> e;
};

float Dot(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += static_cast<double>(a[i]) * b[i];
  return static_cast<float>(s);
}

// (file, set/identity) rows of every labels.csv under root; files with several rows dropped.
std::vector<std::pair<fs::path, std::string>> LoadLabels(const fs::path& root) {
  std::map<fs::path, std::vector<std::string>> rows;
  for (const auto& set : fs::directory_iterator(root)) {
    const fs::path csv = set.path() / "labels.csv";
    if (!fs::exists(csv)) continue;
    std::ifstream in(csv);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      const size_t comma = line.find(',');
      if (comma == std::string::npos) continue;
      std::string id = line.substr(comma + 1);
      if (const size_t c2 = id.find(','); c2 != std::string::npos) id.resize(c2);
      while (!id.empty() && (id.back() == '\r' || id.back() == ' ')) id.pop_back();
      rows[set.path() / line.substr(0, comma)].push_back(set.path().filename().string() + "/" + id);
    }
  }
  std::vector<std::pair<fs::path, std::string>> out;
  for (auto& [file, ids] : rows)
    if (ids.size() == 1 && fs::exists(file)) out.push_back({file, ids[0]});
  return out;
}

bool ReadCache(const fs::path& path, std::map<std::string, std::vector<float>>* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::string name;
  while (std::getline(in, name)) {
    uint32_t n = 0;
    in.read(reinterpret_cast<char*>(&n), sizeof n);
    std::vector<float> e(n);
    in.read(reinterpret_cast<char*>(e.data()), static_cast<std::streamsize>(n * sizeof(float)));
    if (!in) return false;
    (*out)[name] = std::move(e);
  }
  return !out->empty();
}

void WriteCache(const fs::path& path, const std::map<std::string, std::vector<float>>& all) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  for (const auto& [name, e] : all) {
    out << name << "\n";
    const uint32_t n = static_cast<uint32_t>(e.size());
    out.write(reinterpret_cast<const char*>(&n), sizeof n);
    out.write(reinterpret_cast<const char*>(e.data()), static_cast<std::streamsize>(n * 4));
  }
}

// Merges identities of different sets whose templates are closer than 0.6 (one person).
void MergeCrossSetIdentities(std::vector<Face>& faces, std::vector<std::string>& names) {
  const int n = static_cast<int>(names.size());
  std::vector<std::vector<float>> templ(n, std::vector<float>(faces[0].e.size(), 0.0f));
  for (const auto& f : faces)
    for (size_t i = 0; i < f.e.size(); ++i) templ[f.identity][i] += f.e[i];
  for (auto& t : templ) {
    const float norm = std::sqrt(Dot(t, t));
    for (float& v : t) v /= norm > 0 ? norm : 1;
  }
  std::vector<int> parent(n);
  std::iota(parent.begin(), parent.end(), 0);
  std::function<int(int)> find = [&](int x) {
    return parent[x] == x ? x : parent[x] = find(parent[x]);
  };
  const auto set_of = [&](int i) { return names[i].substr(0, names[i].find('/')); };
  for (int i = 0; i < n; ++i)
    for (int j = i + 1; j < n; ++j)
      if (set_of(i) != set_of(j) && Dot(templ[i], templ[j]) >= 0.6f) {
        std::printf("  merged %s and %s (template cosine %.2f)\n", names[i].c_str(),
                    names[j].c_str(), Dot(templ[i], templ[j]));
        parent[find(j)] = find(i);
      }
  for (auto& f : faces) f.identity = find(f.identity);
}

struct Row {
  int64_t searches = 0, false_alarms = 0, baseline_alarms = 0;
  double threshold_sum = 0;
  int splits = 0;
};

}  // namespace

int main(int argc, char** argv) {
  fs::path root = "../shared/data/faces-dev";
  fs::path cache = fs::temp_directory_path() / "likeness-fpir-embeddings.bin";
  int splits = 40;
  double target = 0.01;
  bool people_labels = false;
  bool no_labels = false;  // skip the in-memory people clustering the product calibrates with
  std::vector<int64_t> sizes = {25, 50, 100, 200, 400};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--root")
      root = next();
    else if (a == "--cache")
      cache = next();
    else if (a == "--splits")
      splits = std::stoi(next());
    else if (a == "--target")
      target = std::stod(next());
    else if (a == "--no-labels")
      no_labels = true;
    else if (a == "--people-labels")
      people_labels = true;
    else if (a == "--sizes") {
      sizes.clear();
      std::stringstream ss(next());
      for (std::string t; std::getline(ss, t, ',');) sizes.push_back(std::stoll(t));
    } else {
      std::fprintf(stderr, "unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  if (!fs::exists(root)) {
    std::printf("bench_fpir: no dev sets at %s (skipped)\n", root.string().c_str());
    return 0;
  }
  const auto labels = LoadLabels(root);
  std::map<std::string, std::vector<float>> embedded;
  if (!ReadCache(cache, &embedded)) {
    std::vector<fs::path> files;
    for (const auto& [f, id] : labels) files.push_back(f);
    std::printf("embedding %zu labelled photos (cached in %s)...\n", files.size(),
                cache.string().c_str());
    eval::EmbedOptions eo;
    eo.jobs = 2;
    eval::StageReport report;
    auto result = eval::EmbedFiles(files, eo, &report);
    if (!result.ok()) {
      std::fprintf(stderr, "embedding: %s\n", result.status().ToString().c_str());
      return 1;
    }
    for (const auto& [f, fe] : *result)
      if (!fe.embedding.empty()) embedded[f.string()] = fe.embedding;
    WriteCache(cache, embedded);
  }
  std::vector<Face> faces;
  std::vector<std::string> names;
  std::map<std::string, int> index;
  for (const auto& [f, id] : labels) {
    auto it = embedded.find(f.string());
    if (it == embedded.end()) continue;  // no face found
    auto [pos, fresh] = index.emplace(id, static_cast<int>(names.size()));
    if (fresh) names.push_back(id);
    faces.push_back({f.string(), pos->second, it->second});
  }
  MergeCrossSetIdentities(faces, names);
  std::map<int, std::vector<int>> by_identity;
  for (int i = 0; i < static_cast<int>(faces.size()); ++i)
    by_identity[faces[i].identity].push_back(i);
  std::vector<int> identities;
  for (const auto& [id, list] : by_identity) identities.push_back(id);
  std::printf("%zu faces of %zu people from %zu labelled photos; target FPIR %.3g, %d splits, %s\n",
              faces.size(), identities.size(), labels.size(), target, splits,
              people_labels ? "identities as weak labels"
              : no_labels   ? "no labels at all"
                            : "the gallery's people clustering as weak labels (as a catalog is)");

  std::map<int64_t, Row> rows;
  std::mt19937 rng(7);
  for (int64_t n : sizes) {
    Row& row = rows[n];
    for (int s = 0; s < splits; ++s) {
      std::vector<int> order = identities;
      std::shuffle(order.begin(), order.end(), rng);
      std::vector<int> gallery, strangers;
      for (int id : order) {
        for (int f : by_identity[id]) {
          if (static_cast<int64_t>(gallery.size()) < n) {
            gallery.push_back(f);
          } else {
            break;
          }
        }
        if (static_cast<int64_t>(gallery.size()) >= n) {
          // Identities not (even partly) enrolled are the strangers.
          const auto pos = std::find(order.begin(), order.end(), id) - order.begin();
          for (size_t k = static_cast<size_t>(pos) + 1; k < order.size(); ++k)
            for (int f : by_identity[order[k]]) strangers.push_back(f);
          break;
        }
      }
      if (static_cast<int64_t>(gallery.size()) < n || strangers.empty()) {
        std::fprintf(stderr, "gallery size %lld is too large for the dev sets\n",
                     static_cast<long long>(n));
        return 1;
      }
      std::vector<openset::GalleryFace> cal;
      for (int g : gallery)
        cal.push_back({g + 1, g + 1, people_labels ? faces[g].identity + 1 : 0, faces[g].e});
      if (!no_labels) openset::WeakLabelsByClustering(cal);  // as engine::CalibrateCatalog does
      openset::CalibrationOptions co;
      co.seed = static_cast<uint32_t>(s + 1);
      co.hubness_k = 0;
      auto c = openset::Calibrate(cal, co);
      if (!c.ok()) {
        std::fprintf(stderr, "calibrate (N %lld): %s\n", static_cast<long long>(n),
                     c.status().ToString().c_str());
        return 1;
      }
      c->target_fpir = target;
      auto d = engine::Decide(*c, engine::Scoring::kCosine, n);
      if (!d.ok()) return 1;
      row.threshold_sum += d->threshold;
      ++row.splits;
      for (int p : strangers) {
        float best = -1;
        for (int g : gallery) best = std::max(best, Dot(faces[p].e, faces[g].e));
        ++row.searches;
        if (best >= d->threshold) ++row.false_alarms;
        if (best >= engine::kDefaultMatchThreshold) ++row.baseline_alarms;
      }
    }
  }
  std::printf("\n%-8s %-10s %-16s %-14s %-10s %-22s %s\n", "gallery", "threshold",
              "stranger searches", "realised FPIR", "/ target", "baseline t=0.45 FPIR",
              "within x2");
  // Above the target is the unsafe side (strangers named); below it costs missed matches only.
  bool never_above = true, all_within = true;
  for (const auto& [n, r] : rows) {
    const double fpir = static_cast<double>(r.false_alarms) / static_cast<double>(r.searches);
    const double base = static_cast<double>(r.baseline_alarms) / static_cast<double>(r.searches);
    const double ratio = fpir / target;
    const bool within = ratio >= 0.5 && ratio <= 2.0;
    all_within = all_within && within;
    never_above = never_above && ratio <= 2.0;
    std::printf("%-8lld %-10.3f %-16lld %-14.4f %-10.2f %-22.4f %s\n", static_cast<long long>(n),
                r.threshold_sum / r.splits, static_cast<long long>(r.searches), fpir, ratio, base,
                within ? "yes" : (ratio < 0.5 ? "stricter" : "NO: above"));
  }
  std::printf(
      "\nrealised FPIR never above 2x the target: %s; within [0.5, 2] x the target at every "
      "size: %s\n",
      never_above ? "yes" : "no", all_within ? "yes" : "no");
  return 0;
}
