#include "engine/face_tracker.h"

#include <algorithm>
#include <cmath>
#include <tuple>

namespace likeness::engine {
namespace {

float Overlap(const BoxF& a, const BoxF& b) {
  const float w = std::min(a.x2, b.x2) - std::max(a.x1, b.x1);
  const float h = std::min(a.y2, b.y2) - std::max(a.y1, b.y1);
  if (w <= 0 || h <= 0) return 0;
  const float inter = w * h;
  const float uni = a.area() + b.area() - inter;
  return uni > 0 ? inter / uni : 0;
}

float Cosine(std::span<const float> a, std::span<const float> b) {
  if (a.size() != b.size() || a.empty()) return 0;
  double dot = 0;
  for (size_t i = 0; i < a.size(); ++i) dot += double{a[i]} * b[i];
  return static_cast<float>(dot);
}

void Normalise(std::vector<float>& v) {
  double norm = 0;
  for (float x : v) norm += double{x} * x;
  if (norm <= 0) return;
  const float inv = static_cast<float>(1.0 / std::sqrt(norm));
  for (float& x : v) x *= inv;
}

}  // namespace

std::vector<int64_t> FaceTracker::Update(double time_s,
                                         std::span<const TrackDetection> detections) {
  // Tracks unseen for too long end before this frame is matched.
  std::erase_if(open_, [&](const Track& t) { return time_s - t.last_seen_s > options_.max_gap_s; });

  // Every admissible (score, track, detection) pair, best first.
  std::vector<std::tuple<float, size_t, size_t>> pairs;
  for (size_t t = 0; t < open_.size(); ++t) {
    for (size_t d = 0; d < detections.size(); ++d) {
      const float cosine = Cosine(open_[t].embedding, detections[d].embedding);
      const float iou = Overlap(open_[t].last_box, detections[d].box);
      if (iou >= options_.min_iou && cosine >= options_.min_cosine) {
        pairs.emplace_back(cosine + iou, t, d);
      } else if (cosine >= options_.relink_cosine) {
        pairs.emplace_back(cosine, t, d);
      }
    }
  }
  std::sort(pairs.begin(), pairs.end(),
            [](const auto& a, const auto& b) { return std::get<0>(a) > std::get<0>(b); });

  std::vector<int64_t> ids(detections.size(), 0);
  std::vector<bool> track_taken(open_.size(), false);
  for (const auto& [score, t, d] : pairs) {
    if (track_taken[t] || ids[d] != 0) continue;  // one-to-one within the frame
    track_taken[t] = true;
    ids[d] = open_[t].id;
    Track& track = open_[t];
    track.last_box = detections[d].box;
    track.last_seen_s = time_s;
    const auto e = detections[d].embedding;
    if (e.size() == track.embedding.size()) {
      for (size_t i = 0; i < e.size(); ++i) track.embedding[i] += e[i];
      Normalise(track.embedding);
    }
  }
  for (size_t d = 0; d < detections.size(); ++d) {
    if (ids[d] != 0) continue;
    Track track;
    track.id = next_id_++;
    track.last_box = detections[d].box;
    track.embedding.assign(detections[d].embedding.begin(), detections[d].embedding.end());
    track.last_seen_s = time_s;
    ids[d] = track.id;
    open_.push_back(std::move(track));
  }
  return ids;
}

}  // namespace likeness::engine
