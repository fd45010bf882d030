#include "launcher/run/start_plan.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <filesystem>

#include "common/util/process.hpp"

namespace trustnet::launcher {
namespace fs = std::filesystem;

std::vector<std::string> StartPlan::qemu_argv(const DiskIo& io) const {
  return qemu_command(*instance, paths, accel, firmware, io);
}

StartPlan plan_start(InstanceHost& host, const InstanceConfig& instance, const InstancePaths& paths,
                     const GoldenRecord& golden, Accel accel, const Firmware& firmware) {
  StartPlan plan{&instance, paths, accel, firmware, plan_instance_disk(instance, paths, golden, firmware), {}};
  if (fs::exists(paths.disk)) plan.io = host.choose_disk_io(instance.identity.name, paths.disk);
  return plan;
}

std::vector<std::string> describe_start(const StartPlan& plan) {
  const std::string& name = plan.instance->identity.name;
  std::vector<std::string> lines;
  for (const DiskAction& action : plan.disk_actions) lines.push_back(describe_action(action, name));
  if (plan.io) {
    lines.push_back(
        fmt::format("# {}: disk {}, which qemu-io accepts on {}", name, plan.io->summary(), plan.paths.disk.string()));
  } else {
    std::vector<std::string> modes;
    for (const DiskIo& mode : disk_io_preference()) modes.push_back(disk_io_text(mode));
    lines.push_back(fmt::format("# {}: disk I/O: the first of {} that qemu-io accepts on the new disk", name,
                                fmt::join(modes, ", ")));
  }
  // A new disk's command is shown in the preferred mode, the one the start tries first.
  lines.push_back(command_line(plan.qemu_argv(plan.io ? plan.io->io : disk_io_preference().front())));
  return lines;
}

std::string carry_out_start(InstanceHost& host, const StartPlan& plan) {
  const std::string& name = plan.instance->identity.name;
  std::string done;
  for (const DiskAction& action : plan.disk_actions)
    if (auto said = carry_out(action, *plan.instance, plan.paths)) done += *said + "; ";
  const DiskIoChoice io = plan.io ? *plan.io : host.choose_disk_io(name, plan.paths.disk);
  const pid_t pid = host.start_qemu(name, plan.qemu_argv(io.io), plan.paths);
  return fmt::format("launch {}: {}started QEMU ({}, disk {}), pid {}", name, done, accel_name(plan.accel),
                     io.summary(), pid);
}

}  // namespace trustnet::launcher
