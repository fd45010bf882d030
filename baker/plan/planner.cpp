#include <fmt/format.h>

#include "baker/plan/plan.hpp"
#include "baker/render/caddyfile.hpp"
#include "baker/render/network.hpp"
#include "baker/render/openrc.hpp"
#include "baker/render/registry_config.hpp"
#include "baker/render/sshd.hpp"
#include "baker/render/state_folders.hpp"
#include "common/config/cometbft_config.hpp"

namespace trustnet::baker {
namespace {

Owner owned_by(const std::string& user) { return Owner{user, user}; }

void add_instance_secret_removal(std::vector<Step>& steps) {
  steps.push_back(RemoveFiles{"/etc/ssh/ssh_host_*", "SSH host keys are made per instance"});
  steps.push_back(EmptyFile{"/etc/machine-id"});
}

void add_user_files(std::vector<Step>& steps, const UserSpec& user) {
  steps.push_back(MakeDirectory{user.home_dir(), 0750, owned_by(user.name)});
  steps.push_back(MakeDirectory{user.home_dir() + "/.ssh", 0700, owned_by(user.name)});
  std::string keys;
  for (const auto& key : user.ssh_keys) keys += key + "\n";
  if (!keys.empty())
    steps.push_back(WriteFile{user.home_dir() + "/.ssh/authorized_keys", keys, 0600, owned_by(user.name)});
}

void add_service(std::vector<Step>& steps, const ServiceSpec& service, const std::string& recipe_name) {
  std::string script = "/etc/init.d/" + service.name;
  steps.push_back(WriteFile{script, render_openrc_script(service, recipe_name), 0755, {}});
  if (std::string conf = render_openrc_conf(service); !conf.empty())
    steps.push_back(WriteFile{"/etc/conf.d/" + service.name, conf, 0644, {}});
  steps.push_back(MakeSymlink{fmt::format("/etc/runlevels/{}/{}", service.runlevel, service.name), script});
}

}  // namespace

Plan make_plan(const Recipe& recipe) {
  Plan plan;
  plan.name = recipe.name;
  plan.hostname = recipe.hostname;
  plan.recipe_digest = recipe.digest();
  plan.base = recipe.base;
  plan.disk_size = recipe.disk_size;
  auto& steps = plan.steps;

  if (!recipe.programs.empty()) steps.push_back(RequirePrograms{recipe.programs});
  add_instance_secret_removal(steps);
  if (recipe.disable_cloud_init) steps.push_back(DisableCloudInit{});
  // Accounts first: every later owner name is resolved against the updated files.
  steps.push_back(UpdateAccounts{recipe.users, recipe.remove_users});
  steps.push_back(WriteFile{"/etc/hostname", render_hostname(recipe), 0644, {}});
  steps.push_back(WriteFile{"/etc/hosts", render_hosts(recipe), 0644, {}});
  steps.push_back(WriteFile{"/etc/network/interfaces", render_interfaces(recipe.network), 0644, {}});
  for (const auto& dir : recipe.directories) steps.push_back(MakeDirectory{dir.path, dir.mode, dir.owner});
  if (!recipe.state.empty())
    steps.push_back(WriteFile{state_folders_path, render_state_folders(recipe.state, recipe.name), 0644, {}});
  for (const auto& user : recipe.users) add_user_files(steps, user);
  if (const auto& node = recipe.cometbft) {
    CometbftConfig config;
    config.moniker = node->moniker;
    config.proxy_app = node->proxy_app;
    config.timeout_commit = node->timeout_commit;
    steps.push_back(
        WriteFile{node->home + "/config/config.toml", render_cometbft_config(config), 0640, owned_by(node->owner)});
  }
  steps.push_back(WriteFile{sshd_policy_path, render_sshd_policy(recipe.ssh), 0644, {}});
  steps.push_back(IncludeSshdDropins{});
  if (const auto& registry = recipe.registry) {
    // Readable by the registry's user only: it names where the credentials are.
    steps.push_back(
        WriteFile{registry->config, render_registry_config(*registry), 0640, Owner{"root", registry->owner}});
    steps.push_back(WriteFile{registry->caddyfile, render_caddyfile(*registry), 0644, {}});
    if (registry->tls == RegistrySpec::Tls::acme && !registry->acme.root_pem.empty())
      steps.push_back(WriteFile{registry->acme.root_path, registry->acme.root_pem, 0644, {}});
  }
  for (const auto& overlay : recipe.overlays)
    steps.push_back(UnpackOverlay{overlay.source, overlay.destination, overlay.owner, overlay.modes});
  for (const auto& binary : recipe.binaries) {
    std::filesystem::path source = binary.path ? *binary.path : std::filesystem::path();
    steps.push_back(InstallFile{binary.destination, source, binary.url, binary.sha256, binary.unpinned_reason,
                                binary.member, binary.mode, binary.owner, binary.name});
  }
  for (const auto& service : recipe.services) add_service(steps, service, recipe.name);
  return plan;
}

}  // namespace trustnet::baker
