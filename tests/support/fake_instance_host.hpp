#pragma once
// A host for the launcher's orchestration that runs no QEMU and sends no packet: each instance's
// boots behave as the test says (QEMU refuses to start, exits, never answers, answers and then
// hangs, a node's chain at some height), on a clock that moves only when the orchestration
// waits. What the orchestration did is kept as events, each with whether the state folder's lock
// was held. Disks, identities and records stay real files in the test's state folder.
#include <fmt/format.h>
#include <signal.h>

#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/util/error.hpp"
#include "common/util/file_lock.hpp"
#include "launcher/run/instance_host.hpp"
#include "support/checkout_config.hpp"
#include "support/run_user.hpp"

namespace trustnet::test {

using namespace std::chrono_literals;

// One boot of a fake guest; durations count from its QEMU's start.
struct FakeBoot {
  bool refuses_start = false;                                    // QEMU does not start at all
  std::optional<std::chrono::milliseconds> exits_after;          // QEMU exits by itself
  std::optional<std::chrono::milliseconds> answers_after = 20s;  // ping, SSH and the service; never when empty
  std::optional<std::chrono::milliseconds> hangs_after;          // nothing answers from then on, QEMU still runs
  uint64_t height = 1;                                           // a node's height when it first answers; +1 a second
  std::optional<std::chrono::milliseconds> chain_halts_after;    // from then on the height stands still
  bool catching_up = false;
  bool ignores_power_down = false;  // a stop needs SIGTERM
  int exit_status = 0;              // the wait status QEMU ends with when it exits by itself
  std::string console;              // what the guest writes on its serial console
};

class FakeInstanceHost final : public launcher::InstanceHost, public launcher::Prober, public Clock {
 public:
  explicit FakeInstanceHost(const launcher::LaunchConfig& config) : state_dir_(config.state_dir) {
    for (const auto& instance : config.instances) by_address_[instance.identity.address] = instance.identity.name;
  }

  // The boots of instance `name`, in order; the last one repeats.
  void boots(const std::string& name, std::vector<FakeBoot> boots) {
    std::lock_guard lock(mutex_);
    guests_[name].boots = std::move(boots);
  }
  std::set<int> ports_taken;
  std::optional<std::string> network_missing;  // the Error require_network throws

  // "start node", "stop node: powered off", each with " (locked)" when the state folder's lock
  // was held at the time.
  std::vector<std::string> events() {
    std::lock_guard lock(mutex_);
    return events_;
  }
  bool running(const std::string& name) {
    std::lock_guard lock(mutex_);
    return alive(guests_[name]);
  }
  // The QEMU command of the instance's last start.
  std::vector<std::string> last_command(const std::string& name) {
    std::lock_guard lock(mutex_);
    return guests_[name].argv;
  }
  std::chrono::milliseconds elapsed() {
    std::lock_guard lock(mutex_);
    return offset_;
  }

  // InstanceHost
  launcher::HostFacts facts() override { return {"linux", "x86_64", false, ""}; }
  bool has_program(const std::string&) override { return true; }
  bool loopback_port_free(int port) override { return !ports_taken.contains(port); }
  void require_network(const launcher::LaunchConfig&, const std::vector<launcher::InstanceConfig>&) override {
    if (network_missing) throw Error(*network_missing);
  }
  // Every mode accepted: the preferred one.
  launcher::DiskIoChoice choose_disk_io(const std::string&, const std::filesystem::path& disk) override {
    if (!std::filesystem::exists(disk)) throw Error("no disk " + disk.string());
    return {launcher::disk_io_preference().front(), {}};
  }
  pid_t start_qemu(const std::string& name, const std::vector<std::string>& argv,
                   const launcher::InstancePaths& paths) override {
    std::lock_guard lock(mutex_);
    if (argv.empty() || argv[0] != "qemu-system-aarch64") throw Error("not a QEMU command");
    Guest& guest = guests_[name];
    const FakeBoot& boot = next_boot(guest);
    events_.push_back(with_lock("start " + name));
    guest.argv = argv;
    if (boot.refuses_start) throw Error(fmt::format("{}: QEMU did not start: it exited without a word", name));
    std::ofstream(paths.serial_log) << boot.console;
    guest.running = true;
    guest.pid = ++last_pid_;
    guest.started = offset_;
    return guest.pid;
  }
  launcher::StopOutcome stop_qemu(const launcher::InstancePaths& paths,
                                  std::chrono::milliseconds power_down_timeout) override {
    std::lock_guard lock(mutex_);
    const std::string name = name_of(paths);
    Guest& guest = guests_[name];
    launcher::StopOutcome outcome;
    if (alive(guest)) {
      outcome = guest.current().ignores_power_down
                    ? launcher::StopOutcome{launcher::StopOutcome::How::terminated,
                                            power_down_timeout.count() / 1000.0 + 1, "the guest did not power off"}
                    : launcher::StopOutcome{launcher::StopOutcome::How::powered_off, 3, ""};
      offset_ += std::chrono::milliseconds(static_cast<long>(outcome.seconds * 1000));
    }
    guest.running = false;
    guest.ended_status = outcome.how == launcher::StopOutcome::How::powered_off ? 0 : SIGTERM;
    events_.push_back(with_lock(fmt::format("stop {}: {}", name, launcher::describe(outcome))));
    return outcome;
  }
  launcher::Runtime runtime(const launcher::InstancePaths& paths) override {
    std::lock_guard lock(mutex_);
    const Guest& guest = guests_[name_of(paths)];
    if (alive(guest)) return {launcher::RunState::running, guest.pid, std::chrono::system_clock::now()};
    return {guest.running ? launcher::RunState::stale : launcher::RunState::stopped, 0, {}};
  }
  std::optional<int> reap(pid_t pid) override {
    std::lock_guard lock(mutex_);
    for (auto& [name, guest] : guests_)
      if (guest.pid == pid && guest.running && !alive(guest)) {
        guest.running = false;
        return guest.current().exit_status;
      }
    for (auto& [name, guest] : guests_)
      if (guest.pid == pid && !guest.running) return guest.ended_status;
    return std::nullopt;
  }
  void remove_runtime(const launcher::InstancePaths& paths) override {
    std::lock_guard lock(mutex_);
    guests_[name_of(paths)].running = false;
  }
  launcher::Prober& prober() override { return *this; }
  Clock& clock() override { return *this; }

