#include "catalog/schema.h"

#include "likeness/types.h"

namespace likeness::catalog {
namespace {

// Version 1: sources -> batches -> images -> faces, ingest errors, and meta (generation, model_id).
//
// Notes on choices:
// - AUTOINCREMENT everywhere: an id is never reused after a delete, so a stale index entry or an
// audit
//   record can never point at a different face than the one it named.
// - Empty optional text (retain_until, batches.finished_at) is stored as NULL.
// - faces.points: 5 (x, y) pairs as 10 float32 little-endian (40 bytes); faces.embedding: 512
// float32
//   little-endian (2048 bytes). The CHECKs pin both sizes.
// - images.batch_id is NULL for images stored outside a batch (e.g. uploads).
// - faces(model_id) is indexed so that MIN/MAX(model_id) -- used to detect the end of a re-embed --
// is
//   a B-tree lookup, not a scan.
constexpr std::string_view kV1 = R"sql(
CREATE TABLE sources (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  name           TEXT NOT NULL UNIQUE CHECK (length(name) > 0),
  kind           TEXT NOT NULL CHECK (kind IN ('folder', 'archive', 'manifest', 'upload')),
  location       TEXT NOT NULL,
  collector      TEXT NOT NULL,
  legal_basis    TEXT NOT NULL CHECK (length(legal_basis) > 0),
  art9_condition TEXT NOT NULL,
  jurisdiction   TEXT NOT NULL CHECK (length(jurisdiction) = 2 AND jurisdiction GLOB '[A-Z][A-Z]'),
  retain_until   TEXT CHECK (retain_until IS NULL OR length(retain_until) = 10),
  created_at     TEXT NOT NULL
);

CREATE TABLE batches (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  source_id   INTEGER NOT NULL REFERENCES sources (id),
  started_at  TEXT NOT NULL,
  finished_at TEXT,
  images      INTEGER NOT NULL DEFAULT 0 CHECK (images >= 0),
  faces       INTEGER NOT NULL DEFAULT 0 CHECK (faces >= 0),
  errors      INTEGER NOT NULL DEFAULT 0 CHECK (errors >= 0),
  skipped     INTEGER NOT NULL DEFAULT 0 CHECK (skipped >= 0)
);
CREATE INDEX batches_source_id ON batches (source_id);

CREATE TABLE images (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  source_id    INTEGER NOT NULL REFERENCES sources (id),
  batch_id     INTEGER REFERENCES batches (id),
  content_hash TEXT NOT NULL UNIQUE CHECK (length(content_hash) > 0),
  path         TEXT NOT NULL,
  format       TEXT NOT NULL,
  width        INTEGER NOT NULL CHECK (width >= 0),
  height       INTEGER NOT NULL CHECK (height >= 0),
  bytes        INTEGER NOT NULL CHECK (bytes >= 0),
  ingested_at  TEXT NOT NULL
);
CREATE INDEX images_source_id ON images (source_id);
CREATE INDEX images_batch_id ON images (batch_id);

CREATE TABLE faces (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  image_id       INTEGER NOT NULL REFERENCES images (id) ON DELETE CASCADE,
  x1             REAL NOT NULL,
  y1             REAL NOT NULL,
  x2             REAL NOT NULL,
  y2             REAL NOT NULL,
  points         BLOB NOT NULL CHECK (length(points) = 40),
  face_px        REAL NOT NULL,
  sharpness      REAL NOT NULL,
  yaw            REAL NOT NULL,
  pitch          REAL NOT NULL,
  roll           REAL NOT NULL,
  detector_score REAL NOT NULL,
  overall        REAL NOT NULL,
  searchable     INTEGER NOT NULL CHECK (searchable IN (0, 1)),
  model_id       TEXT NOT NULL CHECK (length(model_id) > 0),
  embedding      BLOB NOT NULL CHECK (length(embedding) = 2048)
);
CREATE INDEX faces_image_id ON faces (image_id);
CREATE INDEX faces_model_id ON faces (model_id);

CREATE TABLE ingest_errors (
  id       INTEGER PRIMARY KEY AUTOINCREMENT,
  batch_id INTEGER NOT NULL REFERENCES batches (id),
  path     TEXT NOT NULL,
  message  TEXT NOT NULL,
  at       TEXT NOT NULL
);
CREATE INDEX ingest_errors_batch_id ON ingest_errors (batch_id);

CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value NOT NULL
);
INSERT INTO meta (key, value) VALUES ('generation', 0), ('model_id', '');
)sql";

