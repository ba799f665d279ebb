// The catalog's contract, part 1: sources, and images stored with their faces.
#include "catalog/catalog.h"

#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <limits>
#include <span>

#include "catalog_fixture.h"

namespace likeness::catalog {
namespace {

using testing::CatalogTest;
using testing::ExpectSameFace;
using testing::IsTimestamp;
using testing::kModelA;
using testing::kModelB;
using testing::MakeFace;
using testing::MakeFaces;
using testing::MakeImage;
using testing::MakeSource;

// ---------------------------------------------------------------------------------------------------
// Sources

TEST(SourceKindTest, NamesRoundTrip) {
  for (SourceKind kind :
       {SourceKind::kFolder, SourceKind::kArchive, SourceKind::kManifest, SourceKind::kUpload}) {
    auto parsed = ParseSourceKind(SourceKindName(kind));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, kind);
  }
  EXPECT_EQ(ParseSourceKind("Folder").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseSourceKind("").status().code(), StatusCode::kInvalidArgument);
}

TEST_F(CatalogTest, SourceCreateGetListAndDuplicateName) {
  EXPECT_GT(source_.id, 0);
  EXPECT_TRUE(IsTimestamp(source_.created_at)) << source_.created_at;

  SourceRecord upload = MakeSource("uploads");
  upload.kind = SourceKind::kUpload;
  upload.retain_until = "";
  upload.art9_condition = "";
  auto created = catalog_->CreateSource(upload);
  ASSERT_TRUE(created.ok()) << created.status().ToString();

  auto by_id = catalog_->GetSource(created->id);
  ASSERT_TRUE(by_id.ok());
  EXPECT_EQ(by_id->name, "uploads");
  EXPECT_EQ(by_id->kind, SourceKind::kUpload);
  EXPECT_EQ(by_id->retain_until, "");
  EXPECT_EQ(by_id->created_at, created->created_at);

  auto by_name = catalog_->GetSourceByName("archive-1");
  ASSERT_TRUE(by_name.ok());
  EXPECT_EQ(by_name->id, source_.id);
  EXPECT_EQ(by_name->location, "/data/archive-1");
  EXPECT_EQ(by_name->collector, "Records Office");
  EXPECT_EQ(by_name->legal_basis, "art6-1-e");
  EXPECT_EQ(by_name->art9_condition, "art9-2-g");
  EXPECT_EQ(by_name->jurisdiction, "DE");
  EXPECT_EQ(by_name->retain_until, "2030-12-31");

  auto list = catalog_->ListSources();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "archive-1");
  EXPECT_EQ((*list)[1].name, "uploads");

