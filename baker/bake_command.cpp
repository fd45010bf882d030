#include "baker/bake_command.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <future>
#include <map>
#include <set>
#include <thread>

#include "baker/execute/appliance_pool.hpp"
#include "baker/execute/executor.hpp"
#include "baker/fetch/plan_inputs.hpp"
#include "baker/fetch_command.hpp"
#include "baker/image_bake.hpp"
#include "baker/plan/plan.hpp"
#include "baker/publish/release.hpp"
#include "common/util/interrupt.hpp"
#include "common/util/parallel_tasks.hpp"

namespace trustnet::baker {
namespace fs = std::filesystem;

ImageFreshness image_freshness(const fs::path& recipe_file, const BakeOptions& options) {
  const Recipe recipe = load_recipe(recipe_file, options.load);
  const Plan plan = make_plan(recipe);
  refuse_unpinned(plan);
  ImageFreshness result;
  result.name = recipe.name;
  result.image = options.out_dir / (recipe.name + ".qcow2");
  result.report = options.out_dir / (recipe.name + ".report.json");
  result.exists = fs::exists(result.image);
  // --force bakes whatever the answer, which can cost a hash of the whole image: not asked.
  if (options.force) {
    result.reason = "--force";
    return result;
  }
  try {
    const Freshness freshness =
        check_freshness(result.image, result.report, fingerprint_of(recipe, plan, options.source_date_epoch));
    result.up_to_date = freshness.up_to_date;
    result.reason = freshness.reason;
  } catch (Error& e) {
    throw e.with_context("bake " + recipe.name);
  }
  return result;
}

std::vector<BakeResult> bake_recipes(const std::vector<fs::path>& recipe_files, const BakeOptions& options) {
  std::vector<BakeResult> results(recipe_files.size());
  std::vector<std::unique_ptr<ImageBake>> bakes(recipe_files.size());
  auto fail = [&](size_t i, std::exception_ptr error) {
    if (!results[i].error) results[i].error = error;
  };
  // Each bake's lines start "bake NAME:", NAME its recipe file's: padded to the longest of them.
  BakeOptions aligned = options;
  for (const auto& file : recipe_files)
    aligned.subject_width = std::max(aligned.subject_width, ("bake " + file.stem().string()).size());
  std::vector<size_t> loaded;
  for (size_t i = 0; i < recipe_files.size(); ++i) try {
      bakes[i] = std::make_unique<ImageBake>(recipe_files[i], aligned);
      loaded.push_back(i);
    } catch (...) {
      fail(i, std::current_exception());
    }

  // Side by side: each image's copy of its base is its own (and most of a direct bake's time).
  parallel_map(loaded, [&](size_t i) {
    try {
      bakes[i]->prepare();
    } catch (...) {
      fail(i, std::current_exception());
    }
    return 0;
  });
  interrupt::throw_if_requested();

  // The direct engine's images run side by side in this process, as one group; the others share
  // libguestfs appliances. The base's root is packed once per base in each group, where the
  // cache lacks its listing.
  struct Group {
    std::vector<size_t> images;
    bool direct = false;
  };
  std::vector<Group> groups;
  std::vector<size_t> by_appliance;
  Group direct{{}, true};
  for (size_t i : loaded) {
    if (results[i].error) continue;
    (bakes[i]->direct() ? direct.images : by_appliance).push_back(i);
  }
  if (!direct.images.empty()) groups.push_back(direct);
  std::vector<std::string> bases;
  for (size_t i : by_appliance) bases.push_back(bakes[i]->base_sha256());
  const size_t count = by_appliance.empty()
                           ? 0
                           : appliance_count(by_appliance.size(), std::thread::hardware_concurrency(),
                                             available_memory().value_or(kApplianceMemory), options.appliances);
  // The cores are shared out: under TCG an appliance boots and works faster with more vCPUs.
  const ApplianceSettings appliance{options.accel, appliance_vcpus(std::thread::hardware_concurrency(), count)};
  if (count > 0)
    for (auto& members : assign_to_appliances(bases, count)) {
      Group group;
      for (size_t member : members) group.images.push_back(by_appliance[member]);
      groups.push_back(std::move(group));
    }

  auto keep_listing = [&](size_t i, const ExecutionOutcome& outcome) {
    try {
      bakes[i]->keep_base_listing(outcome.result);
    } catch (...) {
      fail(i, std::current_exception());
    }
  };
  // Listing, digest, publishing and report of one image.
  auto complete = [&](size_t i, const ExecutionOutcome& outcome) {
    try {
      if (outcome.error) bakes[i]->in_context([&] { std::rethrow_exception(outcome.error); });
      if (!results[i].error) results[i].outcome = bakes[i]->finish(outcome.result);
    } catch (...) {
      fail(i, std::current_exception());
    }
  };
  auto run_group = [&](const Group& group) {
    std::vector<size_t> ready, positions;
    std::vector<ExecutionJob> jobs;
    std::vector<bool> packs;
    std::set<std::string> packing;
    for (size_t i : group.images)
      if (!results[i].error) {
        const bool pack = !bakes[i]->base_listing_cached() && packing.insert(bakes[i]->base_sha256()).second;
        positions.push_back(ready.size());
        ready.push_back(i);
        packs.push_back(pack);
        jobs.push_back(bakes[i]->job(pack));
      }
    if (jobs.empty()) return 0;
    if (group.direct) {
      // Each image goes on to its listing as soon as its own edits are done; one that derives
      // its listing from a base another image packs waits for that image's edits only.
      std::map<std::string, std::promise<void>> packed;
      std::map<std::string, std::shared_future<void>> listing_kept;
      for (size_t k = 0; k < ready.size(); ++k)
        if (packs[k])
          listing_kept[bakes[ready[k]]->base_sha256()] = packed[bakes[ready[k]]->base_sha256()].get_future();
      parallel_map(positions, [&](size_t k) {
        const size_t i = ready[k];
        const std::string& base = bakes[i]->base_sha256();
        ExecutionOutcome outcome;
        try {
          outcome = execute_direct(jobs[k]);
        } catch (...) {  // an interrupt: this image's error too, and the others' waits end
          outcome.error = std::current_exception();
        }
        if (packs[k]) {
          keep_listing(i, outcome);
          packed.at(base).set_value();
        } else if (auto kept = listing_kept.find(base); kept != listing_kept.end()) {
          kept->second.wait();
        }
        complete(i, outcome);
        return 0;
      });
      return 0;
    }
    std::vector<ExecutionOutcome> outcomes;
    try {
      outcomes = execute_in_one_appliance(jobs, appliance);
    } catch (...) {
      for (size_t i : ready) fail(i, std::current_exception());
      return 0;
    }
    for (size_t k = 0; k < ready.size(); ++k) keep_listing(ready[k], outcomes[k]);
    parallel_map(positions, [&](size_t k) {
      complete(ready[k], outcomes[k]);
      return 0;
    });
    return 0;
  };
  parallel_map(groups, run_group);
  // Each image's temporaries go with it, whatever happened to the others.
  bakes.clear();
  interrupt::throw_if_requested();
  return results;
}

namespace {

// Images already up to date are left alone (unless forced); with `check_only` nothing is baked
// and the exit status says whether everything is up to date (0) or not (1).
int run_bake(const RecipeSelection& common, BakeOptions options, const FetchFlags& fetch, bool json, bool check_only) {
  options.load = common.load_options();
  std::vector<fs::path> files = common.recipe_files();
  nlohmann::json outcomes = nlohmann::json::array();
  std::vector<fs::path> to_bake;
  int stale = 0;
  // Every recipe is loaded and checked here, before any bake starts: a typo must not cost a launch.
  for (const auto& file : files) {
    BakeOptions judged = options;
    judged.force = options.force && !check_only;
    const ImageFreshness freshness = image_freshness(file, judged);
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
    } else if (freshness.up_to_date && !options.force) {
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
      to_bake.push_back(file);
    }
  }
  if (check_only) {
    if (json) fmt::print("{}\n", outcomes.dump(2));
    return stale == 0 ? 0 : 1;
  }
  interrupt::install();
  // Missing inputs are fetched first, once each, before the bakes run in parallel.
  FetchCommandOptions fetch_options{options.cache_dir, options.load, fetch.options(), options.verbosity};
  (void)fetch_recipe_inputs(to_bake, fetch_options);
  int status = 0;
  for (const BakeResult& result : bake_recipes(to_bake, options)) {
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
    bool quiet = false, json = false, check_only = false;
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
  command.add_flag("--force", state->options.force, "bake even when the image is up to date");
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
    options.source_date_epoch = source_date_epoch_from_environment();
    options.verbosity = state->quiet             ? Verbosity::quiet
                        : state->recipes.verbose ? Verbosity::verbose
                                                 : Verbosity::normal;
    return run_bake(state->recipes, options, state->fetch, state->json, state->check_only);
  };
}

}  // namespace trustnet::baker
