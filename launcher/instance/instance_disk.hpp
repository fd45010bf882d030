#pragma once
// An instance's own disk: a qcow2 overlay whose backing file is the golden image, so the golden
// image stays untouched and shared, grown to the instance's disk size; and for UEFI boots its own
// copy of the firmware variable store. Both are made once and kept across stops.
#include <string>
#include <vector>

#include "launcher/config/launch_config.hpp"
#include "launcher/instance/golden_image.hpp"
#include "launcher/instance/instance_paths.hpp"

namespace trustnet::launcher {

// The qemu-img command that makes the overlay (also shown by `launch all --dry-run`).
std::vector<std::string> overlay_command(const std::filesystem::path& golden, const std::filesystem::path& disk,
                                         uint64_t size);

// What was done, one line each ("created disk …"); empty when the disk was already there.
std::vector<std::string> prepare_instance_disk(const InstanceConfig& instance, const InstancePaths& paths,
                                               const GoldenRecord& golden, const Firmware& firmware);

}  // namespace trustnet::launcher
