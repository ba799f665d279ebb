// SqliteCatalog: images, faces and embeddings.
#include <algorithm>
#include <string>
#include <tuple>

#include "catalog/float_blob.h"
#include "catalog/row_codec.h"
#include "catalog/sqlite_catalog.h"
#include "catalog/timestamp.h"
#include "catalog/validation.h"

namespace likeness::catalog {
namespace {

using sqlite::Statement;
using sqlite::Transaction;

// "?, ?, ?" with n placeholders.
std::string Placeholders(size_t n) {
  std::string out;
  out.reserve(n * 3);
  for (size_t i = 0; i < n; ++i) out += i == 0 ? "?" : ", ?";
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------------------
// Sealing (embedding_codec.h)

Result<std::optional<std::vector<uint8_t>>> SqliteCatalog::SealLocked(
    int64_t source_id, std::span<const float> embedding) {
  if (!codec_) return std::optional<std::vector<uint8_t>>();
  const std::vector<std::byte> plain = EncodeFloatBlob(embedding);
  ASSIGN_OR_RETURN(
      std::vector<uint8_t> sealed,
      codec_->Seal(source_id, {reinterpret_cast<const uint8_t*>(plain.data()), plain.size()}));
  return std::optional<std::vector<uint8_t>>(std::move(sealed));
}

Status SqliteCatalog::SealPlaintextRowsLocked() {
  int64_t sealed_rows = 0;
  {
    ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_, Transaction::Mode::kImmediate));
    std::vector<std::tuple<int64_t, int64_t, std::vector<float>>> rows;
    {
      ASSIGN_OR_RETURN(
          Statement query,
          db_->Prepare("SELECT f.id, i.source_id, f.embedding FROM faces f JOIN images "
                       "i ON i.id = f.image_id WHERE f.embedding_sealed IS NULL"));
      for (;;) {
        ASSIGN_OR_RETURN(const bool has_row, query.Step());
        if (!has_row) break;
        std::vector<float> e(kEmbeddingDim);
        RETURN_IF_ERROR(DecodeFloatBlob(query.ColumnBlob(2), e)
                            .WithContext("face " + std::to_string(query.ColumnInt64(0))));
        rows.emplace_back(query.ColumnInt64(0), query.ColumnInt64(1), std::move(e));
      }
    }
    if (rows.empty()) return tx.Commit();
    ASSIGN_OR_RETURN(
        Statement update,
        db_->Prepare("UPDATE faces SET embedding = ?, embedding_sealed = ? WHERE id = ?"));
    const std::vector<std::byte> zeros(kEmbeddingDim * sizeof(float));
    for (const auto& [id, source_id, e] : rows) {
      ASSIGN_OR_RETURN(std::optional<std::vector<uint8_t>> sealed, SealLocked(source_id, e));
      RETURN_IF_ERROR(update.Reset());
      RETURN_IF_ERROR(update.BindBlob(1, zeros));
      RETURN_IF_ERROR(
          update.BindBlob(2, {reinterpret_cast<const std::byte*>(sealed->data()), sealed->size()}));
      RETURN_IF_ERROR(update.BindInt64(3, id));
      RETURN_IF_ERROR(update.Run().WithContext("seal face " + std::to_string(id)));
    }
    sealed_rows = static_cast<int64_t>(rows.size());
    RETURN_IF_ERROR(tx.Commit().WithContext("seal plaintext embeddings"));
  }
  if (sealed_rows > 0) {
    // The plaintext pages: out of the WAL, then out of the file and its free list.
    RETURN_IF_ERROR(db_->Exec("PRAGMA secure_delete = ON"));
    RETURN_IF_ERROR(db_->Exec("PRAGMA wal_checkpoint(TRUNCATE)"));
    RETURN_IF_ERROR(db_->Exec("VACUUM"));
    RETURN_IF_ERROR(db_->Exec("PRAGMA wal_checkpoint(TRUNCATE)"));
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------------
// Images

Result<std::optional<int64_t>> SqliteCatalog::FindImageByHashLocked(
    const std::string& content_hash) {
  ASSIGN_OR_RETURN(Statement query, db_->Prepare("SELECT id FROM images WHERE content_hash = ?"));
  RETURN_IF_ERROR(query.BindText(1, content_hash));
  ASSIGN_OR_RETURN(const bool found, query.Step());
  if (!found) return std::optional<int64_t>();
  return std::optional<int64_t>(query.ColumnInt64(0));
}

Result<std::optional<int64_t>> SqliteCatalog::FindImageByHash(const std::string& content_hash) {
  std::lock_guard lock(mu_);
  return FindImageByHashLocked(content_hash);
}

Result<ImageRecord> SqliteCatalog::GetImage(int64_t id) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(Statement query,
                   db_->Prepare("SELECT " + ImageColumns() + " FROM images WHERE id = ?"));
  RETURN_IF_ERROR(query.BindInt64(1, id));
  ASSIGN_OR_RETURN(const bool found, query.Step());
  if (!found) return Status::NotFound("no image with id " + std::to_string(id));
  return ReadImage(query, 0);
}

Status SqliteCatalog::AddImageWithFaces(ImageRecord& image, std::vector<FaceRecord>& faces) {
  const std::string context = "add image '" + image.path + "'";
  RETURN_IF_ERROR(ValidateImage(image).WithContext(context));
  for (size_t i = 0; i < faces.size(); ++i) {
    RETURN_IF_ERROR(ValidateFace(faces[i]).WithContext(context + ": face " + std::to_string(i)));
    if (faces[i].model_id != faces[0].model_id) {
      return Status::FailedPrecondition(context + ": its faces carry different models ('" +
                                        faces[0].model_id + "' and '" + faces[i].model_id + "')");
    }
  }

  std::lock_guard lock(mu_);
  // IMMEDIATE: the hash and model checks below must still hold when the rows are written.
  ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_, Transaction::Mode::kImmediate));
  ASSIGN_OR_RETURN(const std::optional<int64_t> held, FindImageByHashLocked(image.content_hash));
  if (held.has_value()) {
    return Status::AlreadyExists(context + ": content hash " + image.content_hash +
                                 " is already in the catalog as image " + std::to_string(*held));
  }
  ASSIGN_OR_RETURN(const std::string catalog_model, ModelIdLocked());
  if (!faces.empty() && !catalog_model.empty() && faces[0].model_id != catalog_model) {
    return Status::FailedPrecondition(context + ": face model '" + faces[0].model_id +
                                      "' differs from the catalog's model '" + catalog_model +
                                      "' (embeddings of different models are not comparable)");
  }

