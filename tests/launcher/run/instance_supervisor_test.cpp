// `launch run NAME` driven through a fake host (support/fake_instance_host.hpp): what the service
// manager hears (READY, STATUS, WATCHDOG, STOPPING) and when, how each run ends (stopped, a QEMU
// killed or exited, a guest panic, a hang, never up) and what the supervision record then says.
// The unit under systemd and a real guest are the real-host test's.
#include "launcher/run/instance_supervisor.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <signal.h>

#include <functional>

#include "common/util/atomic_file.hpp"
#include "common/util/file_lock.hpp"
#include "common/util/process.hpp"
#include "launcher/instance/stop_request.hpp"
#include "launcher/instance/supervision_record.hpp"
#include "support/checkout_config.hpp"
#include "support/fake_instance_host.hpp"
#include "support/run_user.hpp"
#include "support/temp_dir.hpp"

using namespace trustnet;
using namespace trustnet::launcher;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// What the service manager heard, at what time of the fake clock; `hook` may ask for a stop.
struct HeardNotifier final : ServiceNotifier {
  explicit HeardNotifier(test::FakeInstanceHost& host) : host(host) {}
  bool notify(const std::string& message) override {
    heard.push_back({host.elapsed(), message});
    if (hook) hook(*this);
    return true;
  }
  size_t count(const std::string& prefix) const {
    return std::count_if(heard.begin(), heard.end(), [&](const auto& m) { return m.second.starts_with(prefix); });
  }
  std::chrono::milliseconds last(const std::string& prefix) const {
    std::chrono::milliseconds at{-1};
    for (const auto& m : heard)
      if (m.second.starts_with(prefix)) at = m.first;
    return at;
  }
  test::FakeInstanceHost& host;
  std::vector<std::pair<std::chrono::milliseconds, std::string>> heard;
  std::function<void(HeardNotifier&)> hook;
};

struct Supervised {
  test::TempDir dir;
  LaunchConfig config = test::initialised_checkout(dir);
  test::FakeInstanceHost host{config};
  HeardNotifier notifier{host};
  std::atomic<bool> stop{false};
  RunOptions options;

  Supervised() {
    options.launch.quiet = true;
    options.watchdog = 30s;
  }
  const InstanceConfig& node() const { return config.instances.front(); }
  RunEnd run() { return supervise_instance(host, notifier, config, node(), options, stop); }
  SupervisionRecord record() const {
    return read_supervision_record(InstancePaths::in(config.state_dir, "node")).value();
  }
  // A stop once the watchdog has been fed `pings` times.
  void stop_after_pings(size_t pings) {
    notifier.hook = [this, pings](HeardNotifier& n) {
      if (n.count("WATCHDOG=1") >= pings) stop = true;
    };
  }
};

}  // namespace

TEST_CASE("launch run says READY once the instance is up, feeds the watchdog while it answers, and stops by ACPI") {
  Supervised s;
  s.host.boots("node", {{.answers_after = 40s, .height = 5}});
  s.stop_after_pings(4);
  const RunEnd end = s.run();
  CHECK_FALSE(end.failed);
  CHECK(end.reason == "stopped: powered off in 3.0 s");
  REQUIRE(s.notifier.count("READY=1") == 1);
  const auto& ready = *std::find_if(s.notifier.heard.begin(), s.notifier.heard.end(),
                                    [](const auto& m) { return m.second.starts_with("READY=1"); });
  CHECK(ready.first >= 40s);  // not before both SSH and the RPC answered
  CHECK(ready.second.starts_with("READY=1\nSTATUS=up: ping,ssh,rpc; height "));
  CHECK(s.notifier.last("WATCHDOG=1") > ready.first);
  CHECK(s.notifier.heard.back().second == "STOPPING=1");
  CHECK(s.host.events().back().starts_with("stop node: powered off"));
  const SupervisionRecord record = s.record();
  CHECK_FALSE(record.running);
  CHECK(record.restarts == 0);
  CHECK(record.last_failure.empty());
}

