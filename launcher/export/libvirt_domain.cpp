#include "launcher/export/libvirt_domain.hpp"

#include "launcher/qemu/vm_definition.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "common/util/error.hpp"
#include "common/util/text_values.hpp"

namespace trustnet::launcher {

std::string xml_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    // XML 1.0 has no form for most control characters: a document holding one is not XML.
    if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f)
      throw Error(fmt::format("'{}' holds a control character, which a libvirt domain cannot hold", printable(text)),
                  ExitCode::bad_input);
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string libvirt_domain_xml(const InstanceConfig& instance, const InstancePaths& paths, const std::string& bridge,
                               const DomainSettings& settings, const DiskIo& io) {
  const std::string& name = instance.identity.name;
  require_direct_boot_files(instance);
  const bool kvm = settings.type == DomainType::kvm;
  auto path = [](const std::filesystem::path& p) { return xml_escape(p.string()); };
  std::string xml;
  auto line = [&xml](const std::string& text) { xml += text + "\n"; };

  line(fmt::format("<domain type='{}'>", kvm ? "kvm" : "qemu"));
  line(fmt::format("  <name>trustnet-{}</name>", xml_escape(name)));
  // "TrustNet node (ADDRESS)" for an instance named after its role, else "TrustNet node NAME (…)".
  const std::string role = instance.identity.role == Role::node ? "node" : "registry";
  line(fmt::format("  <description>TrustNet {}{} ({}), exported by launch</description>", role,
                   name == role ? "" : " " + xml_escape(name), xml_escape(instance.identity.address)));
  line(fmt::format("  <memory unit='MiB'>{}</memory>", instance.memory >> 20));
  line(fmt::format("  <vcpu>{}</vcpu>", instance.cpus));
  const VmDefinition vm = vm_definition(instance, paths, io);
  // libvirt numbers I/O threads from 1; QEMU's ids are the definition's.
  if (!vm.iothreads.empty()) line(fmt::format("  <iothreads>{}</iothreads>", vm.iothreads.size()));
  auto iothread_number = [&vm](const std::string& id) {
    return std::find(vm.iothreads.begin(), vm.iothreads.end(), id) - vm.iothreads.begin() + 1;
  };
  line("  <os>");
  line("    <type arch='aarch64' machine='virt'>hvm</type>");
  if (instance.boot == BootMode::uefi) {
    line(fmt::format("    <loader readonly='yes' type='pflash'>{}</loader>", path(settings.firmware.code)));
    // The variable store launch made for this instance (a copy of the template).
    line(fmt::format("    <nvram template='{}'>{}</nvram>", path(settings.firmware.vars_template),
                     path(paths.efi_vars)));
  } else {
    line(fmt::format("    <kernel>{}</kernel>", path(instance.kernel)));
    line(fmt::format("    <initrd>{}</initrd>", path(instance.initrd)));
    line(fmt::format("    <cmdline>{}</cmdline>", xml_escape(instance.append)));
  }
  line("  </os>");
  line("  <features>");
  line("    <acpi/>");
  line(fmt::format("    <gic version='{}'/>", kvm ? "host" : "3"));
  line("  </features>");
  line(kvm ? "  <cpu mode='host-passthrough'/>" : "  <cpu mode='maximum'/>");
  line("  <clock offset='utc'/>");
  line("  <on_poweroff>destroy</on_poweroff>");
  line("  <on_reboot>restart</on_reboot>");
  line("  <on_crash>destroy</on_crash>");
  line("  <devices>");
  line(fmt::format("    <emulator>{}</emulator>", xml_escape(settings.emulator)));
  char target = 'a';
  for (const VmDisk& disk : vm.disks) {
    line("    <disk type='file' device='disk'>");
    std::string driver = fmt::format("      <driver name='qemu' type='{}'", disk.format);
    if (disk.io) driver += fmt::format(" cache='{}' io='{}'", cache_mode(*disk.io), disk.io->aio);
    if (disk.discard) driver += " discard='unmap'";
    if (disk.detect_zeroes) driver += fmt::format(" detect_zeroes='{}'", disk.discard ? "unmap" : "on");
    if (!disk.iothread.empty()) driver += fmt::format(" iothread='{}'", iothread_number(disk.iothread));
    line(driver + "/>");
    line(fmt::format("      <source file='{}'/>", path(disk.file)));
    line(fmt::format("      <target dev='vd{}' bus='virtio'/>", target++));
    if (disk.boot_order) line(fmt::format("      <boot order='{}'/>", *disk.boot_order));
    if (disk.read_only) line("      <readonly/>");
    if (!disk.serial.empty()) line(fmt::format("      <serial>{}</serial>", xml_escape(disk.serial)));
    line("    </disk>");
  }
  for (const VmNic& nic : vm.nics) {
    if (nic.kind == VmNic::Kind::bridge) {
      line("    <interface type='bridge'>");
      line(fmt::format("      <mac address='{}'/>", nic.mac));
      line(fmt::format("      <source bridge='{}'/>", xml_escape(bridge)));
      line("      <model type='virtio'/>");
      line("    </interface>");
      continue;
    }
    // IPv4 through libvirt's user-mode interface, as launch's. Its port forwards need libvirt's
    // passt backend, which Debian 12's libvirt 9.0 refuses ("Invalid value for attribute 'type'
    // in element 'backend'"): the forwards are named in a comment instead.
    line("    <interface type='user'>");
    line(fmt::format("      <mac address='{}'/>", nic.mac));
    for (const auto& forward : nic.forwards)
      line(
          fmt::format("      <!-- launch forwards 127.0.0.1:{} to the guest's port {}; this libvirt cannot "
                      "(port forwards need the passt backend) -->",
                      forward.host, forward.guest));
    line("      <model type='virtio'/>");
    line("    </interface>");
  }
  line("    <serial type='file'>");
  line(fmt::format("      <source path='{}'/>", path(vm.serial_log)));
  line("      <target port='0'/>");
  line("    </serial>");
  line("    <console type='file'>");
  line(fmt::format("      <source path='{}'/>", path(vm.serial_log)));
  line("      <target type='serial' port='0'/>");
  line("    </console>");
  line("    <rng model='virtio'>");
  line(fmt::format("      <backend model='random'>{}</backend>", path(vm.rng_source)));
  line("    </rng>");
  line("  </devices>");
  line("</domain>");
  return xml;
}

}  // namespace trustnet::launcher