  auto duplicate = catalog_->CreateSource(MakeSource("archive-1"));
  EXPECT_EQ(duplicate.status().code(), StatusCode::kAlreadyExists) << duplicate.status().ToString();
  EXPECT_EQ(catalog_->GetSource(9999).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(catalog_->GetSourceByName("nope").status().code(), StatusCode::kNotFound);
}

TEST_F(CatalogTest, InvalidSourceFieldsAreRejected) {
  auto with = [](auto mutate) {
    SourceRecord s = MakeSource("bad");
    mutate(s);
    return s;
  };
  const SourceRecord bad[] = {
      with([](SourceRecord& s) { s.name = ""; }),
      with([](SourceRecord& s) { s.legal_basis = ""; }),
      with([](SourceRecord& s) { s.jurisdiction = ""; }),
      with([](SourceRecord& s) { s.jurisdiction = "de"; }),
      with([](SourceRecord& s) { s.jurisdiction = "DEU"; }),
      with([](SourceRecord& s) { s.jurisdiction = "D1"; }),
      with([](SourceRecord& s) { s.retain_until = "31.12.2030"; }),
      with([](SourceRecord& s) { s.retain_until = "2030-12-31T00:00:00Z"; }),
  };
  for (const SourceRecord& s : bad) {
    auto created = catalog_->CreateSource(s);
    EXPECT_EQ(created.status().code(), StatusCode::kInvalidArgument)
        << "'" << s.name << "' '" << s.legal_basis << "' '" << s.jurisdiction << "' '"
        << s.retain_until << "': " << created.status().ToString();
  }
  EXPECT_EQ(GetStats().sources, 1);
}

// ---------------------------------------------------------------------------------------------------
// Images and faces

TEST_F(CatalogTest, ImageWithFacesRoundTrips) {
  auto batch = catalog_->BeginBatch(source_.id);
  ASSERT_TRUE(batch.ok());
  ImageRecord image = MakeImage(source_.id, "hash-1");
  image.batch_id = *batch;
  std::vector<FaceRecord> faces = MakeFaces(kModelA, 2, 3.5f);
  faces[1].searchable = false;
  ASSERT_TRUE(catalog_->AddImageWithFaces(image, faces).ok());
  EXPECT_GT(image.id, 0);
  EXPECT_TRUE(IsTimestamp(image.ingested_at)) << image.ingested_at;
  ASSERT_EQ(faces.size(), 2u);
  EXPECT_GT(faces[0].id, 0);
  EXPECT_GT(faces[1].id, faces[0].id);
  EXPECT_EQ(faces[0].image_id, image.id);
  EXPECT_EQ(faces[1].image_id, image.id);

  Reopen();  // what comes back is what was committed, not a cache
  auto got_image = catalog_->GetImage(image.id);
  ASSERT_TRUE(got_image.ok());
  EXPECT_EQ(got_image->source_id, source_.id);
  EXPECT_EQ(got_image->batch_id, *batch);
  EXPECT_EQ(got_image->content_hash, "hash-1");
  EXPECT_EQ(got_image->path, image.path);
  EXPECT_EQ(got_image->format, "jpeg");
  EXPECT_EQ(got_image->width, 640);
  EXPECT_EQ(got_image->height, 480);
  EXPECT_EQ(got_image->bytes, 12345);
  EXPECT_EQ(got_image->ingested_at, image.ingested_at);

  auto found = catalog_->FindImageByHash("hash-1");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(*found, std::optional<int64_t>(image.id));
  auto absent = catalog_->FindImageByHash("hash-2");
  ASSERT_TRUE(absent.ok());
  EXPECT_FALSE(absent->has_value());

  auto of_image = catalog_->GetFacesOfImage(image.id, /*with_embedding=*/true);
  ASSERT_TRUE(of_image.ok()) << of_image.status().ToString();
  ASSERT_EQ(of_image->size(), 2u);
  ExpectSameFace((*of_image)[0], faces[0], true);
  ExpectSameFace((*of_image)[1], faces[1], true);

  auto one = catalog_->GetFace(faces[1].id, /*with_embedding=*/false);
  ASSERT_TRUE(one.ok());
  ExpectSameFace(*one, faces[1], false);
  auto with = catalog_->GetFace(faces[1].id, /*with_embedding=*/true);
  ASSERT_TRUE(with.ok());
  ExpectSameFace(*with, faces[1], true);

  EXPECT_EQ(catalog_->GetFace(99999, false).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(catalog_->GetImage(99999).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(catalog_->GetFacesOfImage(99999, false).status().code(), StatusCode::kNotFound);
}

TEST_F(CatalogTest, EmbeddingIsStoredAsLittleEndianFloat32) {
  std::vector<FaceRecord> faces = AddImage("hash-1", 1);
  auto raw = testing::RawOpen(path_);
  auto query = raw->Prepare("SELECT embedding, length(points) FROM faces WHERE id = ?");
  ASSERT_TRUE(query.ok());
  ASSERT_TRUE(query->BindInt64(1, faces[0].id).ok());
  auto row = query->Step();
  ASSERT_TRUE(row.ok() && *row);
  std::span<const std::byte> blob = query->ColumnBlob(0);
  ASSERT_EQ(blob.size(), kEmbeddingDim * sizeof(float));
  EXPECT_EQ(query->ColumnInt64(1), 40);
  for (int i : {0, 1, 255, kEmbeddingDim - 1}) {
    const uint32_t bits = std::bit_cast<uint32_t>(faces[0].embedding[i]);
    for (int b = 0; b < 4; ++b) {
      EXPECT_EQ(static_cast<uint8_t>(blob[i * 4 + b]), static_cast<uint8_t>(bits >> (8 * b)))
          << "float " << i << " byte " << b;
    }
  }
}

TEST_F(CatalogTest, ImageWithoutFacesDoesNotTouchGenerationOrModel) {
  AddImage("no-faces", 0);
  EXPECT_EQ(Gen(), 0u);
  EXPECT_EQ(GetStats().images, 1);
  EXPECT_EQ(*catalog_->ModelId(), "");
  auto image_id = catalog_->FindImageByHash("no-faces");
  ASSERT_TRUE(image_id.ok() && image_id->has_value());
  auto faces = catalog_->GetFacesOfImage(**image_id, false);
  ASSERT_TRUE(faces.ok());
  EXPECT_TRUE(faces->empty());
}

TEST_F(CatalogTest, DuplicateHashIsAlreadyExistsAndWritesNothing) {
  AddImage("same-bytes", 2);
  const CatalogStats before = GetStats();
  const uint64_t generation = Gen();

  ImageRecord again = MakeImage(source_.id, "same-bytes");
  again.path = "/elsewhere/copy.jpg";
  std::vector<FaceRecord> faces = MakeFaces(kModelA, 3);
  Status s = catalog_->AddImageWithFaces(again, faces);
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists) << s.ToString();
  EXPECT_EQ(again.id, 0);
  EXPECT_EQ(faces[0].id, 0);

  const CatalogStats after = GetStats();
  EXPECT_EQ(after.images, before.images);
  EXPECT_EQ(after.faces, before.faces);
  EXPECT_EQ(Gen(), generation);
}

TEST_F(CatalogTest, ModelMismatchIsFailedPreconditionAndWritesNothing) {
  AddImage("first", 1, kModelA);
  EXPECT_EQ(*catalog_->ModelId(), kModelA);
  const CatalogStats before = GetStats();
  const uint64_t generation = Gen();

  ImageRecord image = MakeImage(source_.id, "second");
  std::vector<FaceRecord> faces = MakeFaces(kModelB, 2);
  Status s = catalog_->AddImageWithFaces(image, faces);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();

  // Mixed models within one image are refused too, even on an empty catalog's terms.
  faces = MakeFaces(kModelA, 2);
  faces[1].model_id = kModelB;
  s = catalog_->AddImageWithFaces(image, faces);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();

  const CatalogStats after = GetStats();
  EXPECT_EQ(after.images, before.images);
  EXPECT_EQ(after.faces, before.faces);
  EXPECT_EQ(Gen(), generation);
  EXPECT_FALSE(catalog_->FindImageByHash("second")->has_value());
  EXPECT_EQ(*catalog_->ModelId(), kModelA);
}

TEST_F(CatalogTest, InvalidFacesAndImagesAreRejected) {
  auto expect_invalid = [this](ImageRecord image, std::vector<FaceRecord> faces) {
    Status s = catalog_->AddImageWithFaces(image, faces);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  };
  std::vector<FaceRecord> short_embedding = MakeFaces(kModelA, 1);
  short_embedding[0].embedding.resize(kEmbeddingDim - 1);
  expect_invalid(MakeImage(source_.id, "a"), short_embedding);
  std::vector<FaceRecord> long_embedding = MakeFaces(kModelA, 1);
  long_embedding[0].embedding.push_back(0);
  expect_invalid(MakeImage(source_.id, "b"), long_embedding);
  std::vector<FaceRecord> nan_embedding = MakeFaces(kModelA, 1);
  nan_embedding[0].embedding[7] = std::numeric_limits<float>::quiet_NaN();
  expect_invalid(MakeImage(source_.id, "c"), nan_embedding);
  std::vector<FaceRecord> nan_quality = MakeFaces(kModelA, 1);
  nan_quality[0].quality.sharpness = std::numeric_limits<float>::infinity();
  expect_invalid(MakeImage(source_.id, "d"), nan_quality);
  std::vector<FaceRecord> no_model = MakeFaces(kModelA, 1);
  no_model[0].model_id = "";
  expect_invalid(MakeImage(source_.id, "e"), no_model);
  expect_invalid(MakeImage(source_.id, ""), MakeFaces(kModelA, 1));

  EXPECT_EQ(GetStats().images, 0);
  EXPECT_EQ(GetStats().faces, 0);
  EXPECT_EQ(Gen(), 0u);
}

TEST_F(CatalogTest, IndexKindIsEmptyUntilSetAndPersists) {
  auto kind = catalog_->IndexKind();
  ASSERT_TRUE(kind.ok()) << kind.status().ToString();
  EXPECT_EQ(*kind, "");
  ASSERT_TRUE(catalog_->SetIndexKind("HNSW32").ok());
  ASSERT_TRUE(catalog_->SetIndexKind("IVF4096,PQ64,rerank=fp16").ok());
  const uint64_t generation = Gen();
  Reopen();
  kind = catalog_->IndexKind();
  ASSERT_TRUE(kind.ok());
  EXPECT_EQ(*kind, "IVF4096,PQ64,rerank=fp16");
  EXPECT_EQ(Gen(), generation);  // configuration, not content: the index stays current
}

}  // namespace
}  // namespace likeness::catalog
