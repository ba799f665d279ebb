// Top-k selection over a stream of (score, row) pairs with a fixed-size min-heap.
//
// Order: higher score first; equal scores go to the lower row index, so the result is one exact,
// total order and does not depend on how the rows were split between threads or blocks. Pushing a
// block costs one compare per candidate once the heap is full (the running threshold rejects almost
// everything), and a heap replacement (O(log k)) for the few that beat it.
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

namespace likeness::simd {

struct Candidate {
  float score = 0;
  int64_t row = 0;
};

class TopK {
 public:
  // REQUIRES: k >= 1.
  explicit TopK(int64_t k);

  int64_t k() const { return k_; }
  int64_t size() const { return static_cast<int64_t>(heap_.size()); }
  // The score a candidate must beat to enter once the heap is full; -inf before that.
  float threshold() const { return threshold_; }

  // Offers one candidate (any row order).
  void Push(float score, int64_t row);
  // Offers scores[i] for rows base + i, i < n.
  // REQUIRES: every row offered so far is < base (blocks arrive in increasing row order), which is
  // what lets an equal score be rejected by a single compare.
  void PushBlock(const float* scores, int64_t n, int64_t base);
  // Offers everything held by `other`.
  void Merge(const TopK& other);
  // The held candidates, best first. Leaves the selector empty.
  std::vector<Candidate> Take();

 private:
  void Replace(float score, int64_t row);  // REQUIRES: full and (score, row) beats the root

  int64_t k_;
  float threshold_ = -std::numeric_limits<float>::infinity();
  std::vector<Candidate> heap_;  // min-heap under "worse first": the root is the worst kept
};

}  // namespace likeness::simd
