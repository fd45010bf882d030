// A validator network made by `launch init`, run by real CometBFT on the host, no VM. Each
// validator's home is laid out as the appliance holds it: the folders and config.toml of bake's
// plan for recipes/node.yaml, then the seed's files installed by trustnet-firstboot itself. Each
// runs in a network namespace of its own with its ULA address, on one bridge, as an unprivileged
// user. CometBFT is the one the node recipe pins, built from its Go module (scripts/build-cometbft).
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <set>
#include <thread>
#include <tuple>

#include "baker/plan/plan.hpp"
#include "baker/recipe/recipe_loader.hpp"
#include "common/util/process.hpp"
#include "common/util/text_file.hpp"
#include "launcher/health/health_monitor.hpp"
#include "support/background_process.hpp"
#include "support/checkout_config.hpp"
#include "support/iso_files.hpp"
#include "support/net_namespace.hpp"
#include "support/temp_dir.hpp"
#include "support/test_paths.hpp"

using namespace trustnet;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr uid_t kWarden = 1100;  // the node recipe's operator, who runs CometBFT
const fs::path kCometbft = fs::path(TRUSTNET_BINARY_DIR) / "cometbft/linux-amd64/cometbft";
const fs::path kFirstboot = test::source_dir() / "overlays/common/usr/local/sbin/trustnet-firstboot";

// The checkout's configuration with three more validators beside `node`.
fs::path four_validators(const test::TempDir& dir) {
  std::string text = read_text_file(test::checkout_config_in(dir));
  std::string more;
  for (int i = 2; i <= 4; ++i)
    more += fmt::format(
        "  node{}:\n    role: node\n    image: {}\n    hostname: trustnet-node-{}\n    address: fd10:1234::1{}\n    "
        "memory: 1G\n    disk: 1G\n",
        i, (dir / "out/node.qcow2").string(), i, i);
  text = std::regex_replace(text, std::regex("\n  registry:\n"), "\n" + more + "  registry:\n");
  return dir.write("four.yaml", text);
}

// The node appliance's root as bake leaves it for /opt/trustnet, before its first boot: the
// accounts trustnet-firstboot resolves owners against, and the plan's folders and files there.
void lay_out_golden_root(const fs::path& root, const baker::Plan& plan) {
  fs::create_directories(root / "etc");
  std::ofstream(root / "etc/passwd") << "root:x:0:0:root:/root:/bin/sh\nwarden:x:1100:1100::/home/warden:/bin/sh\n";
  std::ofstream(root / "etc/group") << "root:x:0:root\nwarden:x:1100:\n";
  std::ofstream(root / "etc/hostname") << "trustnet-node\n";
  auto owner_id = [](const std::string& name) { return name == "warden" ? kWarden : 0; };
  for (const baker::Step& step : plan.steps) {
    if (const auto* folder = std::get_if<baker::MakeDirectory>(&step); folder && folder->path.starts_with("/opt/")) {
      fs::create_directories(root / folder->path.substr(1));
      REQUIRE(::chmod((root / folder->path.substr(1)).c_str(), folder->mode) == 0);
      REQUIRE(::chown((root / folder->path.substr(1)).c_str(), owner_id(folder->owner.user),
                      owner_id(folder->owner.group)) == 0);
    } else if (const auto* file = std::get_if<baker::WriteFile>(&step); file && file->path.starts_with("/opt/")) {
      const fs::path target = root / file->path.substr(1);
      std::ofstream(target, std::ios::binary) << file->content;
      REQUIRE(::chmod(target.c_str(), file->mode) == 0);
      REQUIRE(::chown(target.c_str(), owner_id(file->owner.user), owner_id(file->owner.group)) == 0);
    }
  }
}

struct Validator {
  std::string name, address;
  fs::path home;
  std::unique_ptr<test::NetNamespace> ns;
  std::unique_ptr<test::BackgroundProcess> process;
};

// A host: a namespace of its own with a bridge, and a veth from it into each validator's namespace.
class Host {
 public:
  explicit Host(const std::string& purpose) : ns_(purpose) {
    run_checked(ns_.inside({"ip", "link", "add", "br0", "type", "bridge"}));
    run_checked(ns_.inside({"ip", "link", "set", "br0", "up"}));
  }
  void attach(const test::NetNamespace& validator, const std::string& address, int index) {
    const std::string outside = fmt::format("cv{}-{}", index, ::getpid() % 100000);
    run_checked({"ip", "link", "add", outside, "type", "veth", "peer", "name", "eth0", "netns", validator.name()});
    run_checked({"ip", "link", "set", outside, "netns", ns_.name()});
    run_checked(ns_.inside({"ip", "link", "set", outside, "master", "br0", "up"}));
    run_checked(validator.inside({"ip", "addr", "add", address + "/32", "dev", "eth0", "nodad"}));
    run_checked(validator.inside({"ip", "link", "set", "eth0", "up"}));
  }
  const test::NetNamespace& ns() const { return ns_; }

