#include "openset/neighbourhood_stats.h"

#include <sodium.h>

#include <algorithm>
#include <cassert>
#include <functional>
#include <string>

namespace likeness::openset {

float MeanOfTopK(std::span<const float> cosines, int k) {
  if (cosines.empty() || k < 1) return 0;
  std::vector<float> v(cosines.begin(), cosines.end());
  const size_t n = std::min<size_t>(static_cast<size_t>(k), v.size());
  std::partial_sort(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(n), v.end(),
                    std::greater<>());
  double sum = 0;
  for (size_t i = 0; i < n; ++i) sum += v[i];
  return static_cast<float>(sum / static_cast<double>(n));
}

NeighbourhoodStats::NeighbourhoodStats(int dim, int k) : dim_(dim), k_(k) {
  assert(dim >= 1 && k >= 1);
}

float NeighbourhoodStats::Cos(std::span<const float> a, std::span<const float> b) const {
  double s = 0;
  for (int i = 0; i < dim_; ++i) s += static_cast<double>(a[i]) * b[i];
  return static_cast<float>(s);
}

void NeighbourhoodStats::UpdateMean(Entry& entry) {
  double sum = 0;
  for (const auto& n : entry.nearest) sum += n.cosine;
  entry.mean = entry.nearest.empty() ? 0.0f : static_cast<float>(sum / entry.nearest.size());
}

void NeighbourhoodStats::Recompute(int64_t id, Entry& entry) const {
  entry.nearest.clear();
  for (const auto& [other_id, other] : faces_) {
    if (other_id == id) continue;
    entry.nearest.push_back({other_id, Cos(entry.embedding, other.embedding)});
  }
  auto better = [](const Neighbour& a, const Neighbour& b) {
    return a.cosine != b.cosine ? a.cosine > b.cosine : a.id < b.id;
  };
  const size_t n = std::min<size_t>(static_cast<size_t>(k_), entry.nearest.size());
  std::partial_sort(entry.nearest.begin(), entry.nearest.begin() + static_cast<std::ptrdiff_t>(n),
                    entry.nearest.end(), better);
  entry.nearest.resize(n);
  UpdateMean(entry);
}

Status NeighbourhoodStats::Add(int64_t id, std::span<const float> embedding) {
  if (static_cast<int>(embedding.size()) != dim_)
    return Status::InvalidArgument("embedding has " + std::to_string(embedding.size()) +
                                   " floats, expected " + std::to_string(dim_));
  if (faces_.contains(id)) return Status::AlreadyExists("face " + std::to_string(id));
  Entry fresh;
  fresh.embedding.assign(embedding.begin(), embedding.end());
  std::vector<Neighbour> all;
  all.reserve(faces_.size());
  for (auto& [other_id, other] : faces_) {
    const float c = Cos(fresh.embedding, other.embedding);
    all.push_back({other_id, c});
    // Does the newcomer enter other's k-list?
    auto& list = other.nearest;
    if (static_cast<int>(list.size()) < k_ || c > list.back().cosine) {
      auto pos =
          std::find_if(list.begin(), list.end(), [c](const Neighbour& n) { return c > n.cosine; });
      list.insert(pos, {id, c});
      if (static_cast<int>(list.size()) > k_) list.pop_back();
      UpdateMean(other);
    }
  }
  const size_t n = std::min<size_t>(static_cast<size_t>(k_), all.size());
  std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n), all.end(),
                    [](const Neighbour& a, const Neighbour& b) {
                      return a.cosine != b.cosine ? a.cosine > b.cosine : a.id < b.id;
                    });
  all.resize(n);
  fresh.nearest = std::move(all);
  UpdateMean(fresh);
  faces_.emplace(id, std::move(fresh));
  return Status::Ok();
}

Status NeighbourhoodStats::Remove(int64_t id) {
  auto gone = faces_.find(id);
  if (gone == faces_.end()) return Status::NotFound("face " + std::to_string(id));
  // The erased face's embedding is overwritten before its memory is freed.
  sodium_memzero(gone->second.embedding.data(), gone->second.embedding.size() * sizeof(float));
  faces_.erase(gone);
  for (auto& [other_id, other] : faces_) {
    const bool affected = std::any_of(other.nearest.begin(), other.nearest.end(),
                                      [id](const Neighbour& n) { return n.id == id; });
    if (affected) Recompute(other_id, other);
  }
  return Status::Ok();
}

Result<float> NeighbourhoodStats::Mean(int64_t id) const {
  auto it = faces_.find(id);
  if (it == faces_.end()) return Status::NotFound("face " + std::to_string(id));
  return it->second.mean;
}

float NeighbourhoodStats::ProbeMean(std::span<const float> probe, int64_t exclude_id) const {
  std::vector<float> cosines;
  cosines.reserve(faces_.size());
  for (const auto& [id, e] : faces_)
    if (id != exclude_id) cosines.push_back(Cos(probe, e.embedding));
  return MeanOfTopK(cosines, k_);
}

}  // namespace likeness::openset
