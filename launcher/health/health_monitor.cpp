#include "launcher/health/health_monitor.hpp"

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

HealthMonitor::HealthMonitor(ProbeTargets targets, ProbePolicy policy)
    : targets_(std::move(targets)), policy_(policy), tracker_(policy.lost_after), progress_(policy.stall) {}

HealthMonitor::~HealthMonitor() {
  cancel_ = true;
  for (auto& s : slots_)
    if (s.running.valid()) s.running.wait();
}

std::future<ProbeOutcome> HealthMonitor::start(ProbeKind kind) {
  const milliseconds patience = policy_.patience;
  switch (kind) {
    case ProbeKind::ping:
      return std::async(std::launch::async, [this, patience] {
        return ProbeOutcome{ping6(targets_.address, patience, cancel_), false};
      });
    case ProbeKind::ssh:
      return std::async(std::launch::async, [this, patience] {
        return ssh_greeting(targets_.address, targets_.ssh_port, patience, cancel_).outcome;
      });
    case ProbeKind::service:
      return std::async(std::launch::async, [this, patience] {
        // Without the CA (no `launch init` yet) nothing can be verified: no connection is made.
        if (!std::filesystem::exists(targets_.ca_file)) return ProbeOutcome{};
        ProbeOutcome outcome = https_get(targets_.service_url, targets_.ca_file, patience, cancel_);
        if (outcome.answered && !targets_.peers_url.empty()) {
          outcome.node = parse_node_status(outcome.body);
          if (outcome.node)
            outcome.node->peers =
                parse_peer_count(https_get(targets_.peers_url, targets_.ca_file, patience, cancel_).body);
        }
        return outcome;
      });
  }
  return {};
}

bool HealthMonitor::poll() {
  bool arrived = false;
  const auto now = steady_clock::now();
  for (ProbeKind kind : kProbeKinds) {
    Slot& s = slot(kind);
    if (s.running.valid()) {
      if (s.running.wait_for(0s) != std::future_status::ready) continue;
      ProbeOutcome outcome = s.running.get();
      if (kind == ProbeKind::service && !targets_.peers_url.empty() && outcome.answered) {
        // A node answers with CometBFT's /status, and with a height that still grows.
        if (outcome.node) {
          progress_.record(outcome.node->height, now);
          node_status_ = outcome.node;
          stalled_ = progress_.stalled(now);
        }
        outcome.answered = outcome.node && !stalled_;
      }
      tracker_.record(kind, outcome.answered);
      ++s.counts.probes;
      s.counts.answered += outcome.answered;
      s.counts.connections += outcome.connected;
      arrived = true;
      // An answering kind is checked rarely; one that does not answer (or has just failed) is
      // tried again soon, so that a loss is confirmed or dismissed quickly.
      s.next_due = s.started + (outcome.answered ? policy_.recheck : policy_.retry);
    }
    if (!s.running.valid() && steady_clock::now() >= s.next_due) {
      s.started = now;
      s.running = start(kind);
    }
  }
  return arrived;
}

bool HealthMonitor::settled() const {
  for (ProbeKind kind : kProbeKinds)
    if (tracker_.probes(kind) == 0 || tracker_.in_doubt(kind)) return false;
  return true;
}

std::string HealthMonitor::name(ProbeKind kind) const {
  switch (kind) {
    case ProbeKind::ping: return "ping";
    case ProbeKind::ssh: return "ssh";
    case ProbeKind::service: return targets_.service_name;
  }
  return "?";
}

std::vector<std::string> HealthMonitor::answering() const {
  std::vector<std::string> names;
  for (ProbeKind kind : kProbeKinds)
    if (tracker_.ever_answered(kind) && !tracker_.lost(kind)) names.push_back(name(kind));
  return names;
}

std::vector<std::string> HealthMonitor::lost() const {
  std::vector<std::string> names;
  for (ProbeKind kind : kProbeKinds)
    if (tracker_.lost(kind)) names.push_back(name(kind));
  return names;
}

}  // namespace trustnet::launcher
