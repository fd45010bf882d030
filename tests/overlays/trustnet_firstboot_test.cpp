// The first-boot script of the golden images, run with sh on a directory tree standing for the
// appliance's root, with a seed read out of a real seed ISO.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <tuple>

#include "baker/render/network.hpp"
#include "common/util/process.hpp"
#include "common/util/text_file.hpp"
#include "launcher/identity/seed_disk.hpp"
#include "support/iso_files.hpp"
#include "support/temp_dir.hpp"
#include "support/test_paths.hpp"

using namespace trustnet;
namespace fs = std::filesystem;

namespace {

const fs::path kScript = test::source_dir() / "overlays/common/usr/local/sbin/trustnet-firstboot";

// What the golden node image holds before its first boot.
fs::path golden_root(const test::TempDir& dir) {
  dir.write("root/etc/passwd",
            "root:x:0:0:root:/root:/bin/sh\nwarden:x:1100:1100:TrustNet node operator:/home/warden:/bin/sh\n");
  dir.write("root/etc/group", "root:x:0:root\nwarden:x:1100:\n");
  dir.write("root/etc/hostname", "trustnet-node\n");
  dir.write("root/etc/hosts",
            "127.0.0.1\tlocalhost localhost.localdomain\n::1\tlocalhost localhost.localdomain\n"
            "fd10:1234::1\ttrustnet-node.trustnet.local trustnet-node\n");
  baker::NetworkSpec network;
  network.interface = "eth0";
  network.address = "fd10:1234::1";
  network.prefix = 32;
  network.ipv4_fallback_interface = "eth1";
  dir.write("root/etc/network/interfaces", baker::render_interfaces(network));
  return dir / "root";
}

// The seed ISO's files, unpacked by libarchive into a folder, as the mounted disk would show them.
fs::path unpack_seed(const test::TempDir& dir, const launcher::Seed& seed) {
  launcher::write_seed_iso(dir / "seed.iso", seed);
  for (const auto& [name, entry] : test::read_iso(dir / "seed.iso"))
    if (!entry.directory) dir.write("seed/" + name, entry.content);
  return dir / "seed";
}

launcher::Seed second_node() {
  return {"trustnet-node-2",
          "fd10:1234::5/32",
          {{"/etc/ssh/ssh_host_ed25519_key", "HOST KEY\n", 0600, "root", "root"},
           {"/opt/trustnet/node/config/priv_validator_key.json", "{\"address\":\"AB\"}\n", 0600, "warden", "warden"},
           {"/opt/trustnet/node/config/genesis.json", "{}\n", 0644, "warden", "warden"}}};
}

ProcessResult firstboot(const fs::path& root, const fs::path& seed) {
  return run_process(
      {"env", "TRUSTNET_ROOT=" + root.string(), "TRUSTNET_SEED=" + seed.string(), "sh", kScript.string()});
}

struct stat stat_of(const fs::path& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st;
}

}  // namespace

TEST_CASE(
    "trustnet-firstboot is valid sh, and its OpenRC service runs it at boot before sshd and the appliance services") {
  CHECK(run_process({"sh", "-n", kScript.string()}).exit_status == 0);
  CHECK((stat_of(kScript).st_mode & 0777) == 0755);
  const fs::path service = test::source_dir() / "overlays/common/etc/init.d/trustnet-firstboot";
  CHECK(run_process({"sh", "-n", service.string()}).exit_status == 0);
  const std::string text = read_text_file(service);
  CHECK(text.starts_with("#!/sbin/openrc-run\n"));
  CHECK(text.find("before hostname networking sshd tendermint registry caddy") != std::string::npos);
  CHECK(fs::read_symlink(test::source_dir() / "overlays/common/etc/runlevels/boot/trustnet-firstboot") ==
        "/etc/init.d/trustnet-firstboot");
}

