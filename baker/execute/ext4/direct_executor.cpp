// The direct engine: one image baked in this process with libext2fs and e2fsprogs' programs.
#include <fmt/format.h>

#include <ctime>

#include "baker/execute/executor.hpp"
#include "baker/execute/ext4/ext4_root.hpp"
#include "baker/execute/root_inspection.hpp"
#include "baker/execute/step_runner.hpp"
#include "common/util/error.hpp"
#include "common/util/interrupt.hpp"

namespace trustnet::baker {

ExecutionOutcome execute_direct(const ExecutionJob& job) {
  ExecutionOutcome outcome;
  ExecutionResult& result = outcome.result;
  result.engine = "ext4";
  try {
    DirectDisk& disk = *job.direct;
    Progress& progress = *job.progress;
    const int64_t now = job.options.source_date_epoch.value_or(static_cast<int64_t>(std::time(nullptr)));
    check_root(disk, true, now);  // a journal to replay, a base left unclean: e2fsck first
    interrupt::throw_if_requested();
    progress.phase_done("check base filesystem", "e2fsck -fy");
    {
      Ext4Root base(disk.root, false, now);
      result.inspection = inspect_root(base, disk);
    }
    check_alpine_aarch64(result.inspection);
    progress.phase_done("inspect", fmt::format("{} {} on {}", result.inspection.product, result.inspection.arch,
                                               result.inspection.root_device));
    result.root_fs_size = grow_root(disk, now);
    result.disk_size = disk.disk_bytes;
    interrupt::throw_if_requested();
    progress.phase_done("grow root filesystem",
                        fmt::format("{:.1f} GiB", static_cast<double>(result.root_fs_size) / (1 << 30)));

    Ext4Root root(disk.root, true, now);
    if (!job.options.base_root_tar.empty()) {
      root.pack_tar(job.options.base_root_tar);
      result.base_root_packed = true;
      interrupt::throw_if_requested();
      progress.phase_done("pack base root for its listing");
    }
    apply_plan(root, *job.plan, job.options, result, progress);
    root.close();
    check_root(disk, false, now);
    progress.phase_done("check filesystem", "e2fsck -fn: clean");
    join_to_qcow2(disk, job.image);
    progress.phase_done("write image", "qcow2");
  } catch (...) {
    interrupt::throw_if_requested();
    outcome.error = std::current_exception();
  }
  return outcome;
}

}  // namespace trustnet::baker
