#include "baker/fetch_command.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <nlohmann/json.hpp>

#include "baker/command_options.hpp"
#include "baker/run/input_fetch.hpp"
#include "common/util/interrupt.hpp"

namespace trustnet::baker {
namespace fs = std::filesystem;

namespace {

// Pinned by the command line: the verified file's path is the output, for scripts.
int run_fetch_url(const std::string& url, const std::string& sha256, const FetchSettings& options, bool json) {
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

int run_fetch(const RecipeSelection& common, const FetchSettings& options, bool json) {
  std::vector<Plan> plans;
  for (const auto& file : common.recipe_files()) plans.push_back(make_plan(load_recipe(file, common.load_options())));
  std::vector<const Plan*> planned;
  for (const Plan& plan : plans) planned.push_back(&plan);
  interrupt::install();
  std::vector<FetchedInput> inputs = fetch_plan_inputs(planned, options);
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
    FetchSettings options;
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
    FetchSettings options = state->options;
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
