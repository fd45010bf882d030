// The host network through `launch network`, in a network namespace of the test's own.
#include "launcher/network/host_network.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "common/util/process.hpp"
#include "launcher/config/launch_config.hpp"
#include "launcher/run/preflight.hpp"
#include "support/net_namespace.hpp"
#include "support/temp_dir.hpp"

using namespace trustnet;
using namespace trustnet::launcher;

namespace {

const std::string kConfig = R"(network:
  chain_id: trustnet-1
bridge:
  name: tnbr0
  address: fd10:1234::fe/32
state: STATE
instances:
  node:
    role: node
    image: node.qcow2
    hostname: trustnet-node
    address: fd10:1234::1
    memory: 1G
    disk: 2G
  registry-with-a-long-name:
    role: registry
    image: registry.qcow2
    hostname: trustnet-registry
    address: fd10:1234::2
    memory: 1G
    disk: 2G
)";

std::filesystem::path write_config(const test::TempDir& dir) {
  std::string text = kConfig;
  text.replace(text.find("STATE"), 5, (dir / "vms").string());
  return dir.write("launch.yaml", text);
}

}  // namespace

TEST_CASE("the network layout is the configured bridge and address and one short tap per instance") {
  test::TempDir dir;
  const NetworkLayout layout = network_layout(load_launch_config(write_config(dir)));
  CHECK(layout.bridge == "tnbr0");
  CHECK(layout.address == "fd10:1234::fe");
  CHECK(layout.prefix == 32);
  REQUIRE(layout.taps.size() == 2);
  CHECK(layout.taps[0] == "tn-node");
  CHECK(layout.taps[1].size() <= 15);
}

TEST_CASE(
    "launch network up makes the bridge, its address and owned taps, a second up changes nothing, down removes them") {
  test::TempDir dir;
  const auto config = write_config(dir);
  test::NetNamespace ns("net");
  ProcessResult missing = ns.launch(config, {"network", "status", "--json"});
  CHECK(missing.exit_status == 3);  // not complete
  CHECK(nlohmann::json::parse(missing.out)["bridge"]["exists"] == false);

  ProcessResult up = ns.launch(config, {"network", "up", "--owner", "65534"});
  INFO(up.err);
  REQUIRE(up.exit_status == 0);
  CHECK(up.out.find("created bridge tnbr0\n") == 0);
  const auto addresses =
      nlohmann::json::parse(run_checked(ns.inside({"ip", "-j", "-6", "addr", "show", "dev", "tnbr0"})));
  bool has_address = false;
  for (const auto& info : addresses[0]["addr_info"])
    has_address = has_address || (info["local"] == "fd10:1234::fe" && info["prefixlen"] == 32);
  CHECK(has_address);
  const std::string tap = run_checked(ns.inside({"ip", "-d", "link", "show", "tn-node"}));
  CHECK(tap.find("master tnbr0") != std::string::npos);
  CHECK(tap.find("tun type tap") != std::string::npos);
  CHECK(tap.find("persist on user nobody") != std::string::npos);  // uid 65534
  CHECK(tap.find(",UP") != std::string::npos);

  // Links and global addresses (link-local ones come and go on their own).
  auto snapshot = [&] {
    return run_checked(ns.inside({"ip", "-o", "link"})) +
           run_checked(ns.inside({"ip", "-6", "addr", "show", "scope", "global"}));
  };
  const std::string links_before = snapshot();
  ProcessResult again = ns.launch(config, {"network", "up", "--owner", "65534"});
  CHECK(again.exit_status == 0);
  CHECK(again.out == "network already up; nothing changed\n");
  CHECK(snapshot() == links_before);

  ProcessResult status = ns.launch(config, {"network", "status", "--json"});
  CHECK(status.exit_status == 0);
  const auto state = nlohmann::json::parse(status.out);
  CHECK(state["complete"] == true);
  CHECK(state["taps"][0]["owner"] == 65534);

  // A tap given to another user is not silently taken over.
  ProcessResult other_owner = ns.launch(config, {"network", "up", "--owner", "0"});
  CHECK(other_owner.exit_status == 1);
  CHECK(other_owner.err == "launch: tap tn-node belongs to uid 65534, not 0; run `launch network down` first\n");

  ProcessResult down = ns.launch(config, {"network", "down"});
  CHECK(down.exit_status == 0);
  CHECK(down.out.find("removed tap tn-node\n") == 0);
  CHECK(down.out.find("removed bridge tnbr0\n") != std::string::npos);
  CHECK(run_process(ns.inside({"ip", "link", "show", "tnbr0"})).exit_status != 0);
  CHECK(ns.launch(config, {"network", "down"}).out == "network already down; nothing changed\n");
}

TEST_CASE("launch network says when CAP_NET_ADMIN is missing, and leaves links it did not make alone") {
  test::TempDir dir;
  const auto config = write_config(dir);
  test::NetNamespace ns("cap");
  ProcessResult denied = ns.launch(config, {"network", "up"}, {"setpriv", "--bounding-set", "-net_admin"});
  CHECK(denied.exit_status == 1);
  CHECK(denied.err ==
        "launch: creating bridge tnbr0 needs CAP_NET_ADMIN: run `sudo launch network up` (the service does it as "
        "root)\n");
  CHECK(run_process(ns.inside({"ip", "link", "show", "tnbr0"})).exit_status != 0);

  run_checked(ns.inside({"ip", "link", "add", "tnbr0", "type", "veth", "peer", "name", "tnbr0-peer"}));
  ProcessResult not_bridge = ns.launch(config, {"network", "up"});
  CHECK(not_bridge.exit_status == 1);
  CHECK(not_bridge.err ==
        "launch: tnbr0 exists but is not a bridge; choose another bridge name in the configuration\n");
  ProcessResult down = ns.launch(config, {"network", "down"});
  CHECK(down.exit_status == 1);
  CHECK(down.err == "launch: tnbr0 is not a bridge; left alone, remove it yourself if it is not needed\n");
  CHECK(run_process(ns.inside({"ip", "link", "show", "tnbr0"})).exit_status == 0);
}
