#pragma once
// Which inputs of a plan come by URL, and pointing the plan at their cache entries.
#include <vector>

#include "baker/plan/plan.hpp"
#include "common/transfer/fetcher.hpp"
#include "common/transfer/input_cache.hpp"

namespace trustnet::baker {

// An input without a verified digest is never fetched nor put into a golden image.
void refuse_unpinned(const Plan& plan);

struct LocalInput {
  std::string name;
  std::filesystem::path path;
  std::string sha256;
};

// Every input of a plan, in plan order: those given by URL (unless a local path replaces them)
// and those given as local files (a path, or --base-image). Refuses unpinned ones.
struct PlanInputs {
  std::vector<Download> downloads;
  std::vector<LocalInput> local;
};
PlanInputs plan_inputs(const Plan& plan);

// Sets the plan's base path and install sources to cache entries. Throws, naming every input
// that is missing, when any is.
void use_cached_inputs(Plan& plan, const InputCache& cache);

}  // namespace trustnet::baker
