#include "folder_scan.h"

#include <cstring>
#include <fstream>
#include <iterator>

#include "simd/kernels.h"
#include "simd/quantize.h"

namespace likeness::redteam {
namespace fs = std::filesystem;

const char* FormName(Form form) {
  switch (form) {
    case Form::kFp32:
      return "fp32";
    case Form::kFp16:
      return "fp16";
    case Form::kInt8:
      return "int8";
  }
  return "?";
}

std::vector<std::string> Needles(const Embedding& e, Form form) {
  std::string bytes;
  switch (form) {
    case Form::kFp32:
      bytes.assign(reinterpret_cast<const char*>(e.data()), e.size() * sizeof(float));
      break;
    case Form::kFp16: {
      std::vector<uint16_t> half(e.size());
      simd::DefaultKernels().f32_to_f16(e.data(), static_cast<int64_t>(e.size()), half.data());
      bytes.assign(reinterpret_cast<const char*>(half.data()), half.size() * sizeof(uint16_t));
      break;
    }
    case Form::kInt8: {
      std::vector<int8_t> row(e.size());
      simd::QuantizeRowInt8(e.data(), static_cast<int64_t>(e.size()), row.data());
      bytes.assign(reinterpret_cast<const char*>(row.data()), row.size());
      break;
    }
  }
  constexpr size_t kWindow = 64;
  return {bytes.substr(0, kWindow), bytes.substr(bytes.size() - kWindow)};
}

std::vector<std::string> FilesContaining(const fs::path& dir,
                                         const std::vector<std::string>& needles) {
  std::vector<std::string> hits;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string content((std::istreambuf_iterator<char>(in)), {});
    for (const std::string& needle : needles) {
      if (content.find(needle) != std::string::npos) {
        hits.push_back(fs::relative(entry.path(), dir).string());
        break;
      }
    }
  }
  return hits;
}

std::string ListFiles(const fs::path& dir) {
  std::string out;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) {
      out += fs::relative(entry.path(), dir).string() + " (" + std::to_string(entry.file_size()) +
             " B) ";
    }
  }
  return out;
}

}  // namespace likeness::redteam
