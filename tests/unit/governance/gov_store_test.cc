#include "governance/gov_store.h"

#include <gtest/gtest.h>

#include "catalog/catalog.h"
#include "testing/test_env.h"

namespace likeness::governance {
namespace {

class GovStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto cat = catalog::Catalog::Open(dir_.path() / "catalog.db");
    ASSERT_TRUE(cat.ok()) << cat.status().ToString();
    catalog_ = std::move(*cat);
    auto s = GovStore::Open(dir_.path() / "catalog.db");
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
  }
  likeness::testing::TempDir dir_;
  std::unique_ptr<catalog::Catalog> catalog_;
  std::unique_ptr<GovStore> store_;
};

TEST_F(GovStoreTest, SettingsAndBlockedJurisdictions) {
  EXPECT_FALSE(store_->GetSetting("k")->has_value());
  ASSERT_TRUE(store_->SetSetting("k", "1").ok());
  ASSERT_TRUE(store_->SetSetting("k", "2").ok());
  EXPECT_EQ(**store_->GetSetting("k"), "2");
  EXPECT_TRUE(*store_->Block("FR"));
  EXPECT_FALSE(*store_->Block("FR"));
  EXPECT_TRUE(*store_->IsBlocked("FR"));
  EXPECT_FALSE(*store_->IsBlocked("DE"));
  EXPECT_TRUE(*store_->Unblock("FR"));
  EXPECT_FALSE(*store_->Unblock("FR"));
  EXPECT_TRUE(store_->Blocked()->empty());
}

TEST_F(GovStoreTest, OptOutRowsAndHitCounters) {
  ASSERT_TRUE(store_->AddOptOut({"R1", "2026-01-01", {1, 2, 3}}).ok());
  EXPECT_EQ(store_->AddOptOut({"R1", "2026-01-02", {4}}).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->OptOuts()->size(), 1u);
  EXPECT_EQ(store_->RemoveOptOut("R2").code(), StatusCode::kNotFound);
  ASSERT_TRUE(store_->RemoveOptOut("R1").ok());
  EXPECT_TRUE(store_->OptOuts()->empty());

  const std::vector<int64_t> ids = {5, 6, 5};
  ASSERT_TRUE(store_->CountHits(ids).ok());
  EXPECT_EQ(*store_->Hits(5), 2);
  EXPECT_EQ(*store_->Hits(6), 1);
  EXPECT_EQ(*store_->Hits(7), 0);
  ASSERT_TRUE(store_->DeleteImagesAndHits({}, ids).ok());
  EXPECT_EQ(*store_->Hits(5), 0);
  // The scrub runs with the catalog's own connection open beside it.
  EXPECT_TRUE(store_->Scrub().ok());
  EXPECT_TRUE(catalog_->CheckIntegrity().ok());
}

TEST_F(GovStoreTest, QueriesOverAnEmptyCatalog) {
  EXPECT_TRUE(store_->FaceIdsWhere("s.jurisdiction = ?", "FR")->empty());
  auto held = store_->HeldIn("FR");
  ASSERT_TRUE(held.ok());
  EXPECT_EQ(held->first, 0);
  EXPECT_EQ(held->second, 0);
  const std::vector<int64_t> none = {1, 2};
  EXPECT_TRUE(store_->ImagesOfFaces(none)->empty());
  EXPECT_TRUE(store_->ImagesWithoutFaces(none)->empty());
}

}  // namespace
}  // namespace likeness::governance
