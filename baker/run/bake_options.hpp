#pragma once
// How `bake` bakes images, and what it reports of each.
#include <cstddef>
#include <exception>
#include <filesystem>
#include <optional>
#include <string>

#include "baker/execute/bake_engine.hpp"
#include "baker/execute/guestfs/appliance_settings.hpp"
#include "common/transfer/fetcher.hpp"
#include "common/util/verbosity.hpp"

namespace trustnet::baker {

struct BakeOptions {
  std::filesystem::path out_dir = "out";
  std::filesystem::path cache_dir;  // empty: InputCache::default_root()
  FetchOptions fetch;               // for the inputs the cache lacks
  ApplianceAccel accel = ApplianceAccel::automatic;
  BakeEngine engine = BakeEngine::automatic;
  Verbosity verbosity = Verbosity::normal;
  std::optional<size_t> appliances;  // how many libguestfs appliances share the images; default one per core
  size_t subject_width = 0;          // the longest "bake NAME" of the run: progress columns align
};

struct BakeOutcome {
  std::string name;
  std::filesystem::path image, report;
  double seconds = 0;
};

// A failure fails its image only: a result holds its outcome or its error ("bake NAME: ...").
struct BakeResult {
  std::optional<BakeOutcome> outcome;
  std::exception_ptr error;
};

}  // namespace trustnet::baker
