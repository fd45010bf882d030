#include "launcher/qemu/vm_definition.hpp"

#include <fmt/format.h>

#include "launcher/network/tap_name.hpp"

namespace trustnet::launcher {

namespace {

// The user-mode NIC gets its own stable MAC, next to the bridge one.
std::string second_mac(const std::string& mac) {
  const int last = std::stoi(mac.substr(15, 2), nullptr, 16) ^ 0x01;
  return fmt::format("{}{:02x}", mac.substr(0, 15), last);
}

}  // namespace

VmDefinition vm_definition(const InstanceConfig& instance, const InstancePaths& paths, const DiskIo& io) {
  VmDefinition vm;
  vm.name = instance.identity.name;
  vm.cpus = instance.cpus;
  vm.memory = instance.memory;
  vm.boot = instance.boot;
  vm.efi_vars = paths.efi_vars;
  vm.kernel = instance.kernel;
  vm.initrd = instance.initrd;
  vm.append = instance.append;
  // The instance disk carries the appliance's writes (the chain, the registry's blobs): its own
  // I/O thread, no double caching, TRIM and zero writes passed down. The seed is read once at boot.
  vm.iothreads = {"io0"};
  vm.disks = {{.id = "disk0",
               .file = paths.disk,
               .format = "qcow2",
               .discard = true,
               .detect_zeroes = true,
               .io = io,
               .iothread = "io0",
               .boot_order = 1},
              {.id = "seed", .file = paths.seed, .format = "raw", .read_only = true},
              // Last, so that the system disk's and the seed's names in the guest stay as they were;
              // the appliance finds it by its serial.
              {.id = "state",
               .file = paths.state_disk,
               .format = "qcow2",
               .discard = true,
               .detect_zeroes = true,
               .io = io,
               .iothread = "io0",
               .serial = "trustnet-state"}};
  vm.nics = {{VmNic::Kind::bridge, "ula", instance.mac, tap_name(vm.name), {}},
             {VmNic::Kind::user, "v4", second_mac(instance.mac), {}, instance.forwards}};
  vm.serial_log = paths.serial_log;
  return vm;
}

}  // namespace trustnet::launcher
