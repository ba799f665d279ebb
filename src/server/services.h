// What handlers work with: the engine and the server's shared parts. Owned by Server; every member
// outlives every request.
#pragma once

#include <shared_mutex>
#include <string_view>

#include "engine/engine.h"
#include "governance/governance.h"
#include "privacy/audit_log.h"
#include "server/analyzer_pool.h"
#include "server/api_keys.h"
#include "server/index_saver.h"
#include "server/media_tokens.h"
#include "server/metrics.h"
#include "server/options.h"
#include "server/people_cluster_job.h"
#include "server/recalibrator.h"
#include "server/selfcheck_state.h"

namespace likeness::server {

struct Services {
  engine::Engine& engine;
  // Purpose-bound search and verify (opt-outs applied, audited), the ingest policy installed on the
  // engine, erasure and the privacy stores. Its audit log is the server's audit log.
  governance::Governance& gov;
  AnalyzerPool& analyzers;
  ApiKeyStore& keys;
  privacy::AuditLog& audit;
  Metrics& metrics;
  const ServerOptions& options;
  // Uploads hold it shared; erasures and opt-outs exclusively (governance runs one erasure at a
  // time per data folder, and the sweep of stored copies must not race an upload's commit).
  std::shared_mutex& store_mu;
  // The public self-check's challenges, replay memory and receipts (handlers_selfcheck.cc).
  SelfCheckState& selfcheck;
  // Uploads mark the index dirty here instead of rewriting the index file per request.
  IndexSaver& index_saver;
  // Signed, short-lived grants to the photos and crops an audited read returned (media_tokens.h).
  MediaTokens& media;
  // Background recalibration when a search finds the calibration stale (recalibrator.h).
  Recalibrator& recalibrator;
  // The background people clustering run (handlers_people_cluster.cc).
  PeopleClusterJob& people_cluster;

  void Log(std::string_view line) const { options.log(line); }
};

}  // namespace likeness::server
