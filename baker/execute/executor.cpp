#include "baker/execute/executor.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "baker/execute/ext4/ext4_root.hpp"
#include "baker/execute/guestfs/guest_root.hpp"
#include "baker/execute/guestfs/guest_session.hpp"
#include "baker/execute/root_inspection.hpp"
#include "baker/execute/step_runner.hpp"
#include "common/release/qemu_image_info.hpp"
#include "common/util/error.hpp"
#include "common/util/interrupt.hpp"

namespace trustnet::baker {
namespace {

// Everything one image needs from the appliance, from inspection to its filesystem unmounted
// and synced; the appliance is left ready for the next image.
void execute_on_disk(GuestSession& guest, const std::string& disk, const ExecutionJob& job, ExecutionResult& result) {
  const Plan& plan = *job.plan;
  const ExecuteOptions& options = job.options;
  Progress& progress = *job.progress;
  result.engine = "libguestfs";
  result.inspection = guest.inspect(disk);
  check_alpine_aarch64(result.inspection);
  progress.phase_done("inspect", fmt::format("{} {} on {}", result.inspection.product, result.inspection.arch,
                                             result.inspection.root_device));

  result.disk_size = guest.grow_and_mount_root(result.inspection);
  result.root_fs_size = guest.filesystem_size("/");
  interrupt::throw_if_requested();
  progress.phase_done("grow root filesystem",
                      fmt::format("{:.1f} GiB", static_cast<double>(result.root_fs_size) / (1 << 30)));

  if (!options.base_root_tar.empty()) {
    // Once per base digest: the base's listing, to which the bake's edits are then applied.
    guest.tar_out("/", options.base_root_tar);
    result.base_root_packed = true;
    interrupt::throw_if_requested();
    progress.phase_done("pack base root for its listing");
  }

  GuestRoot root(guest);
  apply_plan(root, plan, options, result, progress);

  guest.umount_all();
  guest.sync();
  progress.phase_done("close image");
}

std::string names_of(const std::vector<ExecutionJob>& jobs, size_t from, size_t to) {
  std::vector<std::string> names;
  for (size_t i = from; i < to; ++i) names.push_back(jobs[i].plan->name);
  return fmt::format("{}", fmt::join(names, ", "));
}

}  // namespace

std::vector<ExecutionOutcome> execute_in_one_appliance(const std::vector<ExecutionJob>& jobs,
                                                       const ApplianceSettings& appliance) {
  std::vector<ExecutionOutcome> outcomes(jobs.size());
  auto fail_all = [&](std::exception_ptr error) {
    for (auto& outcome : outcomes)
      if (!outcome.error) outcome.error = error;
  };
  std::optional<GuestSession> session;
  std::vector<std::string> disks;
  for (const auto& job : jobs) job.progress->phase_started("launch appliance");
  try {
    session.emplace(appliance);
    for (const auto& job : jobs) session->add_drive(job.image, "qcow2", false);
    session->launch();
    interrupt::throw_if_requested();
    disks = session->disks();
    if (disks.size() != jobs.size())
      throw Error(fmt::format("the appliance shows {} drives for {} images", disks.size(), jobs.size()));
  } catch (const Error&) {
    fail_all(std::current_exception());
    return outcomes;
  }
  GuestSession& guest = *session;
  const std::string shared = jobs.size() > 1 ? fmt::format(", shared by {} images", jobs.size()) : "";
  for (const auto& job : jobs) job.progress->phase_done("launch appliance", guest.accel_description() + shared);

  for (size_t i = 0; i < jobs.size(); ++i) {
    if (i > 0) jobs[i].progress->phase_done("wait for the appliance", "baking " + names_of(jobs, 0, i));
    try {
      execute_on_disk(guest, disks[i], jobs[i], outcomes[i].result);
    } catch (...) {  // whatever it was (a libguestfs error, a local file that could not be written), it is this image's
      interrupt::throw_if_requested();
      outcomes[i].error = std::current_exception();
      // The next image starts from nothing mounted; if even that fails, the appliance is gone.
      try {
        guest.umount_all();
      } catch (const Error&) {
        fail_all(std::current_exception());
        return outcomes;
      }
    }
  }
  for (size_t i = 0; i + 1 < jobs.size(); ++i)
    jobs[i].progress->phase_done("wait for the appliance", "baking " + names_of(jobs, i + 1, jobs.size()));
  try {
    guest.shutdown();
  } catch (const Error&) {
    fail_all(std::current_exception());
  }
  for (const auto& job : jobs) job.progress->phase_done("shut down appliance");
  return outcomes;
}

std::optional<std::string> pack_image_root(const std::filesystem::path& image, ApplianceAccel accel,
                                           const std::filesystem::path& tar, const std::filesystem::path& scratch,
                                           BakeEngine engine) {
  if (!std::filesystem::is_regular_file(image))
    throw Error(fmt::format("image {} does not exist", image.string()), ExitCode::bad_input);
  const std::string format = GuestSession::detect_format(image);
  // What the image reads from elsewhere (an overlay's backing file) is not its content: refused,
  // as bake refuses such a base.
  const QemuImageInfo info = qemu_image_info(image, format);
  require_self_contained(info, image, "image");
  std::optional<std::string> fallback;
  if (engine != BakeEngine::guestfs) {
    try {
      const uint64_t size = info.virtual_size;
      const DirectDisk disk = split_base(image, format, size, scratch, size);
      Ext4Root root(disk.root, false, 0);
      check_alpine_aarch64(inspect_root(root, disk));
      root.pack_tar(tar);
      return std::nullopt;
    } catch (const DirectEngineRefusal& refusal) {
      fallback = libguestfs_fallback(engine, refusal);
    }
  }
  GuestSession guest(accel);
  guest.add_drive(image, format, true);
  guest.launch();
  const Inspection found = guest.inspect(guest.disks().front());
  check_alpine_aarch64(found);
  guest.mount(found.root_device, "/", true);
  guest.tar_out("/", tar);
  guest.shutdown();
  return fallback;
}

}  // namespace trustnet::baker
