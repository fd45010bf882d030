#pragma once
// `bake fetch NAME...`: every URL input of the recipes into the cache, each digest once.
#include <filesystem>
#include <string>
#include <vector>

#include "baker/fetch/fetcher.hpp"
#include "baker/recipe/recipe_loader.hpp"
#include "common/progress.hpp"

namespace trustnet::baker {

struct FetchCommandOptions {
  std::filesystem::path cache_dir;  // empty: InputCache::default_root()
  LoadOptions load;
  FetchOptions fetch;
  Verbosity verbosity = Verbosity::normal;
};

struct FetchedInput {
  std::string recipe;
  Download download;
  std::filesystem::path file;
  FetchOutcome outcome = FetchOutcome::cached;
};

std::filesystem::path cache_root(const std::filesystem::path& cache_dir);

// Offline, nothing is fetched: the error lists every input missing from the cache.
std::vector<FetchedInput> fetch_recipe_inputs(const std::vector<std::filesystem::path>& recipe_files,
                                              const FetchCommandOptions& options);

}  // namespace trustnet::baker
