// Bakes both recipes against the base built from the minirootfs fixture, then reads the golden
// images back with libguestfs. All test cases share one pair of bakes; run as one process.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <toml++/toml.h>
#include <yaml-cpp/yaml.h>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "baked_images.hpp"
#include "baker/execute/guestfs/guest_image.hpp"
#include "common/util/kvm_check.hpp"
#include "common/util/process.hpp"
#include "common/util/sha256.hpp"
#include "common/util/text_file.hpp"
#include "support/background_process.hpp"
#include "support/http_server.hpp"
#include "support/root_filesystem_check.hpp"
#include "support/tar_files.hpp"
#include "support/test_paths.hpp"
#include "support/text_lines.hpp"
#include "support/tmpfs_mount.hpp"

using namespace trustnet;
using namespace trustnet::baker;
namespace fs = std::filesystem;

namespace {

const std::string kTendermint = "#!/bin/sh\necho 'test cometbft'\n";
const std::string kRegistry = "#!/bin/sh\necho 'test registry'\n";
const std::string kCaddy = "#!/bin/sh\necho 'test caddy'\n";

fs::path run_dir() { return test::shared_bake_dir(); }
fs::path good_base() { return test::test_data_dir() / "alpine-aarch64.qcow2"; }

void write(const fs::path& file, const std::string& content) {
  fs::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary) << content;
}

// A release archive holding one executable member, as upstream ships them.
fs::path release(const std::string& name, const std::string& member, const std::string& content) {
  fs::path stage = run_dir() / "stage" / name;
  write(stage / member, content);
  fs::permissions(stage / member, fs::perms(0755));
  fs::path archive = run_dir() / "inputs" / (name + ".tar.gz");
  fs::create_directories(archive.parent_path());
  run_checked({"tar", "-C", stage.string(), "-czf", archive.string(), member});
  return archive;
}

// The recipe entry of a release archive: a local path, or the URL that serves it when given.
std::string binary_entry(const std::string& name, const fs::path& archive, const std::string& member,
                         const std::string& dest, const std::string& url = "") {
  return fmt::format("  {}:\n    {}\n    sha256: {}\n    member: {}\n    destination: {}\n    mode: \"0755\"\n", name,
                     url.empty() ? "path: " + archive.string() : "url: " + url, sha256_file(archive), member, dest);
}

fs::path override_file(const std::string& name, const fs::path& base, const std::string& base_sha256,
                       const std::string& binaries) {
  fs::path file = run_dir() / "inputs" / (name + "-override.yaml");
  write(file, fmt::format("base:\n  path: {}\n  sha256: {}\nbinaries:\n{}", base.string(), base_sha256, binaries));
  return file;
}

// The same through a libguestfs appliance, for what only that engine does.
std::vector<std::string> guestfs_args(const std::string& name, const fs::path& override_path, const fs::path& out) {
  std::vector<std::string> args = test::bake_args(name, override_path, out);
  args.insert(args.end(), {"--engine", "guestfs"});
  return args;
}

using test::Baked;

// A recipe folder of the test's own: each recipe includes the real one and replaces its inputs.
fs::path test_recipes(const std::string& node_inputs, const std::string& registry_inputs) {
  fs::path dir = run_dir() / "recipes";
  for (const auto& [name, inputs] : {std::pair{"node", node_inputs}, std::pair{"registry", registry_inputs}})
    write(dir / (std::string(name) + ".yaml"),
          fmt::format("include: {}\n{}", (test::source_dir() / "recipes" / (std::string(name) + ".yaml")).string(),
                      inputs));
  return dir;
}

Baked bake_both() {
  return [] {
    Baked b;
    fs::remove_all(run_dir());
    write(run_dir() / "inputs/operator.pub", test::operator_key + "\n");
    b.base_sha256_before = sha256_file(good_base());
    const fs::path cometbft = release("cometbft", "cometbft", kTendermint),
                   registry = release("registry", "registry", kRegistry), caddy = release("caddy", "caddy", kCaddy);
    b.node_override = override_file("node", good_base(), b.base_sha256_before,
                                    binary_entry("tendermint", cometbft, "cometbft", "/usr/local/bin/tendermint"));
    b.registry_override = override_file("registry", good_base(), b.base_sha256_before,
                                        binary_entry("registry", registry, "registry", "/usr/local/bin/registry") +
                                            binary_entry("caddy", caddy, "caddy", "/usr/local/bin/caddy"));
    // `bake all` fetches the releases from a real HTTP server on loopback into an empty cache, then
    // bakes both recipes in one process, as release builds run it, here in one shared appliance.
    test::HttpServer server(run_dir() / "inputs", run_dir() / "nginx");
    const std::string base =
        fmt::format("base:\n  path: {}\n  sha256: {}\nbinaries:\n", good_base().string(), b.base_sha256_before);
    const fs::path recipes = test_recipes(
        base + binary_entry("tendermint", cometbft, "cometbft", "/usr/local/bin/tendermint",
                            server.url("/files/cometbft.tar.gz")),
        base +
            binary_entry("registry", registry, "registry", "/usr/local/bin/registry",
                         server.url("/moved/registry.tar.gz")) +
            binary_entry("caddy", caddy, "caddy", "/usr/local/bin/caddy", server.url("/files/caddy.tar.gz")));
    b.out = run_dir() / "out";
    b.cache = run_dir() / "cache";
    b.all = run_process({TRUSTNET_BAKE_BINARY, "all", "--recipes", recipes.string(), "--ssh-key",
                         (run_dir() / "inputs/operator.pub").string(), "--out", b.out.string(), "--cache",
                         b.cache.string(), "--accel", "tcg", "--json"});
    b.server_log = server.log();
    // The same through one shared libguestfs appliance, from a cache of its own, with the
    // default --accel auto and nothing in the environment that forces TCG.
    b.guestfs_out = run_dir() / "out-guestfs";
    b.guestfs = run_process({"env", "-u", "LIBGUESTFS_BACKEND_SETTINGS", TRUSTNET_BAKE_BINARY, "all", "--recipes",
                             recipes.string(), "--ssh-key", (run_dir() / "inputs/operator.pub").string(), "--out",
                             b.guestfs_out.string(), "--cache", (run_dir() / "cache-guestfs").string(), "--appliances",
                             "1", "--engine", "guestfs", "--json"});
    b.base_sha256_after = sha256_file(good_base());
    b.base_perms_after = fs::status(good_base()).permissions();
    return b;
  }();
}

