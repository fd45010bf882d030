#pragma once
// Whether KVM works on this host, found out by starting QEMU with it. /dev/kvm can exist and still
// fail: with nested virtualisation half there, QEMU aborts as it sets up its first vCPU ("failed
// to set MSR 0x10a"), which breaks libguestfs's appliance and `-accel kvm` alike. `--accel auto`
// asks this once per process and falls back to TCG, saying why; `--accel tcg` never asks.
#include <string>
#include <vector>

namespace trustnet {

struct KvmVerdict {
  bool works = false;
  bool device = false;  // /dev/kvm exists: when it does not work all the same, that is news
  std::string reason;   // why not, in one line ("no /dev/kvm", or what QEMU said)
};

// The check: QEMU on KVM with the host's CPU, stopped before its first instruction, told to quit
// through QMP on its standard input; bounded by `timeout`. `machine` is q35 or virt.
std::vector<std::string> kvm_check_command(const std::string& qemu, const std::string& machine);

// Runs the check with `qemu` (a qemu-system-ARCH) and `machine`, or says why it was not run.
KvmVerdict check_kvm(const std::string& qemu, const std::string& machine);

// The verdict for QEMU of this host's own architecture (what libguestfs runs its appliance with),
// found out on the first call and kept for the rest of the process.
const KvmVerdict& host_kvm();

}  // namespace trustnet