 private:
  test::NetNamespace ns_;
};

// Two hosts that cannot share a segment, joined as docs/launch.md says: each keeps its own
// bridge with an address of the prefix, a link between them, proxy NDP for the instances on the
// other host and a route to each of them through it, IPv6 forwarding on.
void join_by_routing(const Host& a, const Host& b, const std::vector<std::string>& on_a,
                     const std::vector<std::string>& on_b) {
  run_checked({"ip", "link", "add", "hostlink", "netns", a.ns().name(), "type", "veth", "peer", "name", "hostlink",
               "netns", b.ns().name()});
  const std::vector<std::tuple<const Host*, std::string, std::string, std::string, const std::vector<std::string>*>>
      sides{{&a, "fd10:1234::fa/32", "fd99::a/64", "fd99::b", &on_b},
            {&b, "fd10:1234::fb/32", "fd99::b/64", "fd99::a", &on_a}};
  for (const auto& [host, bridge_address, link_address, other, remote] : sides) {
    const test::NetNamespace& ns = host->ns();
    run_checked(ns.inside({"sysctl", "-qw", "net.ipv6.conf.all.forwarding=1", "net.ipv6.conf.all.proxy_ndp=1"}));
    run_checked(ns.inside({"ip", "addr", "add", bridge_address, "dev", "br0", "nodad"}));
    run_checked(ns.inside({"ip", "addr", "add", link_address, "dev", "hostlink", "nodad"}));
    run_checked(ns.inside({"ip", "link", "set", "hostlink", "up"}));
    for (const std::string& address : *remote) {
      run_checked(ns.inside({"ip", "-6", "neigh", "add", "proxy", address, "dev", "br0"}));
      run_checked(ns.inside({"ip", "-6", "route", "add", address + "/128", "via", other, "dev", "hostlink"}));
    }
  }
}