TEST_CASE(
    "on first boot the seed's files are installed with their modes and owners, and host name and address applied") {
  test::TempDir dir;
  const fs::path root = golden_root(dir);
  ProcessResult r = firstboot(root, unpack_seed(dir, second_node()));
  INFO(r.out, r.err);
  REQUIRE(r.exit_status == 0);
  CHECK(r.out.find("installed the identity of trustnet-node-2 (fd10:1234::5/32)") != std::string::npos);

  CHECK(read_text_file(root / "etc/ssh/ssh_host_ed25519_key") == "HOST KEY\n");
  CHECK((stat_of(root / "etc/ssh/ssh_host_ed25519_key").st_mode & 07777) == 0600);
  CHECK(stat_of(root / "etc/ssh/ssh_host_ed25519_key").st_uid == 0);
  const auto key = stat_of(root / "opt/trustnet/node/config/priv_validator_key.json");
  CHECK((key.st_mode & 07777) == 0600);
  CHECK(key.st_uid == 1100);  // warden in the image's /etc/passwd, whatever the host has
  CHECK(key.st_gid == 1100);
  CHECK((stat_of(root / "opt/trustnet/node/config/genesis.json").st_mode & 07777) == 0644);

  CHECK(read_text_file(root / "etc/hostname") == "trustnet-node-2\n");
  CHECK(read_text_file(root / "etc/hosts") ==
        "127.0.0.1\tlocalhost localhost.localdomain\n::1\tlocalhost localhost.localdomain\n"
        "fd10:1234::5\ttrustnet-node-2.trustnet.local trustnet-node-2\n");
  const std::string interfaces = read_text_file(root / "etc/network/interfaces");
  CHECK(interfaces.find("iface eth0 inet6 static\n\taddress fd10:1234::5\n\tnetmask 32\n") != std::string::npos);
  CHECK(interfaces.find("iface eth1 inet dhcp") != std::string::npos);
  CHECK(read_text_file(root / "var/lib/trustnet/firstboot.done").find("as trustnet-node-2 (fd10:1234::5/32)") !=
        std::string::npos);
  for (const auto& entry : fs::recursive_directory_iterator(root))
    CHECK_MESSAGE(entry.path().string().find("firstboot-new") == std::string::npos, entry.path().string());

  // Later boots change nothing, even when the seed is still attached.
  dir.write("root/etc/ssh/ssh_host_ed25519_key", "ROTATED BY THE OPERATOR\n");
  ProcessResult again = firstboot(root, dir / "seed");
  CHECK(again.exit_status == 0);
  CHECK(again.out.find("nothing to do") != std::string::npos);
  CHECK(read_text_file(root / "etc/ssh/ssh_host_ed25519_key") == "ROTATED BY THE OPERATOR\n");
}

TEST_CASE(
    "without a seed, first boot generates SSH host keys, says the appliance has no identity, and will install one "
    "later") {
  test::TempDir dir;
  const fs::path root = golden_root(dir);
  fs::create_directories(dir / "empty");
  ProcessResult r = firstboot(root, dir / "empty");
  REQUIRE(r.exit_status == 0);
  CHECK(r.out.find("this appliance has NO IDENTITY") != std::string::npos);
  CHECK(fs::exists(root / "etc/ssh/ssh_host_ed25519_key"));
  CHECK(fs::exists(root / "var/lib/trustnet/no-identity"));
  CHECK_FALSE(fs::exists(root / "var/lib/trustnet/firstboot.done"));
  CHECK(read_text_file(root / "etc/hostname") == "trustnet-node\n");

  ProcessResult later = firstboot(root, unpack_seed(dir, second_node()));
  CHECK(later.exit_status == 0);
  CHECK(read_text_file(root / "etc/hostname") == "trustnet-node-2\n");
  CHECK_FALSE(fs::exists(root / "var/lib/trustnet/no-identity"));
}

TEST_CASE(
    "a seed naming an owner the image does not have stops first boot with a clear error, leaving it to run again") {
  test::TempDir dir;
  const fs::path root = golden_root(dir);
  launcher::Seed seed = second_node();
  seed.files[1].owner = "keeper";
  ProcessResult r = firstboot(root, unpack_seed(dir, seed));
  CHECK(r.exit_status == 1);
  CHECK(r.out.find("error: user keeper of /opt/trustnet/node/config/priv_validator_key.json is not in /etc/passwd") !=
        std::string::npos);
  CHECK_FALSE(fs::exists(root / "var/lib/trustnet/firstboot.done"));
}

namespace {

// A seed folder written by hand, as a hostile or damaged seed disk would hold it.
fs::path handmade_seed(const test::TempDir& dir, const std::string& manifest, const std::vector<std::string>& paths) {
  dir.write("bad-seed/trustnet/manifest", manifest);
  dir.write("bad-seed/trustnet/hostname", "trustnet-node-2\n");
  dir.write("bad-seed/trustnet/address", "fd10:1234::5/32\n");
  for (const auto& path : paths) dir.write("bad-seed/files" + path, "content of " + path + "\n");
  return dir / "bad-seed";
}

}  // namespace

