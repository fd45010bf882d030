#include "common/util/kvm_check.hpp"

#include <doctest/doctest.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>

#include "common/util/process.hpp"

using namespace trustnet;

namespace {

std::string host_arch() {
  utsname host{};
  ::uname(&host);
  return host.machine;
}

std::string machine_of(const std::string& arch) { return arch == "aarch64" ? "virt" : "q35"; }

}  // namespace

TEST_CASE("the KVM check stops QEMU before its first instruction and makes it quit through QMP: it never hangs") {
  // The same command with TCG, which every host has: QEMU starts, reads the QMP input and quits.
  const std::string arch = host_arch();
  std::vector<std::string> command = kvm_check_command("qemu-system-" + arch, machine_of(arch));
  std::replace(command.begin(), command.end(), std::string("kvm"), std::string("tcg"));
  std::replace(command.begin(), command.end(), std::string("host"), std::string("max"));
  const ProcessResult tcg =
      run_process_with_input(command, "{\"execute\":\"qmp_capabilities\"}\n{\"execute\":\"quit\"}\n");
  CHECK(tcg.exit_status == 0);
  CHECK(tcg.out.find("\"reason\": \"host-qmp-quit\"") != std::string::npos);
}

TEST_CASE("the KVM verdict names what failed: a missing device, a missing QEMU, or QEMU's own complaint") {
  const KvmVerdict missing = check_kvm("qemu-system-none-such", "q35");
  CHECK_FALSE(missing.works);
  if (::access("/dev/kvm", F_OK) != 0) {
    CHECK(missing.reason == "no /dev/kvm");
    CHECK_FALSE(host_kvm().device);
  } else {
    CHECK(missing.device);
    CHECK(missing.reason.find("qemu-system-none-such") != std::string::npos);
  }
  // This host's verdict: when it says no, it says why, in one line.
  const KvmVerdict& host = host_kvm();
  CHECK(&host == &host_kvm());  // asked once
  if (!host.works) {
    CHECK_FALSE(host.reason.empty());
    CHECK(host.reason.find('\n') == std::string::npos);
  }
  MESSAGE("this host: KVM ", host.works ? "works" : "does not work: " + host.reason);
}
