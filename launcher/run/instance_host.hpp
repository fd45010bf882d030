#pragma once
// What the orchestration (`launch all`, `stop`, `status`, `upgrade`) does to the world, behind one
// interface: start an instance's QEMU and stop it, read its runtime, probe it, wait. The machine's
// host does it for real; a test's host answers as the test says, so that timeouts, exits and
// rollbacks are exercised in a second instead of a boot (as ninja drives its builder through a
// fake command runner). Disks, identities and records are files in the state folder either way.
#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/util/clock.hpp"
#include "launcher/config/launch_config.hpp"
#include "launcher/health/prober.hpp"
#include "launcher/instance/instance_paths.hpp"
#include "launcher/instance/instance_runtime.hpp"
#include "launcher/qemu/accel.hpp"
#include "launcher/qemu/disk_io.hpp"
#include "launcher/qemu/qemu_process.hpp"

namespace trustnet::launcher {

class InstanceHost {
 public:
  virtual ~InstanceHost() = default;

  // The facts that choose the accelerator.
  virtual HostFacts facts() = 0;
  // Whether a program can be run by name.
  virtual bool has_program(const std::string& program) = 0;
  // Whether nothing listens on (and nothing else holds) 127.0.0.1:port.
  virtual bool loopback_port_free(int port) = 0;
  // The bridge and the instances' taps are in place (`launch network up`); an Error otherwise.
  virtual void require_network(const LaunchConfig& config, const std::vector<InstanceConfig>& instances) = 0;

  // The disk I/O mode the host accepts on `disk` (tried with qemu-io: disk_io.hpp).
  virtual DiskIoChoice choose_disk_io(const std::string& name, const std::filesystem::path& disk) = 0;
  // Starts the command qemu_command() built; returns QEMU's pid once it answers.
  virtual pid_t start_qemu(const std::string& name, const std::vector<std::string>& argv,
                           const InstancePaths& paths) = 0;
  // ACPI power-down, then SIGTERM, then SIGKILL (qemu_process.hpp).
  virtual StopOutcome stop_qemu(const InstancePaths& paths, std::chrono::milliseconds power_down_timeout) = 0;
  virtual Runtime runtime(const InstancePaths& paths) = 0;
  // How QEMU `pid` ended, as a wait status (waitpid(2)), once it has; nothing while it runs; -1
  // when it ended and its status cannot be known (it was not this process's to reap: a
  // supervisor makes itself the subreaper of the QEMUs it starts).
  virtual std::optional<int> reap(pid_t pid) = 0;
  // Forgets a QEMU that is gone: its pid file, QMP socket and health record.
  virtual void remove_runtime(const InstancePaths& paths) = 0;

  virtual Prober& prober() = 0;
  virtual Clock& clock() = 0;
};

// This machine: real QEMUs, the network, the steady clock.
InstanceHost& machine_host();

}  // namespace trustnet::launcher
