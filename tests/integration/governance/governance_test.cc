// Purpose-bound search, the ingest policy (blocked jurisdictions, opt-outs, batch audit),
// retention, subject access and the record of processing, on real photos and real stores.
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/hash.h"
#include "governance/access.h"
#include "governance/optout.h"
#include "governance/policy_ops.h"
#include "governance/report.h"
#include "governance/retention.h"
#include "governance_fixture.h"

namespace likeness::governance {
namespace {

TEST_F(GovernanceTest, SearchIsRefusedWithoutJustificationAndAuditedWithIt) {
  const auto probe = Bytes(Demo(1));
  for (Justification bad :
       {Justification{"", "p", "art6-1-e", "c"}, Justification{"o", "", "art6-1-e", "c"},
        Justification{"o", "p", "", "c"}, Justification{"o", "p", "art6-1-e", ""},
        Justification{"o", "p", "art6-1-z", "c"}}) {
    auto r = gov_->Search(bad, probe, {});
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  }
  EXPECT_TRUE(gov_->audit().Query({.action = "search"})->empty()) << "refusals leave no search";

  int64_t seq = 0;
  auto r = gov_->Search({"alice", "missing person", "public-task", "CASE-9"}, probe, {}, &seq);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto entries = gov_->audit().Query({.action = "search"});
  ASSERT_EQ(entries->size(), 1u);
  const auto& e = entries->front();
  EXPECT_EQ(e.seq, seq);
  EXPECT_EQ(e.operator_id, "alice");
  EXPECT_EQ(e.legal_basis, "art6-1-e");
  EXPECT_EQ(e.case_ref, "CASE-9");
  EXPECT_EQ(e.probe_hash, Sha256Hex(probe));
  int64_t returned = 0;
  for (const auto& f : r->faces) returned += static_cast<int64_t>(f.matches.size());
  EXPECT_EQ(e.result_count, returned);
  EXPECT_NE(e.details.find("face_ids"), std::string::npos) << e.details;

  auto v = gov_->Verify({"alice", "check", "art6-1-e", "CASE-9"}, probe, probe, 0.45f);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(gov_->audit().Query({.action = "verify"})->size(), 1u);
  // Both ingest batches of SetUp were audited too.
  EXPECT_EQ(gov_->audit().Query({.action = "ingest"})->size(), 2u);
  EXPECT_TRUE(gov_->audit().Verify()->ok);
}

TEST_F(GovernanceTest, BlockedJurisdictionRefusesIngestAndReportsWhatIsHeld) {
  auto block = BlockJurisdiction(*gov_, "fr", Why());
  ASSERT_TRUE(block.ok()) << block.status().ToString();
  EXPECT_EQ((*block)["jurisdiction"], "FR");
  EXPECT_EQ((*block)["held_images"], 3);
  auto more = Declare("fr-more", "FR");
  const auto faces_before = AllFaces().size();
  auto r = IngestDemo(more, {4});
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("3 image(s)"), std::string::npos) << r.status().message();
  EXPECT_EQ(AllFaces().size(), faces_before);
  EXPECT_EQ(BlockJurisdiction(*gov_, "XX", Why()).status().code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(UnblockJurisdiction(*gov_, "FR", Why()).ok());
  EXPECT_TRUE(IngestDemo(more, {4}).ok());
  EXPECT_EQ(gov_->audit().Query({.action = "policy"})->size(), 2u);
}

TEST_F(GovernanceTest, RetentionErasesWhatExpiredOnly) {
  // A source kept until 2025-06-30 holding a copy of sample1 (one extra byte: new content hash).
  auto old = Declare("old", "IT", "2025-06-30");
  const auto copy = dir_.path() / "old.jpg";
  {
    auto bytes = Bytes(Demo(1));
    bytes.push_back(0);
    std::ofstream(copy, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()),
               static_cast<std::streamsize>(bytes.size()));
  }
  engine::IngestOptions o;
  o.jobs = 1;
  auto ing = engine::Ingest(*engine_, old, {copy}, o);
  ASSERT_TRUE(ing.ok()) << ing.status().ToString();
  ASSERT_GE(ing->totals.faces, 3);
  EXPECT_TRUE(ExpiredFaces(*gov_, "2025-06-30")->empty()) << "kept through its last day";
  auto expired = ExpiredFaces(*gov_, "2025-07-01");
  ASSERT_TRUE(expired.ok());
  EXPECT_EQ(static_cast<int64_t>(expired->size()), ing->totals.faces);
  const size_t before = AllFaces().size();
  auto first = RunRetention(*gov_, "2025-07-01", Why());
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(AllFaces().size(), before - expired->size());
  EXPECT_EQ(ExpiredFaces(*gov_, "2025-02-30").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ExpiredFaces(*gov_, "yesterday").status().code(), StatusCode::kInvalidArgument);

