#include "baker/bake_command.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "baker/command_options.hpp"
#include "baker/output/release.hpp"
#include "baker/run/bake_images.hpp"
#include "baker/run/image_bake.hpp"
#include "baker/run/image_freshness.hpp"
#include "common/util/interrupt.hpp"

namespace trustnet::baker {
namespace fs = std::filesystem;

namespace {

// Images already up to date are left alone (unless forced); with `check_only` nothing is baked
// and the exit status says whether everything is up to date (0) or not (1).
int run_bake(const RecipeSelection& common, BakeOptions options, const FetchFlags& fetch, bool force, bool json,
             bool check_only) {
  const LoadOptions load = common.load_options();
  const std::optional<int64_t> source_date_epoch = source_date_epoch_from_environment();
  nlohmann::json outcomes = nlohmann::json::array();
  std::vector<PreparedBake> to_bake;
  int stale = 0;
  // Every recipe is loaded and checked here, once, before any bake starts: a typo must not cost a
  // launch, and what is judged up to date or stale is what is baked.
  for (const auto& file : common.recipe_files()) {
    PreparedBake prepared = prepare_bake(file, load, source_date_epoch);
    const ImageFreshness freshness = image_freshness(prepared, options.out_dir, force && !check_only);
    if (check_only) {
      stale += freshness.up_to_date ? 0 : 1;
      outcomes.push_back({{"name", freshness.name},
                          {"image", freshness.image.string()},
                          {"up_to_date", freshness.up_to_date},
                          {"reason", freshness.reason}});
      if (!json)
        fmt::print("{}\n", freshness.up_to_date
                               ? fmt::format("{} is up to date", freshness.image.string())
                               : fmt::format("{} is out of date: {}", freshness.image.string(), freshness.reason));
    } else if (freshness.up_to_date) {
      for (const fs::path& leftover : clean_up_after_dead_bakes(options.out_dir, freshness.name))
        if (options.verbosity != Verbosity::quiet)
          fmt::print(stderr, "bake {}: removed {}, left behind by a bake that was killed\n", freshness.name,
                     leftover.string());
      outcomes.push_back({{"name", freshness.name},
                          {"image", freshness.image.string()},
                          {"report", freshness.report.string()},
                          {"up_to_date", true},
                          {"seconds", 0}});
      if (options.verbosity != Verbosity::quiet) fmt::print(stderr, "{} is up to date\n", freshness.image.string());
    } else {
      if (freshness.exists && options.verbosity != Verbosity::quiet)
        fmt::print(stderr, "bake {}: baking {} again: {}\n", freshness.name, freshness.image.string(),
                   freshness.reason);
      to_bake.push_back(std::move(prepared));
    }
  }
  if (check_only) {
    if (json) fmt::print("{}\n", outcomes.dump(2));
    return stale == 0 ? 0 : 1;
  }
  interrupt::install();
  options.fetch = fetch.options();  // the downloads' deadline counts from here
  int status = 0;
  for (const BakeResult& result : bake_images(std::move(to_bake), options)) {
    if (result.outcome) {
      const BakeOutcome& outcome = *result.outcome;
      outcomes.push_back({{"name", outcome.name},
                          {"image", outcome.image.string()},
                          {"report", outcome.report.string()},
                          {"up_to_date", false},
                          {"seconds", outcome.seconds}});
      continue;
    }
    try {
      std::rethrow_exception(result.error);
    } catch (const Error& e) {
      status = std::max(status, report_error(e, "bake"));
    } catch (const std::exception& e) {
      fmt::print(stderr, "bake: {}\n", e.what());
      status = std::max(status, 1);
    }
  }
  if (json) fmt::print("{}\n", outcomes.dump(2));
  return status;
}

}  // namespace

CommandRun declare_bake(CLI::App& command) {
  struct State {
    RecipeSelection recipes;
    BakeOptions options;
    FetchFlags fetch;
    std::string accel = "auto", engine = "auto";
    bool force = false, quiet = false, json = false, check_only = false;
  };
  auto state = std::make_shared<State>();
  state->recipes.add_to(command);
  command.add_option("--out", state->options.out_dir, "output folder")->capture_default_str();
  command.add_option("--cache", state->options.cache_dir,
                     "input cache (default $XDG_CACHE_HOME/trustnet or ~/.cache/trustnet)");
  add_accel_option(command, state->accel,
                   "libguestfs appliance acceleration: auto (KVM when QEMU can use it, else TCG, saying why; "
                   "honours LIBGUESTFS_BACKEND_SETTINGS) or tcg (force software emulation)");
  add_engine_option(command, state->engine,
                    "what edits the images: auto (libext2fs in this process when the base's root allows it, else "
                    "libguestfs, saying why), ext4 (libext2fs or fail) or guestfs (a libguestfs appliance)");
  command.add_flag("-q,--quiet", state->quiet, "print errors only");
  command.add_flag("-v,--verbose", state->recipes.verbose,
                   "print every edit as it is made, and which recipe folder is used");
  command.add_flag("--json", state->json, "print the outcome as JSON on stdout");
  command.add_flag("--force", state->force, "bake even when the image is up to date");
  command
      .add_option("--appliances", state->options.appliances,
                  "libguestfs appliances that share the images, each baking its share one "
                  "after the other (default: one per core, as memory allows)")
      ->check(CLI::Range(1, 64));
  command.add_flag("--check", state->check_only,
                   "bake nothing: say whether each image is up to date, and why not; exit 0 when all "
                   "are, 1 when one is not");
  state->fetch.add_to(command);
  return [state] {
    if (state->recipes.names.empty()) {
      fmt::print(stderr, "bake: name a recipe to bake (or all); see bake --help\n");
      return 2;
    }
    BakeOptions options = state->options;
    options.accel = appliance_accel(state->accel);
    options.engine = parse_bake_engine(state->engine);
    options.verbosity = state->quiet             ? Verbosity::quiet
                        : state->recipes.verbose ? Verbosity::verbose
                                                 : Verbosity::normal;
    return run_bake(state->recipes, options, state->fetch, state->force, state->json, state->check_only);
  };
}

}  // namespace trustnet::baker
