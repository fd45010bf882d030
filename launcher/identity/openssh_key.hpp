#pragma once
// Ed25519 keys in OpenSSH's formats: the public line of authorized_keys / *.pub files, and the
// unencrypted "openssh-key-v1" private key file that sshd reads as a host key.
#include <cstdint>
#include <optional>
#include <string>

#include "launcher/identity/ed25519.hpp"

namespace trustnet::launcher {

std::string openssh_public_key(const Ed25519Key& key, const std::string& comment);
// `check` is the private section's check number; random unless given (for reproducible tests).
std::string openssh_private_key(const Ed25519Key& key, const std::string& comment,
                                std::optional<uint32_t> check = std::nullopt);

}  // namespace trustnet::launcher
