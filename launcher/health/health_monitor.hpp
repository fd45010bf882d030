#pragma once
// Watches one instance without flooding it: at most one probe of each kind in flight, each
// waiting up to its patience for an answer instead of being abandoned and replaced. A kind that
// has not answered yet is tried again a second after its last try; one that answers is checked
// again only every ten seconds. Outcomes go to a HealthTracker, which gives the phase. A node's
// RPC counts as answering only with CometBFT's /status, and not once its height has stood still
// for a minute: a node that answers but makes no blocks is `degraded`.
#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <optional>
#include <string>
#include <vector>

#include "common/util/clock.hpp"
#include "launcher/config/launch_config.hpp"
#include "launcher/health/health_probe.hpp"
#include "launcher/health/health_tracker.hpp"
#include "launcher/health/prober.hpp"

namespace trustnet::launcher {

struct ProbePolicy {
  std::chrono::milliseconds patience{10000};  // how long one probe waits for its answer
  std::chrono::milliseconds retry{1000};      // from one try to the next while a kind does not answer
  std::chrono::milliseconds recheck{10000};   // from one check to the next while a kind answers
  int lost_after = 3;                         // failures in a row before an answering kind is lost
  std::chrono::seconds stall{60};             // a node whose height has not grown this long does not answer
};

struct ProbeCounts {
  int probes = 0;  // finished probes
  int answered = 0;
  int connections = 0;  // TCP connections established (SSH and the service)
};

class HealthMonitor {
 public:
  // Probes go through `prober`, and their schedule is kept on `clock`: the network and the
  // machine's time, or a test's.
  HealthMonitor(ProbeTargets targets, ProbePolicy policy, Prober& prober, Clock& clock);
  explicit HealthMonitor(ProbeTargets targets, ProbePolicy policy = {})
      : HealthMonitor(std::move(targets), policy, network_prober(), steady_time()) {}
  HealthMonitor(const HealthMonitor&) = delete;
  HealthMonitor& operator=(const HealthMonitor&) = delete;
  ~HealthMonitor();  // cancels the probes in flight and waits for them to return

  // Collects the probes that finished and starts those that are due; never blocks. Returns
  // whether any outcome arrived.
  bool poll();
  // Every kind has been probed, and none that answered before is in doubt (failed, but not yet
  // `lost_after` times in a row): what `launch status` waits for.
  bool settled() const;

  HealthTracker& tracker() { return tracker_; }
  const HealthTracker& tracker() const { return tracker_; }
  const ProbeCounts& counts(ProbeKind kind) const { return slot(kind).counts; }
  std::string name(ProbeKind kind) const;
  // Kinds that answered and are not lost, and kinds that are lost: "ping", "ssh", "rpc"/"health".
  std::vector<std::string> answering() const;
  std::vector<std::string> lost() const;
  // A node's chain as its RPC last told it, and whether its height has stopped growing.
  const std::optional<NodeStatus>& node_status() const { return node_status_; }
  // The certificate the service presented when it last answered, and the days it must have left.
  const std::optional<CertificateFacts>& certificate() const { return certificate_; }
  int certificate_warn_days() const { return targets_.warn_days; }
  // When a probe of `kind` last got an answer, a node's RPC counted even while its height stands
  // still (liveness, not progress); nothing before the first.
  std::optional<std::chrono::steady_clock::time_point> last_answer(ProbeKind kind) const {
    return slot(kind).last_answer;
  }
  // Whether the latest finished probe of `kind` got an answer, counted as last_answer counts.
  bool answered_last(ProbeKind kind) const { return slot(kind).answered_last; }
  bool stalled() const { return stalled_; }

 private:
  struct Slot {
    std::future<ProbeOutcome> running;
    std::chrono::steady_clock::time_point started, next_due{};
    std::optional<std::chrono::steady_clock::time_point> last_answer;
    bool answered_last = false;
    ProbeCounts counts;
  };
  Slot& slot(ProbeKind kind) { return slots_[static_cast<size_t>(kind)]; }
  const Slot& slot(ProbeKind kind) const { return slots_[static_cast<size_t>(kind)]; }
  ProbeTargets targets_;
  ProbePolicy policy_;
  Prober& prober_;
  Clock& clock_;
  HealthTracker tracker_;
  std::atomic<bool> cancel_{false};
  std::array<Slot, 3> slots_;
  ChainProgress progress_;
  std::optional<NodeStatus> node_status_;
  std::optional<CertificateFacts> certificate_;
  bool stalled_ = false;
};

}  // namespace trustnet::launcher
