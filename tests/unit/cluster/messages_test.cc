#include "cluster/messages.h"

#include <gtest/gtest.h>

#include <random>

namespace likeness::cluster {
namespace {

Embedding UnitVector(int seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> n;
  Embedding e(kEmbeddingDim);
  double norm = 0;
  for (float& x : e) {
    x = n(rng);
    norm += x * x;
  }
  for (float& x : e) x = static_cast<float>(x / std::sqrt(norm));
  return e;
}

ShardWrite StoreWrite() {
  ShardWrite w;
  w.op = ShardWrite::Op::kStore;
  w.source.name = "archive-1";
  w.source.legal_basis = "art6-1-e";
  w.source.art9_condition = "art9-2-g";
  w.source.jurisdiction = "DE";
  w.source.kind = catalog::SourceKind::kArchive;
  w.image.content_hash = std::string(64, 'a');
  w.image.path = "/photos/a.jpg";
  w.image.width = 640;
  w.image.height = 480;
  catalog::FaceRecord f;
  f.box = {1.5f, 2.5f, 100.25f, 120.75f};
  f.points[2] = {50.5f, 60.5f};
  f.quality.overall = 0.8f;
  f.quality.yaw_deg = -12.5f;
  f.searchable = true;
  f.model_id = "fr_feature";
  f.embedding = UnitVector(1);
  w.faces.push_back(f);
  return w;
}

TEST(ClusterMessages, StoreRoundTripsExactly) {
  const ShardWrite w = StoreWrite();
  auto back = DecodeWrite(EncodeWrite(w));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->op, ShardWrite::Op::kStore);
  EXPECT_EQ(back->source.name, "archive-1");
  EXPECT_EQ(back->source.kind, catalog::SourceKind::kArchive);
  EXPECT_EQ(back->image.content_hash, w.image.content_hash);
  EXPECT_EQ(back->image.width, 640);
  ASSERT_EQ(back->faces.size(), 1u);
  EXPECT_FLOAT_EQ(back->faces[0].box.x2, 100.25f);
  EXPECT_FLOAT_EQ(back->faces[0].points[2].y, 60.5f);
  EXPECT_FLOAT_EQ(back->faces[0].quality.yaw_deg, -12.5f);
  EXPECT_EQ(back->faces[0].embedding, w.faces[0].embedding);  // bit-exact floats
}

TEST(ClusterMessages, ErasureRoundTripsWithJustification) {
  ShardWrite w;
  w.op = ShardWrite::Op::kErase;
  w.request_id = "er-1";
  w.kind = "subject";
  w.value = std::string(64, 'b');
  w.embedding = UnitVector(2);
  w.threshold = 0.45f;
  w.why = {"dpo", "erasure", "art6-1-c", "CASE-9", ""};
  auto back = DecodeWrite(EncodeWrite(w));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->op, ShardWrite::Op::kErase);
  EXPECT_EQ(back->request_id, "er-1");
  EXPECT_EQ(back->why.case_ref, "CASE-9");
  EXPECT_EQ(back->why.operator_id, "dpo");
  EXPECT_FLOAT_EQ(back->threshold, 0.45f);
  EXPECT_EQ(back->embedding, w.embedding);
}

TEST(ClusterMessages, HostileEntriesAreRefusedNotCrashed) {
  for (const char* text :
       {"", "null", "[]", "{", "{\"op\":\"store\"}", "{\"op\":\"drop-table\"}",
        "{\"op\":\"store\",\"source\":{\"name\":\"s\"},\"image\":{\"content_hash\":\"short\"}}",
        "{\"op\":\"erase\"}",
        "{\"op\":\"store\",\"source\":{\"name\":\"s\"},\"image\":{\"content_hash\":"
        "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"},\"faces\":[{\"box\":"
        "[1,2,3,4],\"embedding\":[1,2]}]}",
        "{\"op\":\"store\",\"source\":{\"name\":\"s\"},\"image\":{\"content_hash\":"
        "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"},\"faces\":[{\"box\":"
        "\"x\"}]}"}) {
    auto w = DecodeWrite(text);
    EXPECT_FALSE(w.ok()) << text;
    EXPECT_EQ(w.status().code(), StatusCode::kInvalidArgument) << text;
  }
}

TEST(ClusterMessages, SearchRequestNeedsAWholeEmbedding) {
  ShardSearchRequest r;
  r.embedding = UnitVector(3);
  r.top_k = 7;
  auto back = DecodeSearchRequest(EncodeSearchRequest(r));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->top_k, 7);
  EXPECT_EQ(back->embedding, r.embedding);
  EXPECT_FALSE(DecodeSearchRequest("{\"embedding\":[0.5,0.5]}").ok());
  EXPECT_FALSE(DecodeSearchRequest("{\"embedding\":\"AAAA\"}").ok());
  auto clamped = DecodeSearchRequest("{\"embedding\":" + nlohmann::json(UnitVector(4)).dump() +
                                     ",\"top_k\":1000000}");
  ASSERT_TRUE(clamped.ok());
  EXPECT_EQ(clamped->top_k, 1000);
}

TEST(ClusterMessages, SearchReplyCarriesProvenanceAndErrors) {
  ShardSearchReply r;
  r.shard = 1;
  r.replica = 0;
  r.gallery_size = 42;
  ShardHit h;
  h.score = 0.75f;
  h.face.face.id = 9;
  h.face.face.box = {1, 2, 3, 4};
  h.face.image.id = 5;
  h.face.image.content_hash = std::string(64, 'c');
  h.face.source.name = "archive-1";
  h.face.source.legal_basis = "art6-1-e";
  r.hits.push_back(h);
  auto back = DecodeSearchReply(EncodeSearchReply(r));
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(back->status.ok());
  EXPECT_EQ(back->gallery_size, 42);
  ASSERT_EQ(back->hits.size(), 1u);
  EXPECT_EQ(back->hits[0].face.face.id, 9);
  EXPECT_EQ(back->hits[0].face.face.image_id, 5);
  EXPECT_EQ(back->hits[0].face.source.legal_basis, "art6-1-e");

  ShardSearchReply failed;
  failed.shard = 1;
  failed.status = Status::InvalidArgument("bad probe");
  auto err = DecodeSearchReply(EncodeSearchReply(failed));
  ASSERT_TRUE(err.ok());
  EXPECT_FALSE(err->status.ok());
  EXPECT_NE(err->status.message().find("bad probe"), std::string::npos);
}

TEST(ClusterMessages, JobRoundTrip) {
  IngestJob job;
  job.source.name = "s";
  job.source.legal_basis = "art6-1-f";
  job.location = "/a/b.zip!/c.jpg";
  job.operator_id = "op";
  auto back = DecodeJob(EncodeJob(job));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->location, job.location);
  EXPECT_EQ(back->operator_id, "op");
  EXPECT_FALSE(DecodeJob("{\"source\":{\"name\":\"s\"}}").ok());  // no location
  EXPECT_FALSE(DecodeJob("{\"location\":\"x\"}").ok());           // no source
}

}  // namespace
}  // namespace likeness::cluster