const Baked& baked() { return test::baked_images(); }

void check_entry(GuestSession& g, const std::string& path, uint32_t mode, uint32_t uid, uint32_t gid) {
  CAPTURE(path);
  REQUIRE(g.exists(path));
  GuestStat st = g.lstat(path);
  CHECK((st.mode & 07777) == mode);
  CHECK(st.uid == uid);
  CHECK(st.gid == gid);
}

void check_common(GuestSession& g, const std::string& user, uint32_t uid, const std::string& hostname,
                  const std::string& address) {
  // accounts: one line each, key-only login, supplementary group
  std::string passwd = g.read_file("/etc/passwd").value();
  CHECK(test::lines_starting(passwd, user + ":").size() == 1);
  CHECK(test::lines_starting(passwd, user + ":")[0] ==
        fmt::format("{0}:x:{1}:{1}:{2}:/home/{0}:/bin/ash", user, uid,
                    user == "warden" ? "TrustNet node operator" : "TrustNet registry operator"));
  CHECK(test::lines_starting(passwd, "root:").size() == 1);
  auto shadow = test::lines_starting(g.read_file("/etc/shadow").value(), user + ":");
  REQUIRE(shadow.size() == 1);
  CHECK(shadow[0].starts_with(user + ":*:"));
  auto wheel = test::lines_starting(g.read_file("/etc/group").value(), "wheel:");
  REQUIRE(wheel.size() == 1);
  CHECK(wheel[0].find(user) != std::string::npos);
  check_entry(g, "/etc/shadow", 0640, 0, 42);
  check_entry(g, "/etc/cloud/cloud-init.disabled", 0644, 0, 0);

  // SSH: key file, policy, include order, no host keys
  check_entry(g, "/home/" + user, 0750, uid, uid);
  check_entry(g, "/home/" + user + "/.ssh", 0700, uid, uid);
  check_entry(g, "/home/" + user + "/.ssh/authorized_keys", 0600, uid, uid);
  CHECK(g.read_file("/home/" + user + "/.ssh/authorized_keys").value() == test::operator_key + "\n");
  std::string policy = g.read_file("/etc/ssh/sshd_config.d/00-trustnet.conf").value();
  CHECK(policy.find("PermitRootLogin no\n") != std::string::npos);
  CHECK(policy.find("PasswordAuthentication no\n") != std::string::npos);
  CHECK(policy.find("AllowUsers " + user + "\n") != std::string::npos);
  std::string sshd = g.read_file("/etc/ssh/sshd_config").value();
  CHECK(sshd.find("Include /etc/ssh/sshd_config.d/*.conf") != std::string::npos);
  CHECK(g.glob("/etc/ssh/ssh_host_*").empty());
  CHECK(g.read_file("/etc/machine-id").value().empty());

  // identity and network
  CHECK(g.read_file("/etc/hostname").value() == hostname + "\n");
  CHECK(g.read_file("/etc/hosts").value().find(address + "\t" + hostname + ".trustnet.local " + hostname) !=
        std::string::npos);
  std::string interfaces = g.read_file("/etc/network/interfaces").value();
  CHECK(interfaces.find("iface eth0 inet6 static\n\taddress " + address + "\n\tnetmask 32\n") != std::string::npos);
  CHECK(interfaces.find("iface eth1 inet dhcp") != std::string::npos);

  // overlays, modes kept
  CHECK(g.read_file("/etc/motd").value() == read_text_file(test::source_dir() / "overlays/common/etc/motd"));
  check_entry(g, "/etc/motd", 0644, 0, 0);
  // The first-boot service that installs an instance's identity from its seed disk.
  check_entry(g, "/usr/local/sbin/trustnet-firstboot", 0755, 0, 0);
  check_entry(g, "/etc/init.d/trustnet-firstboot", 0755, 0, 0);
  REQUIRE(g.is_symlink("/etc/runlevels/boot/trustnet-firstboot"));
  CHECK(g.readlink("/etc/runlevels/boot/trustnet-firstboot") == "/etc/init.d/trustnet-firstboot");

  // the base really is the fixture: Alpine's own files are still there
  CHECK(g.read_file("/etc/alpine-release").value() == "3.20.3\n");
}

