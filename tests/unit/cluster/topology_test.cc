#include "cluster/topology.h"

#include <gtest/gtest.h>

#include <random>

#include "common/hash.h"

namespace likeness::cluster {
namespace {

TEST(ClusterTopology, GlobalFaceIdsRoundTrip) {
  for (int shard : {0, 1, 7, 63}) {
    for (int64_t local : {int64_t{1}, int64_t{42}, (int64_t{1} << 40) - 1}) {
      const int64_t g = GlobalFaceId(shard, local);
      EXPECT_EQ(ShardOfFace(g), shard);
      EXPECT_EQ(LocalFaceId(g), local);
      EXPECT_GT(g, 0);
    }
  }
  EXPECT_EQ(GlobalFaceId(0, 17), 17);  // shard 0's ids are its local ids
}

TEST(ClusterTopology, ShardOfIsStableAndBalanced) {
  // A fixed hash always lands on the same shard (the partitioning is part of the stored data).
  EXPECT_EQ(ShardOf("0000000000000000ffff", 2), 0);
  EXPECT_EQ(ShardOf("0000000000000001ffff", 2), 1);
  EXPECT_EQ(ShardOf("00000000000000ff", 4), 3);
  for (int shards : {2, 3, 4}) {
    std::vector<int> counts(static_cast<size_t>(shards));
    for (int i = 0; i < 4000; ++i) {
      const std::string s = std::to_string(i);
      ++counts[static_cast<size_t>(
          ShardOf(Sha256Hex({reinterpret_cast<const uint8_t*>(s.data()), s.size()}), shards))];
    }
    for (int c : counts) {
      EXPECT_GT(c, 4000 / shards * 0.85) << shards;
      EXPECT_LT(c, 4000 / shards * 1.15) << shards;
    }
  }
  EXPECT_EQ(ShardOf("not hex at all", 3), ShardOf("not hex at all", 3));
  EXPECT_EQ(ShardOf("", 1), 0);
}

TEST(ClusterTopology, NamesAreValidNatsTokens) {
  EXPECT_EQ(ShardStream(3), "LK_SHARD_3");
  EXPECT_EQ(ShardStoreSubject(3), "lk.shard.3.store");
  EXPECT_EQ(ShardControlSubject(3), "lk.shard.3.ctl");
  EXPECT_EQ(ShardSearchSubject(3), "lk.search.3");
  EXPECT_EQ(ShardQueueGroup(3), "shard-3");
  EXPECT_EQ(ReplicaDurable(1), "replica-1");
  EXPECT_EQ(ReplicaHealthKey(2, 1), "replica.2.1");
}

}  // namespace
}  // namespace likeness::cluster
