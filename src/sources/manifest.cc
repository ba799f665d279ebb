#include "sources/manifest.h"

#include <algorithm>
#include <array>
#include <fstream>
#include <optional>
#include <sstream>

namespace likeness::sources {
namespace {
namespace fs = std::filesystem;

constexpr size_t kHeaderProbeBytes = 64 << 10;
constexpr std::array<std::string_view, 4> kColumns = {"path", "location", "collected_at",
                                                      "retain_until"};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool Skippable(std::string_view line) {
  const std::string_view t = Trim(line);
  return t.empty() || t.front() == '#';
}

// Splits one line into fields; quotes as RFC 4180 (no line breaks inside quotes). nullopt when a
// quote is left open.
std::optional<std::vector<std::string>> SplitFields(std::string_view line, char sep) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c != '"') {
        fields.back() += c;
      } else if (i + 1 < line.size() && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else {
        quoted = false;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == sep) {
      fields.emplace_back();
    } else if (c != '\r') {
      fields.back() += c;
    }
  }
  if (quoted) return std::nullopt;
  for (auto& f : fields) f = std::string(Trim(f));
  return fields;
}

bool IsDigits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool IsDate(std::string_view s) {
  return s.size() == 10 && s[4] == '-' && s[7] == '-' && IsDigits(s.substr(0, 4)) &&
         IsDigits(s.substr(5, 2)) && IsDigits(s.substr(8, 2)) && s.substr(5, 2) >= "01" &&
         s.substr(5, 2) <= "12" && s.substr(8, 2) >= "01" && s.substr(8, 2) <= "31";
}

bool IsDateTime(std::string_view s) {
  if (s.size() == 10) return IsDate(s);
  if (!s.empty() && s.back() == 'Z') s.remove_suffix(1);
  return s.size() == 19 && IsDate(s.substr(0, 10)) && (s[10] == 'T' || s[10] == ' ') &&
         s[13] == ':' && s[16] == ':' && IsDigits(s.substr(11, 2)) && IsDigits(s.substr(14, 2)) &&
         IsDigits(s.substr(17, 2));
}

// The line after the comments and blank lines at the top, or empty.
std::string_view HeaderLine(std::string_view text, size_t* next) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (!Skippable(line)) {
      *next = pos;
      return line;
    }
  }
  *next = text.size();
  return {};
}

}  // namespace

Result<std::vector<ManifestRow>> ParseManifest(std::string_view text, const fs::path& base_dir,
                                               const ManifestLimits& limits) {
  size_t pos = 0;
  const std::string_view header = HeaderLine(text, &pos);
  if (header.empty()) return Status::InvalidArgument("manifest has no header line");
  const char sep = header.find('\t') != std::string_view::npos ? '\t' : ',';
  auto names = SplitFields(header, sep);
  if (!names) return Status::InvalidArgument("manifest header has an unclosed quote");
  std::array<int, kColumns.size()> column;
  column.fill(-1);
  for (size_t i = 0; i < names->size(); ++i) {
    size_t k = 0;
    while (k < kColumns.size() && kColumns[k] != (*names)[i]) ++k;
    if (k == kColumns.size()) {
      return Status::InvalidArgument("manifest column '" + (*names)[i] +
                                     "' is not one of path, location, collected_at, retain_until");
    }
    if (column[k] >= 0) {
      return Status::InvalidArgument("manifest column '" + (*names)[i] + "' appears twice");
    }
    column[k] = static_cast<int>(i);
  }
  if (column[0] < 0) return Status::InvalidArgument("manifest header has no 'path' column");

  std::vector<ManifestRow> rows;
  int line_no = static_cast<int>(std::count(text.begin(), text.begin() + pos, '\n'));
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (Skippable(line)) continue;
    if (static_cast<int64_t>(rows.size()) >= limits.max_rows) {
      return Status::InvalidArgument("manifest has more than " + std::to_string(limits.max_rows) +
                                     " rows");
    }
    ManifestRow row;
    row.line = line_no;
    auto fields = SplitFields(line, sep);
    auto field = [&](size_t k) -> std::string {
      return column[k] >= 0 && static_cast<size_t>(column[k]) < fields->size()
                 ? (*fields)[column[k]]
                 : std::string();
    };
    if (!fields) {
      row.status = Status::InvalidArgument("unclosed quote");
    } else if (fields->size() > names->size()) {
      row.status = Status::InvalidArgument("more fields than header columns");
    } else {
      const std::string path = field(0);
      row.location = field(1);
      row.collected_at = field(2);
      row.retain_until = field(3);
      if (path.empty()) {
        row.status = Status::InvalidArgument("empty path");
      } else {
        row.path = fs::path(path).is_absolute() ? fs::path(path) : base_dir / path;
        row.path = row.path.lexically_normal();
        if (!row.collected_at.empty() && !IsDateTime(row.collected_at)) {
          row.status = Status::InvalidArgument("collected_at '" + row.collected_at +
                                               "' is not YYYY-MM-DD[THH:MM:SS[Z]]");
        } else if (!row.retain_until.empty() && !IsDate(row.retain_until)) {
          row.status =
              Status::InvalidArgument("retain_until '" + row.retain_until + "' is not YYYY-MM-DD");
        }
      }
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

Result<std::vector<ManifestRow>> ReadManifest(const fs::path& path, const ManifestLimits& limits) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return Status::NotFound("no such manifest: " + path.string());
  const auto size = fs::file_size(path, ec);
  if (ec) return Status::IOError("cannot stat " + path.string() + ": " + ec.message());
  if (size > limits.max_bytes) {
    return Status::ResourceExhausted("manifest " + path.string() + " is over " +
                                     std::to_string(limits.max_bytes) + " bytes");
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in && !in.eof()) return Status::IOError("cannot read " + path.string());
  auto rows = ParseManifest(text.str(), fs::absolute(path).parent_path(), limits);
  if (!rows.ok())
    return Status(rows.status().code(), path.string() + ": " + rows.status().message());
  return rows;
}

bool LooksLikeManifest(const fs::path& path) {
  const std::string ext = path.extension().string();
  if (ext != ".manifest" && ext != ".csv" && ext != ".tsv") return false;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return false;
  std::ifstream in(path, std::ios::binary);
  std::string head(kHeaderProbeBytes, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(in.gcount()));
  size_t pos = 0;
  const std::string_view header = HeaderLine(head, &pos);
  const char sep = header.find('\t') != std::string_view::npos ? '\t' : ',';
  auto names = SplitFields(header, sep);
  return names && std::find(names->begin(), names->end(), "path") != names->end();
}

}  // namespace likeness::sources
