#include "baker/execute/ext4/ext4_image.hpp"

#include <fmt/format.h>

#include <ctime>

#include "baker/execute/executor.hpp"
#include "baker/execute/root_inspection.hpp"
#include "common/util/error.hpp"
#include "common/util/interrupt.hpp"

namespace trustnet::baker {

Inspection Ext4Image::inspect() {
  Ext4Root base(disk_.root, false, now_);
  const std::string device = fmt::format("partition {}", disk_.root_partition.number);
  auto found = inspect_root(base, device, base.type());
  if (!found) throw Error(fmt::format("inspection found no operating system on {} (no /etc/os-release)", device));
  return *found;
}

OpenImage::Grown Ext4Image::grow(const Inspection&) {
  const uint64_t root_fs_size = grow_root(disk_, now_);
  root_.emplace(disk_.root, true, now_);
  return {disk_.disk_bytes, root_fs_size};
}

RootFilesystem& Ext4Image::root() {
  if (!root_) throw Error("the root is edited only once grown");
  return *root_;
}

void Ext4Image::pack(const Inspection&, const std::filesystem::path& tar) {
  if (root_) return root_->pack_tar(tar);
  Ext4Root(disk_.root, false, now_).pack_tar(tar);
}

void Ext4Image::close(Progress& progress) {
  if (root_) root_->close();
  check_root(disk_, false, now_);
  progress.phase_done("check filesystem", "e2fsck -fn: clean");
  join_to_qcow2(disk_, image_);
  progress.phase_done("write image", "qcow2");
}

ExecutionOutcome execute_direct(const ExecutionJob& job) {
  ExecutionOutcome outcome;
  outcome.result.engine = "ext4";
  try {
    const int64_t now = job.options.source_date_epoch.value_or(static_cast<int64_t>(std::time(nullptr)));
    check_root(*job.direct, true, now);  // a journal to replay, a base left unclean: e2fsck first
    interrupt::throw_if_requested();
    job.progress->phase_done("check base filesystem", "e2fsck -fy");
    Ext4Image image(*job.direct, job.image, now);
    bake_open_image(image, *job.plan, job.options, *job.progress, outcome.result);
  } catch (...) {
    interrupt::throw_if_requested();
    outcome.error = std::current_exception();
  }
  return outcome;
}

}  // namespace trustnet::baker
