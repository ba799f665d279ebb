// The catalog's contract, part 2: generation, embeddings, provenance lookups and deletion.
#include <gtest/gtest.h>

#include <algorithm>
#include <span>
#include <vector>

#include "catalog/catalog.h"
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
// Generation, embeddings, deletion

TEST_F(CatalogTest, GenerationCountsChangesToFacesAndPersists) {
  EXPECT_EQ(Gen(), 0u);
  std::vector<FaceRecord> faces = AddImage("g1", 3);
  EXPECT_EQ(Gen(), 1u);  // once per image, not per face
  AddImage("g2", 1);
  EXPECT_EQ(Gen(), 2u);
  AddImage("g3", 0);
  EXPECT_EQ(Gen(), 2u);

  Embedding replacement = MakeFace(kModelA, 9).embedding;
  ASSERT_TRUE(catalog_->UpdateEmbedding(faces[0].id, kModelA, replacement).ok());
  EXPECT_EQ(Gen(), 3u);

  const int64_t to_delete[] = {faces[1].id, faces[2].id};
  ASSERT_TRUE(catalog_->DeleteFaces(to_delete).ok());
  EXPECT_EQ(Gen(), 4u);  // once per call
  ASSERT_TRUE(catalog_->DeleteFaces(to_delete).ok());
  EXPECT_EQ(Gen(), 4u);  // nothing deleted, nothing changed

  ASSERT_TRUE(catalog_->BeginBatch(source_.id).ok());
  ASSERT_TRUE(catalog_->CreateSource(MakeSource("other")).ok());
  EXPECT_EQ(Gen(), 4u);  // sources and batches are not faces

  Reopen();
  EXPECT_EQ(Gen(), 4u);
}

TEST_F(CatalogTest, ForEachEmbeddingVisitsInIdOrderAndStopsEarly) {
  std::vector<FaceRecord> all;
  for (int i = 0; i < 4; ++i) {
    std::vector<FaceRecord> faces = AddImage("e" + std::to_string(i), 2, kModelA, 10.0f * i);
    all.insert(all.end(), faces.begin(), faces.end());
  }
  const int64_t removed[] = {all[2].id};
  ASSERT_TRUE(catalog_->DeleteFaces(removed).ok());
  all.erase(all.begin() + 2);

  std::vector<int64_t> ids;
  Status s = catalog_->ForEachEmbedding(
      [&](int64_t id, bool searchable, std::span<const float> embedding) {
        const size_t i = ids.size();
        EXPECT_EQ(id, all[i].id);
        EXPECT_TRUE(searchable);
        EXPECT_TRUE(std::equal(embedding.begin(), embedding.end(), all[i].embedding.begin(),
                               all[i].embedding.end()));
        ids.push_back(id);
        return true;
      });
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(ids.size(), all.size());
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));

  int visited = 0;
  s = catalog_->ForEachEmbedding(
      [&](int64_t, bool, std::span<const float>) { return ++visited < 3; });
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(visited, 3);

  // The catalog is usable again after an early stop.
  EXPECT_EQ(GetStats().faces, static_cast<int64_t>(all.size()));
}

TEST_F(CatalogTest, ForEachEmbeddingReportsSearchableFlag) {
  ImageRecord image = MakeImage(source_.id, "flags");
  std::vector<FaceRecord> faces = MakeFaces(kModelA, 2);
  faces[0].searchable = false;
  ASSERT_TRUE(catalog_->AddImageWithFaces(image, faces).ok());
  std::vector<bool> flags;
  ASSERT_TRUE(catalog_
                  ->ForEachEmbedding([&](int64_t, bool searchable, std::span<const float>) {
                    flags.push_back(searchable);
                    return true;
                  })
                  .ok());
  EXPECT_EQ(flags, (std::vector<bool>{false, true}));
}

