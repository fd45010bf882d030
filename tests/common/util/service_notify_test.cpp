// The notification protocol against real datagram sockets, as systemd listens: a socket path and
// the abstract namespace; and the watchdog period read as systemd gives it.
#include "common/util/service_notify.hpp"

#include <doctest/doctest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "common/handles/unique_fd.hpp"
#include "support/notify_listener.hpp"
#include "support/temp_dir.hpp"

using namespace trustnet;

TEST_CASE("a notification reaches the service manager's socket, by path or in the abstract namespace") {
  test::TempDir dir;
  const std::string path = (dir / "notify").string();
  test::NotifyListener by_path(path);
  CHECK(SocketNotifier(path).notify("READY=1\nSTATUS=up: ping,ssh,rpc"));
  CHECK(by_path.receive() == "READY=1\nSTATUS=up: ping,ssh,rpc");

  const std::string abstract = "@trustnet-test-" + std::to_string(::getpid());
  test::NotifyListener in_namespace(abstract);
  CHECK(SocketNotifier(abstract).notify("WATCHDOG=1"));
  CHECK(in_namespace.receive() == "WATCHDOG=1");

  // No manager (a terminal, OpenRC): nothing is sent, and that is no failure. A socket that is
  // not there is one.
  CHECK(SocketNotifier("").notify("READY=1"));
  CHECK_FALSE(SocketNotifier((dir / "absent").string()).notify("READY=1"));
}

TEST_CASE("the watchdog period is systemd's WATCHDOG_USEC, for this process only") {
  ::unsetenv("WATCHDOG_USEC");
  ::unsetenv("WATCHDOG_PID");
  CHECK_FALSE(watchdog_period());
  ::setenv("WATCHDOG_USEC", "180000000", 1);
  CHECK(watchdog_period() == std::chrono::microseconds(180000000));
  ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
  CHECK(watchdog_period() == std::chrono::microseconds(180000000));
  ::setenv("WATCHDOG_PID", "1", 1);  // meant for another process
  CHECK_FALSE(watchdog_period());
  ::unsetenv("WATCHDOG_USEC");
  ::unsetenv("WATCHDOG_PID");
}
