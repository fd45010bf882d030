// The state-disk script of the golden images, run as Alpine runs it (busybox's sh and applets,
// e2fsprogs' mkfs.ext4 and e2fsck) on a directory tree standing for the appliance's root and a
// real loop device, in a mount namespace of its own, so that every mount ends with the test.
#include <doctest/doctest.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "baker/plan/plan.hpp"
#include "baker/recipe/recipe_loader.hpp"
#include "common/util/process.hpp"
#include "common/util/text_file.hpp"
#include "support/temp_dir.hpp"
#include "support/test_paths.hpp"

using namespace trustnet;
namespace fs = std::filesystem;

namespace {

const fs::path kScript = test::source_dir() / "overlays/common/usr/local/sbin/trustnet-state";

// An image file of `mib` MiB behind a loop device, detached at the end.
class LoopDisk {
 public:
  LoopDisk(const fs::path& image, int mib) {
    run_checked({"truncate", "-s", std::to_string(mib) + "M", image.string()});
    device_ = run_checked({"losetup", "--find", "--show", image.string()});
    device_.erase(device_.find_last_not_of('\n') + 1);
  }
  ~LoopDisk() { run_process({"losetup", "-d", device_}); }
  LoopDisk(const LoopDisk&) = delete;
  LoopDisk& operator=(const LoopDisk&) = delete;
  const std::string& device() const { return device_; }

 private:
  std::string device_;
};

// busybox's applets alone on PATH, with e2fsprogs' programs as Alpine's e2fsprogs package installs them.
fs::path alpine_bin(const test::TempDir& dir) {
  const fs::path bin = dir / "bin";
  if (fs::exists(bin)) return bin;
  fs::create_directories(bin);
  std::istringstream applets(run_checked({"/bin/busybox", "--list"}));
  for (std::string applet; std::getline(applets, applet);)
    if (!applet.empty()) fs::create_symlink("/bin/busybox", bin / applet);
  for (const char* program : {"mkfs.ext4", "e2fsck"}) {
    fs::remove(bin / program);
    fs::create_symlink(fs::path("/sbin") / program, bin / program);
  }
  return bin;
}

// What the golden image holds: one state folder with a file baked into it.
fs::path golden_root(const test::TempDir& dir) {
  // Owners by name, resolved against the image's accounts (the host has no warden).
  dir.write("root/etc/passwd", "root:x:0:0:root:/root:/bin/sh\nwarden:x:1100:1100::/home/warden:/bin/sh\n");
  dir.write("root/etc/group", "root:x:0:root\nwarden:x:1100:\n");
  dir.write("root/etc/trustnet/state-folders", "# MODE OWNER GROUP PATH\n0700 warden warden /opt/app/data\n");
  dir.write("root/opt/app/data/baked", "from the image\n");
  return dir / "root";
}

// The script, then `after` (a shell command line), in one mount namespace of their own.
ProcessResult state(const test::TempDir& dir, const fs::path& root, const std::string& device,
                    const std::string& after = "true") {
  return run_process({"unshare", "--mount", "--propagation", "private", "env", "-i", "PATH=" + alpine_bin(dir).string(),
                      "TRUSTNET_ROOT=" + root.string(), "TRUSTNET_STATE_DEVICE=" + device, "/bin/busybox", "sh", "-c",
                      "sh " + kScript.string() + " && " + after});
}

std::string uuid_of(const std::string& device) {
  return run_process({"blkid", "-s", "UUID", "-o", "value", device}).out;
}

// A file of the (unmounted) state disk, read by debugfs.
std::string on_disk(const std::string& device, const std::string& path) {
  return run_process({"debugfs", "-R", "cat " + path, device}).out;
}

}  // namespace

TEST_CASE("trustnet-state is valid sh and executable") {
  CHECK(run_process({"sh", "-n", kScript.string()}).exit_status == 0);
  CHECK((fs::status(kScript).permissions() & fs::perms::owner_exec) != fs::perms::none);
}

TEST_CASE(
    "a blank state disk is formatted once, and its folders hold the image's files the first time and the state after") {
  test::TempDir dir;
  const fs::path root = golden_root(dir);
  LoopDisk disk(dir / "state.img", 64);
  const std::string data = (root / "opt/app/data").string();

  const ProcessResult first = state(dir, root, disk.device(),
                                    "cat " + data + "/baked && echo marker > " + data + "/written && awk '$2 == \"" +
                                        data + "\" { print \"bound\" }' /proc/mounts");
  INFO(first.err);
  REQUIRE(first.exit_status == 0);
  CHECK(first.out.find("formatting the blank state disk " + disk.device() + " (ext4, label trustnet-state)") !=
        std::string::npos);
  CHECK(first.out.find("/opt/app/data: first use; it holds what the image had there") != std::string::npos);
  CHECK(first.out.find("from the image\nbound\n") != std::string::npos);
  CHECK(run_process({"blkid", "-s", "LABEL", "-o", "value", disk.device()}).out == "trustnet-state\n");
  const std::string uuid = uuid_of(disk.device());
  // What was written in the folder went to the disk, with the folder's owner and mode.
  CHECK(on_disk(disk.device(), "/folders/opt/app/data/written") == "marker\n");
  const std::string facts = run_process({"debugfs", "-R", "stat /folders/opt/app/data", disk.device()}).out;
  CHECK(std::regex_search(facts, std::regex("User: +1100 +Group: +1100")));
  CHECK(std::regex_search(facts, std::regex("Mode: +0700")));
  // The system disk's folder itself was not written: the state went to the state disk.
  CHECK_FALSE(fs::exists(root / "opt/app/data/written"));

  // A new system disk (the image's file changed): the state disk is mounted as it is, never
  // formatted again, and its folder wins over the image's.
  dir.write("root/opt/app/data/baked", "from a new image\n");
  const ProcessResult again = state(dir, root, disk.device(), "cat " + data + "/written " + data + "/baked");
  INFO(again.err);
  REQUIRE(again.exit_status == 0);
  CHECK(again.out.find("formatting") == std::string::npos);
  CHECK(again.out.find("first use") == std::string::npos);
  CHECK(again.out.find("/opt/app/data is on the state disk\nmarker\nfrom the image\n") != std::string::npos);
  CHECK(uuid_of(disk.device()) == uuid);

  // `stop` unmounts the folders and the disk.
  const ProcessResult stop = state(dir, root, disk.device(),
                                   "sh " + kScript.string() + " stop && awk -v r=" + root.string() +
                                       " 'index($2, r) == 1 { print \"still mounted:\", $2 }' /proc/mounts");
  CHECK(stop.exit_status == 0);
  CHECK(stop.out.find("still mounted") == std::string::npos);
}

