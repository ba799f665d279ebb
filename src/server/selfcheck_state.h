// What the public self-check keeps between its requests, all in memory and short-lived:
//  - issued challenges: a random 128-bit nonce, the challenge kind, and an expiry; redeemed once;
//  - hashes of submitted frame sequences and frames (so a replayed capture is refused), bounded;
//  - receipts of accepted checks: a random token mapped to the matching face ids for a short
//    time, so the person can ask for erasure or opt-out without the server keeping anything else;
//  - a small pool of LivenessModels (one per concurrent check; cv::dnn nets are stateful);
//  - the hard caps on challenges: per client address per hour, per kiosk key per day.
// Nothing here is written to disk; a restart forgets it all (outstanding challenges then fail).
//
// Thread safety: every method may be called concurrently (one mutex).
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "governance/selfcheck_liveness.h"
#include "likeness/status.h"
#include "server/rate_limit.h"
#include "vision/liveness_models.h"

namespace likeness::server {

struct IssuedChallenge {
  std::string nonce;  // 32 hex characters
  governance::ChallengeKind kind = governance::ChallengeKind::kTurnLeft;
  std::chrono::seconds ttl{0};
};

class SelfCheckState {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  static constexpr size_t kMaxOutstanding = 10'000;  // challenges and receipts held at once
  static constexpr size_t kMaxRemembered = 100'000;  // sequence and frame hashes remembered

  // `kinds`: the challenges that may be issued (non-empty); `ttl`: how long a challenge and a
  // receipt stay valid. `clock` defaults to steady_clock::now (tests pass a fake one).
  SelfCheckState(std::vector<governance::ChallengeKind> kinds, std::chrono::seconds ttl,
                 Clock clock = {});

  // A fresh challenge of a kind drawn uniformly at random from `kinds`.
  IssuedChallenge Issue();
  // Redeems a nonce once. FailedPrecondition when unknown, already used or expired.
  Result<governance::ChallengeKind> Redeem(const std::string& nonce);
  // Records the hashes; returns false when the sequence or any of the frames was seen before.
  bool RememberCapture(const std::string& sequence_hash, const std::vector<std::string>& frames);

  // Counts a challenge against the hard caps: at most `per_hour` for `address_bucket` in the
  // current clock hour and `per_day` for `key_name` in the current UTC day (<= 0: no cap).
  // nullopt when admitted, else the seconds until the cap that refused it resets.
  std::optional<double> AdmitChallenge(const std::string& address_bucket,
                                       const std::string& key_name, int64_t per_hour,
                                       int64_t per_day);

  // A receipt token for an accepted check (request reference `reference`) that matched
  // `face_ids`.
  struct Receipt {
    std::vector<int64_t> face_ids;
    std::string reference;
    std::chrono::steady_clock::time_point expires;
  };
  std::string IssueReceipt(std::vector<int64_t> face_ids, std::string reference);
  // Redeems a receipt once. FailedPrecondition when unknown, used or expired.
  Result<Receipt> RedeemReceipt(const std::string& receipt);

  // A LivenessModels for one check; give it back with ReturnModels.
  Result<std::unique_ptr<vision::LivenessModels>> TakeModels(const vision::VerifiedModels& models);
  void ReturnModels(std::unique_ptr<vision::LivenessModels> models);

 private:
  void PruneLocked(std::chrono::steady_clock::time_point now);

  const std::vector<governance::ChallengeKind> kinds_;
  const std::chrono::seconds ttl_;
  Clock clock_;
  std::mutex mu_;
  struct Pending {
    governance::ChallengeKind kind;
    std::chrono::steady_clock::time_point expires;
  };
  std::map<std::string, Pending> challenges_;  // guarded by mu_
  std::map<std::string, Receipt> receipts_;    // guarded by mu_
  WindowCounter per_address_hour_;
  WindowCounter per_key_day_;
  std::set<std::string> seen_;          // guarded by mu_
  std::deque<std::string> seen_order_;  // guarded by mu_ (oldest first)
  std::vector<std::unique_ptr<vision::LivenessModels>> free_models_;  // guarded by mu_
};

// A fresh request reference: "sc-" and 16 random hex digits.
std::string NewRequestReference();

// "turn-left,blink" -> kinds. InvalidArgument for an unknown name or an empty list.
Result<std::vector<governance::ChallengeKind>> ParseChallengeKinds(const std::string& list);

}  // namespace likeness::server
