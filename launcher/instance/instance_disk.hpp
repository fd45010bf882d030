#pragma once
// An instance's own disks: its system disk, a qcow2 overlay whose backing file is the pin of its
// golden image, so the golden image stays untouched and shared, grown to the instance's disk size;
// its state disk, a qcow2 of its own that holds the recipe's state folders and outlives any system
// disk; and for UEFI boots its own copy of the firmware variable store. Each is made once and kept
// across stops; a state disk, once made, is never made again. The steps are disk_actions.hpp's.
#include <optional>
#include <string>
#include <vector>

#include "launcher/config/launch_config.hpp"
#include "launcher/instance/disk_actions.hpp"
#include "launcher/instance/golden_image.hpp"
#include "launcher/instance/instance_paths.hpp"

namespace trustnet::launcher {

// The steps of disk_actions.hpp planned and carried out: the steps, and what they did in words,
// one line each ("created disk …"); `done` is empty when the disks were already there.
struct PreparedDisk {
  std::vector<DiskAction> actions;
  std::vector<std::string> done;
};
PreparedDisk prepare_instance_disk(const InstanceConfig& instance, const InstancePaths& paths,
                                   const GoldenRecord& golden, const Firmware& firmware);

// The golden image an instance's system disk was made from, recorded beside it (disk.json): an
// overlay on a different backing image would read as garbage.
std::filesystem::path system_disk_record(const InstancePaths& paths);
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
