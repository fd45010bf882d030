#include "launcher/instance/instance_disk.hpp"

#include <doctest/doctest.h>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <algorithm>

#include "common/util/atomic_file.hpp"
#include "common/util/error.hpp"
#include "common/util/process.hpp"
#include "common/util/sha256.hpp"
#include "common/util/text_file.hpp"
#include "launcher/instance/golden_pin.hpp"
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
  fs::create_directories(image.parent_path());
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
  const auto done = prepare_instance_disk(instance, paths, record, Firmware{}).done;
  REQUIRE(done.size() == 3);
  CHECK(done[1] ==
        "created state disk " + paths.state_disk.string() + " (20G), which the appliance formats at its first boot");
  CHECK((fs::status(dir / "vms/node").permissions() & fs::perms::all) == fs::perms(0700));
  for (const fs::path& file : {paths.disk, paths.efi_vars, paths.state_disk}) {
    CAPTURE(file);
    CHECK((fs::status(file).permissions() & fs::perms::all) == fs::perms(0600));
  }
  const auto info = nlohmann::json::parse(run_checked({"qemu-img", "info", "--output=json", paths.disk.string()}));
  const fs::path pin = dir / "vms/pinned" / (record.sha256 + ".qcow2");
  CHECK(info["backing-filename"] == pin.string());
  CHECK(sha256_file(pin) == record.sha256);
  CHECK((fs::status(pin).permissions() & fs::perms::all) == fs::perms(0400));
  CHECK((fs::status(pin.parent_path()).permissions() & fs::perms::all) == fs::perms(0700));
  CHECK(info["virtual-size"] == 128ULL << 20);
  CHECK(prepare_instance_disk(instance, paths, record, Firmware{}).done.empty());
}

