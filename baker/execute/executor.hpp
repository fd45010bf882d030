#pragma once
// Runs a plan against a working image in one libguestfs session (one appliance launch).
#include <cstdint>
#include <exception>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "baker/display/progress.hpp"
#include "baker/execute/guest_session.hpp"
#include "baker/execute/tree_edit.hpp"
#include "baker/plan/plan.hpp"

namespace trustnet::baker {

struct InstalledFile {
  std::string path;
  std::string kind;    // file, directory, symlink
  std::string sha256;  // files only
  std::string target;  // symlinks only
  uint32_t mode = 0;
  uint32_t uid = 0, gid = 0;
  std::string user, group;
  std::string origin;  // what put it there: recipe, accounts, overlay, binary NAME
};

struct ExecutionResult {
  Inspection inspection;
  uint64_t disk_size = 0;     // virtual size seen by the guest
  uint64_t root_fs_size = 0;  // after growing
  std::vector<InstalledFile> files;
  std::vector<std::string> removed;
  TreeEdits edits;                 // everything the bake did to the tree, in order
  std::vector<std::string> notes;  // what the bake did to the base beyond the plan's files (cloud-init, users)
  bool base_root_packed = false;   // options.base_root_tar is complete (kept even when a later step failed)
};

struct ExecuteOptions {
  std::filesystem::path scratch_dir;         // for the overlay archives
  std::filesystem::path base_root_tar;       // when set, the root filesystem is packed here before the edits
  std::optional<int64_t> source_date_epoch;  // when set, the times of what the bake wrote
};

// One image's part of a shared appliance. Every InstallFile step must already name a local source.
struct ExecutionJob {
  const Plan* plan = nullptr;
  std::filesystem::path image;  // qcow2 working copy, edited in place
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

// Opens `image` read-only, checks it is Alpine aarch64, and packs its root filesystem into `tar`
// (uncompressed, numeric owners): the source of a content listing.
void pack_image_root(const std::filesystem::path& image, ApplianceAccel accel, const std::filesystem::path& tar);

}  // namespace trustnet::baker
