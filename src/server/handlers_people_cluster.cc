// POST /api/v1/people/cluster starts a people clustering run (what `likeness people cluster` does)
// in the background; GET /api/v1/people/cluster reports its phase, progress and outcome.
//
// Who: privacy officers and admins of the operator tenant (people span every tenant, as the other
// people routes). What the status reveals: counts (faces considered, people made), the key name
// that started the run and when -- no face, name or id. The run is recorded in the audit chain
// (action "people", change "cluster") under the key that started it, with its counts.
#include <httplib.h>

#include <filesystem>
#include <mutex>

#include "openset/people_clustering.h"
#include "server/handlers.h"
#include "server/people_cluster_job.h"
#include "server/tenant_scope.h"

namespace likeness::server {

Result<Reply> HandleStartPeopleCluster(Services& s, const Call& call) {
  RETURN_IF_ERROR(RequireOperatorTenant(call, "people"));
  const std::string who = call.caller->name;
  Services* services = &s;
  RETURN_IF_ERROR(s.people_cluster.Start(
      who, [services, who](const PeopleClusterJob::Report& report) -> Result<nlohmann::json> {
        // Exclusive: no erasure removes faces, and no hand edit changes people, mid-run.
        std::unique_lock lock(services->store_mu);
        report("reading faces", 0, 0);
        ASSIGN_OR_RETURN(auto gallery, openset::LoadGallery(services->engine.catalog()));
        const auto n = static_cast<int64_t>(gallery.size());
        report("reading faces", n, n);
        ASSIGN_OR_RETURN(auto store,
                         openset::PeopleStore::Open(services->engine.options().data_dir));
        ASSIGN_OR_RETURN(
            openset::PeopleClusterSummary r,
            openset::ClusterPeople(gallery, *store, openset::ClusterOptions{}, report));
        const nlohmann::json summary = {{"faces", r.faces},
                                        {"forgotten", r.forgotten},
                                        {"attached", r.attached},
                                        {"new_people", r.new_people},
                                        {"new_people_faces", r.new_faces},
                                        {"unassigned", r.noise},
                                        {"people", r.people}};
        governance::Justification why{who, "people clustering", "", ""};
        nlohmann::json details = summary;
        details["change"] = "cluster";
        ASSIGN_OR_RETURN(int64_t seq, services->gov.Record("people", why, "", r.people, details));
        nlohmann::json out = summary;
        out["audit_seq"] = seq;
        return out;
      }));
  return Reply::Json(s.people_cluster.Snapshot(), 202);
}

Result<Reply> HandlePeopleClusterStatus(Services& s, const Call& call) {
  RETURN_IF_ERROR(RequireOperatorTenant(call, "people"));
  return Reply::Json(s.people_cluster.Snapshot());
}

}  // namespace likeness::server
