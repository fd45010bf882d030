#pragma once
// Runs plans against working images: in one libguestfs session (one appliance launch) for
// several images, or in this process with libext2fs (execute_direct) for one.
#include <cstdint>
#include <exception>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "baker/display/progress.hpp"
#include "baker/execute/bake_engine.hpp"
#include "baker/execute/execution_result.hpp"
#include "baker/execute/ext4/direct_disk.hpp"
#include "baker/execute/guestfs/appliance_settings.hpp"
#include "baker/plan/plan.hpp"

namespace trustnet::baker {

// One image's part of a shared appliance. Every InstallFile step must already name a local source.
struct ExecutionJob {
  const Plan* plan = nullptr;
  std::filesystem::path image;   // qcow2 working copy, edited in place (the direct engine writes it at the end)
  DirectDisk* direct = nullptr;  // set when the direct engine bakes this image: its split disk
  ExecuteOptions options;
  Progress* progress = nullptr;
};

struct ExecutionOutcome {
  ExecutionResult result;    // as far as it got, when it failed
  std::exception_ptr error;  // set when this image failed; the others are unaffected
};

// Adds every job's image to one libguestfs appliance and runs the plans one after the other in
// it: one launch for all. A failure in one image fails that image only; a failure of the
// appliance itself (launch, shutdown) fails every image; an interrupt is thrown.
std::vector<ExecutionOutcome> execute_in_one_appliance(const std::vector<ExecutionJob>& jobs,
                                                       const ApplianceSettings& appliance);

// The direct engine: e2fsck, growth, the edits in this process, the consistency check, the qcow2.
ExecutionOutcome execute_direct(const ExecutionJob& job);

// Opens `image` read-only, checks it is Alpine aarch64, and packs its root filesystem into `tar`
// (uncompressed, numeric owners): the source of a content listing. The direct engine reads it when
// it can (`scratch` holds its split disk), else a libguestfs appliance; returns the line that says
// why libguestfs read it, or nothing.
std::optional<std::string> pack_image_root(const std::filesystem::path& image, ApplianceAccel accel,
                                           const std::filesystem::path& tar, const std::filesystem::path& scratch,
                                           BakeEngine engine);

}  // namespace trustnet::baker
