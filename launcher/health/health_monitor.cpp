#include "launcher/health/health_monitor.hpp"

namespace trustnet::launcher {
using namespace std::chrono;

HealthMonitor::HealthMonitor(ProbeTargets targets, ProbePolicy policy, Prober& prober, Clock& clock)
    : targets_(std::move(targets)),
      policy_(policy),
      prober_(prober),
      clock_(clock),
      tracker_(policy.lost_after),
      progress_(policy.stall) {}

HealthMonitor::~HealthMonitor() {
  cancel_ = true;
  for (auto& s : slots_)
    if (s.running.valid()) s.running.wait();
}

bool HealthMonitor::poll() {
  bool arrived = false;
  const auto now = clock_.now();
  for (ProbeKind kind : kProbeKinds) {
    Slot& s = slot(kind);
    if (s.running.valid()) {
      if (s.running.wait_for(0s) != std::future_status::ready) continue;
      ProbeOutcome outcome = s.running.get();
      if (outcome.answered) s.last_answer = now;
      if (kind == ProbeKind::service && outcome.answered && outcome.certificate) certificate_ = outcome.certificate;
      s.answered_last = outcome.answered;
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
    if (!s.running.valid() && now >= s.next_due) {
      s.started = now;
      s.running = prober_.start(kind, targets_, policy_.patience, cancel_);
    }
  }
  return arrived;
}

bool HealthMonitor::settled() const {
  for (ProbeKind kind : kProbeKinds)
    if (tracker_.probes(kind) == 0 || tracker_.in_doubt(kind)) return false;
  return true;
}

std::string HealthMonitor::name(ProbeKind kind) const { return probe_kind(kind).name(targets_); }

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
