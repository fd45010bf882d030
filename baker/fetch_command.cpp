#include "baker/fetch_command.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <set>

#include "baker/execute/image_workspace.hpp"
#include "baker/fetch/plan_inputs.hpp"
#include "baker/plan/plan.hpp"
#include "common/util/error.hpp"
#include "common/util/interrupt.hpp"
#include "common/util/validators.hpp"

namespace trustnet::baker {
namespace fs = std::filesystem;

fs::path cache_root(const fs::path& cache_dir) { return cache_dir.empty() ? InputCache::default_root() : cache_dir; }

namespace {

// Every input into the cache (each entry's file and outcome set); offline, fails first naming
// every input the cache lacks.
void fetch_into_cache(std::vector<FetchedInput>& inputs, const FetchCommandOptions& options, TransferDisplay& display) {
  const InputCache cache(cache_root(options.cache_dir));
  if (options.fetch.offline) {
    std::vector<std::string> missing;
    for (const auto& input : inputs)
      if (!cache.has(input.download.sha256))
        missing.push_back(fmt::format("{}{} ({})", input.recipe.empty() ? "" : input.recipe + " ", input.download.name,
                                      input.download.url));
    if (!missing.empty())
      throw Error(fmt::format("offline, and {} input{} not in the cache {}: {}", missing.size(),
                              missing.size() == 1 ? " is" : "s are", cache.root().string(), fmt::join(missing, ", ")));
  }
  Fetcher fetcher(cache, options.fetch, display);
  for (auto& input : inputs) {
    input.outcome = fetcher.fetch(input.download) == FetchOutcome::cached ? "cached" : "downloaded";
    input.file = cache.entry(input.download.sha256);
  }
}

}  // namespace

std::vector<FetchedInput> fetch_recipe_inputs(const std::vector<fs::path>& recipe_files,
                                              const FetchCommandOptions& options) {
  std::vector<FetchedInput> inputs, local;
  std::set<std::string> seen;
  for (const auto& file : recipe_files) {
    Plan plan = make_plan(load_recipe(file, options.load));
    PlanInputs of_plan = plan_inputs(plan);
    for (Download& download : of_plan.downloads)
      if (seen.insert(download.sha256).second) inputs.push_back({plan.name, std::move(download), {}, "cached"});
    if (options.verify_local)
      for (LocalInput& input : of_plan.local)
        if (seen.insert(input.path.string() + "\n" + input.sha256).second)
          local.push_back({plan.name, {input.name, "", input.sha256}, input.path, "local"});
  }
  TransferDisplay display(options.verbosity, TransferDisplay::stderr_is_terminal());
  fetch_into_cache(inputs, options, display);
  // Local files are not copied into the cache, but are held to their pins the same way.
  for (auto& input : local) {
    verify_sha256(input.file, input.download.sha256, input.download.name);
    display.line(fmt::format("fetch {}: local file {}, sha256 verified", input.download.name, input.file.string()));
    inputs.push_back(std::move(input));
  }
  return inputs;
}

FetchedInput fetch_pinned_url(const std::string& url, const std::string& sha256, const FetchCommandOptions& options) {
  const Parsed<std::string> pinned = parse_sha256(sha256);
  if (pinned.problem) throw Error(fmt::format("--sha256: {}", *pinned.problem));
  const std::string path = url.substr(0, url.find_first_of("?#"));
  const auto slash = path.find_last_of('/');
  std::string name = slash == std::string::npos || slash + 1 == path.size() ? url : path.substr(slash + 1);
  std::vector<FetchedInput> inputs{{"", {std::move(name), url, pinned.value, "--sha256"}, {}, "cached"}};
  TransferDisplay display(options.verbosity, TransferDisplay::stderr_is_terminal());
  fetch_into_cache(inputs, options, display);
  return inputs.front();
}

namespace {

// Pinned by the command line: the verified file's path is the output, for scripts.
int run_fetch_url(const std::string& url, const std::string& sha256, const FetchCommandOptions& options, bool json) {
  interrupt::install();
  FetchedInput input = fetch_pinned_url(url, sha256, options);
  if (json)
    fmt::print("{}\n", nlohmann::json{{"input", input.download.name},
                                      {"url", url},
                                      {"sha256", input.download.sha256},
                                      {"file", input.file.string()},
                                      {"outcome", input.outcome}}
                           .dump(2));
  else
    fmt::print("{}\n", input.file.string());
  return 0;
}

int run_fetch(const RecipeSelection& common, FetchCommandOptions options, bool json) {
  options.load = common.load_options();
  interrupt::install();
  std::vector<FetchedInput> inputs = fetch_recipe_inputs(common.recipe_files(), options);
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& input : inputs)
      out.push_back({{"recipe", input.recipe},
                     {"input", input.download.name},
                     {"url", input.download.url},
                     {"sha256", input.download.sha256},
                     {"file", input.file.string()},
                     {"outcome", input.outcome}});
    fmt::print("{}\n", out.dump(2));
  } else if (options.verbosity != Verbosity::quiet) {
    fmt::print(stderr, "bake fetch: {} input{} in the cache {}\n", inputs.size(), inputs.size() == 1 ? "" : "s",
               cache_root(options.cache_dir).string());
  }
  return 0;
}

}  // namespace

CommandRun declare_fetch(CLI::App& command) {
  struct State {
    RecipeSelection recipes;
    FetchCommandOptions options;
    FetchFlags fetch;
    bool json = false, quiet = false;
    std::string url, sha256;
  };
  auto state = std::make_shared<State>();
  CLI::Option* names = state->recipes.add_to(command);
  CLI::Option* url = command.add_option("--url", state->url,
                                        "fetch this one file instead of recipe inputs and print its path in the cache");
  command.add_option("--sha256", state->sha256, "the SHA-256 that --url's file must have")->needs(url);
  url->excludes(names);
  command.add_option("--cache", state->options.cache_dir,
                     "input cache (default $XDG_CACHE_HOME/trustnet or ~/.cache/trustnet)");
  state->fetch.add_to(command);
  command.add_flag("-q,--quiet", state->quiet, "print errors only");
  command.add_flag("--json", state->json, "list the inputs as JSON on stdout");
  command.add_flag("-v,--verbose", state->recipes.verbose, "say which recipe folder is used");
  return [state] {
    FetchCommandOptions options = state->options;
    options.fetch = state->fetch.options();
    options.verbosity = state->quiet ? Verbosity::quiet : Verbosity::normal;
    options.verify_local = true;
    if (!state->url.empty()) {
      if (state->sha256.empty()) {
        fmt::print(stderr, "bake fetch: --url needs --sha256: a download is pinned by its digest\n");
        return 2;
      }
      return run_fetch_url(state->url, state->sha256, options, state->json);
    }
    if (state->recipes.names.empty()) {
      fmt::print(stderr, "bake fetch: name a recipe (or all), or give --url and --sha256; see bake fetch --help\n");
      return 2;
    }
    return run_fetch(state->recipes, options, state->json);
  };
}

}  // namespace trustnet::baker
