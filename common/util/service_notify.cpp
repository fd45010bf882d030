#include "common/util/service_notify.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "common/handles/unique_fd.hpp"

namespace trustnet {

bool SocketNotifier::notify(const std::string& message) {
  if (address_.empty()) return true;
  sockaddr_un where{};
  where.sun_family = AF_UNIX;
  if (address_.size() >= sizeof(where.sun_path)) return false;
  std::memcpy(where.sun_path, address_.data(), address_.size());
  if (where.sun_path[0] == '@') where.sun_path[0] = '\0';  // the abstract namespace
  const UniqueFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return false;
  const socklen_t length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address_.size());
  return ::sendto(fd.get(), message.data(), message.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&where),
                  length) == static_cast<ssize_t>(message.size());
}

ServiceNotifier& service_manager() {
  static SocketNotifier notifier([] {
    const char* socket = std::getenv("NOTIFY_SOCKET");
    return std::string(socket ? socket : "");
  }());
  return notifier;
}

std::optional<std::chrono::microseconds> watchdog_period() {
  const char* usec = std::getenv("WATCHDOG_USEC");
  if (!usec) return std::nullopt;
  if (const char* pid = std::getenv("WATCHDOG_PID"); pid && std::atol(pid) != static_cast<long>(::getpid()))
    return std::nullopt;
  const long long value = std::atoll(usec);
  if (value <= 0) return std::nullopt;
  return std::chrono::microseconds(value);
}

}  // namespace trustnet
