#pragma once
// An instance's own disks: its system disk, a qcow2 overlay whose backing file is the golden
// image, so the golden image stays untouched and shared, grown to the instance's disk size; its
// state disk, a qcow2 of its own that holds the recipe's state folders and outlives any system
// disk; and for UEFI boots its own copy of the firmware variable store. Each is made once and kept
// across stops; a state disk, once made, is never made again.
#include <optional>
#include <string>
#include <vector>

#include "launcher/config/launch_config.hpp"
#include "launcher/instance/golden_image.hpp"
#include "launcher/instance/instance_paths.hpp"

namespace trustnet::launcher {

// The qemu-img command that makes the overlay (also shown by `launch all --dry-run`).
std::vector<std::string> overlay_command(const std::filesystem::path& golden, const std::filesystem::path& disk,
                                         uint64_t size);

// The qemu-img command that makes a blank state disk (the appliance formats it at its first boot).
std::vector<std::string> state_disk_command(const std::filesystem::path& disk, uint64_t size);

// What was done, one line each ("created disk …"); empty when the disks were already there.
std::vector<std::string> prepare_instance_disk(const InstanceConfig& instance, const InstancePaths& paths,
                                               const GoldenRecord& golden, const Firmware& firmware);

// The golden image an instance's system disk was made from (its disk.json), when it has one.
std::optional<GoldenRecord> system_disk_origin(const InstancePaths& paths);

// An upgrade's moves: the system disk, its record and the golden record go to NAME/previous/ (an
// older set-aside is dropped), so that a new disk can be made; and back, dropping the new ones.
// The state disk is never moved.
std::filesystem::path previous_folder(const InstancePaths& paths);
// The golden image of the system disk an upgrade set aside, when there is one.
std::optional<GoldenRecord> set_aside_origin(const InstancePaths& paths);
void set_aside_system_disk(const InstancePaths& paths);
void restore_system_disk(const InstancePaths& paths);
// The system disk and its record removed (a first one that failed its upgrade gate).
void discard_system_disk(const InstancePaths& paths);

}  // namespace trustnet::launcher
