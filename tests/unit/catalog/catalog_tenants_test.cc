// Tenants, source ownership, shares and per-source stats (catalog schema version 2).
#include "catalog/migrations.h"
#include "catalog/schema.h"
#include "catalog_fixture.h"

namespace likeness::catalog::testing {
namespace {

class CatalogTenantsTest : public CatalogTest {
 protected:
  SourceRecord SourceOf(const std::string& name, const std::string& tenant) {
    SourceRecord s = MakeSource(name);
    s.tenant = tenant;
    auto made = catalog_->CreateSource(s);
    EXPECT_TRUE(made.ok()) << made.status().ToString();
    return made.ok() ? *made : SourceRecord{};
  }
  ShareRecord Grant(int64_t source, const std::string& tenant) {
    ShareRecord g;
    g.source_id = source;
    g.tenant = tenant;
    g.legal_basis = "art6-1-e";
    g.reference = "JIT-1";
    g.granted_by = "dpo";
    return g;
  }
};

TEST_F(CatalogTenantsTest, SourcesBelongToTheDefaultTenantUnlessTheyNameOne) {
  EXPECT_EQ(source_.tenant, "default");
  ASSERT_TRUE(catalog_->CreateTenant("acme").ok());
  const SourceRecord a = SourceOf("a1", "acme");
  EXPECT_EQ(a.tenant, "acme");
  auto read = catalog_->GetSource(a.id);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->tenant, "acme");
  SourceRecord bad = MakeSource("bad");
  bad.tenant = "no spaces";
  EXPECT_EQ(catalog_->CreateSource(bad).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(CatalogTenantsTest, TenantsAreUniqueAndValidated) {
  ASSERT_TRUE(catalog_->CreateTenant("acme").ok());
  EXPECT_EQ(catalog_->CreateTenant("acme").status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(catalog_->CreateTenant("").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(catalog_->CreateTenant("a/b").status().code(), StatusCode::kInvalidArgument);
  auto list = catalog_->ListTenants();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "acme");
  EXPECT_EQ((*list)[1].name, "default");
  EXPECT_TRUE(IsTimestamp((*list)[0].created_at));
}

TEST_F(CatalogTenantsTest, VisibleSourcesAreOwnPlusActiveShares) {
  ASSERT_TRUE(catalog_->CreateTenant("acme").ok());
  ASSERT_TRUE(catalog_->CreateTenant("globex").ok());
  const SourceRecord a = SourceOf("a1", "acme");
  const SourceRecord b = SourceOf("b1", "globex");
  EXPECT_EQ(*catalog_->VisibleSourceIds("acme"), std::vector<int64_t>{a.id});
  EXPECT_EQ(*catalog_->VisibleSourceIds("globex"), std::vector<int64_t>{b.id});
  EXPECT_EQ(*catalog_->VisibleSourceIds("default"), std::vector<int64_t>{source_.id});

  auto share = catalog_->ShareSource(Grant(a.id, "globex"));
  ASSERT_TRUE(share.ok()) << share.status().ToString();
  EXPECT_TRUE(share->active());
  EXPECT_TRUE(IsTimestamp(share->granted_at));
  EXPECT_EQ(*catalog_->VisibleSourceIds("globex"), (std::vector<int64_t>{a.id, b.id}));
  EXPECT_EQ(*catalog_->VisibleSourceIds("acme"), std::vector<int64_t>{a.id});
  EXPECT_EQ(catalog_->ShareSource(Grant(a.id, "globex")).status().code(),
            StatusCode::kAlreadyExists);

  auto revoked = catalog_->UnshareSource(a.id, "globex", "dpo", "closed");
  ASSERT_TRUE(revoked.ok());
  EXPECT_FALSE(revoked->active());
  EXPECT_EQ(revoked->revoke_reason, "closed");
  EXPECT_EQ(*catalog_->VisibleSourceIds("globex"), std::vector<int64_t>{b.id});
  EXPECT_EQ(catalog_->UnshareSource(a.id, "globex", "dpo", "again").status().code(),
            StatusCode::kNotFound);
  EXPECT_TRUE(catalog_->ListShares(false)->empty());
  ASSERT_EQ(catalog_->ListShares(true)->size(), 1u);
  // Shared again after a revocation: a new grant, the old one stays as history.
  ASSERT_TRUE(catalog_->ShareSource(Grant(a.id, "globex")).ok());
  EXPECT_EQ(catalog_->ListShares(true)->size(), 2u);
  EXPECT_EQ(catalog_->ListShares(false)->size(), 1u);
}

TEST_F(CatalogTenantsTest, ShareRefusesBadGrants) {
  ASSERT_TRUE(catalog_->CreateTenant("acme").ok());
  const SourceRecord a = SourceOf("a1", "acme");
  EXPECT_EQ(catalog_->ShareSource(Grant(a.id, "acme")).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(catalog_->ShareSource(Grant(a.id, "nobody")).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(catalog_->ShareSource(Grant(9999, "default")).status().code(), StatusCode::kNotFound);
  ShareRecord no_basis = Grant(a.id, "default");
  no_basis.legal_basis.clear();
  EXPECT_EQ(catalog_->ShareSource(no_basis).status().code(), StatusCode::kInvalidArgument);
  ShareRecord no_ref = Grant(a.id, "default");
  no_ref.reference.clear();
  EXPECT_EQ(catalog_->ShareSource(no_ref).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(CatalogTenantsTest, StatsOfSourcesCountOnlyThoseSources) {
  ASSERT_TRUE(catalog_->CreateTenant("acme").ok());
  AddImage("h1", 3);
  const SourceRecord a = SourceOf("a1", "acme");
  ImageRecord image = MakeImage(a.id, "h2");
  std::vector<FaceRecord> faces = MakeFaces(kModelA, 2, 5);
  ASSERT_TRUE(catalog_->AddImageWithFaces(image, faces).ok());
  auto mine = catalog_->StatsOfSources(std::vector<int64_t>{a.id});
  ASSERT_TRUE(mine.ok()) << mine.status().ToString();
  EXPECT_EQ(mine->sources, 1);
  EXPECT_EQ(mine->images, 1);
  EXPECT_EQ(mine->faces, 2);
  auto both = catalog_->StatsOfSources(std::vector<int64_t>{source_.id, a.id});
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->faces, 5);
  auto none = catalog_->StatsOfSources({});
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->faces, 0);
  EXPECT_EQ(none->sources, 0);
}

// A catalog made before tenants (schema version 1) is migrated: its sources go to "default".
TEST(CatalogTenantsMigration, VersionOneSourcesGoToTheDefaultTenant) {
  ::likeness::testing::TempDir dir;
  const auto path = dir.path() / "catalog.db";
  {
    auto raw = RawOpen(path);
    ASSERT_TRUE(ApplyMigrations(*raw, CatalogMigrations().subspan(0, 1)).ok());
    ASSERT_TRUE(raw->Exec("INSERT INTO sources (name, kind, location, collector, legal_basis, "
                          "art9_condition, jurisdiction, created_at) VALUES ('old', 'folder', "
                          "'/x', 'me', 'art6-1-e', 'art9-2-g', 'DE', '2026-01-01T00:00:00Z')")
                    .ok());
  }
  auto catalog = Catalog::Open(path);
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  EXPECT_EQ((*catalog)->SchemaVersion(), LatestSchemaVersion());
  auto old = (*catalog)->GetSourceByName("old");
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(old->tenant, "default");
  EXPECT_EQ(*(*catalog)->VisibleSourceIds("default"), std::vector<int64_t>{old->id});
}

}  // namespace
}  // namespace likeness::catalog::testing
