#include "server/selfcheck_state.h"

#include <sodium.h>

#include "common/hash.h"

namespace likeness::server {
namespace {

std::string RandomHex(size_t bytes) {
  std::vector<uint8_t> buf(bytes);
  randombytes_buf(buf.data(), buf.size());
  return ToHex(buf);
}

}  // namespace

SelfCheckState::SelfCheckState(std::vector<governance::ChallengeKind> kinds,
                               std::chrono::seconds ttl, Clock clock)
    : kinds_(std::move(kinds)), ttl_(ttl), clock_(std::move(clock)) {
  if (!clock_) clock_ = [] { return std::chrono::steady_clock::now(); };
}

void SelfCheckState::PruneLocked(std::chrono::steady_clock::time_point now) {
  std::erase_if(challenges_, [now](const auto& kv) { return kv.second.expires <= now; });
  std::erase_if(receipts_, [now](const auto& kv) { return kv.second.expires <= now; });
  while (challenges_.size() >= kMaxOutstanding) challenges_.erase(challenges_.begin());
  while (receipts_.size() >= kMaxOutstanding) receipts_.erase(receipts_.begin());
}

IssuedChallenge SelfCheckState::Issue() {
  const auto now = clock_();
  IssuedChallenge c;
  c.nonce = RandomHex(16);
  c.kind = kinds_.empty() ? governance::ChallengeKind::kTurnLeft
                          : kinds_[randombytes_uniform(static_cast<uint32_t>(kinds_.size()))];
  c.ttl = ttl_;
  std::lock_guard lock(mu_);
  PruneLocked(now);
  challenges_[c.nonce] = {c.kind, now + ttl_};
  return c;
}

Result<governance::ChallengeKind> SelfCheckState::Redeem(const std::string& nonce) {
  const auto now = clock_();
  std::lock_guard lock(mu_);
  const auto it = challenges_.find(nonce);
  if (it == challenges_.end()) {
    return Status::FailedPrecondition("unknown or already used challenge; ask for a new one");
  }
  const Pending p = it->second;
  challenges_.erase(it);  // single use, whatever the outcome
  if (p.expires <= now) return Status::FailedPrecondition("the challenge expired; ask again");
  return p.kind;
}

bool SelfCheckState::RememberCapture(const std::string& sequence_hash,
                                     const std::vector<std::string>& frames) {
  std::lock_guard lock(mu_);
  bool fresh = !seen_.count("seq:" + sequence_hash);
  for (const auto& f : frames) fresh = fresh && !seen_.count("frame:" + f);
  const auto remember = [this](std::string key) {
    if (!seen_.insert(key).second) return;
    seen_order_.push_back(std::move(key));
    while (seen_order_.size() > kMaxRemembered) {
      seen_.erase(seen_order_.front());
      seen_order_.pop_front();
    }
  };
  remember("seq:" + sequence_hash);
  for (const auto& f : frames) remember("frame:" + f);
  return fresh;
}

std::optional<double> SelfCheckState::AdmitChallenge(const std::string& address_bucket,
                                                     const std::string& key_name, int64_t per_hour,
                                                     int64_t per_day) {
  if (auto wait = per_address_hour_.Take(address_bucket, per_hour, std::chrono::hours(1))) {
    return wait;
  }
  return per_key_day_.Take(key_name, per_day, std::chrono::hours(24));
}

std::string SelfCheckState::IssueReceipt(std::vector<int64_t> face_ids, std::string reference) {
  const auto now = clock_();
  std::string token = RandomHex(16);
  std::lock_guard lock(mu_);
  PruneLocked(now);
  receipts_[token] = {std::move(face_ids), std::move(reference), now + ttl_};
  return token;
}

Result<SelfCheckState::Receipt> SelfCheckState::RedeemReceipt(const std::string& receipt) {
  const auto now = clock_();
  std::lock_guard lock(mu_);
  const auto it = receipts_.find(receipt);
  if (it == receipts_.end()) {
    return Status::FailedPrecondition("unknown or already used receipt; run the self-check again");
  }
  Receipt r = std::move(it->second);
  receipts_.erase(it);
  if (r.expires <= now) return Status::FailedPrecondition("the receipt expired; check again");
  return r;
}

std::string NewRequestReference() { return "sc-" + RandomHex(8); }

Result<std::unique_ptr<vision::LivenessModels>> SelfCheckState::TakeModels(
    const vision::VerifiedModels& models) {
  {
    std::lock_guard lock(mu_);
    if (!free_models_.empty()) {
      auto m = std::move(free_models_.back());
      free_models_.pop_back();
      return m;
    }
  }
  return vision::LivenessModels::Create(models);
}

void SelfCheckState::ReturnModels(std::unique_ptr<vision::LivenessModels> models) {
  if (!models) return;
  std::lock_guard lock(mu_);
  free_models_.push_back(std::move(models));
}

Result<std::vector<governance::ChallengeKind>> ParseChallengeKinds(const std::string& list) {
  std::vector<governance::ChallengeKind> kinds;
  size_t start = 0;
  while (start <= list.size()) {
    const size_t comma = list.find(',', start);
    const std::string name =
        list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!name.empty()) {
      ASSIGN_OR_RETURN(governance::ChallengeKind k, governance::ParseChallenge(name));
      kinds.push_back(k);
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (kinds.empty()) return Status::InvalidArgument("no self-check challenge kinds given");
  return kinds;
}

}  // namespace likeness::server
