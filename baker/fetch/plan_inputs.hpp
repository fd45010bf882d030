#pragma once
// Which inputs of a plan come by URL, and pointing the plan at their cache entries.
#include <vector>

#include "baker/fetch/fetcher.hpp"
#include "baker/fetch/input_cache.hpp"
#include "baker/plan/plan.hpp"

namespace trustnet::baker {

// An input without a verified digest is never fetched nor put into a golden image.
void refuse_unpinned(const Plan& plan);

// The base (unless a local path replaces it) and every binary given by URL, in plan order.
std::vector<Download> url_inputs(const Plan& plan);

struct LocalInput {
  std::string name;
  std::filesystem::path path;
  std::string sha256;
};
// The base and binaries given as local files (a path, or --base-image), in plan order.
std::vector<LocalInput> local_inputs(const Plan& plan);

// Sets the plan's base path and install sources to cache entries. Throws, naming every input
// that is missing, when any is.
void use_cached_inputs(Plan& plan, const InputCache& cache);

}  // namespace trustnet::baker
