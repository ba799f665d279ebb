// Attack: a search key tries to make the open-set decision say more than it should - a stranger's
// photo in the hope of near faces, a threshold of 0.1 to turn every face into a "match", candidates
// below the threshold - and an admin asks for candidates without saying why.
// Claim (docs/PRIVACY.md, "The decision is enforced"): by default a search returns only matches at
// or above the decision threshold (a stranger: no_match and no faces); lowering the threshold below
// the FPIR 1 % floor and sub-threshold candidates need the review right (admin keys), a stated
// reason, at most 10 per face, labelled as candidates, and the audit record says so; every read is
// in `audit show` under its case.
#include "access_fixture.h"

namespace likeness::server::testing {
namespace {

class DecisionAttack : public AccessRedTeam {};

TEST_F(DecisionAttack, StrangersGetNoFacesAndOnlyReviewersSeeBelowTheThreshold) {
  // Nobody from sample6 appears in sample5 (tests/integration/pipeline_test.cc).
  Upload(kOperator, "decision-press", {5});
  auto c = Client();

  auto stranger = Search(kOperator, Role::kSearch, 6, "RT-DECISION");
  ASSERT_TRUE(stranger);
  ASSERT_EQ(stranger->status, 200) << stranger->body;
  const nlohmann::json s = Json(stranger);
  ASSERT_FALSE(s["faces"].empty());
  for (const auto& f : s["faces"]) {
    EXPECT_EQ(f["decision"], "no_match");
    EXPECT_TRUE(f["matches"].empty()) << f.dump();
    EXPECT_FALSE(f.contains("candidates"));
  }
  EXPECT_TRUE(MediaUrls(s).empty()) << "a stranger's search returned faces";
  // The reply says which threshold decided and where it came from.
  EXPECT_TRUE(s["threshold"].is_number());
  EXPECT_TRUE(s["threshold_floor"].is_number());
  EXPECT_EQ(s["threshold_source"], "default");  // a small catalog, never calibrated
  EXPECT_TRUE(s.contains("expected_false_matches"));

  // A threshold of 0.1 (or anything under the floor) without the review right: refused.
  for (const char* t : {"0.1", "-1", "0.3"}) {
    auto low = Search(kOperator, Role::kSearch, 6, "RT-DECISION", {TextPart("threshold", t)});
    ASSERT_TRUE(low);
    EXPECT_EQ(low->status, 403) << t << " " << low->body;
    EXPECT_EQ(low->body.find("face_id"), std::string::npos);
  }
  // A stricter threshold is anyone's to choose.
  auto strict = Search(kOperator, Role::kSearch, 6, "RT-DECISION", {TextPart("threshold", "0.9")});
  ASSERT_TRUE(strict);
  EXPECT_EQ(strict->status, 200) << strict->body;
  EXPECT_EQ(Json(strict)["threshold_source"], "client");
  // Candidates for review: not for a search key, not without a reason, never more than 10.
  auto unreviewed = Search(kOperator, Role::kSearch, 6, "RT-DECISION",
                           {TextPart("review_candidates", "5"), TextPart("review_reason", "x")});
  ASSERT_TRUE(unreviewed);
  EXPECT_EQ(unreviewed->status, 403) << unreviewed->body;
  auto no_reason =
      Search(kOperator, Role::kAdmin, 6, "RT-DECISION", {TextPart("review_candidates", "5")});
  ASSERT_TRUE(no_reason);
  EXPECT_EQ(no_reason->status, 400) << no_reason->body;
  auto too_many = Search(kOperator, Role::kAdmin, 6, "RT-DECISION",
                         {TextPart("review_candidates", "11"), TextPart("review_reason", "x")});
  ASSERT_TRUE(too_many);
  EXPECT_EQ(too_many->status, 400) << too_many->body;

  // The reviewer: candidates labelled, folded apart from the (empty) matches, tokened, audited.
  const std::string reason = "second look at a blurred CCTV still, case officer request";
  auto review = Search(kOperator, Role::kAdmin, 6, "RT-DECISION",
                       {TextPart("review_candidates", "3"), TextPart("review_reason", reason)});
  ASSERT_TRUE(review);
  ASSERT_EQ(review->status, 200) << review->body;
  const nlohmann::json r = Json(review);
  size_t candidates = 0;
  for (const auto& f : r["faces"]) {
    EXPECT_EQ(f["decision"], "no_match");
    EXPECT_TRUE(f["matches"].empty());
    ASSERT_TRUE(f.contains("candidates"));
    EXPECT_LE(f["candidates"].size(), 3u);
    for (const auto& m : f["candidates"]) {
      EXPECT_EQ(m["candidate"], true);
      EXPECT_EQ(m["match"], false);
      EXPECT_LT(m["score"].get<double>(), r["threshold"].get<double>());
      ++candidates;
    }
  }
  EXPECT_GT(candidates, 0u);
  for (const auto& url : MediaUrls(r)) {
    auto img = c->Get(url, Auth(kOperator, Role::kAdmin));
    ASSERT_TRUE(img);
    EXPECT_EQ(img->status, 200);
    EXPECT_TRUE(LooksLikeImage(img->body));
  }

  // The audit trail: every answered search under the case, the review one saying so and why.
  int searches = 0, reviews = 0;
  for (const auto& e : AuditShow("RT-DECISION")) {
    if (e["action"] != "search") continue;
    ++searches;
    const auto& d = e["details"];
    if (d.contains("review")) {
      ++reviews;
      EXPECT_EQ(d["review"]["reason"], reason);
      EXPECT_EQ(d["review"]["candidate_ids"].size(), candidates);
      EXPECT_EQ(e["operator"], "default-admin");
    }
  }
  EXPECT_EQ(searches,
            3);  // the stranger, the strict and the review search; refusals return nothing
  EXPECT_EQ(reviews, 1);
}

}  // namespace
}  // namespace likeness::server::testing
