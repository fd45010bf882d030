#include "launcher/network/tap_name.hpp"

#include <doctest/doctest.h>

using namespace trustnet::launcher;

TEST_CASE("tap names fit the kernel's 15 characters and stay distinct") {
  CHECK(tap_name("node") == "tn-node");
  CHECK(tap_name("registry") == "tn-registry");
  const std::string a = tap_name("validator-number-one"), b = tap_name("validator-number-two");
  CHECK(a.size() <= 15);
  CHECK(a != b);
}
