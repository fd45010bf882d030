#pragma once
// The qemu-system-aarch64 command line of one instance, as a value: built here, printed by
// `launch all --dry-run`, spawned by the process runner. Pure: the host facts come in as values.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "launcher/config/launch_config.hpp"
#include "launcher/network/tap_name.hpp"

namespace trustnet::launcher {

enum class Accel { kvm, hvf, tcg };

struct HostFacts {
  std::string os;    // "linux", "darwin"
  std::string arch;  // "aarch64", "x86_64", "arm64"
  bool dev_kvm = false;
};

// KVM on an aarch64 Linux host with /dev/kvm, HVF on an Apple silicon Mac, TCG otherwise;
// `forced` wins (and is refused where it cannot work).
Accel choose_accel(const HostFacts& host, std::optional<Accel> forced);
std::string accel_name(Accel accel);

struct InstancePaths {
  std::filesystem::path disk, seed, efi_vars, serial_log, qmp_socket, pid_file, health_record;
  static InstancePaths in(const std::filesystem::path& state_dir, const std::string& name);
};

struct Firmware {
  std::filesystem::path code = "/usr/share/AAVMF/AAVMF_CODE.fd";  // qemu-efi-aarch64
  std::filesystem::path vars_template = "/usr/share/AAVMF/AAVMF_VARS.fd";
};

// A value inside QEMU's "key=value,..." options: commas doubled, so a path with a comma stays one value.
std::string qemu_value(const std::string& value);

// The serial console to a file and the QMP socket, as -chardev options (which take any path).
std::vector<std::string> console_and_qmp_options(const InstancePaths& paths);

// A direct-boot instance names its kernel and initrd (both machine descriptions need them).
void require_direct_boot_files(const InstanceConfig& instance);

// IPv4 forwards listen on the host's loopback only (127.0.0.1:3222 and so on): the IPv4 way in is
// for the host's own operator, never for its network.
std::vector<std::string> qemu_command(const InstanceConfig& instance, const InstancePaths& paths, Accel accel,
                                      const Firmware& firmware);

}  // namespace trustnet::launcher
