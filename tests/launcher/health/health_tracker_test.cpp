#include "launcher/health/health_tracker.hpp"

#include <doctest/doctest.h>

using namespace trustnet::launcher;

TEST_CASE(
    "phases move forward: reachable once anything answered, up once SSH and the service each answered, in any rounds") {
  HealthTracker t;
  CHECK(t.phase() == Phase::booting);
  t.record(ProbeKind::ssh, false);
  t.record(ProbeKind::service, false);
  CHECK(t.phase() == Phase::booting);
  t.record(ProbeKind::ping, true);
  CHECK(t.phase() == Phase::reachable);
  t.record(ProbeKind::service, true);  // the service first (Caddy before sshd)
  CHECK(t.phase() == Phase::reachable);
  t.record(ProbeKind::service, false);  // one miss does not send it back
  CHECK(t.phase() == Phase::reachable);
  t.record(ProbeKind::ssh, true);  // in a later round than the service's answer
  CHECK(t.phase() == Phase::up);
  CHECK(t.reached_up());
  t.record(ProbeKind::ssh, false);
  t.record(ProbeKind::service, false);
  CHECK(t.phase() == Phase::up);  // two misses in a row: not yet a loss
  CHECK(t.in_doubt(ProbeKind::service));
  CHECK_FALSE(t.in_doubt(ProbeKind::ping));
}

TEST_CASE("a kind that answered and then fails several probes in a row is lost: degraded until it answers again") {
  HealthTracker t(3);
  t.record(ProbeKind::ping, true);
  t.record(ProbeKind::ssh, true);
  t.record(ProbeKind::service, true);
  for (int i = 0; i < 2; ++i) t.record(ProbeKind::ssh, false);
  CHECK(t.phase() == Phase::up);
  t.record(ProbeKind::ssh, false);
  CHECK(t.lost(ProbeKind::ssh));
  CHECK(t.phase() == Phase::degraded);
  CHECK(t.reached_up());  // what was reached stays reached
  t.record(ProbeKind::ssh, true);
  CHECK_FALSE(t.lost(ProbeKind::ssh));
  CHECK(t.phase() == Phase::up);
}

TEST_CASE(
    "failures of a kind that never answered are not a loss, and ICMP may be filtered and the instance still be up") {
  HealthTracker t(2);
  for (int i = 0; i < 10; ++i) t.record(ProbeKind::ping, false);
  CHECK_FALSE(t.lost(ProbeKind::ping));
  CHECK_FALSE(t.in_doubt(ProbeKind::ping));
  CHECK(t.phase() == Phase::booting);
  t.record(ProbeKind::ssh, true);
  t.record(ProbeKind::service, true);
  CHECK(t.phase() == Phase::up);
  CHECK(t.probes(ProbeKind::ping) == 10);
}

TEST_CASE("what answered earlier in the QEMU's life is remembered: a later loss shows as degraded, not reachable") {
  HealthTracker t(1);
  t.remember_answered(ProbeKind::ssh);
  t.remember_answered(ProbeKind::service);
  CHECK(t.phase() == Phase::up);
  CHECK(t.probes(ProbeKind::ssh) == 0);
  t.record(ProbeKind::service, false);
  CHECK(t.phase() == Phase::degraded);
  CHECK(phase_name(Phase::degraded) == "degraded");
  CHECK(phase_name(Phase::exited) == "exited");
}
