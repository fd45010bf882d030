#pragma once
// One instance's start as a value: the steps that prepare its disks, the disk I/O mode, and the
// QEMU command. `launch --dry-run` prints it; `launch all` carries out the same value.
#include <optional>
#include <string>
#include <vector>

#include "launcher/instance/disk_actions.hpp"
#include "launcher/qemu/disk_io.hpp"
#include "launcher/qemu/qemu_command.hpp"
#include "launcher/run/instance_host.hpp"

namespace trustnet::launcher {

struct StartPlan {
  const InstanceConfig* instance = nullptr;
  InstancePaths paths;
  Accel accel = Accel::tcg;
  Firmware firmware;
  std::vector<DiskAction> disk_actions;
  // The mode qemu-io accepts on the system disk, chosen while planning when the disk is there;
  // a new disk's is chosen once it is made (qemu-io needs the file).
  std::optional<DiskIoChoice> io;

  // The QEMU command for the disk in mode `io`.
  std::vector<std::string> qemu_argv(const DiskIo& io) const;
};

// Reads only; throws what a start would refuse (plan_instance_disk's refusals).
StartPlan plan_start(InstanceHost& host, const InstanceConfig& instance, const InstancePaths& paths,
                     const GoldenRecord& golden, Accel accel, const Firmware& firmware);

// What `launch --dry-run` prints for it: each disk step, the I/O mode, the QEMU command.
std::vector<std::string> describe_start(const StartPlan& plan);

// Carries it out: the disk steps, the I/O mode, QEMU started through `host`. Returns the line
// that says what was done ("launch NAME: created disk …; started QEMU (tcg, disk …), pid N").
std::string carry_out_start(InstanceHost& host, const StartPlan& plan);

}  // namespace trustnet::launcher