void check_service(GuestSession& g, const std::string& name, const std::string& user) {
  CAPTURE(name);
  check_entry(g, "/etc/init.d/" + name, 0755, 0, 0);
  std::string script = g.read_file("/etc/init.d/" + name).value();
  CHECK(script.starts_with("#!/sbin/openrc-run\n"));
  CHECK(script.find("supervisor=supervise-daemon") != std::string::npos);
  if (!user.empty()) CHECK(script.find(fmt::format("command_user={0}:{0}\n", user)) != std::string::npos);
  std::string link = "/etc/runlevels/default/" + name;
  REQUIRE(g.is_symlink(link));
  CHECK(g.readlink(link) == "/etc/init.d/" + name);
}

void check_binary(GuestSession& g, const std::string& path, const std::string& content) {
  check_entry(g, path, 0755, 0, 0);
  CHECK(g.checksum_sha256(path) == sha256_hex(content));
}

// Packs the mounted root with tar_out and scans every text file for key material, in one pass.
void check_no_private_key(GuestSession& g, const fs::path& tarball) {
  g.tar_out("/", tarball);
  size_t files = 0;
  bool motd = false;
  for (const auto& [name, entry] : test::read_tar(tarball)) {
    ++files;
    motd = motd || name.ends_with("etc/motd");
    // Keys are text (PEM, JSON); programs that know the markers (ssh-keygen, libcrypto) are not.
    if (entry.find('\0') != std::string::npos) continue;
    for (const char* secret : {"PRIVATE KEY-----", "\"priv_key\"", "OPENSSH PRIVATE KEY"})
      CHECK_MESSAGE(entry.find(secret) == std::string::npos, name << " holds " << secret);
  }
  CHECK(files > 50);  // the whole tree was read, down to the overlay's files
  CHECK(motd);
  fs::remove(tarball);
}

}  // namespace

const Baked& test::baked_images() {
  static const Baked result = bake_both();
  return result;
}

TEST_CASE("bake all bakes both recipes with the direct engine, no appliance, from the fixture base, untouched") {
  const Baked& b = baked();
  INFO(b.all.err);
  REQUIRE(b.all.exit_status == 0);
  auto outcome = nlohmann::json::parse(b.all.out);
  REQUIRE(outcome.size() == 2);
  CHECK(outcome[0]["name"] == "node");
  CHECK(outcome[1]["image"] == (b.out / "registry.qcow2").string());
  CHECK(b.base_sha256_after == b.base_sha256_before);
  CHECK(b.base_perms_after == fs::perms(0444));
  for (const auto& entry : fs::directory_iterator(b.out)) {
    std::string name = entry.path().filename();
    CHECK_MESSAGE((name == "node.qcow2" || name == "registry.qcow2" || name == "node.report.json" ||
                   name == "node.mtree" || name == "registry.mtree" || name == "registry.report.json" ||
                   name == ".node.lock" || name == ".registry.lock"),
                  "unexpected file left in out: " << name);
  }
  CHECK(b.all.err.find("appliance") == std::string::npos);
  CHECK(std::regex_search(b.all.err, std::regex("bake node: +inspect .* on partition 2")));
  for (const char* name : {"node", "registry"}) {
    CHECK(nlohmann::json::parse(read_text_file(b.out / (std::string(name) + ".report.json")))["engine"] == "ext4");
    CHECK(test::root_filesystem_check(b.out / (std::string(name) + ".qcow2")).exit_status == 0);
  }
  // The first bake of this base packed its root once (node) for its listing, kept read-only in
  // the cache; registry and every later bake derive theirs from it.
  const fs::path base_listing = b.cache / "listings" / (b.base_sha256_before + ".mtree");
  CHECK(fs::exists(base_listing));
  CHECK(fs::status(base_listing).permissions() == fs::perms(0444));
  CHECK(std::regex_search(b.all.err, std::regex("bake node: +pack base root for its listing +[0-9.]+ s")));
  CHECK(b.all.err.find("bake registry: pack base root") == std::string::npos);
  // one progress line per phase, with times
  for (const char* phase : {"verify inputs", "copy base", "check base filesystem", "inspect", "grow root filesystem",
                            "apply edits", "check filesystem", "write image", "place image"})
    for (const char* name : {"node", "registry"})
      CHECK_MESSAGE(
          std::regex_search(b.all.err, std::regex(fmt::format("bake {}: +{} +[0-9]+\\.[0-9]{{2}} s", name, phase))),
          phase);
  // The two bakes' lines interleave: their phases start in one column.
  CHECK(b.all.err.find("bake node:     load recipe ") != std::string::npos);
  CHECK(b.all.err.find("bake registry: load recipe ") != std::string::npos);
}

