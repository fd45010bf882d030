#include "baker/plan/plan.hpp"

#include <doctest/doctest.h>

#include <fmt/format.h>
#include <algorithm>

#include <toml++/toml.h>
#include <nlohmann/json.hpp>

#include "baker/recipe/recipe_loader.hpp"
#include "support/temp_dir.hpp"
#include "support/test_paths.hpp"

using namespace trustnet;
using namespace trustnet::baker;

namespace {

Plan node_plan(const test::TempDir& dir) {
  LoadOptions options;
  options.extra_ssh_keys = {dir.write("op.pub", test::operator_key + "\n")};
  return make_plan(load_recipe(test::source_dir() / "recipes/node.yaml", options));
}

template <typename T>
std::vector<const T*> steps_of(const Plan& plan) {
  std::vector<const T*> found;
  for (const auto& step : plan.steps)
    if (const T* s = std::get_if<T>(&step)) found.push_back(s);
  return found;
}

size_t index_of(const Plan& plan, const std::string& text) {
  for (size_t i = 0; i < plan.steps.size(); ++i)
    if (describe(plan.steps[i]).find(text) != std::string::npos) return i;
  return plan.steps.size();
}

}  // namespace

TEST_CASE("the node plan removes instance secrets first and updates accounts before using owner names") {
  test::TempDir dir;
  Plan plan = node_plan(dir);
  REQUIRE(plan.steps.size() > 10);
  // Before any edit: the programs the appliance's scripts run, which the base must have.
  REQUIRE(std::holds_alternative<RequirePrograms>(plan.steps[0]));
  const auto& programs = std::get<RequirePrograms>(plan.steps[0]).names;
  CHECK(std::find(programs.begin(), programs.end(), "mkfs.ext4") != programs.end());
  CHECK(std::find(programs.begin(), programs.end(), "ssh-keygen") != programs.end());
  CHECK(describe(plan.steps[0]).starts_with("require   mkfs.ext4 e2fsck blkid"));
  CHECK(std::get<RemoveFiles>(plan.steps[1]).pattern == "/etc/ssh/ssh_host_*");
  CHECK(std::get<EmptyFile>(plan.steps[2]).path == "/etc/machine-id");
  CHECK(std::holds_alternative<DisableCloudInit>(plan.steps[3]));
  REQUIRE(std::holds_alternative<UpdateAccounts>(plan.steps[4]));
  CHECK(std::get<UpdateAccounts>(plan.steps[4]).remove == std::vector<std::string>{"alpine"});
  CHECK(describe(plan.steps[3]) == "cloud-init off  (remove its runlevel links, write /etc/cloud/cloud-init.disabled)");
  CHECK(describe(plan.steps[4]).find("remove alpine (with its home and group memberships);") != std::string::npos);
  CHECK(index_of(plan, "/opt/trustnet/node/data") > 3);
  CHECK(index_of(plan, "/etc/init.d/tendermint") < index_of(plan, "/etc/runlevels/default/tendermint"));
}

TEST_CASE("cloud-init stays as the base has it, and no user is removed, when a recipe says so") {
  test::TempDir dir;
  const auto recipe = dir.write("r.yaml", fmt::format("include: {}\ncloud_init: kept\nremove_users: []\n",
                                                      (test::source_dir() / "recipes/node.yaml").string()));
  LoadOptions options;
  options.extra_ssh_keys = {dir.write("op.pub", test::operator_key + "\n")};
  const Plan plan = make_plan(load_recipe(recipe, options));
  CHECK(steps_of<DisableCloudInit>(plan).empty());
  // Lists of names accumulate over the layers: the include's alpine is still removed.
  CHECK(steps_of<UpdateAccounts>(plan)[0]->remove == std::vector<std::string>{"alpine"});
}

