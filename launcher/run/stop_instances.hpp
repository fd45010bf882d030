#pragma once
// `launch stop all|NAME`: every selected instance in parallel, each by ACPI power-down, then
// SIGTERM, then SIGKILL. The instance disks stay.
#include <chrono>
#include <string>
#include <vector>

#include "launcher/config/launch_config.hpp"
#include "launcher/qemu/qemu_process.hpp"
#include "launcher/run/instance_host.hpp"

namespace trustnet::launcher {

struct StoppedInstance {
  std::string name;
  StopOutcome outcome;
};

std::vector<StoppedInstance> stop_instances(InstanceHost& host, const LaunchConfig& config,
                                            const std::vector<InstanceConfig>& instances,
                                            std::chrono::milliseconds power_down_timeout);

}  // namespace trustnet::launcher
