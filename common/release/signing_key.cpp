#include "common/release/signing_key.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <optional>

#include "common/handles/bio_handle.hpp"
#include "common/handles/evp_pkey.hpp"
#include "common/handles/unique_fd.hpp"
#include "common/release/minisign.hpp"
#include "common/util/atomic_file.hpp"
#include "common/util/encoding.hpp"
#include "common/util/error.hpp"
#include "common/util/sha256.hpp"
#include "common/util/text_file.hpp"

namespace trustnet {
namespace fs = std::filesystem;

namespace {

EvpPkey read_pem_key(const std::string& pem, const fs::path& file, bool is_private) {
  Bio bio = memory_bio(pem);
  EvpPkey key(is_private ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr)
                         : PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  ERR_clear_error();
  if (!key)
    throw Error(
        fmt::format("{} is neither a minisign {} key nor a PEM one", file.string(), is_private ? "secret" : "public"),
        ExitCode::bad_input);
  if (EVP_PKEY_get_id(key.get()) != EVP_PKEY_ED25519)
    throw Error(fmt::format("{} is not an Ed25519 key (make one with `bake keygen`)", file.string()),
                ExitCode::bad_input);
  return key;
}

// A PEM key has no minisign key id: its public key's first 8 SHA-256 bytes stand for one.
MinisignKeyId key_id_of(const std::array<uint8_t, 32>& public_key) {
  const Sha256Digest digest = sha256_of(public_key);
  MinisignKeyId id{};
  std::copy(digest.begin(), digest.begin() + 8, id.begin());
  return id;
}

struct PublicKey {
  std::array<uint8_t, 32> key{};
  std::optional<MinisignKeyId> id;  // minisign keys only
};

PublicKey read_public_key(const fs::path& file) {
  const std::string text = read_text_file(file);
  if (looks_like_minisign(text)) {
    const MinisignPublicKey key = parse_minisign_public_key(text, file.string());
    return {key.key, key.key_id};
  }
  const EvpPkey key = read_pem_key(text, file, false);
  PublicKey out;
  size_t size = out.key.size();
  if (EVP_PKEY_get_raw_public_key(key.get(), out.key.data(), &size) != 1 || size != out.key.size())
    throw Error("OpenSSL: cannot read the public key of " + file.string());
  return out;
}

// The password of an encrypted minisign key, asked on the terminal without echo.
std::string ask_password(const fs::path& key) {
  UniqueFd tty(::open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY));
  if (!tty.valid())
    throw Error(fmt::format("{} is protected by a password and there is no terminal to ask it on; a copy without "
                            "one (minisign -C -W -s COPY, kept 0600) signs unattended",
                            key.string()),
                ExitCode::bad_input);
  termios saved{};
  const bool terminal = ::tcgetattr(tty.get(), &saved) == 0;
  if (terminal) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(tty.get(), TCSAFLUSH, &quiet);
  }
  const std::string prompt = fmt::format("Password for {}: ", key.string());
  if (::write(tty.get(), prompt.data(), prompt.size()) < 0) {
  }  // nothing to do about a prompt that could not be shown
  std::string password;
  for (char c; ::read(tty.get(), &c, 1) == 1 && c != '\n';) password += c;
  if (terminal) ::tcsetattr(tty.get(), TCSAFLUSH, &saved);
  if (::write(tty.get(), "\n", 1) < 0) {
  }
  return password;
}

MinisignSecretKey read_secret_key(const fs::path& file) {
  const std::string text = read_secret_file(file);
  if (looks_like_minisign(text))
    return parse_minisign_secret_key(text, file.string(), [&file] { return ask_password(file); });
  const EvpPkey key = read_pem_key(text, file, true);
  std::array<uint8_t, 32> seed{}, pub{};
  size_t seed_size = seed.size(), pub_size = pub.size();
  if (EVP_PKEY_get_raw_private_key(key.get(), seed.data(), &seed_size) != 1 || seed_size != seed.size() ||
      EVP_PKEY_get_raw_public_key(key.get(), pub.data(), &pub_size) != 1 || pub_size != pub.size())
    throw Error("OpenSSL: cannot read the key of " + file.string());
  return minisign_key_from_seed(seed, key_id_of(pub));
}

std::string fingerprint_of(const std::array<uint8_t, 32>& raw) {
  const Sha256Digest digest = sha256_of(raw);
  std::string b64 = base64_encode(std::span<const uint8_t>(digest.data(), digest.size()));
  while (!b64.empty() && b64.back() == '=') b64.pop_back();
  return "SHA256:" + b64;
}

}  // namespace

void generate_signing_key(const fs::path& private_file, const fs::path& public_file) {
  for (const auto& file : {private_file, public_file})
    if (fs::exists(file))
      throw Error(fmt::format("{} exists; a signing key is never overwritten", file.string()), ExitCode::bad_input);
  const MinisignSecretKey key = generate_minisign_key();
  write_file_atomically(private_file, format_minisign_secret_key(key), fs::perms(0600));
  write_file_atomically(public_file, format_minisign_public_key(key.public_key()), fs::perms(0644));
}

SigningKey SigningKey::load(const fs::path& private_file) {
  MinisignSecretKey secret = read_secret_key(private_file);
  SigningKey key;
  key.key_id_ = secret.key_id;
  key.secret_ = secret.key;
  key.fingerprint_ = fingerprint_of(secret.public_key().key);
  OPENSSL_cleanse(secret.key.data(), secret.key.size());
  return key;
}

SigningKey::SigningKey(SigningKey&& other) noexcept
    : key_id_(other.key_id_), secret_(other.secret_), fingerprint_(std::move(other.fingerprint_)) {
  OPENSSL_cleanse(other.secret_.data(), other.secret_.size());
}

SigningKey::~SigningKey() { OPENSSL_cleanse(secret_.data(), secret_.size()); }

std::string SigningKey::sign(std::string_view message, const std::string& trusted_comment) const {
  return minisign_sign(message, MinisignSecretKey{key_id_, secret_}, trusted_comment);
}

bool signature_matches(std::string_view message, std::string_view signature, const fs::path& public_file) {
  const PublicKey key = read_public_key(public_file);
  if (!looks_like_minisign(signature)) return ed25519_verify(message, signature, key.key);
  MinisignSignature parsed;
  try {
    parsed = parse_minisign_signature(signature, "the signature");
  } catch (const Error&) {
    return false;  // damaged: it does not verify
  }
  if (key.id && *key.id != parsed.key_id) return false;
  return minisign_verify(message, parsed, key.key);
}

std::optional<std::pair<std::string, std::string>> foreign_key_id(std::string_view signature,
                                                                  const fs::path& public_file) {
  const PublicKey key = read_public_key(public_file);
  if (!key.id || !looks_like_minisign(signature)) return std::nullopt;
  try {
    const MinisignSignature parsed = parse_minisign_signature(signature, "the signature");
    if (parsed.key_id != *key.id) return std::pair(key_id_text(parsed.key_id), key_id_text(*key.id));
  } catch (const Error&) {
  }
  return std::nullopt;
}

std::string public_key_fingerprint(const fs::path& public_file) {
  return fingerprint_of(read_public_key(public_file).key);
}

}  // namespace trustnet
