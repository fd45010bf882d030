#pragma once
// Ed25519 signing keys in PEM files (PKCS#8 private, SubjectPublicKeyInfo public) and detached
// signatures over whole messages, through OpenSSL: release manifests are signed by `bake publish`
// and checked by `bake verify` and the launcher. Signatures are the raw 64 bytes of RFC 8032, so
// `openssl pkeyutl -verify -rawin` checks them too.
#include <filesystem>
#include <string>
#include <string_view>

namespace trustnet {

// Writes a new key pair: `private_file` (0600) and `public_file` (0644); refuses to overwrite.
void generate_signing_key(const std::filesystem::path& private_file, const std::filesystem::path& public_file);

std::string sign_message(std::string_view message, const std::filesystem::path& private_file);
bool signature_matches(std::string_view message, std::string_view signature, const std::filesystem::path& public_file);

// "SHA256:…" of the public key's raw 32 bytes, base64 as OpenSSH prints fingerprints: a short
// name for a key in messages and manifests.
std::string public_key_fingerprint(const std::filesystem::path& public_file);
// The same fingerprint, of the public half of a private key file.
std::string signing_key_fingerprint(const std::filesystem::path& private_file);

}  // namespace trustnet
