// The host's redirects of ports below 1024 to the ports QEMU opens: the ruleset checked by
// nftables itself, then made by `launch network up` in a network namespace of the test's own and
// crossed by real connections, from another namespace and from the host itself.
#include "launcher/network/port_redirects.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "common/util/error.hpp"
#include "common/util/process.hpp"
#include "support/background_process.hpp"
#include "support/net_namespace.hpp"
#include "support/temp_dir.hpp"

using namespace trustnet;
using namespace trustnet::launcher;

namespace {

const std::string kConfig = R"(network:
  chain_id: trustnet-1
bridge:
  name: tnbr-x
  address: fd10:1234::fe/32
state: STATE
instances:
  registry:
    role: registry
    image: registry.qcow2
    hostname: trustnet-registry
    address: fd10:1234::2
    memory: 1G
    disk: 2G
    forwards:
      - {host: 443, guest: 8053, public: true, via: 18443}
      - {host: 80, guest: 80, public: true, via: 18080}
)";

// What a TCP connection to ADDRESS:PORT from inside `ns` reads (a refusal prints "refused").
std::string reach(const test::NetNamespace& ns, const std::string& address, int port) {
  const std::string client = fmt::format(
      "import socket\ntry:\n  s = socket.create_connection(('{}', {}), timeout=5)\n  print(s.recv(100).decode())\n"
      "except OSError:\n  print('refused')\n",
      address, port);
  return run_process(ns.inside({"/usr/bin/python3", "-c", client})).out;
}

}  // namespace

TEST_CASE("the redirect ruleset replaces the launcher's own table in one transaction, and nftables accepts it") {
  const std::vector<PortRedirect> redirects{{443, 18443, "registry"}, {80, 18080, "registry"}};
  const std::string text = render_port_redirects("tnbr-x", redirects);
  CHECK(text ==
        "table ip trustnet_tnbr_x\n"
        "delete table ip trustnet_tnbr_x\n"
        "table ip trustnet_tnbr_x {\n"
        "\tchain prerouting {\n"
        "\t\ttype nat hook prerouting priority dstnat; policy accept;\n"
        "\t\ttcp dport 443 redirect to :18443 comment \"registry\"\n"
        "\t\ttcp dport 80 redirect to :18080 comment \"registry\"\n"
        "\t}\n"
        "\tchain output {\n"
        "\t\ttype nat hook output priority -100; policy accept;\n"
        "\t\tfib daddr type local tcp dport 443 redirect to :18443 comment \"registry\"\n"
        "\t\tfib daddr type local tcp dport 80 redirect to :18080 comment \"registry\"\n"
        "\t}\n"
        "}\n");
  CHECK(render_port_redirects("tnbr-x", {}) == "table ip trustnet_tnbr_x\ndelete table ip trustnet_tnbr_x\n");
  // nftables parses and evaluates both, without applying them.
  CHECK_NOTHROW(run_nft(text, true));
  CHECK_NOTHROW(run_nft(render_port_redirects("tnbr-x", {}), true));
  CHECK_THROWS_WITH_AS(run_nft("table ip t { chain c { tcp dport 443 redirect to :x } }", true),
                       doctest::Contains("nftables: "), Error);

  CHECK(redirects_in_place("", {}));
  CHECK_FALSE(redirects_in_place("", redirects));
  const std::string listed =
      "table ip trustnet_tnbr_x {\n\tchain prerouting {\n"
      "\t\ttcp dport 443 redirect to :18443 comment \"registry\"\n"
      "\t\ttcp dport 80 redirect to :18080 comment \"registry\"\n\t}\n\tchain output {\n"
      "\t\tfib daddr type local tcp dport 443 redirect to :18443 comment \"registry\"\n"
      "\t\tfib daddr type local tcp dport 80 redirect to :18080 comment \"registry\"\n\t}\n}\n";
  CHECK(redirects_in_place(listed, redirects));
  CHECK_FALSE(redirects_in_place(listed, {{443, 18443, "registry"}}));  // one too many
  CHECK_FALSE(redirects_in_place(listed, {{443, 19443, "registry"}, {80, 18080, "registry"}}));
}