TEST_CASE("a seed manifest whose last line has no newline installs that file too") {
  test::TempDir dir;
  const fs::path root = golden_root(dir);
  const auto seed = handmade_seed(
      dir, "0600 root root /etc/ssh/ssh_host_ed25519_key\n0644 warden warden /opt/trustnet/node/config/genesis.json",
      {"/etc/ssh/ssh_host_ed25519_key", "/opt/trustnet/node/config/genesis.json"});
  ProcessResult r = firstboot(root, seed);
  INFO(r.out, r.err);
  CHECK(r.exit_status == 0);
  CHECK(read_text_file(root / "opt/trustnet/node/config/genesis.json") ==
        "content of /opt/trustnet/node/config/genesis.json\n");
  CHECK(fs::exists(root / "var/lib/trustnet/firstboot.done"));
}

TEST_CASE(
    "a hostile seed manifest installs nothing: escaped owners, paths outside an identity's folders, set-id modes") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"0600 r\\157ot root /etc/ssh/ssh_host_ed25519_key",
       "manifest owner 'r\\157ot:root' of /etc/ssh/ssh_host_ed25519_key is not a plain"},
      {"0644 root root /etc/shadow", "manifest path '/etc/shadow' is not where an instance identity lives"},
      {"0755 root root /usr/local/bin/tendermint",
       "manifest path '/usr/local/bin/tendermint' is not where an instance identity lives"},
      {"4755 root root /opt/trustnet/node/config/run",
       "manifest mode '4755' of /opt/trustnet/node/config/run is not octal, or sets a set-id"},
      {"0600 root root /opt/trustnet/node/../../etc/shadow", "is not in normal form"},
      {"0600 root root etc/ssh/ssh_host_ed25519_key", "is not absolute"},
  };
  for (const auto& [line, message] : cases) {
    CAPTURE(line);
    test::TempDir dir;
    const fs::path root = golden_root(dir);
    // A good first line: it must not be installed either when a later one is refused.
    const std::string path = line.substr(line.rfind(' ') + 1);
    const auto seed =
        handmade_seed(dir, "0644 warden warden /opt/trustnet/node/config/genesis.json\n" + line + "\n",
                      {"/opt/trustnet/node/config/genesis.json", path.front() == '/' ? path : "/" + path});
    ProcessResult r = firstboot(root, seed);
    CHECK(r.exit_status == 1);
    CHECK(r.out.find(message) != std::string::npos);
    CHECK_FALSE(fs::exists(root / "opt/trustnet/node/config/genesis.json"));
    CHECK_FALSE(fs::exists(root / "etc/shadow"));
    CHECK_FALSE(fs::exists(root / "var/lib/trustnet/firstboot.done"));
  }
}

namespace {

// trustnet-firstboot as Alpine runs it: busybox's sh, and busybox's applets (awk, cp, mv…) alone
// on PATH.
ProcessResult firstboot_with_busybox(const test::TempDir& dir, const fs::path& root, const fs::path& seed) {
  const fs::path bin = dir / "busybox-bin";
  if (!fs::exists(bin)) {
    fs::create_directories(bin);
    const ProcessResult list = run_process({"/bin/busybox", "--list"});
    REQUIRE(list.exit_status == 0);
    std::istringstream applets(list.out);
    for (std::string applet; std::getline(applets, applet);)
      if (!applet.empty()) fs::create_symlink("/bin/busybox", bin / applet);
  }
  return run_process({"env", "-i", "PATH=" + bin.string(), "TRUSTNET_ROOT=" + root.string(),
                      "TRUSTNET_SEED=" + seed.string(), "/bin/busybox", "sh", kScript.string()});
}

}  // namespace

