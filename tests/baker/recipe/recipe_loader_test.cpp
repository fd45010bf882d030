#include "baker/recipe/recipe_loader.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <fstream>

#include "support/temp_dir.hpp"
#include "support/test_paths.hpp"

using namespace trustnet;
using namespace trustnet::baker;
namespace fs = std::filesystem;

namespace {

LoadOptions with_key(const test::TempDir& dir) {
  LoadOptions options;
  options.extra_ssh_keys = {dir.write("op.pub", test::operator_key + "\n")};
  return options;
}

const DirectorySpec* find_dir(const Recipe& r, const std::string& path) {
  for (const auto& d : r.directories)
    if (d.path == path) return &d;
  return nullptr;
}

}  // namespace

TEST_CASE("the node recipe describes the validator appliance completely") {
  test::TempDir dir;
  Recipe r = load_recipe(test::source_dir() / "recipes/node.yaml", with_key(dir));
  CHECK(r.name == "node");
  CHECK(r.hostname == "trustnet-node");
  CHECK(r.domain == "trustnet.local");
  CHECK(r.disk_size == 50ULL << 30);
  CHECK(r.base.url.value().find("alpine-3.22.2-aarch64-uefi") != std::string::npos);
  CHECK(r.base.sha256.size() == 64);
  CHECK(r.operator_user == "warden");
  REQUIRE(r.users.size() == 1);
  CHECK(r.users[0].uid == 1100);
  CHECK(r.users[0].shell == "/bin/ash");
  CHECK(r.users[0].groups == std::vector<std::string>{"wheel"});
  CHECK(r.users[0].ssh_keys == std::vector<std::string>{test::operator_key});
  for (const char* path :
       {"/opt/trustnet/node/config", "/opt/trustnet/node/data", "/opt/trustnet/node/logs", "/etc/trustnet"})
    CHECK_MESSAGE(find_dir(r, path) != nullptr, path);
  CHECK(find_dir(r, "/opt/trustnet/node/data")->owner.user == "warden");
  CHECK(find_dir(r, "/opt/trustnet/node/data")->mode == 0700u);
  // network: shape from the include, address from the recipe
  CHECK(r.network.interface == "eth0");
  CHECK(r.network.address == "fd10:1234::1");
  CHECK(r.network.prefix == 32);
  CHECK(r.network.ipv4_fallback_interface == "eth1");
  CHECK(r.ssh.allow_users == std::vector<std::string>{"warden"});
  CHECK_FALSE(r.ssh.permit_root_login);
  REQUIRE(r.binaries.size() == 1);
  CHECK(r.binaries[0].destination == "/usr/local/bin/tendermint");
  CHECK(r.binaries[0].member == "cometbft");
  REQUIRE(r.overlays.size() == 2);  // the include's common overlay comes first
  CHECK(r.overlays[0].source.filename() == "common");
  CHECK(r.overlays[1].source.filename() == "node");
  REQUIRE(r.services.size() == 1);
  CHECK(r.services[0].name == "tendermint");
  CHECK(r.services[0].user == "warden");
  CHECK(r.services[0].args == std::vector<std::string>{"node", "--home", "/opt/trustnet/node"});
  CHECK(r.services[0].need == std::vector<std::string>{"net", "trustnet-firstboot", "trustnet-state"});
  CHECK(r.services[0].requires_files == std::vector<std::string>{"/opt/trustnet/node/config/priv_validator_key.json",
                                                                 "/opt/trustnet/node/config/node_key.json",
                                                                 "/opt/trustnet/node/config/genesis.json"});
}

