#include "baker/bake_command.hpp"

#include <fmt/format.h>

#include "baker/execute/executor.hpp"
#include "baker/execute/image_workspace.hpp"
#include "baker/execute/space_watchdog.hpp"
#include "baker/fetch/plan_inputs.hpp"
#include "baker/fetch_command.hpp"
#include "baker/plan/plan.hpp"
#include "baker/publish/content_listing.hpp"
#include "baker/publish/derived_listing.hpp"
#include "baker/publish/release.hpp"
#include "baker/publish/report.hpp"
#include "common/sha256.hpp"
#include "common/validators.hpp"
#include "common/atomic_file.hpp"
#include "common/file_lock.hpp"
#include "common/interrupt.hpp"

namespace trustnet::baker {
namespace fs = std::filesystem;

namespace {

// What a bake writes in the out folder: the working copy of the base, then the root
// filesystem's tar for the listing (about as large as the base's data), and the inputs uploaded
// through it.
uint64_t bake_space_needed(const fs::path& base, const Plan& plan) {
  uint64_t needed = 2 * fs::file_size(base) + (64ULL << 20);
  for (const auto& step : plan.steps)
    if (const auto* install = std::get_if<InstallFile>(&step)) needed += fs::file_size(install->source);
  return needed;
}

}  // namespace

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
        check_freshness(result.image, result.report, fingerprint_of(recipe, plan, source_date_epoch_from_environment()));
    result.up_to_date = freshness.up_to_date;
    result.reason = freshness.reason;
  } catch (Error& e) {
    throw e.with_context("bake " + recipe.name);
  }
  return result;
}

BakeOutcome bake_recipe(const fs::path& recipe_file, const BakeOptions& options) {
  Recipe recipe = load_recipe(recipe_file, options.load);
  Plan plan = make_plan(recipe);
  Progress progress(options.verbosity, "bake " + recipe.name);
  try {
    refuse_unpinned(plan);
    // Taken before the work: an overlay edited during the bake must not look baked.
    const BakeFingerprint fingerprint = fingerprint_of(recipe, plan, source_date_epoch_from_environment());
    fs::create_directories(options.out_dir);
    const fs::path image = options.out_dir / (recipe.name + ".qcow2");
    const fs::path report = options.out_dir / (recipe.name + ".report.json");
    const fs::path lock_file = options.out_dir / ("." + recipe.name + ".lock");
    auto lock = FileLock::try_acquire(lock_file);
    if (!lock) throw Error(fmt::format("another bake is writing {} (lock {} is held); wait for it to finish", image.string(), lock_file.string()));
    // Holding the lock, any temporary of these outputs belongs to a bake that was killed.
    for (const fs::path& output : {image, report, options.out_dir / (recipe.name + ".mtree"), options.out_dir / (recipe.name + ".root.tar")})
      for (const auto& leftover : remove_leftover_temporaries(output))
        progress.note(fmt::format("removed {}, left behind by a bake that was killed", leftover.string()));
    progress.phase_done("load recipe", fmt::format("{} steps", plan.steps.size()));

    // URL inputs come from the cache (run_bake fetched what was missing); local ones are used
    // where they are. Digests are checked here and again right before upload.
    const InputCache cache(cache_root(options.cache_dir));
    use_cached_inputs(plan, cache);
    const fs::path base = *plan.base.path;
    auto verify = [&](const fs::path& file, const std::string& sha256, const std::string& what) {
      try {
        verify_sha256(file, sha256, what);
      } catch (Error& e) {
        if (!cache.holds(file)) throw;
        throw Error(fmt::format("{}; the cache entry is damaged: delete it and run `bake fetch {}`", e.what(), recipe.name));
      }
    };
    verify(base, plan.base.sha256, "base image");
    for (const auto& step : plan.steps)
      if (const auto* install = std::get_if<InstallFile>(&step)) verify(install->source, install->sha256, "binary " + install->input);
    interrupt::throw_if_requested();
    progress.phase_done("verify inputs", fmt::format("base sha256:{}", plan.base.sha256.substr(0, 16)));

    // A full filesystem would pause the appliance's QEMU mid-bake: refuse before starting, and
    // let the watchdog turn a filesystem that fills up anyway into an error, not a hang.
    const uint64_t space_needed = bake_space_needed(base, plan);
    require_free_space(options.out_dir, space_needed, "baking " + recipe.name,
                       "a copy of the base, the listing of its files, the release files");
    SpaceWatchdog watchdog(options.out_dir, space_needed);
    TemporaryPath work(image, fs::perms(0644));  // a golden image holds nothing secret
    const fs::path listing = options.out_dir / (recipe.name + ".mtree");
    // The base's listing comes from the cache; the first bake of a base packs its root for it.
    std::optional<std::string> base_listing = cache.read_listing(plan.base.sha256);
    std::optional<TemporaryPath> base_tar;
    if (!base_listing) base_tar.emplace(options.out_dir / (recipe.name + ".root.tar"));
    ExecutionResult result;
    std::string listing_text, image_sha256;
    try {
      make_working_copy(base, plan.base.format, work.path(), plan.disk_size);
      interrupt::throw_if_requested();
      progress.phase_done("copy base", work.path().filename().string());

      ExecuteOptions execute_options{options.accel, options.out_dir, base_tar ? base_tar->path() : fs::path(),
                                     fingerprint.source_date_epoch};
      result = execute_plan(plan, work.path(), execute_options, progress);
      if (base_tar) {
        base_listing = mtree_from_tar(base_tar->path());
        fs::remove(base_tar->path());
        cache.keep_listing(plan.base.sha256, *base_listing);
      }
      Listing derived = parse_mtree(*base_listing, cache.listing(plan.base.sha256).string());
      apply_tree_edits(derived, result.edits);
      listing_text = render_mtree(derived);
      progress.phase_done("list contents", fmt::format("{} entries{}", listing_entries(listing_text),
                                                       base_tar ? "; the base's listing is now in the cache" : ""));
      image_sha256 = sha256_file(work.path());
      write_file_atomically(listing, listing_text);
    } catch (const Error&) {
      watchdog.throw_if_full();  // whatever failed, a full filesystem is the cause to report
      throw;
    }
    work.commit();
    progress.phase_done("publish", image.string());

    ReportInput input{recipe,         plan,           base.string(),    result,
                      progress.phases(), image.string(), image_sha256,     listing.string(),
                      sha256_hex(listing_text), fingerprint};
    write_file_atomically(report, render_report(input));
    progress.note(fmt::format("baked {} in {:.1f} s; report {}", image.string(), progress.total_seconds(), report.string()));
    return {recipe.name, image, report, progress.total_seconds()};
  } catch (Error& e) {
    throw e.with_context("bake " + recipe.name);
  }
}

}  // namespace trustnet::baker
