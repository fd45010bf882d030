#pragma once
// One round of health probes against an instance's ULA address, each bounded by a timeout:
// ICMPv6 echo, the SSH banner on port 22, and the role's HTTPS service verified with the
// TrustNet CA (node: RPC /status on 26657; registry: /health on 8053).
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include "launcher/identity/network_identity.hpp"

namespace trustnet::launcher {

bool ping6(const std::string& address, std::chrono::milliseconds timeout);
// The first line the SSH server sends ("SSH-2.0-OpenSSH_9.9"), when one answers.
std::optional<std::string> ssh_banner(const std::string& address, int port, std::chrono::milliseconds timeout);
// HTTP 200 from `url`, with the server certificate verified against `ca_file`.
bool https_ok(const std::string& url, const std::filesystem::path& ca_file, std::chrono::milliseconds timeout);

// The role's service URL on the instance's ULA address.
std::string service_url(Role role, const std::string& address);

}  // namespace trustnet::launcher