TEST_CASE("the registry recipe describes the registry appliance with both releases pinned") {
  test::TempDir dir;
  Recipe r = load_recipe(test::source_dir() / "recipes/registry.yaml", with_key(dir));
  CHECK(r.hostname == "trustnet-registry");
  CHECK(r.disk_size == 30ULL << 30);
  CHECK(r.operator_user == "keeper");
  CHECK(r.network.address == "fd10:1234::2");
  for (const char* path :
       {"/var/lib/trustnet-registry/docker/registry/v2/blobs",
        "/var/lib/trustnet-registry/docker/registry/v2/repositories", "/var/lib/trustnet-registry/logs"})
    CHECK_MESSAGE(find_dir(r, path) != nullptr, path);
  REQUIRE(r.binaries.size() == 2);
  CHECK(r.binaries[0].name == "registry");
  CHECK(r.binaries[0].sha256 == "7d2252eeeac97dd60fb9b36bebd15b95d7f947c4c82b8e0824cb55233ece9cd0");
  CHECK(r.binaries[0].member == "registry");
  CHECK(r.binaries[1].name == "caddy");
  CHECK(r.binaries[1].sha256 == "501e955fa634c5aab63247458c3ac655cfdd6cbf1e0436528f41248451c190ac");
  CHECK(r.services.size() == 2);
  REQUIRE(r.registry.has_value());
  CHECK(r.registry->listen == "127.0.0.1:5000");
  CHECK(r.registry->https_port == 8053);
  CHECK(r.registry->tls == RegistrySpec::Tls::local_ca);
  CHECK(r.registry->names == std::vector<std::string>{"registry.trustnet.local"});
  CHECK(r.registry->addresses == std::vector<std::string>{"fd10:1234::2"});  // from network.address
  CHECK(r.base.sha256 == load_recipe(test::source_dir() / "recipes/node.yaml", with_key(dir)).base.sha256);
}

TEST_CASE("list_recipes finds the appliance recipes and not the shared include") {
  auto files = list_recipes(test::source_dir() / "recipes");
  REQUIRE(files.size() == 2);
  CHECK(files[0].filename() == "node.yaml");
  CHECK(files[1].filename() == "registry.yaml");
}

TEST_CASE("later layers replace named entries whole and keep the rest") {
  test::TempDir dir;
  dir.write("base.yaml",
            "name: a\nhostname: a\ndisk_size: 1G\noperator: op\n"
            "base: {path: /b.qcow2, sha256: " +
                std::string(64, '1') +
                "}\n"
                "users: {op: {uid: 1000, groups: [wheel]}, extra: {uid: 1001}}\n"
                "network: {address: 'fd00::1', prefix: 48, interface: eth7}\n"
                "directories: {/srv: {mode: '0700'}, /data: {}}\n");
  auto top = dir.write("top.yaml",
                       "include: base.yaml\nhostname: b\nusers: {op: {uid: 2000}}\nnetwork: {address: 'fd00::2'}\n");
  Recipe r = load_recipe(top, with_key(dir));
  CHECK(r.hostname == "b");
  CHECK(r.name == "a");
  REQUIRE(r.users.size() == 2);
  CHECK(r.users[0].uid == 2000);
  CHECK(r.users[0].groups.empty());  // replaced whole, not merged
  CHECK(r.users[1].name == "extra");
  CHECK(r.network.address == "fd00::2");
  CHECK(r.network.prefix == 48);
  CHECK(r.network.interface == "eth7");
  CHECK(r.directories.size() == 2);
  CHECK(r.directories[1].mode == 0755u);
}

