// The route table of the API and the web app.
#pragma once

#include "server/router.h"

namespace likeness::server {

// Every route the server serves, with the roles each admits.
Router BuildRouter();

}  // namespace likeness::server