TEST_CASE("launch run fails when QEMU dies, says why, and the next run counts a restart") {
  Supervised s;
  SUBCASE("killed") {
    s.host.boots("node", {{.exits_after = 120s, .exit_status = SIGKILL}, {}});
    const RunEnd end = s.run();
    CHECK(end.failed);
    CHECK(end.reason == "QEMU was killed by signal 9 (Killed)");
  }
  SUBCASE("a guest panic through pvpanic") {
    s.host.boots("node", {{.exits_after = 120s,
                           .exit_status = 1 << 8,
                           .console = "[  99.1] Kernel panic - not syncing: Fatal exception\n"},
                          {}});
    const RunEnd end = s.run();
    CHECK(end.failed);
    CHECK(end.reason == "the guest panicked (Kernel panic - not syncing: Fatal exception); QEMU exited with status 1");
  }
  SupervisionRecord failed = s.record();
  CHECK_FALSE(failed.running);
  CHECK(failed.restarts == 0);
  CHECK_FALSE(failed.last_failure.empty());
  const std::string reason = failed.last_failure;

  // The manager starts it again: a restart, with the reason kept until a clean stop.
  s.stop_after_pings(2);
  CHECK_FALSE(s.run().failed);
  // A clean stop: the next start is no restart.
  const SupervisionRecord after = s.record();
  CHECK(after.restarts == 0);
  CHECK(after.last_failure.empty());
}

TEST_CASE("launch run counts each restart after a failure and keeps the last reason while it runs") {
  Supervised s;
  s.host.boots("node",
               {{.exits_after = 100s, .exit_status = SIGKILL}, {.exits_after = 100s, .exit_status = SIGSEGV}, {}});
  CHECK(s.run().failed);
  CHECK(s.run().failed);
  // The third run: restart 2, up, the record says so while it runs.
  const size_t ready_before = s.notifier.count("READY=1");
  s.notifier.hook = [&](HeardNotifier& n) {
    if (n.count("READY=1") == ready_before + 1 && !s.stop) {
      const SupervisionRecord running = s.record();
      CHECK(running.running);
      CHECK(running.restarts == 2);
      CHECK(running.last_failure == "QEMU was killed by signal 11 (Segmentation fault)");
      CHECK(running.up_since > 0);
      // What `launch status` shows of it, in the table and in JSON.
      const auto rows = instance_status(s.host, s.config, {s.node()});
      REQUIRE(rows.front().supervision);
      CHECK(rows.front().supervision->restarts == 2);
      const std::string table = render_status_table(rows);
      CHECK(table.find("RESTARTS") != std::string::npos);
      CHECK(table.find("2 (last: QEMU was killed by signal 11 (Segmentation fault), 20") != std::string::npos);
      const auto json = status_json(rows)[0]["supervision"];
      CHECK(json["restarts"] == 2);
      CHECK(json["last_failure"] == "QEMU was killed by signal 11 (Segmentation fault)");
      CHECK(json["up_since"].get<std::string>().ends_with("Z"));
      s.stop = true;
    }
  };
  CHECK_FALSE(s.run().failed);
}

TEST_CASE("launch run ends a guest that stops answering, after it was up, and stops feeding the watchdog") {
  Supervised s;
  s.host.boots("node", {{.answers_after = 20s, .hangs_after = 200s}});
  const RunEnd end = s.run();
  CHECK(end.failed);
  CHECK(end.reason == "the guest stopped answering (ssh and rpc silent for 90 s): ended as hung");
  // Not fed once a probe found it silent (SSH is checked every 10 s while it answers).
  CHECK(s.notifier.last("WATCHDOG=1") < 211s);
  CHECK(s.host.elapsed() >= 200s + 80s);
  CHECK(s.host.elapsed() < 200s + 100s);
  CHECK(s.host.events().back().starts_with("stop node: "));
}