TEST_CASE("a state disk holding anything else is never formatted, and the folders stay unmounted") {
  test::TempDir dir;
  const fs::path root = golden_root(dir);
  const std::string data = (root / "opt/app/data").string();

  // An ext4 filesystem with another label (another instance's disk, say).
  LoopDisk other(dir / "other.img", 64);
  run_checked({"mkfs.ext4", "-q", "-L", "backups", other.device()});
  const std::string uuid = uuid_of(other.device());
  ProcessResult refused = state(dir, root, other.device());
  CHECK(refused.exit_status == 1);
  CHECK(refused.out == "trustnet-state: error: the state disk " + other.device() +
                           " holds a ext4 filesystem labelled 'backups', not ext4 labelled trustnet-state: it is left "
                           "as it is (never formatted), the state folders are not mounted and the services that keep "
                           "state do not start\n");
  CHECK(uuid_of(other.device()) == uuid);

  // Data blkid does not know (a partition table of another system, an encrypted volume): not blank.
  LoopDisk used(dir / "used.img", 64);
  {
    std::fstream image(dir / "used.img", std::ios::in | std::ios::out | std::ios::binary);
    image.seekp(300 * 1024);
    image << "somebody's data";
  }
  ProcessResult not_blank = state(dir, root, used.device());
  CHECK(not_blank.exit_status == 1);
  CHECK(not_blank.out.find("holds data but no filesystem: it is left as it is (never formatted)") != std::string::npos);
  CHECK(run_process({"blkid", used.device()}).out.empty());

  // No state disk at all.
  ProcessResult missing = state(dir, root, "/dev/no-such-disk");
  CHECK(missing.exit_status == 1);
  CHECK(missing.out == "trustnet-state: error: the state disk /dev/no-such-disk is not a block device\n");

  // A list that is not one: nothing is touched.
  dir.write("root/etc/trustnet/state-folders", "0700 1100 1100 /opt/../etc\n");
  LoopDisk blank(dir / "blank.img", 64);
  ProcessResult bad_list = state(dir, root, blank.device());
  CHECK(bad_list.exit_status == 1);
  CHECK(bad_list.err.find("line 1 is not MODE OWNER GROUP /PATH: 0700 1100 1100 /opt/../etc") != std::string::npos);
  CHECK(run_process({"blkid", blank.device()}).out.empty());
}

TEST_CASE("the list bake writes for the registry recipe is the one trustnet-state reads") {
  test::TempDir dir;
  baker::LoadOptions options;
  options.extra_ssh_keys = {dir.write("op.pub", test::operator_key + "\n")};
  const baker::Plan plan = baker::make_plan(baker::load_recipe(test::source_dir() / "recipes/registry.yaml", options));
  std::string list;
  for (const auto& step : plan.steps)
    if (const auto* write = std::get_if<baker::WriteFile>(&step); write && write->path == "/etc/trustnet/state-folders")
      list = write->content;
  REQUIRE_FALSE(list.empty());
  dir.write("root/etc/passwd", "root:x:0:0:root:/root:/bin/sh\nkeeper:x:1200:1200::/home/keeper:/bin/sh\n");
  dir.write("root/etc/group", "root:x:0:root\nkeeper:x:1200:\n");
  dir.write("root/etc/trustnet/state-folders", list);
  dir.write("root/var/lib/trustnet-registry/docker/registry/v2/repositories/.keep", "");
  LoopDisk disk(dir / "state.img", 64);

  const ProcessResult result = state(dir, dir / "root", disk.device());
  INFO(result.out, result.err);
  REQUIRE(result.exit_status == 0);
  CHECK(result.out.find("/var/lib/trustnet-registry is on the state disk") != std::string::npos);
  const std::string facts =
      run_process({"debugfs", "-R", "stat /folders/var/lib/trustnet-registry", disk.device()}).out;
  CHECK(std::regex_search(facts, std::regex("User: +1200 +Group: +1200")));
  CHECK(std::regex_search(facts, std::regex("Mode: +0750")));
  CHECK(run_process({"debugfs", "-R", "ls /folders/var/lib/trustnet-registry/docker/registry/v2", disk.device()})
            .out.find("repositories") != std::string::npos);
}
