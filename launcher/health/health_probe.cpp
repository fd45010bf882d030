#include "launcher/health/health_probe.hpp"

#include <algorithm>

#include <arpa/inet.h>
#include <fmt/format.h>

#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <memory>

#include <cerrno>
#include <cstring>
#include <sstream>

#include "common/config/appliance_contract.hpp"
#include "common/handles/curl_handle.hpp"
#include "common/handles/unique_fd.hpp"
#include "common/util/error.hpp"
#include "common/util/text_file.hpp"

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

// Waits for `events` on `fd` until the deadline, in short slices so that a cancel is seen soon.
bool wait_for(int fd, short events, steady_clock::time_point deadline, const std::atomic<bool>& cancel) {
  for (;;) {
    if (cancel.load()) return false;
    const auto left = duration_cast<milliseconds>(deadline - steady_clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd, events, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(std::min<long>(left, 100)));
    if (ready > 0) return true;
    if (ready < 0 && errno != EINTR) return false;
  }
}

void put_u32(std::string& out, uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((value >> shift) & 0xff));
}

// Our identification line and an unencrypted SSH_MSG_DISCONNECT packet (RFC 4253 sections 4.2,
// 6 and 11.1): before key exchange a packet has no MAC and a block size of 8.
std::string ssh_goodbye() {
  constexpr uint8_t kDisconnect = 1;
  constexpr uint32_t kByApplication = 11;
  const std::string description = "trustnet launch health probe";
  std::string payload(1, static_cast<char>(kDisconnect));
  put_u32(payload, kByApplication);
  put_u32(payload, static_cast<uint32_t>(description.size()));
  payload += description;
  put_u32(payload, 0);  // language tag
  size_t padding = 8 - (4 + 1 + payload.size()) % 8;
  if (padding < 4) padding += 8;
  std::string packet;
  put_u32(packet, static_cast<uint32_t>(1 + payload.size() + padding));
  packet.push_back(static_cast<char>(padding));
  packet += payload;
  packet.append(padding, '\0');
  return "SSH-2.0-TrustNetLaunchProbe\r\n" + packet;
}

}  // namespace

bool ping6(const std::string& address, milliseconds patience, const std::atomic<bool>& cancel) {
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
  if (::sendto(fd.get(), &request, sizeof(request), 0, reinterpret_cast<sockaddr*>(&*to), sizeof(*to)) < 0)
    return false;
  const auto deadline = steady_clock::now() + patience;
  for (;;) {
    if (!wait_for(fd.get(), POLLIN, deadline, cancel)) return false;
    icmp6_hdr reply{};
    sockaddr_in6 from{};
    socklen_t from_size = sizeof(from);
    if (::recvfrom(fd.get(), &reply, sizeof(reply), 0, reinterpret_cast<sockaddr*>(&from), &from_size) <
        static_cast<ssize_t>(sizeof(reply)))
      continue;
    if (reply.icmp6_type != ICMP6_ECHO_REPLY || std::memcmp(&from.sin6_addr, &to->sin6_addr, sizeof(in6_addr)) != 0)
      continue;
    if (raw && ntohs(reply.icmp6_id) != id) continue;  // datagram sockets match the id themselves
    return true;
  }
}

std::optional<std::string> ping_refused() {
  if (UniqueFd(::socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_ICMPV6)).valid() ||
      UniqueFd(::socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6)).valid())
    return std::nullopt;
  std::string range = "(unreadable)";
  try {
    range = read_text_file("/proc/sys/net/ipv4/ping_group_range");
  } catch (const Error&) {
  }
  return ping_refusal(::getegid(), range);
}

std::string ping_refusal(gid_t group, const std::string& range) {
  std::istringstream words(range);
  std::string low, high;
  words >> low >> high;
  return fmt::format(
      "ping probes are off: group {} is outside net.ipv4.ping_group_range ({} {}); `sysctl -w "
      "net.ipv4.ping_group_range=\"0 2147483647\"` (systemd's default) lets the probes ping",
      group, low, high);
}

SshGreeting ssh_greeting(const std::string& address, int port, milliseconds patience, const std::atomic<bool>& cancel) {
  SshGreeting greeting;
  auto to = ipv6(address, port);
  if (!to) return greeting;
  UniqueFd fd(::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) return greeting;
  const auto deadline = steady_clock::now() + patience;
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&*to), sizeof(*to)) < 0 && errno != EINPROGRESS) return greeting;
  if (!wait_for(fd.get(), POLLOUT, deadline, cancel)) return greeting;
  int error = 0;
  socklen_t size = sizeof(error);
  if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &size) < 0 || error != 0) return greeting;
  greeting.outcome.connected = true;
  std::string received;
  while (received.find('\n') == std::string::npos && received.size() < 256) {
    if (!wait_for(fd.get(), POLLIN, deadline, cancel)) return greeting;
    char chunk[256];
    const ssize_t n = ::recv(fd.get(), chunk, sizeof(chunk), 0);
    if (n <= 0) return greeting;
    received.append(chunk, static_cast<size_t>(n));
  }
  if (!received.starts_with("SSH-")) return greeting;
  greeting.banner = received.substr(0, received.find_first_of("\r\n"));
  greeting.outcome.answered = true;
  // Say goodbye, then let the server close first: closing with unread data would send a reset.
  const std::string goodbye = ssh_goodbye();
  if (::send(fd.get(), goodbye.data(), goodbye.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(goodbye.size())) {
    ::shutdown(fd.get(), SHUT_WR);
    const auto linger = std::min(deadline, steady_clock::now() + 2s);
    char sink[4096];
    while (wait_for(fd.get(), POLLIN, linger, cancel) && ::recv(fd.get(), sink, sizeof(sink), 0) > 0) {
    }
  }
  return greeting;
}

