#include "baker/run/image_bake.hpp"

#include <fmt/format.h>

#include "baker/execute/engine_choice.hpp"
#include "baker/execute/image_workspace.hpp"
#include "baker/fetch/plan_inputs.hpp"
#include "baker/output/content_listing.hpp"
#include "baker/output/derived_listing.hpp"
#include "baker/output/release.hpp"
#include "baker/output/report.hpp"
#include "baker/run/input_fetch.hpp"
#include "common/util/interrupt.hpp"
#include "common/util/sha256.hpp"

namespace trustnet::baker {
namespace fs = std::filesystem;

namespace {

// What a bake writes in the out folder: the working copy of the base (for the direct engine the
// raw disk and then the qcow2), the root filesystem's tar for the listing (about as large as the
// base's data), and the inputs uploaded through it.
uint64_t bake_space_needed(const fs::path& base, const Plan& plan) {
  uint64_t needed = 3 * fs::file_size(base) + (64ULL << 20);
  for (const auto& step : plan.steps)
    if (const auto* install = std::get_if<InstallFile>(&step)) needed += fs::file_size(install->source);
  return needed;
}

}  // namespace

std::vector<fs::path> remove_dead_bake_leftovers(const fs::path& out_dir, const std::string& name) {
  // Holding the lock, any temporary of these outputs belongs to a bake that was killed.
  std::vector<fs::path> removed;
  for (const fs::path& output : BakeOutputs::in(out_dir, name).written())
    for (auto& leftover : remove_leftover_temporaries(output)) removed.push_back(std::move(leftover));
  return removed;
}

std::vector<fs::path> clean_up_after_dead_bakes(const fs::path& out_dir, const std::string& name) {
  if (!fs::is_directory(out_dir)) return {};
  const auto lock = FileLock::try_acquire(BakeOutputs::in(out_dir, name).lock);
  if (!lock) return {};  // a bake of it runs: its temporaries are alive
  return remove_dead_bake_leftovers(out_dir, name);
}

ImageBake::ImageBake(PreparedBake prepared, const BakeOptions& options)
    : options_(options),
      prepared_(std::move(prepared)),
      progress_(options.verbosity, "bake " + name(), options.subject_width),
      cache_(cache_root(options.cache_dir)),
      outputs_(BakeOutputs::in(options.out_dir, name())) {
  in_context([&] { use_cached_inputs(prepared_.plan, cache_); });
}

bool ImageBake::base_listing_cached() const { return fs::exists(cache_.listing(prepared_.plan.base.sha256)); }

void ImageBake::prepare() {
  in_context([&] {
    fs::create_directories(options_.out_dir);
    lock_ = FileLock::try_acquire(outputs_.lock);
    if (!lock_)
      throw Error(fmt::format("another bake is writing {} (lock {} is held); wait for it to finish",
                              outputs_.image.string(), outputs_.lock.string()));
    for (const auto& leftover : remove_dead_bake_leftovers(options_.out_dir, name()))
      progress_.note(fmt::format("removed {}, left behind by a bake that was killed", leftover.string()));
    progress_.phase_done("load recipe", fmt::format("{} steps", prepared_.plan.steps.size()));

    // Digests are checked here and again right before upload.
    const fs::path base = *prepared_.plan.base.path;
    auto verify = [&](const fs::path& file, const std::string& sha256, const std::string& what) {
      try {
        verify_sha256(file, sha256, what);
      } catch (Error& e) {
        if (!cache_.holds(file)) throw;
        throw Error(fmt::format("{}; the cache entry is damaged: delete it and run `bake fetch {}`", e.what(), name()));
      }
    };
    verify(base, prepared_.plan.base.sha256, "base image");
    for (const auto& step : prepared_.plan.steps)
      if (const auto* install = std::get_if<InstallFile>(&step))
        verify(install->source, install->sha256, "binary " + install->input);
    interrupt::throw_if_requested();
    progress_.phase_done("verify inputs", fmt::format("base sha256:{}", prepared_.plan.base.sha256.substr(0, 16)));

    // A full filesystem would pause the appliance's QEMU mid-bake: refuse before starting, and
    // let the watchdog turn a filesystem that fills up anyway into an error, not a hang.
    const uint64_t space_needed = bake_space_needed(base, prepared_.plan);
    require_free_space(options_.out_dir, space_needed, "baking " + name(),
                       "a copy of the base, the listing of its files, the release files");
    watchdog_ = std::make_unique<SpaceWatchdog>(options_.out_dir, space_needed);
    work_ = std::make_unique<TemporaryPath>(outputs_.image, fs::perms(0644));  // a golden image holds nothing secret
    const uint64_t base_bytes = check_base_image(base, prepared_.plan.base.format, prepared_.plan.disk_size);
    if (options_.engine != BakeEngine::guestfs) direct_folder_ = std::make_unique<ScratchFolder>(outputs_.direct_disk);
    EngineChoice choice = choose_engine(options_.engine, base, prepared_.plan.base.format, base_bytes,
                                        direct_folder_ ? direct_folder_->path() : fs::path(), prepared_.plan.disk_size);
    if (choice.direct) {
      direct_disk_ = std::move(choice.direct);
      interrupt::throw_if_requested();
      progress_.phase_done("copy base", "raw disk for the direct engine (libext2fs)");
      return;
    }
    if (choice.fallback) progress_.note(*choice.fallback);
    direct_folder_.reset();
    make_working_copy(base, prepared_.plan.base.format, work_->path(), prepared_.plan.disk_size);
    interrupt::throw_if_requested();
    progress_.phase_done("copy base", work_->path().filename().string());
  });
}

ExecutionJob ImageBake::job(bool pack_base) {
  if (pack_base && !base_tar_) base_tar_ = std::make_unique<TemporaryPath>(outputs_.base_tar);
  ExecuteOptions options{options_.out_dir, base_tar_ ? base_tar_->path() : fs::path(),
                         prepared_.fingerprint.source_date_epoch};
  return {&prepared_.plan, work_->path(), direct_disk_ ? &*direct_disk_ : nullptr, options, &progress_};
}

void ImageBake::keep_base_listing(const ExecutionResult& result) {
  if (!base_tar_ || !result.base_root_packed) return;
  in_context([&] {
    cache_.keep_listing(prepared_.plan.base.sha256, mtree_from_tar(base_tar_->path()));
    base_tar_.reset();
  });
}

BakeOutcome ImageBake::finish(const ExecutionResult& result) {
  return in_context([&] {
    const bool packed = result.base_root_packed;
    base_tar_.reset();
    // The base's listing comes from the cache (packed by this bake or an earlier one).
    std::optional<std::string> base_listing = cache_.read_listing(prepared_.plan.base.sha256);
    if (!base_listing)
      throw Error(fmt::format(
          "the listing of base sha256:{} is not in the cache: the image that was to pack it failed first; bake again",
          prepared_.plan.base.sha256.substr(0, 16)));
    Listing derived = parse_mtree(*base_listing, cache_.listing(prepared_.plan.base.sha256).string());
    apply_tree_edits(derived, result.edits);
    const std::string listing_text = render_mtree(derived);
    progress_.phase_done("list contents", fmt::format("{} entries{}", listing_entries(listing_text),
                                                      packed ? "; the base's listing is now in the cache" : ""));
    direct_folder_.reset();  // the raw disk is in the qcow2 now
    const std::string image_sha256 = sha256_file(work_->path());
    write_file_atomically(outputs_.listing, listing_text);
    work_->commit();
    progress_.phase_done("place image", outputs_.image.string());

    ReportInput input{prepared_.recipe,
                      prepared_.plan,
                      prepared_.plan.base.path->string(),
                      result,
                      progress_.phases(),
                      outputs_.image.string(),
                      image_sha256,
                      outputs_.listing.string(),
                      sha256_hex(listing_text),
                      prepared_.fingerprint};
    write_file_atomically(outputs_.report, render_report(input));
    progress_.note(fmt::format("baked {} in {:.1f} s; report {}", outputs_.image.string(), progress_.total_seconds(),
                               outputs_.report.string()));
    return BakeOutcome{name(), outputs_.image, outputs_.report, progress_.total_seconds()};
  });
}

}  // namespace trustnet::baker
