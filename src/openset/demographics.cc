#include "openset/demographics.h"

#include <algorithm>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>

namespace likeness::openset {
namespace fs = std::filesystem;

namespace {
std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == ' ')) s.pop_back();
  size_t i = 0;
  while (i < s.size() && s[i] == ' ') ++i;
  return s.substr(i);
}

float Dot(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) s += static_cast<double>(a[i]) * b[i];
  return static_cast<float>(s);
}

void Spread(const std::vector<GroupErrors>& groups, bool fmr, double* spread, bool* bounded) {
  double lo = std::numeric_limits<double>::infinity(), hi = 0;
  *bounded = false;
  for (const auto& g : groups) {
    const int64_t pairs = fmr ? g.impostor_pairs : g.mated_pairs;
    if (pairs == 0) continue;
    double rate = fmr ? g.fmr : g.fnmr;
    if (rate == 0) rate = fmr ? g.fmr_bound : g.fnmr_bound, *bounded = true;
    lo = std::min(lo, rate), hi = std::max(hi, rate);
  }
  *spread = (hi > 0 && lo > 0 && lo != std::numeric_limits<double>::infinity()) ? hi / lo : 0;
}
}  // namespace

Result<std::vector<LabelledImage>> LoadDemographicLabels(const fs::path& csv) {
  std::ifstream in(csv);
  if (!in) return Status::NotFound("cannot read labels " + csv.string());
  std::vector<LabelledImage> out;
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    line = Trim(line);
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> cells;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) cells.push_back(Trim(cell));
    if (line_no == 1 && !cells.empty() && cells[0] == "image") continue;
    if (cells.size() < 3 || cells[0].empty() || cells[1].empty() || cells[2].empty())
      return Status::InvalidArgument(csv.string() + ":" + std::to_string(line_no) +
                                     ": expected image,identity,group");
    fs::path image = cells[0];
    if (image.is_relative()) image = csv.parent_path() / image;
    out.push_back({image, cells[1], cells[2]});
  }
  if (out.empty()) return Status::InvalidArgument(csv.string() + ": no labelled images");
  return out;
}

DemographicReport ComputeDemographicReport(const std::vector<LabelledEmbedding>& items,
                                           double threshold) {
  DemographicReport r;
  r.threshold = threshold;
  std::map<std::string, std::vector<const LabelledEmbedding*>> by_group;
  for (const auto& it : items) by_group[it.group];  // every labelled group gets a row
  for (const auto& it : items)
    if (it.embedding && !it.embedding->empty()) by_group[it.group].push_back(&it);
  for (const auto& [group, members] : by_group) {
    GroupErrors g;
    g.group = group;
    g.images = static_cast<int64_t>(members.size());
    std::set<std::string> ids;
    for (const auto* m : members) ids.insert(m->identity);
    g.identities = static_cast<int64_t>(ids.size());
    for (size_t i = 0; i < members.size(); ++i)
      for (size_t j = i + 1; j < members.size(); ++j) {
        const bool match = Dot(*members[i]->embedding, *members[j]->embedding) >= threshold;
        if (members[i]->identity == members[j]->identity) {
          ++g.mated_pairs;
          g.false_non_matches += !match;
        } else {
          ++g.impostor_pairs;
          g.false_matches += match;
        }
      }
    if (g.mated_pairs) {
      g.fnmr = static_cast<double>(g.false_non_matches) / g.mated_pairs;
      g.fnmr_bound = 1.0 / g.mated_pairs;
    }
    if (g.impostor_pairs) {
      g.fmr = static_cast<double>(g.false_matches) / g.impostor_pairs;
      g.fmr_bound = 1.0 / g.impostor_pairs;
    }
    r.groups.push_back(g);
  }
  Spread(r.groups, true, &r.fmr_spread, &r.fmr_spread_bounded);
  Spread(r.groups, false, &r.fnmr_spread, &r.fnmr_spread_bounded);
  return r;
}

}  // namespace likeness::openset
