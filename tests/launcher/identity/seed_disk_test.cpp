#include "launcher/identity/seed_disk.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <fstream>
#include <map>

#include "common/util/error.hpp"
#include "support/iso_files.hpp"
#include "support/temp_dir.hpp"

using namespace trustnet;
using namespace trustnet::launcher;
namespace fs = std::filesystem;

namespace {

Seed node_seed() {
  return {"trustnet-node",
          "fd10:1234::1/32",
          {{"/etc/ssh/ssh_host_ed25519_key", "PRIVATE HOST KEY\n", 0600, "root", "root"},
           {"/etc/ssh/ssh_host_ed25519_key.pub", "ssh-ed25519 AAAA root@trustnet-node\n", 0644, "root", "root"},
           {"/opt/trustnet/node/config/priv_validator_key.json", "{\"address\":\"AB\"}\n", 0600, "warden", "warden"}}};
}

}  // namespace

TEST_CASE("the seed disk is an ISO 9660 image labelled TRUSTNET holding the manifest and every file") {
  test::TempDir dir;
  const fs::path iso = dir / "node1-seed.iso";
  write_seed_iso(iso, node_seed());

  // The primary volume descriptor sits at sector 16; its volume identifier at byte 40.
  std::ifstream in(iso, std::ios::binary);
  char descriptor[72];
  in.seekg(16 * 2048);
  in.read(descriptor, sizeof descriptor);
  CHECK(std::string(descriptor + 1, 5) == "CD001");
  CHECK(std::string(descriptor + 40, 8) == "TRUSTNET");

  auto entries = test::read_iso(iso);
  CHECK(entries["trustnet/hostname"].content == "trustnet-node\n");
  CHECK(entries["trustnet/address"].content == "fd10:1234::1/32\n");
  CHECK(entries["trustnet/manifest"].content ==
        "0600 root root /etc/ssh/ssh_host_ed25519_key\n"
        "0644 root root /etc/ssh/ssh_host_ed25519_key.pub\n"
        "0600 warden warden /opt/trustnet/node/config/priv_validator_key.json\n");
  CHECK(entries["files/etc/ssh/ssh_host_ed25519_key"].content == "PRIVATE HOST KEY\n");
  CHECK(entries["files/etc/ssh/ssh_host_ed25519_key"].mode == 0600);
  CHECK(entries["files/opt/trustnet/node/config/priv_validator_key.json"].content == "{\"address\":\"AB\"}\n");
  CHECK(entries["files/opt/trustnet/node/config"].directory);

  struct stat st {};
  REQUIRE(::stat(iso.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  size_t files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir.path())) ++files;
  CHECK(files == 1);  // no temporary left beside it
}

TEST_CASE(
    "a seed whose paths or owners the first-boot script could not read safely is refused, and nothing is written") {
  test::TempDir dir;
  auto refused = [&](Seed seed, const std::string& message) {
    CHECK_THROWS_WITH_AS(write_seed_iso(dir / "seed.iso", seed), doctest::Contains(message.c_str()), Error);
  };
  Seed seed = node_seed();
  seed.files[0].path = "etc/relative";
  refused(seed, "seed file 'etc/relative' must be an absolute path");
  seed = node_seed();
  seed.files[0].path = "/etc/with space";
  refused(seed, "without spaces or quotes");
  seed = node_seed();
  seed.files[0].path = "/etc/../root/x";
  refused(seed, "must not contain '..'");
  seed = node_seed();
  seed.files[1].path = seed.files[0].path;
  refused(seed, "appears twice");
  seed = node_seed();
  seed.files[2].owner = "war den";
  refused(seed, "unusable owner");
  CHECK_FALSE(fs::exists(dir / "seed.iso"));
}
