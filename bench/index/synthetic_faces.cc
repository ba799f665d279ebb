#include "synthetic_faces.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace likeness::bench {
namespace {

uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

// Stream tags so catalog, centres and probes never share random numbers.
constexpr uint64_t kCentreStream = 0x63656e7472650000ULL;
constexpr uint64_t kProbeStream = 0x70726f6265000000ULL;

}  // namespace

Rng::Rng(uint64_t seed) {
  for (uint64_t& s : s_) s = SplitMix64(seed);
}

uint64_t Rng::Next() {
  const uint64_t result = Rotl(s_[0] + s_[3], 23) + s_[0];
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = Rotl(s_[3], 45);
  return result;
}

float Rng::Uniform() { return static_cast<float>(Next() >> 40) * 0x1.0p-24f; }

float Rng::Gaussian() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  const float u1 = 1.0f - Uniform();  // (0, 1]
  const float u2 = Uniform();
  const float r = std::sqrt(-2.0f * std::log(u1));
  const float theta = 2.0f * std::numbers::pi_v<float> * u2;
  spare_ = r * std::sin(theta);
  has_spare_ = true;
  return r * std::cos(theta);
}

void NormalizeInPlace(float* v, int dim) {
  double norm = 0;
  for (int i = 0; i < dim; ++i) norm += double{v[i]} * v[i];
  const auto inv = static_cast<float>(1.0 / std::sqrt(norm));
  for (int i = 0; i < dim; ++i) v[i] *= inv;
}

FaceGenerator::FaceGenerator(int dim, uint64_t seed)
    : dim_(dim), seed_(seed), rng_(seed), centre_(static_cast<size_t>(dim)) {}

void FaceGenerator::Centre(int32_t identity, float* out) const {
  Rng rng(seed_ ^ kCentreStream ^ (static_cast<uint64_t>(identity) * 0x9e3779b97f4a7c15ULL));
  for (int d = 0; d < dim_; ++d) out[d] = rng.Gaussian();
  NormalizeInPlace(out, dim_);
}

void FaceGenerator::Face(const float* centre, Rng& rng, float* out) const {
  for (int d = 0; d < dim_; ++d) out[d] = rng.Gaussian();
  NormalizeInPlace(out, dim_);
  const float w = kMinQuality + (kMaxQuality - kMinQuality) * rng.Uniform();
  const float a = std::sqrt(w), b = std::sqrt(1.0f - w);
  for (int d = 0; d < dim_; ++d) out[d] = a * centre[d] + b * out[d];
  NormalizeInPlace(out, dim_);
}

void FaceGenerator::NextFaces(int64_t count, float* faces, int32_t* identities) {
  // P(one more face) such that 1 + Geometric has mean kMeanFacesPerIdentity.
  const float more = static_cast<float>(1.0 - 1.0 / kMeanFacesPerIdentity);
  for (int64_t i = 0; i < count; ++i) {
    if (left_in_identity_ == 0) {
      ++identity_;
      Centre(identity_, centre_.data());
      left_in_identity_ = 1;
      while (left_in_identity_ < kMaxFacesPerIdentity && rng_.Uniform() < more) ++left_in_identity_;
    }
    Face(centre_.data(), rng_, faces + i * dim_);
    identities[i] = identity_;
    --left_in_identity_;
  }
}

void FaceGenerator::Probe(int32_t identity, uint64_t probe, float* face) const {
  std::vector<float> centre(static_cast<size_t>(dim_));
  Centre(identity, centre.data());
  Rng rng(seed_ ^ kProbeStream ^ (probe * 0xd1b54a32d192ed03ULL));
  Face(centre.data(), rng, face);
}

}  // namespace likeness::bench
