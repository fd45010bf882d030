#include "launcher/health/console_failure.hpp"

#include <doctest/doctest.h>

#include <fstream>

#include "support/temp_dir.hpp"

using namespace trustnet;
using namespace trustnet::launcher;

TEST_CASE("a console names what went wrong in the appliance: its scripts' errors and OpenRC's, the last one") {
  const std::string boot =
      "[   10.2] Run /init as init process\r\n"
      " * Starting trustnet-state ...\r\n"
      "trustnet-state: error: the state disk /dev/vdb holds data but no filesystem: it is left as it is\r\n"
      " \x1b[31;01m*\x1b[0m \x1b[31;01mERROR:\x1b[0m registry needs service(s) trustnet-state\r\n"
      " * Starting sshd ... [ ok ]\r\n";
  CHECK(console_failure(boot) == "ERROR: registry needs service(s) trustnet-state");
  CHECK(console_failure(boot.substr(0, boot.find(" \x1b"))) ==
        "trustnet-state: error: the state disk /dev/vdb holds data but no filesystem: it is left as it is");
  CHECK(console_failure("trustnet-firstboot: error: the seed's host name is not a host name\n") ==
        "trustnet-firstboot: error: the seed's host name is not a host name");
  CHECK(console_failure(" * Starting caddy ... [ ok ]\n trustnet-state: /opt/trustnet/node is on the state disk\n") ==
        std::nullopt);
  // Whatever the guest wrote, one printable line of bounded length.
  const auto hostile = console_failure("trustnet-state: error: " + std::string(5000, 'x') + "\x07\x01\n");
  REQUIRE(hostile);
  CHECK(hostile->size() <= 300);
  CHECK(hostile->find('\x07') == std::string::npos);
}

TEST_CASE("a console log file is read from its last 256 KiB, and a missing one says nothing") {
  test::TempDir dir;
  const auto log = dir / "console.log";
  {
    std::ofstream out(log, std::ios::binary);
    out << "trustnet-state: error: an old failure, long scrolled away\n" << std::string(300 << 10, '.') << "\n";
    out << " * ERROR: caddy failed to start\n";
  }
  CHECK(console_failure_in(log) == "ERROR: caddy failed to start");
  CHECK(console_failure_in(dir / "missing.log") == std::nullopt);
}
