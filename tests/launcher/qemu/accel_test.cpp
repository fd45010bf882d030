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