TEST_CASE("the node plan writes the operator's keys with strict modes and enables the service") {
  test::TempDir dir;
  Plan plan = node_plan(dir);
  bool keys = false, ssh_dir = false;
  for (const auto* w : steps_of<WriteFile>(plan))
    if (w->path == "/home/warden/.ssh/authorized_keys") {
      keys = true;
      CHECK(w->mode == 0600u);
      CHECK(w->owner.user == "warden");
      CHECK(w->content == test::operator_key + "\n");
    }
  for (const auto* d : steps_of<MakeDirectory>(plan))
    if (d->path == "/home/warden/.ssh") {
      ssh_dir = true;
      CHECK(d->mode == 0700u);
    }
  CHECK(keys);
  CHECK(ssh_dir);
  auto links = steps_of<MakeSymlink>(plan);
  REQUIRE(links.size() == 1);
  CHECK(links[0]->link == "/etc/runlevels/default/tendermint");
  CHECK(links[0]->target == "/etc/init.d/tendermint");
  auto installs = steps_of<InstallFile>(plan);
  REQUIRE(installs.size() == 1);
  CHECK(installs[0]->path == "/usr/local/bin/tendermint");
  CHECK(installs[0]->source.empty());  // a URL input: resolved from the cache when baking
}

TEST_CASE("a plan never writes private key material") {
  test::TempDir dir;
  Plan plan = node_plan(dir);
  for (const auto* w : steps_of<WriteFile>(plan)) {
    CHECK(w->content.find("PRIVATE KEY") == std::string::npos);
    CHECK(w->path.find("ssh_host_") == std::string::npos);
  }
}

TEST_CASE("the same recipe gives the same plan, and the JSON form holds every step") {
  test::TempDir dir;
  Plan a = node_plan(dir), b = node_plan(dir);
  CHECK(plan_to_json(a) == plan_to_json(b));
  auto doc = nlohmann::json::parse(plan_to_json(a));
  CHECK(doc["name"] == "node");
  CHECK(doc["steps"].size() == a.steps.size());
  CHECK(doc["steps"][0]["op"] == "require-programs");
  CHECK(doc["steps"][1]["op"] == "remove");
  CHECK(doc["base"]["sha256"] == a.base.sha256);
  std::string human = format_plan(a);
  CHECK(human.find("plan for node") == 0);
  CHECK(human.find("50G") != std::string::npos);
}

TEST_CASE("the node plan writes CometBFT's config.toml for warden after the node's folders, and no key of the node") {
  test::TempDir dir;
  Plan plan = node_plan(dir);
  const WriteFile* config = nullptr;
  for (const auto* write : steps_of<WriteFile>(plan))
    if (write->path == "/opt/trustnet/node/config/config.toml") config = write;
  REQUIRE(config != nullptr);
  CHECK(config->mode == 0640);
  CHECK(config->owner.user == "warden");
  toml::table parsed = toml::parse(config->content);
  CHECK(parsed["moniker"].value<std::string>() == "trustnet-node");  // the hostname, as the recipe names no moniker
  CHECK(parsed["proxy_app"].value<std::string>() == "kvstore");
  CHECK(parsed["consensus"]["timeout_commit"].value<std::string>() == "500ms");
  CHECK(index_of(plan, "/opt/trustnet/node/config ") < index_of(plan, "/opt/trustnet/node/config/config.toml"));
  for (const auto* write : steps_of<WriteFile>(plan)) {
    CHECK(write->path.find("priv_validator_key.json") == std::string::npos);
    CHECK(write->path.find("node_key.json") == std::string::npos);
    CHECK(write->path.find("genesis.json") == std::string::npos);
  }
}

TEST_CASE("the node's chain folder is listed as state, and every service waits for the state folders") {
  test::TempDir dir;
  Plan plan = node_plan(dir);
  const WriteFile* list = nullptr;
  for (const auto* write : steps_of<WriteFile>(plan))
    if (write->path == "/etc/trustnet/state-folders") list = write;
  REQUIRE(list != nullptr);
  CHECK(list->mode == 0644);
  CHECK(list->content.ends_with("\n0700 warden warden /opt/trustnet/node/data\n"));
  // After the folder itself, whose owner and mode the list repeats.
  CHECK(index_of(plan, "/opt/trustnet/node/data ") < index_of(plan, "/etc/trustnet/state-folders"));
  for (const auto* write : steps_of<WriteFile>(plan))
    if (write->path == "/etc/init.d/tendermint")
      CHECK(write->content.find("\tneed net trustnet-firstboot trustnet-state\n") != std::string::npos);
}

