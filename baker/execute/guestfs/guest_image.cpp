#include "baker/execute/guestfs/guest_image.hpp"

#include <fmt/format.h>

#include <vector>

#include "baker/execute/root_inspection.hpp"
#include "common/util/error.hpp"

namespace trustnet::baker {

// libguestfs' own inspect_os also parses /etc/fstab through Augeas, which alone costs about 6 s
// per launch under TCG: each ext filesystem of the disk is mounted and read instead.
Inspection inspect_guest_disk(GuestSession& guest, const std::string& disk) {
  std::vector<Inspection> roots;
  for (const auto& device : guest.root_candidates(disk)) {
    const auto type = guest.filesystem_type(device);
    if (!type || !type->starts_with("ext")) continue;  // Alpine roots are ext4
    guest.mount(device, "/", true);
    GuestRoot root(guest);
    if (auto found = inspect_root(root, device, *type)) roots.push_back(std::move(*found));
    guest.umount_all();
  }
  if (roots.empty())
    throw Error(
        fmt::format("inspection found no operating system on {} (no ext filesystem with /etc/os-release)", disk));
  if (roots.size() > 1)
    throw Error(fmt::format("inspection found {} operating systems on {}; expected one", roots.size(), disk));
  return roots.front();
}

OpenImage::Grown GuestImage::grow(const Inspection& found) {
  const uint64_t disk_size = guest_.grow_and_mount_root(found);
  mounted_ = true;
  return {disk_size, guest_.filesystem_size("/")};
}

void GuestImage::pack(const Inspection& found, const std::filesystem::path& tar) {
  if (!mounted_) {
    guest_.mount(found.root_device, "/", true);
    mounted_ = true;
  }
  guest_.tar_out("/", tar);
}

void GuestImage::close(Progress& progress) {
  guest_.umount_all();
  guest_.sync();
  mounted_ = false;
  progress.phase_done("close image");
}

}  // namespace trustnet::baker
