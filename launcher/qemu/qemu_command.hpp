#pragma once
// The qemu-system-aarch64 command line of one instance, as a value: built here, printed by
// `launch all --dry-run`, spawned by the process runner. Pure: the host facts come in as values.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "launcher/config/launch_config.hpp"
#include "launcher/instance/instance_paths.hpp"
#include "launcher/network/tap_name.hpp"
#include "launcher/qemu/accel.hpp"
#include "launcher/qemu/disk_io.hpp"

namespace trustnet::launcher {

// A value inside QEMU's "key=value,..." options: commas doubled, so a path with a comma stays one value.
std::string qemu_value(const std::string& value);

// The serial console to a file and the QMP socket, as -chardev options (which take any path).
std::vector<std::string> console_and_qmp_options(const InstancePaths& paths);

// A direct-boot instance names its kernel and initrd (both machine descriptions need them).
void require_direct_boot_files(const InstanceConfig& instance);

// IPv4 forwards listen on the host's loopback (127.0.0.1:3222 and so on): the IPv4 way in is for
// the host's own operator, never for its network, unless a forward says public (an ACME
// challenge): then on every IPv4 address, on its `via` port when the host port is below 1024.
// `io` is the instance disk's I/O mode, as choose_disk_io found the host accepts.
std::vector<std::string> qemu_command(const InstanceConfig& instance, const InstancePaths& paths, Accel accel,
                                      const Firmware& firmware, const DiskIo& io = {});

}  // namespace trustnet::launcher