TEST_CASE("a recipe without state folders writes no list and adds no dependency") {
  test::TempDir dir;
  const auto recipe =
      dir.write("r.yaml", fmt::format("include: {}\nstate: []\n", (test::source_dir() / "recipes/node.yaml").string()));
  LoadOptions options;
  options.extra_ssh_keys = {dir.write("op.pub", test::operator_key + "\n")};
  // An include's list is merged, so an empty one changes nothing: this recipe keeps the node's.
  CHECK(load_recipe(recipe, options).state.size() == 1);
  const auto bare = dir.write(
      "bare.yaml", "name: bare\nhostname: bare\nbase: {path: /nonexistent.qcow2, sha256: " + std::string(64, '0') +
                       "}\ndisk_size: 1G\noperator: op\nusers: {op: {uid: 1000}}\n"
                       "network: {address: 'fd10:1234::9', prefix: 32}\n"
                       "services: {app: {description: app, command: /bin/true}}\n");
  const Plan plan = make_plan(load_recipe(bare, options));
  CHECK(index_of(plan, "state-folders") == plan.steps.size());
  for (const auto* write : steps_of<WriteFile>(plan)) CHECK(write->content.find("trustnet-state") == std::string::npos);
}

TEST_CASE(
    "an ACME registry's plan writes its CA root and a Caddyfile that trusts it, with Caddy's data on the state "
    "disk") {
  test::TempDir dir;
  LoadOptions options;
  options.extra_ssh_keys = {dir.write("op.pub", test::operator_key + "\n")};
  const std::string root = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
  dir.write("pki/acme-root.pem", root);
  const auto recipe = [&](const std::string& acme) {
    return dir.write("registry.yaml", fmt::format("include: {}\nregistry:\n  names: [registry.example.org]\n  tls: "
                                                  "acme\n  acme:\n    email: ops@example.org\n{}",
                                                  (test::source_dir() / "recipes/registry.yaml").string(), acme));
  };
  Recipe r = load_recipe(recipe("    directory: https://acme.example.org/dir\n    root: pki/acme-root.pem\n"), options);
  Plan plan = make_plan(r);
  const WriteFile *written_root = nullptr, *caddyfile = nullptr;
  for (const auto* write : steps_of<WriteFile>(plan)) {
    if (write->path == "/etc/trustnet-registry/acme-root.pem") written_root = write;
    if (write->path == "/etc/trustnet-registry/Caddyfile") caddyfile = write;
  }
  REQUIRE(written_root != nullptr);
  CHECK(written_root->content == root);
  REQUIRE(caddyfile != nullptr);
  CHECK(caddyfile->content.find("\t\t\tdir https://acme.example.org/dir\n") != std::string::npos);
  CHECK(caddyfile->content.find("\t\t\ttrusted_roots /etc/trustnet-registry/acme-root.pem\n") != std::string::npos);
  // The state folder holds Caddy's account and certificates: an upgrade keeps them.
  CHECK(caddyfile->content.find("\t\troot /var/lib/trustnet-registry/caddy\n") != std::string::npos);
  CHECK(std::any_of(r.state.begin(), r.state.end(),
                    [](const DirectorySpec& d) { return d.path == "/var/lib/trustnet-registry"; }));
  // The root is one of the recipe's sources: a new root is a new recipe digest.
  CHECK(std::any_of(r.sources.begin(), r.sources.end(),
                    [](const RecipeSource& s) { return s.file.filename() == "acme-root.pem"; }));

  // Let's Encrypt by default: no root written, no trusted_roots.
  Plan lets_encrypt = make_plan(load_recipe(recipe(""), options));
  for (const auto* write : steps_of<WriteFile>(lets_encrypt)) {
    CHECK(write->path != "/etc/trustnet-registry/acme-root.pem");
    if (write->path == "/etc/trustnet-registry/Caddyfile") {
      CHECK(write->content.find(fmt::format("\t\t\tdir {}\n", AcmeSpec::lets_encrypt)) != std::string::npos);
      CHECK(write->content.find("trusted_roots") == std::string::npos);
    }
  }

  // A key where the root should be is refused, and never read into the plan.
  dir.write("pki/key.pem", "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n");
  CHECK_THROWS_WITH_AS(load_recipe(recipe("    root: pki/key.pem\n"), options),
                       doctest::Contains("registry.acme.root holds a private key"), Error);
  CHECK_THROWS_WITH_AS(load_recipe(recipe("    root: pki/missing.pem\n"), options),
                       doctest::Contains("is not a regular file"), Error);
}
