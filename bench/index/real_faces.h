// Real face embeddings for bench_ann: the demo photos (scripts/setup puts the face-api sample
// photos in vision::DefaultDemoDir()) embedded with the pinned model, plus perturbed copies that
// follow the synthetic identity model (synthetic_faces.h), so the catalog and the probes carry the
// real embedder's geometry next to the synthetic faces.
//
// A real face r is treated as a face of its own identity; a copy of it is
//     normalize(sqrt(w) * r + sqrt(1 - w) * u)
// with fresh random unit noise u and w uniform in [kMinQuality, kMaxQuality], so a copy has cosine
// ~sqrt(w) (~0.84) with r and two copies ~w (~0.70) with each other, while two real identities
// keep their real cosine, scaled by the same factors. Faces closer than kSamePersonCosine in the
// real embedding are taken to be one person (the demo photos may repeat someone) and share an
// identity.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include "likeness/status.h"

namespace likeness::bench {

inline constexpr float kSamePersonCosine = 0.5f;

struct RealFaces {
  int dim = 0;
  std::vector<float> faces;         // count * dim, unit length, in file order (largest face first)
  std::vector<int32_t> identity;    // per face, 0-based; equal for faces merged as one person
  std::vector<std::string> source;  // per face: "<file>#<face index>"
  int64_t count() const { return static_cast<int64_t>(identity.size()); }
};

// Embeds every face in the *.jpg / *.png photos of demo_dir with the models in model_dir (verified
// against the built-in manifest). Errors: NotFound (no photos, no models), whatever the analyzer
// returns.
Result<RealFaces> EmbedDemoFaces(const std::filesystem::path& demo_dir,
                                 const std::filesystem::path& model_dir);

// Writes `copies` perturbed copies of face `face` of `real` (copies * dim floats) drawn from the
// stream `stream` (deterministic in (seed, face, stream)).
void PerturbedCopies(const RealFaces& real, int64_t face, int copies, uint64_t seed,
                     uint64_t stream, float* out);

}  // namespace likeness::bench