TEST_CASE(
    "under busybox, a seed installs its identity, and a host name or address holding a newline installs nothing") {
  {
    test::TempDir dir;
    const fs::path root = golden_root(dir);
    const ProcessResult good = firstboot_with_busybox(dir, root, unpack_seed(dir, second_node()));
    INFO(good.out, good.err);
    REQUIRE(good.exit_status == 0);
    CHECK(read_text_file(root / "etc/hostname") == "trustnet-node-2\n");
    const std::string interfaces = read_text_file(root / "etc/network/interfaces");
    CHECK(interfaces.find("address fd10:1234::5\n") != std::string::npos);
    CHECK(interfaces.find("netmask 32\n") != std::string::npos);
    CHECK(read_text_file(root / "etc/hosts").find("fd10:1234::5\ttrustnet-node-2.trustnet.local trustnet-node-2") !=
          std::string::npos);
  }
  const std::vector<std::tuple<std::string, std::string, std::string>> cases = {
      {"trustnet-node-2", "fd10:1234::5\nup id>/root/pwned/32", "the seed's address is not an IPv6 address"},
      {"trustnet-node-2\nup id>/root/pwned", "fd10:1234::5/32", "the seed's host name is not a host name"},
      {"trustnet-node-2", "fd10:1234::5/32\nup id>/root/pwned", "the seed's address is not an IPv6 address"},
      {"trustnet-node-2", "fd10:1234::5/32x", "has no prefix length from 0 to 128"},
      {"trustnet-node-2", "fd10:1234::5", "has no prefix length"},
      {"-node", "fd10:1234::5/32", "the seed's host name is not a host name"},
      {std::string(64, 'a'), "fd10:1234::5/32", "longer than 63 characters"},
  };
  for (const auto& [hostname, address, message] : cases) {
    CAPTURE(hostname);
    CAPTURE(address);
    test::TempDir dir;
    const fs::path root = golden_root(dir);
    const std::string interfaces = read_text_file(root / "etc/network/interfaces");
    const auto seed = handmade_seed(dir, "0644 warden warden /opt/trustnet/node/config/genesis.json\n",
                                    {"/opt/trustnet/node/config/genesis.json"});
    dir.write("bad-seed/trustnet/hostname", hostname + "\n");
    dir.write("bad-seed/trustnet/address", address + "\n");
    const ProcessResult r = firstboot_with_busybox(dir, root, seed);
    CHECK(r.exit_status == 1);
    CHECK(r.out.find(message) != std::string::npos);
    CHECK(r.out.find("pwned") == std::string::npos);  // a refused value is not repeated
    CHECK(read_text_file(root / "etc/network/interfaces") == interfaces);
    CHECK(read_text_file(root / "etc/hostname") == "trustnet-node\n");
    CHECK_FALSE(fs::exists(root / "opt/trustnet/node/config/genesis.json"));
    CHECK_FALSE(fs::exists(root / "var/lib/trustnet/firstboot.done"));
  }
}

TEST_CASE(
    "a seed file in a state folder that already holds it is kept: a new system disk never resets the signing "
    "state") {
  test::TempDir dir;
  const fs::path root = golden_root(dir);
  dir.write("root/etc/trustnet/state-folders", "0700 warden warden /opt/trustnet/node/data\n");
  launcher::Seed seed = second_node();
  seed.files.push_back(
      {"/opt/trustnet/node/data/priv_validator_state.json", "{\"height\":\"0\"}\n", 0600, "warden", "warden"});
  const fs::path state = root / "opt/trustnet/node/data/priv_validator_state.json";

  // The first boot of the instance: the state folder is empty, the seed's initial state goes in.
  ProcessResult first = firstboot(root, unpack_seed(dir, seed));
  INFO(first.out, first.err);
  REQUIRE(first.exit_status == 0);
  CHECK(read_text_file(state) == "{\"height\":\"0\"}\n");

  // The validator signs on; then a new system disk (its first boot again) with the same state disk.
  dir.write("root/opt/trustnet/node/data/priv_validator_state.json", "{\"height\":\"4242\"}\n");
  fs::remove(root / "var/lib/trustnet/firstboot.done");
  dir.write("root/opt/trustnet/node/config/priv_validator_key.json", "stale\n");
  ProcessResult again = firstboot(root, dir / "seed");
  INFO(again.out, again.err);
  REQUIRE(again.exit_status == 0);
  CHECK(read_text_file(state) == "{\"height\":\"4242\"}\n");
  CHECK(again.out.find("/opt/trustnet/node/data/priv_validator_state.json is kept as the state disk holds it") !=
        std::string::npos);
  // Files outside the state folders are the seed's again.
  CHECK(read_text_file(root / "opt/trustnet/node/config/priv_validator_key.json") == "{\"address\":\"AB\"}\n");
}

