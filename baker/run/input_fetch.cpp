#include "baker/run/input_fetch.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <set>

#include "baker/execute/image_workspace.hpp"
#include "baker/fetch/plan_inputs.hpp"
#include "common/config/rules.hpp"
#include "common/util/error.hpp"

namespace trustnet::baker {
namespace fs = std::filesystem;

fs::path cache_root(const fs::path& cache_dir) { return cache_dir.empty() ? InputCache::default_root() : cache_dir; }

namespace {

// Every input into the cache (each entry's file and outcome set); offline, fails first naming
// every input the cache lacks.
void fetch_into_cache(std::vector<FetchedInput>& inputs, const FetchSettings& settings, TransferDisplay& display) {
  const InputCache cache(cache_root(settings.cache_dir));
  if (settings.fetch.offline) {
    std::vector<std::string> missing;
    for (const auto& input : inputs)
      if (!cache.has(input.download.sha256))
        missing.push_back(fmt::format("{}{} ({})", input.recipe.empty() ? "" : input.recipe + " ", input.download.name,
                                      input.download.url));
    if (!missing.empty())
      throw Error(fmt::format("offline, and {} input{} not in the cache {}: {}", missing.size(),
                              missing.size() == 1 ? " is" : "s are", cache.root().string(), fmt::join(missing, ", ")));
  }
  Fetcher fetcher(cache, settings.fetch, display);
  for (auto& input : inputs) {
    try {
      input.outcome = fetcher.fetch(input.download) == FetchOutcome::cached ? "cached" : "downloaded";
    } catch (const FetchGaveUp& e) {
      // Where the pinned source cannot be reached, the same bytes can come from elsewhere.
      throw Error(
          fmt::format("{}; without that network, fill the cache from a mirror with `bake fetch --url "
                      "MIRROR_URL --sha256 {}` (or copy a filled cache), then bake with --offline",
                      e.line(), input.download.sha256));
    }
    input.file = cache.entry(input.download.sha256);
  }
}

}  // namespace

std::vector<FetchedInput> fetch_plan_inputs(const std::vector<const Plan*>& plans, const FetchSettings& settings) {
  std::vector<FetchedInput> inputs, local;
  std::set<std::string> seen;
  for (const Plan* plan : plans) {
    PlanInputs of_plan = plan_inputs(*plan);
    for (Download& download : of_plan.downloads)
      if (seen.insert(download.sha256).second) inputs.push_back({plan->name, std::move(download), {}, "cached"});
    if (settings.verify_local)
      for (LocalInput& input : of_plan.local)
        if (seen.insert(input.path.string() + "\n" + input.sha256).second)
          local.push_back({plan->name, {input.name, "", input.sha256}, input.path, "local"});
  }
  TransferDisplay display(settings.verbosity, TransferDisplay::stderr_is_terminal());
  fetch_into_cache(inputs, settings, display);
  // Local files are not copied into the cache, but are held to their pins the same way.
  for (auto& input : local) {
    verify_sha256(input.file, input.download.sha256, input.download.name);
    display.line(fmt::format("fetch {}: local file {}, sha256 verified", input.download.name, input.file.string()));
    inputs.push_back(std::move(input));
  }
  return inputs;
}

FetchedInput fetch_pinned_url(const std::string& url, const std::string& sha256, const FetchSettings& settings) {
  const Parsed<std::string> pinned = parse_sha256(sha256);
  if (pinned.problem) throw Error(fmt::format("--sha256: {}", *pinned.problem));
  const std::string path = url.substr(0, url.find_first_of("?#"));
  const auto slash = path.find_last_of('/');
  std::string name = slash == std::string::npos || slash + 1 == path.size() ? url : path.substr(slash + 1);
  std::vector<FetchedInput> inputs{{"", {std::move(name), url, pinned.value, "--sha256"}, {}, "cached"}};
  TransferDisplay display(settings.verbosity, TransferDisplay::stderr_is_terminal());
  fetch_into_cache(inputs, settings, display);
  return inputs.front();
}

}  // namespace trustnet::baker
