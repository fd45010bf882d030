#pragma once
// What libguestfs' inspection reports of an operating system's root, read from the root itself
// whichever engine opened it: /etc/os-release and the architecture of the shell.
#include <optional>
#include <string>

#include "baker/execute/inspection.hpp"
#include "baker/execute/root_filesystem.hpp"

namespace trustnet::baker {

// Nothing when the root has no /etc/os-release (it is not an operating system's root).
std::optional<Inspection> inspect_root(RootFilesystem& root, const std::string& root_device,
                                       const std::string& filesystem);

}  // namespace trustnet::baker