TEST_CASE("an include that is a FIFO, a device or a huge file is refused at its line, unread") {
  test::TempDir dir;
  REQUIRE(::mkfifo((dir / "fifo.yaml").c_str(), 0600) == 0);
  fs::create_symlink("/dev/zero", dir / "zero.yaml");
  {
    std::ofstream big(dir / "big.yaml");
    big << "# " << std::string(17 << 20, 'x') << "\n";
  }
  auto error_of = [&](const fs::path& recipe) {
    try {
      load_recipe(recipe, with_key(dir));
    } catch (const Error& e) {
      return e.line();
    }
    return std::string("no error");
  };
  for (const std::string name : {"fifo.yaml", "zero.yaml"}) {
    const fs::path top = dir.write("top.yaml", "hostname: b\ninclude:\n  - " + name + "\n");
    CHECK(error_of(top) == top.string() + ":3:5: included file " + (dir / name).string() + " is not a regular file");
  }
  const fs::path top = dir.write("top.yaml", "include: big.yaml\n");
  CHECK(error_of(top) ==
        top.string() + ":1:10: included file " + (dir / "big.yaml").string() + " is larger than 16 MiB");
  // The recipe itself is held to the same rule.
  CHECK(error_of(dir / "zero.yaml") == "recipe " + (dir / "zero.yaml").string() + " is not a regular file");
}

TEST_CASE("override files are applied last and --base-image keeps the pinned digest") {
  test::TempDir dir;
  auto override_file = dir.write("o.yaml", "base: {path: /local/base.qcow2, sha256: " + std::string(64, 'a') + "}\n");
  LoadOptions options = with_key(dir);
  options.overrides = {override_file};
  Recipe r = load_recipe(test::source_dir() / "recipes/node.yaml", options);
  CHECK(r.base.path == fs::path("/local/base.qcow2"));
  CHECK(r.base.sha256 == std::string(64, 'a'));

  LoadOptions local = with_key(dir);
  local.base_image = "/elsewhere/alpine.qcow2";
  Recipe pinned = load_recipe(test::source_dir() / "recipes/node.yaml", local);
  CHECK(pinned.base.path == fs::path("/elsewhere/alpine.qcow2"));
  CHECK(pinned.base.sha256 == "7029d40a567dcfeb9a2fff68e131f484cf03c263fd11505529d5906d8c79dbec");
}

TEST_CASE("the recipe digest changes with any file that went into it") {
  test::TempDir dir;
  auto options = with_key(dir);
  std::string before = load_recipe(test::source_dir() / "recipes/node.yaml", options).digest();
  dir.write("op.pub", test::operator_key + "\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA2nd second\n");
  std::string after = load_recipe(test::source_dir() / "recipes/node.yaml", options).digest();
  CHECK(before.size() == 64);
  CHECK(before != after);
}

TEST_CASE("an operator without any SSH key is refused, and private keys never pass") {
  test::TempDir dir;
  CHECK_THROWS_WITH(load_recipe(test::source_dir() / "recipes/node.yaml"),
                    doctest::Contains("operator 'warden' has no SSH public key"));
  LoadOptions options;
  options.extra_ssh_keys = {dir.write("id_ed25519", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n")};
  try {
    load_recipe(test::source_dir() / "recipes/node.yaml", options);
    FAIL("a private key was accepted");
  } catch (const Error& e) {
    CHECK(e.line() ==
          (dir / "id_ed25519").string() + ":1:1: this is a private key; only public keys may go into an image");
  }
}

TEST_CASE("an include cycle is reported instead of looping") {
  test::TempDir dir;
  dir.write("a.yaml", "include: b.yaml\n");
  auto b = dir.write("b.yaml", "include: a.yaml\n");
  CHECK_THROWS_WITH(load_recipe(b), doctest::Contains("include cycle"));
}

TEST_CASE("a secret given as an SSH key file is refused without quoting a byte of it") {
  test::TempDir dir;
  LoadOptions options;
  const std::string secret = "hunter2-database-password-9f8e7d6c5b4a";
  options.extra_ssh_keys = {dir.write("db.secret", secret + "\n")};
  try {
    load_recipe(test::source_dir() / "recipes/node.yaml", options);
    FAIL("a secret was accepted as a key");
  } catch (const Error& e) {
    CHECK(e.line() ==
          (dir / "db.secret").string() +
              ":1:1: this line is not an SSH public key (it must start with a key type such as ssh-ed25519)");
    CHECK(e.line().find("hunter2") == std::string::npos);
  }
}
