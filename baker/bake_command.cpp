#include "baker/bake_command.hpp"

#include <fmt/format.h>

#include <set>
#include <thread>

#include "baker/execute/appliance_pool.hpp"
#include "baker/execute/executor.hpp"
#include "baker/fetch/plan_inputs.hpp"
#include "baker/image_bake.hpp"
#include "baker/plan/plan.hpp"
#include "baker/publish/release.hpp"
#include "common/interrupt.hpp"
#include "common/parallel_tasks.hpp"

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
  std::vector<size_t> loaded;
  for (size_t i = 0; i < recipe_files.size(); ++i) try {
      bakes[i] = std::make_unique<ImageBake>(recipe_files[i], options);
      loaded.push_back(i);
    } catch (...) {
      fail(i, std::current_exception());
    }

  std::vector<std::string> bases;
  for (size_t i : loaded) bases.push_back(bakes[i]->base_sha256());
  const size_t count = appliance_count(loaded.size(), std::thread::hardware_concurrency(),
                                       available_memory().value_or(kApplianceMemory), options.appliances);
  // The cores are shared out: under TCG an appliance boots and works faster with more vCPUs.
  const ApplianceSettings appliance{options.accel, appliance_vcpus(std::thread::hardware_concurrency(), count)};
  std::vector<std::vector<size_t>> groups;
  for (auto& group : assign_to_appliances(bases, count)) {
    for (size_t& member : group) member = loaded[member];
    groups.push_back(std::move(group));
  }

  // Prepared (and packing the base's root, where the cache lacks its listing) once per base in
  // each appliance: the appliance bakes its images one after the other.
  for (const auto& group : groups) {
    std::set<std::string> packing;
    for (size_t i : group) try {
        const bool pack = !bakes[i]->base_listing_cached() && packing.insert(bakes[i]->base_sha256()).second;
        bakes[i]->prepare(pack);
      } catch (...) {
        fail(i, std::current_exception());
      }
  }
  interrupt::throw_if_requested();

  auto run_appliance = [&](const std::vector<size_t>& group) {
    std::vector<size_t> ready;
    std::vector<ExecutionJob> jobs;
    for (size_t i : group)
      if (!results[i].error) {
        ready.push_back(i);
        jobs.push_back(bakes[i]->job());
      }
    if (jobs.empty()) return;
    std::vector<ExecutionOutcome> outcomes;
    try {
      outcomes = execute_in_one_appliance(jobs, appliance);
    } catch (...) {
      for (size_t i : ready) fail(i, std::current_exception());
      return;
    }
    for (size_t k = 0; k < ready.size(); ++k) try {
        bakes[ready[k]]->keep_base_listing(outcomes[k].result);
      } catch (...) {
        fail(ready[k], std::current_exception());
      }
    for (size_t k = 0; k < ready.size(); ++k) {
      const size_t i = ready[k];
      try {
        if (outcomes[k].error) bakes[i]->in_context([&] { std::rethrow_exception(outcomes[k].error); });
        if (!results[i].error) results[i].outcome = bakes[i]->finish(outcomes[k].result);
      } catch (...) {
        fail(i, std::current_exception());
      }
    }
  };
  parallel_map(groups, run_appliance);
  // Each image's temporaries go with it, whatever happened to the others.
  bakes.clear();
  return results;
}

}  // namespace trustnet::baker
