#pragma once
// `bake NAME`: recipe → plan → working copy → execute → golden image and report.
#include <filesystem>
#include <string>

#include "baker/execute/guest_session.hpp"
#include "baker/recipe/recipe_loader.hpp"
#include "baker/publish/up_to_date.hpp"
#include "common/progress.hpp"

namespace trustnet::baker {

struct BakeOptions {
  std::filesystem::path out_dir = "out";
  std::filesystem::path cache_dir;
  LoadOptions load;
  ApplianceAccel accel = ApplianceAccel::automatic;
  Verbosity verbosity = Verbosity::normal;
  bool force = false;  // bake even when the image is up to date
};

struct BakeOutcome {
  std::string name;
  std::filesystem::path image, report;
  double seconds = 0;
};

BakeOutcome bake_recipe(const std::filesystem::path& recipe_file, const BakeOptions& options);

// Whether out/NAME.qcow2 is what bake_recipe would make now (see publish/up_to_date.hpp).
struct ImageFreshness {
  std::string name;
  std::filesystem::path image, report;
  bool exists = false, up_to_date = false;
  std::string reason;
};
ImageFreshness image_freshness(const std::filesystem::path& recipe_file, const BakeOptions& options);

}  // namespace trustnet::baker