TEST_CASE("bake all --engine guestfs bakes both in one shared appliance, to the same listings as the direct engine") {
  const Baked& b = baked();
  INFO(b.guestfs.err);
  REQUIRE(b.guestfs.exit_status == 0);
  // One appliance launch for both images, which it bakes one after the other (node on the first
  // drive, registry on the second), each inspected on its own drive only.
  const KvmVerdict& kvm = host_kvm();
  const std::string accel = kvm.works ? "KVM" : "TCG";
  CHECK(std::regex_search(b.guestfs.err, std::regex("bake node: +launch appliance +[0-9.]+ s  " + accel +
                                                    "(, [0-9] vCPUs)?, shared by 2 images")));
  CHECK(std::regex_search(b.guestfs.err, std::regex("bake registry: launch appliance +[0-9.]+ s  " + accel +
                                                    "(, [0-9] vCPUs)?, shared by 2 images")));
  // --accel auto asked QEMU once whether KVM works; where /dev/kvm is there and does not, it said
  // so once, with why, and went on under TCG.
  const std::string fallback = "bake: KVM does not work on this host (" + kvm.reason +
                               "): the libguestfs appliance runs under TCG, slower (--accel tcg skips this check)\n";
  const size_t said = b.guestfs.err.find(fallback);
  CHECK((said != std::string::npos) == (kvm.device && !kvm.works));
  if (said != std::string::npos) CHECK(b.guestfs.err.find(fallback, said + 1) == std::string::npos);
  // The appliance's start is said when it begins too: a log is not silent for its 20 s.
  CHECK(b.guestfs.err.find("bake node:     launch appliance …\n") != std::string::npos);
  CHECK(b.guestfs.err.find("bake node:     launch appliance …\n") <
        b.guestfs.err.find("bake node:     launch appliance "
                           "   "));
  CHECK(std::regex_search(b.guestfs.err, std::regex("bake node: +inspect .* on /dev/sda2")));
  CHECK(std::regex_search(b.guestfs.err, std::regex("bake registry: inspect .* on /dev/sdb2")));
  CHECK(std::regex_search(b.guestfs.err, std::regex("bake registry: wait for the appliance +[0-9.]+ s  baking node")));
  CHECK(std::regex_search(b.guestfs.err, std::regex("bake node: +pack base root for its listing +[0-9.]+ s")));
  for (const char* phase : {"launch appliance", "close image", "shut down appliance"})
    CHECK_MESSAGE(
        std::regex_search(b.guestfs.err, std::regex(fmt::format("bake node: +{} +[0-9]+\\.[0-9]{{2}} s", phase))),
        phase);
  // Both engines: the same base listing packed, the same files in the images, as each reads them.
  CHECK(read_text_file(run_dir() / "cache-guestfs/listings" / (b.base_sha256_before + ".mtree")) ==
        read_text_file(b.cache / "listings" / (b.base_sha256_before + ".mtree")));
  // The base's extended attributes are listed; the file the overlay replaced lost its own (both
  // engines: the listings are equal), the file no recipe touches kept its.
  const std::string attribute = "xattrs=user.trustnet:" + sha256_hex("kept").substr(0, 16);
  const std::string base_text = read_text_file(b.cache / "listings" / (b.base_sha256_before + ".mtree"));
  CHECK(test::lines_starting(base_text, "./etc/motd ").at(0).find(attribute) != std::string::npos);
  const std::string node_text = read_text_file(b.out / "node.mtree");
  CHECK(test::lines_starting(node_text, "./etc/motd ").at(0).find("xattrs=") == std::string::npos);
  CHECK(test::lines_starting(node_text, "./etc/alpine-release ").at(0).find(attribute) != std::string::npos);
  for (const char* name : {"node", "registry"}) {
    const fs::path direct = b.out / (std::string(name) + ".qcow2"),
                   guestfs = b.guestfs_out / (std::string(name) + ".qcow2");
    CHECK(nlohmann::json::parse(read_text_file(b.guestfs_out / (std::string(name) + ".report.json")))["engine"] ==
          "libguestfs");
    CHECK(read_text_file(b.out / (std::string(name) + ".mtree")) ==
          read_text_file(b.guestfs_out / (std::string(name) + ".mtree")));
    const ProcessResult diff = run_process({TRUSTNET_BAKE_BINARY, "diff", direct.string(), guestfs.string()});
    INFO(diff.err);
    CHECK(diff.out == "no differences\n");
    CHECK(test::root_filesystem_check(guestfs).exit_status == 0);
  }
}

