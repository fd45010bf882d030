#include "launcher/identity/openssh_key.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <string_view>
#include <vector>

#include "common/util/encoding.hpp"
#include "common/util/error.hpp"

namespace trustnet::launcher {
namespace {

// SSH wire encoding (RFC 4251): big-endian uint32, and strings prefixed by their length.
struct Wire {
  std::vector<uint8_t> bytes;
  ~Wire() { OPENSSL_cleanse(bytes.data(), bytes.size()); }
  void u32(uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<uint8_t>(v >> shift));
  }
  void string(std::span<const uint8_t> s) {
    u32(static_cast<uint32_t>(s.size()));
    bytes.insert(bytes.end(), s.begin(), s.end());
  }
  void string(std::string_view s) { string(std::span(reinterpret_cast<const uint8_t*>(s.data()), s.size())); }
};

constexpr std::string_view kKeyType = "ssh-ed25519";

std::vector<uint8_t> public_blob(const Ed25519Key& key) {
  Wire blob;
  blob.string(kKeyType);
  blob.string(key.public_key);
  return blob.bytes;
}

}  // namespace

std::string openssh_public_key(const Ed25519Key& key, const std::string& comment) {
  std::string line = std::string(kKeyType) + " " + base64_encode(public_blob(key));
  if (!comment.empty()) line += " " + comment;
  return line + "\n";
}

std::string openssh_private_key(const Ed25519Key& key, const std::string& comment, std::optional<uint32_t> check) {
  uint32_t checkint = 0;
  if (check) {
    checkint = *check;
  } else if (RAND_bytes(reinterpret_cast<unsigned char*>(&checkint), sizeof checkint) != 1) {
    throw Error("OpenSSL: no random bytes for a key file");
  }
  // PROTOCOL.key: the private section repeats the check number, then the key and its comment,
  // padded with 1, 2, 3, ... to the cipher's block size (8 for "none").
  Wire section;
  section.u32(checkint);
  section.u32(checkint);
  section.string(kKeyType);
  section.string(key.public_key);
  std::vector<uint8_t> both(key.seed.begin(), key.seed.end());
  both.insert(both.end(), key.public_key.begin(), key.public_key.end());
  section.string(both);
  OPENSSL_cleanse(both.data(), both.size());
  section.string(comment);
  for (uint8_t pad = 1; section.bytes.size() % 8 != 0; ++pad) section.bytes.push_back(pad);

  Wire file;
  const std::string_view magic("openssh-key-v1\0", 15);
  file.bytes.insert(file.bytes.end(), magic.begin(), magic.end());
  file.string("none");  // cipher
  file.string("none");  // kdf
  file.string("");      // kdf options
  file.u32(1);          // one key
  file.string(public_blob(key));
  file.string(section.bytes);

  std::string encoded = base64_encode(file.bytes);
  std::string text = "-----BEGIN OPENSSH PRIVATE KEY-----\n";
  for (size_t i = 0; i < encoded.size(); i += 70) text += encoded.substr(i, 70) + "\n";
  OPENSSL_cleanse(encoded.data(), encoded.size());
  return text + "-----END OPENSSH PRIVATE KEY-----\n";
}

}  // namespace trustnet::launcher