  // Prober: the answer is known at once, from the guest's boot and the time.
  std::future<launcher::ProbeOutcome> start(launcher::ProbeKind kind, const launcher::ProbeTargets& targets,
                                            std::chrono::milliseconds, const std::atomic<bool>&) override {
    std::lock_guard lock(mutex_);
    launcher::ProbeOutcome outcome;
    const auto name = by_address_.find(targets.address);
    if (name != by_address_.end() && alive(guests_[name->second])) {
      const Guest& guest = guests_[name->second];
      const FakeBoot& boot = guest.current();
      const auto up_for = offset_ - guest.started;
      outcome.answered =
          boot.answers_after && up_for >= *boot.answers_after && (!boot.hangs_after || up_for < *boot.hangs_after);
      outcome.connected = outcome.answered && kind != launcher::ProbeKind::ping;
      if (outcome.answered && kind == launcher::ProbeKind::service && !targets.peers_url.empty()) {
        const auto growing_until = boot.chain_halts_after ? std::min(up_for, *boot.chain_halts_after) : up_for;
        const auto answering_for = std::chrono::duration_cast<std::chrono::seconds>(
            std::max(growing_until - *boot.answers_after, std::chrono::milliseconds(0)));
        outcome.node =
            launcher::NodeStatus{boot.height + static_cast<uint64_t>(answering_for.count()), boot.catching_up, 0};
      }
    }
    std::promise<launcher::ProbeOutcome> answer;
    answer.set_value(outcome);
    return answer.get_future();
  }

  // Clock: time moves only when the orchestration waits.
  std::chrono::steady_clock::time_point now() override {
    std::lock_guard lock(mutex_);
    return std::chrono::steady_clock::time_point{} + 1h + offset_;
  }
  void sleep_for(std::chrono::milliseconds duration) override {
    std::lock_guard lock(mutex_);
    offset_ += duration;
  }

 private:
  struct Guest {
    std::vector<FakeBoot> boots{FakeBoot{}};
    size_t started_boots = 0;
    bool running = false;
    pid_t pid = 0;
    std::chrono::milliseconds started{0};
    std::vector<std::string> argv;
    int ended_status = 0;  // the wait status a stop gave it
    const FakeBoot& current() const { return boots[std::min(started_boots, boots.size()) - 1]; }
  };
  const FakeBoot& next_boot(Guest& guest) {
    ++guest.started_boots;
    return guest.current();
  }
  bool alive(const Guest& guest) const {
    if (!guest.running) return false;
    const auto& exits = guest.current().exits_after;
    return !exits || offset_ - guest.started < *exits;
  }
  static std::string name_of(const launcher::InstancePaths& paths) {
    return paths.disk.parent_path().filename().string();
  }
  std::string with_lock(std::string event) const {
    const bool free = FileLock::try_acquire(state_dir_ / ".lock", "fake host").has_value();
    return free ? event : event + " (locked)";
  }

  std::filesystem::path state_dir_;
  std::map<std::string, std::string> by_address_;
  std::mutex mutex_;
  std::map<std::string, Guest> guests_;
  std::vector<std::string> events_;
  std::chrono::milliseconds offset_{0};
  pid_t last_pid_ = 40000;
};

// The checkout's configuration in `dir` after a real `launch init`, its state folder given to this
// process, which plays the run user when it drives the orchestration itself.
inline launcher::LaunchConfig initialised_checkout(const TempDir& dir) {
  const std::filesystem::path file = checkout_config_in(dir);
  const ProcessResult init = run_process({TRUSTNET_LAUNCH_BINARY, "init", "--config", file.string()});
  if (init.exit_status != 0) throw std::runtime_error("launch init failed: " + init.err);
  give_to(dir / "vms", ::getuid(), ::getgid());
  return launcher::load_launch_config(file);
}

}  // namespace trustnet::test
