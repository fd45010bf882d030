#include "baker/run/image_freshness.hpp"

#include "baker/output/bake_outputs.hpp"
#include "common/util/error.hpp"

namespace trustnet::baker {
namespace fs = std::filesystem;

ImageFreshness image_freshness(const PreparedBake& prepared, const fs::path& out_dir, bool force) {
  ImageFreshness result;
  result.name = prepared.recipe.name;
  const BakeOutputs outputs = BakeOutputs::in(out_dir, result.name);
  result.image = outputs.image;
  result.report = outputs.report;
  result.exists = fs::exists(result.image);
  if (force) {
    result.reason = "--force";
    return result;
  }
  try {
    const Freshness freshness = check_freshness(result.image, result.report, prepared.fingerprint);
    result.up_to_date = freshness.up_to_date;
    result.reason = freshness.reason;
  } catch (Error& e) {
    throw e.with_context("bake " + result.name);
  }
  return result;
}

}  // namespace trustnet::baker
