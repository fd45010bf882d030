#include "common/transfer/oci_reference.hpp"

#include <doctest/doctest.h>

using namespace trustnet;

TEST_CASE("an oci reference parses into host, repository, tag and digest as the distribution grammar has them") {
  const auto tagged = parse_oci_reference("oci://registry.trustnet.local:5000/trustnet/node:1.0-rc.1");
  REQUIRE_FALSE(tagged.problem);
  CHECK(tagged.value.host == "registry.trustnet.local:5000");
  CHECK(tagged.value.repository == "trustnet/node");
  CHECK(tagged.value.tag == "1.0-rc.1");
  CHECK(tagged.value.manifest_reference() == "1.0-rc.1");
  CHECK(tagged.value.base_url() == "https://registry.trustnet.local:5000/v2/trustnet/node");

  const std::string hex(64, 'A');
  const auto pinned = parse_oci_reference("oci://[fd10::1]:443/node@sha256:" + hex);
  REQUIRE_FALSE(pinned.problem);
  CHECK(pinned.value.host == "[fd10::1]:443");
  CHECK(pinned.value.tag.empty());
  CHECK(pinned.value.digest == "sha256:" + std::string(64, 'a'));  // lower case, as registries name it
  CHECK(pinned.value.manifest_reference() == pinned.value.digest);
  CHECK(pinned.value.text() == "oci://[fd10::1]:443/node@" + pinned.value.digest);
}

TEST_CASE("an oci reference the registry would refuse is refused with the part at fault") {
  auto problem = [](const char* text) { return parse_oci_reference(text).problem.value_or(""); };
  CHECK(problem("https://host/repo:1").find("does not start with oci://") != std::string::npos);
  CHECK(problem("oci://host").find("names no repository") != std::string::npos);
  CHECK(problem("oci://host:99999/repo:1").find("'99999' is not a port") != std::string::npos);
  CHECK(problem("oci://bad_host/repo:1").find("'bad_host' is not a host name") != std::string::npos);
  CHECK(problem("oci://host/Repo:1").find("repository component 'Repo'") != std::string::npos);
  CHECK(problem("oci://host/a//b:1").find("repository component ''") != std::string::npos);
  CHECK(problem("oci://host/repo:-x").find("tag '-x'") != std::string::npos);
  CHECK(problem("oci://host/repo@md5:00").find("the digest must be sha256:HEX") != std::string::npos);
  CHECK(problem("oci://[fd10::1/repo:1").find("closing ']'") != std::string::npos);
  CHECK(problem("oci://host/repo:1\n").find("\\n") != std::string::npos);  // one line, control shown
}

TEST_CASE("a release location is a registry, a folder or a web folder, and each holds one release per appliance") {
  const auto oci = parse_release_location("oci://host/trustnet:2");
  REQUIRE_FALSE(oci.problem);
  CHECK(location_text(release_of(oci.value, "node")) == "oci://host/trustnet/node:2");
  const auto folder = parse_release_location("file:///srv/releases");
  REQUIRE_FALSE(folder.problem);
  CHECK(location_text(release_of(folder.value, "node")) == "file:///srv/releases/node");
  const auto web = parse_release_location("https://downloads.example.org/trustnet");
  REQUIRE_FALSE(web.problem);
  CHECK(location_text(release_of(web.value, "registry")) == "https://downloads.example.org/trustnet/registry/");

  CHECK(parse_release_location("file://host/srv").problem.value_or("").find("file:///ABSOLUTE/PATH") !=
        std::string::npos);
  CHECK(parse_release_location("https://host/a b/").problem.value_or("").find("no spaces") != std::string::npos);
  CHECK(parse_release_location("ftp://host/x").problem.value_or("").find("is not oci://") != std::string::npos);
}
