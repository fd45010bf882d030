#pragma once
// Single health probes against an instance, each waiting up to its patience for an answer:
// ICMPv6 echo, the SSH banner (the connection then closed politely), and an HTTPS URL verified
// with the TrustNet CA. A probe can be cancelled from another thread; it then returns quickly.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

#include "launcher/config/network_definition.hpp"
#include "launcher/health/node_status.hpp"

namespace trustnet::launcher {

// The certificate an HTTPS service presented (its leaf), as the probe verified it.
struct CertificateFacts {
  std::string issuer;     // the issuer's common name (or its whole name when it has none)
  int64_t not_after = 0;  // seconds since the epoch
};

struct ProbeOutcome {
  bool answered = false;
  bool connected = false;                       // a TCP connection was established (SSH and HTTPS probes)
  std::string body;                             // an HTTPS answer's first 64 KiB
  std::optional<NodeStatus> node;               // a node's /status and /net_info, parsed
  std::optional<CertificateFacts> certificate;  // HTTPS: what the verified server presented
};

// Whom an HTTPS probe trusts: a CA file (the TrustNet CA, or an ACME CA's root), the system's roots
// too for a certificate from a public CA; `resolve` ("NAME:PORT:ADDRESS") reaches a public name at
// the instance's address, so that the certificate is checked by that name.
struct HttpsTrust {
  std::filesystem::path ca_file;
  bool system_roots = false;
  std::string resolve;
  bool read_certificate = false;  // keep the leaf's issuer and expiry (an ACME certificate's)
};

// Never set: for callers that do not cancel.
inline const std::atomic<bool> kNeverCancel{false};

bool ping6(const std::string& address, std::chrono::milliseconds patience,
           const std::atomic<bool>& cancel = kNeverCancel);
// Why this process cannot ping at all, or nothing when it can: an ICMP datagram socket needs the
// group inside net.ipv4.ping_group_range (systemd's default admits every group; a bare kernel's
// "1 0" none), a raw one CAP_NET_RAW, which the run user has not.
std::optional<std::string> ping_refused();
// The sentence for a group outside `range` (the file's text, "1\t0\n").
std::string ping_refusal(gid_t group, const std::string& range);

struct SshGreeting {
  ProbeOutcome outcome;
  std::string banner;  // "SSH-2.0-OpenSSH_9.9" when one was read
};
// Reads the server's identification line, then answers with one of its own and an
// SSH_MSG_DISCONNECT ("by application"), and reads until the server closes, so that sshd sees a
// client that said goodbye rather than a dropped connection.
SshGreeting ssh_greeting(const std::string& address, int port, std::chrono::milliseconds patience,
                         const std::atomic<bool>& cancel = kNeverCancel);

// HTTP 200 from `url`, with the server certificate verified against `ca_file`; the body is kept.
ProbeOutcome https_get(const std::string& url, const std::filesystem::path& ca_file, std::chrono::milliseconds patience,
                       const std::atomic<bool>& cancel = kNeverCancel);
ProbeOutcome https_get(const std::string& url, const HttpsTrust& trust, std::chrono::milliseconds patience,
                       const std::atomic<bool>& cancel = kNeverCancel);
// The leaf's issuer and expiry from libcurl's certificate lines ("Issuer:...", "Expire date:...").
std::optional<CertificateFacts> certificate_facts(const std::vector<std::string>& leaf_lines);

// The role's service URL on the instance's ULA address, and the name of that service's probe.
std::string service_url(Role role, const std::string& address);
std::string service_probe_name(Role role);
// A node's /net_info (its peers); empty for a registry.
std::string peers_url(Role role, const std::string& address);

}  // namespace trustnet::launcher
