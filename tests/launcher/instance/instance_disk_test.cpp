#include "launcher/instance/instance_disk.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "common/util/error.hpp"
#include "common/util/process.hpp"
#include "common/util/sha256.hpp"
#include "support/temp_dir.hpp"

using namespace trustnet;
using namespace trustnet::launcher;
namespace fs = std::filesystem;

namespace {

// A blank golden image in `dir` (64 MiB unless said), and an instance named node that runs it.
struct Golden {
  fs::path image;
  GoldenRecord record;
  InstanceConfig instance;
};

Golden golden_in(const test::TempDir& dir, const std::string& file, uint64_t disk_size, BootMode boot,
                 const std::string& image_size = "64M") {
  const fs::path image = dir / file;
  run_checked({"qemu-img", "create", "-q", "-f", "qcow2", image.string(), image_size});
  InstanceConfig instance;
  instance.identity.name = "node";
  instance.image = image;
  instance.disk_size = disk_size;
  instance.boot = boot;
  return {image, {image, sha256_file(image), fs::file_size(image)}, instance};
}

}  // namespace

TEST_CASE("an instance's disk and variable store are made 0600 in a 0700 folder: after first boot they hold its keys") {
  test::TempDir dir;
  const auto [golden, record, instance] = golden_in(dir, "golden.qcow2", 128ULL << 20, BootMode::uefi);
  const InstancePaths paths = InstancePaths::in(dir / "vms", "node");
  const auto done = prepare_instance_disk(instance, paths, record, Firmware{});
  REQUIRE(done.size() == 3);
  CHECK(done[1] ==
        "created state disk " + paths.state_disk.string() + " (20G), which the appliance formats at its first boot");
  CHECK((fs::status(dir / "vms/node").permissions() & fs::perms::all) == fs::perms(0700));
  for (const fs::path& file : {paths.disk, paths.efi_vars, paths.state_disk}) {
    CAPTURE(file);
    CHECK((fs::status(file).permissions() & fs::perms::all) == fs::perms(0600));
  }
  const auto info = nlohmann::json::parse(run_checked({"qemu-img", "info", "--output=json", paths.disk.string()}));
  CHECK(info["backing-filename"] == golden.string());
  CHECK(info["virtual-size"] == 128ULL << 20);
  CHECK(prepare_instance_disk(instance, paths, record, Firmware{}).empty());
}

TEST_CASE("a state disk is blank qcow2 made once, kept across new system disks, and never made again once lost") {
  test::TempDir dir;
  auto [golden, record, instance] = golden_in(dir, "golden.qcow2", 64ULL << 20, BootMode::direct);
  instance.state_disk_size = 256ULL << 20;
  const InstancePaths paths = InstancePaths::in(dir / "vms", "node");
  REQUIRE(prepare_instance_disk(instance, paths, record, Firmware{}).size() == 2);
  const auto info =
      nlohmann::json::parse(run_checked({"qemu-img", "info", "--output=json", paths.state_disk.string()}));
  CHECK(info["format"] == "qcow2");
  CHECK(info["virtual-size"] == 256ULL << 20);
  CHECK_FALSE(info.contains("backing-filename"));
  // Blank: the appliance formats only a disk whose first MiB is zeros and that blkid finds nothing on.
  CHECK(run_checked({"qemu-img", "map", "--output=json", paths.state_disk.string()}).find("\"data\": true") ==
        std::string::npos);

  // What the guest wrote stays; a new system disk leaves the state disk as it is.
  run_checked({"qemu-io", "-f", "qcow2", "-c", "write -P 0x5a 0 64k", paths.state_disk.string()});
  fs::remove(paths.disk);
  fs::remove(paths.disk.parent_path() / "disk.json");
  const auto again = prepare_instance_disk(instance, paths, record, Firmware{});
  REQUIRE(again.size() == 1);
  CHECK(again[0].starts_with("created disk "));
  CHECK(run_checked({"qemu-io", "-f", "qcow2", "-c", "read -P 0x5a 0 64k", paths.state_disk.string()})
            .find("read 65536/65536 bytes") != std::string::npos);

  // A size changed in the configuration applies to a new state disk only, and says so.
  instance.state_disk_size = 512ULL << 20;
  CHECK(prepare_instance_disk(instance, paths, record, Firmware{}) ==
        std::vector<std::string>{"state disk is 256M (state_disk 512M applies to a new disk only)"});

  // Lost: refused with the way out, and nothing is made in its place.
  fs::remove(paths.state_disk);
  try {
    prepare_instance_disk(instance, paths, record, Firmware{});
    FAIL("a lost state disk was made again");
  } catch (const Error& e) {
    CHECK(e.line() == "node: its state disk " + paths.state_disk.string() + " is missing, though one was made (" +
                          paths.state_record.string() +
                          "): it held the instance's state (the chain, the registry's images). Restore it from a "
                          "backup; to start node with empty state instead, remove " +
                          paths.state_record.string() + " too");
  }
  CHECK_FALSE(fs::exists(paths.state_disk));
  fs::remove(paths.state_record);
  CHECK(prepare_instance_disk(instance, paths, record, Firmware{}).size() == 1);
  CHECK(fs::exists(paths.state_disk));
}

TEST_CASE(
    "an upgrade sets the system disk aside with its records and puts it back whole, and never moves the state disk") {
  test::TempDir dir;
  const auto [golden, old_record, instance] = golden_in(dir, "golden.qcow2", 64ULL << 20, BootMode::direct);
  const InstancePaths paths = InstancePaths::in(dir / "vms", "node");
  write_golden_record(dir / "vms", "node", old_record);
  prepare_instance_disk(instance, paths, old_record, Firmware{});
  run_checked({"qemu-io", "-f", "qcow2", "-c", "write -P 0x11 0 64k", paths.disk.string()});
  CHECK(system_disk_origin(paths)->sha256 == old_record.sha256);

  set_aside_system_disk(paths);
  const fs::path previous = dir / "vms/node/previous";
  CHECK(previous_folder(paths) == previous);
  CHECK((fs::status(previous).permissions() & fs::perms::all) == fs::perms(0700));
  for (const char* file : {"disk.qcow2", "disk.json", "golden.json"}) {
    CAPTURE(file);
    CHECK(fs::exists(previous / file));
    CHECK_FALSE(fs::exists(dir / "vms/node" / file));
  }
  CHECK(fs::exists(paths.state_disk));
  CHECK_FALSE(system_disk_origin(paths));

  // A new image's disk, then back: the new one is dropped, the old one is as it was.
  const auto [next, new_record, next_instance] = golden_in(dir, "next.qcow2", 64ULL << 20, BootMode::direct, "48M");
  REQUIRE(new_record.sha256 != old_record.sha256);
  write_golden_record(dir / "vms", "node", new_record);
  prepare_instance_disk(next_instance, paths, new_record, Firmware{});
  CHECK(system_disk_origin(paths)->sha256 == new_record.sha256);
  restore_system_disk(paths);
  CHECK_FALSE(fs::exists(previous));
  CHECK(system_disk_origin(paths)->sha256 == old_record.sha256);
  CHECK(read_golden_record(dir / "vms", "node")->sha256 == old_record.sha256);
  CHECK(run_checked({"qemu-io", "-f", "qcow2", "-c", "read -P 0x11 0 64k", paths.disk.string()})
            .find("read 65536/65536 bytes") != std::string::npos);
  CHECK_THROWS_WITH_AS(restore_system_disk(paths), doctest::Contains("no system disk was set aside"), Error);
}
