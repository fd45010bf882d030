// The machine host's reap of a QEMU it started detached: a supervisor that made itself the
// subreaper learns how the process ended (here a real detached process killed with SIGKILL, in a
// child process of the test so that the test runner itself is no subreaper).
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "common/util/process.hpp"
#include "launcher/run/instance_host.hpp"
#include "support/temp_dir.hpp"

using namespace trustnet;
using namespace std::chrono_literals;

namespace {

// Runs `work` in a child process; its exit status is work's return value.
int in_child(const std::function<int()>& work) {
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) ::_exit(work());
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

// Polls reap until the process has ended, at most 10 s.
std::optional<int> reaped(pid_t pid) {
  for (int i = 0; i < 200; ++i) {
    if (auto status = launcher::machine_host().reap(pid)) return status;
    std::this_thread::sleep_for(50ms);
  }
  return std::nullopt;
}

}  // namespace

TEST_CASE("as the subreaper of a detached process, the machine host reaps it with its wait status") {
  test::TempDir dir;
  const auto log = dir / "sleep.log";
  // 0: reaped, killed by SIGKILL; 1: not reaped; 2: another status; 3: running when it should not be.
  CHECK(in_child([&] {
          if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) return 4;
          const pid_t pid = spawn_detached({"sleep", "600"}, log);
          if (launcher::machine_host().reap(pid)) return 3;  // it runs
          ::kill(pid, SIGKILL);
          const auto status = reaped(pid);
          if (!status) return 1;
          return WIFSIGNALED(*status) && WTERMSIG(*status) == SIGKILL ? 0 : 2;
        }) == 0);
  // A process exiting with a status of its own.
  CHECK(in_child([&] {
          if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) return 4;
          const pid_t pid = spawn_detached({"sh", "-c", "exit 7"}, log);
          const auto status = reaped(pid);
          if (!status) return 1;
          return WIFEXITED(*status) && WEXITSTATUS(*status) == 7 ? 0 : 2;
        }) == 0);
  // Without being its subreaper: it ended, and how is not known (-1), never "still running".
  CHECK(in_child([&] {
          const pid_t pid = spawn_detached({"sh", "-c", "exit 7"}, log);
          const auto status = reaped(pid);
          if (!status) return 1;
          return *status == -1 ? 0 : 2;
        }) == 0);
}
