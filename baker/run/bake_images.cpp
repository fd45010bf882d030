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

namespace {

// The images of one run: each bake and its result, by position.
struct Bakes {
  std::vector<BakeResult> results;
  std::vector<std::unique_ptr<ImageBake>> images;
  std::vector<size_t> loaded;  // the positions whose ImageBake was made

  void fail(size_t i, std::exception_ptr error) {
    if (!results[i].error) results[i].error = error;
  }
  bool failed(size_t i) const { return results[i].error != nullptr; }
};

// The images one engine runs together: the direct engine's side by side in this process, or the
// images that share one libguestfs appliance.
struct Group {
  std::vector<size_t> images;
  bool direct = false;
};

// Missing inputs are fetched first, once each, before the bakes run in parallel.
void fetch_inputs(const std::vector<PreparedBake>& prepared, const BakeOptions& options) {
  std::vector<const Plan*> plans;
  for (const auto& bake : prepared) plans.push_back(&bake.plan);
  (void)fetch_plan_inputs(plans, {options.cache_dir, options.fetch, options.verbosity});
}

Bakes load(std::vector<PreparedBake> prepared, const BakeOptions& options) {
  Bakes bakes{std::vector<BakeResult>(prepared.size()), std::vector<std::unique_ptr<ImageBake>>(prepared.size()), {}};
  // Each bake's lines start "bake NAME:": padded to the longest of them.
  BakeOptions aligned = options;
  for (const auto& bake : prepared)
    aligned.subject_width = std::max(aligned.subject_width, ("bake " + bake.recipe.name).size());
  for (size_t i = 0; i < prepared.size(); ++i) try {
      bakes.images[i] = std::make_unique<ImageBake>(std::move(prepared[i]), aligned);
      bakes.loaded.push_back(i);
    } catch (...) {
      bakes.fail(i, std::current_exception());
    }
  return bakes;
}

// Side by side: each image's copy of its base is its own (and most of a direct bake's time).
void prepare_all(Bakes& bakes) {
  parallel_map(bakes.loaded, [&](size_t i) {
    try {
      bakes.images[i]->prepare();
    } catch (...) {
      bakes.fail(i, std::current_exception());
    }
    return 0;
  });
  interrupt::throw_if_requested();
}

// The direct engine's images as one group; the others shared out among as many appliances as the
// cores and memory allow, images of one base together.
std::vector<Group> group_by_engine(const Bakes& bakes, const BakeOptions& options, ApplianceSettings& appliance) {
  std::vector<Group> groups;
  Group direct{{}, true};
  std::vector<size_t> by_appliance;
  for (size_t i : bakes.loaded)
    if (!bakes.failed(i)) (bakes.images[i]->direct() ? direct.images : by_appliance).push_back(i);
  if (!direct.images.empty()) groups.push_back(direct);
  if (by_appliance.empty()) return groups;
  std::vector<std::string> bases;
  for (size_t i : by_appliance) bases.push_back(bakes.images[i]->base_sha256());
  const size_t count = appliance_count(by_appliance.size(), std::thread::hardware_concurrency(),
                                       available_memory().value_or(kApplianceMemory), options.appliances);
  // The cores are shared out: under TCG an appliance boots and works faster with more vCPUs.
  appliance = ApplianceSettings{options.accel, appliance_vcpus(std::thread::hardware_concurrency(), count)};
  for (auto& members : assign_to_appliances(bases, count)) {
    Group group;
    for (size_t member : members) group.images.push_back(by_appliance[member]);
    groups.push_back(std::move(group));
  }
  return groups;
}

// After the engine's part: the base listing an image packed is kept, and the image is listed,
// digested, placed in out/ and reported.
void keep_listing(Bakes& bakes, size_t i, const ExecutionOutcome& outcome) {
  try {
    bakes.images[i]->keep_base_listing(outcome.result);
  } catch (...) {
    bakes.fail(i, std::current_exception());
  }
}

void finish(Bakes& bakes, size_t i, const ExecutionOutcome& outcome) {
  try {
    if (outcome.error) bakes.images[i]->in_context([&] { std::rethrow_exception(outcome.error); });
    if (!bakes.failed(i)) bakes.results[i].outcome = bakes.images[i]->finish(outcome.result);
  } catch (...) {
    bakes.fail(i, std::current_exception());
  }
}

// Each image goes on to its listing as soon as its own edits are done; one that derives its
// listing from a base another image packs waits for that image's edits only.
void run_direct(Bakes& bakes, const std::vector<size_t>& ready, const std::vector<ExecutionJob>& jobs,
                const std::vector<bool>& packs) {
  std::map<std::string, std::promise<void>> packed;
  std::map<std::string, std::shared_future<void>> listing_kept;
  for (size_t k = 0; k < ready.size(); ++k)
    if (packs[k])
      listing_kept[bakes.images[ready[k]]->base_sha256()] = packed[bakes.images[ready[k]]->base_sha256()].get_future();
  std::vector<size_t> positions(ready.size());
  for (size_t k = 0; k < positions.size(); ++k) positions[k] = k;
  parallel_map(positions, [&](size_t k) {
    const size_t i = ready[k];
    const std::string& base = bakes.images[i]->base_sha256();
    ExecutionOutcome outcome;
    try {
      outcome = execute_direct(jobs[k]);
    } catch (...) {  // an interrupt: this image's error too, and the others' waits end
      outcome.error = std::current_exception();
    }
    if (packs[k]) {
      keep_listing(bakes, i, outcome);
      packed.at(base).set_value();
    } else if (auto kept = listing_kept.find(base); kept != listing_kept.end()) {
      kept->second.wait();
    }
    finish(bakes, i, outcome);
    return 0;
  });
}

void run_in_appliance(Bakes& bakes, const std::vector<size_t>& ready, const std::vector<ExecutionJob>& jobs,
                      const ApplianceSettings& appliance) {
  std::vector<ExecutionOutcome> outcomes;
  try {
    outcomes = execute_in_one_appliance(jobs, appliance);
  } catch (...) {
    for (size_t i : ready) bakes.fail(i, std::current_exception());
    return;
  }
  for (size_t k = 0; k < ready.size(); ++k) keep_listing(bakes, ready[k], outcomes[k]);
  std::vector<size_t> positions(ready.size());
  for (size_t k = 0; k < positions.size(); ++k) positions[k] = k;
  parallel_map(positions, [&](size_t k) {
    finish(bakes, ready[k], outcomes[k]);
    return 0;
  });
}

// The group's jobs, the base's root packed once per base in the group where the cache lacks its
// listing; then its engine runs them.
void run_group(Bakes& bakes, const Group& group, const ApplianceSettings& appliance) {
  std::vector<size_t> ready;
  std::vector<ExecutionJob> jobs;
  std::vector<bool> packs;
  std::set<std::string> packing;
  for (size_t i : group.images)
    if (!bakes.failed(i)) {
      const bool pack =
          !bakes.images[i]->base_listing_cached() && packing.insert(bakes.images[i]->base_sha256()).second;
      ready.push_back(i);
      packs.push_back(pack);
      jobs.push_back(bakes.images[i]->job(pack));
    }
  if (jobs.empty()) return;
  if (group.direct)
    run_direct(bakes, ready, jobs, packs);
  else
    run_in_appliance(bakes, ready, jobs, appliance);
}

}  // namespace

std::vector<BakeResult> bake_images(std::vector<PreparedBake> prepared, const BakeOptions& options) {
  fetch_inputs(prepared, options);
  Bakes bakes = load(std::move(prepared), options);
  prepare_all(bakes);
  ApplianceSettings appliance{options.accel};
  const std::vector<Group> groups = group_by_engine(bakes, options, appliance);
  parallel_map(groups, [&](const Group& group) {
    run_group(bakes, group, appliance);
    return 0;
  });
  // Each image's temporaries go with it, whatever happened to the others.
  bakes.images.clear();
  interrupt::throw_if_requested();
  return std::move(bakes.results);
}

}  // namespace trustnet::baker
