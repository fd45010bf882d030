// `launch upgrade --dry-run` on the checkout's configuration: what it verifies, what it says each
// instance runs and would run, and that it changes nothing; and that it is refused beside another launch.
// The upgrade itself boots appliances: the boot test runs it.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "common/util/file_lock.hpp"
#include "common/util/process.hpp"
#include "common/util/sha256.hpp"
#include "common/util/text_file.hpp"
#include "support/checkout_config.hpp"
#include "support/temp_dir.hpp"
#include "support/text_lines.hpp"

using namespace trustnet;
namespace fs = std::filesystem;

namespace {

ProcessResult launch(std::vector<std::string> args) {
  args.insert(args.begin(), TRUSTNET_LAUNCH_BINARY);
  return run_process(args);
}

}  // namespace

TEST_CASE("launch upgrade --dry-run verifies the new image, prints the steps with the rollback, and changes nothing") {
  test::TempDir dir;
  const fs::path config = test::checkout_config_in(dir);
  REQUIRE(launch({"init", "--config", config.string()}).exit_status == 0);
  const fs::path vms = dir / "vms", image = dir / "out/node.qcow2";
  const std::string old_sha = sha256_file(image);

  // Before any start there is no system disk: the upgrade would make the first.
  ProcessResult first = launch({"upgrade", "node", "--dry-run", "--config", config.string()});
  INFO(first.err);
  REQUIRE(first.exit_status == 0);
  CHECK(test::lines_starting(first.out, "# node: no system disk yet; the configuration names " + old_sha.substr(0, 12) +
                                            " (" + image.string() + ")")
            .size() == 1);

  // A disk made from the recorded image: nothing to do.
  REQUIRE(
      launch({"export", "libvirt", "node", "--out", (dir / "xml").string(), "--config", config.string()}).exit_status ==
      0);
  CHECK(test::lines_starting(launch({"upgrade", "node", "--dry-run", "--config", config.string()}).out, "")[0] ==
        fmt::format("# node: already runs {} ({}); nothing to do", old_sha.substr(0, 12), image.string()));

  // A new image at the configured path: the steps, in order, and nothing done.
  run_checked({"qemu-img", "create", "-q", "-f", "qcow2", image.string(), "2G"});
  const std::string new_sha = sha256_file(image);
  REQUIRE(new_sha != old_sha);
  const fs::path disk = vms / "node/disk.qcow2";
  const auto before = fs::last_write_time(disk);
  ProcessResult plan = launch({"upgrade", "node", "--dry-run", "--timeout", "300", "--config", config.string()});
  INFO(plan.err);
  REQUIRE(plan.exit_status == 0);
  const auto lines = test::lines_starting(plan.out, "");
  REQUIRE(lines.size() == 7);
  CHECK(lines[0] == fmt::format("# node: runs {} ({}); the configuration names {} ({})", old_sha.substr(0, 12),
                                image.string(), new_sha.substr(0, 12), image.string()));
  CHECK(lines[1] ==
        "# node: stop: ACPI power-down (120 s), then SIGTERM, then SIGKILL; QEMU gone before anything else");
  CHECK(lines[2] == fmt::format("# node: set aside {}, disk.json and golden.json in {}", disk.string(),
                                (vms / "node/previous").string()));
  const fs::path pin = vms / "pinned" / (new_sha + ".qcow2");
  CHECK(lines[3] ==
        fmt::format("# node: pin a copy of {} as {}, hashed as it is copied", image.string(), pin.string()));
  CHECK(lines[4] ==
        fmt::format("qemu-img create -q -f qcow2 -F qcow2 -b {} {} 53687091200", pin.string(), disk.string()));
  CHECK(lines[5] == fmt::format("# node: start it on the new disk and its state disk {}, then wait up to 300 s until "
                                "up (ssh and rpc answer), its chain caught up and committing",
                                (vms / "node/state.qcow2").string()));
  CHECK(lines[6] == fmt::format("# node: otherwise stop it, put {} back, start it again and stop the rollout",
                                (vms / "node/previous").string()));
  CHECK(fs::last_write_time(disk) == before);
  CHECK_FALSE(fs::exists(vms / "node/previous"));
  CHECK_FALSE(fs::exists(pin));
  CHECK(nlohmann::json::parse(read_text_file(vms / "node/golden.json"))["sha256"] == old_sha);

  // An image that is not there: refused before anything, naming it.
  fs::remove(image);
  ProcessResult missing = launch({"upgrade", "all", "--dry-run", "--config", config.string()});
  CHECK(missing.exit_status != 0);
  CHECK(missing.err.find("image " + image.string() + " of instance node does not exist") != std::string::npos);
}

TEST_CASE("launch upgrade is refused while another launch holds the state folder, before it stops or moves anything") {
  test::TempDir dir;
  const fs::path config = test::checkout_config_in(dir);
  REQUIRE(launch({"init", "--config", config.string()}).exit_status == 0);
  REQUIRE(
      launch({"export", "libvirt", "node", "--out", (dir / "xml").string(), "--config", config.string()}).exit_status ==
      0);
  run_checked({"qemu-img", "create", "-q", "-f", "qcow2", (dir / "out/node.qcow2").string(), "2G"});
  const std::string golden_before = read_text_file(dir / "vms/node/golden.json");
  {
    auto held = FileLock::try_acquire(dir / "vms/.lock", "launch all");
    REQUIRE(held);
    ProcessResult refused = launch({"upgrade", "node", "--config", config.string()});
    CHECK(refused.exit_status == 1);
    CHECK(refused.err == fmt::format("launch: {} is busy: launch all (pid {}) is running; wait for it to finish\n",
                                     (dir / "vms").string(), ::getpid()));
  }
  CHECK(fs::exists(dir / "vms/node/disk.qcow2"));
  CHECK_FALSE(fs::exists(dir / "vms/node/previous"));
  CHECK(read_text_file(dir / "vms/node/golden.json") == golden_before);
}
