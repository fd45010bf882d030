#include "launcher/qemu/qemu_command.hpp"

#include <doctest/doctest.h>

#include <algorithm>

#include "common/util/error.hpp"
#include "support/test_paths.hpp"

using namespace trustnet;
using namespace trustnet::launcher;

namespace {

InstanceConfig node() { return load_launch_config(test::source_dir() / "launcher/trustnet.yaml").instances.at(0); }

// Every value that follows `flag` in the argument vector, in order.
std::vector<std::string> values_of(const std::vector<std::string>& argv, const std::string& flag) {
  std::vector<std::string> values;
  for (size_t i = 0; i + 1 < argv.size(); ++i)
    if (argv[i] == flag) values.push_back(argv[i + 1]);
  return values;
}

bool has(const std::vector<std::string>& argv, const std::string& word) {
  return std::find(argv.begin(), argv.end(), word) != argv.end();
}

const InstancePaths kPaths = InstancePaths::in("/srv/vms", "node");

}  // namespace

TEST_CASE(
    "a UEFI instance under TCG gets firmware, its own variable store, disk, seed, both NICs, serial log, QMP, pid "
    "file and a panic device") {
  const auto argv = qemu_command(node(), kPaths, Accel::tcg, Firmware{});
  CHECK(argv.front() == "qemu-system-aarch64");
  CHECK(values_of(argv, "-machine") == std::vector<std::string>{"virt,gic-version=3"});
  CHECK(values_of(argv, "-accel") == std::vector<std::string>{"tcg,thread=multi"});
  CHECK(values_of(argv, "-cpu") == std::vector<std::string>{"max"});
  CHECK(values_of(argv, "-smp") == std::vector<std::string>{"4"});
  CHECK(values_of(argv, "-m") == std::vector<std::string>{"8192M"});
  CHECK(values_of(argv, "-drive") ==
        std::vector<std::string>{"if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/AAVMF/AAVMF_CODE.fd",
                                 "if=pflash,format=raw,unit=1,file=/srv/vms/node/efivars.fd",
                                 "if=none,id=disk0,format=qcow2,cache=none,aio=io_uring,discard=unmap,detect-zeroes="
                                 "unmap,file=/srv/vms/node/disk.qcow2",
                                 "if=none,id=seed,format=raw,readonly=on,file=/srv/vms/node/seed.iso",
                                 "if=none,id=state,format=qcow2,cache=none,aio=io_uring,discard=unmap,detect-zeroes="
                                 "unmap,file=/srv/vms/node/state.qcow2"});
  // The instance disk on an I/O thread of its own.
  CHECK(values_of(argv, "-object")[0] == "iothread,id=io0");
  const auto netdevs = values_of(argv, "-netdev");
  REQUIRE(netdevs.size() == 2);
  CHECK(netdevs[0] == "tap,id=ula,ifname=tn-node,script=no,downscript=no");
  CHECK(netdevs[1] == "user,id=v4,hostfwd=tcp:127.0.0.1:3222-:22");
  // A public forward: every IPv4 address, on its unprivileged port when the host's is below 1024.
  InstanceConfig acme = node();
  acme.forwards.push_back({443, 8053, true, 8443});
  acme.forwards.push_back({9443, 8053, true, 0});
  CHECK(values_of(qemu_command(acme, kPaths, Accel::tcg, Firmware{}), "-netdev")[1] ==
        "user,id=v4,hostfwd=tcp:127.0.0.1:3222-:22,hostfwd=tcp:0.0.0.0:8443-:8053,hostfwd=tcp:0.0.0.0:9443-:8053");
  const auto devices = values_of(argv, "-device");
  CHECK(std::find(devices.begin(), devices.end(), "virtio-net-pci,netdev=ula,mac=" + node().mac) != devices.end());
  CHECK(std::find(devices.begin(), devices.end(), "virtio-blk-pci,drive=disk0,iothread=io0,bootindex=0") !=
        devices.end());
  CHECK(std::find(devices.begin(), devices.end(), "virtio-blk-pci,drive=seed") != devices.end());
  CHECK(std::find(devices.begin(), devices.end(), "virtio-blk-pci,drive=state,iothread=io0,serial=trustnet-state") !=
        devices.end());
  // A guest panic ends QEMU with status 1, for its supervisor to start it again.
  CHECK(std::find(devices.begin(), devices.end(), "pvpanic-pci") != devices.end());
  CHECK(values_of(argv, "-action") == std::vector<std::string>{"panic=exit-failure"});
  CHECK(values_of(argv, "-chardev") ==
        std::vector<std::string>{"file,id=console,path=/srv/vms/node/serial.log",
                                 "socket,id=qmp,path=/srv/vms/node/qmp.sock,server=on,wait=off"});
  CHECK(values_of(argv, "-serial") == std::vector<std::string>{"chardev:console"});
  CHECK(values_of(argv, "-mon") == std::vector<std::string>{"chardev=qmp,mode=control"});
  CHECK(values_of(argv, "-pidfile") == std::vector<std::string>{"/srv/vms/node/qemu.pid"});
  CHECK_FALSE(has(argv, "-daemonize"));  // the launcher detaches QEMU: -daemonize forks inside the sandbox
  CHECK(values_of(argv, "-sandbox") ==
        std::vector<std::string>{"on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"});
  CHECK_FALSE(has(argv, "-kernel"));
}

