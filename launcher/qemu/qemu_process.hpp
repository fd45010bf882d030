#pragma once
// Starting and stopping an instance's QEMU. QEMU runs detached from the launcher (not its child,
// its output in the instance's qemu.log) and writes its pid file, so an instance outlives the
// launcher; stopping asks the guest first (ACPI power-down through
// QMP), then QEMU (SIGTERM), then the kernel (SIGKILL).
#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "launcher/qemu/qemu_command.hpp"

namespace trustnet::launcher {

// Runs the command built by qemu_command(); returns QEMU's pid once its QMP monitor answers. A
// QEMU that exits first is an Error with the last line it wrote.
pid_t start_qemu(const std::string& name, const std::vector<std::string>& argv, const InstancePaths& paths,
                 std::chrono::milliseconds timeout = std::chrono::seconds(60));

struct StopOutcome {
  enum class How { not_running, powered_off, terminated, killed } how = How::not_running;
  double seconds = 0;
  std::string note;  // why the power-down did not happen, when it did not
};

StopOutcome stop_qemu(const InstancePaths& paths, std::chrono::milliseconds power_down_timeout);
std::string describe(const StopOutcome& outcome);

}  // namespace trustnet::launcher
