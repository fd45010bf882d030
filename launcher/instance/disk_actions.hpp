#pragma once
// The preparation of an instance's disks as values: plan_instance_disk looks (at the disks, their
// records and headers, the pins) and decides every step, refusing what a start refuses;
// `launch --dry-run` prints the steps; carry_out does them, one by one, and nothing else is done
// (instance_disk.cpp's prepare_instance_disk is the two together).
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "launcher/config/launch_config.hpp"
#include "launcher/instance/golden_image.hpp"
#include "launcher/instance/instance_paths.hpp"

namespace trustnet::launcher {

// One step, typed: what it needs and nothing else.
namespace disk_step {
struct MakeFolder {  // the instance's folder, 0700
  std::filesystem::path folder;
  bool operator==(const MakeFolder&) const = default;
};
struct CheckPin {  // the pin still hashes to `sha256`
  std::filesystem::path pin;
  std::string sha256;
  bool operator==(const CheckPin&) const = default;
};
struct PinImage {  // the golden image copied to its pin, hashed as it is copied
  std::filesystem::path image, pin;
  std::string sha256;
  bool operator==(const PinImage&) const = default;
};
struct PinExistingDisk {  // a disk made by an older launch on `backing` itself: pin it, rebase the disk onto the pin
  std::filesystem::path disk, backing;
  std::string sha256;
  bool operator==(const PinExistingDisk&) const = default;
};
struct MakeOverlay {  // the system disk: a qcow2 overlay of `size` bytes on the pin of `golden_image`
  std::filesystem::path disk, pin;
  uint64_t size = 0;
  std::string sha256;
  std::filesystem::path golden_image;  // what the pin is a copy of, for the report
  bool operator==(const MakeOverlay&) const = default;
};
struct GrowDisk {  // qemu-img resize
  std::filesystem::path disk;
  uint64_t size = 0;
  bool operator==(const GrowDisk&) const = default;
};
struct MakeStateDisk {  // a blank qcow2, and its record
  std::filesystem::path disk;
  uint64_t size = 0;
  bool operator==(const MakeStateDisk&) const = default;
};
struct RecordStateDisk {  // a state disk made before its record was kept: the record of its size
  std::filesystem::path record;
  uint64_t size = 0;
  bool operator==(const RecordStateDisk&) const = default;
};
struct Note {  // nothing to do; something the operator should know
  std::string text;
  bool operator==(const Note&) const = default;
};
struct CopyEfiVars {  // the firmware's variable store template copied as the instance's own
  std::filesystem::path template_file, vars;
  bool operator==(const CopyEfiVars&) const = default;
};
}  // namespace disk_step

using DiskAction =
    std::variant<disk_step::MakeFolder, disk_step::CheckPin, disk_step::PinImage, disk_step::PinExistingDisk,
                 disk_step::MakeOverlay, disk_step::GrowDisk, disk_step::MakeStateDisk, disk_step::RecordStateDisk,
                 disk_step::Note, disk_step::CopyEfiVars>;

// The steps that make `paths` ready to boot `golden` (whose sha256 names its pin), in order; none
// when everything is there. Reads only; throws what a start would refuse (a disk made from
// another image, a lost state disk, no variable store template).
std::vector<DiskAction> plan_instance_disk(const InstanceConfig& instance, const InstancePaths& paths,
                                           const GoldenRecord& golden, const Firmware& firmware);

// The steps of a new system disk for `golden` (its pin, the overlay on it), whatever disk is there
// now: what an upgrade makes once it has set the current disk aside.
std::vector<DiskAction> plan_new_system_disk(const InstanceConfig& instance, const InstancePaths& paths,
                                             const GoldenRecord& golden);

// The step as the dry run prints it: the command it runs (shell-quoted), or `# NAME: ` and what
// it does in words.
std::string describe_action(const DiskAction& action, const std::string& name);

// Does the step; returns what it did in words when that is news to the operator (a check says
// nothing when it passes).
std::optional<std::string> carry_out(const DiskAction& action, const InstanceConfig& instance,
                                     const InstancePaths& paths);

// The qemu-img command that makes the overlay.
std::vector<std::string> overlay_command(const std::filesystem::path& golden, const std::filesystem::path& disk,
                                         uint64_t size);
// The qemu-img command that makes a blank state disk (the appliance formats it at its first boot).
std::vector<std::string> state_disk_command(const std::filesystem::path& disk, uint64_t size);
// The qemu-img command that grows a system disk.
std::vector<std::string> grow_command(const std::filesystem::path& disk, uint64_t size);

}  // namespace trustnet::launcher
