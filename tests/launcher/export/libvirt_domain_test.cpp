// Domain XML for libvirt, checked by libvirt's own schema (virt-xml-validate) and defined on
// libvirt's test driver; `launch export libvirt` as operators run it.
#include "launcher/export/libvirt_domain.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <regex>

#include "common/util/process.hpp"
#include "common/util/text_file.hpp"
#include "launcher/qemu/vm_definition.hpp"
#include "support/checkout_config.hpp"
#include "support/run_user.hpp"
#include "support/temp_dir.hpp"
#include "support/test_paths.hpp"

using namespace trustnet;
using namespace trustnet::launcher;
namespace fs = std::filesystem;

namespace {

InstanceConfig node() { return load_launch_config(test::source_dir() / "launcher/trustnet.yaml").instances.at(0); }

// virt-xml-validate against the domain schema, then `virsh define` on the test driver (which
// knows no aarch64 machines: the domain type and architecture become the driver's own there;
// everything else is parsed as libvirt parses it).
void check_with_libvirt(const test::TempDir& dir, const std::string& xml, const std::string& name) {
  const fs::path file = dir.write(name + ".xml", xml);
  const ProcessResult validate = run_process({"virt-xml-validate", file.string(), "domain"});
  CHECK_MESSAGE(validate.exit_status == 0, name, ": ", validate.out, validate.err);
  std::string for_test_driver =
      std::regex_replace(xml, std::regex("<domain type='(kvm|qemu)'>"), "<domain type='test'>");
  for_test_driver = std::regex_replace(for_test_driver, std::regex("arch='aarch64' machine='virt'"), "arch='x86_64'");
  const fs::path test_file = dir.write(name + "-test.xml", for_test_driver);
  // One virsh for both commands: each connection to the test driver starts empty.
  const ProcessResult define = run_process(
      {"virsh", "--connect", "test:///default", "define " + test_file.string() + "; dumpxml trustnet-node"});
  CHECK_MESSAGE(define.exit_status == 0, name, ": ", define.err);
  // What libvirt read back: the disks, the seed read-only, the MAC on the bridge.
  CHECK(define.out.find("<source file='/srv/vms/node/disk.qcow2'/>") != std::string::npos);
  CHECK(define.out.find("<source file='/srv/vms/node/seed.iso'/>") != std::string::npos);
  CHECK(define.out.find("<readonly/>") != std::string::npos);
  CHECK(define.out.find("<mac address='" + node().mac + "'/>") != std::string::npos);
  CHECK(define.out.find("<source bridge='trustnet0'/>") != std::string::npos);
}

}  // namespace

TEST_CASE("a node as a libvirt domain: the machine, CPUs, memory, firmware, disks, seed and MAC that launch gives it") {
  const InstancePaths paths = InstancePaths::in("/srv/vms", "node");
  const std::string xml = libvirt_domain_xml(node(), paths, "trustnet0", {});
  CHECK(xml.starts_with("<domain type='kvm'>\n  <name>trustnet-node</name>\n"));
  // Named after its role, the instance is not named twice; another name is said.
  CHECK(xml.find("<description>TrustNet node (" + node().identity.address + "), exported by launch</description>") !=
        std::string::npos);
  InstanceConfig second = node();
  second.identity.name = "validator-2";
  CHECK(libvirt_domain_xml(second, paths, "trustnet0", {})
            .find("<description>TrustNet node validator-2 (" + second.identity.address +
                  "), exported by launch</description>") != std::string::npos);
  CHECK(xml.find("<memory unit='MiB'>8192</memory>") != std::string::npos);
  CHECK(xml.find("<vcpu>4</vcpu>") != std::string::npos);
  CHECK(xml.find("<type arch='aarch64' machine='virt'>hvm</type>") != std::string::npos);
  CHECK(xml.find("<loader readonly='yes' type='pflash'>/usr/share/AAVMF/AAVMF_CODE.fd</loader>") != std::string::npos);
  CHECK(xml.find("<nvram template='/usr/share/AAVMF/AAVMF_VARS.fd'>/srv/vms/node/efivars.fd</nvram>") !=
        std::string::npos);
  CHECK(xml.find("<cpu mode='host-passthrough'/>") != std::string::npos);
  CHECK(xml.find("<gic version='host'/>") != std::string::npos);
  CHECK(xml.find("<source path='/srv/vms/node/serial.log'/>") != std::string::npos);
  test::TempDir dir;
  check_with_libvirt(dir, xml, "kvm");
  const std::string emulated =
      libvirt_domain_xml(node(), paths, "trustnet0", {DomainType::qemu, {}, "/usr/bin/qemu-system-aarch64"});
  CHECK(emulated.find("<domain type='qemu'>") == 0);
  CHECK(emulated.find("<cpu mode='maximum'/>") != std::string::npos);
  CHECK(emulated.find("<gic version='3'/>") != std::string::npos);
  check_with_libvirt(dir, emulated, "qemu");
}