TEST_CASE("bake all first fetched every release over HTTP into the cache, once each, following a redirect") {
  const Baked& b = baked();
  REQUIRE(b.all.exit_status == 0);
  for (const char* input : {"fetch binary tendermint: ", "fetch binary registry: ", "fetch binary caddy: "})
    CHECK_MESSAGE(b.all.err.find(input) != std::string::npos, input);
  for (const char* archive : {"cometbft.tar.gz", "registry.tar.gz", "caddy.tar.gz"})
    CHECK_MESSAGE(fs::is_regular_file(b.cache / "sha256" / sha256_file(run_dir() / "inputs" / archive)), archive);
  std::vector<std::string> expected{"/files/cometbft.tar.gz 200 \"-\"", "/moved/registry.tar.gz 302 \"-\"",
                                    "/files/registry.tar.gz 200 \"-\"", "/files/caddy.tar.gz 200 \"-\""};
  std::vector<std::string> log = b.server_log;
  std::sort(log.begin(), log.end());
  std::sort(expected.begin(), expected.end());
  CHECK(log == expected);
}

TEST_CASE("the golden images have the recipes' virtual size, and the report lists every installed file") {
  const Baked& b = baked();
  REQUIRE(b.all.exit_status == 0);
  auto size = [](const fs::path& image) {
    return nlohmann::json::parse(run_checked({"qemu-img", "info", "--output=json", image.string()}))["virtual-size"]
        .get<uint64_t>();
  };
  CHECK(size(b.out / "node.qcow2") == 50ULL << 30);
  CHECK(size(b.out / "registry.qcow2") == 30ULL << 30);

  auto report = nlohmann::json::parse(read_text_file(b.out / "node.report.json"));
  CHECK(report["base"]["sha256"] == b.base_sha256_before);
  CHECK(report["recipe"]["sha256"].get<std::string>().size() == 64);
  CHECK(report["inspection"]["distro"] == "alpinelinux");
  CHECK(report["inspection"]["arch"] == "aarch64");
  CHECK(report["disk"]["root_filesystem_size"].get<uint64_t>() > 45ULL << 30);
  bool tendermint = false;
  for (const auto& f : report["files"]) {
    if (f["path"] == "/usr/local/bin/tendermint") {
      tendermint = true;
      CHECK(f["sha256"] == sha256_hex(kTendermint));
      CHECK(f["mode"] == "0755");
      CHECK(f["owner"] == "root");
    }
    CHECK(f.contains("mode"));
    CHECK(f.contains("uid"));
  }
  CHECK(tendermint);
  std::vector<std::string> removed = report["removed"];
  CHECK(std::find(removed.begin(), removed.end(), "/etc/ssh/ssh_host_ed25519_key") != removed.end());
  CHECK(report["phases"].size() >= 7);
  // The fixture has neither cloud-init nor the cloud image's user: the bake says so (the boot
  // test's realistic base has both).
  CHECK(report["notes"] ==
        nlohmann::json::array({"cloud-init: no runlevel links in the base; wrote /etc/cloud/cloud-init.disabled",
                               "user alpine is not in the base; nothing to remove"}));
}

TEST_CASE("the grown GPT of a golden image is valid for sgdisk, with the root partition to the end of the disk") {
  const Baked& b = baked();
  REQUIRE(b.all.exit_status == 0);
  fs::path raw = run_dir() / "node.raw";  // sparse: only the written clusters take space
  run_checked({"qemu-img", "convert", "-O", "raw", (b.out / "node.qcow2").string(), raw.string()});
  CHECK(run_checked({"sgdisk", "-v", raw.string()}).find("No problems found") != std::string::npos);
  const std::string root = run_checked({"sgdisk", "-i", "2", raw.string()});
  CHECK(root.find(fmt::format("Last sector: {} ", (50ULL << 30) / 512 - 34)) != std::string::npos);
  CHECK(run_checked({"sgdisk", "-i", "1", raw.string()}).find("EFI system partition") != std::string::npos);
  fs::remove(raw);
}

