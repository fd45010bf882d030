#include "common/release/minisign.hpp"

#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "common/util/encoding.hpp"
#include "common/util/error.hpp"

namespace trustnet {
namespace {

constexpr std::string_view kComment = "untrusted comment: ";
constexpr std::string_view kTrusted = "trusted comment: ";

void require_sodium() {
  if (sodium_init() < 0) throw Error("libsodium cannot be initialised");
}

// The lines of a key or signature file, without their line ends.
std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    if (line.ends_with('\r')) line.remove_suffix(1);
    lines.push_back(line);
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return lines;
}

std::vector<uint8_t> decode_line(std::string_view line, size_t size, const std::string& where, const char* what) {
  std::vector<uint8_t> bytes;
  try {
    bytes = base64_decode(std::string(line));
  } catch (const Error&) {
    throw Error(fmt::format("{}: its {} line is not base64", where, what), ExitCode::bad_input);
  }
  if (bytes.size() != size)
    throw Error(fmt::format("{}: its {} is {} bytes, not the {} of minisign's format", where, what, bytes.size(), size),
                ExitCode::bad_input);
  return bytes;
}

std::vector<std::string_view> checked_lines(std::string_view text, size_t count, const std::string& where,
                                            const char* what) {
  const std::vector<std::string_view> lines = lines_of(text);
  if (lines.size() < count || !lines[0].starts_with(kComment))
    throw Error(
        fmt::format("{}: not a minisign {} (an 'untrusted comment:' line, then {} more)", where, what, count - 1),
        ExitCode::bad_input);
  return lines;
}

template <size_t N>
std::array<uint8_t, N> blake2b(std::span<const uint8_t> data) {
  std::array<uint8_t, N> out{};
  crypto_generichash(out.data(), N, data.data(), data.size(), nullptr, 0);
  return out;
}

std::array<uint8_t, 32> secret_key_checksum(const MinisignSecretKey& key) {
  std::vector<uint8_t> data = {'E', 'd'};
  data.insert(data.end(), key.key_id.begin(), key.key_id.end());
  data.insert(data.end(), key.key.begin(), key.key.end());
  return blake2b<32>(data);
}

uint64_t little_endian(const uint8_t* bytes) {
  uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = (value << 8) | bytes[i];
  return value;
}

std::array<uint8_t, 64> sign_detached(std::span<const uint8_t> message, const std::array<uint8_t, 64>& key) {
  std::array<uint8_t, 64> signature{};
  crypto_sign_detached(signature.data(), nullptr, message.data(), message.size(), key.data());
  return signature;
}

std::span<const uint8_t> bytes_of(std::string_view text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

}  // namespace

MinisignPublicKey MinisignSecretKey::public_key() const {
  MinisignPublicKey pub{key_id, {}};
  std::copy(key.begin() + 32, key.end(), pub.key.begin());
  return pub;
}

std::string key_id_text(const MinisignKeyId& id) {
  MinisignKeyId reversed = id;
  std::reverse(reversed.begin(), reversed.end());
  return hex_upper(reversed);
}

bool looks_like_minisign(std::string_view text) { return text.starts_with(kComment); }

MinisignPublicKey parse_minisign_public_key(std::string_view text, const std::string& where) {
  const auto lines = checked_lines(text, 2, where, "public key");
  const std::vector<uint8_t> bytes = decode_line(lines[1], 42, where, "public key");
  if (bytes[0] != 'E' || bytes[1] != 'd')
    throw Error(fmt::format("{}: not an Ed25519 minisign public key", where), ExitCode::bad_input);
  MinisignPublicKey key;
  std::copy(bytes.begin() + 2, bytes.begin() + 10, key.key_id.begin());
  std::copy(bytes.begin() + 10, bytes.end(), key.key.begin());
  return key;
}

MinisignSecretKey parse_minisign_secret_key(std::string_view text, const std::string& where,
                                            const std::function<std::string()>& password) {
  require_sodium();
  const auto lines = checked_lines(text, 2, where, "secret key");
  std::vector<uint8_t> bytes = decode_line(lines[1], 158, where, "secret key");
  if (bytes[0] != 'E' || bytes[1] != 'd' || bytes[4] != 'B' || bytes[5] != '2')
    throw Error(fmt::format("{}: not an Ed25519 minisign secret key with a BLAKE2b checksum", where),
                ExitCode::bad_input);
  uint8_t* const keynum = bytes.data() + 54;  // key id, secret key, checksum: 104 bytes
  const bool encrypted = bytes[2] == 'S' && bytes[3] == 'c';
  if (!encrypted && (bytes[2] != 0 || bytes[3] != 0))
    throw Error(fmt::format("{}: its key derivation is neither scrypt nor none", where), ExitCode::bad_input);
  if (encrypted) {
    // What minisign -G uses at most: a key file asking more would make the derivation hang.
    const uint64_t opslimit = little_endian(bytes.data() + 38), memlimit = little_endian(bytes.data() + 46);
    if (opslimit > crypto_pwhash_scryptsalsa208sha256_OPSLIMIT_SENSITIVE ||
        memlimit > crypto_pwhash_scryptsalsa208sha256_MEMLIMIT_SENSITIVE)
      throw Error(fmt::format("{}: its scrypt limits ({} operations, {} bytes) are beyond minisign's own", where,
                              opslimit, memlimit),
                  ExitCode::bad_input);
    const std::string secret = password();
    std::array<uint8_t, 104> stream{};
    if (crypto_pwhash_scryptsalsa208sha256(stream.data(), stream.size(), secret.data(), secret.size(), bytes.data() + 6,
                                           opslimit, memlimit) != 0)
      throw Error(fmt::format("{}: scrypt ran out of memory deriving its key", where));
    for (size_t i = 0; i < stream.size(); ++i) keynum[i] ^= stream[i];
    sodium_memzero(stream.data(), stream.size());
  }
  MinisignSecretKey key;
  std::copy(keynum, keynum + 8, key.key_id.begin());
  std::copy(keynum + 8, keynum + 72, key.key.begin());
  // The secret key holds its public half: a key whose seed makes another is damaged (and would
  // sign as no one).
  std::array<uint8_t, 32> seed{};
  std::copy(key.key.begin(), key.key.begin() + 32, seed.begin());
  MinisignSecretKey rebuilt = minisign_key_from_seed(seed, key.key_id);
  const bool consistent = rebuilt.key == key.key;
  sodium_memzero(seed.data(), seed.size());
  sodium_memzero(rebuilt.key.data(), rebuilt.key.size());
  // minisign -W writes no checksum (zeros) for a key it does not encrypt.
  const bool unchecked = !encrypted && std::all_of(keynum + 72, keynum + 104, [](uint8_t b) { return b == 0; });
  const bool intact = unchecked || std::equal(keynum + 72, keynum + 104, secret_key_checksum(key).begin());
  sodium_memzero(bytes.data(), bytes.size());
  if (intact && !consistent)
    throw Error(fmt::format("{}: its public half does not match its seed: the key is damaged", where),
                ExitCode::bad_input);
  if (!intact)
    throw Error(encrypted ? fmt::format("{}: wrong password (the key's checksum does not match)", where)
                          : fmt::format("{}: its checksum does not match: the key is damaged", where),
                ExitCode::bad_input);
  return key;
}

MinisignSignature parse_minisign_signature(std::string_view text, const std::string& where) {
  const auto lines = checked_lines(text, 4, where, "signature");
  const std::vector<uint8_t> bytes = decode_line(lines[1], 74, where, "signature");
  if (bytes[0] != 'E' || (bytes[1] != 'D' && bytes[1] != 'd'))
    throw Error(fmt::format("{}: not an Ed25519 minisign signature", where), ExitCode::bad_input);
  if (!lines[2].starts_with(kTrusted))
    throw Error(fmt::format("{}: its third line is not a 'trusted comment:'", where), ExitCode::bad_input);
  MinisignSignature signature;
  signature.prehashed = bytes[1] == 'D';
  std::copy(bytes.begin() + 2, bytes.begin() + 10, signature.key_id.begin());
  std::copy(bytes.begin() + 10, bytes.end(), signature.signature.begin());
  signature.trusted_comment = std::string(lines[2].substr(kTrusted.size()));
  const std::vector<uint8_t> global = decode_line(lines[3], 64, where, "comment signature");
  std::copy(global.begin(), global.end(), signature.global_signature.begin());
  return signature;
}

std::string format_minisign_public_key(const MinisignPublicKey& key) {
  std::vector<uint8_t> bytes = {'E', 'd'};
  bytes.insert(bytes.end(), key.key_id.begin(), key.key_id.end());
  bytes.insert(bytes.end(), key.key.begin(), key.key.end());
  return fmt::format("{}minisign public key {}\n{}\n", kComment, key_id_text(key.key_id), base64_encode(bytes));
}

std::string format_minisign_secret_key(const MinisignSecretKey& key) {
  std::vector<uint8_t> bytes = {'E', 'd', 0, 0, 'B', '2'};
  bytes.resize(bytes.size() + 32 + 8 + 8, 0);  // no salt, opslimit or memlimit: not encrypted
  bytes.insert(bytes.end(), key.key_id.begin(), key.key_id.end());
  bytes.insert(bytes.end(), key.key.begin(), key.key.end());
  const auto checksum = secret_key_checksum(key);
  bytes.insert(bytes.end(), checksum.begin(), checksum.end());
  std::string text = fmt::format("{}minisign secret key {} (not encrypted: keep the file 0600)\n{}\n", kComment,
                                 key_id_text(key.key_id), base64_encode(bytes));
  sodium_memzero(bytes.data(), bytes.size());
  return text;
}

MinisignSecretKey generate_minisign_key() {
  require_sodium();
  std::array<uint8_t, 32> seed{};
  MinisignKeyId id{};
  randombytes_buf(seed.data(), seed.size());
  randombytes_buf(id.data(), id.size());
  MinisignSecretKey key = minisign_key_from_seed(seed, id);
  sodium_memzero(seed.data(), seed.size());
  return key;
}

MinisignSecretKey minisign_key_from_seed(const std::array<uint8_t, 32>& seed, const MinisignKeyId& key_id) {
  require_sodium();
  MinisignSecretKey key{key_id, {}};
  std::array<uint8_t, 32> pub{};
  crypto_sign_seed_keypair(pub.data(), key.key.data(), seed.data());
  return key;
}

std::string minisign_sign(std::string_view message, const MinisignSecretKey& key, const std::string& trusted_comment) {
  require_sodium();
  if (trusted_comment.find_first_of("\r\n") != std::string::npos) throw Error("a minisign trusted comment is one line");
  const auto hashed = blake2b<64>(bytes_of(message));
  const auto signature = sign_detached(hashed, key.key);
  std::vector<uint8_t> signed_comment(signature.begin(), signature.end());
  signed_comment.insert(signed_comment.end(), trusted_comment.begin(), trusted_comment.end());
  const auto global = sign_detached(signed_comment, key.key);
  std::vector<uint8_t> line = {'E', 'D'};
  line.insert(line.end(), key.key_id.begin(), key.key_id.end());
  line.insert(line.end(), signature.begin(), signature.end());
  return fmt::format("{}signature from minisign secret key {}\n{}\n{}{}\n{}\n", kComment, key_id_text(key.key_id),
                     base64_encode(line), kTrusted, trusted_comment, base64_encode(global));
}

bool ed25519_verify(std::string_view message, std::string_view signature, const std::array<uint8_t, 32>& key) {
  require_sodium();
  if (signature.size() != crypto_sign_BYTES) return false;
  const auto data = bytes_of(message);
  return crypto_sign_verify_detached(reinterpret_cast<const uint8_t*>(signature.data()), data.data(), data.size(),
                                     key.data()) == 0;
}

bool minisign_verify(std::string_view message, const MinisignSignature& signature, const std::array<uint8_t, 32>& key) {
  require_sodium();
  const auto hashed = blake2b<64>(bytes_of(message));
  const std::span<const uint8_t> signed_part =
      signature.prehashed ? std::span<const uint8_t>(hashed) : bytes_of(message);
  if (crypto_sign_verify_detached(signature.signature.data(), signed_part.data(), signed_part.size(), key.data()) != 0)
    return false;
  std::vector<uint8_t> signed_comment(signature.signature.begin(), signature.signature.end());
  signed_comment.insert(signed_comment.end(), signature.trusted_comment.begin(), signature.trusted_comment.end());
  return crypto_sign_verify_detached(signature.global_signature.data(), signed_comment.data(), signed_comment.size(),
                                     key.data()) == 0;
}

}  // namespace trustnet
