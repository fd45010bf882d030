// A real, paused qemu-system-aarch64 (no guest code runs) in the launcher's sandbox: the detached
// start, QMP, and the stop sequence down to SIGTERM.
#include "launcher/qemu/qemu_process.hpp"

#include <doctest/doctest.h>

#include <fmt/format.h>
#include <unistd.h>

#include "common/util/error.hpp"
#include "common/util/text_file.hpp"
#include "launcher/instance/instance_runtime.hpp"
#include "launcher/qemu/qemu_command.hpp"
#include "launcher/qemu/qmp_client.hpp"
#include "support/temp_dir.hpp"

using namespace trustnet;
using namespace trustnet::launcher;
using namespace std::chrono_literals;

namespace {

// The launcher's own console and QMP options, in a state folder whose path holds a comma.
std::vector<std::string> paused_qemu(const InstancePaths& paths) {
  std::vector<std::string> argv{
      "qemu-system-aarch64", "-M", "virt", "-S", "-nodefaults", "-display", "none", "-m", "64M"};
  const auto console = console_and_qmp_options(paths);
  argv.insert(argv.end(), console.begin(), console.end());
  argv.insert(argv.end(), {"-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny",
                           "-pidfile", paths.pid_file.string()});
  return argv;
}

}  // namespace

TEST_CASE(
    "QEMU started by the launcher runs detached and sandboxed, answers QMP, and is stopped with SIGTERM when the "
    "guest ignores power-down") {
  test::TempDir dir;
  const InstancePaths paths = InstancePaths::in(dir / "vms,with,commas", "paused");
  std::filesystem::create_directories(paths.pid_file.parent_path());
  const pid_t pid = start_qemu("paused", paused_qemu(paths), paths);
  CHECK(pid > 0);
  const Runtime runtime = inspect_runtime(paths);
  CHECK(runtime.state == RunState::running);
  CHECK(runtime.pid == pid);
  // Not the launcher's child (it outlives it), and in QEMU's seccomp filter.
  const std::string status = read_text_file(std::filesystem::path("/proc") / std::to_string(pid) / "status");
  CHECK(status.find(fmt::format("PPid:\t{}\n", ::getpid())) == std::string::npos);
  CHECK(status.find("Seccomp:\t2\n") != std::string::npos);
  CHECK(status.find("NoNewPrivs:\t1\n") != std::string::npos);
  // The console can show secrets: 0600 from its creation, whatever QEMU's own umask.
  CHECK((std::filesystem::status(paths.serial_log).permissions() & std::filesystem::perms::all) ==
        std::filesystem::perms(0600));

  {
    QmpClient qmp(paths.qmp_socket, 5s);
    CHECK(qmp.execute("query-status")["status"] == "prelaunch");
    CHECK_THROWS_WITH_AS(qmp.execute("no-such-command"),
                         "QMP no-such-command: The command no-such-command has not been found", Error);
  }

  const StopOutcome outcome = stop_qemu(paths, 500ms);
  CHECK(outcome.how == StopOutcome::How::terminated);
  CHECK(outcome.note == "the guest did not power off within 0.5 s");
  CHECK(describe(outcome).starts_with("terminated with SIGTERM in "));
  CHECK_FALSE(process_alive(pid));
  CHECK_FALSE(std::filesystem::exists(paths.pid_file));
  CHECK_FALSE(std::filesystem::exists(paths.qmp_socket));
  CHECK(stop_qemu(paths, 500ms).how == StopOutcome::How::not_running);
}

TEST_CASE("a QEMU that cannot start is reported with its own last line") {
  test::TempDir dir;
  const InstancePaths paths = InstancePaths::in(dir.path(), "broken");
  std::filesystem::create_directories(paths.pid_file.parent_path());
  auto argv = paused_qemu(paths);
  argv.insert(argv.end(), {"-drive", "file=" + (dir / "absent.qcow2").string() + ",format=qcow2,if=none,id=d"});
  try {
    start_qemu("broken", argv, paths);
    FAIL("QEMU started with a missing disk");
  } catch (const Error& e) {
    const std::string message = e.what();
    CHECK(message.starts_with("broken: QEMU did not start: qemu-system-aarch64: -drive "));
    CHECK(message.find("absent.qcow2") != std::string::npos);
  }
  CHECK(inspect_runtime(paths).state != RunState::running);
}
