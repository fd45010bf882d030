#pragma once
// `launch upgrade all|NAME`: each selected instance moved to the golden image its configuration
// names now (a new path, or a new release `launch pull` placed), one instance at a time, gated on
// health, with rollback. For each: the new image is verified (with the trusted key, as a release);
// the instance is stopped and its QEMU waited for until it is gone (never two signers); its system
// disk is set aside in NAME/previous/; a new overlay is made from the new image and started; the
// instance must be up and, for a node, caught up and committing past the height it had, within
// the timeout. Otherwise it is stopped, the old system disk is put back and started again, and
// the rollout stops with an Error naming the instance and what did not answer. The state disk
// (the chain, the registry's images) is the same throughout.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "launcher/config/launch_config.hpp"
#include "launcher/instance/golden_image.hpp"
#include "launcher/run/launch_instances.hpp"

namespace trustnet::launcher {

struct UpgradeOptions {
  LaunchOptions launch;  // acceleration, firmware, quiet; `timeout` is each instance's health gate
  std::chrono::seconds power_down_timeout{120};
};

// What an upgrade of one instance starts from: the image it runs and the one it is to run.
struct UpgradeChoice {
  std::string name;
  std::optional<GoldenRecord> running;  // the system disk's origin; none before its first start
  GoldenRecord next;                    // the configuration's image, verified
  bool current() const { return running && running->sha256 == next.sha256 && running->image == next.image; }
};

// Verifies each instance's configured image and says what it runs; an Error when one fails
// verification or has no identity (nothing is changed).
std::vector<UpgradeChoice> upgrade_choices(const LaunchConfig& config, const std::vector<InstanceConfig>& instances);

// The steps `launch upgrade --dry-run` prints: the same choices the upgrade acts on.
std::vector<std::string> upgrade_plan(const LaunchConfig& config, const std::vector<InstanceConfig>& instances,
                                      const std::vector<UpgradeChoice>& choices, const UpgradeOptions& options);

struct UpgradeOutcome {
  std::string name;
  std::string text;  // "upgraded from … to … in 71.2 s (up, height 120)", or "already runs …"
};

// Upgrades the instances in order. Throws at the first that fails its gate, after rolling it back.
std::vector<UpgradeOutcome> upgrade_instances(InstanceHost& host, const LaunchConfig& config,
                                              const std::vector<InstanceConfig>& instances,
                                              const std::vector<UpgradeChoice>& choices, const UpgradeOptions& options);

}  // namespace trustnet::launcher
