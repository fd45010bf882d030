// Boots both appliances as operators run them, on the realistic base (tests/support/realistic-inputs
// builds it with tests/support/make-realistic-base): UEFI firmware, real OpenRC, sshd, Caddy and
// the distribution registry (Debian's arm64 builds), the cloud image's cloud-init services (as
// stand-ins that replace host keys and host name unless disabled) and its `alpine` user. The node
// runs real CometBFT (the arm64 build of the pinned version, scripts/build-cometbft) as a lone
// validator: its RPC answers the launcher's probe, and its chain goes on across a reboot.
// Everything runs in a network namespace of the test's own, under TCG.
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <future>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>

#include "common/util/process.hpp"
#include "common/util/sha256.hpp"
#include "common/util/text_file.hpp"
#include "launcher/health/health_probe.hpp"
#include "launcher/instance/instance_runtime.hpp"
#include "support/net_namespace.hpp"
#include "support/random_bytes.hpp"
#include "support/registry_client.hpp"
#include "support/root_filesystem_check.hpp"
#include "support/run_user.hpp"
#include "support/test_paths.hpp"

using namespace trustnet;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

fs::path realistic() { return test::test_data_dir() / "realistic"; }  // made by the realistic_base test
fs::path run_dir() { return test::test_data_dir() / "boot-run"; }

void write(const fs::path& file, const std::string& content) {
  fs::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary) << content;
}

std::string release_entry(const std::string& name, const std::string& archive, const std::string& member,
                          const std::string& destination) {
  const fs::path file = realistic() / "inputs" / archive;
  return fmt::format("  {}:\n    path: {}\n    sha256: {}\n    member: {}\n    destination: {}\n    mode: \"0755\"\n",
                     name, file.string(), sha256_file(file), member, destination);
}

// Recipes of the test's own: each includes the real one and replaces its base and releases.
fs::path test_recipes() {
  const fs::path base = realistic() / "realistic-base.qcow2";
  const std::string head =
      fmt::format("base:\n  path: {}\n  sha256: {}\nbinaries:\n", base.string(), sha256_file(base));
  const fs::path dir = run_dir() / "recipes";
  write(dir / "node.yaml",
        fmt::format("include: {}\n{}{}{}", (test::source_dir() / "recipes/node.yaml").string(), head,
                    release_entry("tendermint", "cometbft.tar.gz", "cometbft", "/usr/local/bin/tendermint"), ""));
  write(dir / "registry.yaml",
        fmt::format("include: {}\n{}{}{}", (test::source_dir() / "recipes/registry.yaml").string(), head,
                    release_entry("registry", "registry.tar.gz", "registry", "/usr/local/bin/registry"),
                    release_entry("caddy", "caddy.tar.gz", "caddy", "/usr/local/bin/caddy")));
  return dir;
}

std::string instance_yaml(const std::string& name, const std::string& address, const std::string& disk,
                          const std::string& forwards, const std::string& out) {
  return fmt::format(R"(  {0}:
    role: {0}
    image: {4}/{0}.qcow2
    hostname: trustnet-{0}
    address: {1}
    memory: 1G
    cpus: 1
    disk: {2}
    forwards: [{3}]
    boot: uefi
)",
                     name, address, disk, forwards, out);
}

// The images of `out` (a folder of run_dir()) for the instances: a new folder is a new release.
fs::path write_config(const std::string& out = "out") {
  const fs::path config = run_dir() / "launch.yaml";
  write(
      config,
      fmt::format(
          "network:\n  chain_id: trustnet-boot\nbridge:\n  name: tnbr0\n  address: fd10:1234::fe/32\nstate: "
          "{}\ninstances:\n{}{}",
          (run_dir() / "vms").string(), instance_yaml("node", "fd10:1234::1", "50G", "{host: 3222, guest: 22}", out),
          instance_yaml("registry", "fd10:1234::2", "30G", "{host: 3223, guest: 22}, {host: 8053, guest: 8053}", out)));
  return config;
}

