#pragma once
// Release signing keys and the detached signatures over release manifests: `bake publish` signs,
// `bake verify` and the launcher check. Keys and signatures are minisign's (see minisign.hpp), so
// `minisign -V` checks a release and `minisign -G` makes a key `bake publish` signs with. The
// forms of earlier releases are still read: PEM Ed25519 keys (PKCS#8 private, SubjectPublicKeyInfo
// public) sign and verify, and a raw 64-byte Ed25519 signature (NAME.manifest.json.sig) verifies.
#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace trustnet {

// Writes a new minisign key pair: `private_file` (0600, not encrypted) and `public_file` (0644);
// refuses to overwrite either.
void generate_signing_key(const std::filesystem::path& private_file, const std::filesystem::path& public_file);

// A private key, read once: a minisign secret key (a password-protected one asks for its password
// on the terminal) or a PEM one. Its secret is wiped when it goes.
class SigningKey {
 public:
  static SigningKey load(const std::filesystem::path& private_file);
  SigningKey(const SigningKey&) = delete;
  SigningKey& operator=(const SigningKey&) = delete;
  SigningKey(SigningKey&& other) noexcept;
  ~SigningKey();
  // The fingerprint of its public half (see public_key_fingerprint).
  const std::string& fingerprint() const { return fingerprint_; }
  // A minisign signature of `message`, with `trusted_comment` (one line) signed too.
  std::string sign(std::string_view message, const std::string& trusted_comment) const;

 private:
  SigningKey() = default;
  std::array<uint8_t, 8> key_id_{};
  std::array<uint8_t, 64> secret_{};
  std::string fingerprint_;
};
// `signature`: minisign's text or raw Ed25519 bytes; `public_file`: minisign's or PEM.
bool signature_matches(std::string_view message, std::string_view signature, const std::filesystem::path& public_file);
// When `signature` is minisign's and was made by a key with another id than `public_file`'s (a
// minisign key): the signature's key id and the trusted one, as minisign prints them.
std::optional<std::pair<std::string, std::string>> foreign_key_id(std::string_view signature,
                                                                  const std::filesystem::path& public_file);

// "SHA256:…" of the public key's raw 32 bytes, base64 as OpenSSH prints fingerprints: a short
// name for a key in messages and manifests, the same for a key in either form.
std::string public_key_fingerprint(const std::filesystem::path& public_file);

}  // namespace trustnet