TEST_CASE(
    "under busybox, links the operator planted on the state disk are never written through, followed or chowned") {
  const std::string shadow_text = "root:*:20000:0:::::\n";
  const auto prepared = [&](test::TempDir& dir) {
    const fs::path root = golden_root(dir);
    dir.write("root/etc/shadow", shadow_text);
    ::chmod((root / "etc/shadow").c_str(), 0640);
    dir.write("root/etc/trustnet/state-folders", "0700 warden warden /opt/trustnet/node/data\n");
    fs::create_directories(root / "opt/trustnet/node/data");
    return root;
  };
  const auto seed_with_state = [](test::TempDir& dir) {
    launcher::Seed seed = second_node();
    seed.files.push_back(
        {"/opt/trustnet/node/data/priv_validator_state.json", "{\"height\":\"0\"}\n", 0600, "warden", "warden"});
    return unpack_seed(dir, seed);
  };
  const auto shadow_untouched = [&](const fs::path& root) {
    CHECK(read_text_file(root / "etc/shadow") == shadow_text);
    CHECK(stat_of(root / "etc/shadow").st_uid == 0);
    CHECK((stat_of(root / "etc/shadow").st_mode & 07777) == 0640);
  };

  SUBCASE("the name of the old temporary, planted as a link to /etc/shadow, is left alone") {
    test::TempDir dir;
    const fs::path root = prepared(dir);
    const fs::path state = root / "opt/trustnet/node/data/priv_validator_state.json";
    fs::create_symlink(root / "etc/shadow", state.string() + ".firstboot-new");
    const ProcessResult r = firstboot_with_busybox(dir, root, seed_with_state(dir));
    INFO(r.out, r.err);
    REQUIRE(r.exit_status == 0);
    shadow_untouched(root);
    CHECK(read_text_file(state) == "{\"height\":\"0\"}\n");
    CHECK(stat_of(state).st_uid == 1100);
    CHECK((stat_of(state).st_mode & 07777) == 0600);
    // Nothing left beside it but the planted link.
    CHECK(std::distance(fs::directory_iterator(root / "opt/trustnet/node/data"), fs::directory_iterator()) == 2);
  }
  SUBCASE("a file of the identity that is a link is refused, named, and nothing is written through it") {
    test::TempDir dir;
    const fs::path root = prepared(dir);
    fs::create_directories(root / "opt/trustnet/node/config");
    fs::create_symlink(root / "etc/shadow", root / "opt/trustnet/node/config/genesis.json");
    const ProcessResult r = firstboot_with_busybox(dir, root, seed_with_state(dir));
    CHECK(r.exit_status == 1);
    CHECK(r.out.find("error: /opt/trustnet/node/config/genesis.json is a link; a file of the identity is never "
                     "written through one") != std::string::npos);
    shadow_untouched(root);
    CHECK_FALSE(fs::exists(root / "var/lib/trustnet/firstboot.done"));
  }
  SUBCASE("a folder on the way that is a link is refused before anything is made through it") {
    test::TempDir dir;
    const fs::path root = prepared(dir);
    fs::remove(root / "opt/trustnet/node/data");
    fs::create_symlink(root / "etc", root / "opt/trustnet/node/data");
    const ProcessResult r = firstboot_with_busybox(dir, root, seed_with_state(dir));
    CHECK(r.exit_status == 1);
    CHECK(r.out.find("error: /opt/trustnet/node/data is a link") != std::string::npos);
    shadow_untouched(root);
    CHECK_FALSE(fs::exists(root / "etc/ssh/ssh_host_ed25519_key"));  // nothing installed before the refusal
    CHECK_FALSE(fs::exists(root / "etc/priv_validator_state.json"));
  }
  SUBCASE("a folder where a file of the identity goes is refused, not filled") {
    test::TempDir dir;
    const fs::path root = prepared(dir);
    fs::create_directories(root / "opt/trustnet/node/data/priv_validator_state.json");
    const ProcessResult r = firstboot_with_busybox(dir, root, seed_with_state(dir));
    CHECK(r.exit_status == 1);
    CHECK(r.out.find("/opt/trustnet/node/data/priv_validator_state.json is there but not a regular file") !=
          std::string::npos);
    CHECK(fs::is_empty(root / "opt/trustnet/node/data/priv_validator_state.json"));
  }
}
