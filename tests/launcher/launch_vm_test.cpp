// Boots the shared golden images with `launch`, as operators run it, inside a network namespace
// of the test's own: Debian's arm64 cloud kernel and an initramfs made here boot each image
// directly under TCG; the guests take their identity from the seed disk and their address from
// the /etc/network/interfaces the baker wrote, and answer on the bridge.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <regex>

#include "../baker/baked_images.hpp"
#include "../support/initramfs.hpp"
#include "../support/net_namespace.hpp"
#include "../support/test_paths.hpp"
#include "common/process.hpp"
#include "common/sha256.hpp"
#include "common/text_file.hpp"
#include "launcher/instance/instance_runtime.hpp"

using namespace trustnet;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

fs::path run_dir() { return test::test_data_dir() / "launch-run"; }

std::string instance_yaml(const std::string& name, const std::string& address, const fs::path& image, const std::string& disk,
                          const std::string& forwards) {
  return fmt::format(R"(  {0}:
    role: {0}
    image: {1}
    hostname: trustnet-{0}
    address: {2}
    memory: 512M
    cpus: 1
    disk: {3}
    forwards: [{4}]
    boot: direct
    kernel: {5}
    initrd: initrd.gz
    append: console=ttyAMA0
)",
                     name, image.string(), address, disk, forwards, (test::test_data_dir() / "boot-parts/vmlinuz").string());
}

fs::path write_config(const test::Baked& baked) {
  fs::remove_all(run_dir());
  fs::create_directories(run_dir());
  test::write_boot_initramfs(test::test_data_dir() / "boot-parts", run_dir() / "initrd.gz");
  const std::string text = fmt::format("network:\n  chain_id: trustnet-boot\nbridge:\n  name: tnbr0\n  address: fd10:1234::fe/32\n"
                                       "state: {}\ninstances:\n{}{}",
                                       (run_dir() / "vms").string(),
                                       instance_yaml("node", "fd10:1234::1", baked.out / "node.qcow2", "50G", "{host: 3222, guest: 22}"),
                                       instance_yaml("registry", "fd10:1234::2", baked.out / "registry.qcow2", "30G",
                                                     "{host: 3223, guest: 22}, {host: 8053, guest: 8053}"));
  const fs::path config = run_dir() / "launch.yaml";
  std::ofstream(config) << text;
  return config;
}

std::vector<std::string> launch(const fs::path& config, std::vector<std::string> args) {
  args.insert(args.begin(), TRUSTNET_LAUNCH_BINARY);
  args.insert(args.end(), {"--config", config.string()});
  return args;
}

json by_name(const json& rows, const std::string& name) {
  for (const auto& row : rows)
    if (row["name"] == name) return row;
  return json();
}

}  // namespace

