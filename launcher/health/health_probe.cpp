#include "launcher/health/health_probe.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/curl_handle.hpp"
#include "common/error.hpp"
#include "common/unique_fd.hpp"

namespace trustnet::launcher {
using namespace std::chrono;

namespace {

std::optional<sockaddr_in6> ipv6(const std::string& address, int port) {
  sockaddr_in6 to{};
  to.sin6_family = AF_INET6;
  to.sin6_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET6, address.c_str(), &to.sin6_addr) != 1) return std::nullopt;
  return to;
}

int remaining(steady_clock::time_point deadline) {
  return static_cast<int>(std::max<long>(0, duration_cast<milliseconds>(deadline - steady_clock::now()).count()));
}

}  // namespace

bool ping6(const std::string& address, milliseconds timeout) {
  auto to = ipv6(address, 0);
  if (!to) return false;
  // Unprivileged ICMP sockets when net.ipv4.ping_group_range admits us; raw ones as root.
  bool raw = false;
  UniqueFd fd(::socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_ICMPV6));
  if (!fd.valid()) {
    fd = UniqueFd(::socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6));
    raw = true;
  }
  if (!fd.valid()) return false;
  const uint16_t id = static_cast<uint16_t>(::getpid());
  icmp6_hdr request{};
  request.icmp6_type = ICMP6_ECHO_REQUEST;
  request.icmp6_id = htons(id);
  request.icmp6_seq = htons(1);
  if (::sendto(fd.get(), &request, sizeof(request), 0, reinterpret_cast<sockaddr*>(&*to), sizeof(*to)) < 0) return false;
  const auto deadline = steady_clock::now() + timeout;
  for (;;) {
    pollfd p{fd.get(), POLLIN, 0};
    int wait = remaining(deadline);
    if (wait == 0 || ::poll(&p, 1, wait) <= 0) return false;
    icmp6_hdr reply{};
    sockaddr_in6 from{};
    socklen_t from_size = sizeof(from);
    if (::recvfrom(fd.get(), &reply, sizeof(reply), 0, reinterpret_cast<sockaddr*>(&from), &from_size) < static_cast<ssize_t>(sizeof(reply)))
      continue;
    if (reply.icmp6_type != ICMP6_ECHO_REPLY || std::memcmp(&from.sin6_addr, &to->sin6_addr, sizeof(in6_addr)) != 0) continue;
    if (raw && ntohs(reply.icmp6_id) != id) continue;  // datagram sockets match the id themselves
    return true;
  }
}

std::optional<std::string> ssh_banner(const std::string& address, int port, milliseconds timeout) {
  auto to = ipv6(address, port);
  if (!to) return std::nullopt;
  UniqueFd fd(::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) return std::nullopt;
  const auto deadline = steady_clock::now() + timeout;
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&*to), sizeof(*to)) < 0 && errno != EINPROGRESS) return std::nullopt;
  pollfd p{fd.get(), POLLOUT, 0};
  if (::poll(&p, 1, remaining(deadline)) <= 0) return std::nullopt;
  int error = 0;
  socklen_t size = sizeof(error);
  if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &size) < 0 || error != 0) return std::nullopt;
  std::string received;
  while (received.find('\n') == std::string::npos && received.size() < 256) {
    p = {fd.get(), POLLIN, 0};
    if (::poll(&p, 1, remaining(deadline)) <= 0) return std::nullopt;
    char chunk[256];
    ssize_t n = ::recv(fd.get(), chunk, sizeof(chunk), 0);
    if (n <= 0) return std::nullopt;
    received.append(chunk, static_cast<size_t>(n));
  }
  if (received.rfind("SSH-", 0) != 0) return std::nullopt;
  return received.substr(0, received.find_first_of("\r\n"));
}

bool https_ok(const std::string& url, const std::filesystem::path& ca_file, milliseconds timeout) {
  CurlEasy curl = make_curl_easy();
  const std::string ca = ca_file.string();
  auto set = [&](CURLoption option, auto value) {
    if (CURLcode rc = curl_easy_setopt(curl.get(), option, value); rc != CURLE_OK)
      throw Error(fmt::format("libcurl option {}: {}", static_cast<int>(option), curl_easy_strerror(rc)));
  };
  set(CURLOPT_URL, url.c_str());
  set(CURLOPT_PROTOCOLS_STR, "https");
  set(CURLOPT_CAINFO, ca.c_str());
  set(CURLOPT_SSL_VERIFYPEER, 1L);
  set(CURLOPT_SSL_VERIFYHOST, 2L);
  set(CURLOPT_NOSIGNAL, 1L);
  set(CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  using Sink = size_t (*)(char*, size_t, size_t, void*);
  set(CURLOPT_WRITEFUNCTION, static_cast<Sink>([](char*, size_t size, size_t count, void*) { return size * count; }));
  if (curl_easy_perform(curl.get()) != CURLE_OK) return false;
  long status = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
  return status == 200;
}

std::string service_url(Role role, const std::string& address) {
  return role == Role::node ? fmt::format("https://[{}]:26657/status", address) : fmt::format("https://[{}]:8053/health", address);
}

}  // namespace trustnet::launcher