std::vector<std::string> launch(const fs::path& config, std::vector<std::string> args) {
  args.insert(args.begin(), TRUSTNET_LAUNCH_BINARY);
  args.insert(args.end(), {"--config", config.string()});
  return args;
}

// What /proc says of a process: its uids, capabilities and seccomp mode.
std::string proc_status(int pid) { return read_text_file(fs::path("/proc") / std::to_string(pid) / "status"); }

json by_name(const json& rows, const std::string& name) {
  for (const auto& row : rows)
    if (row["name"] == name) return row;
  return json();
}

// The end of both serial consoles, for the failure message (the whole logs stay in run_dir()).
std::string consoles() {
  std::string text;
  for (const char* name : {"node", "registry"}) {
    const fs::path log = run_dir() / "vms" / name / "serial.log";
    if (!fs::exists(log)) continue;
    const std::string all = read_text_file(log);
    text += fmt::format("--- {} (last lines of {}):\n{}\n", name, log.string(),
                        all.substr(all.size() > 3000 ? all.size() - 3000 : 0));
  }
  return text;
}

}  // namespace

TEST_SUITE_BEGIN("boot");

TEST_CASE(
    "both appliances baked on the realistic base boot with UEFI, run their services, reach up and stop through ACPI") {
  REQUIRE_MESSAGE(fs::exists(realistic() / "realistic-base.qcow2"), "run the realistic_base test first");
  fs::remove_all(run_dir());
  fs::create_directories(run_dir());
  const fs::path key = run_dir() / "operator";
  run_checked({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "operator", "-f", key.string()});
  const fs::path recipes = test_recipes(), out = run_dir() / "out";

  // The bake deals with the cloud image's cloud-init and default user, and says so.
  ProcessResult bake =
      run_process({TRUSTNET_BAKE_BINARY, "all", "--recipes", recipes.string(), "--ssh-key", key.string() + ".pub",
                   "--out", out.string(), "--cache", (run_dir() / "cache").string(), "--accel", "tcg"});
  INFO(bake.err);
  REQUIRE(bake.exit_status == 0);
  for (const char* name : {"node", "registry"}) {
    const json report = json::parse(read_text_file(out / (std::string(name) + ".report.json")));
    CHECK(report["notes"] ==
          json::array(
              {"cloud-init disabled: removed runlevel links boot/cloud-init-local, default/cloud-init, "
               "default/cloud-init-hotplugd, default/cloud-config, default/cloud-final; wrote "
               "/etc/cloud/cloud-init.disabled",
               "removed user alpine (uid 1000), its group alpine, its membership of wheel, its home /home/alpine"}));
  }
  // The listings were derived from the base's (packed once, into the cache) and the bakes' own
  // edits: read back from the images by the kernel (in a libguestfs appliance) they must be the
  // same, byte for byte.
  CHECK(fs::exists(run_dir() / "cache/listings" / (sha256_file(realistic() / "realistic-base.qcow2") + ".mtree")));
  {
    std::vector<std::future<ProcessResult>> read_back;
    for (const char* name : {"node", "registry"})
      read_back.push_back(std::async(
          std::launch::async, run_process,
          std::vector<std::string>{TRUSTNET_BAKE_BINARY, "contents", (out / (std::string(name) + ".qcow2")).string(),
                                   "--accel", "tcg", "--engine", "guestfs"}));
    for (const char* name : {"node", "registry"}) {
      ProcessResult contents = read_back[name == std::string("node") ? 0 : 1].get();
      CAPTURE(name);
      CAPTURE(contents.err);
      REQUIRE(contents.exit_status == 0);
      CHECK(contents.out == read_text_file(out / (std::string(name) + ".mtree")));
    }
  }
  // e2fsck finds nothing in either (that the libguestfs engine bakes the same files is vm_bake's).
  for (const char* name : {"node", "registry"})
    CHECK_MESSAGE(test::root_filesystem_check(out / (std::string(name) + ".qcow2")).exit_status == 0, name);

  const fs::path config = write_config(), vms = run_dir() / "vms";
  const std::string node_golden_sha256 = sha256_file(out / "node.qcow2");
  ProcessResult init = run_process(launch(config, {"init"}));
  INFO(init.err);
  REQUIRE(init.exit_status == 0);
  std::smatch found;
  REQUIRE(std::regex_search(init.out, found,
                            std::regex("registry password of keeper, shown once \\(kept 0600 in [^)]*\\): (\\S+)")));
  const std::string password = found[1];

  test::NetNamespace ns("boot");
  // Without the bridge nothing starts, and the message says what to run.
  ProcessResult no_bridge = run_process(ns.inside(launch(config, {"all"})));
  CHECK(no_bridge.exit_status == 1);
  CHECK(no_bridge.err == "launch: bridge tnbr0 does not exist; run `sudo launch network up` first\n");
  ProcessResult up = run_process(ns.inside(launch(config, {"network", "up"})));
  INFO(up.err);
  REQUIRE(up.exit_status == 0);
  const uid_t run_uid = test::run_user().pw_uid;
  CHECK(up.out == fmt::format("created bridge tnbr0\nbrought up tnbr0\nadded fd10:1234::fe/32 to tnbr0\ncreated tap "
                              "tn-node for uid {0}\nattached tn-node to tnbr0\ncreated tap tn-registry for uid "
                              "{0}\nattached tn-registry to tnbr0\n",
                              run_uid));
  CHECK(run_process(ns.inside(launch(config, {"network", "up"}))).out == "network already up; nothing changed\n");

  // Both reach `up`: ping on the bridge, the SSH banner, and HTTPS with the TrustNet CA (the
  // registry's /health through Caddy; the node's /status from the stand-in).
  auto started = std::chrono::steady_clock::now();
  ProcessResult all =
      run_process(ns.inside(launch(config, {"all", "--accel", "tcg", "--wait", "up", "--timeout", "600", "--json"})));
  const double up_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  INFO(all.err);
  INFO(consoles());
  REQUIRE(all.exit_status == 0);
  MESSAGE(fmt::format("both appliances up {:.1f} s after `launch all` (TCG, UEFI)", up_seconds));
  const json rows = json::parse(all.out);
  for (const auto& [name, service] : {std::pair{"node", "rpc"}, std::pair{"registry", "health"}}) {
    CAPTURE(name);
    const json row = by_name(rows, name);
    CHECK(row["state"] == "up");
    // The run user may not ping in this namespace (its ping_group_range is the kernel's "1 0"): said
    // once, and up without it.
    CHECK(row["answered"] == json::array({"ssh", service}));
    CHECK(row["lost"].empty());
    // One probe of a kind at a time, each waiting for its answer: a handful of connections.
    CHECK(row["probe_connections"]["ssh"].get<int>() >= 1);
    CHECK(row["probe_connections"]["ssh"].get<int>() <= 5);
    CHECK(row["probe_connections"][service].get<int>() <= 10);
    MESSAGE(fmt::format("{}: probes opened {} SSH and {} HTTPS connections", name,
                        row["probe_connections"]["ssh"].get<int>(), row["probe_connections"][service].get<int>()));
  }
  CHECK(all.err.find(fmt::format("launch: {}\n", launcher::ping_refusal(test::run_user().pw_gid, "1 0"))) !=
        std::string::npos);
  CHECK(all.err.find("booting") != std::string::npos);
  CHECK(all.err.find("degraded") == std::string::npos);
  // root ran `launch all`, but every QEMU runs as the run user, with no capability, in its
  // seccomp sandbox; and the state folder, secrets and disks included, is that user's alone.
  for (const char* name : {"node", "registry"}) {
    CAPTURE(name);
    const std::string status = proc_status(by_name(rows, name)["pid"].get<int>());
    CHECK(status.find(fmt::format("\nUid:\t{0}\t{0}\t{0}\t{0}\n", run_uid)) != std::string::npos);
    CHECK(status.find(fmt::format("\nGid:\t{0}\t{0}\t{0}\t{0}\n", test::run_user().pw_gid)) != std::string::npos);
    for (const char* set : {"CapInh", "CapPrm", "CapEff", "CapAmb"})
      CHECK_MESSAGE(status.find(fmt::format("\n{}:\t0000000000000000\n", set)) != std::string::npos, set);
    CHECK(status.find("\nNoNewPrivs:\t1\n") != std::string::npos);
    CHECK(status.find("\nSeccomp:\t2\n") != std::string::npos);
  }
  for (const auto& entry : fs::recursive_directory_iterator(vms)) {
    struct stat facts {};
    REQUIRE(::lstat(entry.path().c_str(), &facts) == 0);
    CHECK_MESSAGE(facts.st_uid == run_uid, entry.path());
    if (entry.path().filename() == "seed.iso" || entry.path().filename() == "disk.qcow2" ||
        entry.path().filename() == "state.qcow2" || entry.path().filename() == "keys.json")
      CHECK_MESSAGE((facts.st_mode & 07777) == 0600, entry.path());
  }
  for (const char* address : {"fd10:1234::1", "fd10:1234::2"}) {
    ProcessResult ping = run_process(ns.inside({"ping", "-6", "-c", "1", "-W", "5", "-I", "fd10:1234::fe", address}));
    CHECK_MESSAGE(ping.exit_status == 0, address << ": " << ping.out << ping.err);
  }
  // The instance disk is an overlay on the pin of the untouched golden image (a read-only copy
  // named by its digest), grown to the configured size.
  const json disk =
      json::parse(run_checked({"qemu-img", "info", "-U", "--output=json", (vms / "node/disk.qcow2").string()}));
  const fs::path node_pin = vms / "pinned" / (node_golden_sha256 + ".qcow2");
  CHECK(disk["backing-filename"] == node_pin.string());
  CHECK(sha256_file(node_pin) == node_golden_sha256);
  CHECK((fs::status(node_pin).permissions() & fs::perms::all) == fs::perms(0400));
  CHECK(disk["virtual-size"] == 50ULL << 30);
  CHECK(sha256_file(out / "node.qcow2") == node_golden_sha256);

  // Status from another process: the same pids, and up (what answered is carried over); with the
  // namespace's ping_group_range as systemd sets a host's, the probes ping too.
  run_checked(ns.inside({"sysctl", "-q", "-w", "net.ipv4.ping_group_range=0 2147483647"}));
  const ProcessResult status_run = run_process(ns.inside(launch(config, {"status", "--json"})));
  CHECK(status_run.err.find("ping probes are off") == std::string::npos);
  const json now = json::parse(status_run.out);
  for (const auto& [name, service] : {std::pair{"node", "rpc"}, std::pair{"registry", "health"}})
    CHECK(by_name(now, name)["answered"] == json::array({"ping", "ssh", service}));
  CHECK(by_name(now, "node")["pid"] == by_name(rows, "node")["pid"]);
  CHECK(by_name(now, "registry")["state"] == "up");
  CHECK(by_name(now, "node")["state"] == "up");
  // What the node's CometBFT says of its chain: a lone validator, no peers, not stalled.
  const json chain = by_name(now, "node")["chain"];
  INFO(chain.dump());
  CHECK(chain["peers"] == 0);
  CHECK(chain["stalled"] == false);
  CHECK(chain["height"].get<uint64_t>() >= by_name(rows, "node")["chain"]["height"].get<uint64_t>());
  CHECK_FALSE(by_name(now, "registry").contains("chain"));
  const std::string table = run_process(ns.inside(launch(config, {"status"}))).out;
  // The chain, and the golden image the system disk was made from.
  CHECK(std::regex_search(
      table, std::regex("\nnode +fd10:1234::1 .* height [0-9]+, 0 peers +" + node_golden_sha256.substr(0, 12) + "\n")));

  // A second start and a network teardown are refused while they run.
  ProcessResult again = run_process(ns.inside(launch(config, {"all"})));
  CHECK(again.exit_status == 2);
  CHECK(std::regex_match(again.err,
                         std::regex("launch: node is already running \\(pid [0-9]+\\); `launch stop node` first\n")));
  CHECK(run_process(ns.inside(launch(config, {"network", "down"}))).exit_status == 2);

  // SSH as the operators, with the host keys `launch init` put on the seed disks and nothing else.
  auto ssh = [&](const std::string& name, const std::string& command) {
    return run_process(ns.inside(
        {TRUSTNET_LAUNCH_BINARY, "ssh", name, "-i", key.string(), "--config", config.string(), "--", command}));
  };
  ProcessResult warden = ssh("node", "id");
  INFO(warden.err);
  CHECK(warden.out.starts_with("uid=1100(warden) gid=1100(warden) groups=10(wheel),1100(warden)"));
  CHECK(ssh("registry", "id").out.starts_with("uid=1200(keeper)"));
  for (const char* address : {"fd10:1234::1", "fd10:1234::2"}) {
    ProcessResult root =
        run_process(ns.inside({"ssh", "-i", key.string(), "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o",
                               "UserKnownHostsFile=" + (vms / "network/known_hosts").string(), "-o",
                               "StrictHostKeyChecking=yes", std::string("root@") + address, "id"}));
    CHECK(root.exit_status == 255);
    CHECK(root.err.find("Permission denied (publickey)") != std::string::npos);
  }

  // The machine launch describes (launcher/qemu/vm_definition) as the guest sees it: a virtio
  // entropy device (virtio device id 4) beside the disks and NICs.
  for (const char* name : {"node", "registry"}) {
    CAPTURE(name);
    CHECK(ssh(name, "cat /sys/bus/virtio/devices/*/device").out.find("0x0004\n") != std::string::npos);
  }

  // Cloud-init never ran, the host names are the instances', the cloud image's user is gone.
  for (const char* name : {"node", "registry"}) {
    CAPTURE(name);
    ProcessResult facts = ssh(name, "hostname; ls /var/lib/cloud; grep -c '^alpine:' /etc/passwd /etc/group; ls /home");
    CHECK(facts.out == fmt::format("trustnet-{}\n/etc/passwd:0\n/etc/group:0\n{}\n", name,
                                   name == std::string("node") ? "warden" : "keeper"));
  }

  // The registry through Caddy on its ULA address: 401 without credentials; with the password
  // `launch init` printed, a pushed blob and manifest come back byte for byte.
  const test::RegistryClient api("https://[fd10:1234::2]:8053", vms / "network/ca.crt",
                                 {"ip", "netns", "exec", ns.name()});
  CHECK(api.status_of({api.url("/health")}) == "200");
  CHECK(api.status_of({api.url("/v2/")}) == "401");
  const std::string user = "keeper:" + password;
  CHECK(api.status_of({"-u", user, api.url("/v2/")}) == "200");
  const std::string layer = test::random_bytes(200000, 11), image_config = R"({"architecture":"arm64","os":"linux"})";
  CHECK(api.push_blob(user, "trustnet/boot", layer) == "201");
  CHECK(api.push_blob(user, "trustnet/boot", image_config) == "201");
  const std::string manifest = test::RegistryClient::manifest(image_config, layer);
  CHECK(api.put_manifest(user, "trustnet/boot", "v1", manifest) == "201");
  CHECK(api.body(api.get_manifest(user, "trustnet/boot", "v1")) == manifest);
  CHECK(api.body(api.get_blob(user, "trustnet/boot", layer)) == layer);

  // ... kept where the recipe made the registry's folders.
  ProcessResult stored =
      ssh("registry",
          "cd /var/lib/trustnet-registry && ls && ls docker/registry/v2 docker/registry/v2/repositories/trustnet && "
          "ls docker/registry/v2/blobs/sha256/" +
              sha256_hex(layer).substr(0, 2) + "/" + sha256_hex(layer));
  CHECK(stored.out ==
        "docker\nlogs\ndocker/registry/v2:\nblobs\nrepositories\n\ndocker/registry/v2/repositories/"
        "trustnet:\nboot\ndata\n");
  // The state folders (the recipes' state:) are on each instance's state disk: found by its serial,
  // formatted at this first boot because it was blank, bound over the folder. A marker goes in.
  const std::map<std::string, std::string> state_folder = {{"node", "/opt/trustnet/node/data"},
                                                           {"registry", "/var/lib/trustnet-registry"}};
  std::map<std::string, std::string> state_made;
  for (const auto& [name, folder] : state_folder) {
    CAPTURE(name);
    ProcessResult mounts =
        ssh(name,
            "for b in /sys/block/vd*; do [ \"$(cat $b/serial)\" != trustnet-state ] || echo ${b##*/}; done; awk '$2 "
            "== \"/var/lib/trustnet-state\" || $2 == \"" +
                folder + "\" { print $1, $2, $3 }' /proc/mounts");
    CHECK(mounts.out == fmt::format("vdc\n/dev/vdc /var/lib/trustnet-state ext4\n/dev/vdc {} ext4\n", folder));
    const std::string log = run_process(launch(config, {"logs", name})).out;
    CHECK(log.find("trustnet-state: formatting the blank state disk /dev/vdc (ext4, label trustnet-state)") !=
          std::string::npos);
    CHECK(log.find("trustnet-state: " + folder + " is on the state disk") != std::string::npos);
    CHECK(ssh(name, "echo kept > " + folder + "/marker && cat " + folder + "/marker").out == "kept\n");
    // When mkfs made the disk's lost+found: a disk formatted again would have another.
    state_made[name] = ssh(name, "stat -c '%i %Z' /var/lib/trustnet-state/lost+found").out;
    CHECK(std::regex_match(state_made[name], std::regex("11 [0-9]+\n")));
  }
  // The seed's validator state went onto the disk (firstboot ran after the folder was bound).
  CHECK(ssh("node", "ls /var/lib/trustnet-state/folders/opt/trustnet/node/data 2>&1 | grep -c priv_validator_state")
            .out == "1\n");

  // The node's CometBFT answers with the RPC certificate the seed installed, and makes blocks.
  auto node_height = [&]() -> int64_t {
    const ProcessResult status =
        run_process(ns.inside({"curl", "-sS", "--max-time", "10", "--cacert", (vms / "network/ca.crt").string(),
                               "https://[fd10:1234::1]:26657/status"}));
    try {
      const json result = json::parse(status.out).at("result");
      CHECK(result["node_info"]["moniker"] == "trustnet-node");
      return std::stoll(result["sync_info"]["latest_block_height"].get<std::string>());
    } catch (const std::exception&) {
      return -1;
    }
  };
  auto height_reaches = [&](int64_t wanted) {
    for (int i = 0; i < 120; ++i) {
      if (node_height() >= wanted) return true;
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    return false;
  };
  const int64_t first_height = node_height();
  CHECK(first_height >= 0);
  CHECK(height_reaches(first_height + 3));
  const std::string host_key = ssh("node", "cat /etc/ssh/ssh_host_ed25519_key.pub").out;
  CHECK(host_key.starts_with("ssh-ed25519 "));

  // A new release of both appliances (one more file, through an override): `launch upgrade all`
  // moves each onto it in turn, and keeps every instance's state.
  const fs::path extra = run_dir() / "v2-overlay";
  write(extra / "etc/trustnet/release-v2", "second release\n");
  const fs::path v2 = run_dir() / "v2.yaml";
  write(v2, fmt::format("overlays:\n  - source: {}\n    owner: root\n", extra.string()));
  ProcessResult bake_v2 =
      run_process({TRUSTNET_BAKE_BINARY, "all", "--recipes", recipes.string(), "--ssh-key", key.string() + ".pub",
                   "--override", v2.string(), "--out", (run_dir() / "out-v2").string(), "--cache",
                   (run_dir() / "cache").string(), "--accel", "tcg"});
  INFO(bake_v2.err);
  REQUIRE(bake_v2.exit_status == 0);
  const fs::path config_v2 = write_config("out-v2");
  const int64_t height_before_upgrade = node_height();
  started = std::chrono::steady_clock::now();
  ProcessResult upgrade =
      run_process(ns.inside(launch(config_v2, {"upgrade", "all", "--accel", "tcg", "--timeout", "400", "--json"})));
  const double upgrade_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  INFO(upgrade.err);
  INFO(consoles());
  REQUIRE(upgrade.exit_status == 0);
  MESSAGE(
      fmt::format("`launch upgrade all` moved both appliances to the new release in {:.1f} s (TCG)", upgrade_seconds));
  const json upgraded = json::parse(upgrade.out);
  for (const char* name : {"node", "registry"}) {
    CAPTURE(name);
    const std::string outcome = by_name(upgraded, name)["outcome"];
    MESSAGE(fmt::format("{}: {}", name, outcome));
    CHECK(outcome.starts_with("upgraded from "));
    CHECK(ssh(name, "cat /etc/trustnet/release-v2").out == "second release\n");
    CHECK(ssh(name, "cat " + state_folder.at(name) + "/marker").out == "kept\n");
    CHECK(ssh(name, "stat -c '%i %Z' /var/lib/trustnet-state/lost+found").out == state_made[name]);
    const std::string log = run_process(launch(config_v2, {"logs", name})).out;
    CHECK(log.find("formatting") == std::string::npos);
    CHECK(log.find("installed the identity of") != std::string::npos);  // a new system disk's first boot
    CHECK(fs::exists(vms / name / "previous/disk.qcow2"));
    CHECK(json::parse(read_text_file(vms / name / "disk.json"))["golden_sha256"] ==
          sha256_file(run_dir() / "out-v2" / (std::string(name) + ".qcow2")));
  }
  // Status says which image each runs.
  const json after_upgrade = json::parse(run_process(ns.inside(launch(config_v2, {"status", "--json"}))).out);
  for (const char* name : {"node", "registry"})
    CHECK(by_name(after_upgrade, name)["image"]["sha256"] ==
          sha256_file(run_dir() / "out-v2" / (std::string(name) + ".qcow2")));
  // The node's chain went on from where it was, with the signing state the state disk kept.
  CHECK(run_process(launch(config_v2, {"logs", "node"}))
            .out.find("/opt/trustnet/node/data/priv_validator_state.json is kept as the state disk holds it") !=
        std::string::npos);
  const int64_t height_after_upgrade = node_height();
  CHECK(height_after_upgrade > height_before_upgrade);
  CHECK(height_reaches(height_after_upgrade + 3));
  CHECK(ssh("node",
            "grep -ciE 'double.?sign|height regression|conflicting data' "
            "/opt/trustnet/node/logs/tendermint.log /opt/trustnet/node/logs/tendermint.err | "
            "awk -F: '{ n += $NF } END { print n + 0 }'")
            .out == "0\n");
  // The identity is the seed's, not the new disk's: the same host key (strict checking passed too).
  CHECK(ssh("node", "cat /etc/ssh/ssh_host_ed25519_key.pub").out == host_key);
  // The image pushed before is still served through Caddy.
  CHECK(api.body(api.get_manifest(user, "trustnet/boot", "v1")) == manifest);
  CHECK(api.body(api.get_blob(user, "trustnet/boot", layer)) == layer);

  // An upgrade that fails its gate and is rolled back (the disk put back, started on its pin, the
  // rollout stopped) is driven through a fake host in tests/launcher/run/upgrade_instances_test.cpp.

  // Stop: ACPI power-down through QMP, which acpid turns into a clean shutdown.
  ProcessResult stop = run_process(ns.inside(launch(config_v2, {"stop", "all", "--timeout", "240", "--json"})));
  INFO(stop.err);
  REQUIRE(stop.exit_status == 0);
  const json stopped = json::parse(stop.out);
  for (const char* name : {"node", "registry"}) {
    CAPTURE(name);
    CHECK(by_name(stopped, name)["outcome"].get<std::string>().starts_with("powered off"));
    MESSAGE(fmt::format("{}: {}", name, by_name(stopped, name)["outcome"].get<std::string>()));
    CHECK_FALSE(launcher::process_alive(by_name(after_upgrade, name)["pid"].get<int>()));
    CHECK_FALSE(fs::exists(vms / name / "qemu.pid"));
    CHECK(fs::exists(vms / name / "disk.qcow2"));
  }
  CHECK(run_process({"ip", "netns", "pids", ns.name()}).out.empty());

  // A state disk that holds a filesystem with another label is never formatted: the appliance
  // refuses it on the console, and the services that keep state do not start.
  {
    const fs::path state_disk = vms / "registry/state.qcow2", kept = run_dir() / "registry-state.qcow2";
    const fs::path config_back = write_config("out-v2");  // the release the registry runs
    fs::rename(state_disk, kept);
    const fs::path raw = run_dir() / "other.raw";
    run_checked({"truncate", "-s", "256M", raw.string()});
    run_checked({"mkfs.ext4", "-q", "-L", "backups", raw.string()});
    const std::string uuid = run_checked({"blkid", "-s", "UUID", "-o", "value", raw.string()});
    run_checked({"qemu-img", "convert", "-q", "-f", "raw", "-O", "qcow2", raw.string(), state_disk.string()});
    run_checked({"chown", fmt::format("{}:{}", run_uid, test::run_user().pw_gid), state_disk.string()});
    // It never comes up (that launch's timeout then names what the console said is
    // launch_instances_test's): started without waiting, its console is read instead.
    ProcessResult refused =
        run_process(ns.inside(launch(config_back, {"registry", "--accel", "tcg", "--wait", "started"})));
    INFO(refused.err);
    CHECK(refused.exit_status == 0);
    // The console says why, in the boot runlevel, and OpenRC keeps both services down in the default one.
    const std::vector<std::string> said = {
        "trustnet-state: error: the state disk /dev/vdc holds a ext4 filesystem labelled 'backups', not ext4 "
        "labelled trustnet-state: it is left as it is (never formatted)",
        "ERROR: cannot start registry as trustnet-state would not start",
        "ERROR: cannot start caddy as trustnet-state would not start"};
    std::string console;
    for (int i = 0; i < 90; ++i) {
      console = run_process(launch(config_back, {"logs", "registry"})).out;
      if (std::all_of(said.begin(), said.end(),
                      [&](const std::string& line) { return console.find(line) != std::string::npos; }))
        break;
      std::this_thread::sleep_for(std::chrono::seconds(2));
    }
    for (const auto& line : said) CHECK_MESSAGE(console.find(line) != std::string::npos, line);
    const json refused_row =
        by_name(json::parse(run_process(ns.inside(launch(config_back, {"status", "--json"}))).out), "registry");
    CHECK(refused_row["state"] != "up");
    REQUIRE(run_process(ns.inside(launch(config_back, {"stop", "registry"}))).exit_status == 0);
    run_checked({"qemu-img", "convert", "-q", "-f", "qcow2", "-O", "raw", state_disk.string(), raw.string()});
    CHECK(run_checked({"blkid", "-s", "UUID", "-o", "value", raw.string()}) == uuid);
    CHECK(run_checked({"blkid", "-s", "LABEL", "-o", "value", raw.string()}) == "backups\n");
    fs::remove(raw);
    fs::rename(kept, state_disk);
  }
  ProcessResult down = run_process(ns.inside(launch(config, {"network", "down"})));
  CHECK(down.out == "removed tap tn-node\nremoved tap tn-registry\nremoved bridge tnbr0\n");
  CHECK(run_process(ns.inside({"ip", "link", "show", "tnbr0"})).exit_status != 0);
}

TEST_SUITE_END();
