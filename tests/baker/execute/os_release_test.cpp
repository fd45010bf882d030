#include "baker/execute/os_release.hpp"

#include <doctest/doctest.h>

#include "support/fixture_files.hpp"

using namespace trustnet;
using namespace trustnet::baker;

TEST_CASE("Alpine's real os-release parses to its ID, version and pretty name") {
  auto fields = parse_os_release(test::fixture_file("etc/os-release"));
  CHECK(fields["ID"] == "alpine");
  CHECK(fields["VERSION_ID"] == "3.20.3");
  CHECK(fields["PRETTY_NAME"] == "Alpine Linux v3.20");
  CHECK(distro_from_os_release_id(fields["ID"]) == "alpinelinux");
}

TEST_CASE("os-release quoting, comments and blank lines are handled") {
  auto fields = parse_os_release("# comment\n\nNAME='Debian GNU/Linux'\nID=debian\nVERSION_ID=\"12\"\r\nBROKEN LINE\n");
  CHECK(fields["NAME"] == "Debian GNU/Linux");
  CHECK(fields["ID"] == "debian");
  CHECK(fields["VERSION_ID"] == "12");
  CHECK(fields.count("BROKEN LINE") == 0);
  CHECK(distro_from_os_release_id("debian") == "debian");
}
