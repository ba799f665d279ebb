// Erasure that reaches everything: faces (catalog rows and their embeddings), images rows, index
// vectors (physically removed, then the index file is rewritten), governance hit counters; then the
// catalog is checkpointed and vacuumed so no page of the database, its WAL or its free list keeps
// an erased byte. Erasing a whole source also destroys its data key (crypto-shredding of anything
// sealed under "source:<id>"). Every erasure writes a receipt into the audit chain.
//
// Thread safety: one erasure at a time per data folder (callers serialise; the CLI is one process).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "governance/governance.h"

namespace likeness::governance {

enum class EraseKind {
  kFace,
  kImage,
  kSource,
  kBatch,
  kJurisdiction,
  kSubject,
  kRetention,
  kOptOut,
  kPerson
};
// "face", "image", "source", "batch", "jurisdiction", "subject", "retention", "optout", "person".
std::string_view EraseKindName(EraseKind kind);

struct ErasureRequest {
  EraseKind kind = EraseKind::kFace;
  // The id, name or code asked for (kSubject: the probe hash; kPerson: a person id of
  // <data>/people.db, whose faces, images left without a face, and name are all erased).
  std::string value;
  std::vector<int64_t> face_ids;  // kSubject / kRetention / kOptOut: the faces chosen by the caller
};

struct ErasurePlan {
  ErasureRequest request;
  std::vector<int64_t> face_ids;   // faces to delete
  std::vector<int64_t> image_ids;  // images rows to delete (all their faces are erased)
  int64_t source_id = 0;           // kSource: the source whose data key is destroyed
};

// Works out what a request reaches, changing nothing. Errors: InvalidArgument (a malformed id or
// code), NotFound (an unknown face, image, source or batch; or nothing held matches).
Result<ErasurePlan> PlanErasure(Governance& gov, const ErasureRequest& request);

struct ErasureReceipt {
  nlohmann::json json;  // what was asked, counts, digest of the removed ids, time, operator, seq
};

// Executes a plan and records its receipt ("erase" action) in the audit chain. Every erasure also
// forgets the erased faces in <data>/people.db (and people left with no face, names included),
// records the erased photos' content tags (see LiftErasedContent), and overwrites then unlinks
// the copies of erased photos kept under <data>/uploads. The
// receipt's "removed_ids_sha256" is SHA-256 of "face:<id>\n..." then "image:<id>\n..." in ascending
// order.
Result<ErasureReceipt> ExecuteErasure(Governance& gov, const ErasurePlan& plan,
                                      const Justification& why);

// Erasure that sticks: ExecuteErasure records a keyed tag of every erased photo's content
// (Governance::ErasedContentTag), so ingest skips those bytes from then on ("previously erased").
// This lifts one photo's record when a lawful basis to hold it returns: needs a reason and a case
// reference (why.case_ref); writes an "erase_lift" audit record (the tag, reason, operator, case;
// never the hash). Errors: InvalidArgument (not a SHA-256 hex, no reason or case), NotFound (no
// erasure of that content recorded: nothing changes).
Result<nlohmann::json> LiftErasedContent(Governance& gov, const std::string& content_sha256,
                                         const std::string& reason, const Justification& why);

// The JSON preview of a plan: faces with provenance (image path, source), counts.
Result<nlohmann::json> PreviewJson(Governance& gov, const ErasurePlan& plan);

}  // namespace likeness::governance
