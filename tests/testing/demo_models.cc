#include "testing/demo_models.h"

#include "imageio/decode.h"
#include "testing/test_env.h"

namespace likeness::testing {

Result<vision::VerifiedModels> SetUpModels() {
  const auto dir = ModelDir();
  if (!dir) return Status::FailedPrecondition("face models missing: run scripts/setup");
  ASSIGN_OR_RETURN(vision::ModelManifest manifest, vision::BuiltinManifest());
  return vision::LoadVerifiedModels(manifest, *dir);
}

Result<std::vector<cv::Mat>> DemoPhotos() {
  const auto dir = DemoPhotoDir();
  if (!dir) return Status::FailedPrecondition("demo photos missing: run scripts/setup");
  std::vector<cv::Mat> photos;
  for (int i = 1; i <= 6; ++i) {
    ASSIGN_OR_RETURN(std::vector<uint8_t> bytes,
                     imageio::ReadFileBytes(*dir / ("sample" + std::to_string(i) + ".jpg")));
    ASSIGN_OR_RETURN(imageio::DecodedImage image, imageio::DecodeImage(bytes));
    photos.push_back(image.bgr);
  }
  return photos;
}

}  // namespace likeness::testing