TEST_CASE("a state disk is blank qcow2 made once, kept across new system disks, and never made again once lost") {
  test::TempDir dir;
  auto [golden, record, instance] = golden_in(dir, "golden.qcow2", 64ULL << 20, BootMode::direct);
  instance.state_disk_size = 256ULL << 20;
  const InstancePaths paths = InstancePaths::in(dir / "vms", "node");
  REQUIRE(prepare_instance_disk(instance, paths, record, Firmware{}).done.size() == 2);
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
  const auto again = prepare_instance_disk(instance, paths, record, Firmware{}).done;
  REQUIRE(again.size() == 1);
  CHECK(again[0].starts_with("created disk "));
  CHECK(run_checked({"qemu-io", "-f", "qcow2", "-c", "read -P 0x5a 0 64k", paths.state_disk.string()})
            .find("read 65536/65536 bytes") != std::string::npos);

  // A size changed in the configuration applies to a new state disk only, and says so.
  instance.state_disk_size = 512ULL << 20;
  CHECK(prepare_instance_disk(instance, paths, record, Firmware{}).done ==
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
  CHECK(prepare_instance_disk(instance, paths, record, Firmware{}).done.size() == 1);
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

namespace {

std::string backing_of(const fs::path& disk) {
  return nlohmann::json::parse(run_checked({"qemu-img", "info", "--output=json", disk.string()}))["backing-filename"];
}

bool reads(const fs::path& disk, const std::string& pattern) {
  return run_checked({"qemu-io", "-f", "qcow2", "-c", "read -P " + pattern + " 0 64k", disk.string()})
             .find("read 65536/65536 bytes") != std::string::npos;
}

}  // namespace

TEST_CASE("a system disk reads a pin of its golden image: a set-aside disk starts after its image was pulled over") {
  test::TempDir dir;
  const auto [golden, old_record, instance] = golden_in(dir, "release/node.qcow2", 64ULL << 20, BootMode::direct);
  const fs::path vms = dir / "vms", old_pin = vms / "pinned" / (old_record.sha256 + ".qcow2");
  const InstancePaths paths = InstancePaths::in(vms, "node");
  write_golden_record(vms, "node", old_record);
  prepare_instance_disk(instance, paths, old_record, Firmware{});
  run_checked({"qemu-io", "-f", "qcow2", "-c", "write -P 0x11 0 64k", paths.disk.string()});

  // An upgrade to a release pulled over the same path, as `launch pull` replaces STATE/NAME/release/.
  set_aside_system_disk(paths);
  run_checked({"qemu-img", "create", "-q", "-f", "qcow2", golden.string(), "48M"});
  const GoldenRecord new_record{golden, sha256_file(golden), fs::file_size(golden)};
  REQUIRE(new_record.sha256 != old_record.sha256);
  write_golden_record(vms, "node", new_record);
  const auto made = prepare_instance_disk(instance, paths, new_record, Firmware{}).done;
  const fs::path new_pin = vms / "pinned" / (new_record.sha256 + ".qcow2");
  CHECK(made[0] == fmt::format("created disk {} (64M) on {}, pinned as {}", paths.disk.string(), golden.string(),
                               new_pin.string()));
  CHECK(backing_of(paths.disk) == new_pin.string());
  CHECK(prune_pins(vms).empty());  // the set-aside disk still uses the old pin

  // The rollback: the old disk is put back and starts on the bytes it was made from.
  restore_system_disk(paths);
  CHECK(prepare_instance_disk(instance, paths, *read_golden_record(vms, "node"), Firmware{}).done.empty());
  CHECK(backing_of(paths.disk) == old_pin.string());
  CHECK(reads(paths.disk, "0x11"));
  // Only pins and the copies a killed process left go; a file of someone else's stays.
  const fs::path leftover = vms / "pinned" / ("." + new_record.sha256 + ".qcow2.tmp-1-0123456789abcdef");
  const fs::path stranger = vms / "pinned/node.qcow2";
  write_file_atomically(leftover, "x");
  write_file_atomically(stranger, "x");
  auto removed = prune_pins(vms);
  std::sort(removed.begin(), removed.end());
  CHECK(removed == std::vector<fs::path>{leftover, new_pin});
  CHECK(fs::exists(old_pin));
  CHECK(fs::exists(stranger));
  // A record edited to another digest does not cost the disk the pin it really reads.
  {
    const std::string kept = read_text_file(system_disk_record(paths));
    nlohmann::json record = nlohmann::json::parse(kept);
    record["golden_sha256"] = std::string(64, 'a');
    write_file_atomically(system_disk_record(paths), record.dump());
    CHECK(prune_pins(vms).empty());
    CHECK(fs::exists(old_pin));
    write_file_atomically(system_disk_record(paths), kept);
  }

  // A pin changed after it was made is refused, not booted.
  fs::permissions(old_pin, fs::perms(0600));
  run_checked({"qemu-io", "-f", "qcow2", "-c", "write -P 0x22 0 4k", old_pin.string()});
  CHECK_THROWS_WITH_AS(prepare_instance_disk(instance, paths, old_record, Firmware{}),
                       doctest::Contains(("the pinned golden image " + old_pin.string() + " has sha256 ").c_str()),
                       Error);
}

TEST_CASE("a disk made on the configured path itself is pinned at its next start, or refused if the path changed") {
  test::TempDir dir;
  const Golden made = golden_in(dir, "golden.qcow2", 64ULL << 20, BootMode::direct);
  const fs::path& golden = made.image;
  const GoldenRecord& record = made.record;
  const InstanceConfig& instance = made.instance;
  const fs::path vms = dir / "vms", pin = vms / "pinned" / (record.sha256 + ".qcow2");
  const InstancePaths paths = InstancePaths::in(vms, "node");
  const auto make_unpinned_disk = [&] {
    fs::create_directories(paths.disk.parent_path());
    fs::permissions(paths.disk.parent_path(), fs::perms(0700));
    run_checked(overlay_command(golden, paths.disk, 64ULL << 20));
    write_file_atomically(paths.disk.parent_path() / "disk.json",
                          nlohmann::json{{"golden_sha256", record.sha256}, {"golden_image", golden.string()}}.dump());
    run_checked({"qemu-io", "-f", "qcow2", "-c", "write -P 0x33 0 64k", paths.disk.string()});
  };
  make_unpinned_disk();
  const auto done = prepare_instance_disk(instance, paths, record, Firmware{}).done;
  REQUIRE_FALSE(done.empty());
  CHECK(done[0] == "pinned its golden image as " + pin.string());
  CHECK(backing_of(paths.disk) == pin.string());
  CHECK(reads(paths.disk, "0x33"));

  // The same, once its image was replaced at the path: it cannot be read correctly any more.
  fs::remove_all(vms);
  make_unpinned_disk();
  run_checked({"qemu-img", "create", "-q", "-f", "qcow2", golden.string(), "48M"});
  CHECK_THROWS_WITH_AS(prepare_instance_disk(instance, paths, record, Firmware{}),
                       doctest::Contains(("node: disk " + paths.disk.string() + " reads golden image " +
                                          golden.string() + ", which has changed (sha256 ")
                                             .c_str()),
                       Error);
  CHECK(backing_of(paths.disk) == golden.string());
  CHECK_FALSE(fs::exists(pin));
}

namespace {

std::vector<std::string> described(const std::vector<DiskAction>& actions) {
  std::vector<std::string> lines;
  for (const DiskAction& action : actions) lines.push_back(describe_action(action, "node"));
  return lines;
}

}  // namespace

TEST_CASE("what the dry run plans for an instance's disks is what the start then does, step for step") {
  test::TempDir dir;
  const fs::path template_file = dir / "AAVMF_VARS.fd";
  write_file_atomically(template_file, std::string(4096, '\0'));
  const Firmware firmware{dir / "AAVMF_CODE.fd", template_file};
  auto [golden, record, instance] = golden_in(dir, "golden.qcow2", 64ULL << 20, BootMode::uefi);
  instance.state_disk_size = 32ULL << 20;
  const fs::path vms = dir / "vms", pin = vms / "pinned" / (record.sha256 + ".qcow2");
  const InstancePaths paths = InstancePaths::in(vms, "node");
  // Planned first, as `launch all --dry-run` does, then started: the same steps, nothing else.
  const auto plan_then_start = [&] {
    const std::vector<DiskAction> planned = plan_instance_disk(instance, paths, record, firmware);
    const PreparedDisk started = prepare_instance_disk(instance, paths, record, firmware);
    CHECK(started.actions == planned);
    return described(planned);
  };

  // A first start: the folder, the pin, the overlay, the state disk, the variable store.
  CHECK(plan_then_start() ==
        std::vector<std::string>{
            "# node: make " + (vms / "node").string() + ", 0700",
            "# node: pin a copy of " + golden.string() + " as " + pin.string() + ", hashed as it is copied",
            fmt::format("qemu-img create -q -f qcow2 -F qcow2 -b {} {} 67108864", pin.string(), paths.disk.string()),
            "qemu-img create -q -f qcow2 " + paths.state_disk.string() + " 33554432",
            "cp " + template_file.string() + " " + paths.efi_vars.string()});
  // The same start again: only the pin's check.
  CHECK(plan_then_start() ==
        std::vector<std::string>{"# node: check that " + pin.string() + " still hashes to its name"});
  // A larger disk and state disk in the configuration: the system disk grows (qemu-img resize),
  // the state disk only says it keeps its size.
  instance.disk_size = 96ULL << 20;
  instance.state_disk_size = 64ULL << 20;
  CHECK(plan_then_start() ==
        std::vector<std::string>{"# node: check that " + pin.string() + " still hashes to its name",
                                 "qemu-img resize -q -f qcow2 " + paths.disk.string() + " 100663296",
                                 "# node: state disk is 32M (state_disk 64M applies to a new disk only)"});
  CHECK(nlohmann::json::parse(
            run_checked({"qemu-img", "info", "--output=json", paths.disk.string()}))["virtual-size"] == 96ULL << 20);
  // A state disk from before its record was kept, and a lost variable store.
  instance.state_disk_size = 32ULL << 20;
  fs::remove(paths.state_record);
  fs::remove(paths.efi_vars);
  CHECK(plan_then_start() ==
        std::vector<std::string>{"# node: check that " + pin.string() + " still hashes to its name",
                                 "# node: record the state disk's size (32M) in " + paths.state_record.string(),
                                 "cp " + template_file.string() + " " + paths.efi_vars.string()});
  CHECK(fs::exists(paths.state_record));
  CHECK(fs::exists(paths.efi_vars));
}
