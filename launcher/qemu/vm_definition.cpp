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

VmDefinition vm_definition(const InstanceConfig& instance, const InstancePaths& paths) {
  VmDefinition vm;
  vm.name = instance.identity.name;
  vm.cpus = instance.cpus;
  vm.memory = instance.memory;
  vm.boot = instance.boot;
  vm.efi_vars = paths.efi_vars;
  vm.kernel = instance.kernel;
  vm.initrd = instance.initrd;
  vm.append = instance.append;
  vm.disks = {{"disk0", paths.disk, "qcow2", false, true, 1}, {"seed", paths.seed, "raw", true, false, std::nullopt}};
  vm.nics = {{VmNic::Kind::bridge, "ula", instance.mac, tap_name(vm.name), {}},
             {VmNic::Kind::user, "v4", second_mac(instance.mac), {}, instance.forwards}};
  vm.serial_log = paths.serial_log;
  return vm;
}

}  // namespace trustnet::launcher
