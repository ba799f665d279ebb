#include "catalog/row_codec.h"

#include <array>
#include <cassert>
#include <initializer_list>

#include "catalog/float_blob.h"

namespace likeness::catalog {
namespace {

constexpr std::array<std::string_view, kSourceColumnCount> kSourceNames = {
    "id",           "name",        "kind",           "location",
    "collector",    "legal_basis", "art9_condition", "jurisdiction",
    "retain_until", "created_at",  "tenant",         "public_description"};
constexpr std::array<std::string_view, 8> kBatchNames = {
    "id", "source_id", "started_at", "finished_at", "images", "faces", "errors", "skipped"};
constexpr std::array<std::string_view, kImageColumnCount> kImageNames = {
    "id",    "source_id", "batch_id", "content_hash", "path",      "format",
    "width", "height",    "bytes",    "ingested_at",  "duration_s"};
constexpr std::array<std::string_view, kFaceColumnCountWithoutEmbedding> kFaceNames = {
    "id",
    "image_id",
    "x1",
    "y1",
    "x2",
    "y2",
    "points",
    "face_px",
    "sharpness",
    "yaw",
    "pitch",
    "roll",
    "detector_score",
    "overall",
    "searchable",
    "model_id",
    "time_offset_s",
    "track_id",
    "track_first_s",
    "track_last_s"};
constexpr int kPointFloats = 10;

template <size_t N>
std::string JoinColumns(std::string_view alias, const std::array<std::string_view, N>& names) {
  std::string out;
  for (std::string_view name : names) {
    if (!out.empty()) out += ", ";
    if (!alias.empty()) {
      out += alias;
      out += '.';
    }
    out += name;
  }
  return out;
}

// Binds `values` to parameters 1, 2, ... in order, stopping at the first error.
Status BindDoubles(sqlite::Statement& stmt, int first, std::initializer_list<double> values) {
  int index = first;
  for (double v : values) RETURN_IF_ERROR(stmt.BindDouble(index++, v));
  return Status::Ok();
}

}  // namespace

std::string SourceColumns(std::string_view alias) { return JoinColumns(alias, kSourceNames); }
std::string BatchColumns(std::string_view alias) { return JoinColumns(alias, kBatchNames); }
std::string ImageColumns(std::string_view alias) { return JoinColumns(alias, kImageNames); }

std::string FaceColumns(std::string_view alias, bool with_embedding) {
  std::string out = JoinColumns(alias, kFaceNames);
  if (with_embedding) {
    out += ", ";
    if (!alias.empty()) {
      out += alias;
      out += '.';
    }
    out += "embedding, ";
    if (!alias.empty()) {
      out += alias;
      out += '.';
    }
    out += "embedding_sealed, (SELECT source_id FROM images WHERE images.id = ";
    out += alias.empty() ? std::string("faces") : std::string(alias);
    out += ".image_id)";
  }
  return out;
}

Result<SourceRecord> ReadSource(const sqlite::Statement& stmt, int first) {
  SourceRecord s;
  int c = first;
  s.id = stmt.ColumnInt64(c++);
  s.name = stmt.ColumnText(c++);
  const std::string kind = stmt.ColumnText(c++);
  Result<SourceKind> parsed = ParseSourceKind(kind);
  if (!parsed.ok()) {
    return Status::Corruption("source " + std::to_string(s.id) + " has unknown kind '" + kind +
                              "'");
  }
  s.kind = *parsed;
  s.location = stmt.ColumnText(c++);
  s.collector = stmt.ColumnText(c++);
  s.legal_basis = stmt.ColumnText(c++);
  s.art9_condition = stmt.ColumnText(c++);
  s.jurisdiction = stmt.ColumnText(c++);
  s.retain_until = stmt.ColumnText(c++);
  s.created_at = stmt.ColumnText(c++);
  s.tenant = stmt.ColumnText(c++);
  s.public_description = stmt.ColumnText(c++);
  return s;
}

BatchRecord ReadBatch(const sqlite::Statement& stmt, int first) {
  BatchRecord b;
  int c = first;
  b.id = stmt.ColumnInt64(c++);
  b.source_id = stmt.ColumnInt64(c++);
  b.started_at = stmt.ColumnText(c++);
  b.finished_at = stmt.ColumnText(c++);
  b.images = stmt.ColumnInt64(c++);
  b.faces = stmt.ColumnInt64(c++);
  b.errors = stmt.ColumnInt64(c++);
  b.skipped = stmt.ColumnInt64(c++);
  return b;
}

ImageRecord ReadImage(const sqlite::Statement& stmt, int first) {
  ImageRecord im;
  int c = first;
  im.id = stmt.ColumnInt64(c++);
  im.source_id = stmt.ColumnInt64(c++);
  im.batch_id = stmt.ColumnInt64(c++);  // NULL (no batch) reads as 0
  im.content_hash = stmt.ColumnText(c++);
  im.path = stmt.ColumnText(c++);
  im.format = stmt.ColumnText(c++);
  im.width = static_cast<int>(stmt.ColumnInt64(c++));
  im.height = static_cast<int>(stmt.ColumnInt64(c++));
  im.bytes = stmt.ColumnInt64(c++);
  im.ingested_at = stmt.ColumnText(c++);
  if (!stmt.ColumnIsNull(c)) im.duration_s = stmt.ColumnDouble(c);
  ++c;
  return im;
}

Status ReadEmbedding(const sqlite::Statement& stmt, int first, int64_t face_id,
                     EmbeddingCodec* codec, std::span<float> out) {
  const std::string what = "face " + std::to_string(face_id) + " embedding";
  if (stmt.ColumnIsNull(first + 1))
    return DecodeFloatBlob(stmt.ColumnBlob(first), out).WithContext(what);
  if (codec == nullptr) {
    return Status::FailedPrecondition(what +
                                      " is sealed but the catalog was opened without a codec");
  }
  const std::span<const std::byte> blob = stmt.ColumnBlob(first + 1);
  Result<std::vector<uint8_t>> plain = codec->Open(
      stmt.ColumnInt64(first + 2), {reinterpret_cast<const uint8_t*>(blob.data()), blob.size()});
  if (!plain.ok()) return plain.status().WithContext(what);
  return DecodeFloatBlob({reinterpret_cast<const std::byte*>(plain->data()), plain->size()}, out)
      .WithContext(what);
}

Result<FaceRecord> ReadFace(const sqlite::Statement& stmt, int first, bool with_embedding,
                            EmbeddingCodec* codec) {
  FaceRecord f;
  int c = first;
  auto real = [&stmt, &c] { return static_cast<float>(stmt.ColumnDouble(c++)); };
  f.id = stmt.ColumnInt64(c++);
  f.image_id = stmt.ColumnInt64(c++);
  f.box.x1 = real();
  f.box.y1 = real();
  f.box.x2 = real();
  f.box.y2 = real();
  std::array<float, kPointFloats> points{};
  RETURN_IF_ERROR(DecodeFloatBlob(stmt.ColumnBlob(c++), points)
                      .WithContext("face " + std::to_string(f.id) + " points"));
  for (size_t i = 0; i < f.points.size(); ++i) f.points[i] = {points[2 * i], points[2 * i + 1]};
  f.quality.face_px = real();
  f.quality.sharpness = real();
  f.quality.yaw_deg = real();
  f.quality.pitch_deg = real();
  f.quality.roll_deg = real();
  f.quality.detector_score = real();
  f.quality.overall = real();
  f.searchable = stmt.ColumnInt64(c++) != 0;
  f.model_id = stmt.ColumnText(c++);
  if (!stmt.ColumnIsNull(c)) {
    f.video = VideoMoment{.time_offset_s = stmt.ColumnDouble(c),
                          .track_id = stmt.ColumnInt64(c + 1),
                          .track_first_s = stmt.ColumnDouble(c + 2),
                          .track_last_s = stmt.ColumnDouble(c + 3)};
  }
  c += 4;
  if (with_embedding) {
    f.embedding.resize(kEmbeddingDim);
    RETURN_IF_ERROR(ReadEmbedding(stmt, c, f.id, codec, f.embedding));
    c += 3;
  }
  return f;
}

std::string_view SourceInsertSql() {
  return "INSERT INTO sources (name, kind, location, collector, legal_basis, art9_condition, "
         "jurisdiction, retain_until, created_at, tenant, public_description) "
         "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
}

std::string_view ImageInsertSql() {
  return "INSERT INTO images (source_id, batch_id, content_hash, path, format, width, height, "
         "bytes, ingested_at, duration_s) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
}

std::string_view FaceInsertSql() {
  return "INSERT INTO faces (image_id, x1, y1, x2, y2, points, face_px, sharpness, yaw, pitch, "
         "roll, detector_score, overall, searchable, model_id, embedding, embedding_sealed, "
         "time_offset_s, track_id, track_first_s, track_last_s) "
         "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
}

Status BindSource(sqlite::Statement& stmt, const SourceRecord& source,
                  std::string_view created_at) {
  RETURN_IF_ERROR(stmt.BindText(1, source.name));
  RETURN_IF_ERROR(stmt.BindText(2, SourceKindName(source.kind)));
  RETURN_IF_ERROR(stmt.BindText(3, source.location));
  RETURN_IF_ERROR(stmt.BindText(4, source.collector));
  RETURN_IF_ERROR(stmt.BindText(5, source.legal_basis));
  RETURN_IF_ERROR(stmt.BindText(6, source.art9_condition));
  RETURN_IF_ERROR(stmt.BindText(7, source.jurisdiction));
  RETURN_IF_ERROR(stmt.BindTextOrNull(8, source.retain_until));
  RETURN_IF_ERROR(stmt.BindText(9, created_at));
  RETURN_IF_ERROR(
      stmt.BindText(10, source.tenant.empty() ? std::string(kDefaultTenant) : source.tenant));
  return stmt.BindText(11, source.public_description);
}

Status BindImage(sqlite::Statement& stmt, const ImageRecord& image, std::string_view ingested_at) {
  RETURN_IF_ERROR(stmt.BindInt64(1, image.source_id));
  RETURN_IF_ERROR(image.batch_id == 0 ? stmt.BindNull(2) : stmt.BindInt64(2, image.batch_id));
  RETURN_IF_ERROR(stmt.BindText(3, image.content_hash));
  RETURN_IF_ERROR(stmt.BindText(4, image.path));
  RETURN_IF_ERROR(stmt.BindText(5, image.format));
  RETURN_IF_ERROR(stmt.BindInt64(6, image.width));
  RETURN_IF_ERROR(stmt.BindInt64(7, image.height));
  RETURN_IF_ERROR(stmt.BindInt64(8, image.bytes));
  RETURN_IF_ERROR(stmt.BindText(9, ingested_at));
  return image.duration_s ? stmt.BindDouble(10, *image.duration_s) : stmt.BindNull(10);
}

Status BindFace(sqlite::Statement& stmt, int64_t image_id, const FaceRecord& face,
                const std::vector<uint8_t>* sealed) {
  assert(face.embedding.size() == static_cast<size_t>(kEmbeddingDim));
  RETURN_IF_ERROR(stmt.BindInt64(1, image_id));
  RETURN_IF_ERROR(BindDoubles(stmt, 2, {face.box.x1, face.box.y1, face.box.x2, face.box.y2}));
  std::array<float, kPointFloats> points{};
  for (size_t i = 0; i < face.points.size(); ++i) {
    points[2 * i] = face.points[i].x;
    points[2 * i + 1] = face.points[i].y;
  }
  RETURN_IF_ERROR(stmt.BindBlob(6, EncodeFloatBlob(points)));
  const FaceQuality& q = face.quality;
  RETURN_IF_ERROR(BindDoubles(
      stmt, 7,
      {q.face_px, q.sharpness, q.yaw_deg, q.pitch_deg, q.roll_deg, q.detector_score, q.overall}));
  RETURN_IF_ERROR(stmt.BindInt64(14, face.searchable ? 1 : 0));
  RETURN_IF_ERROR(stmt.BindText(15, face.model_id));
  if (sealed == nullptr) {
    RETURN_IF_ERROR(stmt.BindBlob(16, EncodeFloatBlob(face.embedding)));
    RETURN_IF_ERROR(stmt.BindNull(17));
  } else {
    const std::vector<std::byte> zeros(face.embedding.size() * sizeof(float));
    RETURN_IF_ERROR(stmt.BindBlob(16, zeros));
    RETURN_IF_ERROR(
        stmt.BindBlob(17, {reinterpret_cast<const std::byte*>(sealed->data()), sealed->size()}));
  }
  if (!face.video) {
    for (int i = 18; i <= 21; ++i) RETURN_IF_ERROR(stmt.BindNull(i));
    return Status::Ok();
  }
  const VideoMoment& v = *face.video;
  RETURN_IF_ERROR(stmt.BindDouble(18, v.time_offset_s));
  RETURN_IF_ERROR(stmt.BindInt64(19, v.track_id));
  return BindDoubles(stmt, 20, {v.track_first_s, v.track_last_s});
}

}  // namespace likeness::catalog
