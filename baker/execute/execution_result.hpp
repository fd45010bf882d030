#pragma once
// What running a plan on an image did, for the report and the listing, and how it was asked to.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "baker/execute/inspection.hpp"
#include "baker/execute/tree_edit.hpp"

namespace trustnet::baker {

struct ExecutionResult {
  Inspection inspection;
  std::string engine;              // ext4 (libext2fs, in process) or libguestfs
  uint64_t disk_size = 0;          // virtual size seen by the guest
  uint64_t root_fs_size = 0;       // after growing
  TreeEdits edits;                 // everything the bake did to the tree, in order
  std::vector<std::string> notes;  // what the bake did to the base beyond the plan's files (cloud-init, users)
  bool base_root_packed = false;   // options.base_root_tar is complete (kept even when a later step failed)
};

struct ExecuteOptions {
  std::filesystem::path scratch_dir;         // for the overlay archives
  std::filesystem::path base_root_tar;       // when set, the root filesystem is packed here before the edits
  std::optional<int64_t> source_date_epoch;  // when set, the times of what the bake wrote
};

}  // namespace trustnet::baker