// GET `path` of a validator's RPC over TLS, verified with the network's CA, from its namespace.
std::optional<json> rpc(const Validator& v, const fs::path& ca, const std::string& path) {
  const ProcessResult r = run_process(v.ns->inside(
      {"curl", "-sS", "--max-time", "5", "--cacert", ca.string(), "https://[" + v.address + "]:26657" + path}));
  if (r.exit_status != 0) return std::nullopt;
  try {
    return json::parse(r.out).at("result");
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

uint64_t height_of(const Validator& v, const fs::path& ca) {
  const auto status = rpc(v, ca, "/status");
  return status ? std::stoull(status->at("sync_info").at("latest_block_height").get<std::string>()) : 0;
}

// Waits (bounded) until `done` holds, polling every 500 ms.
bool eventually(const std::function<bool()>& done, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  return done();
}

void start(Validator& v, const fs::path& logs) {
  v.process = std::make_unique<test::BackgroundProcess>(
      v.ns->inside({"setpriv", "--reuid", std::to_string(kWarden), "--regid", std::to_string(kWarden), "--clear-groups",
                    "--inh-caps=-all", "env", "HOME=" + v.home.string(), kCometbft.string(), "node", "--home",
                    v.home.string()}),
      logs / (v.name + ".log"));
}

// Runs `work` on a thread inside network namespace `ns` (the threads it starts are in it too).
template <class Work>
auto inside_namespace(const test::NetNamespace& ns, Work work) {
  decltype(work()) result{};
  std::thread([&] {
    const int fd = ::open(("/run/netns/" + ns.name()).c_str(), O_RDONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    REQUIRE(::setns(fd, CLONE_NEWNET) == 0);
    ::close(fd);
    result = work();
  }).join();
  return result;
}

// What the launcher's probes make of a validator: its RPC watched by a HealthMonitor for `seconds`.
struct Watched {
  bool rpc_answered = false, rpc_lost = false, stalled = false;
  std::optional<launcher::NodeStatus> status;
};
Watched watch(const Validator& v, const fs::path& ca, std::chrono::seconds seconds, std::chrono::seconds stall) {
  launcher::ProbeTargets targets{v.address, 22,    launcher::service_url(launcher::Role::node, v.address),
                                 ca,        "rpc", launcher::peers_url(launcher::Role::node, v.address)};
  launcher::ProbePolicy policy;
  policy.recheck = std::chrono::milliseconds(1000);
  policy.patience = std::chrono::milliseconds(3000);
  policy.stall = stall;
  return inside_namespace(*v.ns, [&] {
    launcher::HealthMonitor monitor(targets, policy);
    const auto until = std::chrono::steady_clock::now() + seconds;
    while (std::chrono::steady_clock::now() < until) {
      monitor.poll();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return Watched{monitor.tracker().ever_answered(launcher::ProbeKind::service),
                   monitor.tracker().lost(launcher::ProbeKind::service), monitor.stalled(), monitor.node_status()};
  });
}

// Four validators (and a registry) from `launch init`, each home laid out as the appliance holds
// it and each validator in a namespace of its own, not yet connected.
struct Network {
  test::TempDir dir;
  fs::path ca;
  std::vector<Validator> validators;

  Network() {
    REQUIRE_MESSAGE(fs::exists(kCometbft), "CometBFT is not built: run scripts/build-cometbft");
    fs::permissions(dir.path(), fs::perms(0755));  // the unprivileged validators reach their homes below it
    const fs::path config = four_validators(dir);
    const ProcessResult init = run_process({TRUSTNET_LAUNCH_BINARY, "init", "--config", config.string()});
    INFO(init.err);
    REQUIRE(init.exit_status == 0);
    ca = dir / "vms/network/ca.crt";
    baker::LoadOptions load;
    load.extra_ssh_keys = {dir.write("op.pub", test::operator_key + "\n")};
    const baker::Plan plan = baker::make_plan(baker::load_recipe(test::source_dir() / "recipes/node.yaml", load));
    const json summary = json::parse(read_text_file(dir / "vms/network/instances.json"));
    for (const json& instance : summary["instances"]) {
      if (instance["role"] != "node") continue;
      Validator v{instance["name"], instance["address"], {}, nullptr, nullptr};
      const fs::path root = dir / "roots" / v.name;
      lay_out_golden_root(root, plan);
      // The seed disk launch init wrote, read as the appliance mounts it; installed by firstboot.
      for (const auto& [name, entry] : test::read_iso(dir / "vms" / v.name / "seed.iso"))
        if (!entry.directory) dir.write("seeds/" + v.name + "/" + name, entry.content);
      const ProcessResult firstboot =
          run_process({"env", "TRUSTNET_ROOT=" + root.string(), "TRUSTNET_SEED=" + (dir / "seeds" / v.name).string(),
                       "sh", kFirstboot.string()});
      INFO(firstboot.out, firstboot.err);
      REQUIRE(firstboot.exit_status == 0);
      v.home = root / "opt/trustnet/node";
      v.ns = std::make_unique<test::NetNamespace>("cbft" + std::to_string(validators.size()));
      validators.push_back(std::move(v));
    }
    REQUIRE(validators.size() == 4);
    fs::create_directories(dir / "logs");
  }
  void start_all() {
    for (Validator& v : validators) start(v, dir / "logs");
  }
  std::string logs() const {
    std::string all;
    for (const Validator& v : validators)
      if (v.process) all += v.name + ":\n" + v.process->output().substr(0, 4000) + "\n";
    return all;
  }
  // Every validator at `height` or more, within `timeout`.
  bool all_reach(uint64_t height, std::chrono::seconds timeout) const {
    return eventually(
        [&] {
          for (const Validator& v : validators)
            if (height_of(v, ca) < height) return false;
          return true;
        },
        timeout);
  }
};

size_t signatures_at(const Validator& v, const fs::path& ca, uint64_t height) {
  const auto commit = rpc(v, ca, "/commit?height=" + std::to_string(height));
  size_t count = 0;
  if (commit)
    for (const json& signature : (*commit)["signed_header"]["commit"]["signatures"])
      count += signature["block_id_flag"] == 2 ? 1 : 0;
  return count;
}

}  // namespace

TEST_CASE("four validators from launch init commit blocks with every signature, over IPv6 ULA, TLS on their RPC") {
  Network network;
  Host host("cbft-host");
  for (size_t i = 0; i < network.validators.size(); ++i)
    host.attach(*network.validators[i].ns, network.validators[i].address, static_cast<int>(i));
  network.start_all();
  std::vector<Validator>& validators = network.validators;
  const fs::path& ca = network.ca;
  const test::TempDir& dir = network.dir;
  auto logs = [&] { return network.logs(); };

  // Blocks: height 20 or more everywhere, and a commit signed by all four.
  const bool twenty = network.all_reach(20, std::chrono::seconds(120));
  INFO(logs());
  REQUIRE(twenty);
  for (uint64_t height = 1; height < 20; ++height) {
    CAPTURE(height);
    CHECK(signatures_at(validators[0], ca, height) == 4);  // every commit so far, by all four
  }

  // Each has the three others as peers, at the addresses launch init wrote, and tells them the
  // external address its config.toml gives.
  for (const Validator& v : validators) {
    CHECK((*rpc(v, ca, "/status"))["node_info"]["listen_addr"] == "[" + v.address + "]:26656");
    const json net = *rpc(v, ca, "/net_info");
    CHECK(net["n_peers"] == "3");
    std::set<std::string> seen;
    for (const json& peer : net["peers"]) seen.insert(peer["remote_ip"].get<std::string>());
    for (const Validator& other : validators)
      if (&other != &v) CHECK_MESSAGE(seen.contains(other.address), v.name << " lacks " << other.address);
  }

  // One stops: the other three go on. It starts again: it catches up and signs again.
  Validator& stopped = validators[3];
  stopped.process->signal(SIGTERM);
  stopped.process->wait();
  const uint64_t at_stop = height_of(validators[0], ca);
  CHECK(eventually([&] { return height_of(validators[0], ca) >= at_stop + 5; }, std::chrono::seconds(60)));
  start(stopped, dir / "logs");
  const bool caught_up = eventually(
      [&] {
        const auto status = rpc(stopped, ca, "/status");
        return status && !status->at("sync_info").at("catching_up").get<bool>() &&
               height_of(stopped, ca) + 2 >= height_of(validators[0], ca);
      },
      std::chrono::seconds(90));
  INFO(logs());
  CHECK(caught_up);
  const uint64_t after = height_of(validators[0], ca);
  CHECK(eventually([&] { return height_of(validators[0], ca) >= after + 3; }, std::chrono::seconds(30)));
  CHECK(signatures_at(validators[0], ca, after + 2) == 4);

  // The launcher's RPC probe reads the real engine: height, not catching up, three peers.
  const Watched healthy = watch(validators[0], ca, std::chrono::seconds(4), std::chrono::seconds(60));
  CHECK(healthy.rpc_answered);
  CHECK_FALSE(healthy.rpc_lost);
  REQUIRE(healthy.status);
  CHECK(healthy.status->height >= after);
  CHECK_FALSE(healthy.status->catching_up);
  CHECK(healthy.status->peers == 3);

  // Two of four stopped: no two thirds, no blocks. The node still answers, but its height stands
  // still, and the probe counts it as not answering (a short stall window here, a minute in use).
  for (Validator* v : {&validators[2], &validators[3]}) {
    v->process->signal(SIGTERM);
    v->process->wait();
  }
  const Watched halted = watch(validators[0], ca, std::chrono::seconds(12), std::chrono::seconds(3));
  CHECK(halted.stalled);
  CHECK(halted.rpc_lost);
}

TEST_CASE("validators on two hosts joined by routing and proxy NDP, as docs/launch.md says, form one network") {
  Network network;
  Host a("cbft-a"), b("cbft-b");
  std::vector<std::string> on_a, on_b;
  for (size_t i = 0; i < network.validators.size(); ++i) {
    const Validator& v = network.validators[i];
    (i < 2 ? a : b).attach(*v.ns, v.address, static_cast<int>(i));
    (i < 2 ? on_a : on_b).push_back(v.address);
  }
  join_by_routing(a, b, on_a, on_b);
  network.start_all();
  const bool ten = network.all_reach(10, std::chrono::seconds(120));
  INFO(network.logs());
  REQUIRE(ten);
  CHECK(signatures_at(network.validators[0], network.ca, 8) == 4);
  // Each reaches the three others, those on the other host through the two hosts' routes.
  for (const Validator& v : network.validators) {
    const auto net = rpc(v, network.ca, "/net_info");
    REQUIRE(net);
    CHECK((*net)["n_peers"] == "3");
  }
  // The RPC of a validator on host B answers one on host A, over TLS, by its ULA address.
  CHECK(run_process(network.validators[0].ns->inside({"curl", "-sS", "--max-time", "5", "--cacert", network.ca.string(),
                                                      "https://[" + network.validators[3].address + "]:26657/status"}))
            .exit_status == 0);
}
