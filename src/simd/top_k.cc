#include "simd/top_k.h"

#include <algorithm>
#include <cassert>

namespace likeness::simd {
namespace {

// a ranks before b.
bool Better(const Candidate& a, const Candidate& b) {
  return a.score > b.score || (a.score == b.score && a.row < b.row);
}

// Heap comparator: the root is the worst candidate.
bool HeapLess(const Candidate& a, const Candidate& b) { return Better(a, b); }

}  // namespace

TopK::TopK(int64_t k) : k_(k) {
  assert(k >= 1);
  heap_.reserve(static_cast<size_t>(std::min<int64_t>(k, int64_t{1} << 16)));
}

void TopK::Replace(float score, int64_t row) {
  std::pop_heap(heap_.begin(), heap_.end(), HeapLess);
  heap_.back() = Candidate{score, row};
  std::push_heap(heap_.begin(), heap_.end(), HeapLess);
  threshold_ = heap_.front().score;
}

void TopK::Push(float score, int64_t row) {
  const Candidate c{score, row};
  if (size() < k_) {
    heap_.push_back(c);
    std::push_heap(heap_.begin(), heap_.end(), HeapLess);
    if (size() == k_) threshold_ = heap_.front().score;
    return;
  }
  if (Better(c, heap_.front())) Replace(score, row);
}

void TopK::PushBlock(const float* scores, int64_t n, int64_t base) {
  int64_t i = 0;
  for (; i < n && size() < k_; ++i) Push(scores[i], base + i);
  // Rows only increase, so an equal score never beats the kept one: a strict compare suffices.
  for (; i < n; ++i) {
    if (scores[i] > threshold_) [[unlikely]] {
      Replace(scores[i], base + i);
    }
  }
}

void TopK::Merge(const TopK& other) {
  for (const Candidate& c : other.heap_) Push(c.score, c.row);
}

std::vector<Candidate> TopK::Take() {
  std::vector<Candidate> out = std::move(heap_);
  heap_.clear();
  threshold_ = -std::numeric_limits<float>::infinity();
  std::sort(out.begin(), out.end(), Better);
  return out;
}

}  // namespace likeness::simd
