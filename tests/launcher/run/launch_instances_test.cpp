// `launch all`, `launch status` and `launch stop` driven through a fake host (support/
// fake_instance_host.hpp): real disks, identities and records from `launch init` in a test's
// state folder; QEMU, probes and time are the fake's. What needs a real guest is the boot test's.
#include "launcher/run/launch_instances.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "common/util/error.hpp"
#include "common/util/file_lock.hpp"
#include "common/util/process.hpp"
#include "launcher/run/stop_instances.hpp"
#include "support/fake_instance_host.hpp"
#include "support/temp_dir.hpp"

using namespace trustnet;
using namespace trustnet::launcher;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// The checkout's configuration in a test folder, after `launch init`.
struct Initialised {
  test::TempDir dir;
  LaunchConfig config;
  Initialised() : config(test::initialised_checkout(dir)) {}
  const InstanceConfig& instance(const std::string& name) const {
    for (const auto& instance : config.instances)
      if (instance.identity.name == name) return instance;
    FAIL("no instance " << name);
    throw;
  }
};

LaunchOptions quiet(std::chrono::seconds timeout = 300s) {
  LaunchOptions options;
  options.quiet = true;
  options.timeout = timeout;
  return options;
}

std::string error_of(const std::function<void()>& work) {
  try {
    work();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("launch all starts every instance and returns once each is up, not before") {
  Initialised setup;
  test::FakeInstanceHost host(setup.config);
  host.boots("node", {{.answers_after = 40s, .height = 7}});
  host.boots("registry", {{.answers_after = 25s}});
  const auto rows = launch_instances(host, setup.config, setup.config.instances, quiet());
  REQUIRE(rows.size() == 2);
  for (const auto& row : rows) {
    CHECK(row.phase == Phase::up);
    CHECK(row.answered.size() == 3);
  }
  CHECK(rows[0].chain->height >= 7);
  // Up when the slower one answered: not at the first answer, not long after.
  CHECK(host.elapsed() >= 40s);
  CHECK(host.elapsed() < 42s);
  const auto events = host.events();
  CHECK(std::count(events.begin(), events.end(), "start node (locked)") == 1);
  CHECK(std::count(events.begin(), events.end(), "start registry (locked)") == 1);
  // What `launch status` then shows: both up, through the same probes.
  for (const auto& row : instance_status(host, setup.config, setup.config.instances)) CHECK(row.phase == Phase::up);
}

TEST_CASE(
    "launch all gives up at its timeout when a probe never answers, says what the console said, and leaves the "
    "instances running") {
  Initialised setup;
  test::FakeInstanceHost host(setup.config);
  host.boots("node", {{.answers_after = std::nullopt,
                       .console = " * Starting cometbft ...\n * ERROR: cometbft failed to start\n"}});
  const std::string error = error_of([&] { launch_instances(host, setup.config, setup.config.instances, quiet(90s)); });
  CHECK(error ==
        "timed out after 90 s: node is booting (its console: ERROR: cometbft failed to start) "
        "(the instances keep running; see `launch status` and `launch logs NAME`)");
  CHECK(host.elapsed() >= 90s);
  CHECK(host.elapsed() < 91s);
  CHECK(host.running("node"));
  CHECK(host.running("registry"));
}

TEST_CASE(
    "launch all reports a QEMU that will not start after the others have started, and one that exits while "
    "booting") {
  SUBCASE("will not start") {
    Initialised setup;
    test::FakeInstanceHost host(setup.config);
    host.boots("registry", {{.refuses_start = true}});
    const std::string error = error_of([&] { launch_instances(host, setup.config, setup.config.instances, quiet()); });
    CHECK(error == "registry: QEMU did not start: it exited without a word");
    CHECK(host.running("node"));
    CHECK_FALSE(host.running("registry"));
  }
  SUBCASE("exits while booting") {
    Initialised setup;
    test::FakeInstanceHost host(setup.config);
    host.boots("node", {{.exits_after = 5s}});
    const std::string error = error_of([&] { launch_instances(host, setup.config, setup.config.instances, quiet()); });
    CHECK(error == fmt::format("node: QEMU exited while the guest was booting; see {}",
                               (setup.config.state_dir / "node/serial.log").string()));
    CHECK(host.elapsed() >= 5s);
    CHECK(host.elapsed() < 6s);
  }
}

TEST_CASE(
    "launch all refuses before starting anything: an instance already running, a forwarded port in use, no "
    "bridge") {
  Initialised setup;
  test::FakeInstanceHost host(setup.config);
  launch_instances(host, setup.config, {setup.instance("node")}, quiet());
  const auto started = host.events().size();

  CHECK(error_of([&] { launch_instances(host, setup.config, setup.config.instances, quiet()); }) ==
        "node is already running (pid 40001); `launch stop node` first");
  host.ports_taken.insert(8053);
  CHECK(error_of([&] { launch_instances(host, setup.config, {setup.instance("registry")}, quiet()); }) ==
        "registry: port 127.0.0.1:8053 (forwarded to guest port 8053) is already in use by another program");
  host.ports_taken.clear();
  host.network_missing = "bridge trustnet0 does not exist; run `sudo launch network up` first";
  CHECK(error_of([&] { launch_instances(host, setup.config, {setup.instance("registry")}, quiet()); }) ==
        *host.network_missing);
  CHECK(host.events().size() == started);
  CHECK_FALSE(host.running("registry"));
}

TEST_CASE("launch status shows a guest that stopped answering as degraded, with what it lost") {
  Initialised setup;
  test::FakeInstanceHost host(setup.config);
  host.boots("registry", {{.answers_after = 20s, .hangs_after = 60s}});
  launch_instances(host, setup.config, {setup.instance("registry")}, quiet());
  CHECK(instance_status(host, setup.config, {setup.instance("registry")}).front().phase == Phase::up);
  host.sleep_for(60s);
  const HealthRow row = instance_status(host, setup.config, {setup.instance("registry")}).front();
  CHECK(row.phase == Phase::degraded);
  CHECK(row.lost == std::vector<std::string>{"ping", "ssh", "health"});
}

TEST_CASE("launch stop powers each instance down, and says when a guest needed SIGTERM") {
  Initialised setup;
  test::FakeInstanceHost host(setup.config);
  host.boots("registry", {{.ignores_power_down = true}});
  launch_instances(host, setup.config, setup.config.instances, quiet());
  const auto stopped = stop_instances(host, setup.config, setup.config.instances, 120s);
  REQUIRE(stopped.size() == 2);
  CHECK(stopped[0].name == "node");
  CHECK(describe(stopped[0].outcome) == "powered off in 3.0 s");
  CHECK(describe(stopped[1].outcome) == "terminated with SIGTERM in 121.0 s (the guest did not power off)");
  CHECK_FALSE(host.running("node"));
  CHECK_FALSE(host.running("registry"));
  CHECK(describe(stop_instances(host, setup.config, {setup.instance("node")}, 120s)[0].outcome) == "not running");
}

TEST_CASE("what launch --dry-run prints is what the start then does: the disk steps and the QEMU command") {
  Initialised setup;
  test::FakeInstanceHost host(setup.config);
  for (int start = 0; start < 2; ++start) {  // a first start makes the disks; a second finds them
    const LaunchPlan plan = launch_plan(host, setup.config, setup.config.instances, quiet());
    REQUIRE_FALSE(plan.stop);
    launch_instances(host, setup.config, setup.config.instances, quiet());
    // Each instance: the check of its image, its disk steps (folder, pin, overlay, state disk,
    // variable store; then only the pin's check), the I/O mode, the command.
    CHECK(plan.lines.size() == (start == 0 ? 2 * 7 : 2 * 4));
    for (const char* name : {"node", "registry"})
      CHECK(std::count(plan.lines.begin(), plan.lines.end(), command_line(host.last_command(name))) == 1);
    stop_instances(host, setup.config, setup.config.instances, 120s);
  }
}
