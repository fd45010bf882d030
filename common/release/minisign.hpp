#pragma once
// minisign's key and signature files (https://jedisct1.github.io/minisign/), so that a release
// signed by `bake publish` is checked by `minisign -Vm NAME.manifest.json -p release.pub`, and keys
// made by `minisign -G` sign with `bake publish`. Ed25519 through libsodium, as minisign itself:
//   public key   "untrusted comment: …" / base64("Ed" KEY_ID[8] PUBLIC_KEY[32])
//   secret key   "untrusted comment: …" / base64("Ed" KDF[2] "B2" SALT[32] OPSLIMIT[8] MEMLIMIT[8]
//                KEY_ID[8] SECRET_KEY[64] CHECKSUM[32]), the last 104 bytes XORed with an scrypt
//                stream of a password when KDF is "Sc"; CHECKSUM is BLAKE2b-256("Ed" KEY_ID SECRET_KEY)
//   signature    "untrusted comment: …" / base64("ED" KEY_ID SIG[64]) / "trusted comment: TEXT" /
//                base64(GLOBAL_SIG[64]); SIG signs BLAKE2b-512(message) ("ED") or the message itself
//                (legacy "Ed"), GLOBAL_SIG signs SIG followed by TEXT.
#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace trustnet {

using MinisignKeyId = std::array<uint8_t, 8>;

struct MinisignPublicKey {
  MinisignKeyId key_id{};
  std::array<uint8_t, 32> key{};
};

struct MinisignSecretKey {
  MinisignKeyId key_id{};
  std::array<uint8_t, 64> key{};  // libsodium's: the seed, then the public key
  MinisignPublicKey public_key() const;
};

struct MinisignSignature {
  bool prehashed = true;  // "ED": the signature is over BLAKE2b-512 of the message
  MinisignKeyId key_id{};
  std::array<uint8_t, 64> signature{};
  std::string trusted_comment;
  std::array<uint8_t, 64> global_signature{};
};

// What minisign prints a key id as: its 8 bytes as a little-endian number, in upper-case hex.
std::string key_id_text(const MinisignKeyId& id);

// Whether `text` is in minisign's form (its first line starts "untrusted comment: "): a file that
// is not is left to the older forms (PEM keys, raw signatures).
bool looks_like_minisign(std::string_view text);

// The parsers throw Error naming `where` (a file) and what is wrong with it.
MinisignPublicKey parse_minisign_public_key(std::string_view text, const std::string& where);
// `password` is asked only for an encrypted key; a wrong one fails the key's checksum.
MinisignSecretKey parse_minisign_secret_key(std::string_view text, const std::string& where,
                                            const std::function<std::string()>& password);
MinisignSignature parse_minisign_signature(std::string_view text, const std::string& where);

std::string format_minisign_public_key(const MinisignPublicKey& key);
// Unencrypted (minisign -W's form): the file's mode is what keeps it secret.
std::string format_minisign_secret_key(const MinisignSecretKey& key);

// A new key pair with a random key id; `seed`, when given, makes it from those 32 bytes (a PEM key).
MinisignSecretKey generate_minisign_key();
MinisignSecretKey minisign_key_from_seed(const std::array<uint8_t, 32>& seed, const MinisignKeyId& key_id);

// A prehashed signature of `message` with `trusted_comment` (one line), as minisign -S writes it.
std::string minisign_sign(std::string_view message, const MinisignSecretKey& key, const std::string& trusted_comment);
// A raw Ed25519 signature (RFC 8032) of the whole message: the form of releases before minisign's.
bool ed25519_verify(std::string_view message, std::string_view signature, const std::array<uint8_t, 32>& key);
// Both signatures verify with `key` (its id is not compared: the caller says whose key it is).
bool minisign_verify(std::string_view message, const MinisignSignature& signature, const std::array<uint8_t, 32>& key);

}  // namespace trustnet
