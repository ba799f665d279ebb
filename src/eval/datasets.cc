#include "eval/datasets.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace likeness::eval {
namespace fs = std::filesystem;
namespace {

std::string Trim(std::string s) {
  const auto not_space = [](unsigned char c) { return !std::isspace(c); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  return s;
}

fs::path LfwPath(const fs::path& root, const std::string& name, int index) {
  char file[512];
  std::snprintf(file, sizeof file, "%s_%04d.jpg", name.c_str(), index);
  return root / name / file;
}

Result<std::vector<LabelledPair>> LoadLfw(std::ifstream& in, const std::string& header,
                                          const fs::path& root) {
  std::istringstream hs(header);
  int folds = 0, per = 0;
  hs >> folds >> per;
  if (folds <= 0 || per <= 0) return Status::InvalidArgument("bad LFW pairs header: " + header);
  std::vector<LabelledPair> pairs;
  std::string line;
  int line_no = 1;
  while (std::getline(in, line)) {
    ++line_no;
    line = Trim(line);
    if (line.empty()) continue;
    std::istringstream ls(line);
    std::vector<std::string> t;
    for (std::string w; ls >> w;) t.push_back(w);
    LabelledPair p;
    try {
      if (t.size() == 3) {
        p = {LfwPath(root, t[0], std::stoi(t[1])), LfwPath(root, t[0], std::stoi(t[2])), true, 0};
      } else if (t.size() == 4) {
        p = {LfwPath(root, t[0], std::stoi(t[1])), LfwPath(root, t[2], std::stoi(t[3])), false, 0};
      } else {
        return Status::InvalidArgument("pairs line " + std::to_string(line_no) +
                                       ": expected 3 or 4 fields");
      }
    } catch (const std::exception&) {
      return Status::InvalidArgument("pairs line " + std::to_string(line_no) +
                                     ": bad image number");
    }
    p.fold = std::min(folds - 1, static_cast<int>(pairs.size() / (2 * per)));
    pairs.push_back(p);
  }
  return pairs;
}

}  // namespace

Result<std::vector<LabelledPair>> LoadPairs(const fs::path& file, const fs::path& root) {
  std::ifstream in(file);
  if (!in) return Status::NotFound("cannot open pairs file " + file.string());
  std::string first;
  if (!std::getline(in, first)) return Status::InvalidArgument("empty pairs file " + file.string());
  first = Trim(first);
  if (first.find(',') == std::string::npos) return LoadLfw(in, first, root);
  const fs::path base = root.empty() ? file.parent_path() : root;
  std::vector<LabelledPair> pairs;
  auto parse = [&](const std::string& line, int line_no) -> Status {
    std::vector<std::string> cols;
    std::stringstream ss(line);
    for (std::string c; std::getline(ss, c, ',');) cols.push_back(Trim(c));
    if (cols.size() < 3) {
      return Status::InvalidArgument("pairs line " + std::to_string(line_no) +
                                     ": expected path_a,path_b,same");
    }
    const std::string& same = cols[2];
    bool is_same;
    if (same == "1" || same == "true" || same == "True" || same == "yes" || same == "Yes") {
      is_same = true;
    } else if (same == "0" || same == "false" || same == "False" || same == "no" || same == "No") {
      is_same = false;
    } else {
      return Status::InvalidArgument("pairs line " + std::to_string(line_no) +
                                     ": 'same' must be 1/0, got '" + same + "'");
    }
    LabelledPair p{base / cols[0], base / cols[1], is_same, static_cast<int>(pairs.size() % 10)};
    pairs.push_back(p);
    return Status::Ok();
  };
  const bool header = first.find("same") != std::string::npos ||
                      first.find("path") != std::string::npos ||
                      first.find("file") != std::string::npos;
  if (!header) RETURN_IF_ERROR(parse(first, 1));
  std::string line;
  int line_no = 1;
  while (std::getline(in, line)) {
    ++line_no;
    line = Trim(line);
    if (line.empty()) continue;
    RETURN_IF_ERROR(parse(line, line_no));
  }
  return pairs;
}

Result<std::vector<IdentityImages>> LoadIdentityFolders(const fs::path& root) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return Status::NotFound("no such folder: " + root.string());
  std::vector<IdentityImages> out;
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    if (!entry.is_directory()) continue;
    const std::string name = entry.path().filename().string();
    if (name.empty() || name[0] == '.') continue;
    IdentityImages id{name, {}};
    for (const auto& f : fs::directory_iterator(entry.path(), ec)) {
      const std::string fname = f.path().filename().string();
      if (f.is_regular_file() && !fname.empty() && fname[0] != '.' && fname != "SOURCE.md") {
        id.images.push_back(f.path());
      }
    }
    std::sort(id.images.begin(), id.images.end());
    if (!id.images.empty()) out.push_back(std::move(id));
  }
  if (ec) return Status::IOError("cannot list " + root.string() + ": " + ec.message());
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.identity < b.identity; });
  return out;
}

}  // namespace likeness::eval
