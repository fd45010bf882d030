#include "launcher/health/health_tracker.hpp"

#include <algorithm>

namespace trustnet::launcher {

void HealthTracker::record(ProbeKind kind, bool answered) {
  KindState& s = state(kind);
  ++s.probes;
  if (answered) {
    s.ever = true;
    s.failures_in_a_row = 0;
  } else {
    ++s.failures_in_a_row;
  }
}

bool HealthTracker::reached_reachable() const {
  return std::any_of(kProbeKinds.begin(), kProbeKinds.end(), [&](ProbeKind kind) { return ever_answered(kind); });
}

Phase HealthTracker::phase() const {
  if (std::any_of(kProbeKinds.begin(), kProbeKinds.end(), [&](ProbeKind kind) { return lost(kind); }))
    return Phase::degraded;
  if (reached_up()) return Phase::up;
  if (reached_reachable()) return Phase::reachable;
  return Phase::booting;
}

std::string phase_name(Phase phase) {
  switch (phase) {
    case Phase::stopped: return "stopped";
    case Phase::booting: return "booting";
    case Phase::reachable: return "reachable";
    case Phase::up: return "up";
    case Phase::degraded: return "degraded";
    case Phase::exited: return "exited";
  }
  return "?";
}

}  // namespace trustnet::launcher