static_assert(kEmbeddingDim * sizeof(float) == 2048,
              "faces.embedding CHECK in kV1 pins 2048 bytes");

// Version 2: organisations as tenants. Every source belongs to one tenant (existing sources to
// 'default', the operator's own); the tenants table lists the organisations this instance serves;
// source_shares records each grant of read access to a source to another tenant, with its legal
// basis and reference, and keeps revoked grants (revoked_at set) as history. At most one active
// grant per (source, tenant).
constexpr std::string_view kV2 = R"sql(
ALTER TABLE sources ADD COLUMN tenant TEXT NOT NULL DEFAULT 'default' CHECK (length(tenant) > 0);
CREATE INDEX sources_tenant ON sources (tenant);

CREATE TABLE tenants (
  name       TEXT PRIMARY KEY CHECK (length(name) > 0),
  created_at TEXT NOT NULL
);
INSERT INTO tenants (name, created_at) VALUES ('default', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));
INSERT OR IGNORE INTO tenants (name, created_at)
  SELECT DISTINCT tenant, strftime('%Y-%m-%dT%H:%M:%SZ', 'now') FROM sources;

CREATE TABLE source_shares (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  source_id     INTEGER NOT NULL REFERENCES sources (id),
  tenant        TEXT NOT NULL REFERENCES tenants (name),
  legal_basis   TEXT NOT NULL CHECK (length(legal_basis) > 0),
  reference     TEXT NOT NULL CHECK (length(reference) > 0),
  granted_by    TEXT NOT NULL,
  granted_at    TEXT NOT NULL,
  revoked_by    TEXT,
  revoked_at    TEXT,
  revoke_reason TEXT
);
CREATE UNIQUE INDEX source_shares_active ON source_shares (source_id, tenant)
  WHERE revoked_at IS NULL;
CREATE INDEX source_shares_tenant ON source_shares (tenant);
)sql";

// Version 3: embeddings encrypted at rest (embedding_codec.h). A sealed face keeps 2048 zero bytes
// in `embedding` (the version-1 CHECK pins the size; rebuilding the table to drop it is not worth a
// copy of every row) and its sealed blob in `embedding_sealed`; a plaintext face has NULL there.
// Existing rows stay plaintext until the catalog is next opened with a codec, which seals them.
constexpr std::string_view kV3 = "ALTER TABLE faces ADD COLUMN embedding_sealed BLOB;";

// Version 4: what the organisation publishes about a source, for the public self-check (issue 11).
constexpr std::string_view kV4 =
    "ALTER TABLE sources ADD COLUMN public_description TEXT NOT NULL DEFAULT '';";

// Version 5: recorded video as a source (issue 15). A video is one images row (its duration in
// images.duration_s, NULL for photos); each of its faces records the sampled frame's time and the
// track it belongs to, with the track's first and last time (all NULL for faces of photos).
constexpr std::string_view kV5 = R"sql(
ALTER TABLE images ADD COLUMN duration_s REAL CHECK (duration_s IS NULL OR duration_s >= 0);
ALTER TABLE faces ADD COLUMN time_offset_s REAL CHECK (time_offset_s IS NULL OR time_offset_s >= 0);
ALTER TABLE faces ADD COLUMN track_id INTEGER CHECK (track_id IS NULL OR track_id > 0);
ALTER TABLE faces ADD COLUMN track_first_s REAL;
ALTER TABLE faces ADD COLUMN track_last_s REAL;
)sql";

constexpr Migration kMigrations[] = {
    {1, "sources, batches, images, faces, ingest_errors, meta", kV1},
    {2, "tenants: sources.tenant, tenants, source_shares", kV2},
    {3, "faces.embedding_sealed (embeddings encrypted at rest)", kV3},
    {4, "sources.public_description (what the public self-check shows)", kV4},
    {5, "video: images.duration_s, faces.time_offset_s, track_id, track_first_s, track_last_s",
     kV5},
};

}  // namespace

std::span<const Migration> CatalogMigrations() { return kMigrations; }

}  // namespace likeness::catalog
