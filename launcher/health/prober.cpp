#include "launcher/health/prober.hpp"

namespace trustnet::launcher {
using namespace std::chrono;

ProbeTargets probe_targets(const InstanceConfig& instance, const std::filesystem::path& ca_file) {
  const std::string& address = instance.identity.address;
  return {address,
          22,
          service_url(instance.identity.role, address),
          ca_file,
          service_probe_name(instance.identity.role),
          peers_url(instance.identity.role, address)};
}

namespace {

class NetworkProber final : public Prober {
 public:
  // The targets are copied into each probe: a probe may outlive the call that started it.
  std::future<ProbeOutcome> start(ProbeKind kind, const ProbeTargets& targets, milliseconds patience,
                                  const std::atomic<bool>& cancel) override {
    switch (kind) {
      case ProbeKind::ping:
        return std::async(std::launch::async, [targets, patience, &cancel] {
          return ProbeOutcome{ping6(targets.address, patience, cancel), false};
        });
      case ProbeKind::ssh:
        return std::async(std::launch::async, [targets, patience, &cancel] {
          return ssh_greeting(targets.address, targets.ssh_port, patience, cancel).outcome;
        });
      case ProbeKind::service:
        return std::async(std::launch::async, [targets, patience, &cancel] {
          // Without the CA (no `launch init` yet) nothing can be verified: no connection is made.
          if (!std::filesystem::exists(targets.ca_file)) return ProbeOutcome{};
          ProbeOutcome outcome = https_get(targets.service_url, targets.ca_file, patience, cancel);
          if (outcome.answered && !targets.peers_url.empty()) {
            outcome.node = parse_node_status(outcome.body);
            if (outcome.node)
              outcome.node->peers =
                  parse_peer_count(https_get(targets.peers_url, targets.ca_file, patience, cancel).body);
          }
          return outcome;
        });
    }
    return {};
  }
};

}  // namespace

Prober& network_prober() {
  static NetworkProber prober;
  return prober;
}

}  // namespace trustnet::launcher
