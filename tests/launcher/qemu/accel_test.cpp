#include "launcher/qemu/accel.hpp"

#include <doctest/doctest.h>

#include "common/util/error.hpp"

using namespace trustnet;
using namespace trustnet::launcher;

TEST_CASE("acceleration is KVM on aarch64 Linux with /dev/kvm, HVF on Apple silicon, TCG otherwise, unless forced") {
  CHECK(choose_accel({"linux", "aarch64", true}, std::nullopt) == Accel::kvm);
  CHECK(choose_accel({"linux", "aarch64", false}, std::nullopt) == Accel::tcg);
  CHECK(choose_accel({"linux", "x86_64", true}, std::nullopt) == Accel::tcg);  // x86 KVM cannot run aarch64 guests
  CHECK(choose_accel({"darwin", "arm64", false}, std::nullopt) == Accel::hvf);
  CHECK(choose_accel({"darwin", "x86_64", false}, std::nullopt) == Accel::tcg);
  CHECK(choose_accel({"linux", "aarch64", true}, Accel::tcg) == Accel::tcg);
  CHECK_THROWS_WITH_AS(choose_accel({"linux", "x86_64", true}, Accel::kvm),
                       "--accel kvm needs an aarch64 Linux host with /dev/kvm; this is linux on x86_64", Error);
  CHECK_THROWS_AS(choose_accel({"linux", "aarch64", true}, Accel::hvf), Error);
}

TEST_CASE("a /dev/kvm that QEMU cannot use: auto falls back to TCG and says why, a forced kvm is refused with it") {
  const HostFacts broken{"linux", "aarch64", true, "qemu-system-aarch64 -accel kvm: error: failed to set MSR 0x10a"};
  CHECK(choose_accel(broken, std::nullopt) == Accel::tcg);
  CHECK(accel_fallback_note(broken, std::nullopt) ==
        "KVM does not work on this host (qemu-system-aarch64 -accel kvm: error: failed to set MSR 0x10a): the "
        "instances run under TCG, slower (--accel tcg skips this check)");
  CHECK_FALSE(accel_fallback_note(broken, Accel::tcg));
  CHECK_FALSE(accel_fallback_note({"linux", "aarch64", true}, std::nullopt));
  CHECK_THROWS_WITH_AS(choose_accel(broken, Accel::kvm),
                       "--accel kvm: KVM does not work on this host (qemu-system-aarch64 -accel kvm: error: failed to "
                       "set MSR 0x10a); use --accel tcg",
                       Error);
}
