#include "baker/execute/open_image.hpp"

#include <fmt/format.h>

#include "baker/execute/step_runner.hpp"
#include "common/util/interrupt.hpp"

namespace trustnet::baker {

void bake_open_image(OpenImage& image, const Plan& plan, const ExecuteOptions& options, Progress& progress,
                     ExecutionResult& result) {
  result.engine = image.engine();
  result.inspection = image.inspect();
  check_alpine_aarch64(result.inspection);
  progress.phase_done("inspect", fmt::format("{} {} on {}", result.inspection.product, result.inspection.arch,
                                             result.inspection.root_device));

  const OpenImage::Grown grown = image.grow(result.inspection);
  result.disk_size = grown.disk_size;
  result.root_fs_size = grown.root_fs_size;
  interrupt::throw_if_requested();
  progress.phase_done("grow root filesystem",
                      fmt::format("{:.1f} GiB", static_cast<double>(result.root_fs_size) / (1 << 30)));

  if (!options.base_root_tar.empty()) {
    // Once per base digest: the base's listing, to which the bake's edits are then applied.
    image.pack(result.inspection, options.base_root_tar);
    result.base_root_packed = true;
    interrupt::throw_if_requested();
    progress.phase_done("pack base root for its listing");
  }

  apply_plan(image.root(), plan, options, result, progress);
  image.close(progress);
}

}  // namespace trustnet::baker
