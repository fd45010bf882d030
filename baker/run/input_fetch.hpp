#pragma once
// Inputs into the cache: every URL input of some plans, each digest once, or one file pinned on
// the command line. Local inputs are used where they are, held to their pins when asked.
#include <filesystem>
#include <string>
#include <vector>

#include "baker/plan/plan.hpp"
#include "common/transfer/fetcher.hpp"
#include "common/util/verbosity.hpp"

namespace trustnet::baker {

struct FetchSettings {
  std::filesystem::path cache_dir;  // empty: InputCache::default_root()
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
std::vector<FetchedInput> fetch_plan_inputs(const std::vector<const Plan*>& plans, const FetchSettings& settings);

// One file pinned on the command line (`bake fetch --url URL --sha256 HEX`), for scripts that need
// a verified download outside any recipe; named after the URL's last path segment.
FetchedInput fetch_pinned_url(const std::string& url, const std::string& sha256, const FetchSettings& settings);

}  // namespace trustnet::baker