TEST_CASE("read back with libguestfs, the golden images hold every item of their recipes, and no private key") {
  const Baked& b = baked();
  REQUIRE(b.all.exit_status == 0);
  GuestSession g(ApplianceAccel::tcg);
  g.add_drive(b.out / "node.qcow2", "qcow2", true);
  g.add_drive(b.out / "registry.qcow2", "qcow2", true);
  g.launch();

  g.mount("/dev/sda2", "/", true);
  CHECK(g.filesystem_size("/") > 45ULL << 30);
  check_common(g, "warden", 1100, "trustnet-node", "fd10:1234::1");
  check_entry(g, "/etc/trustnet", 0755, 0, 0);
  check_entry(g, "/opt/trustnet/node", 0750, 1100, 1100);
  check_entry(g, "/opt/trustnet/node/config", 0750, 1100, 1100);
  check_entry(g, "/opt/trustnet/node/data", 0700, 1100, 1100);
  check_entry(g, "/opt/trustnet/node/logs", 0750, 1100, 1100);
  check_binary(g, "/usr/local/bin/tendermint", kTendermint);
  check_service(g, "tendermint", "warden");
  std::string script = g.read_file("/etc/init.d/tendermint").value();
  CHECK(script.find("command_args='node --home /opt/trustnet/node'\n") != std::string::npos);
  CHECK(script.find("output_log=/opt/trustnet/node/logs/tendermint.log\n") != std::string::npos);
  CHECK(script.find("need net trustnet-firstboot") != std::string::npos);
  CHECK(script.find("if [ ! -e /opt/trustnet/node/config/priv_validator_key.json ]; then") != std::string::npos);
  // CometBFT's configuration is baked; its keys and genesis are not (they come with each instance's seed).
  check_entry(g, "/opt/trustnet/node/config/config.toml", 0640, 1100, 1100);
  toml::table config = toml::parse(g.read_file("/opt/trustnet/node/config/config.toml").value());
  CHECK(config["moniker"].value<std::string>() == "trustnet-node");
  CHECK(config["rpc"]["laddr"].value<std::string>() == "tcp://[::]:26657");
  for (const char* secret :
       {"/opt/trustnet/node/config/priv_validator_key.json", "/opt/trustnet/node/config/node_key.json",
        "/opt/trustnet/node/config/rpc.key", "/opt/trustnet/node/data/priv_validator_state.json"})
    CHECK_MESSAGE(!g.exists(secret), secret);
  CHECK(g.read_file("/etc/trustnet/node.env").value() ==
        read_text_file(test::source_dir() / "overlays/node/etc/trustnet/node.env"));
  check_no_private_key(g, run_dir() / "node.tar");
  g.umount_all();

  g.mount("/dev/sdb2", "/", true);
  CHECK(g.filesystem_size("/") > 25ULL << 30);
  CHECK(g.filesystem_size("/") < 31ULL << 30);
  check_common(g, "keeper", 1200, "trustnet-registry", "fd10:1234::2");
  check_entry(g, "/var/lib/trustnet-registry", 0750, 1200, 1200);
  for (const char* dir : {"docker", "docker/registry", "docker/registry/v2", "docker/registry/v2/blobs",
                          "docker/registry/v2/repositories", "logs"})
    check_entry(g, std::string("/var/lib/trustnet-registry/") + dir, 0750, 1200, 1200);
  check_entry(g, "/etc/trustnet-registry", 0750, 0, 1200);
  check_binary(g, "/usr/local/bin/registry", kRegistry);
  check_binary(g, "/usr/local/bin/caddy", kCaddy);
  check_service(g, "registry", "keeper");
  check_service(g, "caddy", "");
  CHECK(g.read_file("/etc/init.d/caddy").value().find("need net registry") != std::string::npos);
  // The registry's and Caddy's configuration are baked; credentials and TLS files are not.
  check_entry(g, "/etc/trustnet-registry/config.yml", 0640, 0, 1200);
  YAML::Node registry_config = YAML::Load(g.read_file("/etc/trustnet-registry/config.yml").value());
  CHECK(registry_config["http"]["addr"].as<std::string>() == "127.0.0.1:5000");
  CHECK(registry_config["storage"]["delete"]["enabled"].as<bool>());
  CHECK(g.read_file("/etc/trustnet-registry/Caddyfile").value().find("https://[fd10:1234::2]:8053") !=
        std::string::npos);
  for (const char* secret : {"/etc/trustnet-registry/htpasswd", "/etc/trustnet-registry/tls/registry.key"})
    CHECK_MESSAGE(!g.exists(secret), secret);
  check_no_private_key(g, run_dir() / "registry.tar");
  CHECK_FALSE(g.exists("/opt/trustnet"));
  CHECK_FALSE(g.exists("/etc/runlevels/default/tendermint"));
  g.umount_all();
  g.shutdown();
}

