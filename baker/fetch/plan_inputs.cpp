#include "baker/fetch/plan_inputs.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/util/error.hpp"

namespace trustnet::baker {

void refuse_unpinned(const Plan& plan) {
  for (const auto& step : plan.steps)
    if (const auto* install = std::get_if<InstallFile>(&step); install && install->sha256.empty())
      throw Error(fmt::format("binary {} has no pinned sha256 ({}); pin the digest of the release, or give a pinned "
                              "local file in an --override file",
                              install->input, install->unpinned_reason),
                  ExitCode::bad_input);
}

PlanInputs plan_inputs(const Plan& plan) {
  refuse_unpinned(plan);
  PlanInputs inputs;
  if (plan.base.path)
    inputs.local.push_back({"base image", *plan.base.path, plan.base.sha256});
  else if (plan.base.url)
    inputs.downloads.push_back({"base image", *plan.base.url, plan.base.sha256});
  for (const auto& step : plan.steps) {
    const auto* install = std::get_if<InstallFile>(&step);
    if (!install) continue;
    if (!install->source.empty())
      inputs.local.push_back({"binary " + install->input, install->source, install->sha256});
    else if (install->url)
      inputs.downloads.push_back({"binary " + install->input, *install->url, install->sha256});
  }
  return inputs;
}

void use_cached_inputs(Plan& plan, const InputCache& cache) {
  std::vector<std::string> missing;
  for (const Download& input : plan_inputs(plan).downloads)
    if (!cache.has(input.sha256)) missing.push_back(fmt::format("{} ({})", input.name, input.url));
  if (!missing.empty())
    throw Error(fmt::format("not in the cache {}: {}; run `bake fetch {}` where there is a network",
                            cache.root().string(), fmt::join(missing, ", "), plan.name));
  if (!plan.base.path) plan.base.path = cache.entry(plan.base.sha256);
  for (auto& step : plan.steps)
    if (auto* install = std::get_if<InstallFile>(&step); install && install->source.empty())
      install->source = cache.entry(install->sha256);
}

}  // namespace trustnet::baker
