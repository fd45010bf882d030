#pragma once
// `launch all|NAME`: verify each golden image, prepare each instance's disk, start the QEMUs in
// parallel, then wait until every instance answers, with a live display on stderr. QEMU, probes
// and time go through the InstanceHost given (instance_host.hpp).
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "launcher/config/launch_config.hpp"
#include "launcher/health/instance_health.hpp"
#include "launcher/qemu/qemu_command.hpp"
#include "launcher/run/instance_host.hpp"

namespace trustnet::launcher {

enum class WaitFor { started, reachable, up };

struct LaunchOptions {
  std::optional<Accel> accel;
  WaitFor wait = WaitFor::up;
  std::chrono::seconds timeout{300};
  Firmware firmware;
  bool quiet = false;
  // A rollback: each instance starts from the image its golden.json records, which its disk's pin
  // holds; the configured image (perhaps replaced at its path since) is not read.
  bool recorded_image = false;
  // How long to wait for the state folder while another launch holds it (0: refuse at once).
  // Instance units start side by side, and each takes the folder for the moment its start lasts.
  std::chrono::seconds lock_wait{0};
};

// What `launch` would do, without doing any of it: the commands it would run, shell-quoted, and
// the steps that are not one command as `# NAME: ...` lines; the disks' steps are those a start
// carries out (instance/disk_actions.hpp). `stop` is the first refusal a start would meet.
struct LaunchPlan {
  std::vector<std::string> lines;
  std::optional<std::string> stop;
};
LaunchPlan launch_plan(InstanceHost& host, const LaunchConfig& config, const std::vector<InstanceConfig>& instances,
                       const LaunchOptions& options);

// The CA `launch init` made, which the service probes verify the instances' certificates with.
std::filesystem::path network_ca_file(const LaunchConfig& config);

// Starts the instances and waits; returns the final rows. Throws when one cannot start, exits
// while booting, or does not reach `options.wait` in time (the instances that run stay running).
std::vector<HealthRow> launch_instances(InstanceHost& host, const LaunchConfig& config,
                                        const std::vector<InstanceConfig>& instances, const LaunchOptions& options);

// Each instance's state as `launch status` shows it: the same probes and patience as the wait of
// `launch all`, until each kind has a verdict; what answered earlier in the QEMU's life counts.
std::vector<HealthRow> instance_status(InstanceHost& host, const LaunchConfig& config,
                                       const std::vector<InstanceConfig>& instances);

}  // namespace trustnet::launcher
