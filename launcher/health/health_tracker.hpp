#pragma once
// What an instance has answered since its QEMU started, and the phase that follows from it.
// Pure: probes report their outcomes here; nothing here waits or talks to the network.
//
// Phases only move forward while QEMU runs: `reachable` once anything answered, `up` once SSH
// and the role's service have each answered (not necessarily in the same round). A probe kind
// that answered and then failed `lost_after` times in a row is "lost": the instance is shown as
// `degraded` until it answers again.
#include <array>
#include <string>
#include <vector>

namespace trustnet::launcher {

enum class Phase {
  stopped,    // not running
  booting,    // QEMU runs, nothing has answered yet
  reachable,  // something answered (ping, SSH or the service), not yet both SSH and the service
  up,         // SSH and the role's service have both answered
  degraded,   // reachable or up, but something that answered has stopped answering
  exited,     // QEMU was running and is gone
};
std::string phase_name(Phase phase);

enum class ProbeKind { ping, ssh, service };
inline constexpr std::array<ProbeKind, 3> kProbeKinds{ProbeKind::ping, ProbeKind::ssh, ProbeKind::service};

class HealthTracker {
 public:
  explicit HealthTracker(int lost_after = 3) : lost_after_(lost_after) {}

  void record(ProbeKind kind, bool answered);
  // Carries over what answered earlier in this QEMU's life (from the launcher's record).
  void remember_answered(ProbeKind kind) { state(kind).ever = true; }

  bool ever_answered(ProbeKind kind) const { return state(kind).ever; }
  bool lost(ProbeKind kind) const { return state(kind).ever && state(kind).failures_in_a_row >= lost_after_; }
  // A kind that answered and whose latest probes failed, not yet often enough to call it lost.
  bool in_doubt(ProbeKind kind) const { return state(kind).ever && state(kind).failures_in_a_row > 0 && !lost(kind); }
  int probes(ProbeKind kind) const { return state(kind).probes; }
  bool reached_up() const { return ever_answered(ProbeKind::ssh) && ever_answered(ProbeKind::service); }
  bool reached_reachable() const;

  // The phase of a running instance (the caller knows whether a gone QEMU is stopped or exited).
  Phase phase() const;

 private:
  struct KindState {
    bool ever = false;
    int failures_in_a_row = 0;
    int probes = 0;
  };
  KindState& state(ProbeKind kind) { return kinds_[static_cast<size_t>(kind)]; }
  const KindState& state(ProbeKind kind) const { return kinds_[static_cast<size_t>(kind)]; }

  int lost_after_;
  std::array<KindState, 3> kinds_{};
};

}  // namespace trustnet::launcher