  // A default retention of 1 day: judged 3 days from now, every face has expired.
  ASSERT_TRUE(SetDefaultRetention(*gov_, 1, Why()).ok());
  EXPECT_EQ(SetDefaultRetention(*gov_, 0, Why()).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(ExpiredFaces(*gov_, TodayUtc())->empty());
  auto r = RunRetention(*gov_, "2999-01-01", Why());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_GE((*r)["faces_removed"].get<int>(), 12);
  EXPECT_TRUE(AllFaces().empty());
}

TEST_F(GovernanceTest, OptOutErasesMatchesBlocksReentryAndHidesFromSearch) {
  const auto probe = Bytes(Demo(1));
  auto person = SingleFaceProbe(*engine_, probe, true);
  ASSERT_TRUE(person.ok());
  const auto& e = person->faces[0].embedding;
  auto held = HeldFacesMatching(*engine_, e, kOptOutThreshold);
  ASSERT_FALSE(held->empty());

  EXPECT_EQ(AddOptOut(*gov_, probe, "REQ-1", false, Why()).status().code(),
            StatusCode::kInvalidArgument)
      << "several faces need --largest";
  auto r = AddOptOut(*gov_, probe, "REQ-1", true, Why());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)["matched_faces"], held->size());
  EXPECT_TRUE(HeldFacesMatching(*engine_, e, kOptOutThreshold)->empty());
  EXPECT_EQ(AddOptOut(*gov_, probe, "REQ-1", true, Why()).status().code(),
            StatusCode::kAlreadyExists);

  // The template is stored sealed: its float bytes are nowhere in the data folder.
  EXPECT_FALSE(Contains(DataFolderBytes(), e));

  // Re-ingesting the same photo under a new source stores the others but not this person.
  auto again = Declare("again", "FR");
  auto ing = IngestDemo(again, {1});
  ASSERT_TRUE(ing.ok());
  EXPECT_TRUE(HeldFacesMatching(*engine_, e, kOptOutThreshold)->empty());

  ASSERT_TRUE(WithdrawOptOut(*gov_, "REQ-1", Why()).ok());
  EXPECT_EQ(WithdrawOptOut(*gov_, "REQ-1", Why()).code(), StatusCode::kNotFound);
  EXPECT_TRUE((*ListOptOuts(*gov_))["optouts"].empty());
}

TEST_F(GovernanceTest, SubjectAccessSaysWhereAndCountsSearchHits) {
  const auto probe = Bytes(Demo(2));
  ASSERT_TRUE(gov_->Search({"alice", "p", "art6-1-e", "C"}, probe, {}).ok());
  auto person = SingleFaceProbe(*engine_, probe, true);
  ASSERT_TRUE(person.ok());
  auto report = SubjectAccess(*gov_, person->faces[0].embedding, person->probe_sha256, Why());
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE((*report)["held"].get<bool>());
  const auto& first = (*report)["faces"][0];
  EXPECT_EQ(first["source"], "fr-photos");
  EXPECT_EQ(first["legal_basis"], "art6-1-e");
  EXPECT_GE(first["search_hits"].get<int>(), 1);
  auto entries = gov_->audit().Query({.action = "access"});
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ(entries->front().probe_hash, person->probe_sha256);

  // From a held photo instead of a new one.
  auto held = HeldFaceEmbedding(*gov_, "", Sha256Hex(probe));
  ASSERT_TRUE(held.ok()) << held.status().ToString();
  EXPECT_EQ(HeldFaceEmbedding(*gov_, "/nowhere.jpg", "").status().code(), StatusCode::kNotFound);

  // A probe with no face is refused.
  EXPECT_FALSE(SingleFaceProbe(*engine_, std::vector<uint8_t>{1, 2, 3}, true).ok());
}

TEST_F(GovernanceTest, ProcessingRecordListsSourcesPolicyAndPurposes) {
  ASSERT_TRUE(gov_->Search({"alice", "fraud inquiry", "art6-1-e", "C"}, Bytes(Demo(3)), {}).ok());
  ASSERT_TRUE(BlockJurisdiction(*gov_, "DE", Why()).ok());
  auto r = ProcessingRecord(*gov_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)["sources"].size(), 2u);
  EXPECT_EQ((*r)["sources"][0]["legal_basis"], "art6-1-e");
  EXPECT_EQ((*r)["operations_per_purpose"]["search"]["fraud inquiry"], 1);
  EXPECT_EQ((*r)["policy"]["blocked_jurisdictions"][0]["jurisdiction"], "DE");
}

}  // namespace
}  // namespace likeness::governance
