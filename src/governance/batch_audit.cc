#include "governance/batch_audit.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <nlohmann/json.hpp>

#include "governance/governance.h"

namespace likeness::governance {
namespace {

constexpr int64_t kAllRecords = int64_t{1} << 40;

struct Pending {
  int64_t start_seq = 0;
  int64_t pid = 0;
  std::string source;
  int64_t source_id = 0;
  std::string legal_basis;
};

nlohmann::json Details(const privacy::AuditEntry& e) {
  nlohmann::json d = nlohmann::json::parse(e.details, nullptr, /*allow_exceptions=*/false);
  return d.is_object() ? d : nlohmann::json::object();
}

int64_t BatchIdOf(const nlohmann::json& d) {
  const auto it = d.find("batch_id");
  return it != d.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
}

bool ProcessAlive(int64_t pid) {
  if (pid <= 0) return false;
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

}  // namespace

Status BatchAuditor::RecordUnfinished(const std::string& operator_id) {
  privacy::AuditLog& log = gov_.audit();
  std::map<int64_t, Pending> pending;  // by batch id
  privacy::AuditQuery q;
  q.limit = kAllRecords;
  q.action = kIngestStartAction;
  ASSIGN_OR_RETURN(auto starts, log.Query(q));
  for (const auto& e : starts) {
    const nlohmann::json d = Details(e);
    const int64_t batch = BatchIdOf(d);
    if (batch == 0) continue;
    pending[batch] = {e.seq, d.value("pid", int64_t{0}), d.value("source", std::string()),
                      d.value("source_id", int64_t{0}), e.legal_basis};
  }
  if (pending.empty()) return Status::Ok();
  for (const char* closing : {kIngestEndAction, kIngestUnfinishedAction}) {
    q.action = closing;
    ASSIGN_OR_RETURN(auto closed, log.Query(q));
    for (const auto& e : closed) pending.erase(BatchIdOf(Details(e)));
  }
  for (const auto& [batch, p] : pending) {
    if (running_.contains(batch)) continue;
    if (p.pid != ::getpid() && ProcessAlive(p.pid)) continue;  // still running elsewhere
    const std::string id = std::to_string(batch);
    ASSIGN_OR_RETURN(auto images, gov_.store().ImageIdsWhere("i.batch_id = ?", id));
    ASSIGN_OR_RETURN(auto faces, gov_.store().FaceIdsWhere("i.batch_id = ?", id));
    Justification why{operator_id, "ingest", p.legal_basis, "source:" + p.source, ""};
    RETURN_IF_ERROR(gov_.Record(kIngestUnfinishedAction, why, "",
                                static_cast<int64_t>(faces.size()),
                                {{"batch_id", batch},
                                 {"source", p.source},
                                 {"source_id", p.source_id},
                                 {"start_seq", p.start_seq},
                                 {"images_committed", images.size()},
                                 {"faces_committed", faces.size()}})
                        .status());
  }
  return Status::Ok();
}

Status BatchAuditor::Started(const catalog::SourceRecord& source, int64_t batch_id,
                             const std::string& operator_id) {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(RecordUnfinished(operator_id));
  Justification why{operator_id, "ingest", source.legal_basis, "source:" + source.name,
                    source.tenant};
  RETURN_IF_ERROR(gov_.Record(kIngestStartAction, why, "", 0,
                              {{"batch_id", batch_id},
                               {"source", source.name},
                               {"source_id", source.id},
                               {"jurisdiction", source.jurisdiction},
                               {"pid", static_cast<int64_t>(::getpid())}})
                      .status());
  running_.insert(batch_id);
  return Status::Ok();
}

void BatchAuditor::Ended(int64_t batch_id) {
  std::lock_guard lock(mu_);
  running_.erase(batch_id);
}

}  // namespace likeness::governance