TEST_CASE("launch boots both appliances on a ULA bridge in a namespace, reports them, refuses a second start, and stops them") {
  const test::Baked& baked = test::baked_images();
  REQUIRE(baked.all.exit_status == 0);
  const fs::path config = write_config(baked);
  const fs::path vms = run_dir() / "vms";
  const std::string node_golden_sha256 = sha256_file(baked.out / "node.qcow2");

  ProcessResult init = run_process(launch(config, {"init"}));
  INFO(init.err);
  REQUIRE(init.exit_status == 0);
  CHECK(init.out.find("node: golden image " + (baked.out / "node.qcow2").string() + " sha256 " + node_golden_sha256) != std::string::npos);

  test::NetNamespace ns("boot");
  // Without the bridge nothing starts, and the message says what to run.
  ProcessResult no_bridge = run_process(ns.inside(launch(config, {"all"})));
  CHECK(no_bridge.exit_status == 1);
  CHECK(no_bridge.err == "launch: bridge tnbr0 does not exist; run `sudo launch network up` first\n");

  // The network: bridge with the host's address and one tap per instance, made once.
  ProcessResult up = run_process(ns.inside(launch(config, {"network", "up"})));
  INFO(up.err);
  REQUIRE(up.exit_status == 0);
  CHECK(up.out == "created bridge tnbr0\nbrought up tnbr0\nadded fd10:1234::fe/32 to tnbr0\ncreated tap tn-node for uid 0\n"
                  "attached tn-node to tnbr0\ncreated tap tn-registry for uid 0\nattached tn-registry to tnbr0\n");
  CHECK(run_process(ns.inside(launch(config, {"network", "up"}))).out == "network already up; nothing changed\n");

  // Both instances start side by side and answer ping on the bridge.
  const auto started = std::chrono::steady_clock::now();
  ProcessResult all = run_process(ns.inside(launch(config, {"all", "--wait", "reachable", "--timeout", "300", "--json"})));
  const double boot_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  INFO(all.err);
  REQUIRE(all.exit_status == 0);
  MESSAGE(fmt::format("both instances answered ping {:.1f} s after `launch all` (TCG)", boot_seconds));
  const json rows = json::parse(all.out);
  REQUIRE(rows.size() == 2);
  for (const char* name : {"node", "registry"}) {
    CAPTURE(name);
    const json row = by_name(rows, name);
    CHECK(row["state"] == "reachable");
    CHECK(row["answered"][0] == "ping");
    CHECK(row["pid"].get<int>() > 0);
    CHECK(std::regex_search(all.err, std::regex(fmt::format("launch {}: created disk .*; started QEMU \\(tcg\\), pid [0-9]+", name))));
  }
  for (const char* address : {"fd10:1234::1", "fd10:1234::2"}) {
    ProcessResult ping = run_process(ns.inside({"ping", "-6", "-c", "1", "-W", "5", "-I", "fd10:1234::fe", address}));
    CHECK_MESSAGE(ping.exit_status == 0, address << ": " << ping.out << ping.err);
  }

  // The instance disk is an overlay on the untouched golden image, grown to the configured size.
  const json disk = json::parse(run_checked({"qemu-img", "info", "-U", "--output=json", (vms / "node/disk.qcow2").string()}));
  CHECK(disk["backing-filename"] == (baked.out / "node.qcow2").string());
  CHECK(disk["virtual-size"] == 50ULL << 30);
  CHECK(sha256_file(baked.out / "node.qcow2") == node_golden_sha256);

  // Status from another process: the same pids, running.
  ProcessResult status = run_process(ns.inside(launch(config, {"status", "--json"})));
  REQUIRE(status.exit_status == 0);
  const json now = json::parse(status.out);
  CHECK(by_name(now, "node")["pid"] == by_name(rows, "node")["pid"]);
  CHECK(by_name(now, "registry")["state"] == "reachable");
  CHECK(by_name(now, "node")["uptime_seconds"].get<int>() >= 0);

  // A second start and a network teardown are refused while they run.
  ProcessResult again = run_process(ns.inside(launch(config, {"all"})));
  CHECK(again.exit_status == 2);
  CHECK(std::regex_match(again.err, std::regex("launch: node is already running \\(pid [0-9]+\\); `launch stop node` first\n")));
  ProcessResult down_busy = run_process(ns.inside(launch(config, {"network", "down"})));
  CHECK(down_busy.exit_status == 2);
  CHECK(down_busy.err.find("is running (pid") != std::string::npos);

  // The guest ran trustnet-firstboot from its seed disk before the network came up.
  ProcessResult logs = run_process(launch(config, {"logs", "node"}));
  CHECK(logs.out.find("initramfs: root mounted, Alpine 3.20.3") != std::string::npos);
  CHECK(logs.out.find("trustnet-firstboot: installed the identity of trustnet-node (fd10:1234::1/32)") != std::string::npos);
  CHECK(run_process(launch(config, {"logs", "registry"})).out.find("installed the identity of trustnet-registry (fd10:1234::2/32)") !=
        std::string::npos);

  // Stop: the busybox guest has no ACPI handler, so QEMU gets SIGTERM after the power-down wait.
  ProcessResult stop = run_process(ns.inside(launch(config, {"stop", "all", "--timeout", "3", "--json"})));
  INFO(stop.err);
  REQUIRE(stop.exit_status == 0);
  const json stopped = json::parse(stop.out);
  for (const char* name : {"node", "registry"}) {
    CAPTURE(name);
    CHECK(by_name(stopped, name)["outcome"].get<std::string>().rfind("terminated with SIGTERM", 0) == 0);
    CHECK_FALSE(launcher::process_alive(by_name(rows, name)["pid"].get<int>()));
    CHECK_FALSE(fs::exists(vms / name / "qemu.pid"));
    CHECK_FALSE(fs::exists(vms / name / "qmp.sock"));
    CHECK(fs::exists(vms / name / "disk.qcow2"));
  }
  CHECK(by_name(json::parse(run_process(launch(config, {"status", "--json"})).out), "node")["state"] == "stopped");
  CHECK(run_process({"ip", "netns", "pids", ns.name()}).out.empty());  // no process left in the namespace

  ProcessResult down = run_process(ns.inside(launch(config, {"network", "down"})));
  CHECK(down.out == "removed tap tn-node\nremoved tap tn-registry\nremoved bridge tnbr0\n");
  CHECK(run_process(ns.inside({"ip", "link", "show", "tnbr0"})).exit_status != 0);
}
