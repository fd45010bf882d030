#include "baker/run/bake_images.hpp"

#include <future>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include "baker/execute/executor.hpp"
#include "baker/execute/guestfs/appliance_pool.hpp"
#include "baker/run/image_bake.hpp"
#include "baker/run/input_fetch.hpp"
#include "common/util/interrupt.hpp"
#include "common/util/parallel_tasks.hpp"

namespace trustnet::baker {

std::vector<BakeResult> bake_images(std::vector<PreparedBake> prepared, const BakeOptions& options) {
  // Missing inputs are fetched first, once each, before the bakes run in parallel.
  std::vector<const Plan*> plans;
  for (const auto& bake : prepared) plans.push_back(&bake.plan);
  (void)fetch_plan_inputs(plans, {options.cache_dir, options.fetch, options.verbosity});

  std::vector<BakeResult> results(prepared.size());
  std::vector<std::unique_ptr<ImageBake>> bakes(prepared.size());
  auto fail = [&](size_t i, std::exception_ptr error) {
    if (!results[i].error) results[i].error = error;
  };
  // Each bake's lines start "bake NAME:": padded to the longest of them.
  BakeOptions aligned = options;
  for (const auto& bake : prepared)
    aligned.subject_width = std::max(aligned.subject_width, ("bake " + bake.recipe.name).size());
  std::vector<size_t> loaded;
  for (size_t i = 0; i < prepared.size(); ++i) try {
      bakes[i] = std::make_unique<ImageBake>(std::move(prepared[i]), aligned);
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
  // Listing, digest, placing in out/ and report of one image.
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

}  // namespace trustnet::baker
