#include "launcher/instance/instance_disk.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "common/util/process.hpp"
#include "common/util/sha256.hpp"
#include "support/temp_dir.hpp"

using namespace trustnet;
using namespace trustnet::launcher;
namespace fs = std::filesystem;

TEST_CASE("an instance's disk and variable store are made 0600 in a 0700 folder: after first boot they hold its keys") {
  test::TempDir dir;
  const fs::path golden = dir / "golden.qcow2";
  run_checked({"qemu-img", "create", "-q", "-f", "qcow2", golden.string(), "64M"});
  InstanceConfig instance;
  instance.identity.name = "node";
  instance.image = golden;
  instance.disk_size = 128ULL << 20;
  instance.boot = BootMode::uefi;
  const InstancePaths paths = InstancePaths::in(dir / "vms", "node");
  const auto done = prepare_instance_disk(instance, paths,
                                          GoldenRecord{golden, sha256_file(golden), fs::file_size(golden)}, Firmware{});
  REQUIRE(done.size() == 2);
  CHECK((fs::status(dir / "vms/node").permissions() & fs::perms::all) == fs::perms(0700));
  for (const fs::path& file : {paths.disk, paths.efi_vars}) {
    CAPTURE(file);
    CHECK((fs::status(file).permissions() & fs::perms::all) == fs::perms(0600));
  }
  const auto info = nlohmann::json::parse(run_checked({"qemu-img", "info", "--output=json", paths.disk.string()}));
  CHECK(info["backing-filename"] == golden.string());
  CHECK(info["virtual-size"] == 128ULL << 20);
  CHECK(prepare_instance_disk(instance, paths, GoldenRecord{golden, sha256_file(golden), fs::file_size(golden)},
                              Firmware{})
            .empty());
}
