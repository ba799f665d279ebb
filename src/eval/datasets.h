// Benchmark inputs: pair lists (LFW View 2 pairs.txt or CSV) and folder-per-identity layouts.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "likeness/status.h"

namespace likeness::eval {

struct LabelledPair {
  std::filesystem::path a, b;
  bool same = false;
  int fold = 0;
};

// LFW View 2 `pairs.txt` ("<folds> <n>" header; n matched "name i j" lines then n mismatched
// "name1 i name2 j" lines per fold; files at ROOT/name/name_%04d.jpg), or CSV "path_a,path_b,same"
// (a header row is skipped; extra columns ignored; relative paths resolve against root, or the
// CSV's folder when root is empty; folds assigned round-robin). InvalidArgument naming the bad
// line.
Result<std::vector<LabelledPair>> LoadPairs(const std::filesystem::path& file,
                                            const std::filesystem::path& root);

struct IdentityImages {
  std::string identity;
  std::vector<std::filesystem::path> images;  // sorted
};

// ROOT/<identity>/<image files>, sorted by identity then file name. Hidden files skipped.
Result<std::vector<IdentityImages>> LoadIdentityFolders(const std::filesystem::path& root);

}  // namespace likeness::eval
