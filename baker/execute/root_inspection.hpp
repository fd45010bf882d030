#pragma once
// The direct engine's inspection: what libguestfs' would report, read from the root filesystem.
#include "baker/execute/ext4/direct_disk.hpp"
#include "baker/execute/ext4/ext4_root.hpp"
#include "baker/execute/inspection.hpp"

namespace trustnet::baker {

Inspection inspect_root(Ext4Root& root, const DirectDisk& disk);

}  // namespace trustnet::baker