TEST_CASE("launch run takes the power-down of a launch stop (a unit's ExecStop) for a stop, not for a hang") {
  Supervised s;
  // Up at 20 s; `launch stop` asks at READY; the guest falls silent at once and powers off 190 s
  // later, longer than hang_after: still the stop's, and a clean end.
  s.host.boots("node", {{.exits_after = 210s, .answers_after = 20s, .hangs_after = 21s, .exit_status = 0}});
  const InstancePaths paths = InstancePaths::in(s.config.state_dir, "node");
  std::optional<StopRequest> request;
  s.notifier.hook = [&](HeardNotifier& n) {
    if (!request && n.count("READY=1") == 1) request.emplace(paths);
  };
  const RunEnd end = s.run();
  CHECK_FALSE(end.failed);
  CHECK(end.reason ==
        "stopped by launch stop: QEMU ended cleanly: the guest powered off (`launch stop`, or from inside)");
  CHECK(s.notifier.count("STOPPING=1") == 1);
  CHECK(s.record().restarts == 0);
  request.reset();
  CHECK_FALSE(stop_requested(paths));

  SUBCASE("a request a killed stop left is cleared when the next run begins") {
    Supervised again;
    again.host.boots("node", {{.answers_after = 20s, .hangs_after = 200s}});
    const InstancePaths others = InstancePaths::in(again.config.state_dir, "node");
    write_file_atomically(others.stop_request, "launch stop (pid 1)\n", fs::perms(0600));
    const RunEnd hung = again.run();
    CHECK(hung.failed);
    CHECK(hung.reason == "the guest stopped answering (ssh and rpc silent for 90 s): ended as hung");
  }
}

TEST_CASE("launch run does not restart a node whose chain halts while its RPC answers: liveness, not progress") {
  Supervised s;
  s.host.boots("node", {{.answers_after = 20s, .height = 10, .chain_halts_after = 40s}});
  s.stop_after_pings(40);  // twenty minutes of fake time, a chain standing still from the 40th second
  const RunEnd end = s.run();
  CHECK_FALSE(end.failed);
  CHECK(end.reason.starts_with("stopped: "));
  CHECK(s.host.elapsed() >= 10min);
  // The status line said the chain stalled.
  CHECK(std::any_of(s.notifier.heard.begin(), s.notifier.heard.end(),
                    [](const auto& m) { return m.second.find("stalled") != std::string::npos; }));
}

TEST_CASE("launch run: a guest that powers itself off ends cleanly, one never up or never started fails") {
  Supervised s;
  SUBCASE("powered off from inside") {
    s.host.boots("node", {{.exits_after = 100s, .exit_status = 0}});
    const RunEnd end = s.run();
    CHECK_FALSE(end.failed);
    CHECK(end.reason == "QEMU ended cleanly: the guest powered off (`launch stop`, or from inside)");
  }
  SUBCASE("never up") {
    s.options.launch.timeout = 120s;
    s.host.boots("node", {{.answers_after = std::nullopt, .console = " * ERROR: cometbft failed to start\n"}});
    const RunEnd end = s.run();
    CHECK(end.failed);
    CHECK(end.reason == "not up within 120 s (its console: ERROR: cometbft failed to start)");
    CHECK(s.notifier.count("READY=1") == 0);
    CHECK_FALSE(s.host.running("node"));
  }
  SUBCASE("never started") {
    s.host.boots("node", {{.refuses_start = true}});
    const RunEnd end = s.run();
    CHECK(end.failed);
    CHECK(end.reason == "it did not start: node: QEMU did not start: it exited without a word");
    CHECK(s.record().last_failure == end.reason);
  }
}

TEST_CASE("launch run is refused while another run of the instance holds it, before it starts anything") {
  test::TempDir dir;
  const fs::path config = test::checkout_config_in(dir);
  REQUIRE(run_process({TRUSTNET_LAUNCH_BINARY, "init", "--config", config.string()}).exit_status == 0);
  auto held = FileLock::try_acquire(dir / "vms/node/run.lock", "launch run node");
  REQUIRE(held);
  test::give_to_run_user(dir / "vms/node/run.lock");  // as a run of the run user would have made it
  ProcessResult refused = run_process({TRUSTNET_LAUNCH_BINARY, "run", "node", "--config", config.string()});
  CHECK(refused.exit_status == 1);
  CHECK(refused.err == fmt::format("launch: {} is busy: launch run node (pid {}) is running; wait for it to finish\n",
                                   (dir / "vms/node").string(), ::getpid()));
  CHECK_FALSE(fs::exists(dir / "vms/node/disk.qcow2"));
  CHECK_FALSE(fs::exists(dir / "vms/node/supervision.json"));
}
