#pragma once
// One image's bake around the engine that edits it (libext2fs in this process, or a libguestfs
// appliance): before (lock, inputs checked, a working copy of the base) and after (the listing,
// the image's digest, placing it in out/, the report). The engine's part is an ExecutionJob, run alone
// or beside other images' jobs.
#include <exception>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "baker/execute/executor.hpp"
#include "baker/execute/space_watchdog.hpp"
#include "baker/output/bake_outputs.hpp"
#include "baker/output/up_to_date.hpp"
#include "baker/plan/plan.hpp"
#include "baker/run/bake_options.hpp"
#include "baker/run/prepared_bake.hpp"
#include "common/transfer/input_cache.hpp"
#include "common/util/atomic_file.hpp"
#include "common/util/file_lock.hpp"
#include "common/util/scratch_folder.hpp"

namespace trustnet::baker {

// Removes what bakes of `name` into `out_dir` that were killed (SIGKILL, a power cut) left: their
// temporaries of the image, report, listing and base tar. The caller holds the bake lock.
std::vector<std::filesystem::path> remove_dead_bake_leftovers(const std::filesystem::path& out_dir,
                                                              const std::string& name);

// The same for an image that is up to date and will not be baked: only when no bake of it runs
// now (its lock is free); returns what was removed.
std::vector<std::filesystem::path> clean_up_after_dead_bakes(const std::filesystem::path& out_dir,
                                                             const std::string& name);

class ImageBake {
 public:
  // Points the plan at the cache, where its URL inputs must already be (local ones are used where
  // they are).
  ImageBake(PreparedBake prepared, const BakeOptions& options);
  ImageBake(const ImageBake&) = delete;
  ImageBake& operator=(const ImageBake&) = delete;

  const std::string& name() const { return prepared_.recipe.name; }
  const std::string& base_sha256() const { return prepared_.plan.base.sha256; }
  bool base_listing_cached() const;

  // Takes the output lock, checks the inputs and the free space, chooses the engine (see
  // execute/bake_engine.hpp) and makes its working copy: the split raw disk for the direct engine,
  // a qcow2 for libguestfs.
  void prepare();
  bool direct() const { return direct_disk_.has_value(); }
  // With `pack_base`, the job packs the base's root for the listing the cache lacks.
  ExecutionJob job(bool pack_base);
  // After the engine's part: a base root this image packed becomes the cached listing of its base,
  // even when this image then failed (images of the same base rely on it).
  void keep_base_listing(const ExecutionResult& result);
  // Lists, digests and publishes the image and writes its report.
  BakeOutcome finish(const ExecutionResult& result);

  // Runs `work`, turning any failure into this image's error ("bake NAME: ..."); a full output
  // filesystem is reported as the cause of whatever failed.
  template <class Work>
  auto in_context(Work&& work) -> decltype(work()) {
    try {
      try {
        return work();
      } catch (const Error&) {
        if (watchdog_) watchdog_->throw_if_full();
        throw;
      }
    } catch (Error& e) {
      throw e.with_context("bake " + name());
    }
  }

 private:
  BakeOptions options_;
  PreparedBake prepared_;
  Progress progress_;
  InputCache cache_;
  BakeOutputs outputs_;
  std::optional<FileLock> lock_;
  std::unique_ptr<SpaceWatchdog> watchdog_;
  std::unique_ptr<TemporaryPath> work_;
  std::unique_ptr<TemporaryPath> base_tar_;
  std::unique_ptr<ScratchFolder> direct_folder_;
  std::optional<DirectDisk> direct_disk_;
};

}  // namespace trustnet::baker
