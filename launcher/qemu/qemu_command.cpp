#include "launcher/qemu/qemu_command.hpp"

#include <fmt/format.h>

#include "common/util/error.hpp"
#include "common/util/sha256.hpp"
#include "launcher/qemu/vm_definition.hpp"

namespace trustnet::launcher {
namespace fs = std::filesystem;

std::string qemu_value(const std::string& value) {
  std::string escaped;
  for (char c : value) escaped += c == ',' ? std::string(",,") : std::string(1, c);
  return escaped;
}

std::vector<std::string> console_and_qmp_options(const InstancePaths& paths) {
  return {"-chardev", fmt::format("file,id=console,path={}", qemu_value(paths.serial_log.string())),
          "-serial",  "chardev:console",
          "-chardev", fmt::format("socket,id=qmp,path={},server=on,wait=off", qemu_value(paths.qmp_socket.string())),
          "-mon",     "chardev=qmp,mode=control"};
}

void require_direct_boot_files(const InstanceConfig& instance) {
  if (instance.boot == BootMode::direct && (instance.kernel.empty() || instance.initrd.empty()))
    throw Error(fmt::format("instance {} boots directly but no kernel and initrd were given", instance.identity.name));
}

std::vector<std::string> qemu_command(const InstanceConfig& instance, const InstancePaths& paths, Accel accel,
                                      const Firmware& firmware, const DiskIo& io) {
  const std::string& name = instance.identity.name;
  require_direct_boot_files(instance);
  std::vector<std::string> argv{"qemu-system-aarch64", "-name", fmt::format("{},process=trustnet-{}", name, name)};
  argv.insert(argv.end(), {"-machine", accel == Accel::tcg ? "virt,gic-version=3" : "virt,gic-version=max"});
  argv.insert(argv.end(), {"-accel", accel == Accel::tcg ? "tcg,thread=multi" : accel_name(accel)});
  argv.insert(argv.end(), {"-cpu", accel == Accel::tcg ? "max" : "host"});
  argv.insert(argv.end(), {"-smp", std::to_string(instance.cpus), "-m", fmt::format("{}M", instance.memory >> 20)});
  argv.insert(argv.end(), {"-nodefaults", "-display", "none"});
  if (instance.boot == BootMode::uefi) {
    argv.insert(argv.end(), {"-drive", fmt::format("if=pflash,format=raw,unit=0,readonly=on,file={}",
                                                   qemu_value(firmware.code.string()))});
    argv.insert(argv.end(),
                {"-drive", fmt::format("if=pflash,format=raw,unit=1,file={}", qemu_value(paths.efi_vars.string()))});
  } else {
    argv.insert(argv.end(),
                {"-kernel", instance.kernel.string(), "-initrd", instance.initrd.string(), "-append", instance.append});
  }
  const VmDefinition vm = vm_definition(instance, paths, io);
  for (const std::string& iothread : vm.iothreads) argv.insert(argv.end(), {"-object", "iothread,id=" + iothread});
  for (const VmDisk& disk : vm.disks) {
    std::string drive = fmt::format("if=none,id={},format={}", disk.id, disk.format);
    if (disk.read_only) drive += ",readonly=on";
    if (disk.io) drive += "," + disk_io_text(*disk.io);
    if (disk.discard) drive += ",discard=unmap";
    if (disk.detect_zeroes) drive += disk.discard ? ",detect-zeroes=unmap" : ",detect-zeroes=on";
    drive += ",file=" + qemu_value(disk.file.string());
    std::string device = "virtio-blk-pci,drive=" + disk.id;
    if (!disk.iothread.empty()) device += ",iothread=" + disk.iothread;
    if (!disk.serial.empty()) device += ",serial=" + qemu_value(disk.serial);
    if (disk.boot_order) device += fmt::format(",bootindex={}", *disk.boot_order - 1);
    argv.insert(argv.end(), {"-drive", drive, "-device", device});
  }
  for (const VmNic& nic : vm.nics) {
    std::string netdev = nic.kind == VmNic::Kind::bridge
                             ? fmt::format("tap,id={},ifname={},script=no,downscript=no", nic.id, nic.tap)
                             : fmt::format("user,id={}", nic.id);
    for (const auto& forward : nic.forwards)
      netdev += fmt::format(",hostfwd=tcp:{}:{}-:{}", forward.everywhere ? "0.0.0.0" : "127.0.0.1", forward.qemu_port(),
                            forward.guest);
    argv.insert(argv.end(),
                {"-netdev", netdev, "-device", fmt::format("virtio-net-pci,netdev={},mac={}", nic.id, nic.mac)});
  }
  argv.insert(argv.end(), {"-object", fmt::format("rng-random,id=rng0,filename={}", qemu_value(vm.rng_source.string())),
                           "-device", "virtio-rng-pci,rng=rng0"});
  // A guest kernel that panics tells QEMU (pvpanic), which then exits with status 1 instead of
  // leaving a frozen machine: its supervisor starts it again.
  argv.insert(argv.end(), {"-device", "pvpanic-pci", "-action", "panic=exit-failure"});
  const auto console = console_and_qmp_options(paths);
  argv.insert(argv.end(), console.begin(), console.end());
  // Confined: no obsolete system calls, no set*id, no fork or exec, no scheduler or CPU
  // affinity changes (QEMU 7.2's seccomp filter).
  argv.insert(argv.end(), {"-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"});
  argv.insert(argv.end(), {"-pidfile", paths.pid_file.string()});
  return argv;
}

}  // namespace trustnet::launcher
