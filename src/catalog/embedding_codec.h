// Encryption at rest for embeddings: the catalog hands every embedding it writes to an
// EmbeddingCodec and stores the sealed blob (faces.embedding_sealed, schema version 2), keeping
// 2048 zero bytes in faces.embedding (whose version-1 CHECK pins the size). Reads open the blob
// with the same codec. The engine installs a codec that seals under the source's data key
// ("source:<id>" in the key store, XChaCha20-Poly1305), so destroying that key (erasure of a whole
// source) makes the source's embeddings unreadable in every earlier copy of catalog.db.
//
// Without a codec (Catalog::Open; tests of the catalog alone) embeddings are stored in plaintext in
// faces.embedding and embedding_sealed is NULL. Opening with a codec first seals every plaintext
// row left by an older build or a codec-less open (one transaction), then checkpoints and vacuums
// so that no page of the file or its WAL keeps the plaintext. A catalog holding sealed rows opened
// without a codec refuses to read those embeddings (FailedPrecondition).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <vector>

#include "catalog/catalog.h"
#include "likeness/status.h"

namespace likeness::catalog {

class EmbeddingCodec {
 public:
  virtual ~EmbeddingCodec() = default;
  // Seals the raw bytes (kEmbeddingDim float32 little-endian) of an embedding of a face whose image
  // belongs to source `source_id`.
  virtual Result<std::vector<uint8_t>> Seal(int64_t source_id,
                                            std::span<const uint8_t> plaintext) = 0;
  // Opens a blob made by Seal for the same source. NotFound when the source's key was destroyed
  // (the face is then treated as absent); Corruption for a damaged blob.
  virtual Result<std::vector<uint8_t>> Open(int64_t source_id, std::span<const uint8_t> sealed) = 0;
};

// Catalog::Open, with `codec` sealing and opening every embedding (see above). Errors: those of
// Catalog::Open, and the codec's while sealing plaintext rows.
Result<std::unique_ptr<Catalog>> OpenCatalog(const std::filesystem::path& db_path,
                                             std::shared_ptr<EmbeddingCodec> codec);

}  // namespace likeness::catalog
