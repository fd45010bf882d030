#include "baker/execute/image_workspace.hpp"

#include <fmt/format.h>

#include <cstdlib>

#include "baker/execute/guestfs/guest_session.hpp"
#include "common/release/qemu_image_info.hpp"
#include "common/util/error.hpp"
#include "common/util/process.hpp"
#include "common/util/sha256.hpp"
#include "common/util/text_values.hpp"

namespace trustnet::baker {
namespace fs = std::filesystem;

void verify_sha256(const fs::path& file, const std::string& expected, const std::string& what) {
  if (!fs::is_regular_file(file)) throw Error(fmt::format("{} {} does not exist", what, file.string()));
  std::string actual = sha256_file(file);
  if (actual != expected)
    throw Error(fmt::format("{} {}: sha256 is {}, but the recipe pins {}", what, file.string(), actual, expected));
}

uint64_t virtual_size(const fs::path& image, const std::string& format) {
  return qemu_image_info(image, format).virtual_size;
}

uint64_t check_base_image(const fs::path& base, const std::string& format, uint64_t size) {
  std::string detected = GuestSession::detect_format(base);
  if (detected != format)
    throw Error(fmt::format("base image {} is in {} format, but the recipe says {}", base.string(), detected, format));
  const QemuImageInfo info = qemu_image_info(base, format);
  require_self_contained(info, base, "base image");
  const uint64_t base_size = info.virtual_size;
  if (size < base_size)
    throw Error(fmt::format("disk_size {} is smaller than the base image's virtual size {}", format_size(size),
                            format_size(base_size)));
  return base_size;
}

void make_working_copy(const fs::path& base, const std::string& format, const fs::path& work_image, uint64_t size) {
  if (format == "qcow2") {
    fs::copy_file(base, work_image, fs::copy_options::overwrite_existing);
  } else {
    run_checked({"qemu-img", "convert", "-f", format, "-O", "qcow2", base.string(), work_image.string()});
  }
  run_checked({"qemu-img", "resize", "-q", "-f", "qcow2", work_image.string(), std::to_string(size)});
}

}  // namespace trustnet::baker
