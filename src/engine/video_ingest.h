// Recorded video as a source (issue 15): a video file, archive entry or manifest row is one image
// record (its content hash and provenance are the file's) whose faces are the best K faces (by
// quality) of each track, each with the time of its frame, its track id and the track's first and
// last time.
//
// Pipeline: decode (FFmpeg, streamed from the file or from memory; nothing is written to disk) ->
// sample (SamplingOptions: every 1/fps s plus scene cuts) -> detect, align, embed each sampled
// frame
// -> FaceTracker -> best K per track -> one transaction (Engine::StoreImage).
//
// Damage: a corrupt or truncated video is an ingest error for that file and NOTHING of it is kept
// (the record and its faces commit together at the end, or not at all); a repaired copy ingests
// normally later. Truncation is detected when decoding ends short of the duration the header
// declares (by more than max(1 s, 2 %)), or the container cannot be opened.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "engine/engine.h"
#include "engine/face_tracker.h"
#include "sources/item_source.h"
#include "videoio/frame_sampler.h"
#include "videoio/video_decoder.h"

namespace likeness::engine {

struct VideoOptions {
  videoio::SamplingOptions sampling;
  videoio::VideoLimits limits;
  videoio::DecodeSettings decode;
  TrackerOptions tracker;
  int best_k = 3;  // faces kept per track (highest FaceQuality::overall first)
  // Run the detector's tile pyramid on sampled frames (for faces under ~60 px in 720p). Off by
  // default: on 720p it costs 12x the detection time for the same faces (bench/README.md, "Video").
  bool tiling = false;
  // When set and true, analysis stops at the next frame (FailedPrecondition "interrupted"; nothing
  // of the video is kept, a later run starts it again).
  const std::atomic<bool>* cancel = nullptr;
};

// Running totals while one video is analysed (each call reports the whole video so far).
struct VideoProgress {
  int64_t frames = 0;     // decoded
  int64_t sampled = 0;    // analysed
  double position_s = 0;  // video time decoded so far
  double duration_s = 0;  // from the header (0 when unknown)
  int64_t faces = 0;      // detections on sampled frames
  int64_t tracks = 0;
  double wall_s = 0;  // since the video was opened
};
using VideoProgressFn = std::function<void(const VideoProgress&)>;

// Milliseconds per stage over one video (for benchmarks).
struct VideoStageTimes {
  double decode_ms = 0;   // demux + decode of every frame (and the cut thumbnails)
  double convert_ms = 0;  // sampled frames to BGR
  double detect_ms = 0;   // detection, landmarks, alignment, quality
  double embed_ms = 0;
  double track_ms = 0;
};

struct AnalyzedVideo {
  videoio::VideoInfo info;
  double decoded_s = 0;  // time of the last decoded frame
  int64_t frames = 0, sampled = 0, detections = 0, tracks = 0, cuts = 0;
  // The kept faces (best K per track), by track then time; video moments filled in.
  std::vector<catalog::FaceRecord> faces;
  VideoStageTimes times;
};

// True when the item is a video by content: its bytes (archive entries) or the first bytes of
// its file sniff as a video container. False for an item carrying an error.
bool IsVideoItem(const sources::SourceItem& item);

// Turns an analysed face (in frame pixels, embedded) into its catalog record (model id, searchable
// flag): Engine::FaceRecordFor at scale 1 when ingesting.
using FaceRecordMaker = std::function<catalog::FaceRecord(vision::AnalyzedFace&&)>;

// Decodes and analyses a whole video (no catalog access); analyze.embed must be on (the tracker
// compares embeddings). Errors: those of VideoDecoder (open and decode), Corruption for a
// truncated video, the analyzer's. `progress` (may be empty) is called after every sampled frame.
Result<AnalyzedVideo> AnalyzeVideo(const FaceRecordMaker& make_record,
                                   vision::FaceAnalyzer& analyzer, videoio::VideoDecoder& decoder,
                                   const vision::AnalyzeOptions& analyze,
                                   const VideoOptions& options, const VideoProgressFn& progress);

// What StoreAnalyzedVideo committed.
struct StoredVideo {
  int64_t faces = 0;
  int64_t tracks = 0;  // tracks with at least one face kept
};

// Stores an analysed video as one image record with its faces, in one transaction
// (Engine::StoreImage), less the tracks the ingest policy refuses: a track any of whose kept faces
// DropFace refuses (an opt-out) goes whole, its other faces being the same person. `record` must
// carry source, batch, content hash, path and bytes; format, size and duration are filled in from
// the video (record.id is set on success). Shared by the folder/archive/manifest ingest and the
// API's uploads. Errors: those of StoreImage (AlreadyExists when the same bytes were stored
// meanwhile).
Result<StoredVideo> StoreAnalyzedVideo(Engine& engine, catalog::ImageRecord& record,
                                       AnalyzedVideo&& video);

// Ingests one video item into the batch: hash (streamed for files), skip if held (*skipped),
// skip if an erasure recorded its bytes (*skipped and *erased: never decoded, never stored
// again), decode and analyse, StoreAnalyzedVideo. *stored_faces is set to the faces committed.
// The item's bytes (archive entries) are decoded from memory.
Status IngestVideoItem(Engine& engine, vision::FaceAnalyzer& analyzer,
                       const catalog::SourceRecord& source, int64_t batch_id,
                       const vision::AnalyzeOptions& analyze, const VideoOptions& options,
                       sources::SourceItem& item, const VideoProgressFn& progress,
                       int64_t* stored_faces, bool* skipped, bool* erased);

}  // namespace likeness::engine