TEST_CASE(
    "a direct-boot instance's kernel, initrd and command line, and paths with XML's special characters, survive "
    "libvirt's parser") {
  InstanceConfig instance = node();
  instance.boot = BootMode::direct;
  instance.kernel = "/boot/vmlinuz<&>";
  instance.initrd = "/boot/initrd's";
  instance.append = "console=ttyAMA0 root=/dev/vda2 quiet \"x\"";
  const std::string xml = libvirt_domain_xml(instance, InstancePaths::in("/srv/vms", "node"), "trustnet0", {});
  CHECK(xml.find("<kernel>/boot/vmlinuz&lt;&amp;&gt;</kernel>") != std::string::npos);
  CHECK(xml.find("<initrd>/boot/initrd&apos;s</initrd>") != std::string::npos);
  CHECK(xml.find("<cmdline>console=ttyAMA0 root=/dev/vda2 quiet &quot;x&quot;</cmdline>") != std::string::npos);
  CHECK(xml.find("<loader") == std::string::npos);
  test::TempDir dir;
  check_with_libvirt(dir, xml, "direct");
  // A control character has no form in XML 1.0: refused, never written.
  instance.append = "console=ttyAMA0\x01";
  CHECK_THROWS_WITH_AS(libvirt_domain_xml(instance, InstancePaths::in("/srv/vms", "node"), "trustnet0", {}),
                       doctest::Contains("holds a control character, which a libvirt domain cannot hold"), Error);
  instance.append = "quiet";
  CHECK_THROWS_AS(libvirt_domain_xml(instance, InstancePaths::in("/srv/\x1bvms", "node"), "trustnet0", {}), Error);
  instance.kernel.clear();
  CHECK_THROWS_WITH_AS(libvirt_domain_xml(instance, InstancePaths::in("/srv/vms", "node"), "trustnet0", {}),
                       "instance node boots directly but no kernel and initrd were given", Error);
}