  const std::string ingested_at = UtcNowTimestamp();
  ASSIGN_OR_RETURN(Statement insert_image, db_->Prepare(ImageInsertSql()));
  RETURN_IF_ERROR(BindImage(insert_image, image, ingested_at));
  if (Status s = insert_image.Run(); !s.ok()) {
    if (s.code() == StatusCode::kNotFound) {
      return Status::NotFound(context + ": source " + std::to_string(image.source_id) +
                              " or batch " + std::to_string(image.batch_id) + " does not exist");
    }
    return s.WithContext(context);
  }
  const int64_t image_id = db_->LastInsertRowId();

  std::vector<int64_t> face_ids;
  face_ids.reserve(faces.size());
  if (!faces.empty()) {
    ASSIGN_OR_RETURN(Statement insert_face, db_->Prepare(FaceInsertSql()));
    for (const FaceRecord& face : faces) {
      ASSIGN_OR_RETURN(std::optional<std::vector<uint8_t>> sealed,
                       SealLocked(image.source_id, face.embedding));
      RETURN_IF_ERROR(insert_face.Reset());
      RETURN_IF_ERROR(
          BindFace(insert_face, image_id, face, sealed.has_value() ? &*sealed : nullptr));
      RETURN_IF_ERROR(insert_face.Run().WithContext(context));
      face_ids.push_back(db_->LastInsertRowId());
    }
    RETURN_IF_ERROR(BumpGenerationLocked());
    if (catalog_model.empty()) RETURN_IF_ERROR(SetModelIdLocked(faces[0].model_id));
  }
  RETURN_IF_ERROR(tx.Commit().WithContext(context));

