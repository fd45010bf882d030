#pragma once
// One instance's virtual machine as a value: its disks, NICs, firmware or kernel, RNG and
// console. Both descriptions of the machine are rendered from it, the QEMU command line of
// `launch all` (qemu_command) and the libvirt domain of `launch export libvirt`
// (libvirt_domain_xml), so that the two cannot drift apart. Pure.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "launcher/config/launch_config.hpp"
#include "launcher/instance/instance_paths.hpp"
#include "launcher/qemu/disk_io.hpp"

namespace trustnet::launcher {

struct VmDisk {
  std::string id;  // QEMU's drive id
  std::filesystem::path file;
  std::string format;  // qcow2 or raw
  bool read_only = false;
  bool discard = false;        // the guest's TRIM frees the image's clusters
  bool detect_zeroes = false;  // blocks of zeros written become holes (with discard: unmapped)
  std::optional<DiskIo> io;    // QEMU's defaults (the page cache, a thread pool) when unset
  std::string iothread;        // the I/O thread that serves the disk, off QEMU's main loop; "" for none
  std::optional<int> boot_order;
  std::string serial;  // what the guest reads in /sys/block/vdX/serial; "" for none
};

struct VmNic {
  enum class Kind {
    bridge,  // the ULA network: a tap on the host's bridge
    user,    // IPv4 through QEMU's user-mode stack, with the forwards on the host's loopback
  };
  Kind kind = Kind::bridge;
  std::string id;   // QEMU's netdev id
  std::string mac;  // stable, from the instance's name
  std::string tap;  // bridge only: the tap `launch network up` made
  std::vector<PortForward> forwards;
};

struct VmDefinition {
  std::string name;  // the instance's name
  unsigned cpus = 1;
  uint64_t memory = 0;  // bytes
  BootMode boot = BootMode::uefi;
  std::filesystem::path efi_vars;  // UEFI: the instance's variable store
  std::filesystem::path kernel, initrd;
  std::string append;                  // direct boot
  std::vector<std::string> iothreads;  // their ids
  std::vector<VmDisk> disks;
  std::vector<VmNic> nics;
  std::filesystem::path rng_source = "/dev/urandom";  // a virtio RNG fed from it
  std::filesystem::path serial_log;                   // the serial console, written to a file
};

// `io` is the instance disk's I/O mode: the host's choice (choose_disk_io) when it starts.
VmDefinition vm_definition(const InstanceConfig& instance, const InstancePaths& paths, const DiskIo& io = {});

}  // namespace trustnet::launcher
