// Error rates per operator-declared group (NIST IR 8280 style): false match rate over impostor
// pairs within a group, false non-match rate over mated pairs within a group, at one operating
// threshold, and the spread between groups. Groups come only from labels the operator supplies;
// nothing here infers a demographic attribute from a face.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "likeness/status.h"

namespace likeness::openset {

struct LabelledImage {
  std::filesystem::path image;
  std::string identity, group;
};

// CSV "image,identity,group" (a header row naming "image" is skipped; relative image paths resolve
// against the CSV's folder). InvalidArgument naming the bad line; NotFound for a missing file.
Result<std::vector<LabelledImage>> LoadDemographicLabels(const std::filesystem::path& csv);

struct LabelledEmbedding {
  std::string identity, group;
  const std::vector<float>* embedding = nullptr;  // empty or null: no face found (skipped)
};

struct GroupErrors {
  std::string group;
  int64_t images = 0, identities = 0;
  int64_t mated_pairs = 0, false_non_matches = 0;
  int64_t impostor_pairs = 0, false_matches = 0;
  double fnmr = 0, fmr = 0;
  // When no error was seen the rate is 0 and only bounded by 1/pairs: the plot draws the bound.
  double fnmr_bound = 0, fmr_bound = 0;
};

struct DemographicReport {
  double threshold = 0;
  std::vector<GroupErrors> groups;  // sorted by group name
  // max/min across groups with pairs; a zero rate is replaced by its 1/pairs bound (so the ratio is
  // then a lower bound on the true spread) and flagged.
  double fmr_spread = 0, fnmr_spread = 0;
  bool fmr_spread_bounded = false, fnmr_spread_bounded = false;
};

// Pairs are formed within each group (mated: same identity, different images; impostor: different
// identities), as NIST IR 8280 does for its same-demographic impostor comparisons.
DemographicReport ComputeDemographicReport(const std::vector<LabelledEmbedding>& items,
                                           double threshold);

}  // namespace likeness::openset
