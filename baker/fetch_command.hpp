#pragma once
// `bake fetch NAME...`: every URL input of the recipes into the cache, each digest once.
#include <filesystem>
#include <string>
#include <vector>

#include "baker/command_options.hpp"
#include "baker/display/progress.hpp"
#include "baker/recipe/recipe_loader.hpp"
#include "common/cli/command_line.hpp"
#include "common/transfer/fetcher.hpp"

namespace trustnet::baker {

struct FetchCommandOptions {
  std::filesystem::path cache_dir;  // empty: InputCache::default_root()
  LoadOptions load;
  FetchOptions fetch;
  Verbosity verbosity = Verbosity::normal;
  bool verify_local = false;  // also check the digests of local inputs (a bake checks them itself)
};

struct FetchedInput {
  std::string recipe;
  Download download;  // for a local input, url is empty
  std::filesystem::path file;
  std::string outcome;  // "cached", "downloaded" or "local"
};

std::filesystem::path cache_root(const std::filesystem::path& cache_dir);

// Offline, nothing is fetched: the error lists every input missing from the cache.
std::vector<FetchedInput> fetch_recipe_inputs(const std::vector<std::filesystem::path>& recipe_files,
                                              const FetchCommandOptions& options);

// One file pinned on the command line (`bake fetch --url URL --sha256 HEX`), for scripts that need
// a verified download outside any recipe; named after the URL's last path segment.
FetchedInput fetch_pinned_url(const std::string& url, const std::string& sha256, const FetchCommandOptions& options);

// `bake fetch NAME... | all` and `bake fetch --url URL --sha256 HEX`.
CommandRun declare_fetch(CLI::App& command);

}  // namespace trustnet::baker
