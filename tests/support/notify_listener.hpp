#pragma once
// A service manager's notification socket, as systemd binds it (NOTIFY_SOCKET): a datagram
// socket at a path ("@name": in the abstract namespace) that keeps every message received.
#include <doctest/doctest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "common/handles/unique_fd.hpp"

namespace trustnet::test {

class NotifyListener {
 public:
  explicit NotifyListener(const std::string& address) {
    sockaddr_un where{};
    where.sun_family = AF_UNIX;
    REQUIRE(address.size() < sizeof(where.sun_path));
    std::memcpy(where.sun_path, address.data(), address.size());
    if (address[0] == '@') where.sun_path[0] = '\0';
    REQUIRE(::bind(fd_.get(), reinterpret_cast<sockaddr*>(&where),
                   static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address.size())) == 0);
  }
  // The next message, waiting at most `timeout`; "" when none came.
  std::string receive(std::chrono::milliseconds timeout = std::chrono::milliseconds(0)) {
    pollfd p{fd_.get(), POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return "";
    char buffer[4096];
    const ssize_t n = ::recv(fd_.get(), buffer, sizeof buffer, MSG_DONTWAIT);
    if (n <= 0) return "";
    messages_.emplace_back(buffer, static_cast<size_t>(n));
    return messages_.back();
  }
  // Waits until a message starting with `prefix` arrives, at most `timeout`.
  bool wait_for(const std::string& prefix, std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline)
      if (receive(std::chrono::milliseconds(500)).starts_with(prefix)) return true;
    return false;
  }
  const std::vector<std::string>& messages() const { return messages_; }

 private:
  UniqueFd fd_{::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)};
  std::vector<std::string> messages_;
};

}  // namespace trustnet::test
