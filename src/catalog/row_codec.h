// Mapping between catalog records and table rows: the column lists, reading a row into a record and
// binding a record's fields as statement parameters. One place knows the column order per table.
#pragma once

#include <string>
#include <string_view>

#include "catalog/catalog.h"
#include "catalog/embedding_codec.h"
#include "catalog/sqlite_db.h"
#include "likeness/status.h"

namespace likeness::catalog {

// Comma-separated column lists in the order the Read* functions expect, each column prefixed with
// `alias.` when `alias` is not empty.
std::string SourceColumns(std::string_view alias = {});
std::string BatchColumns(std::string_view alias = {});
std::string ImageColumns(std::string_view alias = {});
// The embedding, when asked for, is the last three columns: embedding (plaintext, or zeros when
// sealed), embedding_sealed (NULL when plaintext) and the source id of the face's image.
std::string FaceColumns(std::string_view alias, bool with_embedding);

inline constexpr int kSourceColumnCount = 12;
inline constexpr int kImageColumnCount = 11;
inline constexpr int kFaceColumnCountWithoutEmbedding = 20;

// Read the record whose first column is `first`. Corruption for stored values that cannot be
// decoded.
Result<SourceRecord> ReadSource(const sqlite::Statement& stmt, int first);
BatchRecord ReadBatch(const sqlite::Statement& stmt, int first);
ImageRecord ReadImage(const sqlite::Statement& stmt, int first);
// `codec` opens sealed embeddings (FailedPrecondition for a sealed one when it is null).
Result<FaceRecord> ReadFace(const sqlite::Statement& stmt, int first, bool with_embedding,
                            EmbeddingCodec* codec = nullptr);
// Reads the three embedding columns starting at `first` into `out` (kEmbeddingDim floats).
// NotFound when the codec says the key was destroyed.
Status ReadEmbedding(const sqlite::Statement& stmt, int first, int64_t face_id,
                     EmbeddingCodec* codec, std::span<float> out);

// INSERT statements whose parameters the Bind* functions fill in (ids are assigned by SQLite).
std::string_view SourceInsertSql();
std::string_view ImageInsertSql();
std::string_view FaceInsertSql();

// `created_at` / `ingested_at` are passed in because the catalog, not the caller, stamps them.
Status BindSource(sqlite::Statement& stmt, const SourceRecord& source, std::string_view created_at);
Status BindImage(sqlite::Statement& stmt, const ImageRecord& image, std::string_view ingested_at);
// REQUIRES: face.embedding.size() == kEmbeddingDim (checked by the caller).
// `sealed` (may be null) is the codec's blob: then faces.embedding gets zeros.
Status BindFace(sqlite::Statement& stmt, int64_t image_id, const FaceRecord& face,
                const std::vector<uint8_t>* sealed);

}  // namespace likeness::catalog
