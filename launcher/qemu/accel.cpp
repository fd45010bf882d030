#include "launcher/qemu/accel.hpp"

#include <fmt/format.h>

#include "common/util/error.hpp"

namespace trustnet::launcher {

Accel choose_accel(const HostFacts& host, std::optional<Accel> forced) {
  const bool arm = host.arch == "aarch64" || host.arch == "arm64";
  if (forced) {
    if (*forced == Accel::kvm && !(host.os == "linux" && arm && host.dev_kvm))
      throw Error(
          fmt::format("--accel kvm needs an aarch64 Linux host with /dev/kvm; this is {} on {}", host.os, host.arch),
          ExitCode::bad_input);
    if (*forced == Accel::kvm && !host.kvm_broken.empty())
      throw Error(fmt::format("--accel kvm: KVM does not work on this host ({}); use --accel tcg", host.kvm_broken),
                  ExitCode::bad_input);
    if (*forced == Accel::hvf && !(host.os == "darwin" && arm))
      throw Error(fmt::format("--accel hvf needs macOS on Apple silicon; this is {} on {}", host.os, host.arch),
                  ExitCode::bad_input);
    return *forced;
  }
  if (host.os == "linux" && arm && host.dev_kvm && host.kvm_broken.empty()) return Accel::kvm;
  if (host.os == "darwin" && arm) return Accel::hvf;
  return Accel::tcg;
}

std::optional<std::string> accel_fallback_note(const HostFacts& host, std::optional<Accel> forced) {
  if (forced || host.kvm_broken.empty()) return std::nullopt;
  return fmt::format(
      "KVM does not work on this host ({}): the instances run under TCG, slower (--accel tcg skips "
      "this check)",
      host.kvm_broken);
}

std::string accel_name(Accel accel) {
  switch (accel) {
    case Accel::kvm: return "kvm";
    case Accel::hvf: return "hvf";
    case Accel::tcg: return "tcg";
  }
  return "tcg";
}

}  // namespace trustnet::launcher
