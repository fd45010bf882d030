#pragma once
// Which engine edits an image: `ext4` (libext2fs in this process: no appliance, no kernel, no
// privileges), `guestfs` (a libguestfs appliance), or `automatic`: ext4 whenever the base's root
// allows it, else libguestfs with one line saying why.
#include <string>

namespace trustnet::baker {

enum class BakeEngine { automatic, ext4, guestfs };

BakeEngine parse_bake_engine(const std::string& name);  // auto, ext4 or guestfs; anything else an Error

}  // namespace trustnet::baker
