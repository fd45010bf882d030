#include "launcher/instance/instance_runtime.hpp"

#include <doctest/doctest.h>
#include <unistd.h>

#include <fstream>

#include "support/temp_dir.hpp"

using namespace trustnet::launcher;

TEST_CASE("a pid file is running only when its process lives and is this instance's QEMU, otherwise stale") {
  CHECK(classify_run_state(std::nullopt, false, false) == RunState::stopped);
  CHECK(classify_run_state(1234, true, true) == RunState::running);
  CHECK(classify_run_state(1234, false, false) == RunState::stale);  // the process is gone
  CHECK(classify_run_state(1234, true, false) == RunState::stale);   // the pid was reused by another program
  CHECK(classify_run_state(0, false, false) == RunState::stale);     // an empty or garbled pid file
}

TEST_CASE("the runtime of an instance is read from its pid file and /proc") {
  trustnet::test::TempDir dir;
  const InstancePaths paths = InstancePaths::in(dir.path(), "node");
  std::filesystem::create_directories(paths.pid_file.parent_path());
  CHECK(inspect_runtime(paths).state == RunState::stopped);
  // This test process lives, but it is not the instance's QEMU: a recycled pid.
  std::ofstream(paths.pid_file) << ::getpid() << "\n";
  CHECK(inspect_runtime(paths).state == RunState::stale);
  std::ofstream(paths.pid_file) << "garbage\n";
  CHECK(inspect_runtime(paths).state == RunState::stale);
  std::ofstream(paths.qmp_socket) << "";
  remove_runtime_files(paths);
  CHECK_FALSE(std::filesystem::exists(paths.pid_file));
  CHECK_FALSE(std::filesystem::exists(paths.qmp_socket));
  CHECK(process_alive(::getpid()));
  CHECK_FALSE(process_alive(0));
}
