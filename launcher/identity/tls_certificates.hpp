#pragma once
// The TrustNet certificate authority and the server certificates it signs (node RPC, registry).
// ECDSA P-256 keys and SHA-256 signatures: what Go's TLS (CometBFT, Caddy, Docker) and curl all
// accept. Certificates and keys travel as PEM text.
#include <optional>
#include <string>
#include <vector>

namespace trustnet::launcher {

struct PemPair {
  std::string certificate;
  std::string private_key;  // PKCS#8, unencrypted: the caller stores it 0600
};

struct ServerIdentity {
  std::string common_name;                // e.g. trustnet-node
  std::vector<std::string> dns_names;     // e.g. trustnet-node, node.trustnet.local
  std::vector<std::string> ip_addresses;  // e.g. fd10:1234::1
};

PemPair create_certificate_authority(const std::string& name, int valid_days);
PemPair issue_server_certificate(const PemPair& authority, const ServerIdentity& server, int valid_days);

// What is wrong with a stored pair (not PEM, or a private key that is not the certificate's
// key); nothing when it is whole. Never quotes the key.
std::optional<std::string> pem_pair_problem(const PemPair& pair);

}  // namespace trustnet::launcher
