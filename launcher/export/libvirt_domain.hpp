#pragma once
// An instance as a libvirt domain: the same machine, CPU count, memory, firmware, disks, seed and
// MAC as `launch all` gives it, for hosts that run their virtual machines with libvirt (virsh,
// virt-manager, Terraform's and Ansible's libvirt modules). Pure: a value in, XML text out.
#include <string>

#include "launcher/config/launch_config.hpp"
#include "launcher/qemu/qemu_command.hpp"

namespace trustnet::launcher {

// kvm on an aarch64 host with /dev/kvm; qemu (TCG) elsewhere.
enum class DomainType { kvm, qemu };

struct DomainSettings {
  DomainType type = DomainType::kvm;
  Firmware firmware;
  std::string emulator = "/usr/bin/qemu-system-aarch64";
};

// The domain is named trustnet-NAME; its NIC is on `bridge` (libvirt makes the tap), the serial
// console goes to the instance's serial.log; the instance disk does its I/O in mode `io`.
std::string libvirt_domain_xml(const InstanceConfig& instance, const InstancePaths& paths, const std::string& bridge,
                               const DomainSettings& settings, const DiskIo& io = {});

// Text for an XML attribute or element: & < > " ' as entities.
std::string xml_escape(const std::string& text);

}  // namespace trustnet::launcher
