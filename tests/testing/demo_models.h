// The set-up models and demo photos, loaded the way the vision tests need them. Both fail (they do
// not skip) when scripts/setup has not run: setup installs them, so their absence is a broken
// environment, not absent optional data.
#pragma once

#include <opencv2/core.hpp>
#include <vector>

#include "likeness/status.h"
#include "vision/model_manifest.h"

namespace likeness::testing {

// The pinned models of the built-in manifest from ModelDir(), sha256-verified.
// FailedPrecondition ("run scripts/setup") when they are not set up.
Result<vision::VerifiedModels> SetUpModels();
// sample1.jpg .. sample6.jpg of DemoPhotoDir(), decoded to BGR (the six 1920-px group photos).
Result<std::vector<cv::Mat>> DemoPhotos();

}  // namespace likeness::testing
