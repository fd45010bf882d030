#pragma once
// `bake NAME`: recipe → plan → working copy → execute → golden image and report.
#include <exception>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "baker/command_options.hpp"
#include "baker/display/progress.hpp"
#include "baker/execute/bake_engine.hpp"
#include "baker/execute/guest_session.hpp"
#include "baker/publish/up_to_date.hpp"
#include "baker/recipe/recipe_loader.hpp"
#include "common/cli/command_line.hpp"

namespace trustnet::baker {

struct BakeOptions {
  std::filesystem::path out_dir = "out";
  std::filesystem::path cache_dir;
  LoadOptions load;
  ApplianceAccel accel = ApplianceAccel::automatic;
  BakeEngine engine = BakeEngine::automatic;
  Verbosity verbosity = Verbosity::normal;
  bool force = false;                        // bake even when the image is up to date
  std::optional<size_t> appliances;          // how many libguestfs appliances share the images; default one per core
  std::optional<int64_t> source_date_epoch;  // SOURCE_DATE_EPOCH, read once by the command line
  size_t subject_width = 0;                  // the longest "bake NAME" of the run: progress columns align
};

struct BakeOutcome {
  std::string name;
  std::filesystem::path image, report;
  double seconds = 0;
};

// Bakes every recipe, sharing libguestfs appliances between the images (see
// execute/appliance_pool.hpp). A failure fails its image only; each result holds an outcome or
// the image's error ("bake NAME: ..."). An interrupt is thrown.
struct BakeResult {
  std::optional<BakeOutcome> outcome;
  std::exception_ptr error;
};
std::vector<BakeResult> bake_recipes(const std::vector<std::filesystem::path>& recipe_files,
                                     const BakeOptions& options);

// Whether out/NAME.qcow2 is what bake_recipe would make now (see publish/up_to_date.hpp).
struct ImageFreshness {
  std::string name;
  std::filesystem::path image, report;
  bool exists = false, up_to_date = false;
  std::string reason;
};
// With options.force it only loads the recipe: the reason is "--force", nothing is hashed.
ImageFreshness image_freshness(const std::filesystem::path& recipe_file, const BakeOptions& options);

// `bake NAME... | all`, the default command: its options, and the work that bakes what is out of
// date (`--check`: only says what is), fetching missing inputs first.
CommandRun declare_bake(CLI::App& command);

}  // namespace trustnet::baker
