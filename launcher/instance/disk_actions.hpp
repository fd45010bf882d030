#pragma once
// The preparation of an instance's disks as values: plan_instance_disk looks (at the disks, their
// records and headers, the pins) and decides every step, refusing what a start refuses;
// `launch --dry-run` prints the steps; carry_out does them, one by one, and nothing else is done
// (instance_disk.cpp's prepare_instance_disk is the two together).
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "launcher/config/launch_config.hpp"
#include "launcher/instance/golden_image.hpp"
#include "launcher/instance/instance_paths.hpp"

namespace trustnet::launcher {

struct DiskAction {
  enum class Kind {
    make_folder,        // the instance's folder, 0700
    check_pin,          // the pin `source` still hashes to `sha256`
    pin_image,          // the golden image `source` copied to its pin `target`, hashed as it is copied
    pin_existing_disk,  // a disk made by an older launch on `source` itself: pin it, rebase `target` onto the pin
    make_overlay,       // the system disk `target`: a qcow2 overlay on the pin `source`, `size` bytes
    grow_disk,          // `target` grown to `size` bytes (qemu-img resize)
    make_state_disk,    // a blank qcow2 of `size` bytes, and its record
    record_state_disk,  // a state disk made before its record was kept: the record of its `size`
    note,               // nothing to do; `text` says something the operator should know
    copy_efi_vars,      // the firmware's variable store template `source` copied to `target`
  };
  Kind kind = Kind::note;
  std::filesystem::path target, source;
  uint64_t size = 0;
  std::string sha256;                  // check_pin, pin_image, pin_existing_disk
  std::filesystem::path golden_image;  // make_overlay: the image the pin is a copy of, for the report
  std::string text;                    // note

  bool operator==(const DiskAction&) const = default;
};

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
