// A bounded hand-off between the detect/align stage and the batched embedding stage, run by the
// same worker threads (no thread of its own): a worker that has aligned an image's faces adds the
// image; the worker whose Add brings the queue to `batch_faces` faces takes everything queued and
// embeds it in one go (FaceAnalyzer::EmbedFaces). So both stages share the cores, and at most about
// batch_faces + (one image's faces per worker) crops wait at any time.
//
// T is any type with a `vision::AlignedFaces faces` member (ingest's and the benchmark's own
// per-image records). Thread safe.
#pragma once

#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "vision/face_analyzer.h"

namespace likeness::vision {

template <class T>
class EmbedQueue {
 public:
  // batch_faces < 1 counts as 1 (every Add returns its own image).
  explicit EmbedQueue(int batch_faces)
      : batch_faces_(static_cast<size_t>(batch_faces < 1 ? 1 : batch_faces)) {}

  // Queues `image`; returns the images to embed now, oldest first (empty while the queue holds
  // fewer than batch_faces faces).
  std::vector<std::unique_ptr<T>> Add(std::unique_ptr<T> image) {
    std::lock_guard lock(mu_);
    faces_ += image->faces.faces.size();
    pending_.push_back(std::move(image));
    if (faces_ < batch_faces_) return {};
    return TakeLocked();
  }

  // Everything queued. A worker calls this when it runs out of items: whatever it queued is then
  // taken by it or was taken by a worker that took later, so nothing is left behind once every
  // worker has called it.
  std::vector<std::unique_ptr<T>> TakeAll() {
    std::lock_guard lock(mu_);
    return TakeLocked();
  }

 private:
  std::vector<std::unique_ptr<T>> TakeLocked() {
    faces_ = 0;
    return std::exchange(pending_, {});
  }

  const size_t batch_faces_;
  std::mutex mu_;
  size_t faces_ = 0;
  std::vector<std::unique_ptr<T>> pending_;
};

}  // namespace likeness::vision
