#pragma once
// Which accelerator QEMU runs an instance with, chosen from facts about the host (given as
// values, so the choice is tested on any host).
#include <optional>
#include <string>

namespace trustnet::launcher {

enum class Accel { kvm, hvf, tcg };

struct HostFacts {
  std::string os;    // "linux", "darwin"
  std::string arch;  // "aarch64", "x86_64", "arm64"
  bool dev_kvm = false;
  std::string kvm_broken;  // /dev/kvm is there but QEMU cannot use it: why (see kvm_check.hpp)
};

// KVM on an aarch64 Linux host with a /dev/kvm that works, HVF on an Apple silicon Mac, TCG
// otherwise; `forced` wins (and is refused where it cannot work).
Accel choose_accel(const HostFacts& host, std::optional<Accel> forced);
// The line that says why `--accel auto` chose TCG on a host whose /dev/kvm does not work.
std::optional<std::string> accel_fallback_note(const HostFacts& host, std::optional<Accel> forced);
std::string accel_name(Accel accel);

}  // namespace trustnet::launcher
