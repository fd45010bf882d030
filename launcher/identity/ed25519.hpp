#pragma once
// Ed25519 key pairs from OpenSSL: the seed (the 32-byte private key of RFC 8032) and the public key.
#include <array>
#include <cstdint>
#include <span>

namespace trustnet::launcher {

struct Ed25519Key {
  std::array<uint8_t, 32> seed{};
  std::array<uint8_t, 32> public_key{};
};

Ed25519Key ed25519_from_seed(std::span<const uint8_t, 32> seed);
Ed25519Key ed25519_generate();  // seed from OpenSSL's private random generator

}  // namespace trustnet::launcher
