#include "launcher/run/accel_option.hpp"

namespace trustnet::launcher {

void add_accel_option(CLI::App& command, std::string& accel) {
  command
      .add_option("--accel", accel,
                  "QEMU acceleration: auto (KVM on aarch64 Linux, HVF on Apple silicon, else TCG), kvm, hvf, tcg")
      ->check(CLI::IsMember({"auto", "kvm", "hvf", "tcg"}))
      ->capture_default_str();
}

std::optional<Accel> forced_accel(const std::string& accel) {
  if (accel == "kvm") return Accel::kvm;
  if (accel == "hvf") return Accel::hvf;
  if (accel == "tcg") return Accel::tcg;
  return std::nullopt;
}

}  // namespace trustnet::launcher
