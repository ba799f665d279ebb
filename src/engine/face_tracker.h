// Links the faces detected on a video's sampled frames into tracks (one person's appearance
// across frames): a detection joins the open track whose last box it overlaps and whose embedding
// it resembles, or (when the face moved or was missed for a few samples) a track whose embedding
// it resembles closely; otherwise it starts a new track. Assignment within one frame is one-to-one
// (greedy by score), so two faces of one frame are never one track. A track not seen for
// max_gap_s ends; Cut() ends them all (a scene cut: positions mean nothing across it).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "likeness/types.h"

namespace likeness::engine {

struct TrackerOptions {
  float min_iou = 0.2f;         // box overlap with the track's last box that links by position...
  float min_cosine = 0.3f;      // ...when the embeddings agree at least this much
  float relink_cosine = 0.55f;  // embedding similarity that links without any overlap
  double max_gap_s = 2.0;       // a track unseen for longer ends
};

struct TrackDetection {
  BoxF box;
  std::span<const float> embedding;  // L2-normalised, kEmbeddingDim floats
};

class FaceTracker {
 public:
  explicit FaceTracker(const TrackerOptions& options = {}) : options_(options) {}
  // Assigns each detection of the frame at time_s to a track id (1, 2, ... in order of creation);
  // returns one id per detection, all different. Frames are given in time order.
  std::vector<int64_t> Update(double time_s, std::span<const TrackDetection> detections);
  // Ends every open track.
  void Cut() { open_.clear(); }
  int64_t tracks() const { return next_id_ - 1; }

 private:
  struct Track {
    int64_t id = 0;
    BoxF last_box;
    std::vector<float> embedding;  // running mean of its detections, L2-normalised
    double last_seen_s = 0;
  };
  TrackerOptions options_;
  std::vector<Track> open_;
  int64_t next_id_ = 1;
};

}  // namespace likeness::engine