TEST_CASE(
    "launch network up redirects ports below 1024 to QEMU's ports, from another machine and from the host, and "
    "down removes the redirects") {
  test::TempDir dir;
  std::string text = kConfig;
  text.replace(text.find("STATE"), 5, (dir / "vms").string());
  const auto config = dir.write("launch.yaml", text);
  test::NetNamespace host("redir"), client("client");
  // The host's network: 10.77.0.1, and a machine beside it at 10.77.0.2.
  const std::string veth = fmt::format("tnv{}", ::getpid() % 100000);
  run_checked({"ip", "link", "add", veth, "netns", host.name(), "type", "veth", "peer", "name", veth + "p", "netns",
               client.name()});
  run_checked(host.inside({"ip", "addr", "add", "10.77.0.1/24", "dev", veth}));
  run_checked(host.inside({"ip", "link", "set", veth, "up"}));
  run_checked(client.inside({"ip", "addr", "add", "10.77.0.2/24", "dev", veth + "p"}));
  run_checked(client.inside({"ip", "link", "set", veth + "p", "up"}));

  ProcessResult up = host.launch(config, {"network", "up", "--owner", "65534"});
  INFO(up.out, up.err);
  REQUIRE(up.exit_status == 0);
  CHECK(up.out.find("redirected host port 443 to 18443 (registry) in nftables table ip trustnet_tnbr_x\n") !=
        std::string::npos);
  CHECK(up.out.find("redirected host port 80 to 18080 (registry) in nftables table ip trustnet_tnbr_x\n") !=
        std::string::npos);
  CHECK(host.launch(config, {"network", "up", "--owner", "65534"}).out == "network already up; nothing changed\n");
  const auto status = nlohmann::json::parse(host.launch(config, {"network", "status", "--json"}).out);
  CHECK(status["redirects_in_place"] == true);
  CHECK(status["complete"] == true);

  // What QEMU would be: a listener on every address of the host at the unprivileged port.
  const std::string server =
      "import socket\ns = socket.socket()\ns.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
      "s.bind(('0.0.0.0', 18443))\ns.listen()\nprint('listening', flush=True)\n"
      "while True:\n  c, a = s.accept()\n  c.sendall(b'reached QEMU from ' + a[0].encode())\n  c.close()\n";
  test::BackgroundProcess listener(host.inside({"/usr/bin/python3", "-u", "-c", server}), dir / "listener.log");
  REQUIRE(listener.wait_for_output("listening", std::chrono::seconds(10)));

  CHECK(reach(client, "10.77.0.1", 443) == "reached QEMU from 10.77.0.2\n");  // prerouting
  CHECK(reach(host, "10.77.0.1", 443).starts_with("reached QEMU from "));     // the host's own, output
  CHECK(reach(client, "10.77.0.1", 80) == "refused\n");                       // nothing listens on 18080

  // An operator's change of the table is seen, and up puts it back.
  run_checked(host.inside({"nft", "flush", "chain", "ip", "trustnet_tnbr_x", "prerouting"}));
  CHECK(host.launch(config, {"network", "status"}).exit_status == 3);
  CHECK(host.launch(config, {"network", "up", "--owner", "65534"}).out.find("redirected host port 443") !=
        std::string::npos);
  CHECK(reach(client, "10.77.0.1", 443) == "reached QEMU from 10.77.0.2\n");

  ProcessResult down = host.launch(config, {"network", "down"});
  CHECK(down.out.find("removed nftables table ip trustnet_tnbr_x\n") != std::string::npos);
  CHECK(run_process(host.inside({"nft", "list", "table", "ip", "trustnet_tnbr_x"})).exit_status != 0);
  CHECK(reach(client, "10.77.0.1", 443) == "refused\n");
}
