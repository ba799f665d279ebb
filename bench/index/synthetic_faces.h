// Synthetic face embeddings with an identity structure, streamed in chunks (bench only).
//
// Model. Identity i has a centre c_i: a random unit vector (isotropic Gaussian, normalised), so
// centres of different identities have cosine ~0 +- 1/sqrt(dim) (0.044 at 512-d). A face f of
// identity i is
//     f = normalize(sqrt(w_f) * c_i + sqrt(1 - w_f) * u_f)
// where u_f is a fresh random unit vector and w_f, the face's "quality", is uniform in
// [kMinQuality, kMaxQuality] = [0.5, 0.9]. Since u_f is nearly orthogonal to everything else,
// cos(f, c_i) ~ sqrt(w_f) and two faces of one identity have cosine ~ sqrt(w_f * w_g): mean ~0.70,
// spread ~0.08 (like a real face model's genuine pairs), while faces of different identities sit at
// 0 +- 0.05. Catalog faces come identity by identity; each identity has 1 + Geometric faces (mean
// kMeanFacesPerIdentity, capped at kMaxFacesPerIdentity): many people with one photo, a few with
// many. A probe is a new face (fresh noise and quality) of the identity of a uniformly drawn
// catalog face.
//
// Everything is a deterministic function of the seed: centres are regenerated from (seed,
// identity), so neither the catalog nor the centres are ever held in memory.
#pragma once

#include <cstdint>
#include <vector>

namespace likeness::bench {

inline constexpr float kMinQuality = 0.5f;
inline constexpr float kMaxQuality = 0.9f;
inline constexpr double kMeanFacesPerIdentity = 4.0;
inline constexpr int kMaxFacesPerIdentity = 50;

// xoshiro256++ (Blackman & Vigna), seeded through splitmix64; fast and good enough for synthetic
// data.
class Rng {
 public:
  explicit Rng(uint64_t seed);
  uint64_t Next();
  float Uniform();   // [0, 1)
  float Gaussian();  // N(0, 1), Box-Muller

 private:
  uint64_t s_[4];
  bool has_spare_ = false;
  float spare_ = 0;
};

class FaceGenerator {
 public:
  FaceGenerator(int dim, uint64_t seed);

  int dim() const { return dim_; }
  // Writes the next `count` catalog faces (count * dim floats) and their identity labels.
  void NextFaces(int64_t count, float* faces, int32_t* identities);
  // A new photo of `identity`, drawn from the probe stream `probe` (any integer).
  void Probe(int32_t identity, uint64_t probe, float* face) const;

 private:
  void Centre(int32_t identity, float* out) const;
  void Face(const float* centre, Rng& rng, float* out) const;

  int dim_;
  uint64_t seed_;
  Rng rng_;                    // catalog noise, qualities and identity sizes
  std::vector<float> centre_;  // the current identity's centre
  int32_t identity_ = -1;
  int64_t left_in_identity_ = 0;
};

void NormalizeInPlace(float* v, int dim);

}  // namespace likeness::bench