  // Only now that it is committed does the caller see ids.
  image.id = image_id;
  image.ingested_at = ingested_at;
  for (size_t i = 0; i < faces.size(); ++i) {
    faces[i].id = face_ids[i];
    faces[i].image_id = image_id;
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------------
// Faces

Result<FaceRecord> SqliteCatalog::GetFace(int64_t id, bool with_embedding) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(Statement query, db_->Prepare("SELECT " + FaceColumns("", with_embedding) +
                                                 " FROM faces WHERE id = ?"));
  RETURN_IF_ERROR(query.BindInt64(1, id));
  ASSIGN_OR_RETURN(const bool found, query.Step());
  if (!found) return Status::NotFound("no face with id " + std::to_string(id));
  return ReadFace(query, 0, with_embedding, codec_.get());
}

Result<std::vector<FaceRecord>> SqliteCatalog::GetFacesOfImage(int64_t image_id,
                                                               bool with_embedding) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_, Transaction::Mode::kDeferred));
  ASSIGN_OR_RETURN(Statement image_query, db_->Prepare("SELECT 1 FROM images WHERE id = ?"));
  RETURN_IF_ERROR(image_query.BindInt64(1, image_id));
  ASSIGN_OR_RETURN(const bool image_exists, image_query.Step());
  if (!image_exists) return Status::NotFound("no image with id " + std::to_string(image_id));

  ASSIGN_OR_RETURN(Statement query, db_->Prepare("SELECT " + FaceColumns("", with_embedding) +
                                                 " FROM faces WHERE image_id = ? ORDER BY id"));
  RETURN_IF_ERROR(query.BindInt64(1, image_id));
  std::vector<FaceRecord> faces;
  for (;;) {
    ASSIGN_OR_RETURN(const bool has_row, query.Step());
    if (!has_row) break;
    ASSIGN_OR_RETURN(FaceRecord face, ReadFace(query, 0, with_embedding, codec_.get()));
    faces.push_back(std::move(face));
  }
  RETURN_IF_ERROR(tx.Commit());
  return faces;
}

Status SqliteCatalog::LookupProvenanceLocked(
    std::span<const int64_t> ids, std::unordered_map<int64_t, FaceWithProvenance>& found) {
  constexpr int kImageFirst = kFaceColumnCountWithoutEmbedding;
  constexpr int kSourceFirst = kImageFirst + kImageColumnCount;
  ASSIGN_OR_RETURN(Statement query,
                   db_->Prepare("SELECT " + FaceColumns("f", false) + ", " + ImageColumns("i") +
                                ", " + SourceColumns("s") +
                                " FROM faces f JOIN images i ON i.id = f.image_id"
                                " JOIN sources s ON s.id = i.source_id WHERE f.id IN (" +
                                Placeholders(ids.size()) + ")"));
  for (size_t i = 0; i < ids.size(); ++i) {
    RETURN_IF_ERROR(query.BindInt64(static_cast<int>(i) + 1, ids[i]));
  }
  for (;;) {
    ASSIGN_OR_RETURN(const bool has_row, query.Step());
    if (!has_row) break;
    FaceWithProvenance row;
    ASSIGN_OR_RETURN(row.face, ReadFace(query, 0, /*with_embedding=*/false));
    row.image = ReadImage(query, kImageFirst);
    ASSIGN_OR_RETURN(row.source, ReadSource(query, kSourceFirst));
    const int64_t id = row.face.id;
    found.insert_or_assign(id, std::move(row));
  }
  return Status::Ok();
}

Result<std::vector<FaceWithProvenance>> SqliteCatalog::GetFacesWithProvenance(
    std::span<const int64_t> ids) {
  std::unordered_map<int64_t, FaceWithProvenance> found;
  {
    std::lock_guard lock(mu_);
    // One read transaction, so every chunk sees the same snapshot.
    ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_, Transaction::Mode::kDeferred));
    for (size_t start = 0; start < ids.size(); start += kLookupChunk) {
      const size_t n = std::min(kLookupChunk, ids.size() - start);
      RETURN_IF_ERROR(LookupProvenanceLocked(ids.subspan(start, n), found));
    }
    RETURN_IF_ERROR(tx.Commit());
  }
  std::vector<FaceWithProvenance> ordered;
  ordered.reserve(found.size());
  for (int64_t id : ids) {
    if (auto it = found.find(id); it != found.end()) ordered.push_back(it->second);
  }
  return ordered;
}

// ---------------------------------------------------------------------------------------------------
// Embeddings