std::optional<CertificateFacts> certificate_facts(const std::vector<std::string>& leaf_lines) {
  CertificateFacts facts;
  for (const auto& line : leaf_lines) {
    if (line.starts_with("Issuer:")) {
      std::string issuer = line.substr(7);
      // "C = US, O = Let's Encrypt, CN = R11" (or "CN=R11" with other backends): the CN's value.
      if (const size_t cn = issuer.rfind("CN"); cn != std::string::npos) {
        size_t start = issuer.find('=', cn);
        size_t end = issuer.find(',', cn);
        if (start != std::string::npos)
          issuer = issuer.substr(start + 1, end == std::string::npos ? end : end - start - 1);
      }
      const size_t first = issuer.find_first_not_of(' ');
      facts.issuer = first == std::string::npos ? "" : issuer.substr(first, issuer.find_last_not_of(' ') - first + 1);
    } else if (line.starts_with("Expire date:")) {
      const time_t when = curl_getdate(line.substr(12).c_str(), nullptr);
      if (when > 0) facts.not_after = when;
    }
  }
  if (facts.issuer.empty() || facts.not_after == 0) return std::nullopt;
  return facts;
}

ProbeOutcome https_get(const std::string& url, const std::filesystem::path& ca_file, milliseconds patience,
                       const std::atomic<bool>& cancel) {
  return https_get(url, HttpsTrust{ca_file, false, "", false}, patience, cancel);
}

ProbeOutcome https_get(const std::string& url, const HttpsTrust& trust, milliseconds patience,
                       const std::atomic<bool>& cancel) {
  ProbeOutcome outcome;
  CurlEasy curl = make_curl_easy();
  const std::string ca = trust.ca_file.string();
  auto set = [&](CURLoption option, auto value) {
    if (CURLcode rc = curl_easy_setopt(curl.get(), option, value); rc != CURLE_OK)
      throw Error(fmt::format("libcurl option {}: {}", static_cast<int>(option), curl_easy_strerror(rc)));
  };
  set(CURLOPT_URL, url.c_str());
  set(CURLOPT_PROTOCOLS_STR, "https");
  // The system's roots are libcurl's default; a CA file of the launcher's replaces them unless the
  // system's are wanted too (a directory of them beside the file).
  if (!ca.empty()) set(CURLOPT_CAINFO, ca.c_str());
  if (!ca.empty() && trust.system_roots) set(CURLOPT_CAPATH, "/etc/ssl/certs");
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> resolve(nullptr, curl_slist_free_all);
  if (!trust.resolve.empty()) {
    resolve.reset(curl_slist_append(nullptr, trust.resolve.c_str()));
    if (!resolve) throw Error("libcurl: out of memory");
    set(CURLOPT_RESOLVE, resolve.get());
  }
  if (trust.read_certificate) set(CURLOPT_CERTINFO, 1L);
  set(CURLOPT_SSL_VERIFYPEER, 1L);
  set(CURLOPT_SSL_VERIFYHOST, 2L);
  set(CURLOPT_NOSIGNAL, 1L);
  set(CURLOPT_TIMEOUT_MS, static_cast<long>(patience.count()));
  using Sink = size_t (*)(char*, size_t, size_t, void*);
  set(CURLOPT_WRITEFUNCTION, static_cast<Sink>([](char* data, size_t size, size_t count, void* user) {
        auto* body = static_cast<std::string*>(user);
        body->append(data, std::min(size * count, (size_t{64} << 10) - std::min(body->size(), size_t{64} << 10)));
        return size * count;
      }));
  set(CURLOPT_WRITEDATA, static_cast<void*>(&outcome.body));
  // libcurl calls this about once a second, and more often while data moves: a non-zero return aborts.
  using Progress = int (*)(void*, curl_off_t, curl_off_t, curl_off_t, curl_off_t);
  set(CURLOPT_XFERINFOFUNCTION, static_cast<Progress>([](void* flag, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
        return static_cast<const std::atomic<bool>*>(flag)->load() ? 1 : 0;
      }));
  set(CURLOPT_XFERINFODATA, const_cast<void*>(static_cast<const void*>(&cancel)));
  set(CURLOPT_NOPROGRESS, 0L);
  const CURLcode result = curl_easy_perform(curl.get());
  curl_off_t connect_time = 0;
  if (curl_easy_getinfo(curl.get(), CURLINFO_CONNECT_TIME_T, &connect_time) == CURLE_OK)
    outcome.connected = connect_time > 0;
  if (result != CURLE_OK) return outcome;
  curl_certinfo* chain = nullptr;
  if (trust.read_certificate && curl_easy_getinfo(curl.get(), CURLINFO_CERTINFO, &chain) == CURLE_OK && chain &&
      chain->num_of_certs > 0) {
    std::vector<std::string> leaf;
    for (const curl_slist* line = chain->certinfo[0]; line; line = line->next) leaf.emplace_back(line->data);
    outcome.certificate = certificate_facts(leaf);
  }
  long status = 0;
  if (curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status) != CURLE_OK) return outcome;
  outcome.answered = status == 200;
  return outcome;
}

std::string service_url(Role role, const std::string& address) {
  return role == Role::node ? fmt::format("https://[{}]:{}/status", address, appliance::node::rpc_port)
                            : fmt::format("https://[{}]:{}/health", address, appliance::registry::https_port);
}

std::string service_probe_name(Role role) { return role == Role::node ? "rpc" : "health"; }

std::string peers_url(Role role, const std::string& address) {
  return role == Role::node ? fmt::format("https://[{}]:{}/net_info", address, appliance::node::rpc_port) : "";
}

}  // namespace trustnet::launcher
