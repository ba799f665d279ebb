// The route table of the API and the web app.
#pragma once

#include "server/router.h"

namespace likeness::server {

// Every route the server serves, with the roles each admits. Privacy routes (erasure, subject
// access, opt-out) and audit routes join this table when the privacy module's commands land.
Router BuildRouter();

}  // namespace likeness::server
