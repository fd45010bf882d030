#pragma once
// How probes reach an instance. The monitor asks a Prober to start one probe and collects its
// outcome when it is ready; the network prober runs each probe on a thread of its own against
// the instance's address, and a test's prober answers as the test tells it.
#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <string>

#include "launcher/config/launch_config.hpp"
#include "launcher/health/health_probe.hpp"
#include "launcher/health/health_tracker.hpp"

namespace trustnet::launcher {

// Where one instance's probes go.
struct ProbeTargets {
  std::string address;  // ping and SSH
  int ssh_port = 22;
  std::string service_url;
  std::filesystem::path ca_file;
  std::string service_name = "health";  // "rpc" on a node
  std::string peers_url;                // a node's /net_info; empty for a registry
  // A registry with an ACME certificate: checked by its public name, with the system's roots.
  bool system_roots = false;
  std::string resolve;  // "NAME:PORT:[ADDRESS]"
  int warn_days = 0;    // fewer days left on the certificate than this: degraded
};
ProbeTargets probe_targets(const InstanceConfig& instance, const std::filesystem::path& ca_file);

// What the launcher knows of each kind of probe, in one place: its key in the health record, the
// name shown (the service's is the role's: "rpc" or "health"), whether it opens a TCP connection,
// and how it runs over the network.
struct ProbeKindInfo {
  ProbeKind kind;
  const char* key;
  std::string (*name)(const ProbeTargets& targets);
  bool connects;
  ProbeOutcome (*run)(const ProbeTargets& targets, std::chrono::milliseconds patience, const std::atomic<bool>& cancel);
};
const ProbeKindInfo& probe_kind(ProbeKind kind);

class Prober {
 public:
  virtual ~Prober() = default;
  // Starts one probe of `kind`, waiting up to `patience` for its answer; `cancel` (set by the
  // monitor going away) ends it early. A node's service probe carries its /status, parsed.
  virtual std::future<ProbeOutcome> start(ProbeKind kind, const ProbeTargets& targets,
                                          std::chrono::milliseconds patience, const std::atomic<bool>& cancel) = 0;
};

// Probes over the network (each kind's `run`), each on a thread of its own.
Prober& network_prober();

}  // namespace trustnet::launcher
