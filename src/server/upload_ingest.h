// Ingest of uploaded photos and recorded videos into a declared source: the same steps as the
// folder ingest (content hash dedup, decode, analyse, one catalog transaction per image, then the
// index) but from bytes in memory, with a pooled analyzer, and keeping a copy of each stored file
// in the data folder.
//
// A file is a video when its content sniffs as a video container (videoio::SniffVideo, as the
// folder ingest decides): it is decoded from memory under engine::VideoOptions' limits (size,
// duration from the header and as decoded, frame size, frame count) and analysed by the same
// pipeline as `likeness ingest` (engine::AnalyzeVideo: sampling, tracks, best K faces per track
// with their time offsets; engine::StoreAnalyzedVideo: opt-outs drop whole tracks). A corrupt or
// truncated video is an "error" outcome and nothing of it is kept (no row, no copy).
//
// Stored copies live at <data>/uploads/<source id>/<sha256>.<format> (a video's format is its
// container: mp4, mov, mkv, webm, avi): named by content, never by the client's file name, so no
// name can reach outside that folder. A file is written (to a temporary name, then renamed) only
// after it decoded and was analysed, and removed again if the catalog refuses it. A file already
// held (same bytes, any source) is reported as a duplicate.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/catalog.h"
#include "engine/engine.h"
#include "engine/video_ingest.h"
#include "likeness/status.h"
#include "vision/face_analyzer.h"

namespace likeness::server {

struct UploadFile {
  std::string display_name;  // for the caller's report only (see form.h DisplayName)
  std::span<const uint8_t> bytes;
};

struct UploadOutcome {
  std::string name;
  // "stored", "duplicate", "previously_erased" (an erasure recorded these bytes) or "error"
  std::string status;
  int64_t image_id = 0;  // stored or duplicate
  int64_t faces = 0;     // stored
  Status error;          // for "error"
  // The content's kind: "photo", or "video" when it sniffed as a video container (whatever became
  // of it). For a stored video: its tracks with a face kept, and its duration.
  std::string media = "photo";
  int64_t tracks = 0;
  double duration_s = 0;
};

struct UploadSummary {
  int64_t batch_id = 0;
  std::vector<UploadOutcome> files;
  int64_t images = 0, faces = 0, duplicates = 0, errors = 0;
  int64_t previously_erased = 0;
  int64_t videos = 0;  // stored videos (counted in images too)
};

// Checks a photo before any decoding (e.g. a server's pixel limit); a non-OK status makes the file
// an "error" outcome. Not called for videos (VideoOptions::limits bound those).
using UploadPrecheck = std::function<Status(std::span<const uint8_t>)>;

// Ingests the files into `source` as one batch, obeying the engine's ingest policy (when one is
// installed): AdmitSource may refuse the whole batch (its status is returned, e.g.
// FailedPrecondition for a blocked jurisdiction), DropFace drops faces before they are stored
// (opt-outs), BatchStarted audits the batch's start under `operator_id` (refusing it if that
// fails). BatchFinished is not called: the caller audits the batch's end under its own operator.
// Per-file failures are outcomes (and batch errors in the catalog), never the call's error; the
// call fails only when the catalog or index does (IOError, Corruption) or the source does not
// exist (NotFound). The index file is not saved: the caller schedules that (IndexSaver).
// `video` sets the sampling, tracker and limits for video files (VideoOptions' defaults are those
// of `likeness ingest`).
Result<UploadSummary> IngestUploads(engine::Engine& engine, vision::FaceAnalyzer& analyzer,
                                    const catalog::SourceRecord& source,
                                    std::span<const UploadFile> files,
                                    const UploadPrecheck& precheck = {},
                                    const std::string& operator_id = "",
                                    const engine::VideoOptions& video = {});

// Removes stored upload copies that no image row points at any more (erased images: governance
// erases catalog rows, not files; or a crash between writing a file and committing its row).
// Returns how many files were removed. With `exclusive` (the caller guarantees no upload is
// running: at startup, or holding the server's store lock exclusively) every orphan goes,
// temporary files of unfinished writes included; otherwise files younger than two minutes are left
// alone (they may belong to an upload about to commit). Errors: IOError listing the folder.
Result<int64_t> SweepUploads(engine::Engine& engine, bool exclusive);

}  // namespace likeness::server
