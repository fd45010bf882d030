#include "launcher/health/prober.hpp"

#include <fmt/format.h>

#include "common/config/appliance_contract.hpp"

namespace trustnet::launcher {
using namespace std::chrono;

ProbeTargets probe_targets(const InstanceConfig& instance, const std::filesystem::path& ca_file) {
  const std::string& address = instance.identity.address;
  ProbeTargets targets{address,
                       22,
                       service_url(instance.identity.role, address),
                       ca_file,
                       service_probe_name(instance.identity.role),
                       peers_url(instance.identity.role, address)};
  if (const auto& acme = instance.acme) {
    // What the registry really serves: its ACME certificate, for its public name, from a public
    // CA (or the configured root), reached at the instance's own address.
    const int port = appliance::registry::https_port;
    targets.service_url = fmt::format("https://{}:{}/health", acme->name, port);
    targets.resolve = fmt::format("{}:{}:[{}]", acme->name, port, address);
    targets.ca_file = acme->root;
    targets.system_roots = true;
    targets.warn_days = acme->warn_days;
  }
  return targets;
}

namespace {

ProbeOutcome run_ping(const ProbeTargets& targets, milliseconds patience, const std::atomic<bool>& cancel) {
  return ProbeOutcome{ping6(targets.address, patience, cancel), false};
}

ProbeOutcome run_ssh(const ProbeTargets& targets, milliseconds patience, const std::atomic<bool>& cancel) {
  return ssh_greeting(targets.address, targets.ssh_port, patience, cancel).outcome;
}

ProbeOutcome run_service(const ProbeTargets& targets, milliseconds patience, const std::atomic<bool>& cancel) {
  // Without the CA (no `launch init` yet) nothing can be verified: no connection is made.
  if (!targets.system_roots && !std::filesystem::exists(targets.ca_file)) return ProbeOutcome{};
  // An ACME certificate's issuer and expiry are shown; the TrustNet CA's are the launcher's own.
  const HttpsTrust trust{targets.ca_file, targets.system_roots, targets.resolve, targets.system_roots};
  ProbeOutcome outcome = https_get(targets.service_url, trust, patience, cancel);
  if (outcome.answered && !targets.peers_url.empty()) {
    outcome.node = parse_node_status(outcome.body);
    if (outcome.node)
      outcome.node->peers = parse_peer_count(https_get(targets.peers_url, targets.ca_file, patience, cancel).body);
  }
  return outcome;
}

// In the order of ProbeKind.
const std::array<ProbeKindInfo, kProbeKinds.size()> kProbeTable{{
    {ProbeKind::ping, "ping", [](const ProbeTargets&) { return std::string("ping"); }, false, run_ping},
    {ProbeKind::ssh, "ssh", [](const ProbeTargets&) { return std::string("ssh"); }, true, run_ssh},
    {ProbeKind::service, "service", [](const ProbeTargets& targets) { return targets.service_name; }, true,
     run_service},
}};

class NetworkProber final : public Prober {
 public:
  // The targets are copied into each probe: a probe may outlive the call that started it.
  std::future<ProbeOutcome> start(ProbeKind kind, const ProbeTargets& targets, milliseconds patience,
                                  const std::atomic<bool>& cancel) override {
    return std::async(std::launch::async, probe_kind(kind).run, targets, patience, std::cref(cancel));
  }
};

}  // namespace

const ProbeKindInfo& probe_kind(ProbeKind kind) { return kProbeTable[static_cast<size_t>(kind)]; }

Prober& network_prober() {
  static NetworkProber prober;
  return prober;
}

}  // namespace trustnet::launcher