TEST_CASE("launch export libvirt needs init, then writes one domain per instance on the disks and seed launch made") {
  test::TempDir dir;
  const fs::path config = test::checkout_config_in(dir);
  auto launch = [&](std::vector<std::string> args) {
    args.insert(args.begin(), TRUSTNET_LAUNCH_BINARY);
    args.insert(args.end(), {"--config", config.string()});
    return run_process(args);
  };
  const ProcessResult before_init = launch({"export", "libvirt", "--out", (dir / "xml").string()});
  CHECK(before_init.exit_status == 2);
  CHECK(before_init.err == "launch: there is no state folder " + (dir / "vms").string() +
                               ": `launch init` has not run with this configuration; run `sudo launch init` first\n");
  CHECK_FALSE(fs::exists(dir / "xml"));

  REQUIRE(launch({"init"}).exit_status == 0);
  // Nothing of the caller's goes into the state folder, which is the run user's alone.
  const ProcessResult inside = launch({"export", "libvirt", "--out", (dir / "vms/xml").string()});
  CHECK(inside.exit_status == 2);
  CHECK(inside.err == "launch: --out " + (dir / "vms/xml").string() + " is inside the state folder " +
                          (dir / "vms").string() + ", which is the run user's alone; choose a folder outside it\n");
  CHECK_FALSE(fs::exists(dir / "vms/xml"));
  // The files land where the operator asked, in a folder only root may write, owned by the
  // operator who ran sudo; the account QEMU runs as gets no right to write there.
  const ProcessResult exported =
      run_process({"env", "SUDO_UID=65534", "SUDO_GID=65534", TRUSTNET_LAUNCH_BINARY, "export", "libvirt", "all",
                   "--out", (dir / "xml").string(), "--json", "--config", config.string()});
  REQUIRE_MESSAGE(exported.exit_status == 0, exported.err);
  struct stat facts {};
  for (const char* made : {"xml", "xml/node.xml", "xml/registry.xml"}) {
    CAPTURE(made);
    REQUIRE(::stat((dir / made).c_str(), &facts) == 0);
    CHECK(facts.st_uid == 65534);
    CHECK(facts.st_gid == 65534);
  }
  CHECK((facts.st_mode & 0777) == 0644);
  REQUIRE(::stat((dir / "xml").c_str(), &facts) == 0);
  CHECK((facts.st_mode & 0022) == 0);  // not widened for the run user
  const auto outcome = nlohmann::json::parse(exported.out);
  REQUIRE(outcome.size() == 2);
  CHECK(outcome[0]["domain"] == "trustnet-node");
  CHECK(outcome[0]["file"] == (dir / "xml/node.xml").string());
  // The disk and variable store launch all would make, made once.
  CHECK(fs::exists(dir / "vms/node/disk.qcow2"));
  CHECK(fs::exists(dir / "vms/node/efivars.fd"));
  CHECK_FALSE(outcome[0]["prepared"].empty());
  // The disk's I/O mode is the one this host accepts, in the domain as in launch all's QEMU.
  const DiskIoChoice io = choose_instance_disk_io("node", dir / "vms/node/disk.qcow2");
  CHECK(outcome[0]["disk_io"] == io.summary());
  CHECK(read_text_file(dir / "xml/node.xml")
            .find(fmt::format("cache='{}' io='{}'", io.io.direct ? "none" : "writeback", io.io.aio)) !=
        std::string::npos);
  const std::string xml = read_text_file(dir / "xml/registry.xml");
  CHECK(xml.find("<source file='" + (dir / "vms/registry/disk.qcow2").string() + "'/>") != std::string::npos);
  CHECK(xml.find("<memory unit='MiB'>4096</memory>") != std::string::npos);
  CHECK(run_process({"virt-xml-validate", (dir / "xml/registry.xml").string(), "domain"}).exit_status == 0);
  // A second export makes nothing again; one instance alone, as emulation.
  const ProcessResult again =
      launch({"export", "libvirt", "node", "--out", (dir / "xml").string(), "--domain-type", "qemu"});
  CHECK(again.exit_status == 0);
  CHECK(again.out.starts_with("node: domain trustnet-node in " + (dir / "xml/node.xml").string() + "; disk " +
                              io.summary() + "\n"));
  CHECK(read_text_file(dir / "xml/node.xml").starts_with("<domain type='qemu'>"));
  // A changed golden image is refused, as launch all refuses it.
  run_checked({"qemu-img", "resize", "-q", (dir / "out/node.qcow2").string(), "2G"});
  const ProcessResult changed = launch({"export", "libvirt", "node", "--out", (dir / "xml").string()});
  CHECK(changed.exit_status != 0);
  CHECK(changed.err.find("node") != std::string::npos);
}

