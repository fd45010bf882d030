// `launch upgrade` driven through a fake host (support/fake_instance_host.hpp): the gate, the
// rollback after a failed gate and after a refused start, and the rollout stopping at the first
// instance that fails, with the state folder locked at every stop and start. The disks, pins and
// records are real files; the boot test upgrades real guests.
#include "launcher/run/upgrade_instances.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "common/util/error.hpp"
#include "common/util/process.hpp"
#include "common/util/sha256.hpp"
#include "common/util/text_file.hpp"
#include "support/fake_instance_host.hpp"
#include "support/temp_dir.hpp"

using namespace trustnet;
using namespace trustnet::launcher;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// Both instances from `launch init` running on the fake host, and a new node image at the
// configured path.
struct Running {
  test::TempDir dir;
  LaunchConfig config;
  std::unique_ptr<test::FakeInstanceHost> host;
  std::string old_sha, new_sha;
  fs::path image;

  explicit Running(std::vector<test::FakeBoot> node_boots) {
    config = test::initialised_checkout(dir);
    host = std::make_unique<test::FakeInstanceHost>(config);
    host->boots("node", std::move(node_boots));
    LaunchOptions options;
    options.quiet = true;
    launch_instances(*host, config, config.instances, options);
    image = dir / "out/node.qcow2";
    old_sha = sha256_file(image);
    run_checked({"qemu-img", "create", "-q", "-f", "qcow2", image.string(), "2G"});
    new_sha = sha256_file(image);
  }
  UpgradeOptions options() const {
    UpgradeOptions options;
    options.launch.quiet = true;
    options.launch.timeout = 300s;
    return options;
  }
  std::vector<UpgradeOutcome> upgrade() {
    return upgrade_instances(*host, config, config.instances, upgrade_choices(config, config.instances), options());
  }
  std::string upgrade_error() {
    try {
      upgrade();
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  }
  std::string recorded_sha() const {
    return nlohmann::json::parse(read_text_file(config.state_dir / "node/golden.json"))["sha256"];
  }
  std::string text(const std::string& sha) const { return fmt::format("{} ({})", sha.substr(0, 12), image.string()); }
};

bool all_locked(const std::vector<std::string>& events) {
  return std::all_of(events.begin(), events.end(), [](const std::string& e) { return e.ends_with(" (locked)"); });
}

}  // namespace

TEST_CASE("launch upgrade moves a node to the new image once it is up and its chain has passed the height it had") {
  Running setup({{.answers_after = 20s, .height = 100}, {.answers_after = 30s, .height = 150}});
  const auto before = setup.host->events().size();
  const auto outcomes = setup.upgrade();
  REQUIRE(outcomes.size() == 2);
  CHECK(outcomes[0].name == "node");
  CHECK(outcomes[0].text.starts_with(
      fmt::format("upgraded from {} to {} in ", setup.old_sha.substr(0, 12), setup.text(setup.new_sha))));
  CHECK(outcomes[0].text.find(" s (up, height 15") != std::string::npos);
  CHECK(outcomes[1].text.starts_with("already runs "));
  const auto events = setup.host->events();
  CHECK(std::vector<std::string>(events.begin() + before, events.end()) ==
        std::vector<std::string>{"stop node: powered off in 3.0 s (locked)", "start node (locked)"});
  CHECK(setup.recorded_sha() == setup.new_sha);
  CHECK(fs::exists(setup.config.state_dir / "node/previous/disk.qcow2"));
}

TEST_CASE("launch upgrade rolls back an instance that fails its gate, and the rollout stops before the next one") {
  SUBCASE("never answers") {
    Running setup({{.height = 100}, {.answers_after = std::nullopt}, {.answers_after = 20s, .height = 120}});
    const auto before = setup.host->events().size();
    const std::string error = setup.upgrade_error();
    CHECK(
        error.starts_with(fmt::format("node: the new image {} was not up (ssh and rpc answer), its chain caught up "
                                      "and past height ",
                                      setup.text(setup.new_sha))));
    CHECK(
        error.ends_with(fmt::format(" within 300 s: ssh and rpc did not answer (it was booting); rolled back to {}, "
                                    "which is up again; the rollout stopped",
                                    setup.text(setup.old_sha))));
    const auto events = setup.host->events();
    // Never two QEMUs of the node, the state folder locked at every step, the registry untouched.
    CHECK(std::vector<std::string>(events.begin() + before, events.end()) ==
          std::vector<std::string>{"stop node: powered off in 3.0 s (locked)", "start node (locked)",
                                   "stop node: powered off in 3.0 s (locked)", "start node (locked)"});
    CHECK(all_locked(events));
    CHECK(setup.host->running("node"));
    CHECK(setup.host->running("registry"));
    CHECK(setup.recorded_sha() == setup.old_sha);
    CHECK_FALSE(fs::exists(setup.config.state_dir / "node/previous"));
    // The system disk put back is the old one, made from the pin of the bytes it was made from;
    // no disk is made from the new image's pin any more, and it is gone.
    const fs::path vms = setup.config.state_dir, old_pin = vms / "pinned" / (setup.old_sha + ".qcow2");
    CHECK(nlohmann::json::parse(read_text_file(vms / "node/disk.json"))["golden_sha256"] == setup.old_sha);
    CHECK(nlohmann::json::parse(run_checked(
              {"qemu-img", "info", "-U", "--output=json", (vms / "node/disk.qcow2").string()}))["backing-filename"] ==
          old_pin.string());
    CHECK(sha256_file(old_pin) == setup.old_sha);
    CHECK_FALSE(fs::exists(vms / "pinned" / (setup.new_sha + ".qcow2")));
  }
  SUBCASE("its chain still catching up") {
    Running setup({{.height = 100}, {.height = 100, .catching_up = true}, {.height = 130}});
    const std::string error = setup.upgrade_error();
    CHECK(error.find(" within 300 s: its chain was still catching up at height ") != std::string::npos);
    CHECK(error.ends_with("which is up again; the rollout stopped"));
  }
  SUBCASE("its QEMU will not start") {
    Running setup({{.height = 100}, {.refuses_start = true}, {.height = 130}});
    const std::string error = setup.upgrade_error();
    CHECK(error == fmt::format("node: the new image {} was refused: node: QEMU did not start: it exited without a "
                               "word; rolled back to {}, which is up again; the rollout stopped",
                               setup.text(setup.new_sha), setup.text(setup.old_sha)));
  }
  SUBCASE("the old image does not come back either") {
    Running setup({{.height = 100}, {.exits_after = 10s}});
    const std::string error = setup.upgrade_error();
    CHECK(error.find("was refused: ") == std::string::npos);
    CHECK(error.find(": its QEMU exited while the guest was booting (see `launch logs node`); rolled back to " +
                     setup.text(setup.old_sha) +
                     ", which did not come up again either: node: QEMU exited while the "
                     "guest was booting; see ") != std::string::npos);
    CHECK_FALSE(setup.host->running("node"));
    CHECK(setup.recorded_sha() == setup.old_sha);
  }
}