TEST_CASE("a second bake of the same output is refused, and SIGTERM stops a bake leaving no image, temp file or QEMU") {
  const Baked& b = baked();
  fs::path out = run_dir() / "interrupted";
  fs::create_directories(out);
  // What this bake leaves running becomes ours when it exits, so that we see it; other bakes on
  // the machine are none of this test's business.
  test::become_child_subreaper();
  test::BackgroundProcess first(guestfs_args("node", b.node_override, out), run_dir() / "first.log");
  // Wait until the bake's own appliance runs on the temporary image: that is the state to clean up.
  auto own_appliance = [&] {
    std::vector<pid_t> found;
    for (const pid_t pid : test::descendants_of(first.pid())) {
      std::string cmdline;
      try {
        cmdline = read_text_file("/proc/" + std::to_string(pid) + "/cmdline");
      } catch (...) {
        continue;
      }
      if (cmdline.find(".node.qcow2.tmp-") != std::string::npos) found.push_back(pid);
    }
    return found;
  };
  bool launching = false;
  for (int i = 0; i < 300 && !launching; ++i) {
    launching = !own_appliance().empty();
    if (!launching) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  REQUIRE_MESSAGE(launching, first.output());

  ProcessResult second = run_process(guestfs_args("node", b.node_override, out));
  CHECK(second.exit_status == 1);
  CHECK(second.err.find("another bake is writing") != std::string::npos);
  CHECK_FALSE(first.exited());

  const std::vector<pid_t> children = test::descendants_of(first.pid());
  first.signal(SIGTERM);
  int status = first.wait();
  CHECK(status == 128 + SIGTERM);
  CHECK(first.output().find("interrupted by SIGTERM") != std::string::npos);
  // The bake waited for everything it started: nothing of it is left to wait for. (Bounded, so
  // that a failure here reaps what was left rather than leaving it to the next test.)
  std::vector<pid_t> still_alive;
  for (const pid_t pid : children)
    if (::kill(pid, 0) == 0) still_alive.push_back(pid);
  CHECK_MESSAGE(still_alive.empty(), still_alive.size() << " processes of the bake outlived it");
  test::wait_until_gone(still_alive, std::chrono::seconds(20));
  for (const auto& entry : fs::directory_iterator(out))
    CHECK_MESSAGE(entry.path().filename() == ".node.lock", "left behind: " << entry.path().filename().string());
}

TEST_CASE(
    "a filesystem that fills up while the appliance runs stops the bake in seconds with an error naming the folder") {
  const Baked& b = baked();
  // Big enough to pass the free-space check before the copy, sized from the bake's own estimate
  // (which varies with the machine's build of the inputs) plus a margin of 10% and 8 MiB; then
  // something else takes the rest, and the appliance's next write would pause its QEMU
  // (werror=enospc).
  uint64_t needed = 0;
  {
    test::TmpfsMount tiny(run_dir() / "tiny-fs", 1ULL << 20);
    const ProcessResult refused = run_process(guestfs_args("node", b.node_override, tiny.path() / "out"));
    std::smatch estimate;
    REQUIRE_MESSAGE(std::regex_search(refused.err, estimate, std::regex("needs about ([0-9.]+) (KiB|MiB|GiB)")),
                    refused.err);
    const int shift = estimate[2] == "KiB" ? 10 : estimate[2] == "MiB" ? 20 : 30;
    needed = static_cast<uint64_t>(std::stod(estimate[1]) * static_cast<double>(1ULL << shift));
  }
  test::TmpfsMount small(run_dir() / "small-fs", needed + needed / 10 + (8ULL << 20));
  const fs::path out = small.path() / "out";
  test::BackgroundProcess bake(guestfs_args("node", b.node_override, out), run_dir() / "full.log");
  REQUIRE_MESSAGE(bake.wait_for_output("launch appliance", std::chrono::seconds(300)), bake.output());
  CHECK(small.fill(small.path() / "filler") > 0);
  const auto filled = std::chrono::steady_clock::now();

  bool ended = false;  // a hang is the defect: bound the wait, then fail
  for (int i = 0; i < 600 && !ended; ++i) {
    ended = bake.exited();
    if (!ended) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  REQUIRE_MESSAGE(ended, "the bake still runs 2 minutes after its filesystem filled up:\n" << bake.output());
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - filled).count();
  const std::string output = bake.output();
  CAPTURE(output);
  CHECK(bake.wait() == 1);
  CHECK(seconds < 60);
  CHECK(output.find(fmt::format("the filesystem of {} is full", out.string())) != std::string::npos);
  CHECK(std::regex_search(output, std::regex("it needs about [0-9.]+ MiB free")));
  // the error is the last line, with no failure of the stopped appliance after it
  CHECK(output.rfind("is full") > output.rfind('\n', output.size() - 2));
  CHECK(output.find("libguestfs") == std::string::npos);
  std::this_thread::sleep_for(std::chrono::seconds(1));
  CHECK(test::processes_mentioning(out.string()).empty());
  for (const auto& entry : fs::directory_iterator(out))
    CHECK_MESSAGE(entry.path().filename() == ".node.lock", "left behind: " << entry.path().filename().string());
  CHECK(sha256_file(good_base()) == b.base_sha256_before);
}

TEST_CASE("bases that are not Alpine Linux on aarch64 are refused after inspection, leaving no image") {
  const Baked& b = baked();
  (void)b;
  struct Case {
    std::string base, expected;
  };
  std::vector<Case> cases = {{"alpine-x86_64.qcow2", "the base image is Alpine Linux for x86_64, not aarch64"},
                             {"debian-aarch64.qcow2", "not Alpine Linux"}};
  std::vector<std::future<ProcessResult>> runs;
  for (const auto& c : cases) {
    fs::path base = test::test_data_dir() / c.base;
    fs::path override_path = override_file(
        "wrong-" + c.base, base, sha256_file(base),
        binary_entry("tendermint", run_dir() / "inputs/cometbft.tar.gz", "cometbft", "/usr/local/bin/tendermint"));
    runs.push_back(std::async(std::launch::async, run_process,
                              test::bake_args("node", override_path, run_dir() / ("out-" + c.base))));
  }
  for (size_t i = 0; i < cases.size(); ++i) {
    ProcessResult result = runs[i].get();
    CAPTURE(result.err);
    CHECK(result.exit_status == 1);
    CHECK(result.err.find(cases[i].expected) != std::string::npos);
    CHECK_FALSE(fs::exists(run_dir() / ("out-" + cases[i].base) / "node.qcow2"));
    for (const auto& entry : fs::directory_iterator(run_dir() / ("out-" + cases[i].base)))
      CHECK(entry.path().filename().string().find(".tmp-") == std::string::npos);
  }
}

TEST_CASE(
    "in a shared appliance an image that fails fails alone: the other is baked, the base listing it packed is kept") {
  const Baked& b = baked();
  // ghost is node with a folder owned by a user no image has: it fails in the appliance, after
  // packing the base's root for the (fresh) cache and halfway through its edits.
  const fs::path recipes = run_dir() / "isolation-recipes", out = run_dir() / "out-isolation",
                 cache = run_dir() / "cache-isolation";
  const fs::path node_recipe = test::source_dir() / "recipes/node.yaml";
  write(recipes / "node.yaml", fmt::format("include: {}\n", node_recipe.string()));
  write(recipes / "ghost.yaml",
        fmt::format("include: {}\nname: ghost\ndirectories:\n  /opt/ghost: {{owner: ghost, mode: \"0750\"}}\n",
                    node_recipe.string()));
  ProcessResult r = run_process({TRUSTNET_BAKE_BINARY,
                                 "ghost",
                                 "node",
                                 "--recipes",
                                 recipes.string(),
                                 "--override",
                                 b.node_override.string(),
                                 "--ssh-key",
                                 (run_dir() / "inputs/operator.pub").string(),
                                 "--out",
                                 out.string(),
                                 "--cache",
                                 cache.string(),
                                 "--accel",
                                 "tcg",
                                 "--appliances",
                                 "1",
                                 "--engine",
                                 "guestfs",
                                 "--json"});
  CAPTURE(r.err);
  CHECK(r.exit_status == 1);
  CHECK(r.err.find("bake ghost: owner 'ghost' of /opt/ghost is not a user in the image's /etc/passwd") !=
        std::string::npos);
  CHECK(std::regex_search(
      r.err, std::regex("bake ghost: launch appliance +[0-9.]+ s  TCG(, [0-9] vCPUs)?, shared by 2 images")));
  CHECK(std::regex_search(r.err, std::regex("bake node: +wait for the appliance +[0-9.]+ s  baking ghost")));
  CHECK(std::regex_search(r.err, std::regex("bake ghost: pack base root for its listing")));
  auto outcome = nlohmann::json::parse(r.out);
  REQUIRE(outcome.size() == 1);
  CHECK(outcome[0]["name"] == "node");

  // node is whole: its image, listing and report; ghost left nothing but its lock.
  std::set<std::string> left;
  for (const auto& entry : fs::directory_iterator(out)) left.insert(entry.path().filename());
  CHECK(left == std::set<std::string>{".ghost.lock", ".node.lock", "node.mtree", "node.qcow2", "node.report.json"});
  // The base's listing ghost packed before failing is the one bake all packed, byte for byte.
  const std::string listing_name = "listings/" + b.base_sha256_before + ".mtree";
  CHECK(read_text_file(cache / listing_name) == read_text_file(b.cache / listing_name));
  CHECK(test::processes_mentioning(out.string()).empty());

  GuestSession g(ApplianceAccel::tcg);
  g.add_drive(out / "node.qcow2", "qcow2", true);
  g.launch();
  g.mount(inspect_guest_disk(g, g.disks().front()).root_device, "/", true);
  check_common(g, "warden", 1100, "trustnet-node", "fd10:1234::1");
  check_service(g, "tendermint", "warden");
  CHECK_FALSE(g.exists("/opt/ghost"));
  g.umount_all();
  g.shutdown();
}

TEST_CASE("a missing base, a base checksum mismatch and a binary checksum mismatch fail before any appliance starts") {
  const Baked& b = baked();
  auto tendermint =
      binary_entry("tendermint", run_dir() / "inputs/cometbft.tar.gz", "cometbft", "/usr/local/bin/tendermint");
  std::string wrong(64, 'e');

  ProcessResult missing = run_process(test::bake_args(
      "node", override_file("missing", run_dir() / "nope.qcow2", wrong, tendermint), run_dir() / "out-missing"));
  CHECK(missing.exit_status == 1);
  CHECK(missing.err.find("nope.qcow2 does not exist") != std::string::npos);

  ProcessResult mismatch = run_process(
      test::bake_args("node", override_file("mismatch", good_base(), wrong, tendermint), run_dir() / "out-mismatch"));
  CHECK(mismatch.exit_status == 1);
  CHECK(mismatch.err.find(fmt::format("sha256 is {}, but the recipe pins {}", b.base_sha256_before, wrong)) !=
        std::string::npos);

  std::string bad_binary = fmt::format(
      "  tendermint:\n    path: {}\n    sha256: {}\n    member: cometbft\n    destination: /usr/local/bin/tendermint\n",
      (run_dir() / "inputs/cometbft.tar.gz").string(), wrong);
  ProcessResult binary = run_process(test::bake_args(
      "node", override_file("badbin", good_base(), b.base_sha256_before, bad_binary), run_dir() / "out-badbin"));
  CHECK(binary.exit_status == 1);
  CHECK(binary.err.find("binary tendermint") != std::string::npos);
  CHECK(binary.err.find("but the recipe pins " + wrong) != std::string::npos);

  for (const auto* result : {&missing, &mismatch, &binary})
    CHECK(result->err.find("launch appliance") == std::string::npos);
}