TEST_CASE("launch's QEMU and the exported domain describe the same machine, device by device") {
  InstanceConfig instance = node();
  instance.forwards = {{3222, 22}, {36657, 26657}};
  const InstancePaths paths = InstancePaths::in("/srv/vms", "node");
  const DiskIo io{true, "native"};
  const VmDefinition vm = vm_definition(instance, paths, io);
  const std::vector<std::string> argv = qemu_command(instance, paths, Accel::tcg, Firmware{}, io);
  const std::string xml = libvirt_domain_xml(instance, paths, "trustnet0", DomainSettings{}, io);
  auto in_argv = [&](const std::string& text) {
    return std::any_of(argv.begin(), argv.end(),
                       [&](const std::string& a) { return a.find(text) != std::string::npos; });
  };
  auto count_in_argv = [&](const std::string& value) { return std::count(argv.begin(), argv.end(), value); };
  auto count_in_xml = [&](const std::string& text) {
    size_t n = 0;
    for (size_t at = xml.find(text); at != std::string::npos; at = xml.find(text, at + 1)) ++n;
    return n;
  };
  // Disks: the same files, formats, read-only seed, discard on the instance disk, boot first;
  // the state disk last, with the serial the appliance finds it by.
  CHECK(vm.disks.size() == 3);
  const auto block_devices =
      std::count_if(argv.begin(), argv.end(), [](const std::string& a) { return a.starts_with("virtio-blk-pci,"); });
  CHECK(block_devices == static_cast<long>(count_in_xml("<disk type='file' device='disk'>")));
  for (const VmDisk& disk : vm.disks) {
    CHECK(in_argv(fmt::format("id={},format={}", disk.id, disk.format)));
    CHECK(in_argv(",file=" + disk.file.string()));
    CHECK(xml.find(fmt::format("<source file='{}'/>", disk.file.string())) != std::string::npos);
    CHECK(in_argv(fmt::format("id={},format={}{}", disk.id, disk.format, disk.read_only ? ",readonly=on" : "")));
  }
  // The instance disk's I/O: the mode given, TRIM and zeros passed down, its I/O thread; the
  // seed with QEMU's defaults in both.
  CHECK(in_argv("format=qcow2,cache=none,aio=native,discard=unmap,detect-zeroes=unmap,file="));
  CHECK(xml.find("<driver name='qemu' type='qcow2' cache='none' io='native' discard='unmap' detect_zeroes='unmap' "
                 "iothread='1'/>") != std::string::npos);
  CHECK(xml.find("<driver name='qemu' type='raw'/>") != std::string::npos);
  CHECK(vm.iothreads == std::vector<std::string>{"io0"});
  CHECK(count_in_argv("iothread,id=io0") == 1);
  CHECK(count_in_xml("<iothreads>1</iothreads>") == 1);
  CHECK(in_argv("virtio-blk-pci,drive=disk0,iothread=io0,bootindex=0"));
  CHECK(in_argv("virtio-blk-pci,drive=seed"));
  CHECK(in_argv("virtio-blk-pci,drive=state,iothread=io0,serial=trustnet-state"));
  CHECK(count_in_xml("<serial>trustnet-state</serial>") == 1);
  CHECK(xml.find("<target dev='vdc' bus='virtio'/>\n      <serial>trustnet-state</serial>") != std::string::npos);
  CHECK(count_in_xml("iothread='1'/>") == 2);
  CHECK(count_in_xml("<readonly/>") == 1);
  CHECK(count_in_xml("<boot order='1'/>") == 1);
  // NICs: both, with the same MACs; the bridge one on the ULA bridge.
  CHECK(vm.nics.size() == 2);
  CHECK(count_in_argv("-netdev") == static_cast<long>(count_in_xml("<interface ")));
  for (const VmNic& nic : vm.nics) {
    CHECK(in_argv(fmt::format("netdev={},mac={}", nic.id, nic.mac)));
    CHECK(xml.find(fmt::format("<mac address='{}'/>", nic.mac)) != std::string::npos);
  }
  CHECK(xml.find("<interface type='bridge'>") != std::string::npos);
  CHECK(xml.find("<interface type='user'>") != std::string::npos);
  // Forwards: QEMU listens on the host's loopback; the domain names each one (see its comment).
  for (const auto& forward : instance.forwards) {
    CHECK(in_argv(fmt::format("hostfwd=tcp:127.0.0.1:{}-:{}", forward.host, forward.guest)));
    CHECK(xml.find(fmt::format("launch forwards 127.0.0.1:{} to the guest's port {}", forward.host, forward.guest)) !=
          std::string::npos);
  }
  // The RNG and the console.
  CHECK(in_argv("rng-random,id=rng0,filename=/dev/urandom"));
  CHECK(in_argv("virtio-rng-pci,rng=rng0"));
  CHECK(xml.find("<backend model='random'>/dev/urandom</backend>") != std::string::npos);
  CHECK(in_argv("path=" + paths.serial_log.string()));
  CHECK(count_in_xml(fmt::format("<source path='{}'/>", paths.serial_log.string())) == 2);  // serial and console
  test::TempDir dir;
  check_with_libvirt(dir, xml, "agreement");
}