TEST_F(CatalogTest, ProvenanceFollowsInputOrderAndSkipsMissing) {
  auto second_source = catalog_->CreateSource(MakeSource("archive-2"));
  ASSERT_TRUE(second_source.ok());
  std::vector<FaceRecord> a = AddImage("p1", 2);
  ImageRecord other = MakeImage(second_source->id, "p2");
  std::vector<FaceRecord> b = MakeFaces(kModelA, 1);
  ASSERT_TRUE(catalog_->AddImageWithFaces(other, b).ok());

  const int64_t ids[] = {b[0].id, 424242, a[1].id, a[0].id, b[0].id};
  auto rows = catalog_->GetFacesWithProvenance(ids);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 4u);
  EXPECT_EQ((*rows)[0].face.id, b[0].id);
  EXPECT_EQ((*rows)[1].face.id, a[1].id);
  EXPECT_EQ((*rows)[2].face.id, a[0].id);
  EXPECT_EQ((*rows)[3].face.id, b[0].id);

  const FaceWithProvenance& first = (*rows)[0];
  EXPECT_EQ(first.image.id, other.id);
  EXPECT_EQ(first.image.content_hash, "p2");
  EXPECT_EQ(first.source.id, second_source->id);
  EXPECT_EQ(first.source.name, "archive-2");
  EXPECT_EQ(first.source.legal_basis, "art6-1-e");
  EXPECT_EQ(first.source.jurisdiction, "DE");
  ExpectSameFace(first.face, b[0], /*with_embedding=*/false);
  EXPECT_EQ((*rows)[1].source.name, "archive-1");

  auto none = catalog_->GetFacesWithProvenance({});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST_F(CatalogTest, ProvenanceHandlesMoreIdsThanOneChunk) {
  std::vector<FaceRecord> faces = AddImage("many", 3);
  std::vector<int64_t> ids;
  for (int i = 0; i < 1234; ++i) ids.push_back(100000 + i);  // all missing
  ids[1233] = faces[0].id;                                   // in the third chunk
  ids[0] = faces[2].id;                                      // in the first
  ids[600] = faces[1].id;                                    // in the second
  auto rows = catalog_->GetFacesWithProvenance(ids);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[0].face.id, faces[2].id);
  EXPECT_EQ((*rows)[1].face.id, faces[1].id);
  EXPECT_EQ((*rows)[2].face.id, faces[0].id);
}

TEST_F(CatalogTest, DeleteFacesRemovesOnlyTheGivenFaces) {
  std::vector<FaceRecord> faces = AddImage("d1", 3);
  const int64_t ids[] = {faces[0].id, 777777, faces[2].id, faces[0].id};
  auto deleted = catalog_->DeleteFaces(ids);
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_EQ(*deleted, (std::vector<int64_t>{faces[0].id, faces[2].id}));

  auto left = catalog_->GetFacesOfImage(faces[0].image_id, false);
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ((*left)[0].id, faces[1].id);
  EXPECT_TRUE(catalog_->GetImage(faces[0].image_id).ok());  // the image stays
  EXPECT_EQ(catalog_->GetFace(faces[0].id, false).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(GetStats().faces, 1);

  // Ids are never reused, even for the highest id after it is deleted.
  const int64_t last[] = {faces[1].id};
  ASSERT_TRUE(catalog_->DeleteFaces(last).ok());
  std::vector<FaceRecord> more = AddImage("d2", 1);
  EXPECT_GT(more[0].id, faces[2].id);
}

TEST_F(CatalogTest, UpdateEmbeddingReplacesVectorAndSwitchesModelWhenAllDone) {
  std::vector<FaceRecord> faces = AddImage("u1", 2, kModelA);
  Embedding fresh = MakeFace(kModelB, 42).embedding;

  ASSERT_TRUE(catalog_->UpdateEmbedding(faces[0].id, kModelB, fresh).ok());
  auto got = catalog_->GetFace(faces[0].id, true);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->embedding, fresh);
  EXPECT_EQ(got->model_id, kModelB);
  EXPECT_EQ(*catalog_->ModelId(), kModelA);  // face 1 still carries model A

  // Mid re-embed, new images must still use the catalog's (old) model.
  ImageRecord image = MakeImage(source_.id, "u2");
  std::vector<FaceRecord> new_faces = MakeFaces(kModelB, 1);
  EXPECT_EQ(catalog_->AddImageWithFaces(image, new_faces).code(), StatusCode::kFailedPrecondition);

  ASSERT_TRUE(catalog_->UpdateEmbedding(faces[1].id, kModelB, fresh).ok());
  EXPECT_EQ(*catalog_->ModelId(), kModelB);
  EXPECT_TRUE(catalog_->AddImageWithFaces(image, new_faces).ok());

  EXPECT_EQ(catalog_->UpdateEmbedding(987654, kModelB, fresh).code(), StatusCode::kNotFound);
  Embedding wrong(kEmbeddingDim + 1, 0.0f);
  EXPECT_EQ(catalog_->UpdateEmbedding(faces[0].id, kModelB, wrong).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(catalog_->UpdateEmbedding(faces[0].id, "", fresh).code(), StatusCode::kInvalidArgument);
}

TEST_F(CatalogTest, DeletingTheLastOldModelFacesSwitchesModel) {
  std::vector<FaceRecord> faces = AddImage("m1", 2, kModelA);
  ASSERT_TRUE(catalog_->UpdateEmbedding(faces[0].id, kModelB, MakeFace(kModelB, 5).embedding).ok());
  EXPECT_EQ(*catalog_->ModelId(), kModelA);
  const int64_t old_face[] = {faces[1].id};
  ASSERT_TRUE(catalog_->DeleteFaces(old_face).ok());
  EXPECT_EQ(*catalog_->ModelId(), kModelB);
}

}  // namespace
}  // namespace likeness::catalog