TEST_CASE("KVM uses the host CPU, direct boot takes kernel, initrd and command line instead of firmware") {
  const auto kvm = qemu_command(node(), kPaths, Accel::kvm, Firmware{});
  CHECK(values_of(kvm, "-accel") == std::vector<std::string>{"kvm"});
  CHECK(values_of(kvm, "-cpu") == std::vector<std::string>{"host"});

  InstanceConfig direct = node();
  direct.boot = BootMode::direct;
  const auto missing = direct;
  direct.kernel = "/boot/vmlinuz";
  direct.initrd = "/boot/initrd.img";
  direct.append = "console=ttyAMA0 root=/dev/vda2";
  const auto argv = qemu_command(direct, kPaths, Accel::tcg, Firmware{});
  CHECK(values_of(argv, "-kernel") == std::vector<std::string>{"/boot/vmlinuz"});
  CHECK(values_of(argv, "-initrd") == std::vector<std::string>{"/boot/initrd.img"});
  CHECK(values_of(argv, "-append") == std::vector<std::string>{"console=ttyAMA0 root=/dev/vda2"});
  for (const auto& drive : values_of(argv, "-drive")) CHECK(drive.find("pflash") == std::string::npos);
  CHECK_THROWS_WITH_AS(qemu_command(missing, kPaths, Accel::tcg, Firmware{}),
                       "instance node boots directly but no kernel and initrd were given", Error);
}

TEST_CASE("a state folder with a comma in its path stays one value in every QEMU option") {
  const InstancePaths paths = InstancePaths::in("/srv/a,b", "node");
  const auto argv = qemu_command(node(), paths, Accel::tcg, Firmware{});
  CHECK(values_of(argv, "-drive")[1] == "if=pflash,format=raw,unit=1,file=/srv/a,,b/node/efivars.fd");
  CHECK(values_of(argv, "-drive")[2] ==
        "if=none,id=disk0,format=qcow2,cache=none,aio=io_uring,discard=unmap,detect-zeroes=unmap,file=/srv/a,,b/node/"
        "disk.qcow2");
  CHECK(values_of(argv, "-chardev")[0] == "file,id=console,path=/srv/a,,b/node/serial.log");
  CHECK(values_of(argv, "-chardev")[1] == "socket,id=qmp,path=/srv/a,,b/node/qmp.sock,server=on,wait=off");
  CHECK(values_of(argv, "-pidfile") == std::vector<std::string>{"/srv/a,b/node/qemu.pid"});  // a plain argument
  CHECK(qemu_value("no commas") == "no commas");
}

TEST_CASE("the instance disk takes the I/O mode the host accepted") {
  const auto argv = qemu_command(node(), kPaths, Accel::tcg, Firmware{}, DiskIo{false, "threads"});
  CHECK(values_of(argv, "-drive")[2] ==
        "if=none,id=disk0,format=qcow2,cache=writeback,aio=threads,discard=unmap,detect-zeroes=unmap,file=/srv/vms/"
        "node/disk.qcow2");
  CHECK(values_of(argv, "-drive")[3] == "if=none,id=seed,format=raw,readonly=on,file=/srv/vms/node/seed.iso");
}