Status SqliteCatalog::ForEachEmbedding(
    const std::function<bool(int64_t, bool, std::span<const float>)>& visit) {
  std::lock_guard lock(mu_);
  // One statement is one read snapshot; rows stream from the table's B-tree in rowid (= id) order.
  ASSIGN_OR_RETURN(Statement query,
                   db_->Prepare("SELECT f.id, f.searchable, f.embedding, f.embedding_sealed, "
                                "i.source_id FROM faces f JOIN images i ON i.id = f.image_id "
                                "ORDER BY f.id"));
  std::vector<float> embedding(kEmbeddingDim);  // reused: SQLite's blob may be unaligned
  for (;;) {
    ASSIGN_OR_RETURN(const bool has_row, query.Step());
    if (!has_row) break;
    const int64_t id = query.ColumnInt64(0);
    const Status read = ReadEmbedding(query, 2, id, codec_.get(), embedding);
    if (read.code() == StatusCode::kNotFound) continue;  // its source's key was destroyed
    RETURN_IF_ERROR(read);
    if (!visit(id, query.ColumnInt64(1) != 0, embedding)) break;
  }
  return Status::Ok();
}

Status SqliteCatalog::UpdateEmbedding(int64_t face_id, const std::string& model_id,
                                      std::span<const float> embedding) {
  const std::string context = "update embedding of face " + std::to_string(face_id);
  if (model_id.empty()) return Status::InvalidArgument(context + ": empty model_id");
  RETURN_IF_ERROR(ValidateEmbedding(embedding).WithContext(context));
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_, Transaction::Mode::kImmediate));
  ASSIGN_OR_RETURN(Statement source_query,
                   db_->Prepare("SELECT i.source_id FROM faces f JOIN images i ON i.id = "
                                "f.image_id WHERE f.id = ?"));
  RETURN_IF_ERROR(source_query.BindInt64(1, face_id));
  ASSIGN_OR_RETURN(const bool found, source_query.Step());
  if (!found) return Status::NotFound(context + ": no such face");
  ASSIGN_OR_RETURN(std::optional<std::vector<uint8_t>> sealed,
                   SealLocked(source_query.ColumnInt64(0), embedding));
  ASSIGN_OR_RETURN(Statement update, db_->Prepare("UPDATE faces SET model_id = ?, embedding = ?, "
                                                  "embedding_sealed = ? WHERE id = ?"));
  RETURN_IF_ERROR(update.BindText(1, model_id));
  if (sealed.has_value()) {
    RETURN_IF_ERROR(update.BindBlob(2, std::vector<std::byte>(kEmbeddingDim * sizeof(float))));
    RETURN_IF_ERROR(
        update.BindBlob(3, {reinterpret_cast<const std::byte*>(sealed->data()), sealed->size()}));
  } else {
    RETURN_IF_ERROR(update.BindBlob(2, EncodeFloatBlob(embedding)));
    RETURN_IF_ERROR(update.BindNull(3));
  }
  RETURN_IF_ERROR(update.BindInt64(4, face_id));
  RETURN_IF_ERROR(update.Run().WithContext(context));
  if (db_->Changes() == 0) return Status::NotFound(context + ": no such face");
  RETURN_IF_ERROR(BumpGenerationLocked());
  RETURN_IF_ERROR(SyncModelIdLocked());
  return tx.Commit().WithContext(context);
}

Result<std::vector<int64_t>> SqliteCatalog::DeleteFaces(std::span<const int64_t> face_ids) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_, Transaction::Mode::kImmediate));
  ASSIGN_OR_RETURN(Statement remove, db_->Prepare("DELETE FROM faces WHERE id = ?"));
  std::vector<int64_t> deleted;
  for (int64_t id : face_ids) {
    RETURN_IF_ERROR(remove.Reset());
    RETURN_IF_ERROR(remove.BindInt64(1, id));
    RETURN_IF_ERROR(remove.Run().WithContext("delete face " + std::to_string(id)));
    if (db_->Changes() > 0) deleted.push_back(id);
  }
  if (!deleted.empty()) {
    RETURN_IF_ERROR(BumpGenerationLocked());
    RETURN_IF_ERROR(SyncModelIdLocked());
  }
  RETURN_IF_ERROR(tx.Commit().WithContext("delete faces"));
  return deleted;
}

}  // namespace likeness::catalog
