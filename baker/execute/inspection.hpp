#pragma once
// What a bake found on the base's root filesystem, whichever engine looked.
#include <string>

namespace trustnet::baker {

struct Inspection {
  std::string root_device;  // e.g. /dev/sda2, or partition 2 for the direct engine
  std::string filesystem;   // e.g. ext4
  std::string type, distro, arch, product;
  int major = 0, minor = 0;
};

// Throws unless the inspection found Alpine Linux for aarch64.
void check_alpine_aarch64(const Inspection& found);

}  // namespace trustnet::baker
